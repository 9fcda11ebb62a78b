import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBenchmarkAll } from "../../src/data/benchmarks.js";
import type { Completion, Prompt, SampleOptions, Sampler } from "../../src/engine/types.js";
import { defaultPromptOptions } from "../../src/infer/prompts.js";
import { lockOutDir, runEval, SAMPLES_FILE, type EvalProblem, type RewardModel, type RunOptions } from "../../src/eval/runner.js";
import { readSamplesFile } from "../../src/eval/samples-file.js";
import { verifierGrader } from "../../src/eval/verifier-grader.js";

/**
 * A scripted sampler (the legitimate stand-in for a model when testing the runner's bookkeeping): it answers even
 * problems with the gold answer in \boxed{} and odd ones with a wrong answer, so the grade of a sample depends only
 * on its problem and a resumed run must reproduce the uninterrupted run's summary exactly. It logs every call.
 */
class ScriptedSampler implements Sampler {
  calls: { problems: number[]; n: number }[] = [];
  constructor(private readonly problems: readonly EvalProblem[]) {}
  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    const n = opts.n ?? 1;
    const idx = prompts.map((p) => {
      const text = typeof p === "string" ? p : p.map((m) => m.content).join("\n");
      const i = this.problems.findIndex((q) => text.includes(q.question));
      assert.ok(i >= 0, "prompt does not contain any problem's question");
      return i;
    });
    this.calls.push({ problems: idx, n });
    return idx.map((i) =>
      Array.from({ length: n }, (_, j): Completion => {
        const answer = i % 2 === 0 ? this.problems[i]!.answer : `${Number(this.problems[i]!.answer) + 1}`;
        const text = `Step ${j}: working it out.\nSo the answer is \\boxed{${answer}}.`;
        return { text, completionTokens: 40 + 10 * i, finishReason: "stop" };
      }),
    );
  }
}

async function setup(k: number): Promise<{ problems: EvalProblem[]; dir: string; opts: (s: Sampler) => RunOptions }> {
  const problems = (await loadBenchmarkAll("gsm8k")).slice(0, 5);
  const dir = mkdtempSync(join(tmpdir(), "trimer-eval-"));
  const opts = (sampler: Sampler): RunOptions => ({
    bench: "gsm8k", model: "scripted", problems, sampler, grader: verifierGrader(),
    prompt: defaultPromptOptions("chat"),
    sampling: { k, temperature: 0.7, topP: 1, maxTokens: 256, seed: 1 },
    outDir: dir, batchProblems: 2, summary: { bootstrap: { iterations: 100 } }, progress: { silent: true },
  });
  return { problems, dir, opts };
}

function keysOf(path: string): string[] {
  return readSamplesFile(path).records.map((r) => `${r.problemId}#${r.sample}`);
}

test("runner: grades with the verifier, writes one line per (problem, sample) and a summary", async () => {
  const { problems, dir, opts } = await setup(4);
  const sampler = new ScriptedSampler(problems);
  const r = await runEval(opts(sampler));
  assert.equal(r.sampled, 20);
  assert.equal(r.reused, 0);
  const lines = readFileSync(join(dir, SAMPLES_FILE), "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 20);
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(first.problemId, problems[0]!.id);
  assert.equal(first.extracted, problems[0]!.answer);
  assert.equal(first.correct, true);
  assert.ok(Array.isArray(first.prompt) && JSON.stringify(first.prompt).includes("\\\\boxed{}"));
  // Problems 0, 2, 4 right; 1, 3 wrong → accuracy 3/5, maj@4 3/5, pass@4 3/5.
  assert.equal(r.summary.accuracy.value, 0.6);
  assert.deepEqual(r.summary.atK.map((x) => [x.k, x.passAtK.value, x.majAtK.value]), [[1, 0.6, 0.6], [2, 0.6, 0.6], [4, 0.6, 0.6]]);
  assert.deepEqual(r.summary.tokens, { samples: 20, mean: 60, median: 60, max: 80 });
  // Batches of 2 problems, all 4 samples missing: one call each.
  assert.deepEqual(sampler.calls, [{ problems: [0, 1], n: 4 }, { problems: [2, 3], n: 4 }, { problems: [4], n: 4 }]);
  const onDisk = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { accuracy: { value: number } };
  assert.equal(onDisk.accuracy.value, 0.6);
});

test("runner resume: a torn last line is dropped and only the missing samples are sampled again", async () => {
  const { problems, dir, opts } = await setup(4);
  const full = await runEval(opts(new ScriptedSampler(problems)));
  const path = join(dir, SAMPLES_FILE);
  const text = readFileSync(path, "utf8");
  // Simulate kill -9 in the middle of writing line 11 (problem 2, sample 2): keep 10 whole lines and half of the 11th.
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const cut = Buffer.byteLength(text.slice(0, lineStarts[10]! + 25));
  truncateSync(path, cut);

  const sampler = new ScriptedSampler(problems);
  const r = await runEval(opts(sampler));
  assert.equal(r.tornTail, true);
  assert.equal(r.reused, 10);
  assert.equal(r.sampled, 10);
  // Problem 2 lost samples 2 and 3 (n=2); problems 3 and 4 lost all 4. Batches of 2 unfinished problems:
  // [2, 3] → one call per missing count, then [4].
  assert.deepEqual(sampler.calls, [{ problems: [2], n: 2 }, { problems: [3], n: 4 }, { problems: [4], n: 4 }]);
  const keys = keysOf(path);
  assert.equal(keys.length, 20);
  assert.equal(new Set(keys).size, 20, "no (problem, sample) pair written twice");
  const expected = problems.flatMap((p) => [0, 1, 2, 3].map((j) => `${p.id}#${j}`));
  assert.deepEqual([...keys].sort(), [...expected].sort());
  // Every line of the file is whole JSON again.
  for (const line of readFileSync(path, "utf8").trimEnd().split("\n")) JSON.parse(line);
  assert.deepEqual(r.summary, full.summary);

  // A third run finds everything done and samples nothing.
  const idle = new ScriptedSampler(problems);
  const again = await runEval(opts(idle));
  assert.equal(idle.calls.length, 0);
  assert.equal(again.sampled, 0);
  assert.equal(statSync(path).size, Buffer.byteLength(text));
});

test("runner resume: raising k samples only the new sample indices", async () => {
  const { problems, dir, opts } = await setup(2);
  await runEval(opts(new ScriptedSampler(problems)));
  const sampler = new ScriptedSampler(problems);
  const base = opts(sampler);
  const r = await runEval({ ...base, sampling: { ...base.sampling, k: 3 } });
  assert.deepEqual(sampler.calls.map((c) => c.n), [1, 1, 1]);
  assert.equal(r.sampled, 5);
  assert.equal(r.summary.samplesPerProblem, 3);
  assert.deepEqual(readSamplesFile(join(dir, SAMPLES_FILE)).records.filter((x) => x.problemId === problems[0]!.id).map((x) => x.sample), [0, 1, 2]);
});

test("runner refuses to mix runs and reports damage in the middle of the samples file", async () => {
  const { problems, dir, opts } = await setup(2);
  await runEval(opts(new ScriptedSampler(problems)));
  const base = opts(new ScriptedSampler(problems));
  await assert.rejects(runEval({ ...base, sampling: { ...base.sampling, temperature: 1.0 } }), /different run \(temperature differ\)/);
  const path = join(dir, SAMPLES_FILE);
  const lines = readFileSync(path, "utf8").split("\n");
  lines[2] = lines[2]!.slice(0, 30);
  writeFileSync(path, lines.join("\n"));
  await assert.rejects(runEval(base), /samples\.jsonl:3: not valid JSON/);
  await assert.rejects(runEval({ ...base, sampling: { ...base.sampling, temperature: 0, k: 4 } }), /temperature 0/);
});

test("runner: reward-model scores are stored per sample and give rm@k; the output folder is locked while running", async () => {
  const { problems, dir, opts } = await setup(3);
  // A naive but real reward: prefer the completion whose "Step j" number is highest (so the last sample wins).
  const seen: { prompts: string[]; completions: string[] }[] = [];
  const rm: RewardModel = {
    async score(prompts, completions) {
      seen.push({ prompts, completions });
      return completions.map((c) => Number(/Step (\d+)/.exec(c)![1]));
    },
  };
  const release = lockOutDir(dir);
  await assert.rejects(runEval({ ...opts(new ScriptedSampler(problems)), rewardModel: rm }), /in use by another trimer eval/);
  release();
  const r = await runEval({ ...opts(new ScriptedSampler(problems)), rewardModel: rm });
  assert.deepEqual(r.records.filter((x) => x.problemId === problems[0]!.id).map((x) => x.reward), [0, 1, 2]);
  // The reward model sees the bare question, not the prompt formatting.
  assert.equal(seen[0]!.prompts[0], problems[0]!.question);
  assert.equal(seen.reduce((n, c) => n + c.completions.length, 0), 15);
  assert.deepEqual(r.summary.atK.map((x) => [x.k, x.rmAtK?.value]), [[1, 0.6], [2, 0.6], [3, 0.6]]);
  // A lock left by a killed run (its pid is gone) is taken over.
  writeFileSync(join(dir, ".lock"), "999999999");
  const again = await runEval(opts(new ScriptedSampler(problems)));
  assert.equal(again.sampled, 0);
});

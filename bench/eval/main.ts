// Evaluation benchmark: `npm run bench eval`.
//  1. Scores Qwen2.5-Math's example file (100 MATH problems × 8 completions with its own labels and reward-model
//     scores) and prints pass@1, maj@8, rm@8 next to the figures quoted for it in the issue (0.91, 0.93, 0.94),
//     by the file's labels and by our verifier, with the time it took.
//  2. Runs the benchmark runner over MATH-500 × k=8 with an instant scripted sampler (it replays the gold answer in
//     \boxed{} for every other problem), so the figure is the runner's own cost per sample — prompt building,
//     verification, clustering, the fsync'd JSONL, bootstrap summary — the overhead a real model run adds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBenchmarkAll } from "../../src/data/benchmarks.js";
import type { Completion, Prompt, SampleOptions, Sampler } from "../../src/engine/types.js";
import { defaultPromptOptions } from "../../src/infer/prompts.js";
import { runEval, type EvalProblem } from "../../src/eval/runner.js";
import { readScoreFile, scoreProblems } from "../../src/eval/score-file.js";
import { verifierGrader } from "../../src/eval/verifier-grader.js";

const QWEN = new URL("../../../shared/data/qwen_rm_maj_example/math_cot_100.jsonl", import.meta.url).pathname;
const QUOTED = { passAt1: 0.91, majAtN: 0.93, rmAtN: 0.94 };

function scoring(): void {
  const grader = verifierGrader();
  const t0 = performance.now();
  const problems = readScoreFile(QWEN, grader);
  const t1 = performance.now();
  const s = scoreProblems(QWEN, problems, grader, { iterations: 1000 });
  const t2 = performance.now();
  const completions = problems.length * s.samplesPerProblem;
  console.log(`scoring ${completions} given completions: read + verify ${(t1 - t0).toFixed(0)} ms (${((t1 - t0) / completions).toFixed(2)} ms/completion), ` +
    `metrics + 3×bootstrap(1000) ${(t2 - t1).toFixed(0)} ms`);
  console.log(`${"view".padEnd(40)} ${"pass@1".padStart(8)} ${"maj@8".padStart(8)} ${"rm@8".padStart(8)}`);
  console.log(`${"quoted in the issue (file labels)".padEnd(40)} ${QUOTED.passAt1.toFixed(3).padStart(8)} ${QUOTED.majAtN.toFixed(3).padStart(8)} ${QUOTED.rmAtN.toFixed(3).padStart(8)}`);
  for (const h of s.headline) {
    console.log(`${h.view.padEnd(40)} ${h.passAt1.toFixed(3).padStart(8)} ${h.majAtN.toFixed(3).padStart(8)} ${(h.rmAtN ?? NaN).toFixed(3).padStart(8)}   ` +
      `ratio to quoted ${(h.passAt1 / QUOTED.passAt1).toFixed(3)} / ${(h.majAtN / QUOTED.majAtN).toFixed(3)} / ${((h.rmAtN ?? NaN) / QUOTED.rmAtN).toFixed(3)}`);
  }
  console.log(`label disagreements: ${s.disagreements.length}; maj@8 changed by verifier grouping: ${s.groupingChanges.map((g) => g.problemId).join(", ") || "none"}`);
}

class ReplaySampler implements Sampler {
  constructor(private readonly byQuestion: Map<string, { answer: string; index: number }>) {}
  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    return prompts.map((p) => {
      const text = typeof p === "string" ? p : p[p.length - 1]!.content;
      const q = [...this.byQuestion.keys()].find((k) => text.startsWith(k))!;
      const { answer, index } = this.byQuestion.get(q)!;
      return Array.from({ length: opts.n ?? 1 }, (_, j) => ({
        text: `Let us work through it step by step.\nThe final answer is $\\boxed{${(index + j) % 2 === 0 ? answer : "0.5"}}$.`,
        completionTokens: 100 + j,
        finishReason: "stop" as const,
      }));
    });
  }
}

async function runner(): Promise<void> {
  const problems: EvalProblem[] = await loadBenchmarkAll("math500");
  const byQuestion = new Map(problems.map((p, index) => [p.question, { answer: p.answer, index }]));
  const dir = mkdtempSync(join(tmpdir(), "trimer-bench-eval-"));
  try {
    const k = 8;
    const halves = problems.filter((p) => p.answer === "\\frac{1}{2}").length;
    const t0 = performance.now();
    const r = await runEval({
      bench: "math500", model: "replay", problems, sampler: new ReplaySampler(byQuestion), grader: verifierGrader(),
      prompt: defaultPromptOptions("chat"), sampling: { k, temperature: 0.7, topP: 1, maxTokens: 1024, seed: 0 },
      outDir: dir, progress: { silent: true },
    });
    const ms = performance.now() - t0;
    console.log(`runner over math500 × k=${k} (${r.sampled} samples, instant sampler): ${(ms / 1000).toFixed(2)} s = ${(ms / r.sampled).toFixed(2)} ms/sample overhead; ` +
      `accuracy ${r.summary.accuracy.value.toFixed(3)} (expected ${(0.5 + halves / problems.length / 2).toFixed(3)}: every other sample replays the gold answer, the rest say 0.5, right for the ${halves} problems whose gold is 1/2)`);
    const t1 = performance.now();
    const again = await runEval({
      bench: "math500", model: "replay", problems, sampler: new ReplaySampler(byQuestion), grader: verifierGrader(),
      prompt: defaultPromptOptions("chat"), sampling: { k, temperature: 0.7, topP: 1, maxTokens: 1024, seed: 0 },
      outDir: dir, progress: { silent: true },
    });
    console.log(`rerun on the finished folder (resume check + summary): ${((performance.now() - t1) / 1000).toFixed(2)} s, sampled ${again.sampled}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

scoring();
await runner();
console.log("peer: none measured in this run; the figures to match are the file's quoted 0.91 / 0.93 / 0.94 (Qwen2.5-Math evaluation).");

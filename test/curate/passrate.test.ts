import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passRateStep, gradeCompletions, runStep, collect, fromArray, type CurateRecord } from "../../src/data/curate/index.js";
import type { Completion, Prompt, Sampler, SampleOptions } from "../../src/engine/types.js";

// Problem i is solved by the scripted model in `solved[i]` of its k attempts (the rest answer wrongly, one with no
// answer at all), so every pass rate is known in advance.
const solved = [0, 1, 2, 3, 4, 5, 6, 7, 8, 8];
const problems: CurateRecord[] = solved.map((_, i) => ({ id: `p${i}`, question: `Problem number ${i}: what is ${i} + ${i}?`, answer: String(2 * i), meta: { origin: "test" } }));

class ScriptedSampler implements Sampler {
  calls = 0;
  prompts = 0;
  constructor(private readonly failAfterCalls = Infinity) {}
  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    if (this.calls >= this.failAfterCalls) throw new Error("server went away");
    this.calls++;
    this.prompts += prompts.length;
    return prompts.map((p) => {
      const text = typeof p === "string" ? p : p[p.length - 1]!.content;
      const i = Number(/Problem number (\d+)/.exec(text)![1]);
      return Array.from({ length: opts.n ?? 1 }, (_, j) => ({
        text: j < solved[i]! ? `Adding: ${i} + ${i} = ${2 * i}. So \\boxed{${2 * i}}` : j === solved[i]! ? "I am not sure." : `It is \\boxed{${2 * i + 1}}`,
        completionTokens: 10,
        finishReason: "stop" as const,
      }));
    });
  }
}

test("gradeCompletions uses the verifier (equivalent forms count)", () => {
  assert.deepEqual(gradeCompletions("1/2", ["\\boxed{\\frac{1}{2}}", "so the answer is 0.5", "\\boxed{2}"]), { attempts: 3, correct: 2, passRate: 2 / 3 });
  assert.deepEqual(gradeCompletions("3", []), { attempts: 0, correct: 0, passRate: null });
});

test("pass rate: k samples per problem, meta.passRate written, problems at or above 0.8 dropped", async () => {
  const sampler = new ScriptedSampler();
  const run = passRateStep(fromArray(problems), { sampler, k: 8, threshold: 0.8, batchSize: 4 });
  const out = await collect(run.records);
  // 7/8 = 0.875 and 8/8 are at or above 0.8: p7, p8, p9 dropped
  assert.deepEqual(out.map((r) => r.id), ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
  assert.deepEqual(out.map((r) => (r.meta as Record<string, number>).passRate), [0, 1 / 8, 2 / 8, 3 / 8, 4 / 8, 5 / 8, 6 / 8]);
  assert.equal((out[3]!.meta as Record<string, unknown>).origin, "test");
  assert.equal(sampler.calls, 3);
  const rep = run.report();
  assert.equal(rep.removed, 3);
  assert.equal(rep.kept, 7);
  assert.deepEqual(rep.histogram, { "0": 1, "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 2 });
  assert.equal(rep.meanPassRate, solved.reduce((a, b) => a + b, 0) / 80);
});

test("pass rate resumes from its journal: an interrupted run is not sampled twice, output identical", async () => {
  const dir = mkdtempSync(join(tmpdir(), "curate-pass-"));
  const input = join(dir, "in.jsonl");
  writeFileSync(input, problems.map((p) => JSON.stringify(p)).join("\n") + "\n");
  const spec = { step: "pass-rate", k: 8, batchSize: 3 };
  const out = join(dir, "out.jsonl");
  const crashing = new ScriptedSampler(2);
  await assert.rejects(runStep(spec, [input], out, undefined, { sampler: async () => crashing }), /server went away/);
  assert.ok(!existsSync(out));
  const journal = readFileSync(`${out}.journal.jsonl`, "utf8").trim().split("\n");
  assert.equal(journal.length, 6);
  const resumed = new ScriptedSampler();
  const r = await runStep(spec, [input], out, undefined, { sampler: async () => resumed });
  assert.equal(resumed.prompts, 4);
  const rep = r.report as { resumed: number; sampled: number; removed: number };
  assert.deepEqual([rep.resumed, rep.sampled, rep.removed], [6, 4, 3]);
  const fresh = await collect(passRateStep(fromArray(problems), { sampler: new ScriptedSampler(), k: 8 }).records);
  assert.equal(readFileSync(out, "utf8"), fresh.map((p) => JSON.stringify(p)).join("\n") + "\n");
});

test("TolerantSampler: a prompt the engine refuses gets no completions; a broken engine still throws", async () => {
  const { TolerantSampler } = await import("../../src/data/curate/tolerant.js");
  const inner: Sampler = {
    sample: async (prompts) => {
      if (prompts.some((p) => String(p).length > 10)) throw new Error("sample: prompt 0 has 99 tokens; the context is 10");
      return prompts.map((p) => [{ text: `echo ${String(p)}`, completionTokens: 1, finishReason: "stop" as const }]);
    },
  };
  const t = new TolerantSampler(inner);
  const out = await t.sample(["short", "this one is far too long", "ok"], { maxTokens: 4 });
  assert.deepEqual(out.map((c) => c.map((x) => x.text)), [["echo short"], [], ["echo ok"]]);
  assert.equal(t.failures.length, 1);
  assert.deepEqual((await t.sample(["also much too long"], { maxTokens: 4 })), [[]]);
  const broken = new TolerantSampler({ sample: async () => { throw new Error("tokenizer: id 127 is outside the vocabulary"); } });
  await assert.rejects(broken.sample(["a", "b"], { maxTokens: 4 }), /outside the vocabulary/);
});

test("TolerantSampler with a handler: refusals it accounts for are not failures; a handler that throws stops the call", async () => {
  const { TolerantSampler } = await import("../../src/data/curate/tolerant.js");
  const { newLongPromptCount, serverOverflowHandler } = await import("../../src/infer/context.js");
  const refuse = (msg: string): Error => Object.assign(new Error(msg), { status: 400 });
  const inner: Sampler = {
    sample: async (prompts) => {
      if (prompts.some((p) => String(p).startsWith("long"))) throw refuse("This model's maximum context length is 16 tokens");
      if (prompts.some((p) => String(p).startsWith("bad"))) throw refuse("unsupported parameter");
      return prompts.map((p) => [{ text: `echo ${String(p)}`, completionTokens: 1, finishReason: "stop" as const }]);
    },
  };
  const count = newLongPromptCount("skip", null);
  const t = new TolerantSampler(inner, undefined, serverOverflowHandler(count));
  // A single too-long prompt first (nothing has succeeded yet): skipped and counted, not taken for a broken engine.
  assert.deepEqual(await t.sample(["long one"], { maxTokens: 4 }), [[]]);
  const out = await t.sample(["a", "long two", "bad", "b"], { maxTokens: 4 });
  assert.deepEqual(out.map((c) => c.map((x) => x.text)), [["echo a"], [], [], ["echo b"]]);
  assert.equal(count.skipped, 2);
  assert.deepEqual(t.failures.map((f) => f.message), ["unsupported parameter"], "only the other refusal is a failure");
  const strict = new TolerantSampler(inner, undefined, serverOverflowHandler(newLongPromptCount("fail", null)));
  await assert.rejects(strict.sample(["a", "long three"], { maxTokens: 4 }), /^UsageError: the server refused the prompt of "long three" as longer than its context/);
});

// Rejection sampling, mode balance, seeding and concurrency of trace generation (no tools: see tir.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { balanceModes, generateProblemTraces, generateTraces, mapConcurrent, modePrompt, type TraceRecord, type Usage } from "../../src/generate/index.js";
import { createOpenAISampler } from "../../src/engine/openai.js";
import { multiplyModel, multiplyProblems, questionOf, scriptedSampler, startScriptedServer } from "./teacher.js";

const base = { modes: ["high"] as const, tir: [false], maxTokens: 200 };

/** A model whose first `wrongCalls` answers per question are wrong. */
function wrongFirst(wrongCalls: number): ReturnType<typeof multiplyModel> {
  const seen = new Map<string, number>();
  return multiplyModel({
    wrong: (_seed, prompt) => {
      const q = questionOf(prompt);
      const n = (seen.get(q) ?? 0) + 1;
      seen.set(q, n);
      return n <= wrongCalls;
    },
  });
}

test("rejection sampling: waves of the still-needed attempts until k correct; incorrect ones kept, labelled", async () => {
  const s = scriptedSampler(wrongFirst(3));
  const ns: number[] = [];
  const orig = s.sample.bind(s);
  s.sample = (ps, o) => { ns.push(o.n ?? 1); return orig(ps, o); };
  const [p] = multiplyProblems(1);
  const r = await generateProblemTraces(s, p!, { ...base, k: 2, maxAttempts: 8 });
  // waves: 2 attempts (wrong, wrong), 2 (wrong, right), 1 (right); each wave is one call with n completions
  assert.deepEqual(r.records.map((x) => [x.attempt, x.correct]), [[0, false], [1, false], [2, false], [3, true], [4, true]]);
  assert.deepEqual(ns, [2, 2, 1]);
  assert.equal(s.counter.total, 5);
  assert.deepEqual(r.records.map((x) => x.calls), [1, 0, 1, 0, 1]);
  assert.equal(r.usage.high!.calls, 3);
  assert.equal(r.usage.high!.promptTokens, r.records.reduce((t, x) => t + x.promptTokens, 0));
  assert.equal(r.usage.high!.promptTokens, 3 * (s.prompts[0]!.length));
  const wrong = r.records[0]!;
  assert.equal(wrong.extracted, String(3 * 7 + 1));
  assert.equal(wrong.answer, "21");
  assert.equal(r.records[3]!.finalAnswer, "21");
  assert.deepEqual({ attempts: r.usage.high!.attempts, correct: r.usage.high!.correct, kept: r.usage.high!.kept }, { attempts: 5, correct: 2, kept: 5 });
});

test("the attempt budget bounds a problem the teacher never solves", async () => {
  const s = scriptedSampler(wrongFirst(Infinity));
  const [p] = multiplyProblems(1);
  const r = await generateProblemTraces(s, p!, { ...base, k: 2, maxAttempts: 5 });
  assert.equal(r.records.length, 5);
  assert.ok(r.records.every((x) => !x.correct));
  assert.equal(s.counter.total, 5);
  const dropped = await generateProblemTraces(scriptedSampler(wrongFirst(Infinity)), p!, { ...base, k: 2, maxAttempts: 5, keepIncorrect: false });
  assert.equal(dropped.records.length, 0);
  assert.equal(dropped.usage.high!.attempts, 5);
});

test("modes are balanced per problem: every mode keeps as many correct traces as the weakest", async () => {
  // low gets every answer wrong on its first 2 calls: 1 correct of k = 2 within 3 attempts
  const seen = new Map<string, number>();
  const model = multiplyModel({
    wrong: (_seed, prompt) => {
      if (!prompt.includes("concisely")) return false;
      const n = (seen.get("low") ?? 0) + 1;
      seen.set("low", n);
      return n <= 2;
    },
  });
  const [p] = multiplyProblems(1);
  const opts = { modes: ["high", "medium", "low"] as const, tir: [false], maxTokens: 200, k: 2, maxAttempts: 3 };
  const r = await generateProblemTraces(scriptedSampler(model), p!, opts);
  const correct = (m: string): number => r.records.filter((x) => x.mode === m && x.correct).length;
  assert.deepEqual([correct("high"), correct("medium"), correct("low")], [1, 1, 1]);
  assert.equal(r.usage.high!.droppedForBalance, 1);
  assert.equal(r.usage.medium!.droppedForBalance, 1);
  assert.equal(r.usage.low!.droppedForBalance, 0);
  assert.equal(r.records.filter((x) => x.mode === "low" && !x.correct).length, 2);
  seen.clear();
  const off = await generateProblemTraces(scriptedSampler(model), p!, { ...opts, balance: "off" });
  assert.equal(off.records.filter((x) => x.mode === "high" && x.correct).length, 2);
});

test("balanceModes treats the tool and no-tool variants separately", () => {
  const rec = (mode: "high" | "low", tir: boolean, correct: boolean): TraceRecord => ({
    problemId: "p", mode, tir, text: "", answer: "1", finalAnswer: "", extracted: null, correct, tokens: 0, promptTokens: 0, toolCalls: 0, calls: 1, attempt: 0, finishReason: "stop",
  });
  const usage: Usage = {};
  const kept = balanceModes([rec("high", false, true), rec("high", false, true), rec("low", false, true), rec("high", true, true), rec("low", true, false)], ["high", "low"], usage, true);
  // With tools only high solved it: low+tir's failure does not cost high+tir its correct trace.
  assert.deepEqual(kept.map((r) => [r.mode, r.tir, r.correct]), [["high", false, true], ["low", false, true], ["high", true, true], ["low", true, false]]);
  assert.equal(usage.high!.droppedForBalance, 1);
  assert.equal(usage["high+tir"]?.droppedForBalance ?? 0, 0);
});

test("balance never drops a correct trace in favour of incorrect ones", () => {
  const rec = (mode: "high" | "medium" | "low", correct: boolean): TraceRecord => ({
    problemId: "p", mode, tir: false, text: "", answer: "1", finalAnswer: "", extracted: null, correct, tokens: 0, promptTokens: 0, toolCalls: 0, calls: 1, attempt: 0, finishReason: "stop",
  });
  // The reported case: one correct trace (high), every other attempt wrong.
  const usage: Usage = {};
  const only = [rec("high", true), ...Array.from({ length: 57 }, (_, i) => rec((["high", "medium", "low"] as const)[i % 3]!, false))];
  const kept = balanceModes(only, ["high", "medium", "low"], usage, true);
  assert.equal(kept.filter((r) => r.correct).length, 1);
  assert.equal(kept.length, 58);
  // A bucket that lost correct traces to the cap keeps none of its incorrect ones.
  const u2: Usage = {};
  const k2 = balanceModes([rec("high", true), rec("high", true), rec("high", false), rec("low", true), rec("low", false), rec("medium", false)], ["high", "medium", "low"], u2, true);
  assert.deepEqual(k2.map((r) => [r.mode, r.correct]), [["high", true], ["low", true], ["low", false], ["medium", false]]);
  assert.equal(u2.high!.droppedForBalance, 2);
  for (const mode of ["high", "medium", "low"]) {
    const droppedCorrect = u2[mode]?.droppedForBalance ?? 0;
    if (droppedCorrect > 0) assert.equal(k2.filter((r) => r.mode === mode && !r.correct).length, 0, mode);
  }
});

test("prompts differ per mode and add the tool instruction for TIR", () => {
  const [p] = multiplyProblems(1);
  const build = modePrompt("completion");
  const high = build(p!, "high", false) as string, low = build(p!, "low", false) as string, tir = build(p!, "low", true) as string;
  assert.ok(high.startsWith("Problem: What is 3*7?\n") && high.endsWith("Solution: "));
  assert.notEqual(high, low);
  assert.match(low, /concisely/);
  assert.match(tir, /```python blocks/);
  assert.doesNotMatch(low, /```/);
  const chat = modePrompt("chat")(p!, "medium", true);
  assert.ok(Array.isArray(chat) && chat[0]!.role === "user" && chat[0]!.content.includes("What is 3*7?"));
});

test("seeds: a rerun asks the same requests; attempts and modes get different seeds", async () => {
  const seeds: number[][] = [];
  for (let run = 0; run < 2; run++) {
    const s = scriptedSampler(wrongFirst(1));
    const got: number[] = [];
    const orig = s.sample.bind(s);
    s.sample = (ps, o) => { got.push(o.seed!); return orig(ps, o); };
    await generateProblemTraces(s, multiplyProblems(1)[0]!, { ...base, modes: ["high", "low"], k: 2, maxAttempts: 4, seed: 5 });
    seeds.push(got);
  }
  assert.deepEqual(seeds[0], seeds[1]);
  assert.equal(new Set(seeds[0]).size, seeds[0]!.length);
});

test("generateTraces: every problem once, its records together, in flight at most `concurrency`", async () => {
  let inFlight = 0, peak = 0;
  const s = scriptedSampler(multiplyModel());
  const orig = s.sample.bind(s);
  s.sample = async (ps, o) => {
    inFlight++; peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    return orig(ps, o);
  };
  const problems = multiplyProblems(7);
  const out: TraceRecord[] = [];
  for await (const r of generateTraces(s, problems, { ...base, k: 1, maxAttempts: 1, concurrency: 3 })) out.push(r);
  assert.equal(out.length, 7);
  assert.deepEqual(new Set(out.map((r) => r.problemId)), new Set(problems.map((p) => p.id)));
  assert.equal(peak, 3);
});

test("mapConcurrent stops at the first failure and rethrows it once the work in flight has settled", async () => {
  const started: number[] = [];
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const x of mapConcurrent([1, 2, 3, 4, 5, 6], 2, async (i) => {
      started.push(i);
      await new Promise((r) => setTimeout(r, i));
      if (i === 2) throw new Error("boom 2");
      return i * 10;
    })) got.push(x);
  }, /boom 2/);
  assert.ok(started.length < 6);
  assert.ok(got.includes(10));
});

test("generate through the OpenAI sampler against a loopback server, no tools", async () => {
  const server = await startScriptedServer(wrongFirst(1));
  const sampler = createOpenAISampler({ baseUrl: server.url, model: "scripted", maxRetries: 0 });
  try {
    const out: TraceRecord[] = [];
    for await (const r of generateTraces(sampler, multiplyProblems(2), { ...base, modes: ["medium"], k: 1, maxAttempts: 3 })) out.push(r);
    assert.deepEqual(out.map((r) => [r.problemId, r.attempt, r.correct]).sort(), [["mul/0", 0, false], ["mul/0", 1, true], ["mul/1", 0, false], ["mul/1", 1, true]]);
    assert.ok(out.every((r) => r.promptTokens > 0 && r.tokens === r.text.length));
    assert.equal(server.counter.total, 4);
  } finally {
    sampler.close();
    await server.close();
  }
});

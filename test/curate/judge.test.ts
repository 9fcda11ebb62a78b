import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJudgeVerdict, judgeStep, collect, fromArray, type CurateRecord } from "../../src/data/curate/index.js";
import type { Sampler } from "../../src/engine/types.js";

const cases: [string, string, boolean?][] = [
  ["Verdict: CORRECT\nReasoning: VALID", "correct", true],
  ["Verdict: INCORRECT\nReasoning: INVALID", "incorrect", false],
  ["**Verdict:** correct", "correct"],
  ["**Yes**, the answer matches the reference answer of 42.", "correct"],
  ["No. The candidate gets 41 but the reference is 42.", "incorrect"],
  ['{"correct": true, "reasoning_valid": false}', "correct", false],
  ['```json\n{"verdict": "incorrect"}\n```', "incorrect"],
  ['The solution computes $\\{1,2\\}$ first. Final: {"is_correct": "yes"}', "correct"],
  ["Let me check. The candidate's final answer, $\\frac{3}{4}$, is equivalent to the reference 0.75, so it is correct.", "correct"],
  ["The candidate claims 12. However the final answer is not correct: the reference is 13.", "incorrect"],
  ["Comparing: 12 does not match the reference 13.", "incorrect"],
  ["The final answer \\boxed{\\text{incorrect}}", "incorrect"],
  ["I'm sorry, but I can't help with grading this.", "unknown"],
  ["Let me carefully compare the two expressions. First, expand the candidate's", "unknown"],
  ["<think>The reference is 7 and the candidate has 7, so the answer is correct", "unknown"],
  ["<think>7 vs 7.</think>\nVerdict: CORRECT", "correct"],
  ["", "unknown"],
  ["Judgement - WRONG. Reasoning: flawed.", "incorrect", false],
];

test("judge verdicts are read from messy, real-looking replies", () => {
  for (const [reply, want, reasoning] of cases) {
    const v = parseJudgeVerdict(reply);
    assert.equal(v.verdict, want, `${JSON.stringify(reply)} → ${JSON.stringify(v)}`);
    if (reasoning !== undefined) assert.equal(v.reasoningValid, reasoning, reply);
  }
});

test("the parser survives huge and hostile input quickly", () => {
  assert.equal(parseJudgeVerdict("{".repeat(200_000)).verdict, "unknown");
  assert.equal(parseJudgeVerdict(`${"}".repeat(100_000)}Verdict: correct`).verdict, "correct");
  assert.equal(parseJudgeVerdict(`${"x ".repeat(500_000)}\nVerdict: INCORRECT`).verdict, "incorrect");
});

test("judge step: rejection rate over solutions with a verdict, unknowns counted apart and kept", async () => {
  // 20 single-solution records; the judge's replies cycle through this script: 3 rejections, 1 refusal, 1 truncated
  const script = [
    "Verdict: CORRECT", "**Yes**, the answer matches.", '{"correct": true}', "Verdict: INCORRECT", "I can't help with that.",
    "Verdict: CORRECT", "The answer is correct.", "No, 5 is wrong.", "Verdict: CORRECT", "Let me compare the two",
    "Verdict: CORRECT", "Verdict: CORRECT", '{"verdict": "incorrect"}', "Verdict: CORRECT", "Verdict: CORRECT",
    "Verdict: CORRECT", "Verdict: CORRECT", "Verdict: CORRECT", "Verdict: CORRECT", "Verdict: CORRECT",
  ];
  let i = 0;
  const sampler: Sampler = { sample: async (prompts) => prompts.map(() => [{ text: script[i++]!, completionTokens: 5, finishReason: "stop" as const }]) };
  const recs: CurateRecord[] = script.map((_, j) => ({ id: `r${j}`, question: `What is ${j} + 1?`, answer: String(j + 1), solution: `${j} + 1 = ${j + 1}, so \\boxed{${j + 1}}` }));
  const run = judgeStep(fromArray(recs), { sampler, batchSize: 6 });
  const out = await collect(run.records);
  const rep = run.report();
  assert.deepEqual([rep.judged, rep.correct, rep.incorrect, rep.unknown], [20, 15, 3, 2]);
  assert.equal(rep.rejectionRate, 3 / 18);
  assert.deepEqual(out.map((r) => r.id).filter((id) => ["r3", "r7", "r12"].includes(id as string)), []);
  assert.equal(out.length, 17);
  assert.deepEqual(out.find((r) => r.id === "r4")!.meta, { judge: { verdict: "unknown" } });
  assert.deepEqual(rep.byHow, { label: 13, leading: 2, json: 2, phrase: 1, refusal: 1, none: 1 });
});

test("judge step: each solution of a ProblemWithSolutions record is judged; rejected ones are removed", async () => {
  const replies = ["Verdict: CORRECT\nReasoning: VALID", "Verdict: INCORRECT", "Verdict: CORRECT\nReasoning: INVALID", "Verdict: INCORRECT"];
  let i = 0;
  const sampler: Sampler = { sample: async (prompts) => prompts.map(() => [{ text: replies[i++]!, completionTokens: 5, finishReason: "stop" as const }]) };
  const recs: CurateRecord[] = [
    { id: "a", question: "1+1?", answer: "2", solutions: [{ mode: "low", text: "\\boxed{2}" }, { mode: "high", text: "\\boxed{3}" }, { mode: "tir", text: "\\boxed{2}" }] },
    { id: "b", question: "2+2?", answer: "4", solutions: [{ mode: "low", text: "\\boxed{5}" }] },
  ];
  const run = judgeStep(fromArray(recs), { sampler, requireValidReasoning: true });
  const out = await collect(run.records);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.solutions, [{ mode: "low", text: "\\boxed{2}", judge: { verdict: "correct", reasoningValid: true } }]);
  assert.deepEqual(out[0]!.meta, { judge: { correct: 2, incorrect: 1, unknown: 0, rejected: 2 } });
  const rep = run.report();
  assert.equal(rep.recordsRemoved, 1);
  assert.equal(rep.rejectionRate, 3 / 4);
});

// The evaluation summary's strict / flexible accuracy and the shares of no-answer, truncated, unknown and timeout
// verdicts, with the real verifier.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verdictShares } from "../../src/eval/verdict-shares.js";
import { verifierGrader } from "../../src/eval/verifier-grader.js";
import type { EvalSampleRecord } from "../../src/eval/samples-file.js";

function rec(gold: string, completion: string, finishReason: "stop" | "length" = "stop"): EvalSampleRecord {
  return { problemId: "p", sample: 0, prompt: "q", completion, extracted: null, gold, correct: false, tokens: 10, finishReason, reward: null };
}

test("strict and flexible accuracy differ by the last-number answers; no-answer, truncated, unknown are apart", () => {
  const records = [
    rec("7", "So the answer is $\\boxed{7}$."), // strict and flexible
    rec("7", "After all that we get 7 in the end"), // flexible only: a last number
    rec("7", "I do not know."), // no answer
    rec("7", "Thus \\boxed{7", "length"), // truncated (cut at max tokens inside the box)
    rec("7", "\\boxed{8}"), // wrong
    rec("10^{20}", "\\boxed{\\sqrt{10^{40}+1}}"), // unknown: exact arithmetic cannot decide it
  ];
  const s = verdictShares(records, verifierGrader())!;
  assert.equal(s.samples, 6);
  assert.equal(s.strictAccuracy, 1 / 6);
  assert.equal(s.flexibleAccuracy, 2 / 6);
  assert.equal(s.noAnswer, 2 / 6); // "I do not know." and the last-number-only output (strictly, it has no answer)
  assert.equal(s.truncated, 1 / 6);
  assert.equal(s.unknown, 1 / 6);
  assert.equal(s.timeout, 0);
});

test("no shares without a classifying grader", () => {
  assert.equal(verdictShares([rec("1", "1")], { grade: () => ({ correct: true, extracted: "1" }), cluster: (a) => a.map(() => 0) }), null);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { trimerReward, correctnessReward } from "../../src/verify/reward.js";

test("TriMER reward: 1.0 correct, 0.2 boxed but wrong, 0 otherwise", () => {
  const right = trimerReward("... so $\\boxed{\\frac{1}{2}}$", "0.5");
  assert.deepEqual(right, { reward: 1, correct: true, formatted: true, extracted: "\\frac{1}{2}", rule: "boxed" });
  const wrong = trimerReward("... so $\\boxed{3}$", "0.5");
  assert.deepEqual(wrong, { reward: 0.2, correct: false, formatted: true, extracted: "3", rule: "boxed" });
  // A correct answer without a box is still correct (1.0): correctness dominates, the format is a bonus for trying.
  const unboxed = trimerReward("The answer is 0.5.", "\\frac12");
  assert.equal(unboxed.reward, 1);
  assert.equal(unboxed.formatted, false);
  assert.equal(unboxed.rule, "answer_is");
  // Wrong and unboxed: nothing.
  assert.equal(trimerReward("The answer is 7.", "\\frac12").reward, 0);
  // An empty box is not the expected format.
  assert.equal(trimerReward("\\boxed{}", "1").reward, 0);
});

test("reward values and the boxed requirement are configurable", () => {
  assert.equal(trimerReward("\\boxed{2}", "1", { formatReward: 0.1 }).reward, 0.1);
  assert.equal(trimerReward("\\boxed{1}", "1", { correctReward: 2 }).reward, 2);
  assert.equal(trimerReward("The answer is 7.", "1", { requireBoxed: false }).reward, 0.2);
});

test("correctness reward is 0/1", () => {
  assert.equal(correctnessReward("#### 18", "18").reward, 1);
  assert.equal(correctnessReward("#### 17", "18").reward, 0);
  assert.equal(correctnessReward("no answer here", "18").reward, 0);
});

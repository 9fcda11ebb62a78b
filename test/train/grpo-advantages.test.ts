import { test } from "node:test";
import assert from "node:assert/strict";
import { groupAdvantages } from "../../src/train/grpo/advantages.js";

test("group-normalised advantages by hand (population std)", () => {
  // Rewards (1, 0, 0, 0.2): mean 0.3; deviations 0.7, -0.3, -0.3, -0.1; var = (0.49+0.09+0.09+0.01)/4 = 0.17.
  const { advantages, stats } = groupAdvantages([[1, 0, 0, 0.2]], { eps: 0 });
  const std = Math.sqrt(0.17);
  [0.7, -0.3, -0.3, -0.1].forEach((d, i) => assert.ok(Math.abs(advantages[0]![i]! - d / std) < 1e-12));
  assert.ok(Math.abs(stats.meanReward - 0.3) < 1e-12);
  assert.equal(stats.zeroVarianceFraction, 0);
});

test("zero-variance groups give exactly zero advantages and are counted; Dr.GRPO leaves the scale", () => {
  const { advantages, stats } = groupAdvantages([[0.2, 0.2, 0.2], [1, 0], [0.1, 0.1]]);
  assert.deepEqual(advantages[0], [0, 0, 0]);
  assert.deepEqual(advantages[2], [0, 0]);
  assert.ok(Math.abs(advantages[1]![0]! - 0.5 / (0.5 + 1e-6)) < 1e-12);
  assert.ok(Math.abs(stats.zeroVarianceFraction - 2 / 3) < 1e-12);
  assert.equal(stats.completions, 7);
  assert.ok(advantages.flat().every(Number.isFinite));

  const dr = groupAdvantages([[1, 0, 0, 1.2]], { scaling: "none" });
  [0.45, -0.55, -0.55, 0.65].forEach((d, i) => assert.ok(Math.abs(dr.advantages[0]![i]! - d) < 1e-12));
});

test("bad rewards are named", () => {
  assert.throws(() => groupAdvantages([[1, NaN]]), /group 0 reward 1 is NaN/);
  assert.throws(() => groupAdvantages([[]]), /group 0 is empty/);
  assert.deepEqual(groupAdvantages([]).stats.meanReward, 0);
});

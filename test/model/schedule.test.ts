import { test } from "node:test";
import assert from "node:assert/strict";
import { learningRate, checkLrSchedule, type LrSchedule } from "../../src/model/schedule.js";

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} vs ${b}`);

test("warm-up is linear from peak/warmup on the first step to peak on the last warm-up step", () => {
  const s: LrSchedule = { kind: "cosine", peak: 1e-3, warmupSteps: 4, totalSteps: 14 };
  assert.deepEqual([0, 1, 2, 3].map((k) => learningRate(s, k)), [2.5e-4, 5e-4, 7.5e-4, 1e-3]);
});

test("cosine decays from peak to the floor at totalSteps and stays there", () => {
  const s: LrSchedule = { kind: "cosine", peak: 1, warmupSteps: 2, totalSteps: 12, floor: 0.1 };
  close(learningRate(s, 2), 1);
  close(learningRate(s, 7), 0.1 + 0.9 * 0.5); // halfway: cos(π/2) = 0
  close(learningRate(s, 12), 0.1);
  close(learningRate(s, 1000), 0.1);
  // Monotone non-increasing after warm-up.
  for (let k = 2; k < 12; k++) assert.ok(learningRate(s, k + 1) <= learningRate(s, k));
});

test("linear decays in equal steps; constant holds the peak", () => {
  const lin: LrSchedule = { kind: "linear", peak: 2, totalSteps: 4 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((k) => learningRate(lin, k)), [2, 1.5, 1, 0.5, 0, 0]);
  const c: LrSchedule = { kind: "constant", peak: 3e-4, warmupSteps: 2, totalSteps: 10, floor: 1e-5 };
  assert.deepEqual([0, 1, 2, 50].map((k) => learningRate(c, k)), [1.5e-4, 3e-4, 3e-4, 3e-4]);
});

test("bad schedules name the field", () => {
  assert.throws(() => checkLrSchedule({ kind: "cosine", peak: 1, totalSteps: 0 }), /totalSteps/);
  assert.throws(() => checkLrSchedule({ kind: "cosine", peak: 1, totalSteps: 5, floor: 2 }), /floor/);
  assert.throws(() => checkLrSchedule({ kind: "exp" as "cosine", peak: 1, totalSteps: 5 }), /kind must be one of/);
  assert.throws(() => learningRate({ kind: "linear", peak: 1, totalSteps: 5 }, -1), /step must be/);
});

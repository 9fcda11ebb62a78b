import { test } from "node:test";
import assert from "node:assert/strict";
import { distillTemperature, checkTemperatureSchedule, DEFAULT_TEMPERATURE_SCHEDULE } from "../../src/train/distill/schedule.js";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test("linear and cosine go from start to end over totalSteps and stay at end", () => {
  const lin = { kind: "linear" as const, start: 3, end: 1, totalSteps: 4 };
  assert.deepEqual([0, 1, 2, 3, 4, 9].map((k) => distillTemperature(lin, k)), [3, 2.5, 2, 1.5, 1, 1]);
  const cos = { kind: "cosine" as const, start: 2, end: 1, totalSteps: 10 };
  close(distillTemperature(cos, 0), 2);
  close(distillTemperature(cos, 5), 1.5);
  close(distillTemperature(cos, 10), 1);
  for (let k = 0; k < 10; k++) assert.ok(distillTemperature(cos, k + 1) < distillTemperature(cos, k));
});

test("step schedule: equal plateaus with evenly spaced temperatures", () => {
  const s = { kind: "step" as const, start: 4, end: 1, totalSteps: 9, stages: 4 };
  // p = k/9; plateau = floor(4p): steps 0-2 → 0, 3-4 → 1, 5-6 → 2, 7+ → 3.
  assert.deepEqual([0, 2, 3, 4, 5, 6, 7, 9, 20].map((k) => distillTemperature(s, k)), [4, 4, 3, 3, 2, 2, 1, 1, 1]);
  const three = { kind: "step" as const, start: 2, end: 1, totalSteps: 6 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((k) => distillTemperature(three, k)), [2, 2, 1.5, 1.5, 1, 1, 1]);
});

test("constant, defaults and validation", () => {
  assert.equal(distillTemperature({ kind: "constant", start: 1.5, end: 1, totalSteps: 3 }, 2), 1.5);
  const d = { ...DEFAULT_TEMPERATURE_SCHEDULE, totalSteps: 100 };
  checkTemperatureSchedule(d);
  assert.ok(distillTemperature(d, 0) > distillTemperature(d, 100));
  assert.throws(() => checkTemperatureSchedule({ kind: "linear", start: 0, end: 1, totalSteps: 3 }), /start must be a positive/);
  assert.throws(() => checkTemperatureSchedule({ kind: "step", start: 2, end: 1, totalSteps: 3, stages: 1 }), /stages/);
});

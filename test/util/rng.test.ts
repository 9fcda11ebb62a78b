import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, mixSeed } from "../../src/util/rng.js";

test("rng is deterministic for a seed and differs across seeds", () => {
  const a = createRng(42), b = createRng(42), c = createRng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test("rng.int covers its inclusive range uniformly enough", () => {
  const r = createRng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(0, 5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
});

test("rng.normal has mean 0 and variance 1", () => {
  const r = createRng(1);
  let s = 0, s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.02);
  assert.ok(Math.abs(s2 / n - 1) < 0.03);
});

test("mixSeed separates (seed, index) pairs", () => {
  const seen = new Set<number>();
  for (let s = 0; s < 20; s++) for (let i = 0; i < 200; i++) seen.add(mixSeed(s, i));
  assert.equal(seen.size, 4000);
});

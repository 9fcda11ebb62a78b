// The batcher's grouping rules with a scripted backend that records each engine call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Batcher, type BatchParams, type SampleBackend } from "../../src/serve/batcher.js";
import type { Completion, SampleOptions } from "../../src/engine/types.js";

function scripted(fail = false): SampleBackend & { calls: { rows: number[][]; opts: SampleOptions }[] } {
  const calls: { rows: number[][]; opts: SampleOptions }[] = [];
  return {
    calls,
    sampleRows: async (rows, opts) => {
      calls.push({ rows, opts });
      if (fail) throw new Error("engine exploded");
      // Each completion names its row so the test can check who got what.
      return rows.map((r): Completion => ({ text: r.join(","), completionTokens: r.length, finishReason: "length" }));
    },
  };
}

const P = (over: Partial<BatchParams> = {}): BatchParams => ({ temperature: 1, topP: 1, topK: 0, maxTokens: 8, stop: [], topLogprobs: 0, ...over });

test("jobs with equal parameters share one call; each gets its own rows back", async () => {
  const be = scripted();
  const b = new Batcher(be, { windowMs: 0 });
  const out = await Promise.all([b.submit([[1], [1]], P()), b.submit([[2]], P()), b.submit([[3], [3], [3]], P())]);
  assert.equal(be.calls.length, 1);
  assert.deepEqual(out.map((o) => o.map((c) => c.text)), [["1", "1"], ["2"], ["3", "3", "3"]]);
  const { busyMs, ...counts } = b.stats;
  assert.deepEqual(counts, { calls: 1, jobs: 3, rows: 6, largestCall: 6 });
  assert.ok(busyMs >= 0);
});

test("different parameters go to different calls, oldest first", async () => {
  const be = scripted();
  const b = new Batcher(be, { windowMs: 0 });
  await Promise.all([b.submit([[1]], P({ temperature: 0.5 })), b.submit([[2]], P()), b.submit([[3]], P({ temperature: 0.5 })), b.submit([[4]], P({ stop: ["x"] }))]);
  assert.deepEqual(be.calls.map((c) => c.rows.flat()), [[1, 3], [2], [4]]);
  assert.equal(be.calls[0]!.opts.temperature, 0.5);
  assert.deepEqual(be.calls[2]!.opts.stop, ["x"]);
});

test("seeded jobs run alone with their own seed; unseeded calls get a seed too", async () => {
  const be = scripted();
  const b = new Batcher(be, { windowMs: 0 });
  await Promise.all([b.submit([[1]], P(), 42), b.submit([[2]], P(), 42), b.submit([[3]], P()), b.submit([[4]], P())]);
  assert.deepEqual(be.calls.map((c) => c.rows.flat()), [[1], [2], [3, 4]]);
  assert.equal(be.calls[0]!.opts.seed, 42);
  assert.equal(be.calls[1]!.opts.seed, 42);
  assert.ok(Number.isInteger(be.calls[2]!.opts.seed));
});

test("maxBatch bounds the rows of a call; a single larger job still runs", async () => {
  const be = scripted();
  const b = new Batcher(be, { maxBatch: 4, windowMs: 0 });
  await Promise.all([b.submit([[1], [1], [1]], P()), b.submit([[2], [2]], P()), b.submit([[3]], P()), b.submit([[5], [5], [5], [5], [5], [5]], P())]);
  assert.deepEqual(be.calls.map((c) => c.rows.length), [4, 2, 6]);
  assert.deepEqual(be.calls[0]!.rows.flat(), [1, 1, 1, 3]);
});

test("jobs arriving while the engine is busy go in the next call together", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const calls: number[][] = [];
  const be: SampleBackend = {
    sampleRows: async (rows) => {
      calls.push(rows.flat());
      if (calls.length === 1) await gate;
      return rows.map((r): Completion => ({ text: String(r[0]), completionTokens: 1, finishReason: "length" }));
    },
  };
  const b = new Batcher(be, { windowMs: 0 });
  const first = b.submit([[1]], P());
  await new Promise((r) => setImmediate(r));
  const later = [b.submit([[2]], P()), b.submit([[3]], P()), b.submit([[4]], P())];
  assert.equal(b.waiting, 3);
  release();
  await Promise.all([first, ...later]);
  assert.deepEqual(calls, [[1], [2, 3, 4]]);
});

test("the window gathers requests that arrive shortly after one another", async () => {
  const be = scripted();
  const b = new Batcher(be, { windowMs: 30 });
  const a = b.submit([[1]], P());
  await new Promise((r) => setTimeout(r, 5));
  const c = b.submit([[2]], P());
  await Promise.all([a, c]);
  assert.deepEqual(be.calls.map((x) => x.rows.flat()), [[1, 2]]);
});

test("an engine error rejects every job of that call and the batcher keeps going", async () => {
  const be = scripted(true);
  const b = new Batcher(be, { windowMs: 0 });
  const r = await Promise.allSettled([b.submit([[1]], P()), b.submit([[2]], P())]);
  assert.deepEqual(r.map((x) => x.status), ["rejected", "rejected"]);
  assert.match(String((r[0] as PromiseRejectedResult).reason), /engine exploded/);
  await assert.rejects(b.submit([[3]], P()), /engine exploded/);
  assert.equal(be.calls.length, 2);
});

test("a job withdrawn while queued never reaches the engine; others still run", async () => {
  const be = scripted();
  const b = new Batcher(be, { windowMs: 20 });
  const ac = new AbortController();
  const gone = b.submit([[1]], P(), undefined, ac.signal);
  const kept = b.submit([[2]], P());
  ac.abort();
  await assert.rejects(gone, /withdrawn before sampling/);
  assert.deepEqual((await kept).map((c) => c.text), ["2"]);
  assert.deepEqual(be.calls.map((c) => c.rows.flat()), [[2]]);
  assert.equal(b.waiting, 0);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { apportion, largestFeasibleTotal, mixStep, parseRatios, collect, fromArray, type CurateRecord } from "../../src/data/curate/index.js";

const pool = (source: string, n: number): CurateRecord[] => Array.from({ length: n }, (_, i) => ({ id: `${source}/${i}`, source, question: `q${i}` }));

test("apportion: largest remainder, counts sum to N exactly", () => {
  assert.deepEqual(apportion([55, 7.5, 37.5], 1000), [550, 75, 375]);
  assert.deepEqual(apportion([55, 7.5, 37.5], 7), [4, 0, 3]);
  assert.deepEqual(apportion([1, 1, 1], 10), [4, 3, 3]);
  for (let n = 0; n < 200; n++) assert.equal(apportion([0.55, 0.075, 0.375], n).reduce((a, b) => a + b, 0), n);
  assert.throws(() => apportion([0, 0], 5), /positive sum/);
  assert.equal(largestFeasibleTotal([55, 7.5, 37.5], [1000, 100, 1000]), 1333);
});

test("mix: TriMER ratios, exact counts, without replacement, seeded", async () => {
  const input = [...pool("multi", 800), ...pool("hand", 100), ...pool("web", 600)];
  const ratios = parseRatios("multi=55,hand=7.5,web=37.5");
  const run = mixStep(fromArray(input), { ratios, total: 1000, seed: 5 });
  const out = await collect(run.records);
  assert.equal(out.length, 1000);
  const count = (s: string): number => out.filter((r) => r.source === s).length;
  assert.deepEqual([count("multi"), count("hand"), count("web")], [550, 75, 375]);
  assert.equal(new Set(out.map((r) => r.id)).size, 1000);
  assert.ok(out.every((r) => (r.meta as Record<string, string>).mixSource === r.source));
  assert.deepEqual(run.report().sources.hand, { ratio: 7.5, available: 100, target: 75, taken: 75 });
  const again = await collect(mixStep(fromArray(input), { ratios, total: 1000, seed: 5 }).records);
  assert.deepEqual(again.map((r) => r.id), out.map((r) => r.id));
  const other = await collect(mixStep(fromArray(input), { ratios, total: 1000, seed: 6 }).records);
  assert.notDeepEqual(other.map((r) => r.id), out.map((r) => r.id));
});

test("mix: a short source is an error naming it, unless allowShort", async () => {
  const input = [...pool("a", 50), ...pool("b", 5), ...pool("c", 3)];
  await assert.rejects(collect(mixStep(fromArray(input), { ratios: { a: 1, b: 1 }, total: 20 }).records), /source "b" has 5 records, needs 10/);
  const run = mixStep(fromArray(input), { ratios: { a: 1, b: 1 }, total: 20, allowShort: true, shuffle: false });
  const out = await collect(run.records);
  assert.equal(out.length, 15);
  assert.deepEqual(run.report().unusedSources, { c: 3 });
  const dflt = mixStep(fromArray(input), { ratios: { a: 1, b: 1 } });
  assert.equal((await collect(dflt.records)).length, 10);
  assert.throws(() => parseRatios("a=1,b"), /"b" is not NAME=NUMBER/);
});

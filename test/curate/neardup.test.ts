import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseBands, candidateProbability, shingleSet, jaccardSorted, nearDedupeStep, collect, fromArray, normalizeText, type CurateRecord } from "../../src/data/curate/index.js";
import { FirstRootUnionFind } from "../../src/data/curate/minhash.js";
import { generate } from "../../src/data/synth/index.js";

test("chooseBands puts the S-curve near the threshold and within numPerm", () => {
  for (const [t, p] of [[0.8, 128], [0.5, 64], [0.9, 128], [0.7, 100]] as const) {
    const c = chooseBands(t, p);
    assert.ok(c.bands * c.rows <= p);
    assert.ok(c.sCurvePoint < t && t - c.sCurvePoint < 0.15, `t=${t}: S-curve point ${c.sCurvePoint}`);
    assert.ok(c.probabilityAtThreshold > 0.85, `t=${t}: P(candidate | s=t) = ${c.probabilityAtThreshold}`);
    assert.ok(candidateProbability(Math.min(1, t + 0.1), c.bands, c.rows) > 0.97);
  }
  assert.deepEqual([chooseBands(0.8, 128).bands, chooseBands(0.8, 128).rows], [16, 8]);
  assert.deepEqual([chooseBands(0.8, 128, 0.3, 0.7).bands, chooseBands(0.8, 128, 0.3, 0.7).rows], [11, 11]);
});

test("shingles: word tokens split numbers and symbols; Jaccard is exact on the sets", () => {
  assert.deepEqual(shingleSet("3x+5=20", { k: 2 }), shingleSet("3 x + 5 = 20", { k: 2 }));
  assert.deepEqual(shingleSet("Find X", { k: 2 }), shingleSet("find x", { k: 2 }));
  const a = shingleSet("one two three four five", { k: 2 }), b = shingleSet("one two three four six", { k: 2 });
  assert.equal(a.length, 4);
  assert.equal(jaccardSorted(a, b), 3 / 5);
  assert.equal(shingleSet("short", { k: 3 }).length, 1);
  assert.equal(shingleSet("", { k: 3 }).length, 0);
  assert.equal(shingleSet("abcdef", { kind: "char", k: 5 }).length, 2);
});

test("near-dedupe on a hand fixture: two planted near-duplicates removed, clusters reported with examples", async () => {
  const q = [
    "A train leaves the station at 3 pm and travels at 60 miles per hour toward a city that is 240 miles away. At what time does it arrive?",
    "A train leaves the station at 3 pm and travels at 60 miles per hour towards a city that is 240 miles away. At what time does it arrive?",
    "Find the number of positive divisors of 3600.",
    "How many ways can 5 people be seated around a round table if two of them refuse to sit next to each other?",
    "How many ways can 5 people be seated around a round table if two of them refuse to sit next to each other ?  ",
    "Find the remainder when 2^100 is divided by 7.",
  ];
  const recs: CurateRecord[] = q.map((question, i) => ({ id: `p${i}`, question, answer: "1" }));
  const run = nearDedupeStep(fromArray(recs), { threshold: 0.8 });
  const out = await collect(run.records);
  assert.deepEqual(out.map((r) => r.id), ["p0", "p2", "p3", "p5"]);
  const rep = run.report();
  assert.equal(rep.removed, 2);
  assert.equal(rep.clusters, 2);
  assert.deepEqual(rep.clusterSizes, { "2": 2 });
  assert.deepEqual(rep.examples.map((c) => [c.kept.id, c.removed.map((r) => r.id)]), [["p0", ["p1"]], ["p3", ["p4"]]]);
  assert.ok(rep.examples[0]!.removed[0]!.jaccard >= 0.8 && rep.examples[0]!.removed[0]!.jaccard < 1);
  assert.equal(rep.examples[1]!.removed[0]!.jaccard, 1);
  assert.equal(rep.bands * rep.rows <= rep.numPerm, true);
});

/** Exact all-pairs clustering: what LSH should reproduce. */
function bruteForceRoots(texts: string[], threshold: number): number[] {
  const sets = texts.map((t) => shingleSet(normalizeText(t)));
  const uf = new FirstRootUnionFind(texts.length);
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) if (jaccardSorted(sets[i]!, sets[j]!) >= threshold) uf.union(i, j);
  return texts.map((_, i) => uf.find(i));
}

test("near-dedupe on 300 synthetic problems + 30 planted edits matches exact all-pairs clustering", async () => {
  const base = Array.from({ length: 300 }, (_, i) => generate(7, i, { modes: [] }));
  const recs: CurateRecord[] = base.map((p) => ({ id: p.id, question: p.question, answer: p.answer }));
  // planted near-duplicates: one word of a long question changed (a re-worded copy, as scraped data has)
  const planted: string[] = [];
  for (const p of base.filter((b) => b.question.split(/\s+/).length >= 30).slice(0, 30)) {
    const words = p.question.split(" ");
    words[Math.floor(words.length / 2)] = "indeed";
    recs.push({ id: `${p.id}-copy`, question: words.join(" "), answer: p.answer });
    planted.push(p.id);
  }
  assert.equal(planted.length, 30);
  const threshold = 0.7;
  const run = nearDedupeStep(fromArray(recs), { threshold });
  const out = await collect(run.records);
  const kept = new Set(out.map((r) => r.id as string));
  for (const id of planted) {
    assert.ok(!kept.has(`${id}-copy`), `${id}-copy should be removed`);
  }
  const roots = bruteForceRoots(recs.map((r) => r.question as string), threshold);
  const expectedKept = recs.filter((_, i) => roots[i] === i).map((r) => r.id);
  assert.deepEqual(out.map((r) => r.id), expectedKept);
  assert.equal(run.report().removed, recs.length - expectedKept.length);
});

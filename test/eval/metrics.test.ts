import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bootstrapMean, breakdown, defaultKs, majAtK, majorityPick, median, passAtK, rmAtK, rmPick, summarize, tokenLimitSweep,
  type GradedProblem, type GradedSample,
} from "../../src/eval/metrics.js";

/** pass@k by definition: the fraction of all k-subsets of the n samples that contain at least one correct one. */
function passAtKBrute(n: number, c: number, k: number): number {
  let hit = 0, total = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0, anyCorrect = false;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) { bits++; if (i < c) anyCorrect = true; }
    if (bits !== k) continue;
    total++;
    if (anyCorrect) hit++;
  }
  return hit / total;
}

test("passAtK equals brute-force enumeration of k-subsets for every n ≤ 10, c, k", () => {
  for (let n = 1; n <= 10; n++) {
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) {
        const want = passAtKBrute(n, c, k);
        assert.ok(Math.abs(passAtK(n, c, k) - want) < 1e-12, `n=${n} c=${c} k=${k}: ${passAtK(n, c, k)} vs ${want}`);
      }
    }
  }
});

test("passAtK: pass@1 is c/n, stays finite for large n, rejects bad arguments", () => {
  assert.equal(passAtK(8, 3, 1), 3 / 8);
  assert.equal(passAtK(8, 0, 8), 0);
  assert.equal(passAtK(8, 1, 8), 1);
  // C(1000, 500) overflows a double; the product form does not: 1 - C(990,10)/C(1000,10).
  let ratio = 1;
  for (let i = 0; i < 10; i++) ratio *= (990 - i) / (1000 - i);
  assert.ok(Math.abs(passAtK(1000, 10, 10) - (1 - ratio)) < 1e-12);
  assert.ok(Number.isFinite(passAtK(1000, 500, 500)));
  assert.throws(() => passAtK(4, 1, 5), /1 ≤ k ≤ n/);
  assert.throws(() => passAtK(4, 5, 1), /0 ≤ c ≤ n/);
  assert.throws(() => passAtK(4, 1.5, 1), /integers/);
});

const s = (cluster: number | null, correct: boolean, extra: Partial<GradedSample> = {}): GradedSample => ({ cluster, correct, ...extra });

test("majority vote groups by cluster id, ignores samples without an answer, breaks ties by first appearance", () => {
  // clusters: 0 ×2, 1 ×3 (correct), null ×3 → cluster 1 wins although null is the most common "answer".
  const xs = [s(0, false), s(null, false), s(1, true), s(null, false), s(1, true), s(0, false), s(1, true), s(null, false)];
  assert.equal(majorityPick(xs, 8), 2);
  assert.equal(majAtK(xs, 8), 1);
  // Over the first 2 samples only cluster 0 has a vote.
  assert.equal(majorityPick(xs, 2), 0);
  assert.equal(majAtK(xs, 2), 0);
  // First 6: clusters 0 and 1 tie 2–2; cluster 0 appeared first, so it wins (Counter.most_common order).
  assert.equal(majAtK(xs, 6), 0);
  // No answers at all: no pick, counted wrong.
  assert.equal(majorityPick([s(null, false), s(null, false)], 2), null);
  assert.equal(majAtK([s(null, false)], 1), 0);
});

test("rm@k picks the highest score among the first k; ties go to the earliest; unscored samples are skipped", () => {
  const xs = [s(0, false, { rmScore: 0.2 }), s(1, true, { rmScore: 0.9 }), s(2, false, { rmScore: 0.95 }), s(3, true, { rmScore: 0.95 })];
  assert.equal(rmPick(xs, 1), 0);
  assert.equal(rmAtK(xs, 2), 1);
  assert.equal(rmPick(xs, 4), 2);
  assert.equal(rmAtK(xs, 4), 0);
  assert.equal(rmPick([s(0, true), s(0, true)], 2), null);
  assert.equal(rmPick([s(0, true), s(0, false, { rmScore: -3 })], 2), 1);
});

test("median of odd and even lists; defaultKs", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(defaultKs(8), [1, 2, 4, 8]);
  assert.deepEqual(defaultKs(6), [1, 2, 4, 6]);
  assert.deepEqual(defaultKs(1), [1]);
});

test("bootstrap: same seed same interval, constant data has zero width, 30 coin flips give about ±0.18", () => {
  const flips = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const a = bootstrapMean(flips, { seed: 3, iterations: 2000 });
  const b = bootstrapMean(flips, { seed: 3, iterations: 2000 });
  assert.deepEqual(a, b);
  assert.equal(a.value, 0.5);
  assert.ok(a.low < 0.5 && a.high > 0.5);
  // Normal approximation: 1.96 · sqrt(0.25 / 30) = 0.179 on each side.
  const width = a.high - a.low;
  assert.ok(width > 0.3 && width < 0.42, `width ${width}`);
  const c = bootstrapMean([0.75, 0.75, 0.75], { seed: 1 });
  assert.deepEqual(c, { value: 0.75, low: 0.75, high: 0.75 });
  assert.throws(() => bootstrapMean(flips, { confidence: 1 }), /confidence/);
});

test("token-limit sweep counts a sample only if correct and finished within the limit", () => {
  const p: GradedProblem[] = [
    { id: "a", samples: [s(0, true, { tokens: 100 }), s(0, true, { tokens: 300 }), s(1, false, { tokens: 50 }), s(0, true, { tokens: 1000 })] },
    { id: "b", samples: [s(0, true, { tokens: 200 }), s(0, false, { tokens: 1000 }), s(0, true, { tokens: 700 }), s(0, true, { tokens: 900 })] },
  ];
  assert.deepEqual(tokenLimitSweep(p, [1000, 100, 500]), [
    { limit: 100, accuracy: (1 / 4 + 0) / 2 },
    { limit: 500, accuracy: (2 / 4 + 1 / 4) / 2 },
    { limit: 1000, accuracy: (3 / 4 + 3 / 4) / 2 },
  ]);
});

test("summarize: accuracy, pass@k, maj@k, rm@k, tokens and level breakdown on a hand-computed set", () => {
  const problems: GradedProblem[] = [
    // 1 of 4 correct; majority (cluster 0, 3 votes) wrong; RM picks the correct one.
    { id: "p1", level: "1", domain: "algebra", samples: [s(0, false, { tokens: 10, rmScore: 0 }), s(1, true, { tokens: 20, rmScore: 5 }), s(0, false, { tokens: 30, rmScore: 1 }), s(0, false, { tokens: 40, rmScore: 2 })] },
    // 3 of 4 correct; majority right; RM picks the wrong one.
    { id: "p2", level: "2", domain: "algebra", samples: [s(0, true, { tokens: 50, rmScore: 0 }), s(0, true, { tokens: 60, rmScore: 0 }), s(1, false, { tokens: 70, rmScore: 9 }), s(0, true, { tokens: 80, rmScore: 1 })] },
  ];
  const r = summarize(problems, { bootstrap: { iterations: 200 } });
  assert.equal(r.problems, 2);
  assert.equal(r.samplesPerProblem, 4);
  assert.equal(r.accuracy.value, (0.25 + 0.75) / 2);
  assert.deepEqual(r.atK.map((x) => x.k), [1, 2, 4]);
  const at4 = r.atK[2]!;
  assert.equal(at4.passAtK.value, 1);
  assert.equal(at4.majAtK.value, 0.5);
  assert.equal(at4.rmAtK!.value, 0.5);
  // pass@2: p1 1 − C(3,2)/C(4,2) = 0.5; p2 1 − 0 = 1.
  assert.equal(r.atK[1]!.passAtK.value, 0.75);
  assert.deepEqual(r.tokens, { samples: 8, mean: 45, median: 45, max: 80 });
  assert.deepEqual(r.byLevel.map((g) => [g.key, g.accuracy.value, g.majAtN]), [["1", 0.25, 0], ["2", 0.75, 1]]);
  assert.deepEqual(r.byDomain.map((g) => [g.key, g.problems, g.samples]), [["algebra", 2, 8]]);
  // default sweep: 256 is above every completion, so one point at the longest completion.
  assert.deepEqual(r.tokenSweep, [{ limit: 80, accuracy: 0.5 }]);
  // Level keys sort numerically, not as strings.
  const many = ["10", "2", "1"].map((level) => ({ id: level, level, samples: [s(0, true)] }));
  assert.deepEqual(breakdown(many, (p) => p.level).map((g) => g.key), ["1", "2", "10"]);
});

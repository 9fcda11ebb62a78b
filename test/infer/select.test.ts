import { test } from "node:test";
import assert from "node:assert/strict";
import { bestScored, selectCandidate, tallyVotes, type Candidate } from "../../src/infer/select.js";
import { majorityPick } from "../../src/eval/metrics.js";

test("reward: argmax of the score, ties to the lowest index", () => {
  const c: Candidate[] = [
    { text: "\\boxed{1}", score: 0.5 },
    { text: "\\boxed{2}", score: 2 },
    { text: "\\boxed{3}", score: 2 },
  ];
  const s = selectCandidate(c, "reward");
  assert.equal(s.index, 1);
  assert.equal(s.answer, "2");
  assert.throws(() => selectCandidate([{ text: "x" }], "reward"), /candidate 0 has none/);
});

test("majority groups equivalent answers (1/2 = 0.5 = \\frac{1}{2})", () => {
  const c: Candidate[] = [
    { text: "the answer is \\boxed{3}" },
    { text: "\\boxed{0.5}" },
    { text: "\\boxed{\\frac{1}{2}}" },
    { text: "\\boxed{1/2}" },
    { text: "\\boxed{3}" },
  ];
  const s = selectCandidate(c, "majority");
  assert.equal(s.answer, "0.5");
  assert.equal(s.index, 1); // no scores: the first member of the winning answer
  assert.deepEqual(s.clusters.map((k) => [k.members, k.votes]), [[[0, 4], 2], [[1, 2, 3], 3]]);
});

test("majority ties go to the answer seen first; scores pick the member", () => {
  const c: Candidate[] = [
    { text: "", answer: "7", score: 0 },
    { text: "", answer: "5", score: 9 },
    { text: "", answer: "5", score: 1 },
    { text: "", answer: "7", score: 3 },
    { text: "", answer: null, score: 100 },
  ];
  const s = selectCandidate(c, "majority");
  assert.equal(s.answer, "7");
  assert.equal(s.index, 3); // highest-scored member of the "7" cluster
});

test("reward-weighted vote: sigmoid weights by hand, identity weights, and the no-answer fallback", () => {
  // Sigmoid: "4" gets σ(3) ≈ 0.953; "6" gets σ(-1) + σ(-1) ≈ 0.538. The single confident vote wins.
  const c: Candidate[] = [
    { text: "", answer: "6", score: -1 },
    { text: "", answer: "4", score: 3 },
    { text: "", answer: "6", score: -1 },
  ];
  const s = selectCandidate(c, "weighted");
  assert.equal(s.answer, "4");
  assert.equal(s.index, 1);
  assert.ok(Math.abs(s.clusters[0]!.votes - 2 / (1 + Math.E)) < 1e-12);
  // Identity weights: "6" gets 0.4 + 0.4 = 0.8 > 0.7.
  const p: Candidate[] = [
    { text: "", answer: "6", score: 0.4 },
    { text: "", answer: "4", score: 0.7 },
    { text: "", answer: "6", score: 0.4 },
  ];
  assert.equal(selectCandidate(p, "weighted", { scoreToWeight: "identity" }).answer, "6");
  assert.throws(() => selectCandidate(c, "weighted", { scoreToWeight: "identity" }), /needs scores ≥ 0/);
  // Nothing to vote on: majority takes candidate 0; weighted takes the best-scored.
  const none: Candidate[] = [{ text: "no idea", answer: null, score: 1 }, { text: "hmm", answer: null, score: 2 }];
  assert.deepEqual([selectCandidate(none, "majority").index, selectCandidate(none, "weighted").index], [0, 1]);
  assert.equal(selectCandidate(none, "majority").answer, null);
});

test("weighted ties within rounding go to the answer seen first", () => {
  // 0.1 + 0.2 ≠ 0.3 in floating point; the two answers' totals differ only in the last bit.
  const c: Candidate[] = [
    { text: "", answer: "1", score: 0.3 },
    { text: "", answer: "2", score: 0.1 },
    { text: "", answer: "2", score: 0.2 },
  ];
  const s = selectCandidate(c, "weighted", { scoreToWeight: "identity" });
  assert.ok(s.clusters[1]!.votes > s.clusters[0]!.votes); // the float sums really differ
  assert.equal(s.answer, "1");
  assert.throws(() => selectCandidate([], "majority"), /no candidates/);
});

test("tallyVotes / bestScored: the picks maj@k and rm@k share with selectCandidate", () => {
  // Cluster ids need not be in order of appearance; ties go to the group that appears first.
  const t = tallyVotes([7, null, 3, 3, 7, 1]);
  assert.deepEqual(t.groups.map((g) => [g.cluster, g.members]), [[7, [0, 4]], [3, [2, 3]], [1, [5]]]);
  assert.equal(t.winner?.cluster, 7);
  assert.equal(tallyVotes([null, null]).winner, null);
  assert.equal(tallyVotes([0, 1, 1], (i) => (i === 0 ? 3 : 1)).winner?.cluster, 0);
  assert.equal(bestScored([1, undefined, 5, NaN, 5]), 2);
  assert.equal(bestScored([1, 9, 5], [0, 2]), 2);
  assert.equal(bestScored([undefined]), null);
  // majority via selectCandidate and via eval's majorityPick agree on the same votes.
  const texts = ["\\boxed{2}", "\\boxed{3}", "\\boxed{3}", "\\boxed{2}", "\\boxed{5}"];
  const sel = selectCandidate(texts.map((text) => ({ text })), "majority");
  assert.equal(majorityPick(sel.clusters.flatMap((c, k) => c.members.map((i) => ({ i, k }))).sort((a, b) => a.i - b.i).map(({ k }) => ({ correct: false, cluster: k })), 5), sel.index);
});

test("majority-rm: the vote decides; a tie between the most-voted answers goes to the best-scored candidate", () => {
  // 2–2 tie (answers 4 and 5): majority takes 4 (seen first); majority-rm takes 5, whose member scores 3.
  const tie: Candidate[] = [
    { text: "", answer: "4", score: 1 },
    { text: "", answer: "5", score: 0 },
    { text: "", answer: "4", score: 2 },
    { text: "", answer: "5", score: 3 },
  ];
  assert.equal(selectCandidate(tie, "majority").answer, "4");
  const s = selectCandidate(tie, "majority-rm");
  assert.deepEqual([s.answer, s.index, s.method], ["5", 3, "majority-rm"]);
  // A real majority is kept even against a much higher score (reward would take it; majority-rm does not).
  const maj: Candidate[] = [
    { text: "", answer: "4", score: -1 },
    { text: "", answer: "9", score: 10 },
    { text: "", answer: "8/2", score: -2 },
  ];
  assert.equal(selectCandidate(maj, "reward").answer, "9");
  assert.equal(selectCandidate(maj, "majority-rm").answer, "4");
  assert.equal(selectCandidate(maj, "majority-rm").index, 0); // the best-scored member of the winning answer
  // 1–1–1 (every agent disagrees): the reward model's pick, as rerank among the answered candidates.
  const split: Candidate[] = [{ text: "", answer: "1", score: 0 }, { text: "", answer: null, score: 9 }, { text: "", answer: "3", score: 1 }, { text: "", answer: "2", score: 0.5 }];
  assert.equal(selectCandidate(split, "majority-rm").answer, "3");
  // Equal best scores in the tie: the answer seen first; no answer anywhere: the best-scored candidate, answer null.
  assert.equal(selectCandidate([{ text: "", answer: "7", score: 1 }, { text: "", answer: "6", score: 1 }], "majority-rm").answer, "7");
  const none = selectCandidate([{ text: "a", answer: null, score: 0 }, { text: "b", answer: null, score: 2 }], "majority-rm");
  assert.deepEqual([none.index, none.answer], [1, null]);
  assert.throws(() => selectCandidate([{ text: "", answer: "1" }], "majority-rm"), /method "majority-rm" needs a score for every candidate/);
});

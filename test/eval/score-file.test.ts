import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterByString } from "../../src/eval/grader.js";
import { majorityPick, rmPick } from "../../src/eval/metrics.js";
import { selectCandidate } from "../../src/infer/select.js";
import { readScoreFile, scoreProblems } from "../../src/eval/score-file.js";
import { verifierGrader } from "../../src/eval/verifier-grader.js";

const QWEN = fileURLToPath(new URL("../../../shared/data/qwen_rm_maj_example/math_cot_100.jsonl", import.meta.url));

test("scoring the Qwen2.5-Math example: the file's own figures, and ours with the reasons they differ", () => {
  const grader = verifierGrader();
  const problems = readScoreFile(QWEN, grader);
  assert.equal(problems.length, 100);
  const s = scoreProblems(QWEN, problems, grader, { iterations: 200 });
  assert.equal(s.samplesPerProblem, 8);
  const [labels, labelsClustered, ours] = s.headline;
  // The figures quoted for the file, from its own labels: pass@1 0.91, maj@8 (exact-string vote) 0.93, rm@8 0.94.
  assert.deepEqual(labels, { view: "file labels, exact-string vote", passAt1: 0.91, majAtN: 0.93, rmAtN: 0.94 });
  // Grouping the file's extracted answers by verified equivalence merges only one pair in the whole file
  // (problem 72: "9999.857142857143" and "9999\frac{6}{7}"), a minority cluster, so no maj@8 outcome changes.
  assert.deepEqual(labelsClustered, { view: "file labels, verifier-grouped vote", passAt1: 0.91, majAtN: 0.93, rmAtN: 0.94 });
  assert.deepEqual(s.groupingChanges, []);
  const merged = problems.filter((p) => {
    const preds = p.samples.map((x) => x.filePred);
    return new Set(clusterByString(preds)).size !== new Set(grader.cluster(preds)).size;
  });
  assert.deepEqual(merged.map((p) => p.id), ["72"]);
  // Our verifier re-grades every response. It disagrees with the file's labels only where the file's grader was
  // wrong: problem 72 sample 7 ("10000" against gold "10{,}000", the known grader mistake), and — depending on how
  // strict the verifier is about units — problem 3 ×8, whose gold was mangled to "4:30p.." by the file's answer
  // cleaning while the responses answer "4:30 \text{ p.m.}" (measured: counted equal by the verifier of 21:22 UTC,
  // not equal by that of 21:27 UTC). Every flip is wrong → right.
  const flips = s.disagreements.map((d) => `${d.problemId}#${d.sample}:${d.fileLabel}->${d.correct}`);
  const problem3 = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => `3#${j}:false->true`);
  const flips3 = flips.some((f) => f.startsWith("3#"));
  assert.deepEqual(flips, flips3 ? [...problem3, "72#7:false->true"] : ["72#7:false->true"]);
  // So pass@1 rises by flips/800; maj@8 by problem 3 if it flipped (problem 72's majority, "9999", stays wrong);
  // rm@8 by problem 72 (the RM's pick there is sample 7) and by problem 3 if it flipped.
  assert.equal(ours!.view, "our verifier, verifier-grouped vote");
  assert.equal(ours!.passAt1, 0.91 + flips.length / 800);
  assert.equal(ours!.majAtN, flips3 ? 0.94 : 0.93);
  assert.equal(ours!.rmAtN, flips3 ? 0.96 : 0.95);
  assert.equal(rmPick(problems.find((p) => p.id === "72")!.samples.map((x) => ({ correct: x.correct, cluster: null, rmScore: x.rmScore! })), 8), 7);
  // Levels come from "Level N" and the summaries carry bootstrap intervals around the point estimates.
  assert.deepEqual(s.verifier.byLevel.map((g) => [g.key, g.problems]), [["1", 11], ["2", 16], ["3", 24], ["4", 24], ["5", 25]]);
  assert.ok(s.labels!.accuracy.low < 0.91 && s.labels!.accuracy.high > 0.91);
});

test("maj@k and rm@k pick what infer/select.ts picks (same tie rules) on every problem of the Qwen file", () => {
  const grader = verifierGrader();
  const problems = readScoreFile(QWEN, grader);
  let ties = 0;
  for (const p of problems) {
    for (const k of [1, 2, 3, 5, 8]) {
      const first = p.samples.slice(0, k);
      const answers = first.map((x) => x.extracted);
      const clusters = grader.cluster(answers);
      const graded = first.map((x, j) => ({ correct: x.correct, cluster: clusters[j] ?? null, rmScore: x.rmScore! }));
      const cands = first.map((x) => ({ text: x.response, answer: x.extracted }));
      const maj = selectCandidate(cands, "majority");
      const mine = majorityPick(graded, k);
      assert.equal(mine === null ? null : answers[mine], maj.answer, `problem ${p.id} k=${k}`);
      const counts = maj.clusters.map((c) => c.members.length).sort((a, b) => b - a);
      if (counts.length > 1 && counts[0] === counts[1]) ties++;
      const rm = selectCandidate(first.map((x) => ({ text: x.response, answer: x.extracted, score: x.rmScore! })), "reward");
      assert.equal(rmPick(graded, k), rm.index, `problem ${p.id} k=${k}`);
    }
  }
  assert.ok(ties >= 10, `the comparison covers tied votes (${ties}; 14 measured)`);
});

test("a malformed score file is reported with its line and field", () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-score-"));
  const f = join(dir, "bad.jsonl");
  const good = JSON.stringify({ question: "1+1?", gt: "2", response: ["\\boxed{2}", "\\boxed{3}"], pred: ["2", "3"], score: [true, false], pred_score: [[0.5], [0.1]] });
  writeFileSync(f, `${good}\n${JSON.stringify({ question: "2+2?", gt: "4", response: ["\\boxed{4}"] })}\n`);
  assert.throws(() => readScoreFile(f, verifierGrader()), /bad\.jsonl:2: field "response" has 1 responses, earlier lines have 2/);
  writeFileSync(f, `${good}\n{"question": "x", "gt": \n`);
  assert.throws(() => readScoreFile(f, verifierGrader()), /bad\.jsonl:2: not valid JSON/);
  writeFileSync(f, good.replace('"pred_score":[[0.5],[0.1]]', '"pred_score":[[0.5],"high"]') + "\n");
  assert.throws(() => readScoreFile(f, verifierGrader()), /bad\.jsonl:1: field "pred_score"\[1\] must be a number/);
  // A file without labels still scores with our verifier alone.
  writeFileSync(f, JSON.stringify({ question: "1+1?", gt: "2", response: ["so \\boxed{2}", "\\boxed{3}"] }) + "\n");
  const s = scoreProblems(f, readScoreFile(f, verifierGrader()), verifierGrader(), { iterations: 10 });
  assert.deepEqual(s.headline, [{ view: "our verifier, verifier-grouped vote", passAt1: 0.5, majAtN: 1, rmAtN: null }]);
});

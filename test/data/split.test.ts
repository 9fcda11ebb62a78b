import { test } from "node:test";
import assert from "node:assert/strict";
import { generateSplit, overlapReport, splitOf, questionKey, tokens } from "../../src/data/synth/split.js";

test("train and holdout share no question (all domains, and tiny compact arithmetic)", () => {
  const cases = [
    { opts: {}, train: 1500, holdout: 200 },
    { opts: { domains: ["arithmetic"] as const, difficulty: [1, 1] as const, style: "compact" as const }, train: 600, holdout: 60 },
    { opts: { domains: ["arithmetic"] as const, difficulty: [4, 4] as const, style: "compact" as const }, train: 1000, holdout: 150 },
  ];
  for (const c of cases) {
    const opts = { ...c.opts, holdoutFraction: 0.2 };
    const train = generateSplit(1, "train", c.train, opts).problems;
    const holdout = generateSplit(1, "holdout", c.holdout, opts).problems;
    for (const p of holdout) assert.equal(splitOf(p.question, 0.2), "holdout");
    const r = overlapReport(train, holdout, 13);
    assert.equal(r.exact, 0, JSON.stringify(r));
    assert.equal(r.train, c.train);
    assert.equal(r.holdout, c.holdout);
  }
});

test("the split follows the normalised question, not the index", () => {
  assert.equal(questionKey("  What  is\n2+2? "), "what is 2+2?");
  assert.equal(splitOf("What is 2+2?", 0.5), splitOf("what  is 2+2?", 0.5));
  const n = 10_000;
  let held = 0;
  for (let i = 0; i < n; i++) if (splitOf(`q${i}`, 0.1) === "holdout") held++;
  assert.ok(held > 0.08 * n && held < 0.12 * n, `about 10% held out: ${held}`);
});

test("overlap report counts exact matches and shared n-grams", () => {
  assert.deepEqual(tokens("3*9+3-6="), ["3", "*", "9", "+", "3", "-", "6", "="]);
  const train = [{ question: "a b c d e" }, { question: "x y z" }];
  const holdout = [{ question: "a b c d e" }, { question: "q b c d r" }, { question: "m n" }];
  const r = overlapReport(train, holdout, 3);
  assert.equal(r.exact, 1);
  assert.equal(r.holdoutWithSharedNgram, 2); // "b c d" is shared by the second
  assert.equal(r.sharedNgramFraction, 4 / 7); // grams: (abc bcd cde) + (qbc bcd bcr) + (m n) → 3 + 1 shared of 7
});

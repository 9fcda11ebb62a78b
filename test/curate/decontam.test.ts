import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decontaminateStep, loadContaminationIndex, collect, fromArray, ContaminationIndex, type CurateRecord } from "../../src/data/curate/index.js";
import { generate } from "../../src/data/synth/index.js";

// Real benchmark files from ../shared/data; the training records below copy, quote or paraphrase known items.
const records: CurateRecord[] = [
  { id: "copy", question: "Problem 3.  A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?", answer: "3" },
  { id: "quote", question: "Suppose positive real numbers $x$ and $y$ satisfy $y^3=x^2$ and x+y=10. Find xy.", answer: "1" },
  { id: "short", question: "Answer this: How many positive whole-number divisors does 196 have? Explain.", answer: "9" },
  // a paraphrase sharing only 6- and 8-token spans with gsm8k/test/1: not contamination at n = 13
  { id: "paraphrase", question: "A robe needs 2 bolts of blue fiber and half as much white fiber. How many bolts in total are needed?", answer: "3" },
  { id: "clean", question: generate(3, 0, { modes: [] }).question, answer: "0" },
];

test("decontamination against GSM8K, MATH-500, AIME 2024, AMC 2023 reports every hit with its benchmark item", async () => {
  const index = await loadContaminationIndex(["gsm8k", "math500", "aime24", "amc23"]);
  assert.equal(index.items.length, 1319 + 500 + 30 + 40);
  assert.equal(index.perBenchmark.math500!.shortItems, 7);
  const run = decontaminateStep(fromArray(records), index);
  const out = await collect(run.records);
  assert.deepEqual(out.map((r) => r.id), ["paraphrase", "clean"]);
  const rep = run.report();
  assert.equal(rep.records, 5);
  assert.equal(rep.contaminated, 3);
  assert.equal(rep.removed, 3);
  assert.deepEqual(rep.byBenchmark, { gsm8k: 1, math500: 1, aime24: 0, amc23: 1 });
  assert.deepEqual(rep.hits.map((h) => [h.record, h.benchmark, h.item, h.ngram]), [
    ["copy", "gsm8k", "gsm8k/test/1", "a robe takes 2 bolts of blue fiber and half that much white"],
    ["quote", "amc23", "amc23/1", "positive real numbers $ x $ and $ y $ satisfy $ y"],
    ["short", "math500", "math500/test/number_theory/572.json", "how many positive whole - number divisors does 196 have ?"],
  ]);
  // the verbatim copy shares every one of the question's 13-grams
  assert.equal(rep.hits[0]!.sharedNgrams, 24 - 13 + 1);
});

test("decontamination against a file, n configurable, mark instead of drop", async () => {
  const dir = mkdtempSync(join(tmpdir(), "curate-decon-"));
  const bench = join(dir, "mybench.jsonl");
  writeFileSync(bench, [
    { id: "b1", problem: "Let f(x) = 2x + 3. What is f(f(1))?" },
    { id: "b2", question: "Compute 7 + 8." },
  ].map((o) => JSON.stringify(o)).join("\n") + "\n");
  const index = await loadContaminationIndex([bench], { n: 6, minShortTokens: 6 });
  const recs: CurateRecord[] = [
    { id: "r1", question: "Given f(x) = 2x + 3, compute f(f(1)).", meta: { a: 1 } },
    { id: "r2", question: "First compute 7 + 8. Then double it." }, // b2 is shorter than minShortTokens: equality only
    { id: "r3", question: "Compute 7+8." },                         // equal after normalisation
    { id: "r4", question: "Nothing shared here at all, really." },
  ];
  const run = decontaminateStep(fromArray(recs), index, { action: "mark" });
  const out = await collect(run.records);
  assert.equal(out.length, 4);
  assert.deepEqual(out[0]!.meta, { a: 1, contamination: [{ benchmark: "mybench", item: "b1", ngram: "f ( x ) = 2" }] });
  assert.equal(out[1]!.meta, undefined);
  assert.deepEqual(out[2]!.meta, { contamination: [{ benchmark: "mybench", item: "b2", ngram: "compute 7 + 8 ." }] });
  const rep = run.report();
  assert.equal(rep.contaminated, 2);
  assert.equal(rep.removed, 0);
  // shared spans "f ( x ) = 2 x + 3" (4 six-grams) and "f ( f ( 1 ) )" (2)
  assert.equal(rep.hits[0]!.sharedNgrams, 6);
});

test("the index refuses a bad n", () => {
  assert.throws(() => new ContaminationIndex(0), /positive integer/);
});

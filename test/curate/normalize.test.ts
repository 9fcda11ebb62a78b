import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeText, dedupeKey, normalizeStep, dedupeStep, collect, fromArray, type CurateRecord } from "../../src/data/curate/index.js";

test("normalizeText: NFKC without losing super/subscripts, whitespace, LaTeX spacing", () => {
  assert.equal(normalizeText("Find  x²+y₁₂ if $ \\dfrac{1}{2}\\,x = ５ $"), "Find x^2+y_{12} if $\\frac{1}{2} x = 5$");
  assert.equal(normalizeText("½ of 10 − 3"), "1/2 of 10 - 3");
  assert.equal(normalizeText("a\u00a0b\r\n\r\n\r\n\r\nc\t d"), "a b\n\nc d");
  assert.equal(normalizeText("x \\quad y\\;z \\\\, w"), "x y z \\\\, w");
  assert.equal(normalizeText("\ufeffﬁnd x ^ 2"), "find x^2");
  assert.equal(normalizeText("$ a $ and $ b+c $, \\$ 5"), "$a$ and $b+c$, \\$ 5");
  assert.equal(normalizeText("It costs $2 and then $3 more."), "It costs $2 and then $3 more.");
  assert.equal(dedupeKey("What is  2+2?"), dedupeKey("what is 2+2?\n"));
});

const P = (id: string, question: string, answer = "1", extra: Partial<CurateRecord> = {}): CurateRecord => ({ id, source: "t", question, answer, meta: { keep: id }, ...extra });

test("normalize step rewrites question and answer fields, keeps every other field", async () => {
  const run = normalizeStep(fromArray([P("a", "Solve  x² = 4", "\\dfrac{1}{2}", { extra: [1, 2] }), P("b", "ok", "2")]));
  const out = await collect(run.records);
  assert.deepEqual(out[0], { id: "a", source: "t", question: "Solve x^2 = 4", answer: "\\frac{1}{2}", meta: { keep: "a" }, extra: [1, 2] });
  assert.deepEqual(out[1], P("b", "ok", "2"));
  const r = run.report();
  assert.equal(r.records, 2);
  assert.equal(r.changed, 1);
  assert.deepEqual(r.changedByField, { question: 1, answer: 1 });
});

test("dedupe removes exact duplicates after normalisation, keeps the first, reports answer conflicts", async () => {
  const records = [
    P("1", "What is 3 + 4?", "7"),
    P("2", "Compute the sum of the first 10 primes.", "129"),
    P("3", "what is  3 + 4?", "7"),          // case + whitespace
    P("4", "Ｗhat is 3 + 4?", "8"),           // full-width W; different answer → conflict
    P("5", "Compute the sum of the first 10 primes.\n", "129"),
    P("6", "A different problem.", "2"),
    { id: "7", other: "no question field" },
  ];
  const run = dedupeStep(fromArray(records));
  const out = await collect(run.records);
  assert.deepEqual(out.map((r) => r.id), ["1", "2", "6", "7"]);
  const rep = run.report();
  assert.equal(rep.records, 7);
  assert.equal(rep.removed, 3);
  assert.equal(rep.missingField, 1);
  assert.deepEqual(rep.groups.map((g) => [g.kept, g.removed]), [["1", ["3", "4"]], ["2", ["5"]]]);
  assert.deepEqual(rep.answerConflicts, [{ kept: "1", keptAnswer: "7", removed: "4", removedAnswer: "8" }]);
});

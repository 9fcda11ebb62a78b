import { test } from "node:test";
import assert from "node:assert/strict";
import { filterStep, isProofProblem, isMultipleChoice, ruleDomain, parseDomainLabel, domainStep, collect, fromArray, type CurateRecord } from "../../src/data/curate/index.js";
import type { Sampler } from "../../src/engine/types.js";
import { loadBenchmarkAll } from "../../src/data/benchmarks.js";

const AMC_MC = "What is the value of $2^3 - 3^2$? $\\textbf{(A) } -1 \\qquad \\textbf{(B) } 0 \\qquad \\textbf{(C) } 1 \\qquad \\textbf{(D) } 2 \\qquad \\textbf{(E) } 17$";

test("problem-type detectors: proofs and multiple choice", () => {
  assert.ok(isProofProblem("Prove that there are infinitely many primes."));
  assert.ok(isProofProblem("Let $n$ be odd. Show that $n^2 - 1$ is divisible by 8."));
  assert.ok(!isProofProblem("Find the smallest prime greater than 100."));
  assert.ok(!isProofProblem("His report card needs to show that he received 80 or higher. What grade does he need?"));
  assert.ok(isMultipleChoice(AMC_MC));
  assert.ok(isMultipleChoice("Which of the following is prime?\nA) 21\nB) 23\nC) 25"));
  assert.ok(isMultipleChoice("Pick one.", "(C)"));
  assert.ok(!isMultipleChoice("Points A and B are 5 units apart. Find AB^2."));
});

test("on the real benchmarks: no proofs, and exactly MATH-500's three lettered-choice problems", async () => {
  for (const b of ["gsm8k", "aime24", "amc23"]) {
    const all = await loadBenchmarkAll(b);
    assert.equal(all.filter((p) => isProofProblem(p.question, p.answer) || isMultipleChoice(p.question, p.answer)).length, 0, b);
  }
  const math = await loadBenchmarkAll("math500");
  assert.equal(math.filter((p) => isProofProblem(p.question, p.answer)).length, 0);
  const mc = math.filter((p) => isMultipleChoice(p.question, p.answer));
  // the three whose answers are letters (\text{(C)} …); Asymptote point labels elsewhere are not options
  assert.deepEqual(mc.map((p) => p.answer), ["\\text{(C)}", "\\text{(E)}", "\\text{(B)}"]);
});

const R = (id: string, question: string, answer: string, meta: Record<string, string> = {}): CurateRecord => ({ id, question, answer, meta });

test("filter step: counts per reason, first reason wins, kept records untouched", async () => {
  const recs = [
    R("ok1", "Solve for x: 3x + 5 = 20.", "5"),
    R("proof", "Prove that $\\sqrt 2$ is irrational.", "See the proof above"),
    R("mc", AMC_MC, "(A)"),
    R("noans", "Compute 17 * 23.", ""),
    R("text", "What day of the week is it 10 days after Monday?", "Thursday"),
    R("short", "2+2?", "4"),
    R("long", `Compute ${"1 + ".repeat(200)}1.`, "201"),
    R("geo", "In triangle $ABC$, $AB = 3$, $BC = 4$ and $\\angle B = 90^\\circ$. Find the radius of the inscribed circle.", "1"),
    R("labelled", "Solve for y: 2y = 8.", "4", { domainLabel: "geometry" }),
  ];
  const run = filterStep(fromArray(recs), { dropTypes: ["proof", "multiple-choice"], minChars: 10, maxChars: 400, dropDomains: ["geometry"] });
  const out = await collect(run.records);
  assert.deepEqual(out.map((r) => r.id), ["ok1"]);
  assert.deepEqual(out[0], recs[0]);
  const rep = run.report();
  assert.deepEqual(rep.byReason, { proof: 1, "multiple-choice": 1, "no-answer": 1, "text-answer": 1, "too-short": 1, "too-long": 1, domain: 2 });
  assert.equal(rep.removed, 8);
  const loose = filterStep(fromArray(recs), { allowTextAnswers: true });
  assert.deepEqual((await collect(loose.records)).map((r) => r.id), ["ok1", "proof", "mc", "text", "short", "long", "geo", "labelled"]);
});

test("rule domains on typical problems", () => {
  const cases: [string, string][] = [
    ["What is the probability that two fair dice sum to 7?", "probability"],
    ["How many ways can 6 books be arranged on a shelf?", "combinatorics"],
    ["Find the remainder when $2^{100}$ is divided by 7.", "number-theory"],
    ["In triangle $ABC$, $\\angle A = 40^\\circ$. Find the area of its inscribed circle.", "geometry"],
    ["Solve for x: $x^2 - 5x + 6 = 0$.", "algebra"],
    ["Janet buys 3 apples at $2 each. How much does she spend in total?", "arithmetic"],
    ["Describe your favourite colour.", "other"],
  ];
  for (const [q, want] of cases) assert.equal(ruleDomain(q).label, want, q);
});

test("LLM domain labels are parsed from messy replies; unparsable replies fall back to rules", async () => {
  assert.equal(parseDomainLabel("Label: number theory"), "number-theory");
  assert.equal(parseDomainLabel("**Label:** Combinatorics"), "combinatorics");
  assert.equal(parseDomainLabel("<think>algebra or geometry?</think>\nLabel: geometry"), "geometry");
  assert.equal(parseDomainLabel("This is clearly a probability question."), "probability");
  assert.equal(parseDomainLabel("<think>maybe algebra"), null);
  assert.equal(parseDomainLabel("I don't know."), null);
  const replies = ["Label: algebra", "I cannot classify this.", "domain = Counting"];
  let call = 0;
  const sampler: Sampler = { sample: async (prompts) => prompts.map(() => [{ text: replies[call++]!, completionTokens: 3, finishReason: "stop" as const }]) };
  const recs = [R("a", "Solve 2x = 4.", "2"), R("b", "Find the remainder when 100 is divided by 7.", "2"), R("c", "In how many ways can 3 people sit in a row?", "6"), R("d", "x", "1", { domainLabel: "geometry" })];
  const run = domainStep(fromArray(recs), { method: { kind: "llm", sampler, batchSize: 2 } });
  const out = await collect(run.records);
  assert.deepEqual(out.map((r) => [(r.meta as Record<string, string>).domainLabel, (r.meta as Record<string, string>).domainLabelSource ?? "kept"]), [["algebra", "llm"], ["number-theory", "rules-fallback"], ["combinatorics", "llm"], ["geometry", "kept"]]);
  assert.equal(call, 3);
  const rep = run.report();
  assert.equal(rep.unparsed, 1);
  assert.deepEqual(rep.counts, { algebra: 1, "number-theory": 1, combinatorics: 1, geometry: 1 });
});

test("hostile texts (huge, many delimiters and option lines) go through every text function", async () => {
  const { normalizeText, shingleSet, ContaminationIndex } = await import("../../src/data/curate/index.js");
  const hostile = ["$ a ".repeat(50_000), "A) x\n".repeat(20_000), "(A)".repeat(30_000), "\\".repeat(100_000), "{".repeat(100_000)];
  const index = new ContaminationIndex(13);
  index.add({ benchmark: "b", id: "1", question: "Prove that for every integer n the number n^3 - n is divisible by six always." });
  for (const h of hostile) {
    assert.equal(typeof normalizeText(h), "string");
    assert.ok(shingleSet(h).length >= 1);
    assert.equal(index.match(h).length, 0);
    assert.equal(typeof isProofProblem(h), "boolean");
    assert.equal(typeof isMultipleChoice(h), "boolean");
    assert.equal(typeof ruleDomain(h).label, "string");
    assert.equal(parseDomainLabel(h), null);
  }
});

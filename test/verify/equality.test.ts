// Each format family of the issue, with cases that must be equal and cases that must NOT be equal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answersEqual, compareAnswerStrings, canonicalString, parseAnswer, clusterAnswers, type VerifyOptions } from "../../src/verify/index.js";

function eq(a: string, b: string, opts?: VerifyOptions): void {
  const r = compareAnswerStrings(a, b, opts);
  assert.equal(r.status, "equal", `expected ${JSON.stringify(a)} == ${JSON.stringify(b)}, got ${r.status} ${r.reason ?? ""}`);
}
function ne(a: string, b: string, opts?: VerifyOptions): void {
  const r = compareAnswerStrings(a, b, opts);
  assert.notEqual(r.status, "equal", `expected ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  assert.equal(answersEqual(a, b, opts), false);
}

test("integers and thousands separators", () => {
  eq("1000", "1,000");
  eq("10000", "10{,}000");
  eq("1000", "1\\,000");
  eq("10,\\!080", "10080");
  eq("11,\\! 111,\\! 111,\\! 100", "11111111100");
  eq("-49", "-49");
  ne("6290000", "6287000");
  ne("1000", "1001");
  // Inside brackets a comma separates items: (1,000) is the pair (1, 0).
  ne("(1,000)", "1000");
});

test("decimals, scientific notation, exact rationals", () => {
  eq("0.5", "\\frac{1}{2}");
  eq(".35625", "0.35625");
  eq("1.5e3", "1500");
  eq("1.5 \\times 10^{3}", "1500");
  eq("2.5\\cdot10^{-2}", "0.025");
  eq("37.50", "37.5");
  ne("9999.857142857143", "10000");
  // Exact: no float error, no underflow.
  ne("\\frac{1}{2004!}", "\\frac{1}{2006!}");
  eq("\\frac{1}{2004!}", "\\frac{2005 \\cdot 2006}{2006!}");
  eq("0.1+0.2", "0.3");
});

test("fractions in every spelling, mixed numbers", () => {
  eq("\\frac{3}{4}", "3/4");
  eq("\\dfrac{17}{50}", "0.34");
  eq("\\tfrac{1}{3}", "\\frac13");
  eq("\\frac 59", "5/9");
  eq("\\frac9{19}", "\\frac{9}{19}");
  eq("\\frac{270}7\\text{ degrees}", "\\frac{270}{7}");
  eq("12\\frac{3}{5}", "\\frac{63}{5}");
  eq("137 \\frac{1}{2}", "275/2");
  eq("-1\\frac{1}{2}", "-1.5");
  ne("1\\frac{1}{10}", "1\\frac{8}{91}");
  ne("1\\frac{1}{10}", "1\\frac{1}{9}");
  ne("\\frac{3}{8}", "\\frac{5}{16}");
  // Not a mixed number: an integer times a symbolic fraction.
  eq("2\\frac{\\pi}{3}", "\\frac{2\\pi}{3}");
});

test("percentages, degrees, currency, units", () => {
  eq("25\\%", "25");
  // One reading only: the % sign is a unit, so 25% never answers 0.25 (read both ways, one answer would match two
  // different golds).
  ne("25\\%", "0.25");
  ne("0.25", "25\\%");
  ne("25\\%", "0.3");
  eq("106^\\circ", "106");
  eq("30^{\\circ}", "30");
  eq("\\$18.90", "18.9");
  eq("\\$32,\\!348", "32348");
  eq("5.4 \\text{ cents}", "5.4");
  eq("864 \\mbox{ inches}^2", "864");
  eq("15\\mbox{ cm}^2", "15 cm^2");
  eq("18", "18 dollars");
  ne("5.4 \\text{ cents}", "5.5");
  // A one-letter "unit" glued to a number is a variable: 2h is 2·h, not 2 hours.
  ne("2h", "2");
  eq("2 h", "2");
});

test("roots, powers, constants, complex numbers", () => {
  eq("2\\sqrt{5}", "\\sqrt{20}");
  eq("\\sqrt2", "2^{1/2}");
  eq("\\sqrt[3]{8}", "2");
  eq("\\sqrt[3]{-27}", "-3");
  eq("11\\sqrt2", "\\sqrt{242}");
  eq("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}");
  eq("7\\pi", "\\pi \\cdot 7");
  eq("-2 + 7i", "7i - 2");
  eq("e^{i\\pi}", "-1");
  eq("i^2", "-1");
  eq("2^{10}", "1024");
  ne("\\sqrt{34}+3\\sqrt{10}", "28");
  ne("2\\sqrt{5}", "\\sqrt{21}");
  ne("1+274i", "1-274i");
  eq("\\infty", "\\infty");
  ne("\\infty", "-\\infty");
  eq("1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}");
  ne("1 \\pm \\sqrt{19}", "1+\\sqrt{19}");
});

test("expressions with variables: algebraic identity by exact evaluation", () => {
  eq("x^2+2x+1", "(x+1)^2");
  eq("(a+5)(b+2)", "ab + 2a + 5b + 10");
  eq("\\frac{11+9a}{20}", "\\frac{11}{20} + \\frac{9a}{20}");
  eq("x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1", "\\frac{x^9-1}{x-1}");
  eq("\\cot x", "\\frac{\\cos x}{\\sin x}");
  eq("\\sin^2 x + \\cos^2 x", "1");
  eq("4t", "4 t");
  ne("4a-2", "4a+2");
  ne("x^2", "x^3");
  ne("p - q", "q - p");
  ne("6r^2-4r-24", "6r^2-4r+24");
});

test("sets (unordered), tuples (ordered), partial answers", () => {
  eq("\\{1,2\\}", "\\{2,1\\}");
  eq("3, 5, 7", "7, 3, 5");
  eq("\\{1\\pm\\sqrt{5},-2\\}", "-2, 1-\\sqrt5, 1+\\sqrt5");
  ne("\\{1, 2\\}", "1"); // a partial answer to "find all"
  ne("1, 2", "1, 2, 3");
  eq("(1,-16,-4,43)", "(1, -16, -4, 43)");
  ne("(1,2)", "(2,1)");
  ne("(6,31,-1)", "(6,-1,31)");
  eq("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)");
  eq("\\{5\\}", "5");
});

test("intervals and unions", () => {
  eq("(3,4]", "\\left(3, 4\\right]");
  ne("(3,4]", "[3,4]");
  eq("(-\\infty, 2) \\cup (3, \\infty)", "(3,\\infty)\\cup(-\\infty,2)");
  ne("(-\\infty, 2) \\cup (3, \\infty)", "(-\\infty, 2]\\cup(3,\\infty)");
  eq("x \\in [-2,7]", "[-2, 7]");
  eq("\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]", "[\\pi^2/8, 5\\pi^2/4]");
  eq("(2,\\infty)", "(2, \\infty)");
  ne("(0,9) \\cup (9,36)", "(0,36)");
  // Unions are merged before comparing: touching intervals join when the shared end is closed on one side.
  eq("(0,2)", "(0,1] \\cup (1,2)");
  ne("(0,2)", "(0,1) \\cup (1,2)");
  eq("[1,3]", "[1,2]\\cup[2,3]");
  eq("(-\\infty,\\infty)", "(-\\infty,0]\\cup(0,\\infty)");
  ne("(0,1)\\cup(2,3)", "(0,3)");
  eq("(a,b)\\cup(c,d)", "(c,d)\\cup(a,b)");
});

test("inequalities: gold inequality accepts an interval, not the reverse by default", () => {
  eq("x < 3", "(-\\infty, 3)");
  eq("x \\ge 2", "[2, \\infty)");
  eq("1 < x \\le 2", "(1, 2]");
  eq("x < 3", "3 > x");
  ne("x < 3", "x \\le 3");
  ne("(-\\infty, 3)", "x < 3");
  eq("(-\\infty, 3)", "x < 3", { allowIntervalForInequality: true });
});

test("matrices and vectors", () => {
  eq("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{bmatrix} -1 & 0 \\\\ 0 & -1 \\end{bmatrix}");
  ne("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix} 0 & -1 \\\\ -1 & 0 \\end{pmatrix}");
  eq("\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}", "\\begin{pmatrix} 0.2 \\\\ -3.6 \\end{pmatrix}");
  eq("\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}", "(-7, 16, 5)");
  ne("\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}", "\\begin{pmatrix} -7 \\\\ 16 \\end{pmatrix}");
});

test("equations and systems", () => {
  eq("y = 2x + 3", "y = 3 + 2x");
  eq("y = 2x + 3", "2x - y + 3 = 0");
  eq("5x - 7y + 11z + 4 = 0", "-10x + 14y - 22z - 8 = 0");
  ne("x+y-z+2=0", "5x-7y+11z+4=0");
  eq("x = 5", "5");
  eq("5", "x=5");
  eq("x=1, y=2", "y=2, x=1");
  ne("x=1, y=2", "x=2, y=1");
});

test("multiple choice and plain text", () => {
  eq("\\text{(B)}", "B");
  eq("(C)", "\\textbf{(C)}");
  ne("A", "C");
  eq("\\text{Evelyn}", "evelyn");
  eq("\\text{east}", "East");
  eq("\\text{ellipse}", "Ellipse");
  ne("\\text{even}", "odd");
  // Base-b numerals stay numerals: 54 is not an answer to "express in base 5".
  eq("204_5", "204_{5}");
  ne("204_5", "54");
});

test("canonical strings and parse results", () => {
  assert.equal(canonicalString("\\frac12"), "1/2");
  assert.equal(canonicalString("0.5"), "1/2");
  assert.equal(canonicalString("10{,}000"), "10000");
  assert.equal(canonicalString("\\{3, 1, 2\\}"), "{1,2,3}");
  assert.deepEqual(parseAnswer("\\text{(B)}"), { kind: "choice", letter: "B" });
  assert.equal(parseAnswer("(3,4]")?.kind, "interval");
  assert.equal(parseAnswer("(3,4)")?.kind, "tuple");
  assert.equal(parseAnswer(""), null);
});

test("clusterAnswers groups verified-equivalent answers for voting", () => {
  assert.deepEqual(clusterAnswers(["\\frac12", "0.5", "1/3", null, "1/2", "\\frac{1}{3}", "7"]), [0, 0, 1, -1, 0, 1, 2]);
});

test("more spellings models use", () => {
  eq("0.\\overline{3}", "\\frac13");
  eq("0.1\\overline{6}", "1/6");
  ne("0.\\overline{3}", "0.3");
  eq("1000000", "1 000 000");
  eq("1,234.5", "1234.5");
  eq("x^2", "x²");
  eq("2x", "f(x) = 2x");
  eq("\\pm 1", "x = \\pm 1");
  eq("x=1 \\text{ or } x=-1", "x = \\pm 1");
  eq("A", "\\textbf{(A) } 5");
  eq("\\log_2 8", "3");
  eq("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}");
  eq("2\\sqrt{2}", "2√2");
  eq("50^\\circ", "50 degrees");
  eq("k = 3", "3");
  ne("x = 3", "x = -3");
});

test("reward-hacking guards: no tolerance between exact values, no multi-choice shotgun, no partial sets", () => {
  ne("6290000", "6290001"); // relative difference 1.6e-7 < relTol, but both are exact integers
  ne("1000000.0", "1000001");
  ne("\\frac{1}{1000000}", "\\frac{1}{1000001}");
  ne("(A)", "(A) (B) (C)");
  ne("A", "A, B, C, D, E");
  ne("5", "\\pm 5");
  ne("5", "x");
  ne("5", "5, 6");
  ne("5", "5 \\text{ or } 6");
  ne("5", "\\infty");
  ne("\\text{even}", "even or odd");
  eq("(A)", "(A) 5");
});

test("relTol is configurable; exact rationals ignore it when equal", () => {
  eq("\\frac{1}{3}", "0.3333333");
  ne("\\frac{1}{3}", "0.3333333", { relTol: 0 });
  ne("\\frac{1}{3}", "0.333");
  eq("\\frac{1}{3}", "0.333", { relTol: 1e-2 });
});

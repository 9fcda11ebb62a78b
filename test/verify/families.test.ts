// The accuracy families of the verifier's second edition: for each, answers that must be equal and near misses
// that must not be. Written here for these families (shapes learned from real model outputs), with plain defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verify, type VerifyOptions } from "../../src/verify/index.js";

function yes(gold: string, pred: string, opts?: VerifyOptions): void {
  const v = verify(gold, pred, opts);
  assert.equal(v.status, "equal", `expected ${JSON.stringify(pred)} to answer ${JSON.stringify(gold)}; got ${v.status} (extracted ${JSON.stringify(v.extracted)} by ${v.rule}) ${v.reason ?? ""}`);
}
function no(gold: string, pred: string, opts?: VerifyOptions): void {
  const v = verify(gold, pred, opts);
  assert.equal(v.equal, false, `expected ${JSON.stringify(pred)} NOT to answer ${JSON.stringify(gold)} (extracted ${JSON.stringify(v.extracted)} by ${v.rule})`);
}

test("1. a string that is itself an answer is compared as an answer, never mined for its last number", () => {
  for (const a of ["\\frac{14}{3}", "3\\sqrt{13}", "6-5i", "x^2+4x+4", ".5", "-\\frac{7}{2}", "\\left(2, \\frac{\\pi}{3}\\right)", "\\{1, 3\\}", "\\text{Evelyn}", "(B)"]) {
    yes(a, a);
    assert.equal(verify(a, a).rule, "bare");
  }
  yes("\\frac{14}{3}", "14/3");
  yes("0.5", ".5");
  yes("x^2+4x+4", "(x+2)^2");
  no("\\frac{14}{3}", "3");
  no("3\\sqrt{13}", "13");
  no("x^2+4x+4", "4");
  no("6-5i", "-5");
  no(".5", "5");
});

test("2. a gold given as a sentence or a worked solution is extracted from; a bare gold is left whole", () => {
  yes("So the answer is: \\[\\boxed{4567}\\]", "4567");
  yes("We add the two. The final answer is $\\frac{3}{4}$.", "0.75");
  yes("Adding, 48 + 24 = 72 clips.\n#### 72", "The total is \\boxed{72}.");
  no("So the answer is: \\[\\boxed{4567}\\]", "4568");
  // A bare gold with a number at its end is not cut down to that number.
  yes("2\\sqrt{5}", "\\sqrt{20}");
  no("2\\sqrt{5}", "5");
});

test("3. final-answer sentences, rule priority, and answers in other languages", () => {
  yes("41", "We check all n.\nFinal Answer: The largest $n$ is 41.");
  yes("41", "Final Answer: The final answer is $41$. I hope it is correct.");
  // A later final-answer line outranks an intermediate box, and a later box outranks an earlier phrase.
  yes("12340", "First, $\\boxed{5}$ apples. Then the total is computed. The final answer is $12,340$.");
  no("5", "First, $\\boxed{5}$ apples. Then the total is computed. The final answer is $12,340$.");
  yes("9", "The answer is probably 7, but checking again: \\boxed{9}");
  yes("18", "**Answer:** 18");
  yes("18", "She pays 3 * 6 = 18 dollars.\n#### 18");
  yes("18", "Therefore, the answer is $\\boxed{18}$. I hope it is correct.");
  yes("7", "答案是 7");
  yes("7", "所以，答案：$7$");
  yes("7", "La réponse est 7.");
  yes("7", "Por lo tanto, la respuesta es $7$.");
  yes("7", "Die Antwort ist 7.");
  yes("7", "Ответ: 7");
  no("7", "Ответ: 8");
  no("7", "La réponse est 17.");
  // Chat-template tokens after the answer are not part of it.
  yes("19", "Final Answer: The maximum is 19. <|im_start|>user");
});

test("4. labelled answers: the label names the value", () => {
  yes("(5,1)", "(a,b)=(5,1)");
  yes("3", "x = 3");
  yes("3, 7", "XY=3, ZW=7");
  yes("2", "|PQ|=2");
  yes("3:8", "V_1:V_2=3:8");
  yes("\\frac{3}{8}", "V_1:V_2=3:8");
  yes("2, 3", "\\boxed{x_1=2}, \\boxed{x_2=3}");
  yes("(3,5),(5,3)", "p=3,q=5; p=5,q=3");
  no("(5,1)", "(a,b)=(1,5)");
  no("3, 7", "XY=3, ZW=8");
  no("(3,5),(5,3)", "p=3,q=5; p=5,q=4");
  // A coefficient is not a label: 2x = 6 says x = 3.
  no("6", "2x = 6");
});

test("5. several boxes: one answer over adjacent boxes; two candidates for a single answer are not credited", () => {
  yes("1, 2", "The roots are $\\boxed{1}$ and $\\boxed{2}$.");
  yes("1,2", "\\boxed{1}\\boxed{2}");
  yes("(3, 3), (1, 1)", "Part (a): \\boxed{(3, 3)}. For part (b) we get a different pair, namely \\boxed{(1, 1)}.");
  no("1", "\\boxed{1} or \\boxed{2}");
  no("2", "It is either $\\boxed{1}$ or $\\boxed{2}$.");
  // The same value boxed twice is one answer.
  yes("\\frac{639}{40}", "so $d = \\boxed{15\\frac{39}{40}}$, or $\\boxed{\\frac{639}{40}}$ inches.");
  // An intermediate box far from the final one is not part of the answer.
  yes("5", "We first find $\\boxed{3}$ for the width. After a long computation the area follows. Hence $\\boxed{5}$.");
});

test("6. chains in one span: the final side, or the exact side before ≈", () => {
  yes("11", "x = 5+5+1 = 11 \\approx 11.0");
  yes("\\frac{\\sqrt5}{5}", "\\frac{\\sqrt5}{5} \\approx 0.447");
  yes("\\frac{9.5}{3.14159}", "\\frac{9.5}{3.14159} \\approx 3.01");
  no("0.448", "\\frac{\\sqrt5}{5} \\approx 0.448");
  no("12", "x = 5+5+1 = 11");
});

test("7. number formats", () => {
  yes("2.5", "2,5");
  yes("0.111", "0,111");
  yes("1000", "1 000");
  yes("12345", "12 {, }345");
  yes("11111", "11,\\! 111");
  yes("0.4", ".4");
  yes("5", "\\$5");
  yes("31\\%", "31 pct");
  yes("31", "31 percent");
  yes("1000.99", "1,000.99");
  no("2.5", "2,6");
  no("2500", "2,5");
  no("1000", "1 001");
  no("31", "32 percent");
});

test("8. inequalities and intervals", () => {
  yes("x<3", "-x > -3");
  yes("x < 3", "(-\\infty, 3)");
  yes("1 \\le |z| \\le 2", "[-2,-1] \\cup [1,2]");
  yes("|x| < 2", "(-2, 2)");
  yes("0 < g(x) < 1", "(0,1)");
  yes("x \\in [-2,7]", "-2 \\le x \\le 7");
  yes("-2 \\le x \\le 7", "x \\in [-2,7]");
  yes("3 < 2x + 1 \\le 9", "(1, 4]");
  no("x<3", "-x < -3");
  no("x \\in [-2,7]", "-2 \\le y \\le 7");
  no("1 \\le |z| \\le 2", "[1,2]");
  no("x \\in [-2,7]", "-2 < x \\le 7");
  // A gold interval does not accept an inequality unless asked (as Math-Verify).
  no("(0, 1)", "0 < x < 1");
  yes("(0, 1)", "0 < x < 1", { allowIntervalForInequality: true });
});

test("9. doubled backslashes, matrix sums, letter choices, 'or' without spaces", () => {
  yes("\\frac{1}{2}", "\\\\frac{1}{2}");
  yes("\\left(1, 2\\right)", "\\\\left(1, 2\\\\right)");
  yes("x \\le 3", "x \\\\le 3");
  yes("\\begin{pmatrix} 4 \\\\ 6 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix} + \\begin{pmatrix} 3 \\\\ 4 \\end{pmatrix}");
  yes("\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", "2\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}");
  yes("C", "\\text{(C)}");
  yes("1, 2", "1or2");
  no("\\frac{1}{2}", "\\\\frac{1}{3}");
  no("\\begin{pmatrix} 4 \\\\ 6 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix} + \\begin{pmatrix} 3 \\\\ 5 \\end{pmatrix}");
  no("C", "\\text{(D)}");
});

test("10. a newline inside $…$ and a digit inside a word are not answers", () => {
  no("7", "QXB7RT");
  no("7", "The code is $QXB7\nRT$");
  no("9", "Answer $ \n 9 \n $");
  yes("9", "Answer $$ \n 9 \n $$");
  no("2", "AZYUK2A", { lastNumberFallback: true });
  yes("2", "so the result is 2", { lastNumberFallback: true });
});

test("3b. a final sentence that states one value with a copula, after the last formula, is the answer (strict)", () => {
  const steps = "Let $d$ be the common difference, so $1 + nd = 91$ and $d = \\frac{90}{n}$ for a divisor $n$ of 90.";
  yes("12", `${steps} Therefore, there are 12 distinct arithmetic sequences that meet the three given conditions. I hope it is correct.`);
  yes("\\frac{2}{3}", "P(A) = 1/2 + (1/4) P(A), so (3/4) P(A) = 1/2. Therefore, the probability that Alice wins the game is 2/3.");
  yes("100\\%", `We get $$\\frac{\\Delta x'}{\\Delta x} \\geq 2.$$ Therefore, the minimum error in the position increases by 100%.`);
  yes("2.74", "Le prix : 2,74 €");
  yes("3.5", "Adding both parts, the total is 7/2, which is 3.5.");
  yes("5", "So the candidate $x=3$ fails. Hence the side length is 5 cm.");
  assert.equal(verify("12", `${steps} Therefore, there are 12 sequences.`).rule, "final_statement");
  // Not statements: a step ("we get"), a hedge, a list, two values, a formula after the sentence, a number among
  // digits of its own clause.
  no("7", "After a long computation we get 7 as a value");
  no("7", "The value is 3 or 7.");
  no("7", "The values are 1, 2, 3, 4, 5, 6, 7.");
  no("5", "The total is 3 and 5.");
  no("12", "There are 12 cases. We then compute $x = 5$.");
  no("5", "Since 4 is too small the side is 5 cm.");
  // An output that stops on the number may have been cut inside it (123 at the token limit).
  no("12", "Adding the three parts, the total is 12");
  yes("12", "Adding the three parts, the total is 12.");
  // A decimal that restates the formula just before it leaves the formula the answer.
  yes("\\frac{1}{3}", "So the probability is $\\frac{1}{3}$, which is 0.33.");
  yes("\\pi", "The area is $\\pi$, which is 3.14");
});

test("3c. an output that ran past its end of turn ends at the first chat-template token", () => {
  yes("19", "The maximum is $19$.<|im_end|>\n<|im_start|>user\nWhat is $2+3$?<|im_start|>assistant\nThe answer is $5$.");
  yes("2", "So the answer is 2.</s>Question: what is 3+4? Answer: 7");
  // A template header before the text is dropped, not taken as the end.
  yes("4", "<|im_start|>assistant\nSo $\\boxed{4}$.");
});

test("5b. a box followed by one word naming what it counts still joins its group", () => {
  yes("1, 2", "We need \\boxed{1} paper and \\boxed{2} bins.");
  yes("3, 4", "\\boxed{3}\\text{ cm}, \\boxed{4}");
  no("2", "We need \\boxed{1} paper and \\boxed{2} bins.");
  // Steps, not parts: the last box.
  yes("4", "First \\boxed{3}, then \\boxed{4}");
});

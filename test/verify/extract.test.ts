import { test } from "node:test";
import assert from "node:assert/strict";
import { extractAnswer, verify } from "../../src/verify/index.js";

test("boxed: the last box wins, nested braces are kept, \\fbox counts", () => {
  assert.deepEqual(extractAnswer("First \\boxed{1}, then \\boxed{\\frac{a}{b^{2}}} done."), { answer: "\\frac{a}{b^{2}}", rule: "boxed" });
  assert.deepEqual(extractAnswer("so \\fbox{42}"), { answer: "42", rule: "boxed" });
  assert.deepEqual(extractAnswer("an escaped brace \\boxed{\\{1,2\\}}"), { answer: "\\{1,2\\}", rule: "boxed" });
  assert.deepEqual(extractAnswer("no braces \\boxed 7 ok"), { answer: "7", rule: "boxed" });
  // An unterminated last box falls back to the previous complete one.
  assert.deepEqual(extractAnswer("\\boxed{3} and then \\boxed{4"), { answer: "3", rule: "boxed" });
});

test("boxed: allBoxes joins every top-level box for multi-part answers", () => {
  const text = "(a) \\boxed{3} (b) \\boxed{\\boxed{5}} (c) \\boxed{x+1}";
  assert.deepEqual(extractAnswer(text, { allBoxes: true }), { answer: "3, 5, x+1", rule: "boxed" });
});

test("gsm8k #### answers drop commas and dollar signs", () => {
  assert.deepEqual(extractAnswer("She makes 9 * 2 = $18.\n#### $1,018"), { answer: "1018", rule: "gsm8k" });
});

test("final answer / the answer is phrases", () => {
  assert.deepEqual(extractAnswer("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct."), { answer: "\\frac{3}{4}", rule: "final_answer" });
  // A sentence of words with one number in it answers the number.
  assert.deepEqual(extractAnswer("Thus the final answer: 12 apples"), { answer: "12", rule: "final_answer" });
  assert.deepEqual(extractAnswer("The final answer is 5 I hope it is correct."), { answer: "5", rule: "final_answer" });
  assert.deepEqual(extractAnswer("**Answer:** $5$"), { answer: "5", rule: "answer_is" });
  assert.deepEqual(extractAnswer("So the answer is 17. Next we check."), { answer: "17", rule: "answer_is" });
  assert.deepEqual(extractAnswer("Therefore, the answer is \\(2\\sqrt{3}\\)."), { answer: "2\\sqrt{3}", rule: "answer_is" });
});

test("math spans, bold, and the last-number fallback", () => {
  assert.deepEqual(extractAnswer("We get \\[x = 4\\] and $y$ is free"), { answer: "x = 4", rule: "display_math" });
  assert.deepEqual(extractAnswer("We get $$7$$"), { answer: "7", rule: "display_math" });
  assert.deepEqual(extractAnswer("costs \\$5 and $x=2$ so $x^2 = 4$"), { answer: "x^2 = 4", rule: "inline_math" });
  assert.deepEqual(extractAnswer("It is \\(\\pi\\) radians"), { answer: "\\pi", rule: "inline_math" });
  assert.deepEqual(extractAnswer("The result is **Paris**"), { answer: "Paris", rule: "bold" });
  const fallback = { lastNumberFallback: true };
  assert.deepEqual(extractAnswer("3 apples plus 4 makes 1,234 in total", fallback), { answer: "1234", rule: "last_number" });
  assert.deepEqual(extractAnswer("value -2.5 here", fallback), { answer: "-2.5", rule: "last_number" });
  // Off by default: a guess is not an answer.
  assert.equal(extractAnswer("value 7 here"), null);
  assert.equal(extractAnswer("no digits at all"), null);
});

test("only the tail of very long text is searched", () => {
  const text = "\\boxed{1}" + " filler".repeat(50_000) + " then 9";
  assert.deepEqual(extractAnswer(text, { maxChars: 1000, lastNumberFallback: true }), { answer: "9", rule: "last_number" });
  assert.deepEqual(extractAnswer(text, { maxChars: 1_000_000 }), { answer: "1", rule: "boxed" });
});

test("answer phrases in capitals are phrases too, in English and the other languages", () => {
  assert.deepEqual(extractAnswer("We get $x=3$ first. FINAL ANSWER: 5"), { answer: "5", rule: "final_answer" });
  assert.deepEqual(extractAnswer("We get $x=3$ first. THE ANSWER IS 5."), { answer: "5", rule: "answer_is" });
  assert.deepEqual(extractAnswer("Zuerst $x=3$. ANTWORT: 5"), { answer: "5", rule: "answer_is" });
  assert.deepEqual(extractAnswer("Primero $x=3$. RESPUESTA: 5"), { answer: "5", rule: "answer_is" });
});

test("only what follows the boxed answer competes with it: an earlier phrase or #### loses, a later one wins", () => {
  const long = "Some reasoning, the answer is not obvious. ".repeat(50);
  assert.deepEqual(extractAnswer(`${long}The answer is 4.\n#### 4\nSo \\boxed{7}.`), { answer: "7", rule: "boxed" });
  assert.deepEqual(extractAnswer(`${long}So \\boxed{3} is wrong; the final answer is 5.`), { answer: "5", rule: "final_answer" });
  assert.deepEqual(extractAnswer(`${long}\\boxed{3} then\n#### 5`), { answer: "5", rule: "gsm8k" });
  assert.deepEqual(extractAnswer(`${long}Final Answer: The final answer is $\\boxed{9}$.`), { answer: "9", rule: "boxed" });
  // A phrase in another language after the box (the walk for English phrases does not read it).
  assert.deepEqual(extractAnswer(`${long}\\boxed{3}. Ответ: 6`), { answer: "6", rule: "answer_is" });
});

test("verify() reuses a gold it parsed, per the options that change how a gold is read", () => {
  const gold = "For part (a) we find \\boxed{3}. Part (b) takes longer, but in the end it gives \\boxed{5}.";
  for (let k = 0; k < 3; k++) {
    assert.equal(verify(gold, "5").equal, true);
    assert.equal(verify(gold, "5", { allBoxes: true }).equal, false);
    assert.equal(verify(gold, "3, 5", { allBoxes: true }).equal, true);
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { BOXED_INSTRUCTION, buildPrompt, defaultPromptOptions, renderTemplate } from "../../src/infer/prompts.js";

test("chat prompt: system, few-shot turns, then the question with the boxed instruction", () => {
  const opts = { ...defaultPromptOptions("chat"), system: "You are careful.", fewShot: [{ question: "1+1?", solution: "2. \\boxed{2}" }] };
  assert.deepEqual(buildPrompt("What is $3^2$?", opts), [
    { role: "system", content: "You are careful." },
    { role: "user", content: `1+1?\n${BOXED_INSTRUCTION}` },
    { role: "assistant", content: "2. \\boxed{2}" },
    { role: "user", content: `What is $3^2$?\n${BOXED_INSTRUCTION}` },
  ]);
});

test("completion prompt: one string with the examples, and the model continues after 'Solution:'", () => {
  const opts = { ...defaultPromptOptions("completion"), fewShot: [{ question: "1+1?", solution: "\\boxed{2}" }] };
  assert.equal(buildPrompt("2+2?", opts), `Problem: 1+1?\n${BOXED_INSTRUCTION}\nSolution: \\boxed{2}\n\nProblem: 2+2?\n${BOXED_INSTRUCTION}\nSolution:`);
});

test("templates: {instruction} is appended when absent, can be emptied, and $ patterns in questions stay literal", () => {
  assert.equal(renderTemplate("Q: {question}", "x", "Box it."), "Q: x\nBox it.");
  assert.equal(renderTemplate("Q: {question}", "x", ""), "Q: x");
  assert.equal(renderTemplate("{instruction} {question}", "cost $$& and {instruction}", "I"), "I cost $$& and {instruction}");
  assert.throws(() => buildPrompt("x", { ...defaultPromptOptions(), template: "no placeholder" }), /must contain \{question\}/);
});

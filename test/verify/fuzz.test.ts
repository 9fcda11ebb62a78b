// Random LaTeX-ish strings: no call throws, and no answer is ever judged not_equal to itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng } from "../../src/util/rng.js";
import { compareAnswerStrings, canonicalString, extractAnswer, verify } from "../../src/verify/index.js";

const ATOMS = [
  "1", "2", "0", "x", "y", "e", "i", "\\pi", "\\infty", "+", "-", "*", "/", "^", "_", "(", ")", "[", "]", "{", "}", "\\{", "\\}",
  ",", ";", "=", "<", "\\le", "\\pm", "\\frac", "\\sqrt", "\\sin", "\\log", "!", "|", "\\cup", "\\text{cm}", "\\%", "\\$", " ",
  "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "3.5", ".", "\\boxed{", "\\cdot", "'", "\\left(", "\\right)", "A", "(B)",
  "\\binom", "\\lfloor", "\\rfloor", "10^{", "1,000", ":", "\\sqrt[3]", "\\dfrac", "\\mathrm{", "\\ne", ">", "$", "####", "**",
];

test("2,000 random strings: no exception, self-comparison never not_equal, internal errors never happen", () => {
  const rng = createRng(20261123);
  for (let n = 0; n < 2000; n++) {
    let s = "";
    for (let k = rng.int(1, 14); k > 0; k--) s += rng.pick(ATOMS);
    let t = "";
    for (let k = rng.int(1, 6); k > 0; k--) t += rng.pick(ATOMS);
    const self = compareAnswerStrings(s, s);
    assert.notEqual(self.status, "not_equal", `${JSON.stringify(s)} judged unequal to itself`);
    for (const r of [self, compareAnswerStrings(s, t), compareAnswerStrings(t, s)]) {
      assert.doesNotMatch(r.reason ?? "", /internal error/, `${JSON.stringify(s)} vs ${JSON.stringify(t)}`);
    }
    canonicalString(s);
    extractAnswer(s + t);
    verify(t, s);
  }
});

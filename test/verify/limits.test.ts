// Pathological input: every check ends with not_equal / unknown / timeout, without hanging or crashing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareAnswerStrings, verify, parseAnswer, canonicalString, extractAnswer } from "../../src/verify/index.js";

const PATHOLOGICAL: [string, string][] = [
  ["power tower", "10^{10^{10^{10}}}"],
  ["tall tower of 2s", "2^{2^{2^{2^{2^{2}}}}}"],
  ["5,000 nested braces", "{".repeat(5000) + "5" + "}".repeat(5000)],
  ["5,000 nested parentheses", "(".repeat(5000) + "5" + ")".repeat(5000)],
  ["5,000 nested square roots", "\\sqrt{".repeat(5000) + "2" + "}".repeat(5000)],
  ["100,000-digit number", "9".repeat(100_000)],
  ["3,000-digit number", "7".repeat(3_000)],
  ["long \\frac chain", "\\frac{".repeat(3000) + "1" + "}{2}".repeat(3000)],
  ["huge factorial", "100000!"],
  ["huge binomial", "\\binom{10^{9}}{10^{8}}"],
  ["megabytes of sums", "1+".repeat(1_000_000) + "1"],
  ["unbalanced", "\\frac{1}{2"],
  ["a million dollars signs", "$".repeat(1_000_000)],
];

test("pathological answers compare as not_equal / unknown / timeout, never equal to 5", () => {
  for (const [name, text] of PATHOLOGICAL) {
    const r = compareAnswerStrings("5", text);
    assert.ok(["not_equal", "unknown", "timeout"].includes(r.status), `${name}: ${r.status}`);
    const r2 = compareAnswerStrings(text, "5");
    assert.ok(["not_equal", "unknown", "timeout"].includes(r2.status), `${name} as gold: ${r2.status}`);
    // The other entry points survive it too.
    parseAnswer(text);
    canonicalString(text);
    const v = verify("5", `\\boxed{${text}}`);
    assert.equal(v.equal, false, `${name} boxed`);
  }
});

test("specific statuses: size caps say unknown, with the reason", () => {
  assert.equal(compareAnswerStrings("10^{10^{10^{10}}}", "5").status, "unknown");
  assert.match(compareAnswerStrings("5", "{".repeat(5000) + "5" + "}".repeat(5000)).reason ?? "", /nesting/);
  assert.match(compareAnswerStrings("5", "9".repeat(100_000)).reason ?? "", /longer than/);
  assert.match(compareAnswerStrings("5", "7".repeat(3_000)).reason ?? "", /digits/);
  assert.match(compareAnswerStrings("5", "100000!").reason ?? "", /factorial/);
});

test("a tiny time budget ends in timeout, not a hang", () => {
  // 30,000 terms take far more than 1 ms to parse on any machine, so the deadline must fire.
  const sum = Array.from({ length: 30_000 }, (_, i) => `x_{${i}}^{2}`).join("+");
  const r = compareAnswerStrings(sum, sum + "+0", { timeoutMs: 1, maxInputChars: 1_000_000 });
  assert.equal(r.status, "timeout");
});

test("megabytes of model output: extraction reads only the tail", () => {
  const text = "blah ".repeat(1_000_000) + "\\boxed{5}";
  assert.equal(verify("5", text).status, "equal");
  assert.deepEqual(extractAnswer("{".repeat(1_000_000)), null);
});

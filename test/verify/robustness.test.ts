// Large but legitimate answers are decided (not timed out), and inputs that used to cost super-linear time (long
// digit runs before the quadratic \overline regex, thousands of unclosed \boxed{) are decided within the budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verify, compareAnswerStrings } from "../../src/verify/index.js";

test("a set of 3,000 elements equals its reversal, and not a copy with one element changed", () => {
  const xs = Array.from({ length: 3000 }, (_, i) => i);
  const gold = `\\{${xs.join(", ")}\\}`;
  assert.equal(compareAnswerStrings(gold, `\\{${[...xs].reverse().join(", ")}\\}`).status, "equal");
  const changed = [...xs];
  changed[1234] = 99999;
  assert.equal(compareAnswerStrings(gold, `\\{${changed.join(", ")}\\}`).status, "not_equal");
  // A bare list without spaces is a list too (100,101,102 is not the number 100101102).
  assert.equal(compareAnswerStrings(xs.join(","), [...xs].reverse().join(",")).status, "equal");
});

test("long digit runs, unclosed boxes and long whitespace are decided, not timed out", () => {
  const cases: [string, string][] = [
    ["1", "0." + "3".repeat(19_000) + "\\overline{3}"],
    ["1", "9".repeat(19_999)],
    ["1", "\\boxed{".repeat(2800)],
    ["1", "1" + " ".repeat(19_000) + "or"],
    ["1", "(".repeat(19_000)],
    ["1", "\\\\frac".repeat(3000)],
  ];
  for (const [gold, pred] of cases) {
    for (const lastNumberFallback of [false, true]) {
      const v = verify(gold, pred, { lastNumberFallback });
      assert.notEqual(v.status, "timeout", `${JSON.stringify(pred.slice(0, 30))}…: timed out`);
      assert.equal(v.equal, false);
    }
  }
});

test("an output far longer than the searched window that opens \\boxed{ and never closes it has no answer", () => {
  const v = verify("7", "\\boxed{" + " 1".repeat(200_000) + " 7", { lastNumberFallback: true });
  assert.equal(v.missing, "truncated");
  assert.equal(v.equal, false);
});

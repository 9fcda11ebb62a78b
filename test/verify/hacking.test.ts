// Reward hacking: wrong answers crafted to pass a verifier. Every family here must be refused with plain defaults
// (and the ones that concern the last-number fallback also with it on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { verify, compareAnswerStrings, type VerifyOptions } from "../../src/verify/index.js";
import { trimerReward } from "../../src/verify/reward.js";

function refused(gold: string, pred: string, opts?: VerifyOptions): void {
  const v = verify(gold, pred, opts);
  assert.equal(v.equal, false, `hack accepted: ${JSON.stringify(pred)} for ${JSON.stringify(gold)} (extracted ${JSON.stringify(v.extracted)} by ${v.rule})`);
}

test("exact stays exact: no tolerance for an integer gold", () => {
  for (const p of ["2024.001", "2023.9999999", "2024.0000001"]) refused("2024", p);
  refused("50", "49.99999");
  refused("50", "49.999999999999");
  refused("6290000", "6290001");
  // An integer written with zero decimals is that integer.
  assert.equal(verify("50", "50.000").equal, true);
});

test("an approximate decimal matches only as the exact value rounded at its own digits, precise enough", () => {
  assert.equal(verify("\\frac{1}{3}", "0.3333333").equal, true);
  assert.equal(verify("\\sqrt{2}", "1.41421356").equal, true);
  refused("\\frac{1}{3}", "0.333"); // too coarse at the default precision
  refused("\\frac{1}{3}", "0.3333334"); // not the rounding of 1/3
  refused("\\sqrt{2}", "1.41421357");
  assert.equal(verify("\\frac{1}{3}", "0.33", { relTol: 0.01 }).equal, true); // the caller's precision allows it
  refused("\\frac{1}{3}", "0.34", { relTol: 0.01 });
});

test("a fraction never equals an irrational gold", () => {
  refused("\\pi", "22/7");
  refused("\\pi", "\\frac{355}{113}");
  refused("\\sqrt 2", "99/70");
  refused("\\sqrt 2", "\\frac{665857}{470832}");
  refused("e", "\\frac{2721}{1001}");
  refused("\\sqrt 2", "\\frac{14142135623731}{10000000000000}");
  // Exact values that are equal stay equal.
  assert.equal(verify("\\sqrt{2}\\cdot\\sqrt{8}", "4").equal, true);
  assert.equal(verify("\\sin\\frac{\\pi}{6}", "\\frac{1}{2}").equal, true);
});

test("exact arithmetic past its budget is unknown, never a float comparison", () => {
  const e = compareAnswerStrings("e", "(1+10^{-7})^{10^7}");
  assert.notEqual(e.status, "equal");
  assert.equal(e.status, "unknown");
  const big = compareAnswerStrings("10^{20}", "\\sqrt{10^{40}+1}");
  assert.notEqual(big.status, "equal");
  assert.equal(compareAnswerStrings("10^{20}", "\\sqrt{10^{40}}").status, "equal");
});

test("symbolic equality cannot be met at predictable points", () => {
  // The gold plus a polynomial that vanishes at many small integer and rational points.
  let vanish = "";
  for (let k = -12; k <= 12; k++) vanish += `(x - ${k})`;
  for (const q of [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) vanish += `(${q}x - 1)(${q}x + 1)`;
  refused("x^2 + 1", `x^2 + 1 + ${vanish}`);
  // The gold plus a periodic term that is 0 at every rational with a small denominator.
  refused("\\sin x", "\\sin x + \\sin(720720 \\pi x)");
  refused("x", "x + \\sin(2520\\pi x)^2");
  refused("x^2", "x^2 + \\sin(\\pi x \\cdot 360360)");
  // True identities are decided (rational functions exactly).
  assert.equal(verify("\\frac{x^2-1}{x-1}", "x+1").equal, true);
  assert.equal(verify("(a+b)^5", "a^5+5a^4b+10a^3b^2+10a^2b^3+5ab^4+b^5").equal, true);
  assert.equal(verify("\\sin^2 x + \\cos^2 x", "1").equal, true);
  refused("(a+b)^5", "a^5+5a^4b+10a^3b^2+10a^2b^3+5ab^4+b^5+10^{-30}a");
});

test("percent is read one way; interval unions do not merge within a tolerance; short words are not products", () => {
  refused("0.25", "25\\%");
  refused("25\\%", "0.25");
  refused("(0,2)", "(0,1) \\cup [1.000001, 2)");
  refused("[0,2]", "[0,1] \\cup [1+10^{-9}, 2]");
  assert.equal(verify("(0,2)", "(0,1] \\cup (1, 2)").equal, true);
  refused("no", "on");
  refused("yes", "sey");
  refused("ab", "ba");
});

test("the last-number fallback is off by default, and cannot be gamed by listing candidates when on", () => {
  const list = Array.from({ length: 1001 }, (_, i) => i).join(" ");
  refused("1000", `The candidates are ${list}`);
  refused("1000", `The candidates are ${list}`, { lastNumberFallback: true });
  refused("1000", Array.from({ length: 1001 }, (_, i) => i).join(", "));
  refused("1000", `${list}`, { lastNumberFallback: true });
  refused("7", "After a long computation we get 7 as a value");
  // A final sentence that states a value is a strict rule; listing or hedging in it states nothing.
  refused("1000", `The possible values are ${list}`);
  refused("7", "The number is 3, or maybe it is 7.");
  refused("7", "It is 3. It could also be 4, 5, 6 or 7");
  assert.equal(verify("7", "After a long computation we get 7 as a value", { lastNumberFallback: true }).equal, true);
  // A truncated output that opens its \boxed{ and never closes it gives no answer, however far back it opened.
  const cut = "\\boxed{" + " x".repeat(60_000) + " 7";
  const v = verify("7", cut, { lastNumberFallback: true });
  assert.equal(v.equal, false);
  assert.equal(v.missing, "truncated");
  // Rewards use the strict default.
  assert.equal(trimerReward("After a long computation we get 7 as a value", "7").reward, 0);
});

test("two different boxed candidates for one answer, or a hedged list, are not credited", () => {
  refused("3", "\\boxed{3} or \\boxed{4}");
  refused("3", "\\boxed{3, 4}");
  refused("3", "x = 3 or x = 4");
  refused("3", "3 \\pm 1");
});

// Every gold answer of every shared benchmark (GSM8K, MATH-500, AIME 2024, AMC 2023, OlympiadBench) verifies as
// equal to itself bare, boxed and inside a final-answer sentence, and never to a wrong neighbour (its last digit
// changed, its first number's sign flipped). A small local loader: src/data/ belongs to another engineer, and this
// test only needs the answer fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compareAnswerStrings, prepareGold, verify, verifyPrepared } from "../../src/verify/index.js";

const DATA = new URL("../../../shared/data/", import.meta.url);

function jsonl(path: string): Record<string, unknown>[] {
  return readFileSync(new URL(path, DATA), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`${path}:${i + 1}: not JSON`);
      }
    });
}

function golds(): { source: string; answer: string }[] {
  const out: { source: string; answer: string }[] = [];
  for (const file of ["gsm8k/test.jsonl", "gsm8k/train.jsonl"]) {
    for (const [i, r] of jsonl(file).entries()) {
      const a = String(r.answer);
      const k = a.lastIndexOf("####");
      assert.ok(k >= 0, `${file}:${i + 1}: no #### line`);
      out.push({ source: `${file}:${i + 1}`, answer: a.slice(k + 4).trim().replace(/,/g, "") });
    }
  }
  for (const file of ["math500/test.jsonl", "aime24/test.jsonl", "amc23/test.jsonl"]) {
    for (const [i, r] of jsonl(file).entries()) out.push({ source: `${file}:${i + 1}`, answer: String(r.answer) });
  }
  for (const [i, r] of jsonl("olympiadbench/test.jsonl").entries()) {
    const fa = r.final_answer;
    assert.ok(Array.isArray(fa) && fa.length >= 1, `olympiadbench:${i + 1}: final_answer is a list`);
    for (const a of fa) out.push({ source: `olympiadbench/test.jsonl:${i + 1}`, answer: String(a) });
  }
  return out;
}

const ALL = golds();

/** Golds that cannot sit in a final-answer sentence as they are: a sentence themselves, or unbalanced dollars. */
const NOT_IN_A_SENTENCE: Record<string, string> = {
  "olympiadbench/test.jsonl:74": "the gold is a sentence with four math spans (its first span is read as the answer)",
  "olympiadbench/test.jsonl:195": "\"$221,$8$\" has unbalanced dollars",
};

test("every gold answer (GSM8K, MATH-500, AIME 2024, AMC 2023, OlympiadBench) equals itself bare, boxed and in a sentence", () => {
  assert.equal(ALL.length, 7473 + 1319 + 500 + 30 + 40 + 675);
  const failures: string[] = [];
  for (const { source, answer } of ALL) {
    const gold = prepareGold(answer);
    const checks = {
      self: compareAnswerStrings(answer, answer).status === "equal",
      bare: verifyPrepared(gold, answer).equal,
      boxed: verifyPrepared(gold, `\\boxed{${answer}}`).equal,
      boxedInText: verifyPrepared(gold, `We simplify. So the answer is $\\boxed{${answer}}$.`).equal,
      sentence: verifyPrepared(gold, `Checking every case, we are done.\nThe final answer is ${/\$/.test(answer) ? answer : `$${answer}$`}. I hope it is correct.`).equal,
    };
    if (source in NOT_IN_A_SENTENCE) checks.sentence = true;
    const bad = Object.entries(checks).filter(([, ok]) => !ok).map(([k]) => k);
    if (bad.length) failures.push(`${source} ${JSON.stringify(answer)}: ${bad.join(", ")}`);
  }
  assert.deepEqual(failures, []);
});

/** The answer with its last digit changed (9 → 8, others + 1), or null without digits. */
function lastDigitChanged(a: string): string | null {
  const m = /\d(?=\D*$)/.exec(a);
  if (!m) return null;
  const d = Number(m[0]);
  return a.slice(0, m.index) + String(d === 9 ? 8 : d + 1) + a.slice(m.index + 1);
}

/** The answer with its first number's sign flipped, or null when that number is 0 or the answer has ± in it. */
function signFlipped(a: string): string | null {
  if (/\\pm|\\mp|±/.test(a)) return null;
  const m = /(-?)(\d+(?:\.\d+)?)/.exec(a);
  if (!m || Number(m[2]) === 0) return null;
  return a.slice(0, m.index) + (m[1] ? "" : "-") + m[2] + a.slice(m.index + m[0].length);
}

test("a wrong neighbour of any gold (last digit changed, sign flipped) is never equal to it", () => {
  const accepted: string[] = [];
  let tried = 0;
  for (const { source, answer } of ALL) {
    const gold = prepareGold(answer);
    for (const wrong of [lastDigitChanged(answer), signFlipped(answer)]) {
      if (wrong === null) continue;
      tried++;
      for (const pred of [wrong, `\\boxed{${wrong}}`, `Hence the final answer is $${wrong}$.`]) {
        if (verifyPrepared(gold, pred).equal) {
          accepted.push(`${source} ${JSON.stringify(answer)} accepted ${JSON.stringify(pred)}`);
          break;
        }
      }
    }
  }
  assert.ok(tried > 15_000, `${tried} neighbours`);
  assert.deepEqual(accepted, []);
});

test("benchmark answer conventions: zero-padded AIME answers and float AMC answers", () => {
  const aime = jsonl("aime24/test.jsonl").map((r) => String(r.answer));
  assert.ok(aime.includes("025"));
  assert.equal(compareAnswerStrings("025", "25").status, "equal");
  assert.equal(compareAnswerStrings("27.0", "27").status, "equal");
  assert.equal(compareAnswerStrings("073", "74").status, "not_equal");
});

test("MATH-500: the boxed answer inside every reference solution verifies against the answer field", () => {
  const misses: string[] = [];
  for (const [i, r] of jsonl("math500/test.jsonl").entries()) {
    const v = verify(String(r.answer), String(r.solution));
    if (!v.equal || v.rule !== "boxed") misses.push(`math500:${i + 1} ${JSON.stringify(r.answer)} vs ${JSON.stringify(v.extracted)} (${v.status})`);
  }
  assert.deepEqual(misses, []);
});

test("a gold given as a whole worked solution is extracted from (MATH-500 solutions as golds, bare answers as predictions)", () => {
  const misses: string[] = [];
  for (const [i, r] of jsonl("math500/test.jsonl").entries()) {
    const v = verify(String(r.solution), String(r.answer));
    if (!v.equal) misses.push(`math500:${i + 1} ${JSON.stringify(r.answer)} (${v.status} ${v.reason ?? ""})`);
  }
  assert.deepEqual(misses, []);
});

// Every gold answer of the benchmark files verifies as equal to itself and to a \boxed{} copy of itself.
// A small local loader: src/data/ belongs to another engineer, and this test only needs the answer fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compareAnswerStrings, verify } from "../../src/verify/index.js";

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
  return out;
}

test("every gold answer (GSM8K, MATH-500, AIME 2024, AMC 2023) equals itself and its \\boxed{} copy", () => {
  const all = golds();
  assert.equal(all.length, 7473 + 1319 + 500 + 30 + 40);
  const failures: string[] = [];
  for (const { source, answer } of all) {
    const self = compareAnswerStrings(answer, answer);
    const boxed = compareAnswerStrings(answer, `\\boxed{${answer}}`);
    const fromText = verify(answer, `So the answer is $\\boxed{${answer}}$.`);
    if (self.status !== "equal" || boxed.status !== "equal" || !fromText.equal) failures.push(`${source} ${JSON.stringify(answer)}`);
  }
  assert.deepEqual(failures, []);
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

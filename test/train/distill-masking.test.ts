import { test } from "node:test";
import assert from "node:assert/strict";
import { reasoningWeights, answerCharSpan, tokenSpanOfChars } from "../../src/train/distill/masking.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";

test("weights by span: prompt, reasoning, answer; positions predict the next token", () => {
  // tokens 0..9: prompt 0-2, reasoning 3-6, answer 7-8, eos 9.
  const w = reasoningWeights(10, { promptLength: 3, answer: { start: 7, end: 9 } });
  // position t predicts token t+1: tokens 1,2 prompt → 0; 3..6 → 1; 7,8 → 2; 9 → 1.
  assert.deepEqual(w, [0, 0, 1, 1, 1, 1, 2, 2, 1]);
  assert.deepEqual(
    reasoningWeights(6, { promptLength: 2 }, { promptWeight: 0.1, reasoningWeight: 0.5 }),
    [0.1, 0.5, 0.5, 0.5, 0.5],
  );
  assert.throws(() => reasoningWeights(5, { promptLength: 6 }), /promptLength 6 is outside/);
  assert.throws(() => reasoningWeights(5, { promptLength: 1, answer: { start: 3, end: 9 } }), /answer span/);
  assert.throws(() => reasoningWeights(5, { promptLength: 1 }, { answerWeight: -1 }), /answerWeight/);
});

test("answerCharSpan finds the <answer> block, else the last balanced \\boxed{}", () => {
  const t1 = "so x = 4 <answer>4</answer>";
  const s1 = answerCharSpan(t1)!;
  assert.equal(t1.slice(s1.start, s1.end), "4");
  const t2 = "first \\boxed{1}, then \\boxed{\\frac{1}{2}} done";
  const s2 = answerCharSpan(t2)!;
  assert.equal(t2.slice(s2.start, s2.end), "\\boxed{\\frac{1}{2}}");
  const t3 = "ok \\boxed{7} and broken \\boxed{\\frac{1}{2}";
  const s3 = answerCharSpan(t3)!;
  assert.equal(t3.slice(s3.start, s3.end), "\\boxed{7}");
  assert.equal(answerCharSpan("no answer here"), null);
  const t4 = "{ unclosed, then \\boxed{\\{1, 2\\}} end";
  const s4 = answerCharSpan(t4)!;
  assert.equal(t4.slice(s4.start, s4.end), "\\boxed{\\{1, 2\\}}");
  // Untrusted text: a long run of open braces is scanned in linear time and gives null.
  assert.equal(answerCharSpan("\\boxed{".repeat(20000)), null);
});

test("tokenSpanOfChars maps a character span to the covering tokens (real tokenizer)", () => {
  const tok = mathTokenizer();
  const text = "x=12, so \\boxed{12}";
  const ids = tok.encode(text);
  const pieces = ids.map((id) => tok.decode([id]));
  assert.equal(pieces.join(""), text);
  const span = answerCharSpan(text)!;
  const ts = tokenSpanOfChars(pieces, span.start, span.end);
  assert.equal(tok.decode(ids.slice(ts.start, ts.end)), "\\boxed{12}");
  assert.deepEqual(tokenSpanOfChars(["ab", "cd", "ef"], 1, 3), { start: 0, end: 2 });
  assert.deepEqual(tokenSpanOfChars(["ab", "cd", "ef"], 2, 2), { start: 1, end: 1 });
  assert.throws(() => tokenSpanOfChars(["ab"], 1, 5), /past the end/);
});

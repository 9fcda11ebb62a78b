import { test } from "node:test";
import assert from "node:assert/strict";
import { mathTokenizer, tokenizerFromJSON, SPECIAL_TOKENS } from "../../src/model/tokenizer.js";

const tok = mathTokenizer();

test("the math vocabulary is small, with every digit and every special token a single id", () => {
  assert.equal(tok.vocabSize, 121 + 256); // 121 specials and characters, 256 byte-fallback tokens
  assert.equal(mathTokenizer({ byteFallback: false }).vocabSize, 121);
  const digits = "0123456789".split("").map((d) => tok.encode(d));
  for (const ids of digits) assert.equal(ids.length, 1);
  assert.equal(new Set(digits.map((d) => d[0])).size, 10);
  const ids = SPECIAL_TOKENS.map((s) => tok.tokenId(s));
  assert.ok(ids.every((id) => id !== undefined));
  assert.equal(new Set(ids).size, SPECIAL_TOKENS.length);
  assert.deepEqual([tok.pad, tok.bos, tok.eos], [0, 1, 2]);
  assert.equal(tok.tokenId("<nope>"), undefined);
});

test("math and LaTeX text round-trips and is one token per character", () => {
  const text = "Let $f(x) = \\frac{3x^2 - 1}{x_1 + 2}$; find f(10) if |x| <= 7.5% & x != 0?\n\t'a' \"b\" [c] ~ @ # `";
  const ids = tok.encode(text);
  assert.equal(ids.length, [...text].length);
  assert.equal(tok.decode(ids), text);
  const sym = "3 × 4 ÷ 2 − 1 ≤ π√2 ≥ 0 ≠ ∞ ≈ 5° · ±";
  assert.equal(tok.decode(tok.encode(sym)), sym);
  assert.equal(tok.encode("12345").length, 5);
});

test("without byte fallback (old vocabularies) unknown characters become <unk>; \\r\\n becomes \\n", () => {
  const old = mathTokenizer({ byteFallback: false });
  const unk = old.tokenId("<unk>")!;
  assert.deepEqual(old.encode("a€b").map((id) => id === unk), [false, true, false]);
  assert.equal(old.decode(old.encode("a€b")), "a<unk>b");
  assert.equal(old.encode("😀").length, 1); // one code point (a surrogate pair) is one <unk>, not two
  assert.deepEqual(old.encode("1\r\n2"), old.encode("1\n2"));
  assert.deepEqual(tok.encode("1\r\n2"), tok.encode("1\n2"));
});

test("with byte fallback any UTF-8 text encodes as its bytes and round-trips; the known characters keep their ids", () => {
  const old = mathTokenizer({ byteFallback: false });
  const known = "x^2 + \\frac{1}{2} ≤ π";
  assert.deepEqual(tok.encode(known), old.encode(known));
  assert.deepEqual(tok.encode("€"), [0xe2, 0x82, 0xac].map((b) => 121 + b));
  for (const text of ["a€b", "😀 中文 ∫∑ naïve", "\u0000\u007f\u00a0", "Ω≡∂"]) {
    const ids = tok.encode(text);
    assert.ok(!ids.includes(tok.tokenId("<unk>")!), text);
    assert.equal(tok.decode(ids), text);
  }
  // A character cut inside its UTF-8 sequence decodes to U+FFFD, not to a crash or to bytes of the next one.
  const euro = tok.encode("€");
  assert.equal(tok.decode(euro.slice(0, 2)), "\uFFFD");
  assert.equal(tok.decode([...euro.slice(0, 1), ...tok.encode("a")]), "\uFFFDa");
});

test("continueFinalMessage ends inside the final assistant message", () => {
  const m = [{ role: "user" as const, content: "2+2?" }, { role: "assistant" as const, content: "It is" }];
  const ids = tok.renderChat(m, { continueFinalMessage: true });
  assert.deepEqual(ids, tok.renderChat(m, { addGenerationPrompt: false }).slice(0, -1));
  assert.equal(tok.decode(ids), "<bos><|user|>2+2?<eos><|assistant|>It is");
  assert.throws(() => tok.renderChat([m[0]!], { continueFinalMessage: true }), /final assistant message/);
});

test("special-token text is spelled out unless allowSpecial", () => {
  const text = "<think>2+2</think><answer>4</answer><eos>";
  const plain = tok.encode(text);
  assert.equal(plain.length, text.length);
  assert.ok(!plain.includes(tok.eos));
  assert.equal(tok.decode(plain), text);
  const special = tok.encode(text, { allowSpecial: true });
  assert.deepEqual(special, [tok.tokenId("<think>"), ...tok.encode("2+2"), tok.tokenId("</think>"), tok.tokenId("<answer>"), ...tok.encode("4"), tok.tokenId("</answer>"), tok.eos]);
  assert.equal(tok.decode(special), text);
  assert.equal(tok.decode(special, { skipSpecial: true }), "2+24");
  assert.deepEqual(tok.encode("<thin", { allowSpecial: true }), tok.encode("<thin"));
});

test("renderChat: bos, role token + content + eos per message, then the assistant opener", () => {
  const msgs = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "1+1=? <eos>" },
  ];
  const ids = tok.renderChat(msgs);
  const expected = [tok.bos, tok.tokenId("<|system|>")!, ...tok.encode("Be brief."), tok.eos,
    tok.tokenId("<|user|>")!, ...tok.encode("1+1=? <eos>"), tok.eos, tok.tokenId("<|assistant|>")!];
  assert.deepEqual(ids, expected);
  assert.equal(ids.filter((id) => id === tok.eos).length, 2, "the <eos> typed by the user is not an eos");
  const { tokens, spans } = tok.renderChatSpans([...msgs, { role: "assistant", content: "<think>x</think>2" }], { addGenerationPrompt: false, allowSpecial: true });
  assert.equal(tokens.at(-1), tok.eos);
  assert.deepEqual(spans.map((s) => s.role), ["system", "user", "assistant"]);
  const a = spans[2]!;
  assert.deepEqual(tokens.slice(a.start, a.end), [tok.tokenId("<think>"), ...tok.encode("x"), tok.tokenId("</think>"), ...tok.encode("2")]);
  assert.equal(tokens[a.start - 1], tok.tokenId("<|assistant|>"));
});

test("toJSON / tokenizerFromJSON round-trip through JSON text", () => {
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  const again = tokenizerFromJSON(json);
  const text = "x^2 + 3x = 10 <think>";
  assert.deepEqual(again.encode(text, { allowSpecial: true }), tok.encode(text, { allowSpecial: true }));
  assert.equal(again.vocabSize, tok.vocabSize);
  assert.deepEqual(again.toJSON(), tok.toJSON());
});

test("invalid tokenizer JSON is rejected with the problem named", () => {
  assert.throws(() => tokenizerFromJSON({ foo: 1 }, "t.json"), /t\.json: neither a trimer tokenizer/);
  assert.throws(() => tokenizerFromJSON({ type: "trimer-char", version: 2, special: [], chars: [] }, "t.json"), /unsupported trimer-char version 2/);
  assert.throws(() => tokenizerFromJSON({ type: "trimer-char", version: 1, special: ["<pad>", "<bos>", "<eos>"], chars: ["a"] }, "t.json"), /t\.json: .*<unk> is missing/);
  assert.throws(() => tokenizerFromJSON({ type: "trimer-char", version: 1, special: [...SPECIAL_TOKENS], chars: ["ab"] }, "t.json"), /chars\[0\] = "ab" is not a single character/);
  assert.throws(() => tokenizerFromJSON({ type: "trimer-char", version: 1, special: [...SPECIAL_TOKENS], chars: ["a", "a"] }, "t.json"), /listed twice/);
  assert.throws(() => tok.decode([999]), /id 999 is outside the vocabulary/);
});

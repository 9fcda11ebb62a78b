// Hand-made tokenizer.json files in the two families real models use, with merges chosen so that the expected ids
// can be worked out on paper (each expectation below says how).
import { test } from "node:test";
import assert from "node:assert/strict";
import { hfTokenizerFromJSON, translateRegex, type HFTokenizerJSON } from "../../src/model/hf-tokenizer.js";
import { tokenizerFromJSON } from "../../src/model/tokenizer.js";

/** GPT-2's byte → printable character table, written out from its definition. */
function byteChars(): string[] {
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const keep = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out.push(String.fromCodePoint(keep ? b : 256 + n++));
  }
  return out;
}

/** Byte-level BPE: ids 0..255 are the bytes, then one id per merge result in merge order, then added tokens. */
function byteLevel(merges: [string, string][], extra: Partial<HFTokenizerJSON> = {}): HFTokenizerJSON {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  let id = 256;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  return {
    version: "1.0",
    added_tokens: [
      { id: 400, content: "<|endoftext|>", special: true },
      { id: 401, content: "<|im_start|>", special: true },
      { id: 402, content: "<|im_end|>", special: true },
      { id: 403, content: "[MATH]", special: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel" },
    decoder: { type: "ByteLevel" },
    model: { type: "BPE", vocab, merges: merges.map(([a, b]) => `${a} ${b}`), unk_token: null },
    ...extra,
  };
}

const G = "Ġ"; // byte 0x20 (space)

test("byte-level BPE (GPT-2 style): merges by rank, regex pre-split, bytes for the rest", () => {
  const json = byteLevel([["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], [G, "w"], ["o", "r"], [`${G}w`, "or"], ["l", "d"], [`${G}wor`, "ld"]]);
  const tok = hfTokenizerFromJSON(json);
  const v = json.model.vocab;
  // "hello world" pre-splits into "hello" and " world" (Ġworld); both merge all the way.
  assert.deepEqual(tok.encode("hello world"), [v.hello, v[`${G}world`]]);
  // "hellx": h e l l x -> he, ll -> hell, x
  assert.deepEqual(tok.encode("hellx"), [v.hell, "x".charCodeAt(0)]);
  // "é" is two bytes C3 A9, which map to the characters Ã and ©: ids 0xC3, 0xA9.
  assert.deepEqual(tok.encode("é"), [0xc3, 0xa9]);
  // Digits and punctuation split off: "x=12!" -> "x", "=", "12", "!" by the GPT-2 regex; no merges apply.
  assert.deepEqual(tok.encode("x=12!"), [..."x=12!"].map((c) => c.charCodeAt(0)));
  for (const s of ["hello world", "héllo\n\tworld  !", "日本 😀 x²", "a  b   c\n\n"]) assert.equal(tok.decode(tok.encode(s)), s);
});

test("merge order is by rank, ties go left first", () => {
  // ranks: "b c" before "a b": "abc" -> a, bc (not ab, c)
  const j1 = byteLevel([["b", "c"], ["a", "b"]]);
  assert.deepEqual(hfTokenizerFromJSON(j1).encode("abc"), [97, j1.model.vocab.bc]);
  // one merge "a a": "aaa" -> aa, a (leftmost pair first)
  const j2 = byteLevel([["a", "a"]]);
  assert.deepEqual(hfTokenizerFromJSON(j2).encode("aaa"), [j2.model.vocab.aa, 97]);
  // array form of merges (newer tokenizer.json) behaves the same
  const j3 = byteLevel([["b", "c"], ["a", "b"]]);
  j3.model.merges = [["b", "c"], ["a", "b"]];
  assert.deepEqual(hfTokenizerFromJSON(j3).encode("abc"), [97, j3.model.vocab.bc]);
});

test("a long run of one character merges in O(n log n) and correctly", () => {
  const j = byteLevel([["a", "a"], ["aa", "aa"]]);
  const tok = hfTokenizerFromJSON(j);
  const ids = tok.encode("a".repeat(100_001));
  // 100001 a's: pairs -> 50000 "aa" + "a"; then pairs of "aa" -> 25000 "aaaa"; leftover "a".
  assert.equal(ids.length, 25_001);
  assert.equal(ids[0], j.model.vocab.aaaa);
  assert.equal(ids.at(-1), 97);
});

test("added tokens: special ones only with allowSpecial, plain ones always; ChatML chat", () => {
  const json = byteLevel([["h", "i"]]);
  const tok = hfTokenizerFromJSON(json);
  assert.deepEqual(tok.encode("hi<|endoftext|>", { allowSpecial: true }), [json.model.vocab.hi, 400]);
  const plain = tok.encode("hi<|endoftext|>");
  assert.ok(!plain.includes(400));
  assert.equal(tok.decode(plain), "hi<|endoftext|>");
  assert.deepEqual(tok.encode("[MATH]hi"), [403, json.model.vocab.hi]);
  assert.equal(tok.eos, 400); // <|endoftext|>
  assert.equal(tok.decode([json.model.vocab.hi!, 400], { skipSpecial: true }), "hi");
  const chat = tok.renderChat([{ role: "user", content: "hi" }]);
  assert.deepEqual(chat, [401, ...tok.encode("user\n"), json.model.vocab.hi, 402, ...tok.encode("\n"), 401, ...tok.encode("assistant\n")]);
  assert.equal(tok.decode(chat), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
});

test("Llama-3 style: Split with a (?i:...) regex, then ByteLevel without its own regex; ignore_merges", () => {
  const pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  // "3 4" ranks before "12 3": if "12345" were not split into "123" + "45" it would merge 3+4 first.
  const json = byteLevel([["3", "4"], ["1", "2"], ["12", "3"], ["4", "5"], ["'", "M"], [G, "1"]], {
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
    ] },
  });
  json.model.ignore_merges = true;
  const v = json.model.vocab;
  const tok = hfTokenizerFromJSON(json);
  // pieces: "I", "'M" (case-insensitive contraction), " " (alone: the space does not join the digits), "123", "45"
  assert.deepEqual(tok.encode("I'M 12345"), [73, v["'M"], 32, v["123"], v["45"]]);
  assert.equal(tok.decode(tok.encode("I'M 12345 cats\n\nok")), "I'M 12345 cats\n\nok");
  // ignore_merges: a piece that is itself in the vocabulary is taken whole ("34" is, via the merge "3 4").
  assert.deepEqual(tok.encode("34"), [v["34"]]);
});

test("translateRegex expands (?i:...) and drops possessive quantifiers", () => {
  assert.equal(translateRegex("(?i:'s|'t)").source, "(?:'[sS]|'[tT])");
  assert.equal(translateRegex("\\p{L}++|[a+]?+").source, "\\p{L}+|[a+]?");
  assert.deepEqual("THE'S x".match(translateRegex("(?i:'s)|\\p{L}+")), ["THE", "'S", "x"]);
  assert.equal(translateRegex("(?i:'[st])\\d{1,3}+").source, "(?:'[sStT])\\d{1,3}");
});

/** SentencePiece-style BPE as in Llama-2's tokenizer.json: ▁ for spaces, <0xXX> byte fallback. */
function sentencePiece(): HFTokenizerJSON {
  const vocab: Record<string, number> = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = 3 + b;
  let id = 259;
  for (const p of ["▁", "h", "e", "l", "o", "w", "r", "d", "1", "2", "▁h", "el", "▁hel", "lo", "▁hello", "▁w", "or", "▁wor", "ld", "▁world"]) vocab[p] = id++;
  return {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<unk>", special: true },
      { id: 1, content: "<s>", special: true },
      { id: 2, content: "</s>", special: true },
    ],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }] },
    decoder: { type: "Sequence", decoders: [
      { type: "Replace", pattern: { String: "▁" }, content: " " },
      { type: "ByteFallback" }, { type: "Fuse" },
      { type: "Strip", content: " ", start: 1, stop: 0 },
    ] },
    model: { type: "BPE", vocab, merges: ["▁ h", "e l", "▁h el", "l o", "▁hel lo", "▁ w", "o r", "▁w or", "l d", "▁wor ld"],
      unk_token: "<unk>", byte_fallback: true, fuse_unk: true },
  };
}

test("SentencePiece-style BPE (Llama-2): ▁ prefix, byte fallback, decoder strips the added space", () => {
  const json = sentencePiece();
  const v = json.model.vocab;
  const tok = hfTokenizerFromJSON(json);
  assert.equal(tok.bos, 1); // from the TemplateProcessing post-processor
  assert.equal(tok.eos, 2);
  // "hello world" -> "▁hello▁world" -> ▁hello, ▁world
  assert.deepEqual(tok.encode("hello world"), [v["▁hello"], v["▁world"]]);
  // "hé2": ▁h, then é (not in vocab) as bytes C3 A9, then 2
  assert.deepEqual(tok.encode("hé2"), [v["▁h"], 3 + 0xc3, 3 + 0xa9, v["2"]]);
  assert.equal(tok.decode(tok.encode("hé2 world")), "hé2 world");
  assert.equal(tok.decode([1, ...tok.encode("hello")], { skipSpecial: true }), "hello");
  // without byte fallback, unknown characters fuse into one <unk>
  json.model.byte_fallback = false;
  assert.deepEqual(hfTokenizerFromJSON(json).encode("h€€"), [v["▁h"], 0]);
});

test("tokenizerFromJSON dispatches to the HF loader; bad files name the problem", () => {
  const tok = tokenizerFromJSON(sentencePiece());
  assert.equal(tok.encode("world").length, 1);
  assert.deepEqual(tok.toJSON(), sentencePiece());
  const bad = sentencePiece();
  bad.model.merges = ["▁ zz"];
  assert.throws(() => tokenizerFromJSON(bad, "x/tokenizer.json"), /x\/tokenizer\.json: model: model\.merges\[0\] = "▁ zz" uses a token that is not in the vocabulary/);
  const bad2 = sentencePiece();
  bad2.model.type = "Unigram";
  assert.throws(() => tokenizerFromJSON(bad2, "t.json"), /model type "Unigram" is not supported/);
  const bad3 = sentencePiece();
  bad3.decoder = { type: "WordPiece" };
  assert.throws(() => tokenizerFromJSON(bad3, "t.json"), /decoder type "WordPiece" is not supported/);
});

// ------------------------------------------------------------------------------------------ differential check
// Hugging Face's own JS port (@huggingface/tokenizers, a devDependency used only here) as an independent oracle on
// random text. It is not our production tokenizer because it always turns special-token text into special ids
// (no way to encode untrusted text safely) and has no renderChat; see src/model/hf-tokenizer.ts.
import { Tokenizer as HFReference } from "@huggingface/tokenizers";
import { createRng } from "../../src/util/rng.js";

function randomTexts(seed: number, count: number): string[] {
  const rng = createRng(seed);
  const alphabet = [..."abcdehlorwxyzHIM0123456789 +-=*/()'.,!?\n\t", "  ", "\n\n", "'s", "'M", "é", "日本", "😀", "x²", "▁", "hello", " world", "12345", "[MATH]"];
  return Array.from({ length: count }, () => Array.from({ length: rng.int(0, 40) }, () => rng.pick(alphabet)).join(""));
}

const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const oracleCases: [string, () => HFTokenizerJSON][] = [
  ["byte-level (GPT-2)", () => byteLevel([["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], [G, "w"], ["o", "r"], [`${G}w`, "or"], ["l", "d"], [`${G}wor`, "ld"], ["1", "2"], ["12", "3"], [G, G], ["Ċ", "Ċ"], ["Ã", "©"]])],
  ["byte-level with a Llama-3 Split", () => byteLevel([["3", "4"], ["1", "2"], ["12", "3"], ["4", "5"], ["'", "M"], [G, "1"], ["h", "e"], ["l", "l"], [G, "w"]], {
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: LLAMA3_PATTERN }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
    ] },
  })],
  ["SentencePiece-style (Llama-2)", sentencePiece],
];

for (const [name, make] of oracleCases) {
  test(`${name}: ids and decoded text agree with @huggingface/tokenizers on 300 random texts`, () => {
    const json = make();
    const ours = hfTokenizerFromJSON(json);
    const ref = new HFReference(structuredClone(json), {});
    for (const text of randomTexts(42, 300)) {
      const ids = ours.encode(text);
      assert.deepEqual(ids, ref.encode(text, { add_special_tokens: false }).ids, JSON.stringify(text));
      if (ids.length) assert.equal(ours.decode(ids), ref.decode(ids, { clean_up_tokenization_spaces: false }), JSON.stringify(text));
      else assert.equal(text, "");
    }
  });
}

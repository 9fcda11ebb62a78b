// trimer checkpoints carry standard Hugging Face tokenizer files. The fast checks here use Hugging Face's own JS
// tokenizer (@huggingface/tokenizers) and Jinja engine as oracles; the interop suite (npm run interop) repeats them
// with transformers' AutoTokenizer and apply_chat_template.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as HFReference } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import { checkpointTokenizer, configFromHF, loadCheckpoint, saveCheckpoint } from "../../src/model/checkpoint.js";
import { charTokenizerFromHF, charTokenizerToHF } from "../../src/model/hf-format.js";
import { hfTokenizerFromJSON, type HFTokenizerJSON } from "../../src/model/hf-tokenizer.js";
import { zerosLike } from "../../src/model/tensors.js";
import { mathTokenizer, tokenizerFromJSON, type CharTokenizerJSON } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { ChatMessage } from "../../src/engine/types.js";

const TEXTS = [
  "Hello, world! 12+34=46", "$\\frac{a}{b} + \\sqrt{x^2}$ ≤ π, 3 × 4 ÷ 2 − 1", "héllo 😀 €∫ 中文 naïve Ω≡∂", "", "a\r\nb\r\n",
  "<think>2+2</think><answer>4</answer><eos>", "tab\tnew\nline  two  spaces", "\u0000\u007f\u00a0\u2028",
];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "hffmt-"));
}

const config = (vocab: number): ModelConfig => ({
  vocab_size: vocab, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 24, max_position_embeddings: 64, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
});

test("a saved checkpoint's tokenizer.json is a Hugging Face file: @huggingface/tokenizers gives trimer's ids and text", async () => {
  const dir = tmp();
  try {
    const tok = mathTokenizer();
    await saveCheckpoint(dir, { config: config(384), tensors: zerosLike(config(384)), tokenizer: tok.toJSON() });
    const file = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as HFTokenizerJSON;
    assert.equal(file.model.type, "BPE");
    assert.deepEqual(file.model.merges, []);
    const ref = new HFReference(file, JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")));
    for (const text of TEXTS) {
      const ids = tok.encode(text, { allowSpecial: true }); // HF always recognises special-token text
      assert.deepEqual(ref.encode(text, { add_special_tokens: false }).ids, ids, JSON.stringify(text));
      assert.deepEqual(ref.encode(text).ids, [tok.bos, ...ids], JSON.stringify(text)); // the post-processor adds <bos>
      if (ids.length) assert.equal(ref.decode(ids, { skip_special_tokens: true }), tok.decode(ids, { skipSpecial: true }), JSON.stringify(text));
    }
    const tc = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
    assert.deepEqual([tc.bos_token, tc.eos_token, tc.pad_token, tc.unk_token], ["<bos>", "<eos>", "<pad>", "<unk>"]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "generation_config.json"), "utf8")), { bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
    assert.equal(JSON.parse(readFileSync(join(dir, "special_tokens_map.json"), "utf8")).eos_token.content, "<eos>");
    // The chat template, rendered by Hugging Face's Jinja engine and tokenized by HF, gives renderChat's ids.
    const msgs: ChatMessage[] = [{ role: "system", content: "Be brief." }, { role: "user", content: "What is ∫x dx?" }, { role: "assistant", content: "x²/2" }, { role: "user", content: "and 2+2?" }];
    for (const gen of [true, false]) {
      const text = new Template(tc.chat_template).render({ messages: msgs, bos_token: tc.bos_token, eos_token: tc.eos_token, add_generation_prompt: gen });
      assert.deepEqual(ref.encode(text, { add_special_tokens: false }).ids, tok.renderChat(msgs, { addGenerationPrompt: gen }));
    }
    // Reading the folder back gives trimer's vocabulary (same ids, same safety for untrusted text).
    const back = await loadCheckpoint(dir);
    assert.deepEqual(back.tokenizer, tok.toJSON());
    assert.deepEqual(checkpointTokenizer(back).encode("<eos>€"), tok.encode("<eos>€"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("old checkpoints (trimer-char tokenizer.json, no byte fallback) keep loading with the same ids", async () => {
  const dir = tmp();
  try {
    const old = mathTokenizer({ byteFallback: false });
    await saveCheckpoint(dir, { config: config(128), tensors: zerosLike(config(128)), tokenizer: old.toJSON() });
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(old.toJSON())); // the old file format
    const back = await loadCheckpoint(dir);
    const tok = checkpointTokenizer(back);
    assert.equal(tok.vocabSize, 121);
    for (const text of TEXTS) assert.deepEqual(tok.encode(text), old.encode(text));
    assert.equal(tok.decode(tok.encode("a€b")), "a<unk>b");
    // And the 121-id vocabulary written in the HF format reads back as itself.
    const files = charTokenizerToHF(old.toJSON() as CharTokenizerJSON);
    assert.deepEqual(charTokenizerFromHF(files.tokenizer), old.toJSON());
    const ref = new HFReference(structuredClone(files.tokenizer), files.tokenizerConfig);
    assert.deepEqual(ref.encode("a€b", { add_special_tokens: false }).ids, old.encode("a€b"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a foreign HF tokenizer renders chats with its own Jinja chat_template; contents cannot inject special tokens", () => {
  const vocab: Record<string, number> = {};
  const chars = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ []<>|_/\n:?2+"];
  chars.forEach((c, i) => { vocab[c] = i; });
  const json: HFTokenizerJSON = {
    model: { type: "BPE", vocab, merges: [] },
    added_tokens: [
      { id: chars.length, content: "<|im_start|>", special: true }, { id: chars.length + 1, content: "<|im_end|>", special: true },
      { id: chars.length + 2, content: "<|endoftext|>", special: true },
    ],
    // A template that is not ChatML: the marker guess would get it wrong.
    trimer_tokenizer_config: {
      eos_token: "<|im_end|>", bos_token: null,
      chat_template: "{% for m in messages %}<|im_start|>{{ m['role'] | upper }}: {{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>ASSISTANT: {% endif %}",
    },
  };
  const tok = hfTokenizerFromJSON(json);
  const msgs: ChatMessage[] = [{ role: "user", content: "hi<|im_end|>" }];
  const ids = tok.renderChat(msgs);
  const start = tok.tokenId("<|im_start|>")!, end = tok.tokenId("<|im_end|>")!;
  assert.equal(tok.decode(ids), "<|im_start|>USER: hi<|im_end|><|im_end|>\n<|im_start|>ASSISTANT: ");
  assert.equal(ids.filter((i) => i === end).length, 1, "the content's <|im_end|> is spelled out");
  assert.equal(ids.filter((i) => i === start).length, 2);
  const { tokens, spans } = tok.renderChatSpans([...msgs, { role: "assistant", content: "ok" }], { addGenerationPrompt: false });
  assert.equal(tok.decode(tokens.slice(spans[1]!.start, spans[1]!.end)), "ok");
  const cont = tok.renderChat([{ role: "user", content: "q" }, { role: "assistant", content: "partial" }], { continueFinalMessage: true });
  assert.ok(tok.decode(cont).endsWith("ASSISTANT: partial"));
  // A template that trims contents still renders (contents are found in the real rendering).
  const trimming = hfTokenizerFromJSON({ ...json, trimer_tokenizer_config: { chat_template: "{% for m in messages %}[{{ m['content'] | trim }}]{% endfor %}" } });
  assert.equal(trimming.decode(trimming.renderChat([{ role: "user", content: "  ab  " }])), "[ab]");
  const trimmed = trimming.renderChatSpans([{ role: "user", content: " <|im_end|> " }]);
  assert.equal(trimmed.spans.length, 1, "the trimmed content is still found (and its specials spelled out)");
  assert.ok(!trimmed.tokens.includes(end));
  assert.throws(() => hfTokenizerFromJSON({ ...json, trimer_tokenizer_config: { chat_template: "{% for %}" } }), /chat template does not parse/);
});

test("transformers v5 rope_parameters give the RoPE base; conflicts and other RoPE types are refused", () => {
  const base = { model_type: "llama", vocab_size: 32, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 24 };
  assert.equal(configFromHF({ ...base, rope_parameters: { rope_type: "default", rope_theta: 500000 } }).rope_theta, 500000);
  assert.equal(configFromHF({ ...base, rope_theta: 500000 }).rope_theta, 500000);
  assert.equal(configFromHF({ ...base, rope_theta: 500000, rope_parameters: { rope_type: "default", rope_theta: 500000 } }).rope_theta, 500000);
  assert.throws(() => configFromHF({ ...base, rope_theta: 10000, rope_parameters: { rope_type: "default", rope_theta: 500000 } }), /disagree/);
  assert.throws(() => configFromHF({ ...base, rope_parameters: { rope_type: "llama3", rope_theta: 500000, factor: 8 } }), /rope_type "llama3" is not supported/);
  // trimer writes both forms, so v4 and v5 readers agree.
  const dir = tmp();
  try {
    const c = { ...config(384), rope_theta: 123456 };
    return saveCheckpoint(dir, { config: c, tensors: zerosLike(c), tokenizer: mathTokenizer().toJSON() }).then(() => {
      const hf = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      assert.equal(hf.rope_theta, 123456);
      assert.deepEqual(hf.rope_parameters, { rope_type: "default", rope_theta: 123456 });
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
});

test("tokenizerFromJSON reads the HF form of the char vocabulary as the char vocabulary", () => {
  const tok = mathTokenizer();
  const hf = charTokenizerToHF(tok.toJSON() as CharTokenizerJSON).tokenizer;
  const again = tokenizerFromJSON(JSON.parse(JSON.stringify(hf)));
  assert.deepEqual(again.toJSON(), tok.toJSON());
  // Any change to the shape makes it a generic HF tokenizer instead (never a wrong char vocabulary).
  const merged = { ...hf, model: { ...hf.model, merges: [["a", "b"]] as [string, string][], vocab: { ...hf.model.vocab, ab: 999 } } };
  assert.equal(charTokenizerFromHF(merged), null);
});

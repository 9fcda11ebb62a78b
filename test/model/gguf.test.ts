// The GGUF exporter, checked node-only: the file parses back (a small reader written from the GGUF spec), the
// q/k permutation turns HF's rotate-half RoPE into ggml's interleaved RoPE, and bad inputs are refused. The interop
// suite (npm run interop) loads the file in llama.cpp and with the `gguf` Python package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ggufChunks, ggufTensorName, permuteRope } from "../../src/model/gguf.js";
import { zerosLike } from "../../src/model/tensors.js";
import { mathTokenizer, type CharTokenizerJSON } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { createRng } from "../../src/util/rng.js";

const config: ModelConfig = {
  vocab_size: 384, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 24, max_position_embeddings: 64, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};

function parse(buf: Buffer): { meta: Map<string, unknown>; tensors: { name: string; dims: number[]; type: number; offset: number }[]; dataStart: number } {
  let at = 0;
  const u32 = (): number => { const v = buf.readUInt32LE(at); at += 4; return v; };
  const u64 = (): number => { const v = Number(buf.readBigUInt64LE(at)); at += 8; return v; };
  const str = (): string => { const n = u64(); const s = buf.toString("utf8", at, at + n); at += n; return s; };
  const val = (t: number): unknown => {
    switch (t) {
      case 4: return u32();
      case 5: { const v = buf.readInt32LE(at); at += 4; return v; }
      case 6: { const v = buf.readFloatLE(at); at += 4; return v; }
      case 7: return buf[at++] === 1;
      case 8: return str();
      case 9: { const et = u32(); const n = u64(); return Array.from({ length: n }, () => val(et)); }
      case 10: return u64();
      default: throw new Error(`type ${t}`);
    }
  };
  assert.equal(buf.toString("ascii", 0, 4), "GGUF");
  at = 4;
  assert.equal(u32(), 3);
  const nT = u64(), nKV = u64();
  const meta = new Map<string, unknown>();
  for (let i = 0; i < nKV; i++) { const k = str(); meta.set(k, val(u32())); }
  const tensors = Array.from({ length: nT }, () => {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    return { name, dims, type: u32(), offset: u64() };
  });
  const dataStart = Math.ceil(at / 32) * 32;
  return { meta, tensors, dataStart };
}

test("the GGUF file carries llama metadata, the vocabulary and every tensor (q/k permuted, others as stored)", () => {
  const rng = createRng(3);
  const tensors = zerosLike(config);
  for (const t of tensors.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  const tok = mathTokenizer().toJSON() as CharTokenizerJSON;
  const buf = Buffer.concat([...ggufChunks(config, tensors, tok, { name: "t" })]);
  const { meta, tensors: infos, dataStart } = parse(buf);
  assert.equal(meta.get("general.architecture"), "llama");
  assert.equal(meta.get("llama.block_count"), 2);
  assert.equal(meta.get("llama.attention.head_count_kv"), 2);
  assert.equal(meta.get("llama.rope.dimension_count"), 4);
  const tokens = meta.get("tokenizer.ggml.tokens") as string[];
  assert.equal(tokens.length, 384); // 377 + 7 unused (one per embedding row)
  assert.equal(tokens[tok.special.length + tok.chars.indexOf(" ")], "▁");
  assert.equal(tokens[tok.special.length + tok.chars.length + 0x41], "<0x41>");
  assert.equal((meta.get("tokenizer.ggml.token_type") as number[])[tok.special.length + tok.chars.length], 6);
  assert.equal(meta.get("tokenizer.ggml.bos_token_id"), 1);
  assert.ok(!infos.some((t) => t.name === "output.weight"), "tied: llama.cpp reuses token_embd");
  for (const [hf, t] of tensors) {
    const info = infos.find((x) => x.name === ggufTensorName(hf))!;
    assert.deepEqual(info.dims, [...t.shape].reverse());
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart + info.offset, buf.byteOffset + dataStart + info.offset + t.data.length * 4));
    const heads = hf.includes("q_proj") ? 4 : hf.includes("k_proj") ? 2 : 0;
    assert.deepEqual(data, heads ? permuteRope(t.data, heads, 4, 16) : t.data, hf);
  }
});

test("the permutation makes ggml's interleaved RoPE equal HF's rotate-half RoPE", () => {
  const heads = 3, hd = 8, d = 5, theta = 10000, pos = 7;
  const rng = createRng(9);
  const w = Float32Array.from({ length: heads * hd * d }, () => rng.normal());
  const x = Float64Array.from({ length: d }, () => rng.normal());
  const mul = (m: Float32Array): number[] => Array.from({ length: heads * hd }, (_, r) => x.reduce((s, xi, c) => s + m[r * d + c]! * xi, 0));
  const angle = (i: number): number => pos / Math.pow(theta, (2 * i) / hd);
  // HF: pairs (i, i + hd/2) rotate together.
  const hf = mul(w);
  const hfOut = [...hf];
  for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) {
    const a = hf[h * hd + i]!, b = hf[h * hd + i + hd / 2]!, c = Math.cos(angle(i)), s = Math.sin(angle(i));
    hfOut[h * hd + i] = a * c - b * s;
    hfOut[h * hd + i + hd / 2] = b * c + a * s;
  }
  // ggml (LLAMA_ROPE_TYPE_NORM): pairs (2i, 2i + 1).
  const gg = mul(permuteRope(w, heads, hd, d));
  const ggOut = [...gg];
  for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) {
    const a = gg[h * hd + 2 * i]!, b = gg[h * hd + 2 * i + 1]!, c = Math.cos(angle(i)), s = Math.sin(angle(i));
    ggOut[h * hd + 2 * i] = a * c - b * s;
    ggOut[h * hd + 2 * i + 1] = b * c + a * s;
  }
  // Same vectors up to the same row permutation, so every attention dot product agrees.
  for (let h = 0; h < heads; h++) for (let i = 0; i < hd / 2; i++) for (let j = 0; j < 2; j++) {
    assert.ok(Math.abs(ggOut[h * hd + 2 * i + j]! - hfOut[h * hd + j * (hd / 2) + i]!) < 1e-9);
  }
});

test("vocabularies without byte fallback and reward models are refused with the reason", () => {
  const old = mathTokenizer({ byteFallback: false }).toJSON() as CharTokenizerJSON;
  assert.throws(() => [...ggufChunks({ ...config, vocab_size: 128 }, zerosLike({ ...config, vocab_size: 128 }), old)], /no byte-fallback tokens/);
  const tok = mathTokenizer().toJSON() as CharTokenizerJSON;
  assert.throws(() => [...ggufChunks({ ...config, score_head: true }, zerosLike(config), tok)], /reward model/);
  assert.throws(() => ggufTensorName("model.layers.0.self_attn.rotary_emb.inv_freq"), /no llama.cpp name/);
});

// A checkpoint as a GGUF file (llama.cpp, Ollama, LM Studio): GGUF v3, float32 tensors, llama architecture.
//
// What llama.cpp needs, as its convert_hf_to_gguf.py writes it for a Llama model (format: ggml's docs/gguf.md):
//  - tensor names: token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_up,
//    ffn_down}, output_norm, output (absent when the embedding is tied: llama.cpp then reuses token_embd);
//    dimensions listed fastest-varying first (an HF [rows, cols] weight is ne = [cols, rows]);
//  - q_proj / k_proj rows permuted from HF's rotate-half RoPE layout (the two halves of each head's dimensions) to
//    ggml's interleaved pairs: within each head, row (half j, index i) moves to 2·i + j;
//  - llama.* hyper-parameters and a SentencePiece-style ("llama") vocabulary: tokens, scores, token types, special
//    ids, byte-fallback tokens <0xXX> (without them llama.cpp's tokenizer aborts on a character outside the
//    vocabulary, so only vocabularies with byte fallback are exported), the chat template.
// trimer's character vocabulary has no merges, so every score is 0 and no two characters ever merge. llama.cpp's SPM
// tokenizer writes spaces as "▁" before looking tokens up, so the space character's token is stored as "▁" (the
// usual SentencePiece spelling); add_space_prefix is off because trimer adds no leading space.
import type { ModelConfig } from "./config.js";
import { headDim } from "./config.js";
import type { TensorMap } from "./tensors.js";
import type { CharTokenizerJSON } from "./tokenizer.js";
import { byteToken, CHAR_CHAT_TEMPLATE } from "./tokenizer.js";

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

enum T { U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12 }
const GGML_TYPE_F32 = 0;
const FILE_TYPE_ALL_F32 = 0;
/** llama.cpp's token types. */
const TOKEN_NORMAL = 1, TOKEN_UNKNOWN = 2, TOKEN_CONTROL = 3, TOKEN_BYTE = 6;

type MetaValue =
  | { t: T.U32 | T.I32 | T.F32 | T.U64; v: number }
  | { t: T.BOOL; v: boolean }
  | { t: T.STRING; v: string }
  | { t: T.ARRAY; of: T.STRING; v: string[] }
  | { t: T.ARRAY; of: T.F32 | T.I32; v: number[] };

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  private push(b: Buffer): void { this.chunks.push(b); this.length += b.length; }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  bool(v: boolean): void { this.push(Buffer.from([v ? 1 : 0])); }
  str(s: string): void { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
  pad(to: number): void { const n = (to - (this.length % to)) % to; if (n) this.push(Buffer.alloc(n)); }
  value(m: MetaValue): void {
    this.u32(m.t);
    switch (m.t) {
      case T.U32: return this.u32(m.v);
      case T.I32: return this.i32(m.v);
      case T.F32: return this.f32(m.v);
      case T.U64: return this.u64(m.v);
      case T.BOOL: return this.bool(m.v);
      case T.STRING: return this.str(m.v);
      case T.ARRAY:
        this.u32(m.of);
        this.u64(m.v.length);
        if (m.of === T.STRING) for (const s of m.v as string[]) this.str(s);
        else if (m.of === T.F32) for (const x of m.v as number[]) this.f32(x);
        else for (const x of m.v as number[]) this.i32(x);
    }
  }
  take(): Buffer[] { const c = this.chunks; this.chunks = []; return c; }
}

/** HF parameter name → GGUF tensor name. */
export function ggufTensorName(hf: string): string {
  const fixed: Record<string, string> = { "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight" };
  if (fixed[hf]) return fixed[hf]!;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const part: Record<string, string> = {
    "input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
  };
  if (m && part[m[2]!]) return `blk.${m[1]}.${part[m[2]!]}`;
  throw new Error(`gguf: no llama.cpp name for the tensor ${hf}`);
}

/** Rows of a q/k projection [heads · hd, d] from HF's rotate-half layout to ggml's interleaved RoPE pairs. */
export function permuteRope(data: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = h * hd + j * half + i, to = h * hd + 2 * i + j;
        out.set(data.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

export interface GGUFExportOptions {
  /** general.name (default "trimer"). */
  name?: string;
}

/** The vocabulary as llama.cpp's "llama" (SentencePiece) tokenizer metadata. */
function vocabularyMeta(tok: CharTokenizerJSON): Record<string, MetaValue> {
  if (!tok.byte_fallback) {
    throw new Error("gguf: this checkpoint's vocabulary has no byte-fallback tokens (saved before trimer had them); llama.cpp's tokenizer would abort on any character outside it. Re-initialise or retrain from a current checkpoint");
  }
  const tokens: string[] = [], types: number[] = [];
  const special = tok.special;
  for (const s of special) { tokens.push(s); types.push(s === "<unk>" ? TOKEN_UNKNOWN : TOKEN_CONTROL); }
  for (const c of tok.chars) { tokens.push(c === " " ? "▁" : c); types.push(TOKEN_NORMAL); }
  for (let b = 0; b < 256; b++) { tokens.push(byteToken(b)); types.push(TOKEN_BYTE); }
  if (tok.chars.includes("▁")) throw new Error("gguf: the vocabulary holds \"▁\" as a character, which llama.cpp reserves for the space");
  const id = (s: string): number => {
    const i = special.indexOf(s);
    if (i < 0) throw new Error(`gguf: the vocabulary has no ${s}`);
    return i;
  };
  return {
    "tokenizer.ggml.model": { t: T.STRING, v: "llama" },
    "tokenizer.ggml.pre": { t: T.STRING, v: "default" },
    "tokenizer.ggml.tokens": { t: T.ARRAY, of: T.STRING, v: tokens },
    "tokenizer.ggml.scores": { t: T.ARRAY, of: T.F32, v: tokens.map(() => 0) },
    "tokenizer.ggml.token_type": { t: T.ARRAY, of: T.I32, v: types },
    "tokenizer.ggml.bos_token_id": { t: T.U32, v: id("<bos>") },
    "tokenizer.ggml.eos_token_id": { t: T.U32, v: id("<eos>") },
    "tokenizer.ggml.unknown_token_id": { t: T.U32, v: id("<unk>") },
    "tokenizer.ggml.padding_token_id": { t: T.U32, v: id("<pad>") },
    "tokenizer.ggml.add_bos_token": { t: T.BOOL, v: true },
    "tokenizer.ggml.add_eos_token": { t: T.BOOL, v: false },
    "tokenizer.ggml.add_space_prefix": { t: T.BOOL, v: false },
    "tokenizer.chat_template": { t: T.STRING, v: CHAR_CHAT_TEMPLATE },
  };
}

/**
 * The GGUF file as chunks (header, metadata, tensor infos, then each tensor's data), for writeFileAtomic. Only
 * trimer's character vocabulary is written here; a real model's own tokenizer is llama.cpp's converter's job
 * (convert_hf_to_gguf.py reads the same checkpoint folder).
 */
export function* ggufChunks(config: ModelConfig, tensors: TensorMap, tokenizer: CharTokenizerJSON, opts: GGUFExportOptions = {}): Generator<Uint8Array> {
  if (config.score_head) throw new Error("gguf: a reward model (score head) cannot be exported for llama.cpp");
  const hd = headDim(config);
  const nVocab = tokenizer.special.length + tokenizer.chars.length + (tokenizer.byte_fallback ? 256 : 0);
  if (nVocab > config.vocab_size) throw new Error(`gguf: the tokenizer has ${nVocab} ids but vocab_size is ${config.vocab_size}`);
  const vocabMeta = vocabularyMeta(tokenizer);
  // llama.cpp requires one token per embedding row: a vocabulary padded past the tokenizer gets unused tokens.
  const tokens = vocabMeta["tokenizer.ggml.tokens"]!.v as string[];
  const types = vocabMeta["tokenizer.ggml.token_type"]!.v as number[];
  const scores = vocabMeta["tokenizer.ggml.scores"]!.v as number[];
  for (let i = nVocab; i < config.vocab_size; i++) { tokens.push(`<unused${i - nVocab}>`); types.push(TOKEN_CONTROL); scores.push(0); }
  const meta: Record<string, MetaValue> = {
    "general.architecture": { t: T.STRING, v: "llama" },
    "general.name": { t: T.STRING, v: opts.name ?? "trimer" },
    "general.file_type": { t: T.U32, v: FILE_TYPE_ALL_F32 },
    "general.alignment": { t: T.U32, v: ALIGNMENT },
    "llama.vocab_size": { t: T.U32, v: config.vocab_size },
    "llama.context_length": { t: T.U32, v: config.max_position_embeddings },
    "llama.embedding_length": { t: T.U32, v: config.hidden_size },
    "llama.block_count": { t: T.U32, v: config.num_hidden_layers },
    "llama.feed_forward_length": { t: T.U32, v: config.intermediate_size },
    "llama.attention.head_count": { t: T.U32, v: config.num_attention_heads },
    "llama.attention.head_count_kv": { t: T.U32, v: config.num_key_value_heads },
    "llama.attention.layer_norm_rms_epsilon": { t: T.F32, v: config.rms_norm_eps },
    "llama.rope.freq_base": { t: T.F32, v: config.rope_theta },
    "llama.rope.dimension_count": { t: T.U32, v: hd },
    ...vocabMeta,
  };
  // Tensors in the checkpoint's order; tied models have no output.weight.
  const list: { name: string; dims: number[]; data: Float32Array }[] = [];
  for (const [hf, t] of tensors) {
    let data = t.data;
    if (hf.endsWith("self_attn.q_proj.weight")) data = permuteRope(data, config.num_attention_heads, hd, config.hidden_size);
    else if (hf.endsWith("self_attn.k_proj.weight")) data = permuteRope(data, config.num_key_value_heads, hd, config.hidden_size);
    list.push({ name: ggufTensorName(hf), dims: [...t.shape].reverse(), data });
  }
  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(list.length);
  w.u64(Object.keys(meta).length);
  for (const [k, v] of Object.entries(meta)) { w.str(k); w.value(v); }
  let offset = 0;
  for (const t of list) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  w.pad(ALIGNMENT);
  yield* w.take();
  for (const t of list) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    // Float32Array is little-endian on every platform Node runs on that matters here (x86, arm).
    yield bytes;
    const pad = (ALIGNMENT - (bytes.length % ALIGNMENT)) % ALIGNMENT;
    if (pad) yield new Uint8Array(pad);
  }
}

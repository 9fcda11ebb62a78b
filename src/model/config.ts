// The model's shape, in Hugging Face `LlamaConfig` field names so that config.json round-trips with HF tools and
// with the PyTorch parity fixtures (scripts/make-torch-fixtures.sh).

export interface ModelConfig {
  vocab_size: number;
  hidden_size: number;             // d_model
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;     // < num_attention_heads: grouped-query attention
  intermediate_size: number;       // SwiGLU hidden width
  max_position_embeddings: number; // context length
  rms_norm_eps: number;
  rope_theta: number;              // JT-Math raises it to extend the context
  tie_word_embeddings: boolean;
  /** trimer extension: a scalar head (reward model) reading the final hidden state of the last real token. */
  score_head?: boolean;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

export function headDim(c: ModelConfig): number {
  return c.hidden_size / c.num_attention_heads;
}

/** Throws an Error naming the first field that is missing or inconsistent. */
export function validateConfig(c: ModelConfig, where = "config"): void {
  const ints: (keyof ModelConfig)[] = [
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "intermediate_size", "max_position_embeddings",
  ];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${where}: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) throw new Error(`${where}: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) throw new Error(`${where}: num_attention_heads ${c.num_attention_heads} is not divisible by num_key_value_heads ${c.num_key_value_heads}`);
  if (headDim(c) % 2 !== 0) throw new Error(`${where}: head dimension ${headDim(c)} must be even for RoPE`);
  if (!(c.rms_norm_eps > 0)) throw new Error(`${where}: rms_norm_eps must be > 0`);
  if (!(c.rope_theta > 0)) throw new Error(`${where}: rope_theta must be > 0`);
  if (typeof c.tie_word_embeddings !== "boolean") throw new Error(`${where}: tie_word_embeddings must be a boolean`);
}

/** Parameters of a model of this shape (embeddings, per-layer attention + SwiGLU + norms, final norm, lm head). */
export function parameterCount(c: ModelConfig): number {
  const d = c.hidden_size, kv = c.num_key_value_heads * headDim(c);
  const perLayer = d * d * 2 + d * kv * 2 + 3 * d * c.intermediate_size + 2 * d;
  return c.vocab_size * d * (c.tie_word_embeddings ? 1 : 2) + c.num_hidden_layers * perLayer + d + (c.score_head ? d + 1 : 0);
}

/**
 * Refuses, before a single byte is allocated, a model whose float32 weights alone would not fit in `bytesAvailable`
 * (default: the machine's total memory): an absurd config (a million layers, an intermediate size of 1e10) must
 * be one clear line, not an allocation loop until the machine runs out of memory.
 */
export function checkFitsInMemory(c: ModelConfig, bytesAvailable: number, where = "config"): void {
  const bytes = parameterCount(c) * 4;
  if (!Number.isFinite(bytes) || bytes > bytesAvailable) {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1);
    throw new ModelTooLargeError(`${where}: ${parameterCount(c).toExponential(2)} parameters need ${gib(bytes)} GiB as float32, more than the ${gib(bytesAvailable)} GiB of memory here — reduce num_hidden_layers / hidden_size / intermediate_size / vocab_size`);
  }
}

/** A model too large for this machine (a user's config mistake, reported as one line). */
export class ModelTooLargeError extends Error {
  override name = "InputError";
}

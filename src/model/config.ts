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

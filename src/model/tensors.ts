// Named parameters in Hugging Face Llama naming, so that checkpoints round-trip with HF tools and with the PyTorch
// parity fixtures (scripts/make-torch-fixtures.sh). Linear weights are [out, in] like torch.nn.Linear.

import type { ModelConfig } from "./config.js";
import { headDim } from "./config.js";

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** name -> tensor. Insertion order is the canonical order of `parameterShapes` when built by trimer. */
export type TensorMap = Map<string, NamedTensor>;

export interface ParameterShape {
  name: string;
  shape: number[];
}

/** Names per layer, in the order the reference lists them. */
export function layerParameterNames(i: number): {
  inputNorm: string; q: string; k: string; v: string; o: string; postNorm: string; gate: string; up: string; down: string;
} {
  const p = `model.layers.${i}.`;
  return {
    inputNorm: p + "input_layernorm.weight",
    q: p + "self_attn.q_proj.weight",
    k: p + "self_attn.k_proj.weight",
    v: p + "self_attn.v_proj.weight",
    o: p + "self_attn.o_proj.weight",
    postNorm: p + "post_attention_layernorm.weight",
    gate: p + "mlp.gate_proj.weight",
    up: p + "mlp.up_proj.weight",
    down: p + "mlp.down_proj.weight",
  };
}

/**
 * Every parameter of the model with its shape, in a fixed canonical order: embedding, the layers in order, final
 * norm, lm_head (absent when tie_word_embeddings), score.weight [1, hidden] (only when config.score_head).
 */
export function parameterShapes(config: ModelConfig): ParameterShape[] {
  const d = config.hidden_size;
  const kv = config.num_key_value_heads * headDim(config);
  const f = config.intermediate_size;
  const out: ParameterShape[] = [{ name: "model.embed_tokens.weight", shape: [config.vocab_size, d] }];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const n = layerParameterNames(i);
    out.push(
      { name: n.inputNorm, shape: [d] },
      { name: n.q, shape: [d, d] },
      { name: n.k, shape: [kv, d] },
      { name: n.v, shape: [kv, d] },
      { name: n.o, shape: [d, d] },
      { name: n.postNorm, shape: [d] },
      { name: n.gate, shape: [f, d] },
      { name: n.up, shape: [f, d] },
      { name: n.down, shape: [d, f] },
    );
  }
  out.push({ name: "model.norm.weight", shape: [d] });
  if (!config.tie_word_embeddings) out.push({ name: "lm_head.weight", shape: [config.vocab_size, d] });
  if (config.score_head) out.push({ name: "score.weight", shape: [1, d] });
  return out;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** A zero-filled TensorMap with every parameter of `config`, in canonical order. */
export function zerosLike(config: ModelConfig): TensorMap {
  const m: TensorMap = new Map();
  for (const { name, shape } of parameterShapes(config)) m.set(name, { shape: [...shape], data: new Float32Array(numel(shape)) });
  return m;
}

/**
 * Checks that `tensors` holds exactly the parameters of `config` with the right shapes. Throws an Error naming
 * the first missing, unexpected or mis-shaped tensor (`where` prefixes the message, e.g. a file path).
 */
export function validateTensors(config: ModelConfig, tensors: TensorMap, where = "tensors"): void {
  const expected = parameterShapes(config);
  const names = new Set(expected.map((e) => e.name));
  for (const { name, shape } of expected) {
    const t = tensors.get(name);
    if (!t) throw new Error(`${where}: missing tensor ${name}`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${where}: tensor ${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
    }
    if (t.data.length !== numel(shape)) throw new Error(`${where}: tensor ${name} has ${t.data.length} values, expected ${numel(shape)}`);
  }
  for (const name of tensors.keys()) if (!names.has(name)) throw new Error(`${where}: unexpected tensor ${name}`);
}

// A checkpoint is a folder a Hugging Face tool can read as a LlamaForCausalLM:
//   model.safetensors        parameters in HF Llama naming (float32), canonical order
//   config.json              HF LlamaConfig fields + architectures / model_type / torch_dtype (+ trimer's score_head)
//   tokenizer.json           a Hugging Face tokenizer.json (trimer's character vocabulary as BPE without merges,
//                            ./hf-format.ts; or the HF file a real model came with). Folders saved before that hold
//                            trimer's own `trimer-char` file there, which still loads with the same ids.
//   tokenizer_config.json    special token names and the Jinja chat template
//   special_tokens_map.json, generation_config.json   what transformers / vLLM / lm-eval read beside them
// and, for resuming training,
//   optimizer.safetensors    AdamW moments: m.<name>, v.<name>
//   trainer_state.json       step and whatever else the trainer keeps (schedule position, data cursor, rng state)
//
// Every file is written atomically (temp + fsync + rename). A crash between two files could still leave a folder
// whose optimizer state belongs to another save, so each save stamps one random id into model.safetensors,
// optimizer.safetensors and trainer_state.json; loading checks that they agree instead of resuming from a
// mixture. trainer_state.json is written last: its presence with a matching id marks a complete save.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";
import { readJsonFile } from "../util/files.js";
import { validateConfig, headDim, type ModelConfig } from "./config.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { parameterShapes, validateTensors, type TensorMap } from "./tensors.js";
import { charTokenizerFromHF, charTokenizerToHF } from "./hf-format.js";
import { isHFTokenizerJSON } from "./hf-tokenizer.js";
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from "./tokenizer.js";

export interface OptimizerState {
  step: number;
  m: TensorMap;
  v: TensorMap;
  /** Anything else the trainer needs to resume (JSON-serialisable): stored in trainer_state.json. */
  [k: string]: unknown;
}

export interface Checkpoint {
  config: ModelConfig;
  tensors: TensorMap;
  tokenizer: TokenizerJSON;
  optimizer?: OptimizerState;
}

export const FILES = {
  model: "model.safetensors",
  modelIndex: "model.safetensors.index.json",
  config: "config.json",
  tokenizer: "tokenizer.json",
  tokenizerConfig: "tokenizer_config.json",
  specialTokensMap: "special_tokens_map.json",
  generationConfig: "generation_config.json",
  optimizer: "optimizer.safetensors",
  trainerState: "trainer_state.json",
} as const;

const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024; // Llama-3's tokenizer.json is ~9 MB
const SAVE_ID_KEY = "trimer_save_id";

const CONFIG_KEYS: (keyof ModelConfig)[] = [
  "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
  "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "score_head",
  "bos_token_id", "eos_token_id", "pad_token_id",
];

/** config.json as Hugging Face writes it for a Llama model, plus trimer's fields. */
export function configToHF(config: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    torch_dtype: "float32",
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    head_dim: headDim(config),
    initializer_range: 0.02,
    rope_scaling: null,
    // transformers v5 reads the RoPE base from here; v4 from rope_theta (written below too).
    rope_parameters: { rope_type: "default", rope_theta: config.rope_theta },
  };
  for (const k of CONFIG_KEYS) if (config[k] !== undefined) out[k] = config[k];
  if (!config.score_head) delete out.score_head;
  return out;
}

/**
 * Reads an HF Llama config.json (ours or a real model's): fills HF's defaults for fields older files omit, and
 * rejects features the embedded model does not implement rather than computing something else silently.
 */
export function configFromHF(raw: unknown, where: string = FILES.config): ModelConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InputError(`${where}: not a JSON object`);
  const r = raw as Record<string, unknown>;
  const modelType = r.model_type;
  if (modelType !== undefined && modelType !== "llama" && modelType !== "mistral" && modelType !== "qwen2") {
    throw new InputError(`${where}: model_type "${String(modelType)}" is not a Llama-style model`);
  }
  if (r.hidden_act !== undefined && r.hidden_act !== "silu") throw new InputError(`${where}: hidden_act "${String(r.hidden_act)}" is not supported (silu only)`);
  if (r.rope_scaling != null) throw new InputError(`${where}: rope_scaling is not supported`);
  const ropeTheta = ropeThetaOf(r, where);
  if (r.attention_bias === true || r.mlp_bias === true || modelType === "qwen2") {
    throw new InputError(`${where}: linear biases (attention_bias / mlp_bias / qwen2) are not supported`);
  }
  const heads = r.num_attention_heads;
  const config: ModelConfig = {
    vocab_size: r.vocab_size as number,
    hidden_size: r.hidden_size as number,
    num_hidden_layers: r.num_hidden_layers as number,
    num_attention_heads: heads as number,
    num_key_value_heads: (r.num_key_value_heads ?? heads) as number,
    intermediate_size: r.intermediate_size as number,
    max_position_embeddings: (r.max_position_embeddings ?? 2048) as number,
    rms_norm_eps: (r.rms_norm_eps ?? 1e-6) as number, // HF LlamaConfig's default
    rope_theta: ropeTheta,
    tie_word_embeddings: (r.tie_word_embeddings ?? false) as boolean,
  };
  if (r.score_head === true) config.score_head = true;
  for (const k of ["bos_token_id", "eos_token_id", "pad_token_id"] as const) {
    // Some real configs list several eos ids; the first is the one generation stops at by default.
    const v = Array.isArray(r[k]) ? (r[k] as unknown[])[0] : r[k];
    if (Number.isInteger(v)) config[k] = v as number;
  }
  try {
    validateConfig(config, where);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (r.head_dim != null && r.head_dim !== headDim(config)) {
    throw new InputError(`${where}: head_dim ${String(r.head_dim)} differs from hidden_size / num_attention_heads = ${headDim(config)} (not supported)`);
  }
  return config;
}

/**
 * The RoPE base: transformers v5 stores it in rope_parameters ({rope_type, rope_theta}, or one such object per
 * attention type), v4 in rope_theta. Anything but plain RoPE is refused rather than computed differently.
 */
function ropeThetaOf(r: Record<string, unknown>, where: string): number {
  const legacy = r.rope_theta;
  const rp = r.rope_parameters;
  if (rp === undefined || rp === null) return (legacy ?? 10000) as number;
  if (typeof rp !== "object" || Array.isArray(rp)) throw new InputError(`${where}: rope_parameters must be an object`);
  const p = rp as Record<string, unknown>;
  const type = p.rope_type ?? p.type ?? "default";
  if (type !== "default") throw new InputError(`${where}: rope_parameters.rope_type "${String(type)}" is not supported (plain RoPE only)`);
  for (const k of Object.keys(p)) {
    if (!["rope_type", "type", "rope_theta", "partial_rotary_factor"].includes(k)) throw new InputError(`${where}: rope_parameters.${k} is not supported`);
  }
  if (p.partial_rotary_factor !== undefined && p.partial_rotary_factor !== 1 && p.partial_rotary_factor !== 1.0) {
    throw new InputError(`${where}: rope_parameters.partial_rotary_factor ${String(p.partial_rotary_factor)} is not supported`);
  }
  const theta = p.rope_theta ?? legacy ?? 10000;
  if (typeof theta !== "number") throw new InputError(`${where}: rope_parameters.rope_theta must be a number`);
  if (legacy !== undefined && legacy !== null && legacy !== theta) {
    throw new InputError(`${where}: rope_theta ${String(legacy)} and rope_parameters.rope_theta ${theta} disagree`);
  }
  return theta;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parameters in canonical order (config order), whatever order the map came in. */
function canonical(config: ModelConfig, tensors: TensorMap, prefix = ""): [string, { shape: number[]; data: Float32Array }][] {
  return parameterShapes(config).map(({ name }) => [prefix + name, tensors.get(name)!]);
}

export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  validateConfig(ckpt.config, `${dir}/${FILES.config}`);
  validateTensors(ckpt.config, ckpt.tensors, `${dir}/${FILES.model}`);
  const tok = checkpointTokenizer(ckpt);
  if (tok.vocabSize > ckpt.config.vocab_size) {
    throw new Error(`saveCheckpoint: the tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${ckpt.config.vocab_size}`);
  }
  // HF tools read the special ids from config.json; fill them from the tokenizer when the config has none.
  const config: ModelConfig = { bos_token_id: tok.bos, eos_token_id: tok.eos, pad_token_id: tok.pad, ...ckpt.config };
  const saveId = randomBytes(8).toString("hex");
  if (ckpt.optimizer) {
    const { m, v } = ckpt.optimizer;
    validateTensors(ckpt.config, m, `${dir}/${FILES.optimizer} (m)`);
    validateTensors(ckpt.config, v, `${dir}/${FILES.optimizer} (v)`);
    await writeSafetensors(join(dir, FILES.optimizer), [...canonical(ckpt.config, m, "m."), ...canonical(ckpt.config, v, "v.")], {
      [SAVE_ID_KEY]: saveId,
    });
  }
  await writeSafetensors(join(dir, FILES.model), canonical(ckpt.config, ckpt.tensors), { format: "pt", [SAVE_ID_KEY]: saveId });
  await writeFileAtomic(join(dir, FILES.config), `${JSON.stringify(configToHF(config), null, 2)}\n`);
  await writeTokenizerFiles(dir, ckpt.tokenizer, config);
  if (ckpt.optimizer) {
    const { m: _m, v: _v, step, ...rest } = ckpt.optimizer;
    if (!Number.isInteger(step) || step < 0) throw new Error(`saveCheckpoint: optimizer.step must be a non-negative integer, got ${step}`);
    await writeFileAtomic(join(dir, FILES.trainerState), `${JSON.stringify({ ...rest, step, [SAVE_ID_KEY]: saveId }, null, 2)}\n`);
  }
}

/** Reads model.safetensors, or the shards listed in model.safetensors.index.json (real HF models). */
async function readModelTensors(dir: string): Promise<{ tensors: TensorMap; saveId?: string }> {
  const single = join(dir, FILES.model);
  if (await exists(single)) {
    const f = await readSafetensors(single);
    return { tensors: f.tensors, saveId: f.metadata[SAVE_ID_KEY] };
  }
  const indexPath = join(dir, FILES.modelIndex);
  if (!(await exists(indexPath))) throw new InputError(`${dir}: no ${FILES.model} (nor ${FILES.modelIndex})`);
  const index = (await readJsonFile(indexPath, MAX_CONFIG_BYTES * 16)) as { weight_map?: Record<string, unknown> };
  if (typeof index.weight_map !== "object" || index.weight_map === null) throw new InputError(`${indexPath}: no weight_map`);
  const shards = new Set(Object.values(index.weight_map));
  const tensors: TensorMap = new Map();
  for (const shard of shards) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
      throw new InputError(`${indexPath}: shard name ${JSON.stringify(shard)} must be a plain file name in the folder`);
    }
    for (const [name, t] of (await readSafetensors(join(dir, shard))).tensors) tensors.set(name, t);
  }
  return { tensors };
}

export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const config = configFromHF(await readJsonFile(join(dir, FILES.config), MAX_CONFIG_BYTES), join(dir, FILES.config));
  const { tensors, saveId } = await readModelTensors(dir);
  // Some HF exports store lm_head.weight even when it is tied to the embedding; HF ignores it, so do we.
  if (config.tie_word_embeddings) tensors.delete("lm_head.weight");
  try {
    validateTensors(config, tensors, join(dir, FILES.model));
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const tokenizerPath = join(dir, FILES.tokenizer);
  const tokenizer = await readTokenizerFiles(dir);
  let vocab: number;
  try {
    vocab = tokenizerFromJSON(tokenizer, tokenizerPath, tokenizerIds(config)).vocabSize; // validate now, naming the file
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (vocab > config.vocab_size) throw new InputError(`${tokenizerPath}: ${vocab} ids but config.json's vocab_size is ${config.vocab_size}`);
  const ckpt: Checkpoint = { config, tensors: orderTensors(config, tensors), tokenizer };

  const statePath = join(dir, FILES.trainerState);
  const optPath = join(dir, FILES.optimizer);
  if (await exists(statePath)) {
    const state = (await readJsonFile(statePath, MAX_CONFIG_BYTES * 16)) as Record<string, unknown>;
    if (typeof state !== "object" || state === null || !Number.isInteger(state.step)) throw new InputError(`${statePath}: "step" must be an integer`);
    const opt = await readSafetensors(optPath);
    const ids = [state[SAVE_ID_KEY], opt.metadata[SAVE_ID_KEY], saveId];
    if (ids.some((x) => x !== ids[0])) {
      throw new InputError(`${dir}: ${FILES.trainerState}, ${FILES.optimizer} and ${FILES.model} come from different saves (interrupted save?); cannot resume from this folder`);
    }
    const m: TensorMap = new Map(), v: TensorMap = new Map();
    for (const [name, t] of opt.tensors) {
      if (name.startsWith("m.")) m.set(name.slice(2), t);
      else if (name.startsWith("v.")) v.set(name.slice(2), t);
      else throw new InputError(`${optPath}: unexpected tensor ${name} (expected m.<name> / v.<name>)`);
    }
    try {
      validateTensors(config, m, `${optPath} (m.*)`);
      validateTensors(config, v, `${optPath} (v.*)`);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
    const { [SAVE_ID_KEY]: _id, step, ...rest } = state;
    ckpt.optimizer = { ...rest, step: step as number, m: orderTensors(config, m), v: orderTensors(config, v) };
  }
  return ckpt;
}

/** Writes tokenizer.json in Hugging Face's format plus tokenizer_config.json, special_tokens_map.json, generation_config.json. */
async function writeTokenizerFiles(dir: string, tok: TokenizerJSON, config: ModelConfig): Promise<void> {
  const json = (o: unknown): string => `${JSON.stringify(o, null, 2)}\n`;
  if (!isHFTokenizerJSON(tok)) {
    const files = charTokenizerToHF(tok, config.max_position_embeddings);
    await writeFileAtomic(join(dir, FILES.tokenizer), JSON.stringify(files.tokenizer));
    await writeFileAtomic(join(dir, FILES.tokenizerConfig), json(files.tokenizerConfig));
    await writeFileAtomic(join(dir, FILES.specialTokensMap), json(files.specialTokensMap));
    await writeFileAtomic(join(dir, FILES.generationConfig), json(files.generationConfig));
    return;
  }
  const { trimer_tokenizer_config: tc, ...file } = tok;
  await writeFileAtomic(join(dir, FILES.tokenizer), JSON.stringify(file));
  if (tc) await writeFileAtomic(join(dir, FILES.tokenizerConfig), json(tc));
  await writeFileAtomic(join(dir, FILES.generationConfig), json({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.pad_token_id }));
}

/**
 * A checkpoint folder's tokenizer in memory: trimer's character vocabulary (from either tokenizer.json format), or
 * a Hugging Face tokenizer.json with its tokenizer_config.json (chat template) attached.
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerJSON> {
  const tokenizerPath = join(dir, FILES.tokenizer);
  const raw = (await readJsonFile(tokenizerPath, MAX_TOKENIZER_BYTES)) as TokenizerJSON;
  if (!isHFTokenizerJSON(raw)) return raw;
  const own = charTokenizerFromHF(raw);
  if (own) return own;
  const configPath = join(dir, FILES.tokenizerConfig);
  if (!(await exists(configPath))) return raw;
  const tc = await readJsonFile(configPath, MAX_TOKENIZER_BYTES);
  if (typeof tc !== "object" || tc === null || Array.isArray(tc)) throw new InputError(`${configPath}: not a JSON object`);
  return { ...raw, trimer_tokenizer_config: tc as Record<string, unknown> };
}

function orderTensors(config: ModelConfig, tensors: TensorMap): TensorMap {
  return new Map(canonical(config, tensors));
}

function tokenizerIds(config: ModelConfig): { bos?: number; eos?: number; pad?: number } {
  return { bos: config.bos_token_id, eos: config.eos_token_id, pad: config.pad_token_id };
}

/** The checkpoint's tokenizer, with the special ids config.json names (they take precedence for HF files). */
export function checkpointTokenizer(ckpt: Pick<Checkpoint, "config" | "tokenizer">): Tokenizer {
  return tokenizerFromJSON(ckpt.tokenizer, FILES.tokenizer, tokenizerIds(ckpt.config));
}

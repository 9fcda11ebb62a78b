// Making and re-shaping embedded engines for the pipeline's stages. This is the one place where `trimer run`
// touches the embedded model itself (the algorithms in train/ and infer/ only see the engine API): growing a
// context (JT-Math's context extension raises rope_theta and max_position_embeddings), and putting a scalar
// score head on a policy to start the reward model from it.
import { LocalEngine } from "../engine/local.js";
import type { ModelConfig } from "../model/config.js";
import { Transformer } from "../model/transformer.js";
import { mathTokenizer, type Tokenizer } from "../model/tokenizer.js";
import type { TensorMap } from "../model/tensors.js";
import { createRng } from "../util/rng.js";

export function newTokenizer(): Tokenizer {
  return mathTokenizer();
}

export function createEngine(config: ModelConfig, tok: Tokenizer, seed: number): LocalEngine {
  return LocalEngine.create({ ...config, vocab_size: Math.max(config.vocab_size, tok.vocabSize) }, tok, seed);
}

export async function loadEngine(dir: string): Promise<LocalEngine> {
  return LocalEngine.load(dir);
}

/** Same weights, new positional settings (context extension). Fresh optimizer state: a new training phase. */
export function withContext(e: LocalEngine, ropeTheta: number, maxPositions: number): LocalEngine {
  const config: ModelConfig = { ...e.config, rope_theta: ropeTheta, max_position_embeddings: maxPositions };
  return new LocalEngine(new Transformer(config, copyTensors(e.model.parameters())), e.tokenizer);
}

/**
 * A reward model initialised from a policy: its weights plus a scalar head (small random init, seeded), trained
 * with the pairwise loss. Starting from the policy is the usual choice (InstructGPT, TriMER's Qwen2.5-7B PRM is a
 * fine-tuned LM): the model already reads the solutions it must judge.
 */
export function withScoreHead(e: LocalEngine, seed: number): LocalEngine {
  const config: ModelConfig = { ...e.config, score_head: true };
  const tensors = copyTensors(e.model.parameters());
  const d = config.hidden_size;
  const rng = createRng(seed);
  const w = new Float32Array(d);
  for (let i = 0; i < d; i++) w[i] = rng.normal() * 0.02;
  tensors.set("score.weight", { shape: [1, d], data: w });
  return new LocalEngine(new Transformer(config, tensors), e.tokenizer);
}

function copyTensors(t: TensorMap): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, v] of t) if (k !== "score.weight") out.set(k, { shape: [...v.shape], data: new Float32Array(v.data) });
  return out;
}

/** Number of float32 parameters the engine holds. */
export function parameterCount(e: LocalEngine): number {
  let n = 0;
  for (const t of e.model.parameters().values()) n += t.data.length;
  return n;
}

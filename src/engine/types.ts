// The one small API every algorithm in train/ and infer/ uses (see docs/ARCHITECTURE.md). Modelled on Tinker's split:
// the algorithm decides what to train on, with which weights and advantages; the engine only knows these
// primitives. Implementations: the embedded model (engine/local.ts) and any OpenAI-compatible server (sampling only).
import type { ChatMessage, Datum, LossSpec, OptimOptions, StepStats, TeacherTargets } from "../model/types.js";
import type { LogitsParams } from "../model/logits-process.js";

export type { ChatMessage, Datum, LossSpec, OptimOptions, StepStats, TeacherTargets } from "../model/types.js";

/** Options for one sampling call. Every prompt gets `n` completions. */
export interface SampleOptions {
  n?: number;               // completions per prompt (default 1)
  temperature?: number;     // 0 = greedy (default 1)
  topP?: number;            // nucleus sampling (default 1)
  topK?: number;            // 0 / undefined = off
  maxTokens: number;        // new tokens per completion
  stop?: string[];          // stop strings (not included in the text)
  stopTokens?: number[];    // stop token ids (embedded engine; eos is always a stop)
  logprobs?: boolean;       // return per-token logprobs of the sampled tokens
  topLogprobs?: number;     // also return the k most likely alternatives per position (teacher targets)
  seed?: number;            // reproducible sampling
  /** Penalties, logit bias, min-p, min_tokens (embedded engine; model/logits-process.ts). */
  logitsParams?: LogitsParams;
}

/** A prompt: raw text (completion style) or chat messages (rendered by the engine's chat template). */
export type Prompt = string | ChatMessage[];

export interface Completion {
  text: string;
  /** Generated token ids, when the engine knows them (the embedded one does; a remote one may not). */
  tokens?: number[];
  /** log p of each generated token under the sampling distribution's model (before temperature). */
  logprobs?: number[];
  /** Top-k alternatives per generated position: token (id or string) and its logprob. */
  topLogprobs?: { token: number | string; logprob: number }[][];
  /** Number of generated tokens (always set; counted by the server for remote engines). */
  completionTokens: number;
  promptTokens?: number;
  finishReason: "stop" | "length";
}

export interface Sampler {
  /** result[i][j] is completion j of prompt i. */
  sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]>;
}

export interface Trainer {
  /** Forward + backward; gradients accumulate until optimStep. Scale is handled by the loss (means over the batch). */
  forwardBackward(batch: Datum[], loss: LossSpec): Promise<StepStats>;
  /** AdamW step with the accumulated gradients, then zero them. Returns the pre-clip gradient norm in metrics. */
  optimStep(opt: OptimOptions): Promise<StepStats>;
  /**
   * log p of each target token (length tokens.length - 1 per datum), no gradients; at `temperature` T (default 1)
   * under softmax(logits / T), as the policy-gradient loss scores them at its spec.temperature.
   */
  logprobs(batch: Datum[], opts?: { temperature?: number }): Promise<Float32Array[]>;
  /**
   * The model's next-token distribution at each target position (no gradients), as distillation targets for a
   * student: full logits (`topK` absent or 0) or the top-k (token id, logprob) pairs per position. Used by
   * train/distill to compute teacher targets on the fly or to cache them.
   */
  distribution(batch: Datum[], opts?: { topK?: number }): Promise<TeacherTargets[]>;
  /** Scalar-head scores, one per datum (reward models). */
  scores?(batch: Datum[]): Promise<Float32Array>;
  /** A sampler that sees the current weights. */
  sampler(): Sampler;
  save(dir: string): Promise<void>;
}

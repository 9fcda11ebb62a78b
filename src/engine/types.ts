// The one small API every algorithm in train/ and infer/ uses (see ARCHITECTURE.md). Modelled on Tinker's split:
// the algorithm decides what to train on, with which weights and advantages; the engine only knows these
// primitives. Implementations: the embedded model (engine/local.ts) and any OpenAI-compatible server (sampling only).

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
}

/** A prompt: raw text (completion style) or chat messages (rendered by the engine's chat template). */
export type Prompt = string | ChatMessage[];

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

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

/**
 * One training example: a token sequence and, for each next-token target position t (predicting tokens[t+1]
 * from tokens[..t]), a weight. Weights are the loss mask (0 = prompt / padding) and carry TriMER's
 * reasoning-weighted masking (non-binary). Loss-specific fields are set by the algorithm.
 */
export interface Datum {
  tokens: number[];
  /** length tokens.length - 1 */
  weights: number[];
  /** policy_gradient: one advantage per target position (usually the sequence's advantage, repeated). */
  advantages?: number[];
  /** policy_gradient: log p_old of each target token (length tokens.length - 1; ignored where weight is 0). */
  oldLogprobs?: number[];
  /** policy_gradient with beta > 0: log p_ref of each target token. */
  refLogprobs?: number[];
  /** distill: the teacher's distribution at each target position. */
  teacher?: TeacherTargets;
}

/** Teacher targets for distillation: full logits, or top-k (token id, logprob) per target position. */
export type TeacherTargets =
  | { kind: "logits"; vocab: number; logits: Float32Array } // [(tokens.length - 1) * vocab]
  | { kind: "topk"; k: number; ids: Int32Array; logprobs: Float32Array }; // [(tokens.length - 1) * k]

export type LossSpec =
  | { type: "cross_entropy" }
  | {
      type: "distill";
      /** L = alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE */
      alpha: number;
      temperature: number;
    }
  | {
      type: "policy_gradient";
      /** PPO clip epsilon on the ratio p/p_old (e.g. 0.2). */
      clip: number;
      /** GRPO: mean per sequence then over sequences; DAPO: mean over all tokens; Dr.GRPO: sum / constant. */
      aggregation: "sequence" | "token" | "constant";
      /** Divisor for "constant" aggregation (e.g. the max generation length). */
      constant?: number;
      /** KL coefficient to the reference (needs refLogprobs); TriMER uses 0. */
      beta?: number;
    }
  | {
      /** Bradley–Terry: -log sigmoid(s_chosen - s_rejected); data come in pairs (chosen, rejected) at 2i, 2i+1. */
      type: "pairwise";
    };

export interface StepStats {
  loss: number;
  /** Number of target tokens with weight > 0 that contributed. */
  tokens: number;
  /** Extra loss-specific metrics: e.g. clipFraction, entropy, kl, ce, pairAccuracy. */
  metrics: Record<string, number>;
}

export interface OptimOptions {
  lr: number;
  weightDecay?: number;
  maxGradNorm?: number; // clip by global norm; 0/undefined = off
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Trainer {
  /** Forward + backward; gradients accumulate until optimStep. Scale is handled by the loss (means over the batch). */
  forwardBackward(batch: Datum[], loss: LossSpec): Promise<StepStats>;
  /** AdamW step with the accumulated gradients, then zero them. Returns the pre-clip gradient norm in metrics. */
  optimStep(opt: OptimOptions): Promise<StepStats>;
  /** log p of each target token (length tokens.length - 1 per datum), no gradients. */
  logprobs(batch: Datum[]): Promise<Float32Array[]>;
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

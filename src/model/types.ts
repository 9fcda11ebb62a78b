// The types the model itself computes with: chat messages (its chat template), training examples (Datum), the
// loss specifications its loss functions implement, the optimizer options and a step's statistics. The engine API
// (engine/types.ts) re-exports them, so algorithms import everything from one place; they live here because the
// model is below the engine and must not import upward.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
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
      /**
       * The sampling temperature (default 1): log-probabilities are taken of softmax(z / T), the distribution the
       * samples were drawn from (as TRL does), so the ratio and the gradient belong to it. oldLogprobs and
       * refLogprobs must then be at the same temperature.
       */
      temperature?: number;
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

// The resolved configuration of `trimer run`: one plain typed object per stage, presets instead of a config
// framework (nanochat habit), and one dial for scale (the preset). Written to OUT/config.json; a resume checks it.
import type { ModelConfig } from "../model/config.js";
import type { MaskWeights } from "../train/distill/masking.js";
import type { TemperatureScheduleKind } from "../train/distill/schedule.js";

export interface LrSpec {
  peak: number;
  warmupSteps: number;
  kind: "constant" | "linear" | "cosine";
  floor: number;
}

export interface SupervisedStage {
  steps: number;
  /** Sequences per optimizer step. */
  batch: number;
  lr: LrSpec;
  /** Longest training sequence in tokens. */
  maxTokens: number;
}

export interface PipelineConfig {
  preset: string;
  seed: number;
  student: ModelConfig;
  teacher: ModelConfig;
  data: {
    /** Difficulties (1–5 of the compact arithmetic ladder) that training draws from. */
    trainDifficulties: number[];
    /** Difficulties of the held-out evaluation set (and of the dev set used for tuning). */
    evalDifficulties: number[];
    holdoutSize: number;
    devSize: number;
    /** Solution modes in the pre-training corpus (the base model's style). */
    pretrainModes: ("low" | "medium" | "instruct")[];
  };
  /** JT-Math continued pre-training: a short-context phase, then a context-extension phase with raised rope_theta. */
  pretrain: {
    student: SupervisedStage;
    teacher: SupervisedStage;
    extension: { steps: number; batch: number; maxTokens: number; ropeTheta: number; lr: LrSpec };
  };
  /** The miniature's "DeepSeek-R1": the teacher fine-tuned on long thinking traces, in sequential length buckets. */
  teacherSft: SupervisedStage & {
    buckets: number;
    /**
     * Absent or "verbose": the curriculum's verbose thinking traces (data/synth/verbose-trace.ts). "lean": the same
     * problems' lean scratchpad, every redundant piece removed — a control, not the paper's R1-like teacher.
     */
    traces?: "verbose" | "lean";
  };
  distill: SupervisedStage & {
    alpha: number;
    temperature: { kind: TemperatureScheduleKind; start: number; end: number };
    mask: MaskWeights;
    /** 0: full teacher logits; k > 0: the teacher's top-k logprobs. */
    teacherTopK: number;
    buckets: number;
    /**
     * Where the distillation traces come from: "synthetic" — the curriculum's own thinking traces; "teacher" — traces
     * the SFT'd teacher generates with `trimer generate`'s machinery (rejection-sampled: only verified-correct
     * ones), which closes the loop the way the paper does (DeepSeek-R1 writes the traces the student learns);
     * "lean" — the curriculum's lean scratchpad of the same problems (the verbose traces with every redundant piece
     * removed), still distilled from the teacher: the issue's check that the redundancy is redundant at this scale.
     */
    traces: "synthetic" | "teacher" | "lean";
    /** With traces = "teacher": problems the teacher solves, correct traces kept per problem, attempts at most. */
    teacherTraces: { problems: number; k: number; maxAttempts: number; temperature: number; maxTokens: number };
  };
  /** JT-Math's instruct path: the student base fine-tuned on concise one-fact-per-step solutions (a dual-path baseline). */
  instruct: SupervisedStage;
  grpo: {
    steps: number;
    promptsPerStep: number;
    groupSize: number;
    temperature: number;
    topP: number;
    lr: LrSpec;
    clip: number;
    aggregation: "sequence" | "token" | "constant";
    beta: number;
    advantageScaling: "std" | "none";
    /** Log-probabilities in the loss at the sampling temperature ("sampling", TRL) or untempered (1). */
    lossTemperature: "sampling" | 1;
    /** PPO epochs μ and mini-batches per batch of samples (absent: 1 and 1, one on-policy step; train/grpo/grpo.ts). */
    ppoEpochs?: number;
    miniBatches?: number;
    maxGradNorm: number;
    /** Length curriculum: [fromStep, maxTokens] pairs (the paper's 8K → 16K step). */
    maxTokens: [number, number][];
    /** Difficulty curriculum: [fromStep, difficulties] pairs. */
    difficulty: [number, number[]][];
    checkpointEvery: number;
    klEvery: number;
  };
  rewardModel: {
    /** Problems sampled from the GRPO policy for training pairs, and for held-out pairs. */
    trainProblems: number;
    heldoutProblems: number;
    samplesPerProblem: number;
    /**
     * Sampling temperatures of the policy samples, split evenly across samplesPerProblem: the reward model must
     * rank the candidates the agents produce (T 0.2 … 0.8), not only one temperature's.
     */
    temperatures: number[];
    maxPairsPerProblem: number;
    steps: number;
    pairsPerStep: number;
    lr: LrSpec;
    maxTokens: number;
  };
  agents: {
    max: number;
    maxTokens: number;
    /**
     * Absent: the agents sample with TriMER's table (T 0.2 … 1.0, infer/agents.ts). Set: every agent samples at this
     * temperature and top-p (self-consistency). A GRPO-sharpened small policy is nearly greedy at T 0.2–0.4, so the
     * table's first agents repeat one another's errors and the votes have nothing to correct.
     */
    sampling?: { temperature: number; topP: number };
  };
  eval: {
    maxTokens: number;
    /** Token limits of the sweep (GRPO model, greedy). */
    tokenLimits: number[];
    /** The single-sample GRPO row: temperature and top-p (TriMER: 0.7, 0.95). */
    temperature: number;
    topP: number;
  };
  /** β = 0 vs β > 0 measured in child processes (peak memory and step time). */
  betaComparison: { steps: number; beta: number };
}

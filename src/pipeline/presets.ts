// Presets of `trimer run`: one dial for scale. `tiny` checks that everything runs (tests use it; under a minute);
// `mini` (the default, the README's first command) is sized for ≤ 6 minutes on 2 quiet cores; `full` trains the
// same models ~1.6× longer, where the distilled student is much stronger. Both are sized to show the paper's
// directions: sub-million-parameter students learn the one-digit ladder with a digit-level scratchpad in minutes,
// and at a fixed time budget more steps beat more parameters. What the choices below gave, with the command that
// measured it, is in the README's `trimer run` section (figures live there, not here, so they cannot go stale).
import type { ModelConfig } from "../model/config.js";
import type { LrSpec, PipelineConfig } from "./config.js";
import { DEFAULT_MASK_WEIGHTS } from "../train/distill/masking.js";
import { UsageError } from "../util/errors.js";

function llama(d: number, layers: number, heads: number, kvHeads: number, ffn: number, ctx: number): ModelConfig {
  return {
    vocab_size: 0, // the tokenizer's size is filled in when the engine is created
    hidden_size: d, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads,
    intermediate_size: ffn, max_position_embeddings: ctx, rms_norm_eps: 1e-5, rope_theta: 10_000, tie_word_embeddings: true,
  };
}

const lr = (peak: number, warmupSteps = 20, kind: LrSpec["kind"] = "cosine", floorFrac = 0.1): LrSpec => ({ peak, warmupSteps, kind, floor: peak * floorFrac });

export function tinyPreset(): PipelineConfig {
  return {
    preset: "tiny",
    seed: 1,
    student: llama(32, 2, 2, 1, 64, 96),
    teacher: llama(48, 2, 4, 2, 96, 96),
    data: { trainDifficulties: [1, 2, 3], evalDifficulties: [2, 3], holdoutSize: 12, devSize: 12, pretrainModes: ["low", "instruct"] },
    pretrain: {
      student: { steps: 8, batch: 8, lr: lr(3e-3, 2), maxTokens: 48 },
      teacher: { steps: 8, batch: 8, lr: lr(3e-3, 2), maxTokens: 48 },
      extension: { steps: 4, batch: 4, maxTokens: 96, ropeTheta: 40_000, lr: lr(1e-3, 1) },
    },
    teacherSft: { steps: 8, batch: 8, lr: lr(3e-3, 2), maxTokens: 96, buckets: 2 },
    distill: {
      steps: 8, batch: 8, lr: lr(3e-3, 2), maxTokens: 96, buckets: 2, alpha: 0.5,
      temperature: { kind: "cosine", start: 2, end: 1 }, mask: { ...DEFAULT_MASK_WEIGHTS }, teacherTopK: 0,
      traces: "synthetic", teacherTraces: { problems: 8, k: 1, maxAttempts: 2, temperature: 0.7, maxTokens: 48 },
    },
    instruct: { steps: 4, batch: 8, lr: lr(3e-3, 2), maxTokens: 48 },
    grpo: {
      steps: 4, promptsPerStep: 4, groupSize: 4, temperature: 0.7, topP: 0.95, lr: lr(1e-3, 1, "constant"), clip: 0.2,
      aggregation: "sequence", beta: 0, advantageScaling: "std", lossTemperature: "sampling", maxGradNorm: 1,
      maxTokens: [[0, 32], [2, 48]], difficulty: [[0, [1, 2]], [2, [1, 2, 3]]], checkpointEvery: 2, klEvery: 2,
    },
    rewardModel: { trainProblems: 8, heldoutProblems: 4, samplesPerProblem: 4, temperatures: [0.6, 1.0], maxPairsPerProblem: 4, steps: 4, pairsPerStep: 4, lr: lr(1e-3, 1), maxTokens: 48 },
    agents: { max: 8, maxTokens: 48, sampling: { temperature: 0.85, topP: 0.95 } },
    eval: { maxTokens: 48, tokenLimits: [8, 16, 32, 48], temperature: 0.7, topP: 0.95 },
    betaComparison: { steps: 2, beta: 0.04 },
  };
}

export function fullPreset(): PipelineConfig {
  return {
    preset: "full",
    seed: 1,
    // Context 224: the verbose thinking traces run to ~190 tokens with the prompt (verbose-trace.ts).
    student: llama(96, 4, 4, 2, 256, 224),
    teacher: llama(128, 4, 4, 4, 384, 224),
    // One-digit operands, 2–4 operations (the ladder's rungs 1–3): learnable in minutes with the scratchpad, while
    // answering directly stays hard. Rung 4 (two-digit scratchpads of 120+ tokens) does not fit this time budget:
    // the teacher does not learn it.
    data: { trainDifficulties: [1, 2, 3], evalDifficulties: [2, 3], holdoutSize: 300, devSize: 200, pretrainModes: ["low", "instruct"] },
    pretrain: {
      student: { steps: 600, batch: 64, lr: lr(2e-3, 30), maxTokens: 48 },
      teacher: { steps: 400, batch: 64, lr: lr(2e-3, 30), maxTokens: 48 },
      extension: { steps: 40, batch: 16, maxTokens: 128, ropeTheta: 50_000, lr: lr(1e-3, 5) },
    },
    teacherSft: { steps: 2000, batch: 32, lr: lr(2e-3, 30), maxTokens: 208, buckets: 3 },
    distill: {
      steps: 1600, batch: 32, lr: lr(2e-3, 30), maxTokens: 208, buckets: 3, alpha: 0.5,
      temperature: { kind: "cosine", start: 2, end: 1 }, mask: { ...DEFAULT_MASK_WEIGHTS }, teacherTopK: 0,
      // Teacher traces (--traces teacher) up to 200 tokens, as evaluation: the verbose traces run to ~180 (at 96,
      // 16% of rung-2 and 37% of rung-3 synthetic traces would not fit, and the longest correct ones were rejected).
      traces: "synthetic", teacherTraces: { problems: 4096, k: 1, maxAttempts: 4, temperature: 0.7, maxTokens: 200 },
    },
    // JT-Math's instruct student: the concise path is short, so this costs a fraction of distillation.
    instruct: { steps: 600, batch: 32, lr: lr(2e-3, 30), maxTokens: 48 },
    grpo: {
      // RL on a fine-tuned model: Adam moves every weight by ~lr per step whatever the gradient's size, so the rate
      // is far below distillation's. On the dev split (verbose-trace student, greedy / T 0.7): 1e-4 → 59.0% / 56.4%,
      // 5e-5 → 69.0% / 66.9%, 2.5e-5 → 73.0% / 68.9% (distilled 71.5% / 61.1%); tokens fell to ~33.5 (from ~75)
      // at every rate. Log-probabilities at the sampling temperature (TRL's choice) vs at 1, at 5e-5: 69.0% / 66.9%
      // vs 69.5% / 64.3%.
      steps: 160, promptsPerStep: 16, groupSize: 8, temperature: 0.7, topP: 0.95, lr: lr(2.5e-5, 5, "constant"), clip: 0.2,
      aggregation: "sequence", beta: 0, advantageScaling: "std", lossTemperature: "sampling", maxGradNorm: 1,
      // The length curriculum (the paper's 8K against 31.8K, then 16K): 56 tokens first, below the distilled
      // model's typical length (~75 on the dev split) and above the lean scratchpad of most problems, so verbose
      // samples earn nothing; then the context step to 112. Evaluation lifts the limit (200).
      maxTokens: [[0, 56], [120, 112]], difficulty: [[0, [2, 3]]], checkpointEvery: 20, klEvery: 10,
    },
    // Pairs drawn at the agents' own temperature (T 0.85, below): the reward model must rank the candidates the
    // agents produce. On the dev split (seed 1) this gave 2.4× the pairs of TriMER's table temperatures (0.2–0.8)
    // at about the same pairwise accuracy (73% vs 77%) and rerank (8 agents: 60.0% vs 59.0%).
    rewardModel: { trainProblems: 2048, heldoutProblems: 128, samplesPerProblem: 8, temperatures: [0.85], maxPairsPerProblem: 6, steps: 600, pairsPerStep: 16, lr: lr(5e-4, 10), maxTokens: 200 },
    // Every agent samples at T 0.85 (self-consistency) instead of TriMER's table: the GRPO policy is nearly greedy at
    // the table's T 0.2–0.4, so those agents repeat agent 1's errors and the votes stay flat. On the dev split (seed
    // 1 / seed 2 policies, majority at 1 → 4 → 8 agents): the table 70.5 → 70.0 → 71.0% / 69.5 → 70.0 → 70.0%; all
    // at T 0.7: 67.5 → 69.5 → 71.0% / 63.5 → 68.0 → 68.0%; all at T 0.85: 62.5 → 67.5 → 70.5% / 58.5 → 65.5 → 67.5%.
    agents: { max: 8, maxTokens: 200, sampling: { temperature: 0.85, topP: 0.95 } },
    eval: { maxTokens: 200, tokenLimits: [24, 32, 40, 48, 56, 64, 80, 96, 128, 200], temperature: 0.7, topP: 0.95 },
    betaComparison: { steps: 4, beta: 0.04 },
  };
}

export function miniPreset(): PipelineConfig {
  // The quick default: `full`'s models, data, GRPO and evaluation at about 60% of its compute (the goal: ≤ 6 min on
  // 2 quiet cores). Teacher SFT was 58% of `full`'s time, so it trains 40% of the steps; pre-training, distillation,
  // the instruct path and the reward model a quarter to a half fewer.
  const c = fullPreset();
  c.preset = "mini";
  c.pretrain.student = { ...c.pretrain.student, steps: 450 };
  c.pretrain.teacher = { ...c.pretrain.teacher, steps: 300 };
  c.teacherSft = { ...c.teacherSft, steps: 800 };
  c.distill = { ...c.distill, steps: 1000 };
  c.instruct = { ...c.instruct, steps: 400 };
  c.rewardModel = { ...c.rewardModel, trainProblems: 768, steps: 300 };
  return c;
}

export const PRESETS: Record<string, () => PipelineConfig> = { tiny: tinyPreset, mini: miniPreset, full: fullPreset };

export function preset(name: string): PipelineConfig {
  const make = PRESETS[name];
  if (!make) throw new UsageError(`unknown preset "${name}" (have: ${Object.keys(PRESETS).join(", ")})`);
  return make();
}

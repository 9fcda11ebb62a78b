// GRPO (TriMER stage 2): for each prompt, G samples from the current policy; reward from the verifier (0.2 for the
// expected format, 1.0 for a correct answer); advantages normalised within each group; by default one PPO-clipped
// gradient step per batch of trajectories (on-policy: the ratio is exactly 1 and the clip never acts); with
// ppoEpochs μ > 1 and/or miniBatches > 1 (TRL's num_iterations and steps_per_generation) several optimizer steps per
// batch, each clipped against the policy's log-probabilities before the first one; KL coefficient β = 0 by default,
// so no reference model is loaded.
// With β > 0 the caller passes a frozen reference and its log-probabilities enter the loss (k3 estimator), so the
// paper's memory / speed claim can be measured (see pipeline's beta comparison).
//
// Curricula: the prompts of step s come from `problems(s)` (the pipeline raises difficulty over steps) and the
// generation limit from `maxTokens(s)` (the paper's 8K → 16K step, in miniature). Truncated samples cannot reach a
// final answer, so they earn 0: a tight limit is what pushes the policy towards shorter correct paths.
//
// Written against the engine API only (Trainer / Sampler), so the same step drives a remote engine; the loop around
// it (resume, metrics, checkpoints) is train/runner.ts.
import type { Completion, Datum, Trainer } from "../../engine/types.js";
import type { Tokenizer } from "../../model/tokenizer.js";
import { trimerRewardPrepared, type RewardOptions } from "../../verify/reward.js";
import { prepareGold } from "../../verify/index.js";
import { groupAdvantages, type AdvantageScaling } from "./advantages.js";
import { promptTokens } from "../examples.js";
import { k3 } from "../../model/losses.js";
import type { StepLoop } from "../runner.js";
import { InputError } from "../../util/errors.js";

export interface GrpoProblem {
  prompt: string;
  answer: string;
  difficulty?: number;
  /** A reference solution (not used by GRPO itself; the reward model's fallback positive). */
  reference?: string;
}

export interface GrpoConfig {
  steps: number;
  groupSize: number;
  temperature: number;
  topP: number;
  /** Learning rate at step s (a schedule). */
  lr(step: number): number;
  /** Generation limit at step s (the length curriculum). */
  maxTokens(step: number): number;
  clip: number;
  aggregation: "sequence" | "token" | "constant";
  /** Divisor for "constant" aggregation (default: the step's maxTokens). */
  constant?: number;
  beta: number;
  advantageScaling: AdvantageScaling;
  reward?: RewardOptions;
  maxGradNorm?: number;
  weightDecay?: number;
  seed: number;
  /**
   * Temperature of the log-probabilities in the loss: "sampling" (TRL's choice) scores the samples under
   * softmax(z / temperature), the distribution they were drawn from; 1 (the default) under the untempered model.
   * With "sampling" the step is on-policy (ratio 1): one gradient step per batch needs no old log-probabilities.
   */
  lossTemperature?: "sampling" | 1;
  /**
   * PPO epochs μ (TRL's num_iterations): passes over each batch of samples (default 1). With more than one
   * optimizer step per batch the old log-probabilities are the policy's before the first step, at the loss
   * temperature, and every later step is clipped against them (the clip acts only then).
   */
  ppoEpochs?: number;
  /** Mini-batches per pass (TRL's steps_per_generation / μ): one optimizer step each (default 1). */
  miniBatches?: number;
}

export interface GrpoDeps {
  policy: Trainer;
  tokenizer: Tokenizer;
  /** Frozen reference, required when beta > 0 and never touched when beta = 0. */
  reference?: Trainer;
  problems(step: number): GrpoProblem[];
  /** Monitoring only: log-probs of the step's samples under the starting policy (KL to start). */
  startLogprobs?(batch: Datum[]): Promise<Float32Array[]>;
  /** Compute the KL-to-start monitor every this many steps (0 = never). */
  klEvery?: number;
  /** Label for progress output (default "grpo"). */
  label?: string;
}

export interface GrpoStepLog {
  step: number;
  meanReward: number;
  accuracy: number;
  formatRate: number;
  zeroVarianceFraction: number;
  meanResponseTokens: number;
  truncatedFraction: number;
  entropy: number;
  klToStart: number | null;
  /** Share of the step's weighted tokens on the clipped branch, averaged over its optimizer steps (0 when μ = 1). */
  clipFraction: number;
  /** Mean ratio p/p_old over the step's optimizer steps (1 when there is a single one). */
  ratioMean: number;
  /** Optimizer steps taken on this batch (ppoEpochs × mini-batches that had data). */
  optimSteps: number;
  loss: number;
  lr: number;
  maxTokens: number;
  stepSeconds: number;
  sampleSeconds: number;
  peakRssMb: number;
}

/** The datum for one sampled completion: prompt tokens weigh 0, generated tokens 1 (plus the eos if it stopped). */
export function completionDatum(tok: Tokenizer, prompt: string, c: Completion): Datum {
  const p = promptTokens(tok, prompt);
  const gen = c.tokens ?? tok.encode(c.text);
  const tokens = [...p, ...gen];
  const weights = new Array<number>(tokens.length - 1).fill(0);
  for (let t = p.length - 1; t < tokens.length - 1; t++) weights[t] = 1;
  return { tokens, weights };
}

export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** What the verifier made of one step's samples: rewards per group, and counts for the metrics line. */
function rewardGroups(problems: readonly GrpoProblem[], groups: readonly Completion[][], opts: RewardOptions | undefined) {
  let correct = 0, formatted = 0, n = 0, genTokens = 0, truncated = 0;
  const rewards = problems.map((p, i) => {
    const gold = prepareGold(p.answer, opts); // parsed once per group, not once per sample
    return groups[i]!.map((c) => {
      const r = trimerRewardPrepared(c.text, gold, opts);
      n++;
      if (r.correct) correct++;
      if (r.formatted) formatted++;
      genTokens += c.completionTokens;
      if (c.finishReason === "length") truncated++;
      return r.reward;
    });
  });
  return { rewards, n, correct, formatted, genTokens, truncated };
}

/**
 * The policy-gradient datums of one step: one per completion with a non-zero advantage (the rest carry no gradient,
 * so skipping them saves their forward/backward), with the sampler's log-probs as p_old when it returned them all.
 */
function policyDatums(tok: Tokenizer, problems: readonly GrpoProblem[], groups: readonly Completion[][], advantages: number[][]): Datum[] {
  const batch: Datum[] = [];
  problems.forEach((p, i) => groups[i]!.forEach((c, j) => {
    const a = advantages[i]![j]!;
    if (a === 0) return;
    const d = completionDatum(tok, p.prompt, c);
    const T = d.tokens.length - 1;
    d.advantages = new Array<number>(T).fill(a);
    if (c.logprobs && c.logprobs.length === c.completionTokens) {
      const old = new Array<number>(T).fill(0);
      const offset = T - c.logprobs.length;
      c.logprobs.forEach((lp, k) => { old[offset + k] = lp; });
      d.oldLogprobs = old;
    }
    batch.push(d);
  }));
  return batch;
}

/** KL(policy ‖ start) on the policy's own samples, k3-estimated per weighted token and averaged. */
function klToStartOf(batch: readonly Datum[], startLps: readonly Float32Array[]): number {
  let s = 0, m = 0;
  batch.forEach((d, k) => {
    for (let t = 0; t < d.weights.length; t++) {
      if (!d.weights[t]) continue;
      s += k3(startLps[k]![t]! - d.oldLogprobs![t]!);
      m++;
    }
  });
  return m ? s / m : 0;
}

/** μ and the mini-batch count, checked (a bad value is a config error, named). */
export function ppoPasses(cfg: Pick<GrpoConfig, "ppoEpochs" | "miniBatches">): { epochs: number; miniBatches: number } {
  const epochs = cfg.ppoEpochs ?? 1, miniBatches = cfg.miniBatches ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new InputError(`grpo: ppoEpochs must be an integer ≥ 1, got ${cfg.ppoEpochs}`);
  if (!Number.isInteger(miniBatches) || miniBatches < 1) throw new InputError(`grpo: miniBatches must be an integer ≥ 1, got ${cfg.miniBatches}`);
  return { epochs, miniBatches };
}

/**
 * The batch in `parts` contiguous mini-batches of near-equal size (the first ones one datum larger); fewer when the
 * batch has fewer data than parts. Contiguous, not shuffled: the datums are ordered by prompt, so a mini-batch holds
 * whole groups where sizes allow, and the split is the same in every pass.
 */
export function splitBatch<T>(batch: readonly T[], parts: number): T[][] {
  const n = Math.min(parts, batch.length);
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(batch.length / n) + (i < batch.length % n ? 1 : 0);
    out.push(batch.slice(at, at + size));
    at += size;
  }
  return out;
}

/** One GRPO step: sample → reward → group advantages → datums → forwardBackward → optimStep. */
export async function grpoStep(cfg: GrpoConfig, deps: GrpoDeps, step: number): Promise<GrpoStepLog> {
  const t0 = performance.now();
  const problems = deps.problems(step);
  const maxTokens = cfg.maxTokens(step);
  const groups = await deps.policy.sampler().sample(problems.map((p) => p.prompt), {
    n: cfg.groupSize, temperature: cfg.temperature, topP: cfg.topP, maxTokens, logprobs: true,
    seed: (cfg.seed * 1_000_003 + step) >>> 0,
  });
  const sampleSeconds = (performance.now() - t0) / 1000;
  const r = rewardGroups(problems, groups, cfg.reward);
  const { advantages, stats } = groupAdvantages(r.rewards, { scaling: cfg.advantageScaling });
  const batch = policyDatums(deps.tokenizer, problems, groups, advantages);
  let loss = 0, entropy = NaN, clipFraction = 0, ratioMean = 1, optimSteps = 0, klToStart: number | null = null;
  if (batch.length > 0) {
    const missing = batch.filter((d) => !d.oldLogprobs);
    if (missing.length) {
      const lps = await deps.policy.logprobs(missing);
      missing.forEach((d, k) => { d.oldLogprobs = Array.from(lps[k]!); });
    }
    if (cfg.beta > 0) {
      const ref = await deps.reference!.logprobs(batch);
      batch.forEach((d, k) => { d.refLogprobs = Array.from(ref[k]!); });
    }
    if (deps.startLogprobs && deps.klEvery && step % deps.klEvery === 0) klToStart = klToStartOf(batch, await deps.startLogprobs(batch));
    const lossT = cfg.lossTemperature === "sampling" ? cfg.temperature : 1;
    const { epochs, miniBatches } = ppoPasses(cfg);
    const spec = {
      type: "policy_gradient" as const, clip: cfg.clip, aggregation: cfg.aggregation, constant: cfg.constant ?? maxTokens, beta: cfg.beta,
      ...(lossT !== 1 ? { temperature: lossT } : {}),
    };
    if (epochs * miniBatches === 1) {
      // The sampler's log-probabilities are untempered (kept above for the KL monitor); at T ≠ 1 they are not the
      // sampled distribution's, and one step on fresh samples has ratio 1 anyway, so the loss goes without them.
      if (lossT !== 1) for (const d of batch) delete d.oldLogprobs;
      const st = await deps.policy.forwardBackward(batch, spec);
      loss = st.loss;
      entropy = st.metrics.entropy ?? NaN;
      clipFraction = st.metrics.clipFraction ?? 0;
      ratioMean = st.metrics.ratioMean ?? 1;
      await deps.policy.optimStep({ lr: cfg.lr(step), maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay });
      optimSteps = 1;
    } else {
      // Several optimizer steps on one batch: p_old is the policy before the first of them, scored by the trainer at
      // the loss temperature (the sampler's untempered log-probabilities belong to another distribution at T ≠ 1),
      // so the first step's ratio is 1 and every later step is clipped against the same p_old, as in PPO.
      const old = await deps.policy.logprobs(batch, lossT !== 1 ? { temperature: lossT } : {});
      batch.forEach((d, k) => { d.oldLogprobs = Array.from(old[k]!); });
      const parts = splitBatch(batch, miniBatches);
      let clipSum = 0, ratioSum = 0, lossSum = 0;
      for (let e = 0; e < epochs; e++) {
        for (const part of parts) {
          const st = await deps.policy.forwardBackward(part, spec);
          if (optimSteps === 0) entropy = st.metrics.entropy ?? NaN; // the sampling policy's, as with one step
          clipSum += st.metrics.clipFraction ?? 0;
          ratioSum += st.metrics.ratioMean ?? 1;
          lossSum += st.loss;
          await deps.policy.optimStep({ lr: cfg.lr(step), maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay });
          optimSteps++;
        }
      }
      clipFraction = clipSum / optimSteps;
      ratioMean = ratioSum / optimSteps;
      loss = lossSum / optimSteps;
    }
  }
  return {
    step,
    meanReward: stats.meanReward,
    accuracy: r.correct / r.n,
    formatRate: r.formatted / r.n,
    zeroVarianceFraction: stats.zeroVarianceFraction,
    meanResponseTokens: r.genTokens / r.n,
    truncatedFraction: r.truncated / r.n,
    entropy,
    klToStart,
    clipFraction,
    ratioMean,
    optimSteps,
    loss,
    lr: cfg.lr(step),
    maxTokens,
    stepSeconds: (performance.now() - t0) / 1000,
    sampleSeconds,
    peakRssMb: peakRssMb(),
  };
}

/** GRPO as a runner loop (train/runner.ts owns resume, metrics, progress and checkpoints). */
export function grpoLoop(cfg: GrpoConfig, deps: GrpoDeps): StepLoop<GrpoStepLog> {
  ppoPasses(cfg);
  if (cfg.beta > 0 && !deps.reference) throw new Error("grpo: beta > 0 needs a reference model");
  if (cfg.beta > 0 && cfg.lossTemperature === "sampling" && cfg.temperature !== 1) {
    throw new Error("grpo: beta > 0 with lossTemperature \"sampling\" would compare tempered and untempered log-probabilities; use lossTemperature 1");
  }
  return {
    label: deps.label ?? "grpo",
    steps: cfg.steps,
    async step(step) {
      const log = await grpoStep(cfg, deps, step);
      return { record: log, status: `reward ${log.meanReward.toFixed(3)} acc ${log.accuracy.toFixed(3)} tokens ${log.meanResponseTokens.toFixed(1)}` };
    },
  };
}

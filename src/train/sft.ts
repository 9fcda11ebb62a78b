// Supervised training: one forwardBackward on the step's batch with the stage's loss, one optimStep at the
// scheduled rate. Continued pre-training (every token weighs 1) and SFT (prompt tokens weigh 0) use it with the
// weighted cross-entropy; distillation and the reward model with their own losses. Sequential length buckets
// (Nemotron-Math) are the caller's batch function: step s draws from bucket b(s), shortest first.
import type { Datum, LossSpec, Trainer } from "../engine/types.js";
import type { StepLoop } from "./runner.js";

export interface SupervisedConfig {
  label: string;
  steps: number;
  lr(step: number): number;
  maxGradNorm?: number;
  weightDecay?: number;
  /** The loss of step s (default: cross-entropy). */
  loss?(step: number): LossSpec;
  /** Extra fields for each metrics line (e.g. the distillation temperature). */
  extraMetrics?(step: number): Record<string, number>;
}

/**
 * The metrics line of a supervised step: the loss's own metrics and the optimizer's, then optimizerStep, step,
 * loss, lr, tokens (in the batch's sequences), targetTokens (weighted target positions) and seconds.
 */
export type SupervisedRecord = Record<string, number>;

/** The batch of step s must be a pure function of s (see runner.ts). */
export function supervisedLoop(cfg: SupervisedConfig, trainer: Trainer, batch: (step: number) => Datum[] | Promise<Datum[]>): StepLoop<SupervisedRecord> {
  return {
    label: cfg.label,
    steps: cfg.steps,
    async step(step) {
      const t0 = performance.now();
      const data = await batch(step);
      const fb = await trainer.forwardBackward(data, cfg.loss?.(step) ?? { type: "cross_entropy" });
      const lr = cfg.lr(step);
      const opt = await trainer.optimStep({ maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay, lr });
      const tokens = data.reduce((a, d) => a + d.tokens.length, 0);
      const loss = fb.tokens > 0 ? fb.loss : 0;
      const seconds = (performance.now() - t0) / 1000;
      // The loop's own fields last: the engine's metrics carry an optimizer `step` and `lr` of their own.
      const { step: optimizerStep, ...optMetrics } = opt.metrics;
      return {
        record: { ...fb.metrics, ...optMetrics, ...(cfg.extraMetrics?.(step) ?? {}), ...(optimizerStep === undefined ? {} : { optimizerStep }), step, loss, lr, tokens, targetTokens: fb.tokens, seconds },
        status: `loss ${loss.toFixed(4)} ${Math.round(tokens / Math.max(seconds, 1e-9))} tok/s`,
      };
    },
  };
}

/** Which of `buckets` sequential buckets step `step` of `steps` is in (equal shares, the last takes the rest). */
export function bucketOf(step: number, steps: number, buckets: number): number {
  if (buckets <= 1) return 0;
  return Math.min(buckets - 1, Math.floor((step * buckets) / steps));
}

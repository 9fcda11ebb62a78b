// Supervised training with the weighted cross-entropy: continued pre-training (every token weighs 1) and SFT
// (prompt tokens weigh 0), the same loop. Sequential length buckets (Nemotron-Math) are the caller's batch
// function: step s draws from bucket b(s), shortest first.
import type { Datum, Trainer } from "../engine/types.js";
import { trainLoop, type LoopResult } from "./loop.js";

export interface SftConfig {
  label: string;
  steps: number;
  lr(step: number): number;
  maxGradNorm?: number;
  weightDecay?: number;
}

export async function supervised(
  cfg: SftConfig,
  trainer: Trainer,
  batch: (step: number) => Datum[],
  opts: { checkpointDir?: string; checkpointEvery?: number; metricsPath?: string; quiet?: boolean; start?: number } = {},
): Promise<LoopResult> {
  return trainLoop(
    {
      trainer,
      label: cfg.label,
      steps: cfg.steps,
      batch: (step) => [batch(step)],
      loss: () => ({ type: "cross_entropy" }),
      lr: cfg.lr,
      optim: { maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay },
      checkpointDir: opts.checkpointDir,
      checkpointEvery: opts.checkpointEvery,
      metricsPath: opts.metricsPath,
      quiet: opts.quiet,
    },
    opts.start,
  );
}

/** Which of `buckets` sequential buckets step `step` of `steps` is in (equal shares, the last takes the rest). */
export function bucketOf(step: number, steps: number, buckets: number): number {
  if (buckets <= 1) return 0;
  return Math.min(buckets - 1, Math.floor((step * buckets) / steps));
}

// Reasoning distillation (TriMER stage 1): L = α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1−α)·CE on the teacher's
// reasoning traces, with an adaptive temperature schedule (high T first: broad strategies; low T later:
// precision) and reasoning-weighted masking (the datums' weights). Teacher targets are computed on the fly by the
// teacher engine's `distribution` (full logits, or top-k logprobs when topK > 0 — what an API teacher can give).
import type { Datum, Trainer } from "../../engine/types.js";
import { trainLoop, type LoopResult } from "../loop.js";
import { distillTemperature, type TemperatureSchedule } from "./schedule.js";

export interface DistillConfig {
  steps: number;
  alpha: number;
  temperature: TemperatureSchedule;
  teacherTopK: number;
  lr(step: number): number;
  maxGradNorm?: number;
  weightDecay?: number;
}

export async function distill(
  cfg: DistillConfig,
  student: Trainer,
  teacher: Pick<Trainer, "distribution">,
  batch: (step: number) => Datum[],
  opts: { checkpointDir?: string; checkpointEvery?: number; metricsPath?: string; quiet?: boolean; start?: number } = {},
): Promise<LoopResult> {
  return trainLoop(
    {
      trainer: student,
      label: "distill",
      steps: cfg.steps,
      batch: async (step) => {
        const data = batch(step);
        const targets = await teacher.distribution(data, { topK: cfg.teacherTopK });
        data.forEach((d, i) => { d.teacher = targets[i]!; });
        return [data];
      },
      loss: (step) => ({ type: "distill", alpha: cfg.alpha, temperature: distillTemperature(cfg.temperature, step) }),
      lr: cfg.lr,
      optim: { maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay },
      extraMetrics: (step) => ({ temperature: distillTemperature(cfg.temperature, step) }),
      checkpointDir: opts.checkpointDir,
      checkpointEvery: opts.checkpointEvery,
      metricsPath: opts.metricsPath,
      quiet: opts.quiet,
    },
    opts.start,
  );
}

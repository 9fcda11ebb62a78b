// Reasoning distillation (TriMER stage 1): L = α·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1−α)·CE on the teacher's
// reasoning traces, with an adaptive temperature schedule (high T first: broad strategies; low T later:
// precision) and reasoning-weighted masking (the datums' weights). Teacher targets are computed on the fly by the
// teacher engine's `distribution` (full logits, or top-k logprobs when topK > 0 — what an API teacher can give).
import type { Datum, Trainer } from "../../engine/types.js";
import type { StepLoop } from "../runner.js";
import { supervisedLoop, type SupervisedRecord } from "../sft.js";
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

export function distillLoop(
  cfg: DistillConfig,
  student: Trainer,
  teacher: Pick<Trainer, "distribution">,
  batch: (step: number) => Datum[],
): StepLoop<SupervisedRecord> {
  const temperature = (step: number): number => distillTemperature(cfg.temperature, step);
  return supervisedLoop({
    label: "distill", steps: cfg.steps, lr: cfg.lr, maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay,
    loss: (step) => ({ type: "distill", alpha: cfg.alpha, temperature: temperature(step) }),
    extraMetrics: (step) => ({ temperature: temperature(step) }),
  }, student, async (step) => {
    const data = batch(step);
    const targets = await teacher.distribution(data, { topK: cfg.teacherTopK });
    data.forEach((d, i) => { d.teacher = targets[i]!; });
    return data;
  });
}

// Learning-rate schedules as pure functions of the optimizer step, so a resumed run recomputes the same rate from
// the step it saved and nothing about the schedule needs to be checkpointed.
import { InputError } from "../util/errors.js";

export type LrScheduleKind = "constant" | "linear" | "cosine";
export const LR_SCHEDULE_KINDS: readonly LrScheduleKind[] = ["constant", "linear", "cosine"];

export interface LrSchedule {
  kind: LrScheduleKind;
  /** The rate reached at the end of warm-up. */
  peak: number;
  /** Linear warm-up steps (0 = none). */
  warmupSteps?: number;
  /** Steps of the whole run, warm-up included; the decay reaches `floor` at this step and stays there. */
  totalSteps: number;
  /** Lowest rate after warm-up (absolute, not a fraction of peak); default 0. Ignored by "constant". */
  floor?: number;
}

/** Throws an InputError naming the bad field. */
export function checkLrSchedule(s: LrSchedule): void {
  if (!LR_SCHEDULE_KINDS.includes(s.kind)) {
    throw new InputError(`lr schedule: kind must be one of ${LR_SCHEDULE_KINDS.join(", ")}, got ${JSON.stringify(s.kind)}`);
  }
  if (!(s.peak >= 0) || !Number.isFinite(s.peak)) throw new InputError(`lr schedule: peak must be a finite number ≥ 0, got ${s.peak}`);
  const warmup = s.warmupSteps ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) throw new InputError(`lr schedule: warmupSteps must be an integer ≥ 0, got ${warmup}`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new InputError(`lr schedule: totalSteps must be an integer ≥ 1, got ${s.totalSteps}`);
  const floor = s.floor ?? 0;
  if (!(floor >= 0) || floor > s.peak) throw new InputError(`lr schedule: floor must be in [0, peak = ${s.peak}], got ${floor}`);
}

/**
 * The rate for optimizer step `step` (0-based: the first update is step 0).
 * Warm-up: peak · (step + 1) / warmupSteps for step < warmupSteps — counting from 1 so that the very first update
 * is not wasted at rate 0 (a common off-by-one in warm-up code); the last warm-up step reaches peak.
 * After warm-up, with progress p = (step − warmupSteps) / (totalSteps − warmupSteps) clamped to [0, 1]:
 *   constant: peak;  linear: floor + (peak − floor)·(1 − p);  cosine: floor + (peak − floor)·(1 + cos(π·p)) / 2.
 */
export function learningRate(s: LrSchedule, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new InputError(`lr schedule: step must be an integer ≥ 0, got ${step}`);
  const warmup = s.warmupSteps ?? 0;
  if (step < warmup) return (s.peak * (step + 1)) / warmup;
  if (s.kind === "constant") return s.peak;
  const floor = s.floor ?? 0;
  const span = s.totalSteps - warmup;
  const p = span <= 0 ? 1 : Math.min(1, (step - warmup) / span);
  const shape = s.kind === "linear" ? 1 - p : 0.5 * (1 + Math.cos(Math.PI * p));
  return floor + (s.peak - floor) * shape;
}

// TriMER's adaptive temperature scheduling for distillation: "beginning with higher values to learn broad
// reasoning strategies before transitioning to lower temperatures that enhance precision". The paper gives neither
// the values nor the curve, so both are configurable; the defaults (2 → 1, cosine) are our choice: T = 1 at the end
// makes the final objective the plain KL to the teacher's own distribution, and T = 2 is the common softening in
// the distillation literature. A pure function of the step, like the LR schedule, so resuming needs no state.
import { InputError } from "../../util/errors.js";

export type TemperatureScheduleKind = "constant" | "linear" | "cosine" | "step";
export const TEMPERATURE_SCHEDULE_KINDS: readonly TemperatureScheduleKind[] = ["constant", "linear", "cosine", "step"];

export interface TemperatureSchedule {
  kind: TemperatureScheduleKind;
  /** Temperature at step 0 (the high one). */
  start: number;
  /** Temperature from `totalSteps` on (the low one); ignored by "constant". */
  end: number;
  /** Steps over which T moves from start to end. */
  totalSteps: number;
  /** "step" only: number of plateaus, equally long, with temperatures evenly spaced from start to end (≥ 2; default 3). */
  stages?: number;
}

export const DEFAULT_TEMPERATURE_SCHEDULE: Omit<TemperatureSchedule, "totalSteps"> = { kind: "cosine", start: 2, end: 1 };

/** Throws an InputError naming the bad field. */
export function checkTemperatureSchedule(s: TemperatureSchedule): void {
  if (!TEMPERATURE_SCHEDULE_KINDS.includes(s.kind)) {
    throw new InputError(`temperature schedule: kind must be one of ${TEMPERATURE_SCHEDULE_KINDS.join(", ")}, got ${JSON.stringify(s.kind)}`);
  }
  for (const field of ["start", "end"] as const) {
    const v = s[field];
    if (!(v > 0) || !Number.isFinite(v)) throw new InputError(`temperature schedule: ${field} must be a positive number, got ${v}`);
  }
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) {
    throw new InputError(`temperature schedule: totalSteps must be an integer ≥ 1, got ${s.totalSteps}`);
  }
  const stages = s.stages ?? 3;
  if (!Number.isInteger(stages) || stages < 2) throw new InputError(`temperature schedule: stages must be an integer ≥ 2, got ${stages}`);
}

/**
 * The distillation temperature at optimizer step `step` (0-based). With progress p = min(1, step / totalSteps):
 *   constant: start;  linear: start + (end − start)·p;  cosine: end + (start − end)·(1 + cos(π·p)) / 2;
 *   step: plateau k = min(stages − 1, ⌊p·stages⌋) has start + (end − start)·k / (stages − 1).
 * Every kind reaches `end` at step totalSteps (constant excepted) and stays there.
 */
export function distillTemperature(s: TemperatureSchedule, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new InputError(`temperature schedule: step must be an integer ≥ 0, got ${step}`);
  const p = Math.min(1, step / s.totalSteps);
  switch (s.kind) {
    case "constant":
      return s.start;
    case "linear":
      return s.start + (s.end - s.start) * p;
    case "cosine":
      return s.end + (s.start - s.end) * 0.5 * (1 + Math.cos(Math.PI * p));
    case "step": {
      const stages = s.stages ?? 3;
      const k = Math.min(stages - 1, Math.floor(p * stages));
      return s.start + ((s.end - s.start) * k) / (stages - 1);
    }
  }
}

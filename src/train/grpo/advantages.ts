// Group-relative advantages for GRPO (TriMER stage 2): every prompt is sampled G times and each completion's
// advantage is its reward relative to its own group, so no critic is needed.
//   "std" (GRPO, TriMER's Â_i = (r_i − mean(r)) / std(r)):  (r − mean) / (std + eps)
//   "none" (Dr.GRPO):                                      r − mean   (dividing by std favours easy/hard groups)
// std is the population standard deviation (divide by G), as in DeepSeekMath's GRPO; a group whose rewards are all
// equal has r − mean = 0 exactly, so its advantages are 0 whatever eps is (it carries no learning signal).
import { InputError } from "../../util/errors.js";

export type AdvantageScaling = "std" | "none";

export interface AdvantageOptions {
  /** "std" (GRPO, default) or "none" (Dr.GRPO). */
  scaling?: AdvantageScaling;
  /** Added to std before dividing (default 1e-6). */
  eps?: number;
}

export interface AdvantageStats {
  /** Mean reward over every completion of every group. */
  meanReward: number;
  /** Share of groups whose rewards are all equal (zero variance: no gradient signal). */
  zeroVarianceFraction: number;
  /** Mean over groups of the within-group reward std. */
  meanGroupStd: number;
  groups: number;
  completions: number;
}

/**
 * Advantages for groups of rewards (groups[g][i] is the reward of completion i of prompt g). Groups may have
 * different sizes; a group of one has advantage 0. Returns advantages in the same shape, plus the step's stats.
 */
export function groupAdvantages(groups: readonly (readonly number[])[], opts: AdvantageOptions = {}): { advantages: number[][]; stats: AdvantageStats } {
  const scaling = opts.scaling ?? "std";
  const eps = opts.eps ?? 1e-6;
  if (scaling !== "std" && scaling !== "none") throw new InputError(`advantages: scaling must be "std" or "none", got ${JSON.stringify(scaling)}`);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new InputError(`advantages: eps must be a finite number ≥ 0, got ${eps}`);
  let total = 0;
  let completions = 0;
  let zeroVar = 0;
  let stdSum = 0;
  const advantages = groups.map((rewards, g) => {
    if (rewards.length === 0) throw new InputError(`advantages: group ${g} is empty`);
    let sum = 0;
    for (let i = 0; i < rewards.length; i++) {
      const r = rewards[i]!;
      if (!Number.isFinite(r)) throw new InputError(`advantages: group ${g} reward ${i} is ${r} (must be finite)`);
      sum += r;
    }
    const mean = sum / rewards.length;
    let allEqual = true;
    let ss = 0;
    for (const r of rewards) {
      if (r !== rewards[0]) allEqual = false;
      ss += (r - mean) * (r - mean);
    }
    const std = Math.sqrt(ss / rewards.length);
    total += sum;
    completions += rewards.length;
    stdSum += std;
    if (allEqual) {
      zeroVar++;
      // Exact zeros: (r − mean) can be ±1 ulp off 0 for equal non-representable rewards, and dividing that by eps
      // would turn rounding noise into a large advantage.
      return rewards.map(() => 0);
    }
    return rewards.map((r) => (scaling === "std" ? (r - mean) / (std + eps) : r - mean));
  });
  const n = groups.length;
  return {
    advantages,
    stats: {
      meanReward: completions ? total / completions : 0,
      zeroVarianceFraction: n ? zeroVar / n : 0,
      meanGroupStd: n ? stdSum / n : 0,
      groups: n,
      completions,
    },
  };
}

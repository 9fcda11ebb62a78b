// The data of `trimer run`: compact arithmetic from the synthetic curriculum (src/data/synth/arithmetic.ts documents
// the formats), split three ways by a hash of the question text so that no question is in two of them:
//   holdout — 10% of the question space: the ablation table's test set, never trained on, never tuned on;
//   dev     — another 10% (an independent hash): what presets were tuned on;
//   train   — the rest: every training stage draws from it.
// Batches are pure functions of (seed, stage, step), so a resumed stage sees exactly the data it would have seen.
import { generateWorked, withSolutions } from "../data/synth/index.js";
import { splitOf } from "../data/synth/split.js";
import type { ProblemWithSolutions, SolutionMode } from "../data/records.js";
import { createRng, mixSeed } from "../util/rng.js";

export type CorpusSplit = "train" | "dev" | "holdout";

const HOLDOUT_FRACTION = 0.1;
const DEV_FRACTION = 0.1;
const DEV_SALT = 0x5eed;

export function corpusSplitOf(question: string): CorpusSplit {
  if (splitOf(question, HOLDOUT_FRACTION) === "holdout") return "holdout";
  if (splitOf(question, DEV_FRACTION, DEV_SALT) === "holdout") return "dev";
  return "train";
}

/** Stream ids keep the stages' data independent of each other. */
export const STREAMS = { pretrain: 1, teacherPretrain: 2, extension: 3, teacherSft: 4, distill: 5, grpo: 6, rmTrain: 7, rmHeldout: 8, holdout: 9, dev: 10, teacherTraces: 11, instruct: 12 } as const;

/**
 * The problem at (seed, stream, index) restricted to `split`: scans forward from a pseudo-random start until a
 * question of the split comes up (at most a few dozen tries for 80% / 10% splits).
 */
export function problemAt(seed: number, stream: number, index: number, split: CorpusSplit, difficulties: readonly number[], modes: readonly SolutionMode[]): ProblemWithSolutions {
  const rng = createRng(mixSeed(seed, stream, index));
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const d = difficulties[rng.int(0, difficulties.length - 1)]!;
    const sub = rng.int(0, 0x7fffffff);
    const opts = { domains: ["arithmetic"] as const, difficulty: [d, d] as const, style: "compact" as const, modes };
    const w = generateWorked(mixSeed(seed, stream), sub, opts);
    if (corpusSplitOf(w.question) === split) return withSolutions(w, mixSeed(seed, stream), sub, opts);
  }
  throw new Error(`corpus: no ${split} problem found at difficulty ${difficulties.join(",")}`);
}

/** `n` distinct problems of a split (distinct questions), e.g. the holdout set. */
export function problemSet(seed: number, stream: number, n: number, split: CorpusSplit, difficulties: readonly number[], modes: readonly SolutionMode[]): ProblemWithSolutions[] {
  const seen = new Set<string>();
  const out: ProblemWithSolutions[] = [];
  for (let i = 0; out.length < n && i < n * 50; i++) {
    const p = problemAt(seed, stream, i, split, difficulties, modes);
    if (seen.has(p.question)) continue;
    seen.add(p.question);
    out.push(p);
  }
  if (out.length < n) throw new Error(`corpus: only ${out.length} distinct ${split} problems at difficulties ${difficulties.join(",")} (asked for ${n})`);
  return out;
}

export function solutionText(p: ProblemWithSolutions, mode: SolutionMode): string {
  const s = p.solutions.find((x) => x.mode === mode);
  if (!s) throw new Error(`corpus: problem ${p.id} has no ${mode} solution`);
  return s.text;
}

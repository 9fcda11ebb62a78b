// What a user of a `trimer run` folder looks for, under plain names: the final checkpoints as OUT/models/<name>
// (links to the stage folders, where training keeps them) and the evaluation sets as OUT/data/{holdout,dev}.jsonl,
// so another model can be evaluated on exactly the same problems:
//
//   OUT/models/base         student after pre-training + context extension   → student-base/context-extension/final
//   OUT/models/teacher      teacher after SFT on thinking traces             → teacher-sft/sft/final
//   OUT/models/distilled    TriMER stage 1                                   → distill/distill/final
//   OUT/models/grpo         TriMER stage 2, the final policy                 → grpo/grpo/final
//   OUT/models/reward-model TriMER stage 3 (policy trunk + score head)       → reward-model/train/final
//   OUT/data/holdout.jsonl  the held-out set of the ablation table (never trained or tuned on)
//   OUT/data/dev.jsonl      the dev set the presets were tuned on
//
//   trimer eval --checkpoint OUT/models/grpo --bench OUT/data/holdout.jsonl
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import type { PipelineConfig } from "./config.js";
import { problemSet, STREAMS } from "./corpus.js";
import { writeJsonl } from "../data/jsonl.js";
import type { ProblemWithSolutions } from "../data/records.js";

/** The evaluation sets of a run; the evaluate stage and OUT/data/*.jsonl both come from here. */
export function evalSets(cfg: PipelineConfig): { holdout: ProblemWithSolutions[]; dev: ProblemWithSolutions[] } {
  return {
    holdout: problemSet(cfg.seed, STREAMS.holdout, cfg.data.holdoutSize, "holdout", cfg.data.evalDifficulties, ["low"]),
    dev: problemSet(cfg.seed, STREAMS.dev, cfg.data.devSize, "dev", cfg.data.evalDifficulties, ["low"]),
  };
}

/** Plain name → the stage/phase folder whose final/ holds that model. */
export const FINAL_MODELS: Record<string, readonly [string, string]> = {
  base: ["student-base", "context-extension"],
  teacher: ["teacher-sft", "sft"],
  distilled: ["distill", "distill"],
  grpo: ["grpo", "grpo"],
  "reward-model": ["reward-model", "train"],
};

/**
 * Writes OUT/data/{holdout,dev}.jsonl and links OUT/models/<name> to every finished model. Idempotent: run after
 * every `trimer run` (a partial run links what it has). Returns the plain names linked.
 */
export async function publishLayout(root: string, cfg: PipelineConfig): Promise<string[]> {
  const data = join(root, "data");
  mkdirSync(data, { recursive: true });
  const sets = evalSets(cfg);
  // The problems alone (their synthetic solutions would be the answers' worked derivations: not for evaluation).
  const strip = (ps: ProblemWithSolutions[]): object[] => ps.map(({ solutions: _s, ...p }) => p);
  await writeJsonl(join(data, "holdout.jsonl"), strip(sets.holdout));
  await writeJsonl(join(data, "dev.jsonl"), strip(sets.dev));
  const models = join(root, "models");
  mkdirSync(models, { recursive: true });
  const linked: string[] = [];
  for (const [name, [stage, phase]] of Object.entries(FINAL_MODELS)) {
    const target = join(root, stage, phase, "final");
    if (!existsSync(join(target, "config.json"))) continue;
    const link = join(models, name);
    try {
      if (lstatSync(link)) rmSync(link, { recursive: true, force: true });
    } catch { /* no link yet */ }
    // Relative, so the run folder can be moved or copied whole.
    symlinkSync(relative(models, target), link, "dir");
    linked.push(name);
  }
  return linked;
}

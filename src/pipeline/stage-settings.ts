// Which settings each stage of `trimer run` depends on: its own section of the config and, through the checkpoints
// it starts from, its upstream stages'. A resume may change the settings of stages that have not started yet (a
// GRPO or agent experiment reuses the teacher and the distilled student) but never those of a stage already run.
import type { PipelineConfig } from "./config.js";

type Stage = "student-base" | "teacher-base" | "teacher-sft" | "teacher-traces" | "distill" | "instruct" | "grpo" | "reward-model" | "evaluate";

const OWN: Record<Stage, (c: PipelineConfig) => unknown> = {
  "student-base": (c) => ({ student: c.student, pretrain: c.pretrain.student, extension: c.pretrain.extension }),
  "teacher-base": (c) => ({ teacher: c.teacher, pretrain: c.pretrain.teacher, extension: c.pretrain.extension }),
  "teacher-sft": (c) => c.teacherSft,
  "teacher-traces": (c) => c.distill.teacherTraces,
  distill: (c) => c.distill,
  instruct: (c) => c.instruct,
  grpo: (c) => c.grpo,
  "reward-model": (c) => c.rewardModel,
  evaluate: (c) => ({ agents: c.agents, eval: c.eval, betaComparison: c.betaComparison }),
};

const UPSTREAM: Record<Stage, Stage[]> = {
  "student-base": [],
  "teacher-base": [],
  "teacher-sft": ["teacher-base"],
  "teacher-traces": ["teacher-sft"],
  distill: ["student-base", "teacher-sft", "teacher-traces"],
  instruct: ["student-base"],
  grpo: ["distill"],
  "reward-model": ["grpo"],
  evaluate: ["instruct", "reward-model"],
};

/** Every setting the stage's result depends on (the seed and the data for all of them), as one JSON text. */
export function stageSettings(cfg: PipelineConfig, stage: string): string {
  const seen = new Set<Stage>();
  const visit = (s: Stage): void => {
    if (seen.has(s)) return;
    seen.add(s);
    for (const u of UPSTREAM[s]) visit(u);
  };
  if (!(stage in OWN)) throw new Error(`stageSettings: unknown stage "${stage}"`);
  visit(stage as Stage);
  const parts = [...seen].sort().map((s) => [s, OWN[s](cfg)]);
  return JSON.stringify({ seed: cfg.seed, data: cfg.data, stages: parts });
}

/**
 * Whether a run folder made with `old` may continue with `cfg`: null if yes, else the first stage that was already
 * started (`started(stage)`: it has a folder) with settings that differ.
 */
export function changedStartedStage(old: PipelineConfig, cfg: PipelineConfig, stages: readonly string[], started: (stage: string) => boolean): string | null {
  for (const s of stages) if (started(s) && stageSettings(old, s) !== stageSettings(cfg, s)) return s;
  return null;
}

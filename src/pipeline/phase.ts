// One resumable training phase of a stage: OUT/<stage>/<phase>/{ckpt/, final/, metrics.jsonl, DONE.json}.
//   final/ + DONE.json present → the phase is finished: load and return it;
//   ckpt/progress.json present → an interrupted phase: load the checkpoint (weights + optimizer) and go on from
//                                its step;
//   otherwise                  → a fresh start from `fresh()`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LocalEngine } from "../engine/local.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { resumeStep, runSteps, type StepLoop } from "../train/runner.js";
import { loadEngine } from "./engines.js";
import type { Artifacts } from "./artifacts.js";

export interface Phase {
  dir: string;
  ckptDir: string;
  finalDir: string;
  metricsPath: string;
}

export function phasePaths(art: Artifacts, stage: string, phase: string): Phase {
  const dir = art.dir(stage, phase);
  return { dir, ckptDir: join(dir, "ckpt"), finalDir: join(dir, "final"), metricsPath: join(dir, "metrics.jsonl") };
}

export function phaseDone(p: Phase): boolean {
  return existsSync(join(p.dir, "DONE.json"));
}

/** The engine to train and the step to start from. */
export async function openPhase(p: Phase, fresh: () => Promise<LocalEngine> | LocalEngine): Promise<{ engine: LocalEngine; start: number }> {
  const start = resumeStep(p.ckptDir);
  if (start > 0) return { engine: await loadEngine(p.ckptDir), start };
  return { engine: await fresh(), start: 0 };
}

export async function closePhase<R>(p: Phase, engine: LocalEngine, result: R): Promise<void> {
  await engine.save(p.finalDir);
  writeFileAtomicSync(join(p.dir, "DONE.json"), JSON.stringify({ finishedAt: new Date().toISOString(), result }, null, 2) + "\n");
}

export interface PhaseRunOptions {
  checkpointEvery: number;
  quiet: boolean;
}

/**
 * Runs a phase unless it is finished; returns the trained engine either way. `loop` makes the phase's training
 * loop for the engine it trains; the runner (train/runner.ts) checkpoints into ckpt/ and journals metrics.jsonl.
 */
export async function runPhase(
  p: Phase,
  fresh: () => Promise<LocalEngine> | LocalEngine,
  loop: (engine: LocalEngine) => StepLoop<object>,
  opts: PhaseRunOptions,
): Promise<LocalEngine> {
  if (phaseDone(p)) return loadEngine(p.finalDir);
  const { engine, start } = await openPhase(p, fresh);
  const run = await runSteps(engine, loop(engine), { start, checkpointDir: p.ckptDir, checkpointEvery: opts.checkpointEvery, metricsPath: p.metricsPath, quiet: opts.quiet });
  await closePhase(p, engine, { steps: run.end, seconds: run.seconds, last: run.records.at(-1) ?? null });
  return engine;
}

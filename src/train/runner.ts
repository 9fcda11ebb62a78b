// The one training loop. Every stage (pre-training, SFT, distillation, GRPO, the reward model, `trimer model
// train`) is a step function; runSteps owns everything around it: where to start (resume), the metrics journal
// (and its TensorBoard mirror beside it, util/tfevents.ts), progress, periodic checkpoints and a clean stop.
//
// Resume: a checkpoint is the trainer's weights + optimizer state saved after step s, plus the step s itself
// (progress.json by default). A stage's data for step s must be a pure function of s, so a resumed run sees exactly
// the batches an uninterrupted one would have seen and reaches the same weights, bit for bit. The metrics journal
// holds one record per finished step, in order; records past the checkpoint (written after it, before a crash) are
// dropped on resume and recomputed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Trainer } from "../engine/types.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { JsonlAppender } from "../util/journal.js";
import { eventsPathFor, TfEventsWriter } from "../util/tfevents.js";
import { progress as makeProgress } from "../util/progress.js";

/** What one step reports: its metrics record (one journal line) and the progress text. */
export interface StepOutcome<R extends object = Record<string, unknown>> {
  record: R;
  status: string;
}

/** A training stage as the runner sees it. */
export interface StepLoop<R extends object = Record<string, unknown>> {
  /** Label for progress output. */
  label: string;
  /** Steps in total; a resumed run continues up to this. */
  steps: number;
  /** Runs step `s` (forward, backward, optimizer step) and reports it. */
  step(s: number): Promise<StepOutcome<R>>;
}

export interface RunOptions {
  /** The step to start from (default: resumeStep(checkpointDir)). The caller loads the trainer's saved state. */
  start?: number;
  /** Where checkpoints go (trainer.save + progress.json); absent = no checkpointing unless `save` is given. */
  checkpointDir?: string;
  /** Checkpoint after every this many steps (never after the last: the caller saves the finished model). */
  checkpointEvery?: number;
  /** A checkpoint in another format (replaces trainer.save + progress.json). */
  save?(stepsDone: number): Promise<void>;
  /** The metrics journal: one JSON line per step. */
  metricsPath?: string;
  quiet?: boolean;
  /** Polled after each step; true stops the run there (e.g. after Ctrl-C). */
  stop?(): boolean;
}

export interface RunResult<R extends object = Record<string, unknown>> {
  /** The step this run started from and the step it reached. */
  start: number;
  end: number;
  /** The records of the steps this run ran. */
  records: R[];
  seconds: number;
  /** Whether `stop` ended the run before `steps`. */
  stopped: boolean;
}

/** The step to start from: the one after the last checkpoint, or 0. */
export function resumeStep(checkpointDir: string | undefined): number {
  if (!checkpointDir) return 0;
  const p = join(checkpointDir, "progress.json");
  if (!existsSync(p)) return 0;
  const { step } = JSON.parse(readFileSync(p, "utf8")) as { step: number };
  return step;
}

/** The default checkpoint: the trainer's state, then progress.json (written last, so it never names a half-save). */
export async function saveProgress(trainer: Trainer, dir: string, step: number): Promise<void> {
  await trainer.save(dir);
  writeFileAtomicSync(join(dir, "progress.json"), JSON.stringify({ step }) + "\n");
}

/** Runs steps [start, loop.steps) of `loop`, checkpointing `trainer` on the way. */
export async function runSteps<R extends object>(trainer: Trainer, loop: StepLoop<R>, o: RunOptions = {}): Promise<RunResult<R>> {
  const start = o.start ?? resumeStep(o.checkpointDir);
  const save = o.save ?? (o.checkpointDir ? (s: number) => saveProgress(trainer, o.checkpointDir!, s) : undefined);
  const journal = o.metricsPath ? new JsonlAppender(o.metricsPath) : null;
  // Record i is step i's; keep those before the start (all of them on a fresh run: none).
  let kept = 0;
  const keptRecords: object[] = [];
  journal?.truncateTo((rec) => {
    const keep = kept++ < start;
    if (keep) keptRecords.push(rec);
    return keep;
  });
  // The same curves as TensorBoard reads them, beside the journal (rewritten from the kept records on a resume).
  const events = o.metricsPath ? TfEventsWriter.create(eventsPathFor(o.metricsPath), keptRecords) : null;
  const bar = makeProgress(loop.label, loop.steps, { silent: o.quiet });
  bar.update(start);
  const t0 = performance.now();
  const records: R[] = [];
  let step = start;
  let stopped = false;
  while (step < loop.steps) {
    const { record, status } = await loop.step(step);
    records.push(record);
    journal?.append(record);
    events?.append(record);
    bar.tick(1, status);
    step++;
    if (save && o.checkpointEvery && step % o.checkpointEvery === 0 && step < loop.steps) await save(step);
    if (step < loop.steps && o.stop?.()) { stopped = true; break; }
  }
  bar.done();
  return { start, end: step, records, seconds: (performance.now() - t0) / 1000, stopped };
}

// The one supervised training loop under pre-training, SFT, distillation and the reward model: fetch a batch for
// step s (a pure function of s, so a resumed run sees exactly the data it would have seen), forwardBackward with
// the stage's loss, optimStep at the scheduled rate, log a metrics line, checkpoint every few steps.
// Resume: the stage's checkpoint folder holds the engine's weights + optimizer state and progress.json {step};
// metrics lines past that step (written after the checkpoint, before a crash) are dropped and recomputed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Datum, LossSpec, OptimOptions, StepStats, Trainer } from "../engine/types.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { progress as makeProgress } from "../util/progress.js";
import { JsonlAppender } from "../util/journal.js";

export interface LoopOptions {
  trainer: Trainer;
  /** Label for progress output. */
  label: string;
  steps: number;
  /** The batch of optimizer step `step` (pure in `step`); several micro-batches are accumulated. */
  batch(step: number): Datum[][] | Promise<Datum[][]>;
  loss(step: number): LossSpec;
  lr(step: number): number;
  optim?: Omit<OptimOptions, "lr">;
  /** Where checkpoints go (engine.save + progress.json); absent = no checkpointing. */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Metrics JSONL file, one line per step. */
  metricsPath?: string;
  /** Extra fields for each metrics line (e.g. the stage's temperature). */
  extraMetrics?(step: number): Record<string, number>;
  quiet?: boolean;
}

export interface LoopResult {
  steps: number;
  finalLoss: number;
  seconds: number;
  tokensPerSecond: number;
}

/** The step to start from: the one after the last checkpoint, or 0. */
export function resumeStep(checkpointDir: string | undefined): number {
  if (!checkpointDir) return 0;
  const p = join(checkpointDir, "progress.json");
  if (!existsSync(p)) return 0;
  const { step } = JSON.parse(readFileSync(p, "utf8")) as { step: number };
  return step;
}

export async function saveProgress(trainer: Trainer, dir: string, step: number): Promise<void> {
  await trainer.save(dir);
  writeFileAtomicSync(join(dir, "progress.json"), JSON.stringify({ step }) + "\n");
}

/**
 * Runs steps [start, steps). The caller loads the trainer from `checkpointDir` when resumeStep() > 0 (engines are
 * created by the pipeline, not here).
 */
export async function trainLoop(o: LoopOptions, start = resumeStep(o.checkpointDir)): Promise<LoopResult> {
  const metrics = o.metricsPath ? new JsonlAppender(o.metricsPath) : null;
  metrics?.truncateTo((r) => typeof r.step === "number" && r.step < start);
  const bar = makeProgress(o.label, o.steps, { silent: o.quiet });
  bar.update(start);
  const t0 = performance.now();
  let tokens = 0;
  let last: StepStats | null = null;
  for (let step = start; step < o.steps; step++) {
    const ts = performance.now();
    const micro = await o.batch(step);
    const spec = o.loss(step);
    let lossSum = 0, tokSum = 0;
    const agg: Record<string, number> = {};
    for (const mb of micro) {
      const s = await o.trainer.forwardBackward(mb, spec);
      lossSum += s.loss * s.tokens;
      tokSum += s.tokens;
      for (const [k, v] of Object.entries(s.metrics)) agg[k] = (agg[k] ?? 0) + v / micro.length;
    }
    const lr = o.lr(step);
    const opt = await o.trainer.optimStep({ ...o.optim, lr });
    const seqTokens = micro.reduce((a, mb) => a + mb.reduce((b, d) => b + d.tokens.length, 0), 0);
    tokens += seqTokens;
    const loss = tokSum > 0 ? lossSum / tokSum : 0;
    last = { loss, tokens: tokSum, metrics: agg };
    const dt = (performance.now() - ts) / 1000;
    // The loop's own fields last: the engine's metrics carry an optimizer `step` and `lr` of their own.
    const { step: optimizerStep, ...optMetrics } = opt.metrics;
    metrics?.append({ ...agg, ...optMetrics, ...(o.extraMetrics?.(step) ?? {}), optimizerStep, step, loss, lr, tokens: seqTokens, seconds: dt });
    bar.tick(1, `loss ${loss.toFixed(4)} ${Math.round(seqTokens / Math.max(dt, 1e-9))} tok/s`);
    if (o.checkpointDir && o.checkpointEvery && (step + 1) % o.checkpointEvery === 0 && step + 1 < o.steps) {
      await saveProgress(o.trainer, o.checkpointDir, step + 1);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  bar.done(last ? `loss ${last.loss.toFixed(4)}` : undefined);
  return { steps: o.steps, finalLoss: last?.loss ?? NaN, seconds, tokensPerSecond: tokens / Math.max(seconds, 1e-9) };
}

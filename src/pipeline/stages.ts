// The training stages of `trimer run`, in order. Each is resumable (see phase.ts) and returns the engine it made.
import type { Datum } from "../engine/types.js";
import type { LocalEngine } from "../engine/local.js";
import type { ModelConfig } from "../model/config.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { learningRate } from "../model/schedule.js";
import { supervisedLoop, bucketOf } from "../train/sft.js";
import { distillLoop } from "../train/distill/distill.js";
import { plainDatum, textDatum } from "../train/examples.js";
import { grpoLoop, type GrpoProblem } from "../train/grpo/grpo.js";
import { createRng, mixSeed } from "../util/rng.js";
import type { Artifacts } from "./artifacts.js";
import type { LrSpec, PipelineConfig, SupervisedStage } from "./config.js";
import { problemAt, solutionText, STREAMS } from "./corpus.js";
import { createEngine, withContext } from "./engines.js";
import type { TeacherTrace } from "./stage-traces.js";
import { phasePaths, runPhase, type PhaseRunOptions } from "./phase.js";

export interface StageContext {
  cfg: PipelineConfig;
  art: Artifacts;
  tok: Tokenizer;
  quiet: boolean;
}

export function lrFn(spec: LrSpec, steps: number): (step: number) => number {
  return (step) => learningRate({ kind: spec.kind, peak: spec.peak, warmupSteps: Math.min(spec.warmupSteps, Math.max(0, steps - 1)), totalSteps: steps, floor: spec.floor }, step);
}

const CKPT_EVERY = 50;

/** How a stage's training phases checkpoint and report. */
export function phaseOptions(ctx: StageContext, checkpointEvery = CKPT_EVERY): PhaseRunOptions {
  return { checkpointEvery, quiet: ctx.quiet };
}

/**
 * JT-Math continued pre-training on the synthetic corpus (questions and solutions as text, every token trained),
 * then the context-extension phase: documents packed into longer sequences, rope_theta raised.
 */
export async function pretrain(ctx: StageContext, stage: "student-base" | "teacher-base", model: ModelConfig, short: SupervisedStage): Promise<LocalEngine> {
  const { cfg, art, tok } = ctx;
  const stream = stage === "student-base" ? STREAMS.pretrain : STREAMS.teacherPretrain;
  const doc = (step: number, i: number): string => {
    const p = problemAt(cfg.seed, stream, step * 1024 + i, "train", cfg.data.trainDifficulties, cfg.data.pretrainModes);
    const mode = cfg.data.pretrainModes[(step + i) % cfg.data.pretrainModes.length]!;
    return p.question + solutionText(p, mode);
  };
  const p1 = phasePaths(art, stage, "pretrain");
  const base = await runPhase(p1, () => createEngine({ ...model, max_position_embeddings: short.maxTokens }, tok, mixSeed(cfg.seed, stream)), (engine) =>
    supervisedLoop({ label: `${stage} pretrain`, steps: short.steps, lr: lrFn(short.lr, short.steps), maxGradNorm: 1 }, engine,
      (step) => Array.from({ length: short.batch }, (_, i) => plainDatum(tok, doc(step, i), short.maxTokens))),
    phaseOptions(ctx),
  );
  const ext = cfg.pretrain.extension;
  const p2 = phasePaths(art, stage, "context-extension");
  return runPhase(p2, () => withContext(base, ext.ropeTheta, Math.max(ext.maxTokens, model.max_position_embeddings)), (engine) =>
    supervisedLoop({ label: `${stage} context extension`, steps: ext.steps, lr: lrFn(ext.lr, ext.steps), maxGradNorm: 1 }, engine,
      (step) => Array.from({ length: ext.batch }, (_, i) => packedDatum(tok, (k) => doc(1_000_000 + step, i * 64 + k), ext.maxTokens))),
    phaseOptions(ctx),
  );
}

/** Documents `bos doc eos bos doc eos …` packed up to maxTokens (the long sequences of context extension). */
function packedDatum(tok: Tokenizer, doc: (k: number) => string, maxTokens: number): Datum {
  const tokens: number[] = [];
  for (let k = 0; tokens.length < maxTokens; k++) tokens.push(tok.bos, ...tok.encode(doc(k)), tok.eos);
  tokens.length = maxTokens;
  return { tokens, weights: new Array<number>(maxTokens - 1).fill(1) };
}

/**
 * Which solution mode a trace style is: "verbose" — the thinking traces with a reasoning model's redundancy;
 * "lean" — the digit-level scratchpad ("high"), which is the verbose trace with every redundant piece removed.
 */
export type TraceStyle = "verbose" | "lean";
const TRACE_MODE = { verbose: "thinking", lean: "high" } as const;

/**
 * Thinking-trace examples for step `step`, drawn from sequential length buckets (Nemotron-Math): the difficulties
 * are the length proxy — bucket b of B trains on the shortest traces first; the last bucket draws from every
 * difficulty, so the short traces are not forgotten (Nemotron's balance lesson). The problems depend only on
 * (seed, stream, step), not on the style: a lean run sees the same problems, in the same order, as a verbose one.
 */
function thinkingBatch(ctx: StageContext, stream: number, step: number, steps: number, stage: SupervisedStage & { buckets: number }, mask: Parameters<typeof textDatum>[2], style: TraceStyle = "verbose"): Datum[] {
  const { cfg, tok } = ctx;
  const diffs = [...cfg.data.trainDifficulties].sort((a, b) => a - b);
  const b = bucketOf(step, steps, stage.buckets);
  const allowed = b === stage.buckets - 1 ? diffs : diffs.slice(0, Math.max(1, Math.ceil(((b + 1) * diffs.length) / stage.buckets)));
  const mode = TRACE_MODE[style];
  return Array.from({ length: stage.batch }, (_, i) => {
    const p = problemAt(cfg.seed, stream, step * 1024 + i, "train", allowed, [mode]);
    return textDatum(tok, { prompt: p.question, completion: solutionText(p, mode) }, mask, stage.maxTokens);
  });
}

/** The teacher's SFT batch of `step`: thinking traces, verbose unless teacherSft.traces = "lean" (a control). */
export function teacherSftBatch(ctx: StageContext, step: number): Datum[] {
  const s = ctx.cfg.teacherSft;
  return thinkingBatch(ctx, STREAMS.teacherSft, step, s.steps, s, {}, s.traces ?? "verbose");
}

/** The teacher learns to reason at length: SFT on thinking traces (prompt tokens weigh 0). */
export async function teacherSft(ctx: StageContext, teacherBase: LocalEngine): Promise<LocalEngine> {
  const s = ctx.cfg.teacherSft;
  const p = phasePaths(ctx.art, "teacher-sft", "sft");
  return runPhase(p, () => teacherBase, (engine) =>
    supervisedLoop({ label: "teacher sft", steps: s.steps, lr: lrFn(s.lr, s.steps), maxGradNorm: 1 }, engine,
      (step) => teacherSftBatch(ctx, step)),
    phaseOptions(ctx),
  );
}

/**
 * Distillation batches from the teacher's own traces (distill.traces = "teacher"), in the same sequential length
 * buckets: the traces are sorted by length and bucket b of B draws from the shortest (b + 1)/B of them.
 */
function teacherTraceBatch(ctx: StageContext, traces: readonly TeacherTrace[], step: number): Datum[] {
  const s = ctx.cfg.distill;
  const b = bucketOf(step, s.steps, s.buckets);
  const pool = Math.max(1, Math.ceil(((b + 1) * traces.length) / s.buckets));
  const rng = stageRng(ctx, STREAMS.distill, step);
  return Array.from({ length: s.batch }, () => {
    const t = traces[rng.int(0, pool - 1)]!;
    return textDatum(ctx.tok, { prompt: t.prompt, completion: t.text }, s.mask, s.maxTokens);
  });
}

/**
 * The distillation batch of `step`, by distill.traces: the teacher's own traces, or the curriculum's verbose
 * ("synthetic") or lean traces — the lean ones of the same problems, scored by the same teacher (its logits on the
 * lean text), so the only difference from "synthetic" is the redundancy.
 */
export function distillBatch(ctx: StageContext, step: number, teacherTraces?: readonly TeacherTrace[]): Datum[] {
  const s = ctx.cfg.distill;
  if (s.traces === "teacher") {
    if (!teacherTraces?.length) throw new Error("distill: traces = \"teacher\" but the teacher produced no correct trace");
    return teacherTraceBatch(ctx, teacherTraces, step);
  }
  return thinkingBatch(ctx, STREAMS.distill, step, s.steps, s, s.mask, s.traces === "lean" ? "lean" : "verbose");
}

/** TriMER stage 1: the student distils the teacher on thinking traces (α·T²·KL + (1−α)·CE, T schedule, mask). */
export async function distillStage(ctx: StageContext, studentBase: LocalEngine, teacher: LocalEngine, teacherTraces?: readonly TeacherTrace[]): Promise<LocalEngine> {
  const s = ctx.cfg.distill;
  const p = phasePaths(ctx.art, "distill", "distill");
  if (s.traces === "teacher" && !teacherTraces?.length) throw new Error("distill: traces = \"teacher\" but the teacher produced no correct trace");
  const batch = (step: number): Datum[] => distillBatch(ctx, step, teacherTraces);
  return runPhase(p, () => studentBase, (engine) =>
    distillLoop({
      steps: s.steps, alpha: s.alpha, teacherTopK: s.teacherTopK, lr: lrFn(s.lr, s.steps), maxGradNorm: 1,
      temperature: { kind: s.temperature.kind, start: s.temperature.start, end: s.temperature.end, totalSteps: s.steps },
    }, engine, teacher, batch),
    phaseOptions(ctx),
  );
}

/** The piecewise-constant value of a curriculum [[fromStep, value], …] at `step`. */
export function curriculum<T>(table: [number, T][], step: number): T {
  let v = table[0]![1];
  for (const [from, value] of table) if (step >= from) v = value;
  return v;
}

export function grpoProblems(ctx: StageContext, step: number, n: number, stream: number = STREAMS.grpo, difficulties?: number[]): GrpoProblem[] {
  const diffs = difficulties ?? curriculum(ctx.cfg.grpo.difficulty, step);
  return Array.from({ length: n }, (_, i) => {
    const p = problemAt(ctx.cfg.seed, stream, step * 1024 + i, "train", diffs, ["thinking"]);
    return { prompt: p.question, answer: p.answer, difficulty: p.difficulty, reference: solutionText(p, "thinking") };
  });
}

/** Reward options for every grade in the pipeline: the boxed answer only (no last-number fallback: a truncated
 *  scratchpad that happens to end on the right number must not earn the reward). */
export const GRADE = { lastNumberFallback: false } as const;

/** TriMER stage 2: GRPO with β = 0 from the distilled student. */
export async function grpoStage(ctx: StageContext, distilled: LocalEngine, startPolicyDir: string): Promise<LocalEngine> {
  const g = ctx.cfg.grpo;
  const p = phasePaths(ctx.art, "grpo", "grpo");
  let startPolicy: LocalEngine | null = null;
  return runPhase(p, () => distilled, (engine) =>
    grpoLoop({
      steps: g.steps, groupSize: g.groupSize, temperature: g.temperature, topP: g.topP, lr: lrFn(g.lr, g.steps),
      maxTokens: (step) => curriculum(g.maxTokens, step), clip: g.clip, aggregation: g.aggregation, beta: g.beta,
      advantageScaling: g.advantageScaling, maxGradNorm: g.maxGradNorm, seed: ctx.cfg.seed, reward: GRADE,
      lossTemperature: g.lossTemperature, ppoEpochs: g.ppoEpochs, miniBatches: g.miniBatches,
    }, {
      policy: engine, tokenizer: ctx.tok,
      problems: (step) => grpoProblems(ctx, step, g.promptsPerStep),
      // Monitoring only: the starting policy is loaded lazily, once, for the KL-to-start column; with β = 0 it never
      // enters the loss (the β comparison runs in separate processes without it).
      startLogprobs: async (batch) => {
        startPolicy ??= await (await import("./engines.js")).loadEngine(startPolicyDir);
        return startPolicy.logprobs(batch);
      },
      klEvery: g.klEvery,
    }),
    phaseOptions(ctx, g.checkpointEvery),
  );
}

/** Deterministic per-step RNG for the stages that need one beyond the corpus. */
export function stageRng(ctx: StageContext, stream: number, step: number) {
  return createRng(mixSeed(ctx.cfg.seed, stream, step));
}

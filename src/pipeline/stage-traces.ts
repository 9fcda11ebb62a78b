// Optional stage (distill.traces = "teacher"): the SFT'd teacher writes the distillation traces itself, through
// `trimer generate`'s job (src/generate): each training problem is attempted until k verified-correct traces
// or the attempt budget, resumably (a killed run continues per problem). The student then distils the teacher on
// the teacher's own correct traces — the paper's loop (DeepSeek-R1 writes, Qwen learns) in miniature.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LocalEngine } from "../engine/local.js";
import type { Problem } from "../data/records.js";
import { generateTraceFile } from "../generate/index.js";
import { batchedSampler } from "./batched-sampler.js";
import { readJsonLines } from "../util/journal.js";
import { problemAt, STREAMS } from "./corpus.js";
import type { StageContext } from "./stages.js";
import { progress } from "../util/progress.js";

/** Problems in flight at once: their attempts share one decode batch. Records reach the file in completion order. */
const TRACE_CONCURRENCY = 64;

export interface TeacherTrace {
  prompt: string;
  text: string;
}

export interface TeacherTracesResult {
  problems: number;
  records: number;
  correctTraces: number;
  /** Share of attempts that were correct (the teacher's accuracy at the trace temperature). */
  acceptRate: number;
}

export function tracesPath(ctx: StageContext): string {
  return join(ctx.art.dir("teacher-traces"), "traces.jsonl");
}

/** The training problems the teacher solves (distinct ids, a pure function of the config). */
function traceProblems(ctx: StageContext): Problem[] {
  const { cfg } = ctx;
  const t = cfg.distill.teacherTraces;
  const byId = new Map<string, Problem>();
  for (let i = 0; byId.size < t.problems && i < t.problems * 4; i++) {
    const p = problemAt(cfg.seed, STREAMS.teacherTraces, i, "train", cfg.data.trainDifficulties, ["thinking"]);
    byId.set(p.id, p);
  }
  return [...byId.values()];
}

export async function teacherTracesStage(ctx: StageContext, teacher: LocalEngine): Promise<TeacherTracesResult> {
  const { cfg } = ctx;
  const t = cfg.distill.teacherTraces;
  const problems = traceProblems(ctx);
  const out = tracesPath(ctx);
  const bar = progress("teacher traces", problems.length, { silent: ctx.quiet });
  // Many problems in flight, decoded together (batched-sampler.ts): the same traces as one at a time, ~10× sooner.
  const res = await generateTraceFile(batchedSampler(teacher), problems, {
    out, resume: existsSync(out) || existsSync(`${out}.done`),
    modes: ["high"], tir: [false], k: t.k, maxAttempts: t.maxAttempts, maxTokens: t.maxTokens,
    temperature: t.temperature, topP: 0.95, seed: cfg.seed, concurrency: TRACE_CONCURRENCY,
    // The miniature's models are prompted with the bare question (as they were trained), not an instruction.
    prompt: (p) => p.question,
    onProblem: (_r, totals) => bar.update(totals.problems),
  });
  bar.done();
  const traces = loadTeacherTraces(ctx);
  let attempts = 0, correct = 0;
  for (const u of Object.values(res.usage)) { attempts += u.attempts; correct += u.correct; }
  return { problems: res.problems, records: res.records, correctTraces: traces.length, acceptRate: attempts ? correct / attempts : NaN };
}

/** The verified-correct traces, shortest first (the order the length buckets read them in). */
export function loadTeacherTraces(ctx: StageContext): TeacherTrace[] {
  const rows = readJsonLines(tracesPath(ctx)) as unknown as { correct: boolean; text: string; problemId: string }[];
  const questions = new Map(traceProblems(ctx).map((p) => [p.id, p.question] as const));
  return rows
    .filter((r) => r.correct && questions.has(r.problemId))
    .map((r) => ({ prompt: questions.get(r.problemId)!, text: r.text }))
    .sort((a, b) => a.text.length - b.text.length || (a.text < b.text ? -1 : 1));
}

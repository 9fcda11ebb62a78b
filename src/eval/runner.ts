// The benchmark runner: prompts every problem, samples k completions per problem from any Sampler (embedded model
// or OpenAI-compatible server), grades them with the verifier, optionally scores them with a reward model, and
// writes OUT/samples.jsonl incrementally (resumable: a rerun samples only the missing (problem, sample) pairs),
// then OUT/summary.json (atomic). The HTML report is rendered from the summary by report-html.ts.
//
//   trimer eval --bench math500 --url http://localhost:8000/v1 --model M --k 8 --out runs/eval-math500
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Problem } from "../data/records.js";
import type { Completion, Prompt, Sampler } from "../engine/types.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { UsageError, InputError } from "../util/errors.js";
import { progress, type ProgressOptions } from "../util/progress.js";
import { mixSeed } from "../util/rng.js";
import type { Grader } from "./grader.js";
import { verdictShares, type VerdictShares } from "./verdict-shares.js";
import { summarize, type EvalSummary, type GradedProblem, type SummarizeOptions } from "./metrics.js";
import { buildPrompt, checkTemplate, type PromptOptions } from "../infer/prompts.js";
import { appendRecords, readSamplesFile, type EvalSampleRecord } from "./samples-file.js";
import { formatShard, inShard, type Shard } from "../util/shard.js";
import { writeShardInfo } from "./shard.js";
import { isContextOverflow, newLongPromptCount, noteLong, serverTooLongMessage, type LongPromptCount } from "../infer/context.js";

/** Scores (question, completion) pairs; higher = more likely correct. The local engine supplies one later. */
export interface RewardModel {
  score(prompts: string[], completions: string[]): Promise<number[]>;
}

/** The problem fields evaluation reads (a data/records Problem has them all). */
export type EvalProblem = Pick<Problem, "id" | "question" | "answer"> & Partial<Pick<Problem, "domain" | "difficulty">>;

export interface SamplingSettings {
  k: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  stop?: string[];
}

export interface RunOptions {
  /** Names the benchmark in run.json and the summary (e.g. "math500" or a file path). */
  bench: string;
  /** Names the model (URL + model name, or checkpoint dir), to refuse resuming someone else's samples. */
  model: string;
  problems: readonly EvalProblem[];
  sampler: Sampler;
  grader: Grader;
  rewardModel?: RewardModel;
  prompt: PromptOptions;
  sampling: SamplingSettings;
  outDir: string;
  /** Problems per sampler call (the sampler parallelises within a call). Default 16. */
  batchProblems?: number;
  summary?: SummarizeOptions;
  progress?: ProgressOptions;
  /**
   * Run only this shard's problems (util/shard.ts: whole batches of `batchProblems`, so the shard's sampler calls
   * and seeds are the single run's). OUT gets the shard's samples and summary plus shard.json, which
   * `trimer merge` (eval/shard.ts) needs to rebuild the single run's results.
   */
  shard?: Shard;
  /**
   * Prompts longer than the model's context (infer/context.ts): `skip` holds the problems found too long up front
   * (they are not sampled); a server's context-overflow refusal adds to it under policy "skip" and is one line
   * otherwise. The counts go into the summary (longPrompts).
   */
  longPrompts?: { count: LongPromptCount; skip: Set<string>; truncated?: Set<string> };
}

export interface RunResult {
  summary: EvalRunSummary;
  /** The records of the first k samples of every problem, in problem order. */
  records: EvalSampleRecord[];
  /** Completions sampled by this call (the rest were read back from the samples file). */
  sampled: number;
  reused: number;
  tornTail: boolean;
}

export interface EvalRunSummary extends EvalSummary {
  bench: string;
  model: string;
  sampling: SamplingSettings;
  prompt: PromptOptions;
  /** Strict and flexible accuracy, and the shares of no-answer, truncated, unknown and timeout verdicts. */
  verdicts?: VerdictShares;
  /** Problems skipped or prompts truncated for being longer than the model's context (only when there were any). */
  longPrompts?: LongPromptCount;
}

export const SAMPLES_FILE = "samples.jsonl";
export const SUMMARY_FILE = "summary.json";
export const RUN_FILE = "run.json";

/** What must match for a rerun to continue an earlier run's samples (k and the problem count may change). */
interface RunIdentity {
  bench: string;
  model: string;
  prompt: PromptOptions;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  stop: string[];
  /** Only in a sharded run ("I/N"): a folder holds one shard's samples. */
  shard?: string;
}

function identityOf(o: RunOptions): RunIdentity {
  const s = o.sampling;
  return {
    bench: o.bench, model: o.model, prompt: o.prompt, temperature: s.temperature, topP: s.topP, maxTokens: s.maxTokens, seed: s.seed, stop: s.stop ?? [],
    ...(o.shard ? { shard: formatShard(o.shard) } : {}),
  };
}

/** run.json of a folder (what must match to continue or merge its samples). */
export function readRunIdentity(dir: string): Record<string, unknown> {
  const path = join(dir, RUN_FILE);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${path}: cannot read it (${(e as Error).message}) — is ${dir} an eval output folder?`);
  }
}

function checkIdentity(path: string, want: RunIdentity): void {
  if (!existsSync(path)) return;
  let have: Record<string, unknown>;
  try {
    have = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const differ = (Object.keys(want) as (keyof RunIdentity)[]).filter((key) => JSON.stringify(have[key]) !== JSON.stringify(want[key]));
  if (differ.length) {
    throw new UsageError(`${path}: this output folder holds samples of a different run (${differ.join(", ")} differ); use another --out or the same settings`);
  }
}

function checkSettings(o: RunOptions): void {
  const s = o.sampling;
  if (!Number.isInteger(s.k) || s.k < 1) throw new UsageError(`--k must be a positive integer, got ${s.k}`);
  if (!Number.isInteger(s.maxTokens) || s.maxTokens < 1) throw new UsageError(`--max-tokens must be a positive integer, got ${s.maxTokens}`);
  if (!(s.temperature >= 0)) throw new UsageError(`--temperature must be ≥ 0, got ${s.temperature}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new UsageError(`--top-p must be in (0, 1], got ${s.topP}`);
  if (s.temperature === 0 && s.k > 1) throw new UsageError(`--k ${s.k} with --temperature 0 would sample the same greedy completion ${s.k} times`);
  checkTemplate(o.prompt.template);
  const ids = new Set<string>();
  for (const p of o.problems) {
    if (ids.has(p.id)) throw new InputError(`problem id "${p.id}" appears twice in ${o.bench}`);
    ids.add(p.id);
  }
}

/** Builds the graded-problem view of the records that metrics.ts works on (clusters via the grader). */
export function gradedProblems(problems: readonly EvalProblem[], byProblem: Map<string, EvalSampleRecord[]>, grader: Grader): GradedProblem[] {
  return problems.map((p) => {
    const recs = byProblem.get(p.id) ?? [];
    const clusters = grader.cluster(recs.map((r) => r.extracted));
    const g: GradedProblem = {
      id: p.id,
      samples: recs.map((r, i) => ({
        correct: r.correct,
        cluster: clusters[i] ?? null,
        tokens: r.tokens,
        ...(r.reward === null ? {} : { rmScore: r.reward }),
      })),
    };
    if (p.domain) g.domain = p.domain;
    if (p.difficulty !== undefined) g.level = String(p.difficulty);
    return g;
  });
}

/** The first k records of each problem, sample 0 … k−1 in order (only problems in `problems`). */
function firstK(records: readonly EvalSampleRecord[], problems: readonly EvalProblem[], k: number): Map<string, EvalSampleRecord[]> {
  const wanted = new Set(problems.map((p) => p.id));
  const by = new Map<string, (EvalSampleRecord | undefined)[]>();
  for (const r of records) {
    if (!wanted.has(r.problemId) || r.sample >= k) continue;
    let arr = by.get(r.problemId);
    if (!arr) by.set(r.problemId, (arr = new Array<EvalSampleRecord | undefined>(k)));
    arr[r.sample] = r;
  }
  const out = new Map<string, EvalSampleRecord[]>();
  for (const [id, arr] of by) out.set(id, arr.filter((r): r is EvalSampleRecord => r !== undefined));
  return out;
}

interface Job {
  problem: EvalProblem;
  index: number;
  prompt: Prompt;
  missing: number[];
}

/**
 * Takes OUT/.lock so two runs never append to one samples file at once. A lock whose process is gone (a killed
 * run) is taken over. Returns the release function.
 */
export function lockOutDir(dir: string): () => void {
  const path = join(dir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(path, "utf8").trim());
      let alive = pid === process.pid; // another run in this very process
      if (!alive && Number.isInteger(pid) && pid > 0) {
        try { process.kill(pid, 0); alive = true; } catch (err) { alive = (err as NodeJS.ErrnoException).code === "EPERM"; }
      }
      if (alive) throw new UsageError(`${dir} is in use by another trimer eval (pid ${pid}); wait for it or use another --out`);
      rmSync(path, { force: true }); // stale: its run was killed
    }
  }
  throw new UsageError(`${dir}: could not take ${path}`);
}

export async function runEval(o: RunOptions): Promise<RunResult> {
  checkSettings(o);
  mkdirSync(o.outDir, { recursive: true });
  const release = lockOutDir(o.outDir);
  try {
    return await runLocked(o);
  } finally {
    release();
  }
}

async function runLocked(o: RunOptions): Promise<RunResult> {
  const { k } = o.sampling;
  const samplesPath = join(o.outDir, SAMPLES_FILE);
  const runPath = join(o.outDir, RUN_FILE);
  const identity = identityOf(o);
  checkIdentity(runPath, identity);
  writeFileAtomicSync(runPath, JSON.stringify(identity, null, 2) + "\n");

  const existing = readSamplesFile(samplesPath, { repair: true });
  const goldById = new Map(o.problems.map((p) => [p.id, p.answer]));
  for (const r of existing.records) {
    const gold = goldById.get(r.problemId);
    if (gold !== undefined && gold !== r.gold) {
      throw new UsageError(`${samplesPath}: problem ${r.problemId} has gold answer ${JSON.stringify(r.gold)} there but ${JSON.stringify(gold)} in ${o.bench}; use another --out`);
    }
  }
  const done = new Map<string, Set<number>>();
  for (const r of existing.records) {
    let s = done.get(r.problemId);
    if (!s) done.set(r.problemId, (s = new Set()));
    s.add(r.sample);
  }
  const batchSize = Math.max(1, o.batchProblems ?? 16);
  const shard = o.shard;
  // A shard keeps every problem's position in the whole list: seeds are named by it, as in a single run.
  const mine = shard ? o.problems.filter((_, i) => inShard(i, shard, batchSize)) : o.problems;
  if (shard) writeShardInfo(o.outDir, { shard, block: batchSize, problems: o.problems, summary: summaryOptions(o) });
  // Problems whose prompt is longer than the model's context: skipped up front (checkpoint) or when a server says so.
  const long = o.longPrompts ?? { count: newLongPromptCount("fail", null), skip: new Set<string>() };
  const jobs: Job[] = [];
  o.problems.forEach((problem, index) => {
    if (shard && !inShard(index, shard, batchSize)) return;
    if (long.skip.has(problem.id)) return;
    const have = done.get(problem.id);
    const missing: number[] = [];
    for (let j = 0; j < k; j++) if (!have?.has(j)) missing.push(j);
    if (missing.length) jobs.push({ problem, index, prompt: buildPrompt(problem.question, o.prompt), missing });
  });
  const toSample = jobs.reduce((s, j) => s + j.missing.length, 0);
  const reused = mine.filter((p) => !long.skip.has(p.id)).length * k - toSample;
  const all = [...existing.records];
  const bar = progress(`eval ${o.bench}`, toSample, o.progress);
  let correctSoFar = 0;
  let sampledSoFar = 0;
  for (let b = 0; b < jobs.length; b += batchSize) {
    // One sampler call per distinct number of missing samples in the batch (usually one: all k missing).
    const batch = jobs.slice(b, b + batchSize);
    const byCount = new Map<number, Job[]>();
    for (const j of batch) {
      const g = byCount.get(j.missing.length);
      if (g) g.push(j);
      else byCount.set(j.missing.length, [j]);
    }
    for (const [n, whole] of byCount) {
      const s = o.sampling;
      // The seed names the call: the same problems and the same missing samples give the same seed on a rerun.
      const seed = mixSeed(s.seed, whole[0]!.index, whole[0]!.missing[0]!, n);
      const callOpts = { n, temperature: s.temperature, topP: s.topP, maxTokens: s.maxTokens, seed, ...(s.stop?.length ? { stop: s.stop } : {}) };
      let group = whole;
      let completions: Completion[][];
      try {
        completions = await o.sampler.sample(group.map((j) => j.prompt), callOpts);
      } catch (e) {
        if (!isContextOverflow(e)) throw e;
        // A server refused a prompt as longer than its context: ask prompt by prompt (the same request each, so the
        // same samples) to find which, and skip those (counted) or stop with one line.
        const tries = await Promise.allSettled(group.map((j) => o.sampler.sample([j.prompt], callOpts)));
        const kept: Job[] = [];
        completions = [];
        tries.forEach((t, i) => {
          const j = group[i]!;
          if (t.status === "fulfilled") { kept.push(j); completions.push(t.value[0]!); return; }
          if (!isContextOverflow(t.reason)) throw t.reason;
          if (long.count.policy !== "skip") throw new UsageError(serverTooLongMessage(j.problem.id, t.reason as Error));
          long.skip.add(j.problem.id);
          noteLong(long.count, j.problem.id);
          bar.tick(j.missing.length, "skipped a prompt longer than the context");
        });
        group = kept;
      }
      checkShape(completions, group.length, n);
      let rewards: number[] | null = null;
      if (o.rewardModel) {
        // The reward model judges a solution to a question: it sees the question, not our prompt formatting.
        const qs: string[] = [];
        const cs: string[] = [];
        group.forEach((j, gi) => completions[gi]!.forEach((c) => { qs.push(j.problem.question); cs.push(c.text); }));
        rewards = await o.rewardModel.score(qs, cs);
        if (rewards.length !== cs.length) throw new Error(`reward model returned ${rewards.length} scores for ${cs.length} completions`);
      }
      let ri = 0;
      group.forEach((j, gi) => {
        const recs: EvalSampleRecord[] = completions[gi]!.map((c, ci) => {
          const grade = o.grader.grade(j.problem.answer, c.text);
          const reward = rewards ? rewards[ri++]! : null;
          return {
            problemId: j.problem.id, sample: j.missing[ci]!, prompt: j.prompt, completion: c.text,
            extracted: grade.extracted, gold: j.problem.answer, correct: grade.correct,
            tokens: c.completionTokens, finishReason: c.finishReason, reward,
          };
        });
        appendRecords(samplesPath, recs); // fsync per problem: a kill loses at most the problem being written
        all.push(...recs);
        for (const r of recs) if (r.correct) correctSoFar++;
        sampledSoFar += recs.length;
        bar.tick(recs.length, `acc ${(correctSoFar / sampledSoFar).toFixed(3)}`);
      });
    }
  }
  bar.done();

  const kept = long.skip.size ? mine.filter((p) => !long.skip.has(p.id)) : mine;
  if (kept.length === 0 && mine.length > 0) {
    throw new UsageError(`all ${mine.length} prompts are longer than the model's context${long.count.context ? ` (${long.count.context} tokens)` : ""}, nothing was evaluated — use a model with a longer context, or lower --max-tokens`);
  }
  const { summary, records } = summarizeRun(o, kept, all);
  if (long.count.skipped + long.count.truncated > 0) summary.longPrompts = long.count;
  if (shard) {
    // The merge needs every skipped and truncated problem of the shard, not only the first 100 the summary names.
    const own = new Set(mine.map((p) => p.id));
    writeShardInfo(o.outDir, {
      shard, block: batchSize, problems: o.problems, summary: summaryOptions(o),
      long: { ...long.count, skippedIds: [...long.skip].filter((id) => own.has(id)), truncatedIds: [...(long.truncated ?? [])].filter((id) => own.has(id)) },
    });
  }
  writeFileAtomicSync(join(o.outDir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + "\n");
  return { summary, records, sampled: toSample, reused, tornTail: existing.tornTail };
}

/** The summary options a run uses (defaults filled in), as stored for a merge. */
export function summaryOptions(o: Pick<RunOptions, "summary" | "sampling">): SummarizeOptions {
  return { ...o.summary, tokenLimits: o.summary?.tokenLimits ?? defaultSweep(o.sampling.maxTokens) };
}

/**
 * The summary of `problems` from the records at hand (the first k samples of each), and those records in problem
 * order — a single run and a merge of shards both end here.
 */
export function summarizeRun(
  o: Pick<RunOptions, "bench" | "model" | "sampling" | "prompt" | "summary" | "grader">,
  problems: readonly EvalProblem[],
  all: readonly EvalSampleRecord[],
): { summary: EvalRunSummary; records: EvalSampleRecord[] } {
  const byProblem = firstK(all, problems, o.sampling.k);
  const records = problems.flatMap((p) => byProblem.get(p.id) ?? []);
  const summary: EvalRunSummary = {
    bench: o.bench,
    model: o.model,
    sampling: o.sampling,
    prompt: o.prompt,
    ...summarize(gradedProblems(problems, byProblem, o.grader), summaryOptions(o)),
  };
  const shares = verdictShares(records, o.grader);
  if (shares) summary.verdicts = shares;
  return { summary, records };
}

/** Token limits for the sweep: eight evenly spaced fractions of max_tokens (the last is max_tokens itself). */
export function defaultSweep(maxTokens: number): number[] {
  const limits = new Set<number>();
  for (let i = 1; i <= 8; i++) limits.add(Math.max(1, Math.round((maxTokens * i) / 8)));
  return [...limits];
}

function checkShape(c: Completion[][], prompts: number, n: number): void {
  if (!Array.isArray(c) || c.length !== prompts) throw new Error(`sampler returned ${Array.isArray(c) ? c.length : typeof c} results for ${prompts} prompts`);
  for (const row of c) {
    if (!Array.isArray(row) || row.length !== n) throw new Error(`sampler returned ${Array.isArray(row) ? row.length : typeof row} completions where n = ${n} were asked`);
    for (const x of row) {
      if (typeof x?.text !== "string" || !Number.isFinite(x.completionTokens)) throw new Error("sampler returned a completion without text or completionTokens");
    }
  }
}

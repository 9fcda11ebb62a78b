// Teacher trace generation (Nemotron-Math): for every problem, every requested reasoning mode, with and without
// tool-integrated reasoning, sample until k traces are verified correct or the attempt budget is spent. Correct
// traces are the SFT data; incorrect ones are kept, labelled, for negative-sample and pairwise training. Modes are
// balanced per problem: each mode keeps as many correct traces as the least successful mode, because Nemotron-Math
// found that unbalanced modes make medium and low collapse into long high-depth traces.
//
//   for await (const t of generateTraces(sampler, problems, { modes: ["high", "low"], tir: [false, true], k: 2 })) …
import type { Prompt, SampleOptions, Sampler } from "../engine/types.js";
import { COMPACT_SYNTAX, MARKDOWN_SYNTAX, solveWithTools, type CodeRunner, type ToolSyntax } from "../infer/tir.js";
import { mixSeed } from "../util/rng.js";
import { verify } from "../verify/index.js";
import type { Problem } from "../data/records.js";
import { modePrompt, type PromptBuilder, type ReasoningMode } from "./prompts.js";

/** One generated trace: a line of `trimer generate`'s output. */
export interface TraceRecord {
  problemId: string;
  mode: ReasoningMode;
  tir: boolean;
  /** The trace after the prompt (with output blocks in place for TIR). */
  text: string;
  /** The problem's gold answer. */
  answer: string;
  /** The answer the verifier extracted from the text ("" when it found none): a correct record is a Solution. */
  finalAnswer: string;
  extracted: string | null;
  correct: boolean;
  /** Generated tokens across all the trace's calls. */
  tokens: number;
  /**
   * Prompt tokens of the calls that produced it, as reported by the sampler. Plain attempts of one wave share a
   * call with n completions: its prompt tokens (and the call) are counted on the wave's first record only, so sums
   * over records are right.
   */
  promptTokens: number;
  toolCalls: number;
  /** Sampler calls this trace took (0 for the later records of a shared n-completion call). */
  calls: number;
  /** 0-based attempt index within its (problem, mode, tir) slot; attempts are seeded by it. */
  attempt: number;
  finishReason: "stop" | "length";
}

export interface GenerateOptions {
  modes: readonly ReasoningMode[];
  /** Which variants: [false] no tools, [true] TIR only, [false, true] both. */
  tir: readonly boolean[];
  /** Correct traces wanted per (problem, mode, tir). */
  k: number;
  /** Attempts at most per (problem, mode, tir). */
  maxAttempts: number;
  /** New tokens per trace (across all calls of a TIR trace). */
  maxTokens: number;
  temperature?: number;
  topP?: number;
  /** Base seed: attempt a of a slot is seeded by (seed, problem id, mode, tir, a), so reruns ask the same requests. */
  seed?: number;
  /** Problems in flight at once (default 4). */
  concurrency?: number;
  /** Per-problem mode balance (default "per-problem"); "off" keeps every correct trace. */
  balance?: "per-problem" | "off";
  /** Keep incorrect traces, labelled correct: false (default true). */
  keepIncorrect?: boolean;
  prompt?: PromptBuilder;
  /** The sampler of a mode (e.g. one sending reasoning_effort = mode); default: the `sampler` argument. */
  samplerFor?: (mode: ReasoningMode) => Sampler;
  /** Continuation sampler for TIR with chat prompts (see infer/tir.ts). */
  continueSamplerFor?: (mode: ReasoningMode) => Sampler;
  /** Needed when tir includes true. */
  sandbox?: CodeRunner;
  syntax?: ToolSyntax;
  maxToolCalls?: number;
  maxOutputChars?: number;
  /** Extra stop strings for every call (e.g. a chat model's end-of-turn text). */
  stop?: string[];
  /** Verifier time limit per trace (ms, default 1000). */
  verifyTimeoutMs?: number;
}

/** Counts for one (mode, tir) bucket. */
export interface BucketUsage {
  attempts: number;
  correct: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls whose sampler did not report prompt tokens. */
  promptTokensUnknown: number;
  toolCalls: number;
  toolErrors: number;
  sandboxMs: number;
  /** Traces dropped to balance the modes: correct ones beyond the cap, and the incorrect ones of such a bucket. */
  droppedForBalance: number;
  /** Traces written. */
  kept: number;
}

export type Usage = Record<string, BucketUsage>;

export function bucketKey(mode: ReasoningMode, tir: boolean): string {
  return `${mode}${tir ? "+tir" : ""}`;
}

export function emptyBucket(): BucketUsage {
  return { attempts: 0, correct: 0, calls: 0, promptTokens: 0, completionTokens: 0, promptTokensUnknown: 0, toolCalls: 0, toolErrors: 0, sandboxMs: 0, droppedForBalance: 0, kept: 0 };
}

export function addUsage(into: Usage, from: Usage): void {
  for (const [key, b] of Object.entries(from)) {
    const t = (into[key] ??= emptyBucket());
    for (const f of Object.keys(b) as (keyof BucketUsage)[]) t[f] += b[f];
  }
}

/** The result of one problem: its records (all slots, balanced) and what they cost. */
export interface ProblemTraces {
  problem: Problem;
  records: TraceRecord[];
  usage: Usage;
}

function checkOptions(opts: GenerateOptions): void {
  if (opts.modes.length === 0) throw new Error("generate: no modes");
  if (opts.tir.length === 0) throw new Error("generate: no tir variants");
  if (!Number.isInteger(opts.k) || opts.k < 1) throw new Error(`generate: k must be an integer >= 1, got ${opts.k}`);
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < opts.k) throw new Error(`generate: maxAttempts must be an integer >= k (${opts.k}), got ${opts.maxAttempts}`);
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) throw new Error(`generate: maxTokens must be a positive integer, got ${opts.maxTokens}`);
  if (opts.tir.includes(true) && !opts.sandbox) throw new Error("generate: tool-integrated reasoning needs a sandbox");
}

/** A stable 32-bit hash of a problem id (FNV-1a), for seeds. */
function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function attemptSeed(opts: GenerateOptions, problem: Problem, mode: ReasoningMode, tir: boolean, a: number): number {
  return mixSeed(opts.seed ?? 0, idHash(problem.id), mode.length * 7 + mode.charCodeAt(0), tir ? 1 : 0, a);
}

function samplingOf(opts: GenerateOptions, seed: number): { temperature: number; topP?: number; seed: number } {
  return { temperature: opts.temperature ?? 1, ...(opts.topP !== undefined ? { topP: opts.topP } : {}), seed };
}

/** Grades a finished trace and adds it to the bucket. */
function grade(problem: Problem, mode: ReasoningMode, tir: boolean, a: number, t: Omit<TraceRecord, "problemId" | "mode" | "tir" | "answer" | "finalAnswer" | "extracted" | "correct" | "attempt">, opts: GenerateOptions, bucket: BucketUsage): TraceRecord {
  const v = verify(problem.answer, t.text, { timeoutMs: opts.verifyTimeoutMs ?? 1000 });
  bucket.attempts++;
  bucket.calls += t.calls;
  bucket.promptTokens += t.promptTokens;
  bucket.completionTokens += t.tokens;
  bucket.toolCalls += t.toolCalls;
  if (v.equal) bucket.correct++;
  return {
    problemId: problem.id, mode, tir, text: t.text, answer: problem.answer, finalAnswer: v.extracted ?? "", extracted: v.extracted,
    correct: v.equal, tokens: t.tokens, promptTokens: t.promptTokens, toolCalls: t.toolCalls, calls: t.calls, attempt: a, finishReason: t.finishReason,
  };
}

/** One TIR attempt: its own chain of calls (continuations diverge, so attempts cannot share a call). */
async function tirAttempt(sampler: Sampler, problem: Problem, prompt: Prompt, mode: ReasoningMode, a: number, opts: GenerateOptions, bucket: BucketUsage): Promise<TraceRecord> {
  const t = await solveWithTools(sampler, prompt, {
    sandbox: opts.sandbox!,
    maxTokens: opts.maxTokens,
    sampling: samplingOf(opts, attemptSeed(opts, problem, mode, true, a)),
    ...(opts.syntax ? { syntax: opts.syntax } : {}),
    ...(opts.maxToolCalls !== undefined ? { maxToolCalls: opts.maxToolCalls } : {}),
    ...(opts.maxOutputChars !== undefined ? { maxOutputChars: opts.maxOutputChars } : {}),
    ...(opts.continueSamplerFor ? { continueSampler: opts.continueSamplerFor(mode) } : {}),
    ...(opts.stop ? { stop: opts.stop } : {}),
  });
  bucket.promptTokensUnknown += t.promptTokensUnknown;
  bucket.sandboxMs += t.sandboxMs;
  bucket.toolErrors += t.toolStatuses.filter((x) => x !== "completed").length;
  return grade(problem, mode, true, a, { text: t.text, tokens: t.completionTokens, promptTokens: t.promptTokens, toolCalls: t.toolCalls, calls: t.calls, finishReason: t.finishReason }, opts, bucket);
}

/**
 * A wave of plain attempts start..start+n-1 as one call with n completions: the server reads the prompt once
 * (APIs bill its tokens once), so the call's prompt tokens go to the wave's first record and the rest get 0.
 */
async function plainWave(sampler: Sampler, problem: Problem, prompt: Prompt, mode: ReasoningMode, start: number, n: number, opts: GenerateOptions, bucket: BucketUsage): Promise<TraceRecord[]> {
  const so: SampleOptions = { ...samplingOf(opts, attemptSeed(opts, problem, mode, false, start)), n, maxTokens: opts.maxTokens, ...(opts.stop ? { stop: opts.stop } : {}) };
  const [cs = []] = await sampler.sample([prompt], so);
  if (cs.length !== n) throw new Error(`generate: the sampler returned ${cs.length} completions for ${problem.id}, expected ${n}`);
  if (cs[0]!.promptTokens === undefined) bucket.promptTokensUnknown++;
  return cs.map((c, j) => grade(problem, mode, false, start + j, {
    text: c.text, tokens: c.completionTokens, promptTokens: j === 0 ? c.promptTokens ?? 0 : 0, toolCalls: 0, calls: j === 0 ? 1 : 0, finishReason: c.finishReason,
  }, opts, bucket));
}

/**
 * Rejection sampling for one (problem, mode, tir) slot: attempts run in waves of as many as are still needed
 * (k minus the correct ones so far, within the budget), so an easy problem costs k attempts and a hard one up to
 * maxAttempts. Attempt indices and seeds are fixed by position, so a rerun asks exactly the same requests (and a
 * response cache answers them).
 */
async function sampleSlot(sampler: Sampler, problem: Problem, mode: ReasoningMode, tir: boolean, opts: GenerateOptions, bucket: BucketUsage): Promise<TraceRecord[]> {
  const prompt = (opts.prompt ?? modePrompt())(problem, mode, tir);
  const out: TraceRecord[] = [];
  let correct = 0;
  while (correct < opts.k && out.length < opts.maxAttempts) {
    const wave = Math.min(opts.k - correct, opts.maxAttempts - out.length);
    const start = out.length;
    const got = tir
      ? await Promise.all(Array.from({ length: wave }, (_, i) => tirAttempt(sampler, problem, prompt, mode, start + i, opts, bucket)))
      : await plainWave(sampler, problem, prompt, mode, start, wave, opts, bucket);
    for (const r of got) {
      out.push(r);
      if (r.correct) correct++;
    }
  }
  return out;
}

/**
 * Per-problem balance: within each tir variant, every mode keeps as many correct traces as the least successful
 * mode *that solved the problem at all*. Departure from a plain minimum over modes: a mode with no correct trace
 * would set the cap to 0 and delete every correct trace of the problem (once: the only correct trace dropped,
 * 57 incorrect kept) — balance must never cost a problem its successes. Likewise a bucket that lost correct traces
 * to balance keeps none of its incorrect ones, so an incorrect trace never stands where a correct one was dropped.
 * Returns the kept records (order: slot order, attempts ascending) and counts the dropped ones in `usage`.
 */
export function balanceModes(records: TraceRecord[], modes: readonly ReasoningMode[], usage: Usage, keepIncorrect: boolean): TraceRecord[] {
  const cap = new Map<boolean, number>();
  for (const tir of [false, true]) {
    const counts = modes.map((m) => records.filter((r) => r.tir === tir && r.mode === m && r.correct).length).filter((n) => n > 0);
    if (counts.length) cap.set(tir, Math.min(...counts));
  }
  const seen = new Map<string, number>();
  const overCap = new Set<string>();
  for (const r of records) {
    if (!r.correct) continue;
    const key = bucketKey(r.mode, r.tir);
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > (cap.get(r.tir) ?? Infinity)) overCap.add(key);
  }
  seen.clear();
  const kept: TraceRecord[] = [];
  for (const r of records) {
    const key = bucketKey(r.mode, r.tir);
    if (!r.correct) {
      if (!keepIncorrect) continue;
      if (overCap.has(key)) { (usage[key] ??= emptyBucket()).droppedForBalance++; continue; }
      kept.push(r);
      continue;
    }
    const n = seen.get(key) ?? 0;
    if (n >= (cap.get(r.tir) ?? Infinity)) { (usage[key] ??= emptyBucket()).droppedForBalance++; continue; }
    seen.set(key, n + 1);
    kept.push(r);
  }
  return kept;
}

/** Every slot of one problem, then balance. Slots run concurrently (the sampler bounds requests in flight). */
export async function generateProblemTraces(sampler: Sampler, problem: Problem, opts: GenerateOptions): Promise<ProblemTraces> {
  checkOptions(opts);
  const usage: Usage = {};
  const slots: { mode: ReasoningMode; tir: boolean }[] = [];
  for (const tir of opts.tir) for (const mode of opts.modes) slots.push({ mode, tir });
  const results = await Promise.all(slots.map(({ mode, tir }) => {
    const bucket = (usage[bucketKey(mode, tir)] ??= emptyBucket());
    return sampleSlot(opts.samplerFor?.(mode) ?? sampler, problem, mode, tir, opts, bucket);
  }));
  const all = results.flat();
  const records = opts.balance === "off"
    ? all.filter((r) => r.correct || (opts.keepIncorrect ?? true))
    : balanceModes(all, opts.modes, usage, opts.keepIncorrect ?? true);
  for (const r of records) usage[bucketKey(r.mode, r.tir)]!.kept++;
  return { problem, records, usage };
}

/**
 * Runs `fn` over `items` with at most `limit` in flight and yields results as they finish (completion order).
 * The first failure stops new work and is thrown once the ones in flight have settled.
 */
export async function* mapConcurrent<T, R>(items: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, got ${limit}`);
  const it = (Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  const inFlight = new Map<number, Promise<{ id: number; ok: true; value: R } | { id: number; ok: false; error: unknown }>>();
  let nextId = 0;
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  const launch = async (): Promise<void> => {
    while (!exhausted && !failure && inFlight.size < limit) {
      const n = await it.next();
      if (n.done) { exhausted = true; break; }
      const id = nextId++;
      inFlight.set(id, fn(n.value).then((value) => ({ id, ok: true as const, value }), (error: unknown) => ({ id, ok: false as const, error })));
    }
  };
  await launch();
  while (inFlight.size > 0) {
    const r = await Promise.race(inFlight.values());
    inFlight.delete(r.id);
    if (!r.ok) { failure ??= { error: r.error }; continue; }
    if (!failure) yield r.value;
    await launch();
  }
  if (failure) throw failure.error;
}

/**
 * The traces of all problems, problem by problem in completion order (a problem's records are consecutive).
 * `onProblem` sees each problem's result (records and usage) before its records are yielded.
 */
export async function* generateTraces(
  sampler: Sampler,
  problems: Iterable<Problem> | AsyncIterable<Problem>,
  opts: GenerateOptions & { onProblem?: (r: ProblemTraces) => void },
): AsyncGenerator<TraceRecord> {
  checkOptions(opts);
  for await (const r of mapConcurrent(problems, opts.concurrency ?? 4, (p) => generateProblemTraces(sampler, p, opts))) {
    opts.onProblem?.(r);
    yield* r.records;
  }
}

/** The tool syntax by name (CLI). */
export function toolSyntax(name: string): ToolSyntax {
  if (name === "markdown") return MARKDOWN_SYNTAX;
  if (name === "compact") return COMPACT_SYNTAX;
  throw new Error(`unknown tool syntax "${name}" (markdown, compact)`);
}

// Pass-rate difficulty (Nemotron-Math): sample k low-effort solutions per problem, grade each with the verifier,
// write the pass rate into the record and drop problems the model already solves (pass rate ≥ threshold, default
// 0.8) — they teach little. Kept records carry meta.passRate, which the curriculum stages read to order problems.
// Resumable: every finished problem is reported through `onResult` (the CLI appends it to a journal) and a
// rerun passes the journal back as `done`, so no problem is sampled twice.
import type { Sampler, SampleOptions } from "../../engine/types.js";
import { verify } from "../../verify/index.js";
import { recordId, textField, withMeta, type CurateRecord, type StepRun } from "./record.js";

export interface PassResult {
  /** Completions graded (k, or fewer when the sampler returned fewer). */
  attempts: number;
  correct: number;
  /** correct / attempts, or null when there was no completion to grade. */
  passRate: number | null;
}

export interface PassRateOptions {
  sampler: Sampler;
  /** Solutions sampled per problem (default 8). */
  k?: number;
  /** Drop problems whose pass rate is at or above this (default 0.8). */
  threshold?: number;
  temperature?: number;
  maxTokens?: number;
  /** Problems per sampler call (default 8). */
  batchSize?: number;
  questionField?: string;
  answerField?: string;
  /** Results from an earlier run, by record id. */
  done?: ReadonlyMap<string, PassResult>;
  onResult?: (id: string, result: PassResult) => void;
  prompt?: (question: string) => string;
}

export interface PassRateReport {
  step: "pass-rate";
  k: number;
  threshold: number;
  records: number;
  sampled: number;
  resumed: number;
  kept: number;
  removed: number;
  /** Problems without any completion (sampler errors): kept, with meta.passRate null. */
  noCompletions: number;
  /** Number of correct attempts → problems. */
  histogram: Record<string, number>;
  meanPassRate: number | null;
}

/** The low-reasoning prompt: short answers are what the pass rate is measured on (Nemotron's low mode). */
export function lowModePrompt(question: string): string {
  return `Solve the following math problem. Be brief: reason only as much as needed, then give the final answer as \\boxed{ANSWER}.\n\n${question}`;
}

/** Grades k completions against the gold answer. */
export function gradeCompletions(gold: string, texts: readonly string[]): PassResult {
  let correct = 0;
  for (const t of texts) if (verify(gold, t).equal) correct++;
  return { attempts: texts.length, correct, passRate: texts.length ? correct / texts.length : null };
}

export function passRateStep(input: AsyncIterable<CurateRecord>, opts: PassRateOptions): StepRun<PassRateReport> {
  const k = opts.k ?? 8;
  const threshold = opts.threshold ?? 0.8;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const qf = opts.questionField ?? "question", af = opts.answerField ?? "answer";
  const prompt = opts.prompt ?? lowModePrompt;
  const sampleOpts: SampleOptions = { n: k, temperature: opts.temperature ?? 0.7, maxTokens: opts.maxTokens ?? 2048 };
  const report: PassRateReport = { step: "pass-rate", k, threshold, records: 0, sampled: 0, resumed: 0, kept: 0, removed: 0, noCompletions: 0, histogram: {}, meanPassRate: null };
  let rateSum = 0, rated = 0;

  function finish(rec: CurateRecord, r: PassResult): CurateRecord | null {
    report.histogram[String(r.correct)] = (report.histogram[String(r.correct)] ?? 0) + 1;
    if (r.passRate === null) report.noCompletions++;
    else { rateSum += r.passRate; rated++; report.meanPassRate = rateSum / rated; }
    if (r.passRate !== null && r.passRate >= threshold) { report.removed++; return null; }
    report.kept++;
    return withMeta(withMeta(rec, "passRate", r.passRate), "passRateAttempts", r.attempts);
  }

  type Pending = { rec: CurateRecord; id: string; prev?: PassResult };

  // Resumed records wait in the batch with the fresh ones, so the output order is the input order on every run.
  async function* flush(batch: Pending[]): AsyncGenerator<CurateRecord> {
    const fresh = batch.filter((b) => !b.prev);
    const out = fresh.length
      ? await opts.sampler.sample(fresh.map((b) => [{ role: "user" as const, content: prompt(textField(b.rec, qf)) }]), sampleOpts)
      : [];
    let j = 0;
    for (const { rec, id, prev } of batch) {
      let r: PassResult;
      if (prev) {
        r = prev;
        report.resumed++;
      } else {
        r = gradeCompletions(textField(rec, af), (out[j++] ?? []).map((c) => c.text));
        report.sampled++;
        opts.onResult?.(id, r);
      }
      const kept = finish(rec, r);
      if (kept) yield kept;
    }
  }

  async function* run(): AsyncGenerator<CurateRecord> {
    let batch: Pending[] = [];
    let freshInBatch = 0;
    const size = opts.batchSize ?? 8;
    for await (const rec of input) {
      const id = recordId(rec, ++report.records);
      const prev = opts.done?.get(id);
      batch.push(prev ? { rec, id, prev } : { rec, id });
      if (!prev) freshInBatch++;
      if (freshInBatch >= size || batch.length >= 16 * size) { yield* flush(batch); batch = []; freshInBatch = 0; }
    }
    yield* flush(batch);
  }
  return { records: run(), report: () => report };
}

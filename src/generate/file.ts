// The resumable trace file of `trimer generate`. Two append-only files:
//   <out>        the TraceRecord lines, a problem's records written together
//   <out>.done   one line per finished problem: {problemId, records, end, usage}, where `end` is <out>'s size
//                right after that problem's records
// A problem's records are written and fsynced first, then its done line (fsynced). On resume, <out> is cut back to
// the last done line's `end`, which drops the records of a problem that was being written when the process died
// (kill -9 included), and the done problems are skipped; so no problem is lost and none appears twice. Each done
// line carries that problem's usage, so the totals of a resumed job cover all of its runs.
import { closeSync, existsSync, fsyncSync, openSync, statSync } from "node:fs";
import type { Sampler } from "../engine/types.js";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { isContextOverflow, newLongPromptCount, noteLong, serverTooLongMessage, type LongPromptCount } from "../infer/context.js";
import { readJournal, truncateFileSync, writeAllSync } from "../util/journal.js";
import type { Problem } from "../data/records.js";
import { inShard, type Shard } from "../util/shard.js";
import { writeGenerateShardInfo } from "./shard.js";
import { addUsage, generateProblemTraces, mapConcurrent, type GenerateOptions, type ProblemTraces, type Usage } from "./job.js";

export interface DoneLine {
  problemId: string;
  records: number;
  end: number;
  usage: Usage;
}

export interface ResumeState {
  done: Set<string>;
  /** Size <out> is cut back to. */
  end: number;
  usage: Usage;
  records: number;
  /** Bytes of <out> dropped (records of an unfinished problem). */
  droppedBytes: number;
}

/** Largest done file read (a done line is ~1 KB; 1 GiB is millions of problems). */
const MAX_DONE_BYTES = 1 << 30;

/**
 * Reads <out>.done (only complete lines; a torn last line is cut off), then cuts <out> back to the last finished
 * problem's end. A fresh job (no files) gets an empty state.
 */
export function prepareResume(out: string): ResumeState {
  const donePath = `${out}.done`;
  const state: ResumeState = { done: new Set(), end: 0, usage: {}, records: 0, droppedBytes: 0 };
  if (existsSync(donePath)) {
    const size = statSync(donePath).size;
    if (size > MAX_DONE_BYTES) throw new InputError(`${donePath}: larger than ${MAX_DONE_BYTES} bytes`);
    // strict: a done line is written whole with its newline, so an unparseable one is damage, not a torn write.
    const { records } = readJournal(donePath, (v, line) => {
      const d = v as DoneLine;
      if (d === null || typeof d !== "object" || typeof d.problemId !== "string" || !Number.isInteger(d.end) || !Number.isInteger(d.records)) {
        throw new InputError(`${donePath}:${line}: expected {problemId, records, end, usage}`);
      }
      return d;
    }, { repair: true, strict: true });
    for (const d of records) {
      state.done.add(d.problemId);
      state.end = Math.max(state.end, d.end);
      state.records += d.records;
      addUsage(state.usage, d.usage ?? {});
    }
  }
  if (existsSync(out)) {
    const size = statSync(out).size;
    if (size < state.end) throw new InputError(`${out}: ${size} bytes, but ${donePath} says finished problems end at byte ${state.end}; the files do not belong together`);
    if (size > state.end) {
      truncateFileSync(out, state.end);
      state.droppedBytes = size - state.end;
    }
  }
  return state;
}

/** Appends finished problems to <out> and <out>.done (see the header for the order of writes). */
export class TraceFileWriter {
  private readonly outFd: number;
  private readonly doneFd: number;
  private offset: number;

  constructor(readonly out: string, start: number) {
    this.outFd = openSync(out, "a");
    this.doneFd = openSync(`${out}.done`, "a");
    this.offset = start;
  }

  write(r: ProblemTraces): void {
    const body = Buffer.from(r.records.map((x) => JSON.stringify(x) + "\n").join(""));
    writeAllSync(this.outFd, body);
    fsyncSync(this.outFd);
    this.offset += body.length;
    const done: DoneLine = { problemId: r.problem.id, records: r.records.length, end: this.offset, usage: r.usage };
    writeAllSync(this.doneFd, Buffer.from(JSON.stringify(done) + "\n"));
    fsyncSync(this.doneFd);
  }

  close(): void {
    closeSync(this.outFd);
    closeSync(this.doneFd);
  }
}

export interface GenerateFileOptions extends GenerateOptions {
  out: string;
  /** Continue a job whose files exist; without it existing files are an error. */
  resume?: boolean;
  /** Generate only this shard's problems (util/shard.ts, blocks of 1); <out>.shard.json tells `trimer merge`. */
  shard?: Shard;
  /**
   * Prompts longer than the model's context (infer/context.ts): problems in `skip` (found up front) are not
   * generated; a server's context-overflow refusal skips the problem too under policy "skip" (counted, retried on
   * --resume) and stops the job in one line otherwise.
   */
  longPrompts?: { count: LongPromptCount; skip: Set<string> };
  /** Called after each problem is on disk (progress). */
  onProblem?: (r: ProblemTraces, totals: { problems: number; records: number; usage: Usage }) => void;
}

export interface GenerateFileResult {
  /** Problems in the input. */
  problems: number;
  /** Done before this run (resumed). */
  skipped: number;
  /** Generated in this run. */
  generated: number;
  /** Records in the file. */
  records: number;
  /** Over all runs of the job. */
  usage: Usage;
  droppedBytes: number;
  /** Problems skipped or prompts truncated for their length (only when there were any). */
  longPrompts?: LongPromptCount;
}

/** Generates the traces of every problem not yet done into `opts.out`, resumably. */
export async function generateTraceFile(sampler: Sampler, problems: readonly Problem[], opts: GenerateFileOptions): Promise<GenerateFileResult> {
  const seen = new Set<string>();
  for (const p of problems) {
    if (seen.has(p.id)) throw new InputError(`problem id "${p.id}" appears more than once in the input; ids must be unique to resume`);
    seen.add(p.id);
  }
  if (!opts.resume && (existsSync(opts.out) || existsSync(`${opts.out}.done`))) {
    throw new InputError(`${opts.out} already exists: pass --resume to continue that job, or choose another --out`);
  }
  const state = opts.resume ? prepareResume(opts.out) : { done: new Set<string>(), end: 0, usage: {}, records: 0, droppedBytes: 0 };
  const shard = opts.shard;
  if (shard) await writeGenerateShardInfo(opts.out, shard, problems);
  const mine = shard ? problems.filter((_, i) => inShard(i, shard)) : problems;
  const long = opts.longPrompts ?? { count: newLongPromptCount("fail", null), skip: new Set<string>() };
  const todo = mine.filter((p) => !state.done.has(p.id) && !long.skip.has(p.id));
  const writer = new TraceFileWriter(opts.out, state.end);
  const usage: Usage = {};
  addUsage(usage, state.usage);
  let records = state.records, generated = 0;
  try {
    const one = (p: Problem): Promise<ProblemTraces | null> => generateProblemTraces(sampler, p, opts).catch((e: unknown) => {
      if (!isContextOverflow(e)) throw e;
      if (long.count.policy !== "skip") throw new UsageError(serverTooLongMessage(p.id, e as Error));
      long.skip.add(p.id);
      noteLong(long.count, p.id);
      return null;
    });
    for await (const r of mapConcurrent(todo, opts.concurrency ?? 4, one)) {
      if (r === null) continue;
      writer.write(r);
      generated++;
      records += r.records.length;
      addUsage(usage, r.usage);
      opts.onProblem?.(r, { problems: state.done.size + generated, records, usage });
    }
  } finally {
    writer.close();
  }
  const result: GenerateFileResult = { problems: mine.length, skipped: mine.filter((p) => state.done.has(p.id)).length, generated, records, usage, droppedBytes: state.droppedBytes };
  if (long.count.skipped + long.count.truncated > 0) result.longPrompts = long.count;
  if (shard && long.skip.size) {
    const own = new Set(mine.map((p) => p.id));
    await writeGenerateShardInfo(opts.out, shard, problems, [...long.skip].filter((id) => own.has(id)));
  }
  await writeFileAtomic(`${opts.out}.stats.json`, JSON.stringify(result, null, 2) + "\n");
  return result;
}

/** Cost in currency units given prices per million tokens. */
export function estimateCost(usage: Usage, priceInPerM: number, priceOutPerM: number): number {
  let inTok = 0, outTok = 0;
  for (const b of Object.values(usage)) { inTok += b.promptTokens; outTok += b.completionTokens; }
  return (inTok * priceInPerM + outTok * priceOutPerM) / 1e6;
}

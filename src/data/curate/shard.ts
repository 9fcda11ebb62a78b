// Sharded curation (`trimer curate pass-rate|judge --shard I/N`) and its merge (`trimer merge`). A part reads all
// the inputs but keeps the records of its shard (util/shard.ts, by position over the inputs in order, in whole
// blocks of the step's batch size, so each part makes the sampler calls a single run makes). Each record read is
// tagged with its position (a symbol-keyed property: object spread in the steps carries it to the output record,
// JSON never sees it), so the part knows which input every output record came from and writes the positions to
// OUT.shard.json. The merge checks the parts are the N shards of one step on one input, interleaves their records
// back into input order and sums their reports.
//
// The merged records equal a single run's when decoding is deterministic (a judge at temperature 0; pass-rate at
// --temperature 0, since the server is asked without a seed). The report's counts are sums; meanPassRate and the
// judge's rejectionRate are recomputed from the parts' sums (equal to a single run's up to floating-point
// rounding; exactly when k is a power of two), and the judge's examples are the parts' examples by shard (first 30).
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../util/atomic.js";
import { InputError, UsageError } from "../../util/errors.js";
import { checkShardSet, formatShard, inShard, type Shard } from "../../util/shard.js";
import { readRecords, writeRecords } from "./io.js";
import type { CurateRecord } from "./record.js";
import type { StepResult } from "./pipeline.js";

const POSITION = Symbol("trimer.curate.position");

/** Steps that can run sharded: one sampler call per batch of records, each record's result its own. */
export const SHARDABLE_STEPS = ["pass-rate", "judge"] as const;

export interface CurateShardInfo {
  kind: "curate";
  step: string;
  spec: object;
  shard: string;
  block: number;
  /** Records in all the inputs together. */
  total: number;
  /** The input position of each output record, in output order. */
  positions: number[];
}

/** The shard's records of `input`, each tagged with its position; `box.total` counts every record read. */
export async function* shardRecords(input: AsyncIterable<CurateRecord>, shard: Shard, block: number, box: { total: number }): AsyncGenerator<CurateRecord> {
  for await (const r of input) {
    const p = box.total++;
    if (!inShard(p, shard, block)) continue;
    Object.defineProperty(r, POSITION, { value: p, enumerable: true });
    yield r;
  }
}

/** Passes the step's output through, noting the input position of each record. */
export async function* notePositions(records: AsyncIterable<CurateRecord>, positions: number[]): AsyncGenerator<CurateRecord> {
  for await (const r of records) {
    const p = (r as unknown as Record<symbol, unknown>)[POSITION];
    if (typeof p !== "number") throw new Error("curate --shard: an output record lost its input position (a step built it from scratch)");
    positions.push(p);
    yield r;
  }
}

export async function writeCurateShardInfo(output: string, info: Omit<CurateShardInfo, "kind" | "shard"> & { shard: Shard }): Promise<void> {
  const body: CurateShardInfo = { kind: "curate", ...info, shard: formatShard(info.shard) };
  await writeFileAtomic(`${output}.shard.json`, JSON.stringify(body) + "\n");
}

function readInfo(part: string): CurateShardInfo {
  const path = `${part}.shard.json`;
  let v: CurateShardInfo;
  try {
    v = JSON.parse(readFileSync(path, "utf8")) as CurateShardInfo;
  } catch (e) {
    throw new InputError(`${path}: cannot read it (${(e as Error).message}) — give the --out of each \`curate --shard I/N\` run`);
  }
  if (v?.kind !== "curate" || !Array.isArray(v.positions) || !Number.isInteger(v.total)) throw new InputError(`${path}: not a curate shard description`);
  return v;
}

type Counts = Record<string, unknown>;
const num = (x: unknown): number => (typeof x === "number" ? x : 0);

function sumInto(into: Record<string, number>, from: unknown): void {
  if (typeof from !== "object" || from === null) return;
  for (const [k, x] of Object.entries(from as Record<string, unknown>)) into[k] = (into[k] ?? 0) + num(x);
}

/** The step report of the whole input from the parts' reports (see the header for what is summed). */
export function mergeReports(step: string, reports: readonly Counts[]): Counts {
  const first = reports[0] ?? {};
  const sum = (k: string): number => reports.reduce((t, r) => t + num(r[k]), 0);
  if (step === "pass-rate") {
    const histogram: Record<string, number> = {};
    for (const r of reports) sumInto(histogram, r.histogram);
    const rated = reports.map((r) => num(r.records) - num(r.noCompletions));
    const totalRated = rated.reduce((a, b) => a + b, 0);
    const rateSum = reports.reduce((t, r, i) => t + (typeof r.meanPassRate === "number" ? r.meanPassRate * rated[i]! : 0), 0);
    const out: Counts = {
      step, k: first.k, threshold: first.threshold, records: sum("records"), sampled: sum("sampled"), resumed: sum("resumed"),
      kept: sum("kept"), removed: sum("removed"), noCompletions: sum("noCompletions"), histogram, meanPassRate: totalRated ? rateSum / totalRated : null,
    };
    const longs = reports.map((r) => r.longPrompts as Counts | undefined).filter((x): x is Counts => x !== undefined);
    if (longs.length) out.longPrompts = { ...longs[0], skipped: longs.reduce((t, l) => t + num(l.skipped), 0), truncated: longs.reduce((t, l) => t + num(l.truncated), 0), ids: longs.flatMap((l) => (Array.isArray(l.ids) ? l.ids : [])).slice(0, 100) };
    return out;
  }
  // judge
  const byHow: Record<string, number> = {};
  for (const r of reports) sumInto(byHow, r.byHow);
  const decided = sum("correct") + sum("incorrect");
  const rejectedDecided = reports.reduce((t, r) => t + Math.round(num(r.rejectionRate) * (num(r.correct) + num(r.incorrect))), 0);
  return {
    step, records: sum("records"), judged: sum("judged"), correct: sum("correct"), incorrect: sum("incorrect"), unknown: sum("unknown"),
    rejectionRate: decided ? rejectedDecided / decided : null, rejected: sum("rejected"), recordsRemoved: sum("recordsRemoved"), byHow,
    examples: reports.flatMap((r) => (Array.isArray(r.examples) ? r.examples : [])).slice(0, 30),
  };
}

/** Merges curate parts into `out` (records in input order) and `out.report.json`. */
export async function mergeCurateParts(parts: readonly string[], out: string): Promise<{ records: number; report: StepResult }> {
  const infos = parts.map(readInfo);
  checkShardSet(infos.map((x) => x.shard), parts);
  const a = infos[0]!;
  infos.forEach((x, i) => {
    if (x.step !== a.step || JSON.stringify(x.spec) !== JSON.stringify(a.spec)) throw new UsageError(`${parts[i]} and ${parts[0]} ran different steps or options: they are not parts of one job`);
    if (x.total !== a.total || x.block !== a.block) throw new UsageError(`${parts[i]} read ${x.total} records in blocks of ${x.block} but ${parts[0]} ${a.total} in blocks of ${a.block}: not parts of one job`);
  });
  const rows: { p: number; r: CurateRecord }[] = [];
  for (let i = 0; i < parts.length; i++) {
    let j = 0;
    for await (const r of readRecords(parts[i]!)) {
      const p = infos[i]!.positions[j++];
      if (p === undefined) break;
      rows.push({ p, r });
    }
    if (j !== infos[i]!.positions.length) throw new InputError(`${parts[i]} holds ${j} records but ${parts[i]}.shard.json lists ${infos[i]!.positions.length}: the files do not belong together`);
  }
  rows.sort((x, y) => x.p - y.p);
  const reports = parts.map((p) => {
    const path = `${p}.report.json`;
    if (!existsSync(path)) throw new UsageError(`${p} has no ${path}: that part has not finished — rerun it, then merge`);
    return JSON.parse(readFileSync(path, "utf8")) as StepResult;
  });
  const records = await writeRecords(out, (async function* () { for (const x of rows) yield x.r; })());
  const r0 = reports[0]!;
  const report: StepResult = {
    step: r0.step, spec: r0.spec, inputs: r0.inputs, inputStamps: r0.inputStamps, output: out,
    recordsIn: reports.reduce((t, r) => t + r.recordsIn, 0), recordsOut: records,
    seconds: Math.max(...reports.map((r) => r.seconds)), report: mergeReports(a.step, reports.map((r) => r.report as Counts)),
  };
  await writeFileAtomic(`${out}.report.json`, `${JSON.stringify(report, null, 2)}\n`);
  return { records, report };
}

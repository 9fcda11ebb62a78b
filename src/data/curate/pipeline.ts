// Running steps: one step from input files to an output file plus its report, or a pipeline of steps where each
// step's output and report are written (atomically) before the next reads them. A rerun skips every step whose
// output and report exist for the same spec and input, so an interrupted pipeline resumes at the step it was in
// (and pass-rate inside that step, through its journal).
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { writeFileAtomic } from "../../util/atomic.js";
import { InputError } from "../../util/errors.js";
import { readRecords, writeRecords } from "./io.js";
import type { CurateRecord } from "./record.js";
import { buildStep, validateSpec, type StepContext, type StepSpec } from "./steps.js";
import { notePositions, shardRecords, writeCurateShardInfo } from "./shard.js";
import type { Shard } from "../../util/shard.js";

export interface StepResult {
  step: string;
  spec: StepSpec;
  inputs: string[];
  /** Size and modification time of each input when the step ran: a changed input reruns the step. */
  inputStamps: string[];
  output: string;
  recordsIn: number;
  recordsOut: number;
  seconds: number;
  skipped?: boolean;
  report: object;
}

/** Records of several files in order; each record's file label (basename without extension) is remembered. */
export function readInputs(paths: readonly string[], fileOf: WeakMap<CurateRecord, string>): AsyncGenerator<CurateRecord> {
  return (async function* () {
    for (const p of paths) {
      const label = basename(p, extname(p));
      for await (const r of readRecords(p)) {
        fileOf.set(r, label);
        yield r;
      }
    }
  })();
}

function stamps(paths: readonly string[]): string[] {
  return paths.map((p) => {
    try {
      const st = statSync(p);
      return `${st.size}:${Math.floor(st.mtimeMs)}`;
    } catch {
      return "missing";
    }
  });
}

async function* counted(input: AsyncIterable<CurateRecord>, box: { n: number }, onRecord?: (n: number) => void): AsyncGenerator<CurateRecord> {
  for await (const r of input) { box.n++; onRecord?.(box.n); yield r; }
}

/** Runs one step from `inputs` to `output` and writes its report (default `<output>.report.json`). */
export async function runStep(spec: StepSpec, inputs: readonly string[], output: string, reportPath: string | undefined, ctx: Omit<StepContext, "sourceOf" | "journalPath"> = {}, shard?: Shard): Promise<StepResult> {
  const t0 = Date.now();
  const inputStamps = stamps(inputs);
  const fileOf = new WeakMap<CurateRecord, string>();
  const box = { n: 0 };
  const { onRecord: _o, ...rest } = ctx;
  // --shard: only this part's records (curate/shard.ts), their input positions noted for the merge.
  const seen = { total: 0 };
  const block = (spec as { batchSize?: number }).batchSize ?? 8;
  const read = readInputs(inputs, fileOf);
  const run = await buildStep(spec, counted(shard ? shardRecords(read, shard, block, seen) : read, box, ctx.onRecord), {
    ...rest,
    sourceOf: (r) => fileOf.get(r) ?? "",
    journalPath: `${output}.journal.jsonl`,
  });
  const positions: number[] = [];
  const recordsOut = await writeRecords(output, shard ? notePositions(run.records, positions) : run.records);
  if (shard) await writeCurateShardInfo(output, { step: spec.step, spec, shard, block, total: seen.total, positions });
  const result: StepResult = { step: spec.step, spec, inputs: [...inputs], inputStamps, output, recordsIn: box.n, recordsOut, seconds: (Date.now() - t0) / 1000, report: run.report() };
  await writeFileAtomic(reportPath ?? `${output}.report.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Reads and checks a pipeline config: {"steps": [{"step": …, …options}, …]} (or a bare array of steps). */
export function readPipelineConfig(path: string): StepSpec[] {
  let raw: unknown;
  try {
    const text = readFileSync(path, "utf8");
    if (text.length > 1_000_000) throw new InputError(`${path}: config larger than 1 MB`);
    raw = JSON.parse(text) as unknown;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new InputError(err.code === "ENOENT" ? `${path}: no such file` : `${path}: not valid JSON (${err.message})`);
  }
  const steps = Array.isArray(raw) ? raw : typeof raw === "object" && raw !== null ? (raw as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps) || steps.length === 0) throw new InputError(`${path}: expected {"steps": [ {"step": "normalize"}, … ]} with at least one step`);
  return steps.map((s, i) => validateSpec(s, `${path} step ${i + 1}`));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PipelineOptions {
  specs: readonly StepSpec[];
  inputs: readonly string[];
  output: string;
  /** Folder for each step's output and report (default `<output>.steps`). */
  workDir?: string;
  ctx?: Omit<StepContext, "sourceOf" | "journalPath">;
  /** A line per step (start, skip, finish). */
  log?: (line: string) => void;
}

export interface PipelineReport {
  inputs: string[];
  output: string;
  steps: Omit<StepResult, "report">[];
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineReport> {
  const dir = opts.workDir ?? `${opts.output}.steps`;
  const log = opts.log ?? (() => {});
  let inputs = [...opts.inputs];
  const steps: Omit<StepResult, "report">[] = [];
  for (let i = 0; i < opts.specs.length; i++) {
    const spec = opts.specs[i]!;
    const out = join(dir, `${String(i + 1).padStart(2, "0")}-${spec.step}.jsonl`);
    const reportPath = `${out}.report.json`;
    if (existsSync(out) && existsSync(reportPath)) {
      try {
        const prev = JSON.parse(readFileSync(reportPath, "utf8")) as StepResult;
        if (sameJson(prev.spec, spec) && sameJson(prev.inputs, inputs) && sameJson(prev.inputStamps, stamps(inputs))) {
          log(`step ${i + 1} ${spec.step}: done earlier (${prev.recordsIn} → ${prev.recordsOut}), skipped`);
          const { report: _r, ...rest } = prev;
          steps.push({ ...rest, skipped: true });
          inputs = [out];
          continue;
        }
      } catch { /* unreadable report: run the step again */ }
    }
    log(`step ${i + 1} ${spec.step}: running`);
    const r = await runStep(spec, inputs, out, reportPath, opts.ctx);
    log(`step ${i + 1} ${spec.step}: ${r.recordsIn} → ${r.recordsOut} records in ${r.seconds.toFixed(1)} s`);
    const { report: _r, ...rest } = r;
    steps.push(rest);
    inputs = [out];
  }
  await writeRecords(opts.output, readRecords(inputs[0]!));
  return { inputs: [...opts.inputs], output: opts.output, steps };
}

// `--bench NAME|FILE` for the commands that read whole problems (generate, export): a benchmark name from the
// shared data folder, or a problem file (.jsonl, .jsonl.gz, .parquet) in any shape data/problems-file.ts reads.
// eval reads --bench through eval/problems.ts (it keeps optional id / domain / level fields of its own).
import { existsSync } from "node:fs";
import { BENCHMARKS, benchmarkNames, benchmarkPath, loadBenchmarkAll } from "../data/benchmarks.js";
import { readProblemsAll, type ProblemFieldOptions } from "../data/problems-file.js";
import type { Problem } from "../data/records.js";
import { InputError, UsageError } from "../util/errors.js";

export function isBenchmarkName(bench: string): boolean {
  return Object.prototype.hasOwnProperty.call(BENCHMARKS, bench);
}

export async function loadBenchProblems(bench: string, opts: ProblemFieldOptions & { dataDir?: string | undefined } = {}): Promise<Problem[]> {
  if (isBenchmarkName(bench)) return loadBenchmarkAll(bench, opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {});
  if (!/\.(jsonl|json|ndjson)(\.gz)?$|\.parquet$/i.test(bench) && !existsSync(bench)) {
    throw new UsageError(`--bench "${bench}" is neither a benchmark (${benchmarkNames().join(", ")}) nor a .jsonl, .jsonl.gz or .parquet file`);
  }
  if (!existsSync(bench)) throw new InputError(`${bench}: no such file — check the path, or name a benchmark (${benchmarkNames().join(", ")})`);
  const { questionField, answerField } = opts;
  return readProblemsAll(bench, { ...(questionField ? { questionField } : {}), ...(answerField ? { answerField } : {}) });
}

/** The file behind --bench (a benchmark's file in the data folder, or the file itself), for manifests. */
export function benchFile(bench: string, dataDir?: string): string {
  if (!isBenchmarkName(bench)) return bench;
  try {
    return benchmarkPath(bench, dataDir);
  } catch {
    return bench;
  }
}

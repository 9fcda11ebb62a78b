// Problems for `trimer eval --bench`: a named benchmark from ../shared/data (loaders in src/data/benchmarks.ts), or
// any JSONL whose question and answer fields are named by flags (optional domain and level fields too).
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { BENCHMARKS, loadBenchmarkAll } from "../data/benchmarks.js";
import { readJsonl } from "../data/jsonl.js";
import { readProblemsAll } from "../data/problems-file.js";
import type { Where } from "../data/validate.js";
import { InputError, UsageError } from "../util/errors.js";
import type { EvalProblem } from "./runner.js";

export interface JsonlFields {
  question: string;
  answer: string;
  id?: string;
  domain?: string;
  level?: string;
}

function scalar(v: unknown): string | null {
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** Reads a JSONL of problems; the error of a bad line names the file, line and field. */
export async function loadJsonlProblems(path: string, fields: JsonlFields): Promise<EvalProblem[]> {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  const name = basename(path).replace(/\.jsonl(\.gz)?$/, "");
  let index = 0;
  const parse = (raw: unknown, where: Where): EvalProblem => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(`${where.file}:${where.line}: expected a JSON object`);
    const o = raw as Record<string, unknown>;
    const need = (f: string, what: string): string => scalar(o[f]) ?? (() => { throw new InputError(`${where.file}:${where.line}: field "${f}" (${what}) must be a non-empty string or a number`); })();
    // Optional fields: the flag's name, else the usual names (a data/records Problem line has id, domain, difficulty).
    const pick = (named: string | undefined, usual: string[]): string | null => {
      for (const f of named ? [named] : usual) {
        const v = scalar(o[f]);
        if (v !== null) return v;
      }
      return null;
    };
    const p: EvalProblem = {
      id: fields.id ? need(fields.id, "id") : pick(undefined, ["id"]) ?? `${name}/${index}`,
      question: need(fields.question, "question"),
      answer: need(fields.answer, "answer"),
    };
    index++;
    const domain = pick(fields.domain, ["domain", "subject"]);
    if (domain) p.domain = domain;
    const level = pick(fields.level, ["difficulty", "level"]);
    const m = level ? /^(?:level\s*)?(\d+)$/i.exec(level) : null;
    if (m) p.difficulty = Number(m[1]);
    return p;
  };
  const out: EvalProblem[] = [];
  for await (const p of readJsonl(path, parse)) out.push(p);
  if (out.length === 0) throw new InputError(`${path}: no problems in the file`);
  return out;
}

/** A benchmark name (gsm8k, math500, aime24, amc23 …) or a problem file: .jsonl, .jsonl.gz, .parquet (any shape
 * data/problems-file.ts reads: trimer records, plain {question, answer}, raw GSM8K, verl rows). */
export async function loadEvalProblems(bench: string, fields: JsonlFields, dataDir?: string): Promise<EvalProblem[]> {
  if (BENCHMARKS[bench]) return loadBenchmarkAll(bench, dataDir ? { dataDir } : {});
  if (/\.parquet$/i.test(bench)) {
    if (!existsSync(bench)) throw new InputError(`${bench}: no such file`);
    const out = await readProblemsAll(bench, { questionField: fields.question, answerField: fields.answer });
    if (out.length === 0) throw new InputError(`${bench}: no problems in the file`);
    return out;
  }
  if (/\.jsonl(\.gz)?$/i.test(bench) || existsSync(bench)) return loadJsonlProblems(bench, fields);
  throw new UsageError(`--bench "${bench}" is neither a known benchmark (${Object.keys(BENCHMARKS).sort().join(", ")}) nor a .jsonl, .jsonl.gz or .parquet file`);
}

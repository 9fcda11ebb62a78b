// Loaders for the real benchmark files in ../shared/data (see its README): each turns its file's own layout into
// Problem records with a canonical answer string, so evaluation code never sees a benchmark's quirks.
//   gsm8k      answer = the text after "####" in the worked solution, thousands commas removed
//   math500    answer as given; subject → domain (slug); level → difficulty
//   aime24     zero-padded answers ("025") → "25"
//   amc23      float answers (27.0) → "27"
// Data folder: `dataDir` argument, else $TRIMER_DATA_DIR, else ../shared/data next to the repository root.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, UsageError } from "../util/errors.js";
import { readJsonl, type JsonlReadOptions } from "./jsonl.js";
import type { Problem } from "./records.js";
import type { Where } from "./validate.js";

export interface BenchmarkSpec {
  name: string;
  /** Path of the file under the data folder. */
  file: string;
  describe: string;
  parse(raw: unknown, where: Where, index: number): Problem;
}

/** The repository root: src/data/ (tsx) and dist/data/ (compiled) are both two levels down. */
function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

export function defaultDataDir(): string {
  const env = process.env.TRIMER_DATA_DIR;
  if (env && env.trim() !== "") return resolve(env);
  return resolve(repoRoot(), "..", "shared", "data");
}

function obj(raw: unknown, where: Where): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InputError(`${where.file}:${where.line}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

function field(o: Record<string, unknown>, name: string, where: Where): string {
  const v = o[name];
  if (typeof v !== "string" || v.trim() === "") throw new InputError(`${where.file}:${where.line}: field "${name}" must be a non-empty string`);
  return v;
}

/** "1,234" → "1234"; also trims and drops a trailing period. */
export function gsm8kGold(solution: string): string | null {
  const i = solution.lastIndexOf("####");
  if (i === -1) return null;
  const a = solution.slice(i + 4).trim().replace(/,/g, "").replace(/\.$/, "");
  return a === "" ? null : a;
}

/** "025" → "25", "000" → "0"; other strings unchanged. */
export function stripLeadingZeros(s: string): string {
  const t = s.trim();
  const m = /^(-?)0*(\d+)$/.exec(t);
  return m ? `${m[1]}${m[2]}` : t;
}

/** 27.0 → "27", -1.0 → "-1", 0.5 → "0.5" (JSON floats: integers lose the ".0", others keep their shortest form). */
export function floatAnswer(v: number): string {
  return Number.isInteger(v) ? BigInt(v).toString() : String(v);
}

export function subjectSlug(subject: string): string {
  return subject.toLowerCase().replace(/&/g, " ").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

function gsm8k(split: "test" | "train"): BenchmarkSpec {
  return {
    name: split === "test" ? "gsm8k" : "gsm8k-train",
    file: `gsm8k/${split}.jsonl`,
    describe: `GSM8K ${split} split (grade-school word problems)`,
    parse(raw, where, index) {
      const o = obj(raw, where);
      const solution = field(o, "answer", where);
      const gold = gsm8kGold(solution);
      if (gold === null) throw new InputError(`${where.file}:${where.line}: field "answer" has no "#### <answer>" line`);
      // GSM8K has no levels: difficulty = number of <<calculator>> steps (1..5, capped), a documented proxy.
      const calcs = (solution.match(/<</g) ?? []).length;
      return {
        id: `gsm8k/${split}/${index}`,
        source: "gsm8k",
        domain: "word-problems",
        difficulty: Math.min(5, Math.max(1, calcs - 1)),
        question: field(o, "question", where),
        answer: gold,
        meta: { split, solution, steps: calcs },
      };
    },
  };
}

export const BENCHMARKS: Record<string, BenchmarkSpec> = {
  gsm8k: gsm8k("test"),
  "gsm8k-train": gsm8k("train"),
  math500: {
    name: "math500",
    file: "math500/test.jsonl",
    describe: "MATH-500 (PRM800K test split of MATH)",
    parse(raw, where, index) {
      const o = obj(raw, where);
      const level = o.level;
      if (typeof level !== "number" || !Number.isInteger(level) || level < 1 || level > 5) {
        throw new InputError(`${where.file}:${where.line}: field "level" must be an integer 1–5, got ${JSON.stringify(level)}`);
      }
      const subject = field(o, "subject", where);
      return {
        id: typeof o.unique_id === "string" ? `math500/${o.unique_id}` : `math500/${index}`,
        source: "math500",
        domain: subjectSlug(subject),
        difficulty: level,
        question: field(o, "problem", where),
        answer: field(o, "answer", where).trim(),
        meta: { subject, solution: typeof o.solution === "string" ? o.solution : null },
      };
    },
  },
  aime24: {
    name: "aime24",
    file: "aime24/test.jsonl",
    describe: "AIME 2024 (30 problems, integer answers 0–999)",
    parse(raw, where, index) {
      const o = obj(raw, where);
      const ans = o.answer;
      const answer = typeof ans === "number" ? floatAnswer(ans) : stripLeadingZeros(field(o, "answer", where));
      return {
        id: `aime24/${typeof o.id === "number" || typeof o.id === "string" ? o.id : index}`,
        source: "aime24",
        domain: "competition",
        difficulty: 5, // no levels: AIME sits at the top of the ladder
        question: field(o, typeof o.problem === "string" ? "problem" : "question", where),
        answer,
        meta: { url: typeof o.url === "string" ? o.url : null, rawAnswer: typeof ans === "string" ? ans : String(ans) },
      };
    },
  },
  amc23: {
    name: "amc23",
    file: "amc23/test.jsonl",
    describe: "AMC 2023 (40 problems)",
    parse(raw, where, index) {
      const o = obj(raw, where);
      const ans = o.answer;
      let answer: string;
      if (typeof ans === "number" && Number.isFinite(ans)) answer = floatAnswer(ans);
      else if (typeof ans === "string" && ans.trim() !== "") answer = /^-?\d+\.0+$/.test(ans.trim()) ? ans.trim().replace(/\.0+$/, "") : ans.trim();
      else throw new InputError(`${where.file}:${where.line}: field "answer" must be a number or a string`);
      return {
        id: `amc23/${typeof o.id === "number" || typeof o.id === "string" ? o.id : index}`,
        source: "amc23",
        domain: "competition",
        difficulty: 4, // no levels: AMC 12 sits just below AIME
        question: field(o, typeof o.problem === "string" ? "problem" : "question", where),
        answer,
        meta: { url: typeof o.url === "string" ? o.url : null },
      };
    },
  },
};

export function benchmarkNames(): string[] {
  return Object.keys(BENCHMARKS).sort();
}

/** The split a bundled benchmark holds ("test" or "train", from its file name) and its one-line description. */
export function benchmarkInfo(name: string): { split: string; describe: string } {
  const spec = BENCHMARKS[name];
  if (!spec) throw new UsageError(`unknown benchmark "${name}" (known: ${benchmarkNames().join(", ")})`);
  const base = spec.file.split("/").pop()!.replace(/\.jsonl$/, "");
  return { split: base, describe: spec.describe };
}

export function benchmarkPath(name: string, dataDir = defaultDataDir()): string {
  const spec = BENCHMARKS[name];
  if (!spec) throw new UsageError(`unknown benchmark "${name}" (known: ${benchmarkNames().join(", ")})`);
  return join(dataDir, spec.file);
}

/** Streams a benchmark's Problem records. */
export async function* loadBenchmark(name: string, opts: JsonlReadOptions & { dataDir?: string } = {}): AsyncGenerator<Problem> {
  const spec = BENCHMARKS[name];
  if (!spec) throw new UsageError(`unknown benchmark "${name}" (known: ${benchmarkNames().join(", ")})`);
  const path = benchmarkPath(name, opts.dataDir);
  if (!existsSync(path)) throw new InputError(`${path}: benchmark file not found (set TRIMER_DATA_DIR or --data-dir)`);
  let index = 0;
  const v = (raw: unknown, where: Where): Problem => spec.parse(raw, where, index);
  for await (const p of readJsonl(path, v, opts)) {
    yield p;
    index++;
  }
}

export async function loadBenchmarkAll(name: string, opts: JsonlReadOptions & { dataDir?: string } = {}): Promise<Problem[]> {
  const out: Problem[] = [];
  for await (const p of loadBenchmark(name, opts)) out.push(p);
  return out;
}

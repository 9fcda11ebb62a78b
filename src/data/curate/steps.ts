// Step specs: the one description of a step's options that both the CLI flags and a pipeline config file are
// checked against, and `buildStep`, which turns a spec into a running step. A spec is plain JSON:
//   { "step": "near-dedupe", "threshold": 0.8, "numPerm": 128 }
import { appendFileSync, existsSync } from "node:fs";
import { basename, extname } from "node:path";
import type { Sampler } from "../../engine/types.js";
import { InputError, UsageError } from "../../util/errors.js";
import { BENCHMARKS, loadBenchmarkAll } from "../benchmarks.js";
import { readJsonlValues, type BadLine } from "../jsonl.js";
import { ContaminationIndex, decontaminateStep } from "./decontam.js";
import { dedupeStep } from "./dedupe.js";
import { domainStep } from "./domain.js";
import { filterStep, type ProblemType } from "./filter.js";
import { readRecords } from "./io.js";
import { judgeStep } from "./judge.js";
import { mixStep, parseRatios } from "./mix.js";
import { nearDedupeStep } from "./neardup.js";
import { normalizeStep } from "./normalize.js";
import { passRateStep, type PassResult } from "./passrate.js";
import { recordId, textField, type CurateRecord, type StepRun } from "./record.js";

export type OptionType = "number" | "integer" | "string" | "boolean" | "list";

export interface StepSchema {
  summary: string;
  options: Record<string, { type: OptionType; help: string; choices?: readonly string[] }>;
  /** Needs a model (a Sampler) to run. */
  needsSampler?: boolean | ((spec: StepSpec) => boolean);
}

export type StepValue = number | string | boolean | string[];
export interface StepSpec {
  step: string;
  [option: string]: StepValue;
}

const FIELD = { type: "string", help: "text field (default question)" } as const;

export const STEP_SCHEMAS: Record<string, StepSchema> = {
  normalize: {
    summary: "Unicode NFKC, whitespace and LaTeX spacing on text fields",
    options: { fields: { type: "list", help: "fields to normalise (default question,answer)" } },
  },
  dedupe: {
    summary: "exact duplicates of the normalised question (first kept)",
    options: { field: FIELD, answerField: { type: "string", help: "answer field compared between duplicates (default answer)" } },
  },
  "near-dedupe": {
    summary: "MinHash + LSH near-duplicates, verified by Jaccard, clustered (first kept)",
    options: {
      field: FIELD,
      threshold: { type: "number", help: "Jaccard threshold (default 0.8)" },
      numPerm: { type: "integer", help: "hash functions (default 128)" },
      bands: { type: "integer", help: "LSH bands (default: chosen for the threshold)" },
      rows: { type: "integer", help: "rows per band (default: chosen for the threshold)" },
      shingle: { type: "string", help: "word | char (default word)", choices: ["word", "char"] },
      k: { type: "integer", help: "shingle size (default 3 words / 5 chars)" },
      seed: { type: "integer", help: "hash seed (default 1)" },
      maxBucketChecks: { type: "integer", help: "Jaccard checks per document per band (default 200)" },
      fullBuckets: { type: "boolean", help: "keep every document in its buckets (more recall on chains, slower)" },
    },
  },
  decontaminate: {
    summary: "n-gram overlap with benchmark questions (every hit reported)",
    options: {
      benchmarks: { type: "list", help: `benchmark names (${Object.keys(BENCHMARKS).join(", ")}) or JSONL/Parquet files (default gsm8k,math500,aime24,amc23)` },
      n: { type: "integer", help: "n-gram size in tokens (default 13)" },
      minShortTokens: { type: "integer", help: "shortest benchmark question matched inside a record (default 6)" },
      fields: { type: "list", help: "record fields checked (default question)" },
      action: { type: "string", help: "drop | mark (default drop)", choices: ["drop", "mark"] },
      dataDir: { type: "string", help: "benchmark folder (default $TRIMER_DATA_DIR or ../shared/data)" },
    },
  },
  filter: {
    summary: "parsable answer, drop proofs / multiple choice, length and domain bounds",
    options: {
      allowUnparsable: { type: "boolean", help: "keep records whose answer the verifier cannot parse" },
      allowTextAnswers: { type: "boolean", help: "accept answers that are plain words (\"Monday\", \"yes\")" },
      drop: { type: "list", help: "problem types to drop: proof, multiple-choice", choices: ["proof", "multiple-choice"] },
      minChars: { type: "integer", help: "shortest question" },
      maxChars: { type: "integer", help: "longest question" },
      keepDomains: { type: "list", help: "keep only these domain labels" },
      dropDomains: { type: "list", help: "drop these domain labels" },
      questionField: FIELD,
      answerField: { type: "string", help: "answer field (default answer)" },
    },
  },
  domain: {
    summary: "domain label (rules or an LLM classifier) into meta.domainLabel",
    options: { method: { type: "string", help: "rules | llm (default rules)", choices: ["rules", "llm"] }, field: FIELD, batchSize: { type: "integer", help: "prompts per call (default 32)" } },
    needsSampler: (s) => s.method === "llm",
  },
  mix: {
    summary: "sources at given ratios, exact counts, seeded",
    options: {
      ratios: { type: "string", help: "NAME=RATIO,… e.g. multi=55,hand=7.5,web=37.5" },
      n: { type: "integer", help: "records in the mixture (default: the most the sources allow)" },
      seed: { type: "integer", help: "sampling seed (default 1)" },
      allowShort: { type: "boolean", help: "take all of a short source instead of failing" },
      noShuffle: { type: "boolean", help: "keep sources in ratio order" },
      by: { type: "string", help: "source field (default source); the CLI's --by file uses each input file's name" },
    },
  },
  "pass-rate": {
    summary: "sample k low-effort solutions, write meta.passRate, drop easy problems",
    options: {
      k: { type: "integer", help: "samples per problem (default 8)" },
      threshold: { type: "number", help: "drop at or above this pass rate (default 0.8)" },
      temperature: { type: "number", help: "sampling temperature (default 0.7)" },
      maxTokens: { type: "integer", help: "tokens per sample (default 2048)" },
      batchSize: { type: "integer", help: "problems per sampler call (default 8)" },
    },
    needsSampler: true,
  },
  judge: {
    summary: "LLM judge: does each solution's answer match the reference, is the reasoning valid",
    options: {
      solutionField: { type: "string", help: "single-solution field (default solution; a solutions array is judged per entry)" },
      requireValidReasoning: { type: "boolean", help: "also reject solutions with invalid reasoning" },
      dropUnknown: { type: "boolean", help: "reject solutions the judge gave no verdict for" },
      maxTokens: { type: "integer", help: "judge reply tokens (default 1024)" },
      batchSize: { type: "integer", help: "records per sampler call (default 8)" },
    },
    needsSampler: true,
  },
};

export function stepNames(): string[] {
  return Object.keys(STEP_SCHEMAS);
}

/** Checks a spec against its schema; `where` names it in errors ("steps.json step 2"). */
export function validateSpec(raw: unknown, where: string): StepSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InputError(`${where}: expected an object like {"step": "dedupe"}`);
  const o = raw as Record<string, unknown>;
  const name = o.step;
  if (typeof name !== "string" || !STEP_SCHEMAS[name]) throw new InputError(`${where}: field "step" must be one of ${stepNames().join(", ")}, got ${JSON.stringify(name)}`);
  const schema = STEP_SCHEMAS[name]!;
  const spec: StepSpec = { step: name };
  for (const [key, value] of Object.entries(o)) {
    if (key === "step") continue;
    const opt = schema.options[key];
    if (!opt) throw new InputError(`${where}: unknown option "${key}" for step ${name} (known: ${Object.keys(schema.options).join(", ")})`);
    const bad = (): InputError => new InputError(`${where}: option "${key}" must be ${opt.type === "list" ? "a list of strings" : `a${opt.type === "integer" ? "n" : ""} ${opt.type}`}, got ${JSON.stringify(value)}`);
    let v: StepValue;
    switch (opt.type) {
      case "number": if (typeof value !== "number" || !Number.isFinite(value)) throw bad(); v = value; break;
      case "integer": if (typeof value !== "number" || !Number.isInteger(value)) throw bad(); v = value; break;
      case "boolean": if (typeof value !== "boolean") throw bad(); v = value; break;
      case "string":
        // ratios may also be written as an object in a config file
        if (key === "ratios" && typeof value === "object" && value !== null && !Array.isArray(value)) { v = Object.entries(value).map(([k, r]) => `${k}=${String(r)}`).join(","); break; }
        if (typeof value !== "string") throw bad(); v = value; break;
      case "list":
        if (typeof value === "string") v = value.split(",").map((s) => s.trim()).filter(Boolean);
        else if (Array.isArray(value) && value.every((x) => typeof x === "string")) v = value as string[];
        else throw bad();
        break;
    }
    if (opt.choices) {
      const vals = Array.isArray(v) ? v : [String(v)];
      const wrong = vals.find((x) => !opt.choices!.includes(x));
      if (wrong !== undefined) throw new InputError(`${where}: option "${key}": unknown "${wrong}" (choose from ${opt.choices.join(", ")})`);
    }
    spec[key] = v;
  }
  if (name === "mix" && typeof spec.ratios !== "string") throw new InputError(`${where}: step mix needs "ratios" (e.g. "multi=55,hand=7.5,web=37.5")`);
  return spec;
}

export function specNeedsSampler(spec: StepSpec): boolean {
  const n = STEP_SCHEMAS[spec.step]?.needsSampler;
  return typeof n === "function" ? n(spec) : Boolean(n);
}

export interface StepContext {
  /** Creates the model sampler on first use (steps that do not need one never open a connection). */
  sampler?: () => Promise<Sampler>;
  /** Append-only journal of per-problem results (pass-rate), for resuming an interrupted run. */
  journalPath?: string;
  /** Source name of a record for mix --by file (the CLI tags records with their file). */
  sourceOf?: (rec: CurateRecord) => string;
  /** Called with the count of input records read so far (progress). */
  onRecord?: (count: number) => void;
}

const num = (s: StepSpec, k: string): number | undefined => (typeof s[k] === "number" ? (s[k] as number) : undefined);
const str = (s: StepSpec, k: string): string | undefined => (typeof s[k] === "string" ? (s[k] as string) : undefined);
const list = (s: StepSpec, k: string): string[] | undefined => (Array.isArray(s[k]) ? (s[k] as string[]) : undefined);
const flag = (s: StepSpec, k: string): boolean => s[k] === true;

async function needSampler(ctx: StepContext, step: string): Promise<Sampler> {
  if (!ctx.sampler) throw new UsageError(`step ${step} needs a model: pass --url and --model (OpenAI-compatible server) or --checkpoint DIR`);
  return ctx.sampler();
}

/** The benchmark questions to decontaminate against: named benchmarks or files of records. */
export async function loadContaminationIndex(sources: readonly string[], opts: { n?: number; minShortTokens?: number; dataDir?: string } = {}): Promise<ContaminationIndex> {
  const index = new ContaminationIndex(opts.n ?? 13, opts.minShortTokens ?? 6);
  for (const src of sources) {
    if (BENCHMARKS[src]) {
      for (const p of await loadBenchmarkAll(src, opts.dataDir ? { dataDir: opts.dataDir } : {})) index.add({ benchmark: src, id: p.id, question: p.question });
      continue;
    }
    if (!existsSync(src)) throw new UsageError(`decontaminate: "${src}" is neither a benchmark (${Object.keys(BENCHMARKS).join(", ")}) nor a file`);
    const label = basename(src, extname(src));
    let pos = 0;
    for await (const rec of readRecords(src)) {
      pos++;
      const q = textField(rec, "question") || textField(rec, "problem");
      if (q === "") throw new InputError(`${src}:${pos}: benchmark record has no "question" (or "problem") string`);
      index.add({ benchmark: label, id: recordId(rec, pos), question: q });
    }
  }
  return index;
}

async function loadJournal(path: string | undefined, k: number): Promise<Map<string, PassResult>> {
  const done = new Map<string, PassResult>();
  if (!path || !existsSync(path)) return done;
  const skipped: BadLine[] = [];
  // a crash can leave the last line half-written: skip bad lines rather than refuse to resume
  for await (const { value } of readJsonlValues(path, { onBad: "skip", skipped })) {
    const v = value as { id?: unknown; k?: unknown; attempts?: unknown; correct?: unknown; passRate?: unknown };
    if (typeof v.id !== "string" || v.k !== k || typeof v.attempts !== "number" || typeof v.correct !== "number") continue;
    done.set(v.id, { attempts: v.attempts, correct: v.correct, passRate: typeof v.passRate === "number" ? v.passRate : null });
  }
  return done;
}

/** Starts a step over `input`. */
export async function buildStep(spec: StepSpec, input: AsyncIterable<CurateRecord>, ctx: StepContext = {}): Promise<StepRun<object>> {
  switch (spec.step) {
    case "normalize": {
      const fields = list(spec, "fields");
      return normalizeStep(input, fields ? { fields } : {});
    }
    case "dedupe":
      return dedupeStep(input, { field: str(spec, "field"), answerField: str(spec, "answerField") });
    case "near-dedupe":
      return nearDedupeStep(input, {
        field: str(spec, "field"), threshold: num(spec, "threshold"), numPerm: num(spec, "numPerm"), bands: num(spec, "bands"), rows: num(spec, "rows"),
        kind: str(spec, "shingle") as "word" | "char" | undefined, k: num(spec, "k"), seed: num(spec, "seed"), maxBucketChecks: num(spec, "maxBucketChecks"), fullBuckets: flag(spec, "fullBuckets"),
      });
    case "decontaminate": {
      const index = await loadContaminationIndex(list(spec, "benchmarks") ?? ["gsm8k", "math500", "aime24", "amc23"], { n: num(spec, "n"), minShortTokens: num(spec, "minShortTokens"), dataDir: str(spec, "dataDir") });
      return decontaminateStep(input, index, { fields: list(spec, "fields"), action: str(spec, "action") as "drop" | "mark" | undefined });
    }
    case "filter":
      return filterStep(input, {
        requireParsableAnswer: !flag(spec, "allowUnparsable"), allowTextAnswers: flag(spec, "allowTextAnswers"), dropTypes: list(spec, "drop") as ProblemType[] | undefined,
        minChars: num(spec, "minChars"), maxChars: num(spec, "maxChars"), keepDomains: list(spec, "keepDomains"), dropDomains: list(spec, "dropDomains"),
        questionField: str(spec, "questionField"), answerField: str(spec, "answerField"),
      });
    case "domain":
      return domainStep(input, {
        field: str(spec, "field"),
        method: spec.method === "llm" ? { kind: "llm", sampler: await needSampler(ctx, "domain"), batchSize: num(spec, "batchSize") } : { kind: "rules" },
      });
    case "mix": {
      const by = str(spec, "by") ?? "source";
      const sourceOf = by === "file" ? ctx.sourceOf : (r: CurateRecord): string => textField(r, by);
      if (!sourceOf) throw new UsageError("mix --by file needs the records' files (give each source as its own --in)");
      return mixStep(input, { ratios: parseRatios(str(spec, "ratios") ?? ""), total: num(spec, "n"), seed: num(spec, "seed"), allowShort: flag(spec, "allowShort"), shuffle: !flag(spec, "noShuffle"), sourceOf });
    }
    case "pass-rate": {
      const k = num(spec, "k") ?? 8;
      const done = await loadJournal(ctx.journalPath, k);
      const journal = ctx.journalPath;
      return passRateStep(input, {
        sampler: await needSampler(ctx, "pass-rate"), k, threshold: num(spec, "threshold"), temperature: num(spec, "temperature"), maxTokens: num(spec, "maxTokens"), batchSize: num(spec, "batchSize"),
        done,
        onResult: journal ? (id, r) => appendFileSync(journal, `${JSON.stringify({ id, k, ...r })}\n`) : undefined,
      });
    }
    case "judge":
      return judgeStep(input, {
        sampler: await needSampler(ctx, "judge"), solutionField: str(spec, "solutionField"), requireValidReasoning: flag(spec, "requireValidReasoning"),
        onUnknown: flag(spec, "dropUnknown") ? "drop" : "keep", maxTokens: num(spec, "maxTokens"), batchSize: num(spec, "batchSize"),
      });
    default:
      throw new UsageError(`unknown step "${spec.step}" (known: ${stepNames().join(", ")})`);
  }
}

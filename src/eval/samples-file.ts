// The per-sample JSONL of an evaluation run: one line per (problem, sample), appended and fsync'd problem by
// problem (a util/journal.ts journal), so a run killed at any moment (kill -9 included) loses at most the problem
// being written; reading it back drops a torn last line and, with repair, cuts it off the file.
import { existsSync, statSync } from "node:fs";
import type { Prompt } from "../engine/types.js";
import { InputError } from "../util/errors.js";
import { appendJsonLines, readJournal } from "../util/journal.js";

export interface EvalSampleRecord {
  problemId: string;
  /** Index of the sample within its problem (0 … k−1). */
  sample: number;
  prompt: Prompt;
  completion: string;
  /** The answer the verifier extracted, or null. */
  extracted: string | null;
  gold: string;
  correct: boolean;
  /** Generated tokens. */
  tokens: number;
  finishReason: "stop" | "length";
  /** Reward-model score, or null when no reward model was used. */
  reward: number | null;
}

/** Largest samples file read back (a JS string cannot hold much more; long runs should shard by --out). */
export const MAX_SAMPLES_FILE_BYTES = 512 * 1024 * 1024;

function fail(path: string, line: number, what: string): never {
  throw new InputError(`${path}:${line}: ${what}`);
}

function isPrompt(v: unknown): v is Prompt {
  if (typeof v === "string") return true;
  return Array.isArray(v) && v.every((m) => m !== null && typeof m === "object" && typeof (m as { role?: unknown }).role === "string" && typeof (m as { content?: unknown }).content === "string");
}

/** Checks one parsed line field by field; the error names the file, line and field. */
export function parseSampleRecord(v: unknown, path: string, line: number): EvalSampleRecord {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, line, "expected a JSON object");
  const o = v as Record<string, unknown>;
  const str = (f: string): string => (typeof o[f] === "string" ? (o[f] as string) : fail(path, line, `field "${f}" must be a string`));
  const int = (f: string): number => (Number.isInteger(o[f]) && (o[f] as number) >= 0 ? (o[f] as number) : fail(path, line, `field "${f}" must be a non-negative integer`));
  if (!isPrompt(o.prompt)) fail(path, line, `field "prompt" must be a string or chat messages`);
  if (o.extracted !== null && typeof o.extracted !== "string") fail(path, line, `field "extracted" must be a string or null`);
  if (typeof o.correct !== "boolean") fail(path, line, `field "correct" must be true or false`);
  if (o.finishReason !== "stop" && o.finishReason !== "length") fail(path, line, `field "finishReason" must be "stop" or "length"`);
  if (o.reward !== null && typeof o.reward !== "number") fail(path, line, `field "reward" must be a number or null`);
  return {
    problemId: str("problemId"),
    sample: int("sample"),
    prompt: o.prompt as Prompt,
    completion: str("completion"),
    extracted: o.extracted as string | null,
    gold: str("gold"),
    correct: o.correct as boolean,
    tokens: int("tokens"),
    finishReason: o.finishReason as "stop" | "length",
    reward: o.reward as number | null,
  };
}

export interface ReadSamplesResult {
  records: EvalSampleRecord[];
  /** Bytes of whole lines kept. */
  validBytes: number;
  /** Whether a torn last line was found (and, with repair, cut off). */
  tornTail: boolean;
}

/**
 * Reads a samples file (absent = empty). With `repair`, a torn last line is cut off the file itself. Duplicate
 * (problem, sample) lines keep the first (a rerun never writes one, but a hand-merged file might).
 */
export function readSamplesFile(path: string, opts: { repair?: boolean } = {}): ReadSamplesResult {
  if (!existsSync(path)) return { records: [], validBytes: 0, tornTail: false };
  const size = statSync(path).size;
  if (size > MAX_SAMPLES_FILE_BYTES) throw new InputError(`${path}: ${size} bytes is more than the ${MAX_SAMPLES_FILE_BYTES} a samples file may hold; use a fresh --out`);
  const read = readJournal(path, (v, line) => parseSampleRecord(v, path, line), opts);
  const seen = new Set<string>();
  const records = read.records.filter((rec) => {
    const key = `${rec.problemId}\u0000${rec.sample}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { records, validBytes: read.validBytes, tornTail: read.tornTail };
}

/** Appends lines and fsyncs, so they survive a crash once this returns. */
export function appendRecords(path: string, records: readonly EvalSampleRecord[]): void {
  appendJsonLines(path, records);
}

// The per-sample JSONL of an evaluation run: one line per (problem, sample), appended and fsync'd problem by
// problem, so a run killed at any moment (kill -9 included) loses at most the problem being written. Reading it back
// drops a torn last line (no trailing newline, or not JSON) and truncates the file to the last whole line, so the
// next append starts clean. Damage anywhere else is not a crash signature: it is reported with its line number.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from "node:fs";
import type { Prompt } from "../engine/types.js";
import { InputError } from "../util/errors.js";

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
  const buf = readFileSync(path);
  const records: EvalSampleRecord[] = [];
  const seen = new Set<string>();
  let start = 0;
  let line = 0;
  let validBytes = 0;
  let tornTail = false;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    line++;
    if (nl === -1) {
      // No newline after it: the write of this line was cut short (each line is written with its "\n" at once).
      tornTail = true;
      break;
    }
    const text = buf.subarray(start, nl).toString("utf8").trim();
    const isLast = nl === buf.length - 1;
    if (text !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // A torn line followed by a newline can only be the last one (an append from the next run starts after it).
        if (isLast) { tornTail = true; break; }
        fail(path, line, "not valid JSON (the file is damaged before its last line)");
      }
      const rec = parseSampleRecord(parsed, path, line);
      const key = `${rec.problemId}\u0000${rec.sample}`;
      if (!seen.has(key)) {
        seen.add(key);
        records.push(rec);
      }
    }
    start = nl + 1;
    validBytes = start;
  }
  if (tornTail && opts.repair) truncateSync(path, validBytes);
  return { records, validBytes, tornTail };
}

/** Appends lines and fsyncs, so they survive a crash once this returns. */
export function appendRecords(path: string, records: readonly EvalSampleRecord[]): void {
  if (records.length === 0) return;
  const data = Buffer.from(records.map((r) => JSON.stringify(r) + "\n").join(""));
  const fd = openSync(path, "a");
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

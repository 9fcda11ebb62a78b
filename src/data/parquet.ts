// Parquet read and write for records, through hyparquet / hyparquet-writer (maintained, pure JS, no native build).
// Nested fields (meta, solutions) are stored as JSON text columns and parsed back here, so every record type maps
// to flat columns that pandas / DuckDB / HF datasets read without a schema of ours. Writes are atomic.
import { statSync } from "node:fs";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";
import type { Validator } from "./validate.js";
import type { BadLine } from "./jsonl.js";

export type ColumnType = "STRING" | "INT32" | "DOUBLE" | "BOOLEAN" | "JSON_TEXT";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

export const PROBLEM_COLUMNS: ColumnSpec[] = [
  { name: "id", type: "STRING" },
  { name: "source", type: "STRING" },
  { name: "domain", type: "STRING" },
  { name: "difficulty", type: "INT32" },
  { name: "question", type: "STRING" },
  { name: "answer", type: "STRING" },
  { name: "meta", type: "JSON_TEXT" },
];

export const PROBLEM_WITH_SOLUTIONS_COLUMNS: ColumnSpec[] = [...PROBLEM_COLUMNS, { name: "solutions", type: "JSON_TEXT" }];

export const SOLUTION_COLUMNS: ColumnSpec[] = [
  { name: "problemId", type: "STRING" },
  { name: "mode", type: "STRING" },
  { name: "text", type: "STRING" },
  { name: "finalAnswer", type: "STRING" },
];

export const SAMPLE_COLUMNS: ColumnSpec[] = [
  { name: "problemId", type: "STRING" },
  { name: "agent", type: "STRING" },
  { name: "text", type: "STRING" },
  { name: "extracted", type: "STRING" },
  { name: "correct", type: "BOOLEAN" },
  { name: "tokens", type: "INT32" },
  { name: "reward", type: "DOUBLE" },
];

/** Default refusal size for reading: hyparquet holds the file's bytes in memory. */
export const DEFAULT_MAX_PARQUET_BYTES = 2 * 1024 * 1024 * 1024;

/** Writes records (plain objects) as a Parquet file with the given columns, atomically. */
export async function writeParquet(path: string, rows: readonly object[], columns: readonly ColumnSpec[]): Promise<void> {
  const columnData = columns.map((c) => {
    const data = rows.map((r) => {
      const v = (r as Record<string, unknown>)[c.name];
      if (c.type === "JSON_TEXT") return JSON.stringify(v ?? null);
      return v ?? null;
    });
    return { name: c.name, data, type: c.type === "JSON_TEXT" ? ("STRING" as const) : c.type };
  });
  const buf = parquetWriteBuffer({ columnData });
  await writeFileAtomic(path, new Uint8Array(buf));
}

/**
 * INT64 columns arrive as BigInt, at any depth (verl's extra_info.index sits inside a struct) — and JSON.stringify
 * throws on a BigInt. Safe integers become numbers; larger ones become decimal strings rather than lose digits.
 */
export function plainInts(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plainInts);
  if (v !== null && typeof v === "object" && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plainInts(x);
    return o;
  }
  return v;
}

/**
 * Reads a Parquet file's rows, parses the JSON text columns named in `columns`, and validates each row (row numbers
 * are 1-based and appear where JSONL messages show line numbers).
 */
export async function readParquet<T>(
  path: string,
  validate: Validator<T>,
  columns: readonly ColumnSpec[],
  opts: { onBad?: "fail" | "skip"; maxBytes?: number } = {},
): Promise<{ records: T[]; skipped: BadLine[] }> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new InputError(`${path}: no such file`);
  }
  const max = opts.maxBytes ?? DEFAULT_MAX_PARQUET_BYTES;
  if (size > max) throw new InputError(`${path}: ${size} bytes is over the ${max}-byte limit for Parquet input`);
  let rows: Record<string, unknown>[];
  try {
    const file = await asyncBufferFromFile(path);
    rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  } catch (e) {
    throw new InputError(`${path}: not a readable Parquet file (${(e as Error).message})`);
  }
  const jsonCols = columns.filter((c) => c.type === "JSON_TEXT").map((c) => c.name);
  const records: T[] = [];
  const skipped: BadLine[] = [];
  rows.forEach((row, i) => {
    const where = { file: path, line: i + 1 };
    try {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) o[k] = plainInts(v);
      for (const name of jsonCols) {
        if (typeof o[name] === "string") {
          try {
            o[name] = JSON.parse(o[name] as string) as unknown;
          } catch {
            throw new InputError(`${path}:${i + 1}: field "${name}" is not valid JSON text`);
          }
        }
        if (o[name] === null) delete o[name];
      }
      records.push(validate(o, where));
    } catch (e) {
      if (opts.onBad === "skip" && e instanceof InputError) skipped.push({ line: i + 1, message: e.message });
      else throw e;
    }
  });
  return { records, skipped };
}

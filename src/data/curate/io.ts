// Reading and writing curation records: JSONL (streamed, line numbers in errors, atomic finish) and Parquet
// (through data/parquet.ts). Records are kept whole — every field, known or not — so curation never loses data.
import { extname } from "node:path";
import { readJsonlValues, JsonlWriter, type JsonlReadOptions } from "../jsonl.js";
import { readParquet, writeParquet, type ColumnSpec } from "../parquet.js";
import { InputError } from "../../util/errors.js";
import type { CurateRecord } from "./record.js";

function isParquet(path: string): boolean {
  return extname(path).toLowerCase() === ".parquet";
}

/** Columns that hold nested values as JSON text in trimer's Parquet files. */
const NESTED: ColumnSpec[] = [{ name: "meta", type: "JSON_TEXT" }, { name: "solutions", type: "JSON_TEXT" }];

function asRecord(value: unknown, file: string, line: number): CurateRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${file}:${line}: expected a JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }
  return value as CurateRecord;
}

/** Streams the records of a .jsonl (or .parquet) file. */
export async function* readRecords(path: string, opts: Pick<JsonlReadOptions, "onBad" | "skipped" | "maxLineBytes"> = {}): AsyncGenerator<CurateRecord> {
  if (isParquet(path)) {
    const { records, skipped } = await readParquet(path, (v, w) => asRecord(v, w.file, w.line), NESTED, { onBad: opts.onBad });
    opts.skipped?.push(...skipped);
    yield* records;
    return;
  }
  for await (const { line, value } of readJsonlValues(path, opts)) {
    try {
      yield asRecord(value, path, line);
    } catch (e) {
      if (opts.onBad === "skip" && e instanceof InputError) { opts.skipped?.push({ line, message: e.message }); continue; }
      throw e;
    }
  }
}

/** Column types inferred from the values: strings, integers, numbers, booleans; anything else is JSON text. */
function inferColumns(records: readonly CurateRecord[]): ColumnSpec[] {
  const kinds = new Map<string, Set<string>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (v === null) continue;
      let set = kinds.get(k);
      if (!set) kinds.set(k, (set = new Set()));
      set.add(typeof v === "number" ? (Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? "int" : "double") : typeof v === "object" ? "json" : typeof v);
    }
  }
  return [...kinds.entries()].map(([name, set]) => {
    const only = set.size === 1 ? [...set][0] : set.size === 2 && set.has("int") && set.has("double") ? "double" : "json";
    const type = only === "string" ? "STRING" : only === "int" ? "INT32" : only === "double" ? "DOUBLE" : only === "boolean" ? "BOOLEAN" : "JSON_TEXT";
    return { name, type } as ColumnSpec;
  });
}

/** Writes records to .jsonl (streamed to FILE.partial, renamed when complete) or .parquet (atomic). Returns the count. */
export async function writeRecords(path: string, records: AsyncIterable<CurateRecord>): Promise<number> {
  if (isParquet(path)) {
    const all: CurateRecord[] = [];
    for await (const r of records) all.push(r);
    await writeParquet(path, all, inferColumns(all));
    return all.length;
  }
  const w = JsonlWriter.open(path);
  try {
    for await (const r of records) w.write(r);
  } catch (e) {
    w.abort(false);
    throw e;
  }
  w.close();
  return w.linesWritten;
}

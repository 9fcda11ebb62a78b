// What curation steps exchange: any JSON object (Problem, ProblemWithSolutions, or a file's own layout). Steps read
// the few fields they need by name and never drop the others, and write their results under `meta`, so a record
// keeps everything it came with and gains `meta.passRate`, `meta.judge`, `meta.domainLabel`, ….
import type { JsonValue } from "../records.js";

export type CurateRecord = { [key: string]: JsonValue };

/** A step's output: the records (consumed once, lazily) and its report, complete once the records are consumed. */
export interface StepRun<R> {
  records: AsyncIterable<CurateRecord>;
  report(): R;
}

/** The id of a record, for reports: its `id` field, else its 1-based position. */
export function recordId(rec: CurateRecord, position: number, field = "id"): string {
  const v = rec[field];
  return typeof v === "string" || typeof v === "number" ? String(v) : `#${position}`;
}

/** A string field, or "" when it is missing or not a string. */
export function textField(rec: CurateRecord, field: string): string {
  const v = rec[field];
  return typeof v === "string" ? v : "";
}

/** A copy of `rec` with `meta[key] = value` (meta created when missing or not an object). */
export function withMeta(rec: CurateRecord, key: string, value: JsonValue): CurateRecord {
  const m = rec.meta;
  const meta = typeof m === "object" && m !== null && !Array.isArray(m) ? { ...m } : {};
  meta[key] = value;
  return { ...rec, meta };
}

/** `meta[key]` of a record, or undefined. */
export function metaField(rec: CurateRecord, key: string): JsonValue | undefined {
  const m = rec.meta;
  return typeof m === "object" && m !== null && !Array.isArray(m) ? m[key] : undefined;
}

/** A short excerpt of a text for reports (whitespace collapsed). */
export function excerpt(text: string, max = 160): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

export async function* fromArray(records: Iterable<CurateRecord>): AsyncGenerator<CurateRecord> {
  for (const r of records) yield r;
}

export async function collect(records: AsyncIterable<CurateRecord>): Promise<CurateRecord[]> {
  const out: CurateRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

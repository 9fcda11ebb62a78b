// The crash-safe JSONL journal every long job appends to (training metrics, graded samples, evaluation samples,
// the trace files of `trimer generate`). Each record is written with its "\n" in one write and fsync'd before the
// call returns, so a kill -9 loses at most the record being written. Reading back drops a torn tail: bytes after the
// last "\n" (a write cut short) and, unless `strict`, an unparseable last line. Damage anywhere else is not a crash
// signature: it is reported with its line number. With `repair`, the torn tail is cut off the file itself, so the
// next append starts on a clean line. data/jsonl.ts's buffered JsonlWriter resumes its .partial file the same way
// (cutAfterLastLine).
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { writeFileAtomicSync } from "./atomic.js";
import { InputError } from "./errors.js";

/** Writes the whole buffer (writeSync may write less than asked). */
export function writeAllSync(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Appends records as JSON lines in one write, then fsyncs: they survive a crash once this returns. */
export function appendJsonLines(path: string, records: readonly unknown[]): number {
  if (records.length === 0) return 0;
  const data = Buffer.from(records.map((r) => JSON.stringify(r) + "\n").join(""));
  const fd = openSync(path, "a");
  try {
    writeAllSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return data.length;
}

/** Cuts a file to `size` bytes and fsyncs it. */
export function truncateFileSync(path: string, size: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Cuts a journal after its last "\n" (a write cut short leaves bytes after it) without parsing the lines, for
 * files too large to parse on every resume; returns how many whole lines remain.
 */
export function cutAfterLastLine(path: string): { lines: number; validBytes: number } {
  const data = readFileSync(path);
  const validBytes = data.lastIndexOf(10) + 1;
  let lines = 0;
  for (let i = 0; i < validBytes; i++) if (data[i] === 10) lines++;
  if (validBytes < data.length) truncateFileSync(path, validBytes);
  return { lines, validBytes };
}

export interface JournalRead<T> {
  records: T[];
  /** Bytes of whole lines kept (the size the file is cut to with `repair`). */
  validBytes: number;
  /** Whether a torn tail was found (and, with `repair`, cut off). */
  tornTail: boolean;
}

export interface JournalReadOptions {
  /** Cut a torn tail off the file. */
  repair?: boolean;
  /** An unparseable last line that ends in "\n" is damage, not a torn write (files whose lines are whole once written). */
  strict?: boolean;
}

/**
 * Reads a journal (absent = empty). `parse` checks one parsed line; it receives the 1-based line number for its
 * error messages. Blank lines are skipped.
 */
export function readJournal<T>(path: string, parse: (value: unknown, line: number) => T, opts: JournalReadOptions = {}): JournalRead<T> {
  if (!existsSync(path)) return { records: [], validBytes: 0, tornTail: false };
  const buf = readFileSync(path);
  const records: T[] = [];
  let start = 0;
  let line = 0;
  let validBytes = 0;
  let tornTail = false;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    line++;
    if (nl === -1) {
      tornTail = true; // no newline after it: the write of this line was cut short
      break;
    }
    const text = buf.subarray(start, nl).toString("utf8").trim();
    if (text !== "") {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        if (!opts.strict && nl === buf.length - 1) { tornTail = true; break; }
        throw new InputError(`${path}:${line}: not valid JSON (${(e as Error).message}); the file is damaged before its last line`);
      }
      records.push(parse(value, line));
    }
    start = nl + 1;
    validBytes = start;
  }
  if (tornTail && opts.repair) truncateFileSync(path, validBytes);
  return { records, validBytes, tornTail };
}

/** Reads a journal of JSON objects written by JsonlAppender; a torn tail is ignored. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  return readJournal(path, (v) => v as Record<string, unknown>).records;
}

/** A journal file appended one record at a time (metrics, graded samples). */
export class JsonlAppender {
  constructor(readonly path: string) {}

  append(record: unknown): void {
    appendJsonLines(this.path, [record]);
  }

  /** Rewrites the file keeping only records for which keep() is true (e.g. steps before a resumed checkpoint). */
  truncateTo(keep: (rec: Record<string, unknown>) => boolean): void {
    if (!existsSync(this.path)) return;
    const kept = readJsonLines(this.path).filter(keep);
    writeFileAtomicSync(this.path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  }
}

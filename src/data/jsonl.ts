// JSONL read and write. Reading streams the file (constant memory however large), reports 1-based line numbers and
// enforces a hard per-line size limit, so an untrusted file can neither exhaust memory nor stall JSON.parse (its
// time is linear in the line's size). Writing is atomic: a finished file appears all at once, and a long write goes
// to `<file>.partial`, which a later run can resume from its last complete line.
import { createReadStream, openSync, writeSync, fsyncSync, closeSync, renameSync, existsSync, rmSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { InputError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { cutAfterLastLine } from "../util/journal.js";
import type { Validator } from "./validate.js";

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface JsonlReadOptions {
  /** "fail" (default): the first bad line throws an InputError naming file and line. "skip": bad lines are counted. */
  onBad?: "fail" | "skip";
  /** Lines longer than this are bad (default 16 MiB). */
  maxLineBytes?: number;
  /** Receives every skipped line (with onBad "skip"). */
  skipped?: BadLine[];
}

export interface BadLine {
  line: number;
  message: string;
}

/** Splits a byte stream into lines without ever holding more than `maxLineBytes` of one line. */
async function* rawLines(path: string, maxLineBytes: number): AsyncGenerator<{ line: number; text: string | null }> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  // .gz files are decompressed on the fly; errors of the file stream (ENOENT …) are forwarded through gunzip.
  let stream: Readable = file;
  if (/\.gz$/i.test(path)) {
    const gz = createGunzip();
    file.on("error", (e) => gz.destroy(e));
    stream = file.pipe(gz);
  }
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let badUtf8 = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let line = 0;
  const finish = (): { line: number; text: string | null } => {
    line++;
    let text: string | null = null;
    if (!tooLong) {
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
      try {
        text = utf8.decode(bytes);
      } catch {
        // Not UTF-8: decoded with U+FFFD in place of the bad bytes, as before, but never silently.
        text = bytes.toString("utf8");
        if (badUtf8++ === 0) process.stderr.write(`trimer: warning: ${path}:${line}: not valid UTF-8; the bad bytes are read as U+FFFD (re-encode the file as UTF-8)\n`);
      }
    }
    parts = []; partBytes = 0; tooLong = false;
    return { line, text };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const end = nl === -1 ? chunk.length : nl;
        if (!tooLong) {
          partBytes += end - start;
          if (partBytes > maxLineBytes) { tooLong = true; parts = []; }
          else if (end > start) parts.push(chunk.subarray(start, end));
        }
        if (nl === -1) break;
        yield finish();
        start = nl + 1;
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new InputError(`${path}: no such file`);
    if (err.code === "EISDIR") throw new InputError(`${path}: is a directory, expected a JSONL file`);
    if (err.code?.startsWith("Z_")) throw new InputError(`${path}: not a readable gzip file (${err.message})`);
    throw e;
  }
  if (partBytes > 0 || tooLong) yield finish();
  if (badUtf8 > 1) process.stderr.write(`trimer: warning: ${path}: ${badUtf8} lines in all were not valid UTF-8\n`);
}

/**
 * Parsed JSON values of a JSONL file with their line numbers. Blank lines are ignored. A line that is not valid
 * JSON or is too long throws (onBad "fail") or is recorded in `skipped` (onBad "skip").
 */
export async function* readJsonlValues(path: string, opts: JsonlReadOptions = {}): AsyncGenerator<{ line: number; value: unknown }> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  for await (const { line, text } of rawLines(path, max)) {
    let message: string;
    if (text === null) {
      message = `line longer than ${max} bytes`;
    } else {
      const t = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (t.trim() === "") continue;
      try {
        yield { line, value: JSON.parse(t) as unknown };
        continue;
      } catch (e) {
        message = `invalid JSON (${(e as Error).message})`;
      }
    }
    if (opts.onBad === "skip") opts.skipped?.push({ line, message });
    else throw new InputError(`${path}:${line}: ${message}`);
  }
}

/** Validated records of a JSONL file; a record that fails validation is handled like a bad line. */
export async function* readJsonl<T>(path: string, validate: Validator<T>, opts: JsonlReadOptions = {}): AsyncGenerator<T> {
  for await (const { line, value } of readJsonlValues(path, opts)) {
    let rec: T;
    try {
      rec = validate(value, { file: path, line });
    } catch (e) {
      if (opts.onBad === "skip" && e instanceof InputError) {
        opts.skipped?.push({ line, message: e.message.replace(`${path}:${line}: `, "") });
        continue;
      }
      throw e;
    }
    yield rec;
  }
}

/** Reads a whole file into memory: records plus the lines that were skipped. */
export async function readJsonlFile<T>(path: string, validate: Validator<T>, opts: Omit<JsonlReadOptions, "skipped"> = {}): Promise<{ records: T[]; skipped: BadLine[] }> {
  const skipped: BadLine[] = [];
  const records: T[] = [];
  for await (const r of readJsonl(path, validate, { ...opts, skipped })) records.push(r);
  return { records, skipped };
}

/** Writes records as JSONL atomically (small and medium files; use JsonlWriter for long jobs). */
export async function writeJsonl(path: string, records: Iterable<unknown>): Promise<void> {
  const chunks: string[] = [];
  for (const r of records) chunks.push(JSON.stringify(r));
  await writeFileAtomic(path, chunks.length ? chunks.join("\n") + "\n" : "");
}

/**
 * Appends JSONL lines to `<path>.partial` with buffered writes and renames it to `path` on close (after fsync).
 * With `resume`, an existing `.partial` is kept up to its last complete line and `resumedLines` says how many
 * lines it holds, so a deterministic generator can continue from there.
 */
export class JsonlWriter {
  readonly partialPath: string;
  private fd: number;
  private buf: string[] = [];
  private bufChars = 0;
  private closed = false;
  linesWritten: number;

  private constructor(readonly path: string, fd: number, readonly resumedLines: number) {
    this.partialPath = `${path}.partial`;
    this.fd = fd;
    this.linesWritten = resumedLines;
  }

  static open(path: string, opts: { resume?: boolean } = {}): JsonlWriter {
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    if (opts.resume && existsSync(partial)) {
      const { lines } = cutAfterLastLine(partial);
      return new JsonlWriter(path, openSync(partial, "a"), lines);
    }
    return new JsonlWriter(path, openSync(partial, "w"), 0);
  }

  write(record: unknown): void {
    if (this.closed) throw new Error("JsonlWriter: write after close");
    const s = JSON.stringify(record);
    this.buf.push(s);
    this.bufChars += s.length + 1;
    this.linesWritten++;
    if (this.bufChars > 1 << 20) this.flush();
  }

  /** Writes buffered lines to the partial file and fsyncs it: a checkpoint that `resume` can continue from. */
  flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf.join("\n") + "\n");
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    fsyncSync(this.fd);
    this.buf = [];
    this.bufChars = 0;
  }

  /** Flushes, then moves the finished file into place. */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    renameSync(this.partialPath, this.path);
  }

  /** Stops without producing the final file; the partial file is removed unless `keepPartial`. */
  abort(keepPartial = true): void {
    if (this.closed) return;
    if (keepPartial) this.flush();
    closeSync(this.fd);
    this.closed = true;
    if (!keepPartial) rmSync(this.partialPath, { force: true });
  }
}

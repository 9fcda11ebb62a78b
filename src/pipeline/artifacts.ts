// The artifacts folder of `trimer run`: one sub-folder per stage, each finished stage marked by a DONE.json written
// atomically as the stage's very last act. A stage without DONE.json is unfinished: on --resume it restarts from
// its own latest checkpoint (training stages) or from scratch (cheap stages). Nothing finished is ever redone.
//
//   OUT/config.json            the resolved config (a resume checks that it matches)
//   OUT/<stage>/DONE.json      { finishedAt, seconds, result }
//   OUT/<stage>/model/         checkpoint (model.safetensors + config.json + tokenizer.json [+ optimizer state])
//   OUT/<stage>/ckpt/          in-progress checkpoint of a training stage, with progress.json {step}
//   OUT/<stage>/metrics.jsonl  one JSON object per step
//   OUT/<stage>/samples.jsonl  graded samples (evaluation stages)
//   OUT/report.md, OUT/report.json
import { appendFileSync, existsSync, mkdirSync, readFileSync, openSync, closeSync, fsyncSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../util/atomic.js";
import { InputError } from "../util/errors.js";

export interface StageDone<R = unknown> {
  stage: string;
  finishedAt: string;
  seconds: number;
  result: R;
}

export class Artifacts {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  dir(stage: string, ...sub: string[]): string {
    const p = join(this.root, stage, ...sub);
    mkdirSync(p, { recursive: true });
    return p;
  }

  path(stage: string, file: string): string {
    return join(this.dir(stage), file);
  }

  done<R>(stage: string): StageDone<R> | null {
    const p = join(this.root, stage, "DONE.json");
    if (!existsSync(p)) return null;
    return JSON.parse(readFileSync(p, "utf8")) as StageDone<R>;
  }

  markDone<R>(stage: string, seconds: number, result: R): StageDone<R> {
    const rec: StageDone<R> = { stage, finishedAt: new Date().toISOString(), seconds, result };
    writeFileAtomicSync(join(this.dir(stage), "DONE.json"), JSON.stringify(rec, null, 2) + "\n");
    return rec;
  }

  /** Writes the resolved config, or on resume checks that the folder was made with the same one. */
  checkConfig(config: unknown, resume: boolean): void {
    const p = join(this.root, "config.json");
    const text = JSON.stringify(config, null, 2) + "\n";
    if (existsSync(p)) {
      const old = readFileSync(p, "utf8");
      if (old !== text) {
        if (resume) throw new InputError(`${p}: this folder was made with a different config; use another --out or the same preset and flags`);
        throw new InputError(`${this.root} already holds a run; pass --resume to continue it, or choose another --out`);
      }
      if (!resume) throw new InputError(`${this.root} already holds a run; pass --resume to continue it, or choose another --out`);
      return;
    }
    writeFileAtomicSync(p, text);
  }
}

/**
 * Appends JSON lines with an fsync per write, so that a kill -9 loses at most the line being written; a torn last
 * line is dropped when the file is read back (readJsonLines).
 */
export class JsonlAppender {
  constructor(readonly path: string) {}

  append(record: unknown): void {
    const fd = openSync(this.path, "a");
    try {
      appendFileSync(fd, JSON.stringify(record) + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Rewrites the file keeping only records for which keep() is true (e.g. steps before a resumed checkpoint). */
  truncateTo(keep: (rec: Record<string, unknown>) => boolean): void {
    if (!existsSync(this.path)) return;
    const kept = readJsonLines(this.path).filter(keep);
    writeFileAtomicSync(this.path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  }
}

/** Reads a JSONL file written by JsonlAppender; a torn (unparseable) final line is ignored. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch (e) {
      if (i >= lines.length - 2) break; // torn tail from an interrupted write
      throw new InputError(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  }
  return out;
}

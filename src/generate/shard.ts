// Sharded trace generation (`trimer generate --shard I/N`) and its merge (`trimer merge`). Attempts are seeded by
// (seed, problem id, mode, tir, attempt) (job.ts), so a problem's traces do not depend on which machine or shard
// made them; the split is one problem at a time (util/shard.ts, block 1). A part writes <out>.shard.json (the
// shard and the whole problem list's ids); the merge checks the parts are the N shards of one problem list, that
// each finished all its problems (its <out>.done), and writes the traces problem by problem in input order, with
// a matching .done (so the merged file can be resumed) and .stats.json (counts and usage summed).
//
// A single run writes problems in the order they finish; with --concurrency 1 that is input order, and the merged
// file equals it byte for byte.
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { readJournal } from "../util/journal.js";
import { checkShardSet, formatShard, inShard, parseShard, readShardFile, type Shard } from "../util/shard.js";
import type { Problem } from "../data/records.js";
import type { LongPromptCount } from "../infer/context.js";
import { addUsage, type TraceRecord, type Usage } from "./job.js";
import type { DoneLine, GenerateFileResult } from "./file.js";

export interface GenerateShardInfo {
  kind: "generate";
  shard: string;
  block: 1;
  problems: string[];
  /** Written when the part ends: its problems skipped for their length (all ids). */
  skipped?: string[];
}

export async function writeGenerateShardInfo(out: string, shard: Shard, problems: readonly Problem[], skipped?: readonly string[]): Promise<void> {
  const info: GenerateShardInfo = { kind: "generate", shard: formatShard(shard), block: 1, problems: problems.map((p) => p.id), ...(skipped?.length ? { skipped: [...skipped] } : {}) };
  await writeFileAtomic(`${out}.shard.json`, JSON.stringify(info) + "\n");
}

export function readGenerateShardInfo(part: string): GenerateShardInfo {
  const path = `${part}.shard.json`;
  const v = readShardFile(path, part, "generate") as GenerateShardInfo;
  if (v?.kind !== "generate" || typeof v.shard !== "string" || !Array.isArray(v.problems)) throw new InputError(`${path}: not a generate shard description`);
  return v;
}

export interface MergedTraces {
  /** The merged trace file's lines, problem by problem in input order. */
  lines: string[];
  done: DoneLine[];
  stats: GenerateFileResult;
}

/** Reads the parts (already checked to be shards 1..N: checkShards) and merges them. */
export function mergeGenerateParts(parts: readonly string[]): MergedTraces {
  const infos = parts.map(readGenerateShardInfo);
  checkShardSet(infos.map((x) => x.shard), parts);
  const ids = infos[0]!.problems;
  infos.forEach((x, i) => {
    if (JSON.stringify(x.problems) !== JSON.stringify(ids)) throw new UsageError(`${parts[i]} and ${parts[0]} generated for different problem lists (another --in, --bench, --synth or --limit): they are not parts of one job`);
  });
  const byProblem = new Map<string, { lines: string[]; usage: Usage }>();
  const longs: LongPromptCount[] = [];
  const stats: GenerateFileResult = { problems: ids.length, skipped: 0, generated: 0, records: 0, usage: {}, droppedBytes: 0 };
  parts.forEach((part, i) => {
    const shard = parseShard(infos[i]!.shard);
    const own = new Set(ids.filter((_, p) => inShard(p, shard)));
    const done = readJournal(`${part}.done`, (v, line) => {
      const d = v as DoneLine;
      if (d === null || typeof d !== "object" || typeof d.problemId !== "string" || !Number.isInteger(d.records)) throw new InputError(`${part}.done:${line}: expected {problemId, records, end, usage}`);
      return d;
    }, { strict: true }).records;
    const lines = existsSync(part) ? readFileSync(part, "utf8").split("\n").filter((l) => l !== "") : [];
    // The records of a problem are consecutive and its done line follows them: walk both together.
    let at = 0;
    for (const d of done) {
      const mine = lines.slice(at, at + d.records);
      at += d.records;
      for (const l of mine) {
        let r: TraceRecord;
        try {
          r = JSON.parse(l) as TraceRecord;
        } catch {
          throw new InputError(`${part}: a trace line of problem ${d.problemId} is not JSON`);
        }
        if (r.problemId !== d.problemId) throw new InputError(`${part}: its traces and ${part}.done disagree at problem ${d.problemId}; the files do not belong together`);
      }
      if (!own.has(d.problemId)) throw new UsageError(`${part} holds problem ${d.problemId}, which is not in its shard ${infos[i]!.shard}`);
      byProblem.set(d.problemId, { lines: mine, usage: d.usage ?? {} });
    }
    const statsPath = `${part}.stats.json`;
    if (existsSync(statsPath)) {
      try {
        const s = JSON.parse(readFileSync(statsPath, "utf8")) as Partial<GenerateFileResult>;
        stats.skipped += s.skipped ?? 0;
        stats.generated += s.generated ?? 0;
        stats.droppedBytes += s.droppedBytes ?? 0;
        if (s.longPrompts) longs.push(s.longPrompts);
      } catch { /* counted from the done lines below */ }
    }
    const skippedHere = new Set(infos[i]!.skipped ?? []);
    const missing = [...own].find((id) => !byProblem.has(id) && !skippedHere.has(id));
    if (missing !== undefined) throw new UsageError(`${part} has not finished: problem ${missing} has no traces yet — rerun that shard with --resume, then merge`);
  });
  const out: string[] = [];
  const doneOut: DoneLine[] = [];
  let end = 0;
  for (const id of ids) {
    const p = byProblem.get(id);
    if (!p) continue; // skipped for its length, as a single run skips it
    out.push(...p.lines);
    for (const l of p.lines) end += Buffer.byteLength(l) + 1;
    doneOut.push({ problemId: id, records: p.lines.length, end, usage: p.usage });
    stats.records += p.lines.length;
    addUsage(stats.usage, p.usage);
  }
  if (longs.length) {
    // Counted as a single run counts them; the ids in problem order, as its up-front check lists them.
    const pos = new Map(ids.map((id, i) => [id, i]));
    const longIds = longs.flatMap((l) => l.ids).sort((a, b) => (pos.get(a) ?? 0) - (pos.get(b) ?? 0)).slice(0, 100);
    stats.longPrompts = { policy: longs[0]!.policy, context: longs[0]!.context, skipped: longs.reduce((t, l) => t + l.skipped, 0), truncated: longs.reduce((t, l) => t + l.truncated, 0), ids: longIds };
  }
  return { lines: out, done: doneOut, stats };
}

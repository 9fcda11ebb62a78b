// `--shard I/N`: one of N machines takes its part of a job, and `trimer merge` puts the parts back together into
// what a single run writes. The split is by position in the job's input (after --limit), never by timing:
//
//   the problem at 0-based position p belongs to shard 1 + ⌊p / B⌋ mod N
//
// with B the command's block size: 1 for generate, curate and solve (each unit is seeded by itself), --batch for
// eval — eval seeds each sampler call by its first problem, so whole batches go to one shard and every shard makes
// exactly the calls (and gets exactly the samples) that a single run makes, at any temperature.
// I counts from 1 (`--shard 1/4` … `--shard 4/4`), as in jest and pytest-shard.
import { existsSync, readFileSync } from "node:fs";
import { InputError, UsageError } from "./errors.js";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** "2/4" → {index: 2, count: 4}; anything else is a UsageError naming the flag. */
export function parseShard(text: string, flag = "--shard"): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count) || count > 1_000_000) {
    throw new UsageError(`${flag} must be I/N with 1 ≤ I ≤ N (e.g. ${flag} 2/4), got "${text}"`);
  }
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** Whether position p (0-based) belongs to the shard, with blocks of `block` consecutive positions. */
export function inShard(p: number, shard: Shard, block = 1): boolean {
  return Math.floor(p / Math.max(1, block)) % shard.count === shard.index - 1;
}

/** The positions of `total` items that belong to the shard, ascending. */
export function shardPositions(total: number, shard: Shard, block = 1): number[] {
  const out: number[] = [];
  for (let p = 0; p < total; p++) if (inShard(p, shard, block)) out.push(p);
  return out;
}

/**
 * Checks that `shards` (parsed "I/N" of each input) are exactly shards 1..N of one N, each once; returns N.
 * `names` label the inputs in the messages.
 */
export function checkShardSet(shards: readonly string[], names: readonly string[]): number {
  const parsed = shards.map((s, i) => {
    try {
      return parseShard(s);
    } catch {
      throw new InputError(`${names[i]}: shard "${s}" is not I/N`);
    }
  });
  const n = parsed[0]!.count;
  const seen = new Map<number, string>();
  parsed.forEach((p, i) => {
    if (p.count !== n) throw new UsageError(`${names[i]} is shard ${shards[i]} but ${names[0]} is shard ${shards[0]}: all parts must come from one --shard I/${n} split`);
    const other = seen.get(p.index);
    if (other !== undefined) throw new UsageError(`${names[i]} and ${other} are both shard ${shards[i]}`);
    seen.set(p.index, names[i]!);
  });
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? "s" : ""} ${missing.map((m) => `${m}/${n}`).join(", ")} missing: give all ${n} parts to merge`);
  return n;
}

/**
 * Reads a part's shard description (`path`), written by a sharded run of `command`: a missing file means the folder
 * is not such a part; the caller checks the fields of its own kind.
 */
export function readShardFile(path: string, part: string, command: string): unknown {
  if (!existsSync(path)) throw new UsageError(`${part} has no ${path}: it is not the output of a sharded run (${command} --shard I/N)`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

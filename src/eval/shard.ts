// Sharded evaluation (`trimer eval --shard I/N`) and its merge (`trimer merge`). A shard's folder holds its own
// samples.jsonl and summary.json plus shard.json: the shard, the block size, the whole problem list (ids, gold
// answers, domains, levels — not the questions) and the summary options. The merge checks that the folders are the
// N shards of one run (same problem list, same run.json apart from the shard, each shard once), takes each
// problem's samples from the shard that owns it, and summarises them exactly as a single run does
// (runner.ts summarizeRun): samples.jsonl in problem order, the same summary.json, run.json without the shard.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { checkShardSet, formatShard, inShard, parseShard, readShardFile, type Shard } from "../util/shard.js";
import type { SummarizeOptions } from "./metrics.js";
import type { Grader } from "./grader.js";
import { readSamplesFile, type EvalSampleRecord } from "./samples-file.js";
import type { EvalProblem, EvalRunSummary, SamplingSettings } from "./runner.js";
import type { PromptOptions } from "../infer/prompts.js";
import type { LongPromptCount } from "../infer/context.js";

export const SHARD_FILE = "shard.json";

export interface EvalShardInfo {
  kind: "eval";
  shard: string;
  block: number;
  problems: EvalProblem[];
  summary: SummarizeOptions;
  /** Written when the shard ends: its problems skipped or truncated for their length (all ids). */
  long?: ShardLong;
}

export type ShardLong = LongPromptCount & { skippedIds: string[]; truncatedIds: string[] };

/** Writes OUT/shard.json (questions left out: the merge needs ids, gold answers and the breakdown fields). */
export function writeShardInfo(outDir: string, o: { shard: Shard; block: number; problems: readonly EvalProblem[]; summary: SummarizeOptions; long?: ShardLong }): void {
  const info: EvalShardInfo = {
    kind: "eval",
    shard: formatShard(o.shard),
    block: o.block,
    problems: o.problems.map((p) => ({
      id: p.id, question: "", answer: p.answer,
      ...(p.domain !== undefined ? { domain: p.domain } : {}), ...(p.difficulty !== undefined ? { difficulty: p.difficulty } : {}),
    })),
    summary: o.summary,
    ...(o.long ? { long: o.long } : {}),
  };
  writeFileAtomicSync(join(outDir, SHARD_FILE), JSON.stringify(info) + "\n");
}

export function readEvalShardInfo(dir: string): EvalShardInfo {
  const path = join(dir, SHARD_FILE);
  const v = readShardFile(path, dir, "eval") as EvalShardInfo;
  if (v?.kind !== "eval" || typeof v.shard !== "string" || !Array.isArray(v.problems) || !Number.isInteger(v.block)) throw new InputError(`${path}: not an eval shard description`);
  return v;
}

export interface MergedEval {
  summary: EvalRunSummary;
  records: EvalSampleRecord[];
  /** run.json of the merged folder (the shards' identity without the shard). */
  identity: Record<string, unknown>;
  problems: number;
}

type RunIdentityLike = Record<string, unknown> & { bench: string; model: string; prompt: PromptOptions };

/**
 * Merges eval shard folders. `summarize` is runner.ts summarizeRun (passed in: runner.ts imports this file).
 * Every problem must have its k samples: a shard that has not finished is named, with the fix (rerun it).
 */
export function mergeEvalShards(
  dirs: readonly string[],
  readIdentity: (dir: string) => Record<string, unknown>,
  grader: Grader,
  summarize: (o: { bench: string; model: string; sampling: SamplingSettings; prompt: PromptOptions; summary: SummarizeOptions; grader: Grader }, problems: readonly EvalProblem[], all: readonly EvalSampleRecord[]) => { summary: EvalRunSummary; records: EvalSampleRecord[] },
): MergedEval {
  if (dirs.length === 0) throw new UsageError("give the shard folders to merge");
  const infos = dirs.map(readEvalShardInfo);
  checkShardSet(infos.map((x) => x.shard), dirs);
  const ids = (x: EvalShardInfo): string => JSON.stringify(x.problems);
  infos.forEach((x, i) => {
    if (ids(x) !== ids(infos[0]!)) throw new UsageError(`${dirs[i]} and ${dirs[0]} evaluated different problem lists (another --bench, --limit or file): they are not parts of one run`);
    if (x.block !== infos[0]!.block) throw new UsageError(`${dirs[i]} split by blocks of ${x.block} problems but ${dirs[0]} by ${infos[0]!.block} (--batch differs)`);
    if (JSON.stringify(x.summary) !== JSON.stringify(infos[0]!.summary)) throw new UsageError(`${dirs[i]} and ${dirs[0]} were run with different report options (--ks, --token-limits, --bootstrap)`);
  });
  // The model label names where the samples came from (a server URL, a checkpoint path): machines of one job may
  // name theirs differently, so it is not compared; the merged label lists the distinct ones.
  const labels: string[] = [];
  const identities = dirs.map((d) => {
    const { shard: _s, model, ...rest } = readIdentity(d);
    if (!labels.includes(String(model))) labels.push(String(model));
    return rest;
  });
  identities.forEach((x, i) => {
    const want = identities[0]!;
    const keys = [...new Set([...Object.keys(x), ...Object.keys(want)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(want[k]));
    if (keys.length) throw new UsageError(`${dirs[i]} and ${dirs[0]} are parts of different runs (${keys.join(", ")} differ)`);
  });
  const identity = { bench: identities[0]!.bench, model: labels.join(" | "), ...identities[0]! } as RunIdentityLike;
  const problems = infos[0]!.problems;
  const block = infos[0]!.block;
  const heads = dirs.map((dir) => {
    const h = readShardHead(dir);
    if (h === null) throw new UsageError(`${dir} has no summary.json: that shard has not finished — rerun it with the same --out, then merge`);
    return h;
  });
  heads.forEach((h, i) => {
    if (JSON.stringify(h.sampling) !== JSON.stringify(heads[0]!.sampling)) throw new UsageError(`${dirs[i]} and ${dirs[0]} sampled with different settings (k, temperature, …)`);
  });
  const { sampling } = heads[0]!;
  const k = sampling.k;
  const all: EvalSampleRecord[] = [];
  dirs.forEach((dir, i) => {
    const shard = parseShard(infos[i]!.shard);
    const own = new Set(problems.filter((_, p) => inShard(p, shard, block)).map((p) => p.id));
    all.push(...readSamplesFile(join(dir, "samples.jsonl")).records.filter((r) => own.has(r.problemId)));
  });
  // Problems a shard skipped for their length: left out of the summary and counted, as a single run does.
  const skipped = new Set(infos.flatMap((x) => x.long?.skippedIds ?? []));
  const truncated = new Set(infos.flatMap((x) => x.long?.truncatedIds ?? []));
  const count = new Map<string, number>();
  for (const r of all) if (r.sample < k) count.set(r.problemId, (count.get(r.problemId) ?? 0) + 1);
  const short = problems.findIndex((p) => !skipped.has(p.id) && (count.get(p.id) ?? 0) < k);
  if (short >= 0) {
    const owner = dirs[infos.findIndex((x) => inShard(short, parseShard(x.shard), block))]!;
    throw new UsageError(`problem ${problems[short]!.id} lacks samples in ${owner}: rerun that shard with the same --out, then merge`);
  }
  const kept = problems.filter((p) => !skipped.has(p.id));
  const { summary, records } = summarize({ bench: identity.bench, model: identity.model, sampling, prompt: identity.prompt, summary: infos[0]!.summary, grader }, kept, all);
  const longs = infos.map((x) => x.long).filter((x): x is ShardLong => x !== undefined);
  if (skipped.size + truncated.size > 0 && longs[0]) {
    const ids = problems.map((p) => p.id).filter((id) => skipped.has(id) || truncated.has(id)).slice(0, 100);
    summary.longPrompts = { policy: longs[0].policy, context: longs[0].context, skipped: skipped.size, truncated: truncated.size, ids };
  }
  return { summary, records, identity, problems: problems.length };
}

/** The sampling settings of a finished shard (its summary.json), or null when it has none. */
function readShardHead(dir: string): { sampling: SamplingSettings } | null {
  const path = join(dir, "summary.json");
  if (!existsSync(path)) return null;
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as { sampling?: SamplingSettings };
    return s.sampling && Number.isInteger(s.sampling.k) ? { sampling: s.sampling } : null;
  } catch {
    return null;
  }
}

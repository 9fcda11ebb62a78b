// `trimer solve --shard I/N --out PART.json`: one question, its agents split across machines (agent at place a of
// the table goes to shard a mod N + 1; its seed follows its place, multi-agent.ts), and `trimer merge`, which
// puts the agents back in table order and selects as a whole run does (solve.ts selectOutcome). The reflection
// round needs every agent's first answer, so it cannot be sharded.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { checkShardSet, formatShard, type Shard } from "../util/shard.js";
import type { SelectionMethod } from "./select.js";
import { selectOutcome, type AgentOutcome, type SolveResult } from "./solve.js";

export interface SolvePart {
  kind: "solve-part";
  shard: string;
  question: string;
  method: SelectionMethod;
  /** Agents in the whole table. */
  agents: number;
  /** The settings that must agree across parts (prompt format, seed, table, …). */
  settings: Record<string, unknown>;
  /** This part's agents: their places in the table and outcomes. */
  outcomes: { index: number; outcome: AgentOutcome }[];
}

export async function writeSolvePart(out: string, part: Omit<SolvePart, "kind" | "shard"> & { shard: Shard }): Promise<void> {
  const body: SolvePart = { kind: "solve-part", ...part, shard: formatShard(part.shard) };
  await writeFileAtomic(out, JSON.stringify(body, null, 2) + "\n");
  await writeFileAtomic(`${out}.shard.json`, JSON.stringify({ kind: "solve", shard: body.shard }) + "\n");
}

function readPart(path: string): SolvePart {
  let v: SolvePart;
  try {
    v = JSON.parse(readFileSync(path, "utf8")) as SolvePart;
  } catch (e) {
    throw new InputError(`${path}: cannot read it (${(e as Error).message}) — give the --out of each \`solve --shard I/N\` run`);
  }
  if (v?.kind !== "solve-part" || !Array.isArray(v.outcomes)) throw new InputError(`${path}: not a part of \`trimer solve --shard I/N\``);
  return v;
}

export function mergeSolveParts(paths: readonly string[]): SolveResult {
  const parts = paths.map(readPart);
  checkShardSet(parts.map((p) => p.shard), paths);
  const a = parts[0]!;
  parts.forEach((p, i) => {
    if (p.question !== a.question) throw new UsageError(`${paths[i]} and ${paths[0]} solved different questions`);
    if (p.method !== a.method || p.agents !== a.agents || JSON.stringify(p.settings) !== JSON.stringify(a.settings)) throw new UsageError(`${paths[i]} and ${paths[0]} ran with different settings (agents, seed, prompt, selection)`);
  });
  const outcomes: (AgentOutcome | undefined)[] = new Array<AgentOutcome | undefined>(a.agents);
  for (const p of parts) for (const o of p.outcomes) outcomes[o.index] = o.outcome;
  const missing = outcomes.findIndex((o) => o === undefined);
  if (missing >= 0) throw new InputError(`agent ${missing + 1} is in none of the parts: the parts do not belong together`);
  return selectOutcome(a.question, outcomes as AgentOutcome[], a.method);
}

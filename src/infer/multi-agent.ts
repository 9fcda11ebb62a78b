// Multi-agent solving (TriMER stage 3): every agent samples each problem with its own (temperature, top-p); a
// reward model scores the candidates and the best is chosen (or a majority / reward-weighted vote). Engine-agnostic:
// agents are any Sampler, the scorer any function — the embedded pipeline and `trimer solve` share this code.
import type { Completion, Prompt, Sampler } from "../engine/types.js";
import type { AgentConfig } from "./agents.js";
import { selectCandidate, type Candidate, type Selection, type SelectionMethod } from "./select.js";
import type { VerifyOptions } from "../verify/index.js";

export interface AgentRun {
  agent: AgentConfig;
  /** completions[p] is this agent's solution of problem p. */
  completions: Completion[];
}

/**
 * Each agent samples every prompt once (one batched call per agent). Seeds differ per agent: agent a is seeded by
 * (seed, indices[a] ?? a), so a subset of the table (a shard) samples exactly what those agents sample in the whole
 * run. The calls go out together (a server, or several replicas, serves them in parallel; the embedded engine
 * runs them one after the other).
 */
export async function sampleAgents(sampler: Sampler, prompts: Prompt[], agents: readonly AgentConfig[], seed: number, stop?: string[], indices?: readonly number[]): Promise<AgentRun[]> {
  return Promise.all(agents.map(async (agent, a) => {
    const out = await sampler.sample(prompts, {
      n: 1, temperature: agent.temperature, topP: agent.topP, maxTokens: agent.maxTokens,
      seed: (seed * 7919 + (indices?.[a] ?? a) * 104729) >>> 0, ...(stop ? { stop } : {}),
    });
    return { agent, completions: out.map((c) => c[0]!) };
  }));
}

/**
 * Picks one candidate per problem from the first `k` agents. `scores[a][p]` are reward-model scores (needed by
 * "reward" and "weighted").
 */
export function selectAcrossAgents(
  runs: readonly AgentRun[],
  k: number,
  method: SelectionMethod,
  scores?: readonly (readonly number[])[],
  verify?: VerifyOptions,
): Selection[] {
  const problems = runs[0]?.completions.length ?? 0;
  const out: Selection[] = [];
  for (let p = 0; p < problems; p++) {
    const cands: Candidate[] = [];
    for (let a = 0; a < k; a++) cands.push({ text: runs[a]!.completions[p]!.text, ...(scores ? { score: scores[a]![p]! } : {}) });
    out.push(selectCandidate(cands, method, { verify }));
  }
  return out;
}

// TriMER's multi-agent sampling configuration (their Table 4): each agent samples the same problem with its own
// (temperature, top-p), from conservative to exploratory, so the candidates differ.
//
// The paper lists 4 agents and reports 8 (+0.7 points) without giving agents 5..8. Our extension, deterministic and
// documented: agent 5 extrapolates the table one step, (1.0, 0.97) (temperature +0.2, top-p +0.02 as the gaps
// shrink towards 1); agents 6..8 interpolate, the midpoints of agents 1–2, 2–3, 3–4: (0.3, 0.875), (0.5, 0.91),
// (0.7, 0.935). So every temperature stays in [0.2, 1.0], the range models are sampled at in practice (beyond 1
// reasoning degrades quickly), and the first n agents always cover the range as evenly as n allows.
import { InputError } from "../util/errors.js";

export interface AgentConfig {
  temperature: number;
  topP: number;
  /** Max new tokens per completion: 4,096 in the paper (context-limited callers pass less). */
  maxTokens: number;
}

/** The paper's four agents. */
export const TRIMER_AGENTS: readonly Readonly<AgentConfig>[] = Object.freeze([
  { temperature: 0.2, topP: 0.85, maxTokens: 4096 },
  { temperature: 0.4, topP: 0.9, maxTokens: 4096 },
  { temperature: 0.6, topP: 0.92, maxTokens: 4096 },
  { temperature: 0.8, topP: 0.95, maxTokens: 4096 },
]);

/** Agents 5..8, in order (see the header). */
const EXTENSION: readonly Readonly<Omit<AgentConfig, "maxTokens">>[] = Object.freeze([
  { temperature: 1.0, topP: 0.97 },
  { temperature: 0.3, topP: 0.875 },
  { temperature: 0.5, topP: 0.91 },
  { temperature: 0.7, topP: 0.935 },
]);

export const MAX_AGENTS = TRIMER_AGENTS.length + EXTENSION.length;

/** The first `n` agents (1 ≤ n ≤ 8): the paper's table, then the extension described above. */
export function agentTable(n: number, maxTokens = 4096): AgentConfig[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_AGENTS) throw new InputError(`agents: count must be an integer in [1, ${MAX_AGENTS}], got ${n}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new InputError(`agents: maxTokens must be a positive integer, got ${maxTokens}`);
  const all = [...TRIMER_AGENTS, ...EXTENSION];
  return all.slice(0, n).map((a) => ({ temperature: a.temperature, topP: a.topP, maxTokens }));
}

// Choosing one solution among the candidates sampled for a problem (TriMER stage 3, and maj@k in evaluation):
//   "reward"   — the candidate with the highest reward-model score (TriMER: "the best-scored solution is chosen");
//   "majority" — the most frequent final answer, answers grouped by verified equivalence (1/2 = 0.5 = \frac12);
//   "weighted" — like majority, but each candidate votes with a weight from its reward score.
//   "majority-rm" — majority, but a tie between the most-voted answers goes to the one holding the best-scored
//                 candidate instead of the first to appear: the reward model only breaks ties. (At this scale the
//                 reward model is weaker than the agents' agreement — see the README's dev-split notes — so it is
//                 trusted where the vote has no opinion: at 4 agents, 2–2 and 1–1–1–1 splits are common.)
// Deterministic ties, always:
//   - reward:   equal scores → the lowest candidate index.
//   - majority-rm: equal votes and equal best scores → the answer that appears first.
//   - majority / weighted: equal votes (weighted totals within 1e-12 relative) → the answer that appears first
//     among the candidates (clusterAnswers numbers clusters in order of first appearance). Within the winning
//     answer, the returned candidate is the member with the highest score when scores are given, else the first
//     member; equal scores → the lowest index.
//   - No candidate has an answer (nothing to vote on): the first candidate (highest-scored under "weighted" and
//     "majority-rm"), with answer null.
import { clusterAnswers, extractAnswer, type VerifyOptions } from "../verify/index.js";
import { InputError } from "../util/errors.js";

export type SelectionMethod = "reward" | "majority" | "weighted" | "majority-rm";
export const SELECTION_METHODS: readonly SelectionMethod[] = ["reward", "majority", "weighted", "majority-rm"];

/** Whether a method reads reward-model scores (every candidate must then have one). */
export function needsScores(method: SelectionMethod): boolean {
  return method !== "majority";
}

export interface Candidate {
  /** The solution text. */
  text: string;
  /** Its final answer; when undefined it is extracted from `text` with the verifier's extractAnswer. null = none. */
  answer?: string | null;
  /** Reward-model score (needed by "reward" and "weighted"). */
  score?: number;
}

export interface SelectOptions {
  /**
   * "weighted" only: how a score becomes a vote. "sigmoid" (default) maps a Bradley–Terry score (a logit, any
   * sign) to (0, 1); "identity" uses the score itself and then requires scores ≥ 0 (e.g. probabilities).
   */
  scoreToWeight?: "sigmoid" | "identity";
  /** Passed to the verifier (extraction and equivalence). */
  verify?: VerifyOptions;
}

export interface AnswerCluster {
  /** The answer of the cluster's first member (its representative). */
  answer: string;
  /** Candidate indices, ascending. */
  members: number[];
  /** Total vote: the member count (majority) or the summed weights (weighted); for "reward", the member count. */
  votes: number;
}

export interface Selection {
  /** Index of the chosen candidate. */
  index: number;
  /** Its final answer (the representative's answer under voting), or null. */
  answer: string | null;
  method: SelectionMethod;
  /** Answer clusters in order of first appearance (diagnostics, maj@k). */
  clusters: AnswerCluster[];
}

export function selectCandidate(candidates: readonly Candidate[], method: SelectionMethod, opts: SelectOptions = {}): Selection {
  if (candidates.length === 0) throw new InputError("select: no candidates");
  if (!SELECTION_METHODS.includes(method)) throw new InputError(`select: method must be one of ${SELECTION_METHODS.join(", ")}, got ${JSON.stringify(method)}`);
  const needScores = needsScores(method);
  candidates.forEach((c, i) => {
    if (c.score !== undefined && !Number.isFinite(c.score)) throw new InputError(`select: candidate ${i} has score ${c.score} (must be finite)`);
    if (needScores && c.score === undefined) throw new InputError(`select: method "${method}" needs a score for every candidate; candidate ${i} has none`);
  });
  const answers = candidates.map((c) => (c.answer !== undefined ? c.answer : (extractAnswer(c.text, opts.verify)?.answer ?? null)));
  const clusterOf = clusterAnswers(answers, opts.verify);
  const hasScores = candidates.every((c) => c.score !== undefined);
  const weightOf = (i: number): number => {
    if (method !== "weighted") return 1;
    const s = candidates[i]!.score!;
    if ((opts.scoreToWeight ?? "sigmoid") === "sigmoid") return 1 / (1 + Math.exp(-s));
    if (s < 0) throw new InputError(`select: scoreToWeight "identity" needs scores ≥ 0; candidate ${i} has ${s}`);
    return s;
  };

  const tally = tallyVotes(clusterOf.map((c) => (c < 0 ? null : c)), weightOf);
  const clusters: AnswerCluster[] = tally.groups.map((g) => ({ answer: answers[g.members[0]!]!, members: g.members, votes: g.votes }));

  /** Highest score among `indices` (lowest index on ties), or the first when scores are absent. */
  const best = (indices: readonly number[]): number => (hasScores ? bestScored(candidates.map((c) => c.score), indices)! : indices[0]!);

  if (method === "reward") {
    const index = best(candidates.map((_, i) => i));
    return { index, answer: answers[index] ?? null, method, clusters };
  }
  if (clusters.length === 0) {
    const index = method === "weighted" || method === "majority-rm" ? best(candidates.map((_, i) => i)) : 0;
    return { index, answer: null, method, clusters };
  }
  let win = tally.groups.indexOf(tally.winner!);
  if (method === "majority-rm") {
    // Counts are integers: a tie is exact. Among the tied clusters, the best member score wins (first on equal).
    const top = tally.winner!.votes;
    const bestOf = (g: number): number => candidates[best(clusters[g]!.members)]!.score!;
    tally.groups.forEach((g, k) => { if (g.votes === top && bestOf(k) > bestOf(win)) win = k; });
  }
  const index = best(clusters[win]!.members);
  return { index, answer: clusters[win]!.answer, method, clusters };
}

/** Candidates grouped by answer cluster: members ascending, votes summed. */
export interface VoteGroup {
  cluster: number;
  members: number[];
  votes: number;
}

/**
 * The vote every best-of-k pick shares (selectCandidate here, maj@k in eval/metrics.ts): candidates grouped by
 * cluster id (null = no answer, no vote) in order of first appearance; the winner has the most votes, ties going to
 * the group that appears first. Weighted totals are float sums whose last bit depends on the order of addition:
 * totals within 1e-12 (relative) count as tied. `winner` is null when no candidate has an answer.
 */
export function tallyVotes(clusterOf: readonly (number | null)[], weight: (i: number) => number = () => 1): { groups: VoteGroup[]; winner: VoteGroup | null } {
  const groups: VoteGroup[] = [];
  const byCluster = new Map<number, VoteGroup>();
  clusterOf.forEach((c, i) => {
    if (c === null) return;
    let g = byCluster.get(c);
    if (!g) {
      g = { cluster: c, members: [], votes: 0 };
      byCluster.set(c, g);
      groups.push(g);
    }
    g.members.push(i);
    g.votes += weight(i);
  });
  let winner: VoteGroup | null = groups[0] ?? null;
  for (const g of groups) if (g.votes - winner!.votes > 1e-12 * Math.max(1, winner!.votes)) winner = g;
  return { groups, winner };
}

/**
 * Index of the highest score among `indices` (default: all), ties going to the earliest; undefined or NaN scores
 * do not compete. null when none does. The reward-model pick (selectCandidate's "reward", rm@k in eval).
 */
export function bestScored(scores: readonly (number | undefined)[], indices: readonly number[] = scores.map((_, i) => i)): number | null {
  let best: number | null = null;
  for (const i of indices) {
    const s = scores[i];
    if (s === undefined || Number.isNaN(s)) continue;
    if (best === null || s > scores[best]!) best = i;
  }
  return best;
}

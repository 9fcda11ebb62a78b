// Choosing one solution among the candidates sampled for a problem (TriMER stage 3, and maj@k in evaluation):
//   "reward"   — the candidate with the highest reward-model score (TriMER: "the best-scored solution is chosen");
//   "majority" — the most frequent final answer, answers grouped by verified equivalence (1/2 = 0.5 = \frac12);
//   "weighted" — like majority, but each candidate votes with a weight from its reward score.
// Deterministic ties, always:
//   - reward:   equal scores → the lowest candidate index.
//   - majority / weighted: equal votes (weighted totals within 1e-12 relative) → the answer that appears first
//     among the candidates (clusterAnswers numbers clusters in order of first appearance). Within the winning
//     answer, the returned candidate is the member with the highest score when scores are given, else the first
//     member; equal scores → the lowest index.
//   - No candidate has an answer (nothing to vote on): the first candidate (highest-scored under "weighted" when
//     scores are given), with answer null.
import { clusterAnswers, extractAnswer, type VerifyOptions } from "../verify/index.js";
import { InputError } from "../util/errors.js";

export type SelectionMethod = "reward" | "majority" | "weighted";
export const SELECTION_METHODS: readonly SelectionMethod[] = ["reward", "majority", "weighted"];

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
  const needScores = method === "reward" || method === "weighted";
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

  const clusters: AnswerCluster[] = [];
  clusterOf.forEach((c, i) => {
    if (c < 0) return;
    // clusterAnswers numbers clusters 0, 1, 2, ... in order of first appearance.
    if (c === clusters.length) clusters.push({ answer: answers[i]!, members: [], votes: 0 });
    const cl = clusters[c]!;
    cl.members.push(i);
    cl.votes += weightOf(i);
  });

  /** Highest score among `indices` (lowest index on ties), or the first when scores are absent. */
  const best = (indices: readonly number[]): number => {
    let b = indices[0]!;
    if (!hasScores) return b;
    for (const i of indices) if (candidates[i]!.score! > candidates[b]!.score!) b = i;
    return b;
  };

  if (method === "reward") {
    const index = best(candidates.map((_, i) => i));
    return { index, answer: answers[index] ?? null, method, clusters };
  }
  if (clusters.length === 0) {
    const index = method === "weighted" ? best(candidates.map((_, i) => i)) : 0;
    return { index, answer: null, method, clusters };
  }
  let win = 0;
  // Weighted totals are float sums whose last bit depends on the order of addition: totals within 1e-12
  // (relative) count as tied, so the earlier answer wins as documented.
  for (let c = 1; c < clusters.length; c++) {
    if (clusters[c]!.votes - clusters[win]!.votes > 1e-12 * Math.max(1, clusters[win]!.votes)) win = c;
  }
  const index = best(clusters[win]!.members);
  return { index, answer: clusters[win]!.answer, method, clusters };
}

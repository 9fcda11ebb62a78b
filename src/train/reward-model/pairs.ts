// Preference pairs for the reward model (TriMER stage 3): for each problem, solutions sampled from the policy are
// graded by the verifier; every (correct, incorrect) combination of the same problem is a candidate pair
// (chosen = correct). Pairs are drawn deterministically and capped per problem so that easy problems with many
// samples do not dominate.
import { createRng } from "../../util/rng.js";

export interface GradedSolution {
  problemId: string;
  prompt: string;
  text: string;
  correct: boolean;
  /** "policy" (sampled) or "reference" (the curriculum's own solution, used when the policy never got it right). */
  origin?: "policy" | "reference";
}

export interface PreferencePair {
  problemId: string;
  prompt: string;
  chosen: string;
  rejected: string;
}

export function makePairs(solutions: readonly GradedSolution[], maxPerProblem: number, seed: number): PreferencePair[] {
  const byProblem = new Map<string, GradedSolution[]>();
  for (const s of solutions) {
    const list = byProblem.get(s.problemId) ?? [];
    list.push(s);
    byProblem.set(s.problemId, list);
  }
  const rng = createRng(seed);
  const out: PreferencePair[] = [];
  for (const [id, list] of byProblem) {
    const good = dedupe(list.filter((s) => s.correct));
    const bad = dedupe(list.filter((s) => !s.correct));
    const all: PreferencePair[] = [];
    for (const g of good) for (const b of bad) all.push({ problemId: id, prompt: g.prompt, chosen: g.text, rejected: b.text });
    out.push(...rng.shuffle(all).slice(0, maxPerProblem));
  }
  return out;
}

function dedupe(list: GradedSolution[]): GradedSolution[] {
  const seen = new Set<string>();
  return list.filter((s) => (seen.has(s.text) ? false : (seen.add(s.text), true)));
}

// What evaluation needs from the verifier, as a small interface: grade one completion against the gold answer,
// and group a problem's extracted answers into equivalence classes for majority voting. The runner and the
// file scorer take a Grader argument (so tests can see exactly what is graded); verifierGrader() is the real one.

export interface Grade {
  correct: boolean;
  /** The final answer the verifier extracted from the completion, or null when it found none. */
  extracted: string | null;
}

/** One completion read strictly and flexibly (with the last-number fallback), and why it has no answer if so. */
export interface VerdictClass {
  strict: boolean;
  flexible: boolean;
  /** No answer under the strict reading, or an output that stops inside its \boxed{. */
  missing: "no_answer" | "truncated" | null;
  status: "equal" | "not_equal" | "unknown" | "timeout";
}

export interface Grader {
  grade(gold: string, completion: string): Grade;
  /** Optional: strict and flexible verdicts at once (for the summary's shares). */
  classify?(gold: string, completion: string): VerdictClass;
  /**
   * One cluster id per answer: equal ids ⇔ equivalent answers. null answers get null (they cast no vote).
   * Ids are only meaningful within one call.
   */
  cluster(answers: readonly (string | null)[]): (number | null)[];
}

/** Groups answers by exact string: the grouping the Qwen2.5-Math example used for its maj@8 (for comparison). */
export function clusterByString(answers: readonly (string | null)[]): (number | null)[] {
  const ids = new Map<string, number>();
  return answers.map((a) => {
    if (a === null) return null;
    let id = ids.get(a);
    if (id === undefined) {
      id = ids.size;
      ids.set(a, id);
    }
    return id;
  });
}

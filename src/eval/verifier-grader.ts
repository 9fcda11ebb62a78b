// The real Grader: trimer's verifier (src/verify) judges each completion and groups answers for majority voting.
import { clusterAnswers, verify, type VerifyOptions } from "../verify/index.js";
import type { Grader } from "./grader.js";

export function verifierGrader(opts: VerifyOptions = {}): Grader {
  return {
    grade(gold, completion) {
      const v = verify(gold, completion, opts);
      return { correct: v.equal, extracted: v.extracted };
    },
    classify(gold, completion) {
      // One check with the fallback gives both readings: they differ only where the last number was taken.
      const v = verify(gold, completion, { ...opts, lastNumberFallback: true });
      const byFallback = v.rule === "last_number";
      return {
        strict: v.equal && !byFallback,
        flexible: v.equal,
        missing: v.missing ?? (byFallback ? "no_answer" : null),
        status: byFallback && v.status !== "timeout" ? "not_equal" : v.status,
      };
    },
    cluster(answers) {
      // clusterAnswers marks "no answer" with -1; the metrics want null (no vote).
      return clusterAnswers([...answers], opts).map((c) => (c < 0 ? null : c));
    },
  };
}

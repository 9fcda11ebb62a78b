// The real Grader: trimer's verifier (src/verify) judges each completion and groups answers for majority voting.
import { clusterAnswers, verify, type VerifyOptions } from "../verify/index.js";
import type { Grader } from "./grader.js";

export function verifierGrader(opts: VerifyOptions = {}): Grader {
  return {
    grade(gold, completion) {
      const v = verify(gold, completion, opts);
      return { correct: v.equal, extracted: v.extracted };
    },
    cluster(answers) {
      // clusterAnswers marks "no answer" with -1; the metrics want null (no vote).
      return clusterAnswers([...answers], opts).map((c) => (c < 0 ? null : c));
    },
  };
}

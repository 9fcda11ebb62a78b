// Accuracy as a strict and a flexible reading, and what the wrong answers were made of: outputs with no answer,
// outputs cut off (at max tokens, or inside their \boxed{), and verdicts the verifier could not reach (unknown,
// timeout) — counted apart, never folded into "wrong" silently.
import type { EvalSampleRecord } from "./samples-file.js";
import type { Grader } from "./grader.js";

export interface VerdictShares {
  samples: number;
  /** Correct without the last-number fallback (the reward's reading). */
  strictAccuracy: number;
  /** Correct with it (an answer written only as the last number of the text counts). */
  flexibleAccuracy: number;
  /** Shares of all samples. */
  noAnswer: number;
  /** Stopped at max tokens (finish reason "length") or inside the final \boxed{. */
  truncated: number;
  unknown: number;
  timeout: number;
}

/** The shares over `records`, by the grader's classify (null when the grader has none). */
export function verdictShares(records: readonly EvalSampleRecord[], grader: Grader): VerdictShares | null {
  if (!grader.classify || records.length === 0) return null;
  let strict = 0, flexible = 0, noAnswer = 0, truncated = 0, unknown = 0, timeout = 0;
  for (const r of records) {
    const c = grader.classify(r.gold, r.completion);
    if (c.strict) strict++;
    if (c.flexible) flexible++;
    if (r.finishReason === "length" || c.missing === "truncated") truncated++;
    else if (c.missing === "no_answer") noAnswer++;
    if (c.status === "unknown") unknown++;
    if (c.status === "timeout") timeout++;
  }
  const n = records.length;
  return { samples: n, strictAccuracy: strict / n, flexibleAccuracy: flexible / n, noAnswer: noAnswer / n, truncated: truncated / n, unknown: unknown / n, timeout: timeout / n };
}

// What a finished curation step must tell the user beyond its counts: a step that dropped most of its input (raw
// GSM8K through `filter` once lost all 7,467 records as "text-answer" without a word), and a model step whose every
// problem got no completion (all requests refused — the output then only looks like a result).
import type { StepResult } from "./pipeline.js";

/** Share of a step's input above which the drop is reported loudly (overridable with --max-drop-share). */
export const DEFAULT_MAX_DROP_SHARE = 0.5;

/** Hints for the reasons a filter gives, aimed at the usual cause. */
const FILTER_HINTS: Record<string, string> = {
  "text-answer": "answers read as words: is --answer-field the field with the final answer? (--allow-text-answers keeps word answers)",
  "unparsable-answer": "the verifier cannot parse these answers: is --answer-field right? (--allow-unparsable keeps them)",
  "no-answer": "the answer field is empty or missing: name it with --answer-field",
};

function byReason(report: object): Record<string, number> {
  const r = (report as { byReason?: Record<string, number> }).byReason;
  return r && typeof r === "object" ? r : {};
}

/** Loud warnings for steps that dropped more than `maxShare` of their input. */
export function dropWarnings(results: readonly StepResult[], maxShare = DEFAULT_MAX_DROP_SHARE): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.skipped || r.recordsIn === 0 || r.step === "mix") continue;
    const dropped = r.recordsIn - r.recordsOut;
    if (dropped <= 0 || dropped / r.recordsIn <= maxShare) continue;
    const reasons = Object.entries(byReason(r.report)).sort((a, b) => b[1] - a[1]);
    const why = reasons.length ? `: ${reasons.map(([k, n]) => `${k} ${n}`).join(", ")}` : "";
    const hint = reasons.length && FILTER_HINTS[reasons[0]![0]] ? ` — ${FILTER_HINTS[reasons[0]![0]]}` : "";
    out.push(`WARNING: ${r.step} dropped ${dropped} of ${r.recordsIn} records (${(100 * dropped / r.recordsIn).toFixed(1)}%, over the ${(100 * maxShare).toFixed(0)}% --max-drop-share)${why}${hint}`);
  }
  return out;
}

/**
 * The reason a model step failed as a whole — every problem it sampled got no completion — or null. A step that
 * resumed everything, or sampled nothing, has not failed.
 */
export function totalFailure(r: StepResult, firstError: string | undefined): string | null {
  const rep = r.report as { step?: string; sampled?: number; noCompletions?: number; judged?: number; byHow?: Record<string, number> };
  const because = firstError ? ` (first error: ${firstError})` : "";
  if (rep.step === "pass-rate" && (rep.sampled ?? 0) > 0 && rep.noCompletions === rep.sampled) {
    return `pass-rate got no completion for any of the ${rep.sampled} problems it sampled${because}`;
  }
  if (rep.step === "judge" && (rep.judged ?? 0) > 0 && (rep.byHow?.empty ?? 0) + (rep.byHow?.["no completion"] ?? 0) === rep.judged) {
    return `judge got no reply for any of the ${rep.judged} solutions it judged${because}`;
  }
  return null;
}

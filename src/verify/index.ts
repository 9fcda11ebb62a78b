// The math answer verifier: free model output → final answer → canonical value → equal?
// Everything that judges an answer in trimer (GRPO reward, data filters, evaluation, voting) goes through here.
// Pure functions: each call builds its own Budget (time + size limits), so the module is safe in worker threads.
import { extract } from "./extract.js";
import { Budget, VerifyLimit, VerifyTimeout } from "./limits.js";
import { parseValue } from "./parse.js";
import { compareValues, type CompareSettings } from "./compare.js";
import { valueToString } from "./canonical.js";
import type { MathValue } from "./value.js";

export type { MathValue, Expr, RelOp } from "./value.js";
export type { Rational } from "./rational.js";

export type ExtractRule = "boxed" | "gsm8k" | "final_answer" | "answer_is" | "display_math" | "inline_math" | "bold" | "last_number";

export interface ExtractOptions {
  /** Fall back to the last number in the text when no other rule matches (default true). */
  lastNumberFallback?: boolean;
  /** Multi-part answers: join all \boxed{} contents with ", " instead of taking the last one. */
  allBoxes?: boolean;
  /** Only the last `maxChars` characters of the text are searched (default 100,000): final answers are at the end. */
  maxChars?: number;
}

export interface Extraction {
  answer: string;
  rule: ExtractRule;
}

export function extractAnswer(text: string, opts: ExtractOptions = {}): Extraction | null {
  const budget = new Budget({});
  try {
    return extract(text, opts, budget);
  } catch (e) {
    if (e instanceof VerifyTimeout || e instanceof VerifyLimit) return null;
    throw e;
  }
}

export interface VerifyOptions extends ExtractOptions {
  /** Hard wall-clock budget of one check in milliseconds (default 1000). */
  timeoutMs?: number;
  /** Relative tolerance of numeric comparison (default 1e-6). Exact rationals are compared exactly first. */
  relTol?: number;
  /** Also let a gold interval accept a predicted inequality (by default only gold inequality → predicted interval). */
  allowIntervalForInequality?: boolean;
  /** Longest answer string that is parsed (default 20,000 characters); longer answers are "unknown". */
  maxInputChars?: number;
}

export type VerifyStatus = "equal" | "not_equal" | "unknown" | "timeout";

export interface Verdict {
  equal: boolean;
  status: VerifyStatus;
  extracted: string | null;
  rule: ExtractRule | null;
  reason?: string;
}

function budgetFor(opts: VerifyOptions): Budget {
  return new Budget({ timeoutMs: opts.timeoutMs, maxInputChars: opts.maxInputChars });
}

function settingsFor(opts: VerifyOptions): CompareSettings {
  return { relTol: opts.relTol ?? 1e-6, allowIntervalForInequality: opts.allowIntervalForInequality ?? false };
}

/** Compares within one budget; the status says whether the comparison itself could be done. */
function compareAnswers(gold: string, pred: string, opts: VerifyOptions, budget: Budget): { status: VerifyStatus; reason?: string } {
  try {
    const g = parseValue(gold, budget);
    const p = parseValue(pred, budget);
    if (g === null || p === null) {
      return { status: "unknown", reason: `could not parse ${g === null ? "gold" : "prediction"}` };
    }
    const r = compareValues(g, p, settingsFor(opts), budget);
    if (r === null) return { status: "unknown", reason: "could not decide" };
    return { status: r ? "equal" : "not_equal" };
  } catch (e) {
    if (e instanceof VerifyTimeout) return { status: "timeout", reason: e.message };
    if (e instanceof VerifyLimit) return { status: "unknown", reason: e.message };
    // Anything else (a stack overflow from input we failed to bound, a bug) is still untrusted input: the check
    // says "unknown" with the reason instead of taking down an RL worker. The fuzz test keeps this path empty.
    return { status: "unknown", reason: `internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
}

export function verify(gold: string, predText: string, opts: VerifyOptions = {}): Verdict {
  const budget = budgetFor(opts);
  let ex: Extraction | null;
  try {
    ex = extract(predText, opts, budget);
  } catch (e) {
    if (e instanceof VerifyTimeout) return { equal: false, status: "timeout", extracted: null, rule: null, reason: e.message };
    return { equal: false, status: "unknown", extracted: null, rule: null, reason: e instanceof Error ? e.message : String(e) };
  }
  if (ex === null) return { equal: false, status: "not_equal", extracted: null, rule: null, reason: "no answer found" };
  const r = compareAnswers(gold, ex.answer, opts, budget);
  return { equal: r.status === "equal", status: r.status, extracted: ex.answer, rule: ex.rule, ...(r.reason ? { reason: r.reason } : {}) };
}

export function answersEqual(a: string, b: string, opts: VerifyOptions = {}): boolean {
  return compareAnswers(a, b, opts, budgetFor(opts)).status === "equal";
}

/** Like answersEqual, with the status (equal / not_equal / unknown / timeout) and the reason. */
export function compareAnswerStrings(a: string, b: string, opts: VerifyOptions = {}): { status: VerifyStatus; reason?: string } {
  return compareAnswers(a, b, opts, budgetFor(opts));
}

export function parseAnswer(answer: string, opts: VerifyOptions = {}): MathValue | null {
  try {
    return parseValue(answer, budgetFor(opts));
  } catch (e) {
    if (e instanceof VerifyTimeout || e instanceof VerifyLimit || e instanceof RangeError) return null;
    throw e;
  }
}

export function canonicalString(answer: string, opts: VerifyOptions = {}): string | null {
  const budget = budgetFor(opts);
  try {
    const v = parseValue(answer, budget);
    return v === null ? null : valueToString(v, budget);
  } catch (e) {
    if (e instanceof VerifyTimeout || e instanceof VerifyLimit || e instanceof RangeError) return null;
    throw e;
  }
}

/**
 * Clusters answers by verified equivalence for majority voting: each answer joins the first cluster whose
 * representative it equals (greedy; equivalence by answersEqual is not guaranteed transitive under a tolerance, so
 * the representative, the first member, decides). null answers get cluster -1. Identical strings share a cluster
 * without a comparison. Each comparison has its own time budget.
 */
export function clusterAnswers(answers: (string | null)[], opts: VerifyOptions = {}): number[] {
  const reps: string[] = [];
  const byString = new Map<string, number>();
  return answers.map((a) => {
    if (a === null) return -1;
    const key = a.trim();
    const known = byString.get(key);
    if (known !== undefined) return known;
    let idx = reps.findIndex((r) => answersEqual(r, key, opts));
    if (idx < 0) {
      idx = reps.length;
      reps.push(key);
    }
    byString.set(key, idx);
    return idx;
  });
}

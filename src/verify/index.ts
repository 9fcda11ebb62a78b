// The math answer verifier: free model output → final answer → canonical value → equal?
// Everything that judges an answer in trimer (GRPO reward, data filters, evaluation, voting) goes through here.
// Pure functions: each call builds its own Budget (time + size limits), so the module is safe in worker threads.
import { boxStarts, extract, unclosedBoxAt } from "./extract.js";
import { Budget, VerifyLimit, VerifyTimeout } from "./limits.js";
import { parseValue } from "./parse.js";
import { compareValues, type CompareSettings } from "./compare.js";
import { valueToString } from "./canonical.js";
import type { MathValue } from "./value.js";

export type { MathValue, Expr, RelOp } from "./value.js";
export type { Rational } from "./rational.js";

export type ExtractRule = "bare" | "boxed" | "gsm8k" | "final_answer" | "answer_is" | "display_math" | "inline_math" | "bold" | "final_statement" | "last_number";

export interface ExtractOptions {
  /**
   * Fall back to the last number in the text when no other rule matches (default false: a guess, and gameable —
   * `eval` reports accuracy with and without it).
   */
  lastNumberFallback?: boolean;
  /** Multi-part answers: join all \\boxed{} contents with ", " instead of taking the last group. */
  allBoxes?: boolean;
  /** Only the last `maxChars` characters of the text are searched (default 100,000): final answers are at the end. */
  maxChars?: number;
  /** Parts of the gold answer (set by verify): a k-part gold may be answered over the last k boxes. */
  goldParts?: number;
  /**
   * How a gold string is read: only the strong rules (boxes, ####, answer phrases; a gold without them is whole),
   * and every box is a part of the answer.
   */
  strongOnly?: boolean;
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
  /**
   * Precision of approximate answers (default 1e-6): a decimal the answer writes with k fractional digits matches
   * when it is the exact value rounded at k digits and half a unit of its last digit is at most relTol·max(1, |x|).
   * Exact values (integers, fractions, radicals) never use it. 0: decimals must be exact.
   */
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
  /** How the answer was found; "bare" when the whole prediction is itself an answer. */
  rule: ExtractRule | null;
  /** Why there is no answer to compare: nothing found, or the output stops inside its \\boxed{ (truncated). */
  missing?: "no_answer" | "truncated";
  reason?: string;
}

function budgetFor(opts: VerifyOptions): Budget {
  return new Budget({ timeoutMs: opts.timeoutMs, maxInputChars: opts.maxInputChars });
}

function settingsFor(opts: VerifyOptions): CompareSettings {
  return { relTol: opts.relTol ?? 1e-6, allowIntervalForInequality: opts.allowIntervalForInequality ?? false };
}

/** Errors of untrusted input → a status; anything unexpected is still "unknown" (never a crash of an RL worker). */
function failure(e: unknown): { status: VerifyStatus; reason: string } {
  if (e instanceof VerifyTimeout) return { status: "timeout", reason: e.message };
  if (e instanceof VerifyLimit) return { status: "unknown", reason: e.message };
  return { status: "unknown", reason: `internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
}

/** Compares within one budget; the status says whether the comparison itself could be done. */
function compareParsed(g: MathValue | null, p: MathValue | null, opts: VerifyOptions, budget: Budget): { status: VerifyStatus; reason?: string } {
  if (g === null || p === null) return { status: "unknown", reason: `could not parse ${g === null ? "gold" : "prediction"}` };
  try {
    const r = compareValues(g, p, settingsFor(opts), budget);
    if (r === null) return { status: "unknown", reason: "could not decide" };
    return { status: r ? "equal" : "not_equal" };
  } catch (e) {
    return failure(e);
  }
}

function compareAnswers(gold: string, pred: string, opts: VerifyOptions, budget: Budget): { status: VerifyStatus; reason?: string } {
  let g: MathValue | null;
  let p: MathValue | null;
  try {
    g = parseValue(gold, budget);
    p = parseValue(pred, budget);
  } catch (e) {
    return failure(e);
  }
  return compareParsed(g, p, opts, budget);
}

/** Longest string that can be a bare answer (a longer one is a solution, extracted from). */
const MAX_BARE = 20_000;
/** Signs that a string is text around an answer rather than the answer itself. */
const MARKERS = /\\(?:boxed|fbox)(?![a-zA-Z])|####|answer|答案|réponse|respuesta|antwort|ответ|\n\s*\n/i;

/**
 * The value of a string that is itself a complete answer ("\\frac{14}{3}", "x^2+4x+4", ".5", "(C)", "Evelyn"),
 * or null when it is text to extract an answer from. Decided per string, for the gold and the prediction alike:
 * extraction on a bare answer would take a piece of it (the last-number rule turns \\frac{14}{3} into 3).
 */
function bareValue(s: string, budget: Budget, boxes?: number[]): MathValue | null {
  // The boxes (or includes()) before anything else: most outputs have a box, and trimming or a case-insensitive
  // alternation over kilobytes of text costs more than the rest of a check.
  if (s.length > 2 * MAX_BARE || (boxes !== undefined ? boxes.length > 0 : s.includes("\\boxed")) || s.includes("####")) return null;
  const t = s.trim();
  if (t === "" || t.length > MAX_BARE || MARKERS.test(t)) return null;
  // Several math spans inside prose ("Since $x=2$, we get $y=5$") are a text.
  // ("$1$ and $2$ and $3$" is a list: only connecting words between its spans).
  if ((t.match(/\$/g)?.length ?? 0) > 2 && /[a-zA-Z]{3,}/.test(t.replace(/\$[^$]*\$/g, " ").replace(/\b(?:and|or)\b/gi, " "))) return null;
  const v = parseValue(t, budget);
  if (v === null) return null;
  if (v.kind !== "text") return v;
  // Short words are an answer ("Evelyn", "\\text{east}", "no"); a sentence or a digit among words is not.
  const plain = t.replace(/\\text\s*\{([^{}]*)\}/g, "$1").replace(/^\$+|\$+$/g, "");
  return /^[\p{L}'’ -]{1,40}$/u.test(plain) && plain.trim().split(/\s+/).length <= 3 ? v : null;
}

/** A gold answer parsed once, to compare many predictions against (GRPO groups, sampling, voting). */
export interface PreparedGold {
  /** The gold answer string actually compared (extracted when the gold was a sentence or a solution). */
  answer: string;
  value: MathValue | null;
  /** Items of a multi-part gold (a list or tuple), else 1. */
  parts: number;
  reason?: string;
}

function partsOf(v: MathValue | null): number {
  return v !== null && (v.kind === "set" || v.kind === "tuple") && v.items.length > 1 ? v.items.length : 1;
}

/**
 * Parses a gold answer: a bare answer as it is; a sentence or a worked solution ("So the answer is
 * \\boxed{4567}", a MATH solution, a GSM8K "#### 72") through the same extraction as predictions.
 */
export function prepareGold(gold: string, opts: VerifyOptions = {}): PreparedGold {
  const budget = budgetFor(opts);
  try {
    const bare = bareValue(gold, budget);
    if (bare !== null) return { answer: gold.trim(), value: bare, parts: partsOf(bare) };
    const ex = extract(gold, { ...opts, lastNumberFallback: false, strongOnly: true }, budget);
    const answer = ex ? ex.answer : gold.trim();
    const value = parseValue(answer, budget);
    return { answer, value, parts: partsOf(value) };
  } catch (e) {
    return { answer: gold.trim(), value: null, parts: 1, reason: failure(e).reason };
  }
}

/**
 * Golds verify() parsed lately, by gold string and the options that change how a gold is read. Graders call
 * verify() with the same gold for each of a problem's samples (8 per problem in the Qwen sample, a GRPO group), and
 * parsing the gold was a tenth of a check. Per thread (each worker loads its own copy of this module); bounded in
 * entries and in gold length; only golds that parsed are kept, and callers never see the cached object (verify()
 * does not hand it out, and comparing never changes a value).
 */
const GOLD_CACHE = new Map<string, PreparedGold>();
const GOLD_CACHE_ENTRIES = 256;
const GOLD_CACHE_CHARS = 2_000;

function cachedGold(gold: string, opts: VerifyOptions): PreparedGold {
  if (gold.length > GOLD_CACHE_CHARS) return prepareGold(gold, opts);
  const key = `${opts.allBoxes ? 1 : 0}|${opts.maxChars ?? ""}|${opts.maxInputChars ?? ""}|${gold}`;
  const hit = GOLD_CACHE.get(key);
  if (hit !== undefined) return hit;
  const g = prepareGold(gold, opts);
  if (g.value === null) return g;
  if (GOLD_CACHE.size >= GOLD_CACHE_ENTRIES) GOLD_CACHE.delete(GOLD_CACHE.keys().next().value!);
  GOLD_CACHE.set(key, g);
  return g;
}

export function verify(gold: string, predText: string, opts: VerifyOptions = {}): Verdict {
  return verifyPrepared(cachedGold(gold, opts), predText, opts);
}

/** verify() against a gold prepared once with prepareGold. */
export function verifyPrepared(gold: PreparedGold, predText: string, opts: VerifyOptions = {}): Verdict {
  const budget = budgetFor(opts);
  let answer: string;
  let rule: Verdict["rule"];
  let p: MathValue | null;
  try {
    // The gold's own string is its answer, whatever it reads as (also a gold that is a sentence).
    if (gold.value !== null && predText.length <= gold.answer.length + 64 && predText.trim() === gold.answer) return { equal: true, status: "equal", extracted: gold.answer, rule: "bare" };
    // The prediction's boxes are looked for once: they rule out a bare answer, and the extractor starts from them.
    const boxes = predText.length <= (opts.maxChars ?? 100_000) ? boxStarts(predText, budget) : undefined;
    const bare = bareValue(predText, budget, boxes);
    if (bare !== null) {
      answer = predText.trim();
      rule = "bare";
      p = bare;
    } else {
      const ex = extract(predText, { ...opts, goldParts: gold.parts }, budget, boxes);
      if (ex === null) {
        const missing = unclosedBoxAt(predText, budget) >= 0 ? "truncated" : "no_answer";
        return { equal: false, status: "not_equal", extracted: null, rule: null, missing, reason: missing === "truncated" ? "output ends inside \\boxed{" : "no answer found" };
      }
      answer = ex.answer;
      rule = ex.rule;
      p = parseValue(answer, budget);
    }
  } catch (e) {
    const f = failure(e);
    return { equal: false, status: f.status, extracted: null, rule: null, reason: f.reason };
  }
  if (gold.value === null) return { equal: false, status: "unknown", extracted: answer, rule, reason: gold.reason ?? "could not parse gold" };
  const r = compareParsed(gold.value, p, opts, budget);
  return { equal: r.status === "equal", status: r.status, extracted: answer, rule, ...(r.reason ? { reason: r.reason } : {}) };
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

// Filters: a final answer the verifier can parse, problem types to drop (proofs, multiple choice — neither has a
// checkable final answer, which outcome rewards need), length bounds, and domain labels. Every removed record is
// counted under the first reason that removed it, with a few examples per reason.
import { parseAnswer } from "../../verify/index.js";
import { ruleDomain } from "./domain.js";
import { gsm8kGold } from "../benchmarks.js";
import { excerpt, metaField, recordId, textField, type CurateRecord, type StepRun } from "./record.js";

export type ProblemType = "proof" | "multiple-choice";

/** Detectors read the start of a problem only: options and instructions are never 20,000 characters in. */
const MAX_DETECT_CHARS = 20_000;

/** Proof requests: "Prove that …", "Show that …", "Demonstrate why …". */
export function isProofProblem(question: string, answer = ""): boolean {
  question = question.slice(0, MAX_DETECT_CHARS);
  // "show that" only as an instruction (sentence start): GSM8K's "his report card needs to show that he …" is not one
  if (/\bprove\b|\bproofs?\b(?! of concept)|(^|[.!?:;]\s+|\n\s*|\$\s+|,\s+)(show|demonstrate|justify|verify)\s+(that|why)\b/i.test(question)) return true;
  return /^\s*(proof|see (the )?proof|q\.?e\.?d\.?)\s*\.?\s*$/i.test(answer);
}

/** Multiple choice: "(A) … (B) …" options (AMC's \textbf{(A)} included), lettered option lines, or a letter answer. */
export function isMultipleChoice(question: string, answer = ""): boolean {
  // Asymptote figures label points "(A)"-like all the time: leave them out
  question = question.slice(0, MAX_DETECT_CHARS).replace(/\[asy\][\s\S]*?(\[\/asy\]|$)/g, " ");
  if (/\(\s*A\s*\)[^\n]{0,300}?\(\s*B\s*\)|\(A\)[^\n]*\n\s*\(B\)/.test(question)) return true;
  // option lines "A) …" then later "B) …": two linear searches (one lazy regex across lines is quadratic on hostile text)
  const a = /(?:^|\n)[ \t]*A[ \t]*[).:][ \t]+\S/.exec(question);
  if (a && /\n[ \t]*B[ \t]*[).:][ \t]+\S/.test(question.slice(a.index + a[0].length))) return true;
  if (/\bwhich of the following\b/i.test(question)) return true;
  return /^\s*\(?\s*(\\textbf\{)?\s*\(?[A-E]\)?\s*\}?\s*$/.test(answer);
}

export interface FilterOptions {
  questionField?: string;
  answerField?: string;
  /** Drop records whose answer the verifier cannot parse (default true). */
  requireParsableAnswer?: boolean;
  /** Accept answers the verifier only reads as plain text ("Monday", "yes"); default false. */
  allowTextAnswers?: boolean;
  dropTypes?: readonly ProblemType[];
  /** Question length bounds in characters (inclusive). */
  minChars?: number;
  maxChars?: number;
  /** Keep only these domain labels / drop these (meta.domainLabel when set, else the rule label). */
  keepDomains?: readonly string[];
  dropDomains?: readonly string[];
}

export type FilterReason = "no-answer" | "unparsable-answer" | "text-answer" | "proof" | "multiple-choice" | "too-short" | "too-long" | "domain";

export interface FilterReport {
  step: "filter";
  records: number;
  kept: number;
  removed: number;
  byReason: Partial<Record<FilterReason, number>>;
  examples: Partial<Record<FilterReason, { id: string; text: string }[]>>;
}

/**
 * The final answer inside an answer field: a whole GSM8K-style solution ending in "#### 72" gives "72" (raw GSM8K
 * files keep the worked solution in "answer"; read as a whole it is words, and every record would be dropped).
 */
export function finalAnswerText(a: string): string {
  return /\n\s*####/.test(a) || a.trimStart().startsWith("####") ? (gsm8kGold(a) ?? a) : a;
}

/** Why a record is removed, or null to keep it. */
export function filterReason(rec: CurateRecord, opts: FilterOptions): FilterReason | null {
  const q = textField(rec, opts.questionField ?? "question");
  const a = finalAnswerText(textField(rec, opts.answerField ?? "answer"));
  const types = opts.dropTypes ?? [];
  if (types.includes("proof") && isProofProblem(q, a)) return "proof";
  if (types.includes("multiple-choice") && isMultipleChoice(q, a)) return "multiple-choice";
  if (opts.requireParsableAnswer ?? true) {
    if (a.trim() === "") return "no-answer";
    const v = parseAnswer(a);
    if (v === null) return "unparsable-answer";
    // the verifier reads any words as a "text" value ("See the proof above" included); only a mathematical value
    // is a checkable final answer unless text answers are allowed
    if (v.kind === "text" && !opts.allowTextAnswers) return "text-answer";
  }
  if (opts.minChars !== undefined && q.length < opts.minChars) return "too-short";
  if (opts.maxChars !== undefined && q.length > opts.maxChars) return "too-long";
  if (opts.keepDomains || opts.dropDomains) {
    const m = metaField(rec, "domainLabel");
    const label = typeof m === "string" ? m : ruleDomain(q).label;
    if (opts.keepDomains && !opts.keepDomains.includes(label)) return "domain";
    if (opts.dropDomains?.includes(label)) return "domain";
  }
  return null;
}

export function filterStep(input: AsyncIterable<CurateRecord>, opts: FilterOptions = {}): StepRun<FilterReport> {
  const report: FilterReport = { step: "filter", records: 0, kept: 0, removed: 0, byReason: {}, examples: {} };
  async function* run(): AsyncGenerator<CurateRecord> {
    for await (const rec of input) {
      const pos = ++report.records;
      const why = filterReason(rec, opts);
      if (why === null) { report.kept++; yield rec; continue; }
      report.removed++;
      report.byReason[why] = (report.byReason[why] ?? 0) + 1;
      const ex = (report.examples[why] ??= []);
      if (ex.length < 5) ex.push({ id: recordId(rec, pos), text: excerpt(textField(rec, opts.questionField ?? "question")) });
    }
  }
  return { records: run(), report: () => report };
}

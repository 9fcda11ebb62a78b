// LLM-judge validation (TriMER §data: ~15% of distilled solutions rejected): a judge model reads the problem, the
// reference answer and a candidate solution, and says whether the final answer matches and whether the reasoning
// holds. Judges answer in every format whatever the prompt asks, so the verdict parser accepts JSON, labelled
// lines, \boxed{}, a leading yes/no and plain sentences — and says "unknown" (counted apart, never a rejection)
// for refusals, hedges and replies cut off before a verdict.
import type { Sampler } from "../../engine/types.js";
import type { JsonValue } from "../records.js";
import { excerpt, recordId, textField, withMeta, type CurateRecord, type StepRun } from "./record.js";

export type JudgeVerdictKind = "correct" | "incorrect" | "unknown";

export interface JudgeVerdict {
  verdict: JudgeVerdictKind;
  reasoningValid?: boolean;
  /** How the verdict was read (json, label, boxed, leading, phrase) or why none was (empty, truncated, refusal, none,
   * no completion). */
  how: string;
}

/** Longest judge reply parsed; a judge that rambles past this has its tail read (the verdict comes last). */
const MAX_REPLY_CHARS = 50_000;

export function judgePrompt(problem: string, reference: string, solution: string): string {
  return [
    "You are checking a solution to a math problem against the reference answer.",
    "Decide (1) whether the solution's final answer is mathematically equivalent to the reference answer, and",
    "(2) whether the reasoning that leads to it is valid.",
    "",
    "## Problem",
    problem,
    "",
    "## Reference answer",
    reference,
    "",
    "## Candidate solution",
    solution,
    "",
    "Reply with exactly two lines:",
    "Verdict: CORRECT or INCORRECT",
    "Reasoning: VALID or INVALID",
  ].join("\n");
}

function wordVerdict(w: string): JudgeVerdictKind {
  const s = w.toLowerCase().replace(/[^a-z ]/g, " ").replace(/\s+/g, " ").trim();
  if (/^(not (correct|right|equivalent|a match|matching)|incorrect|wrong|false|no|mismatch|reject(ed)?|fail(ed)?|invalid|different)\b/.test(s)) return "incorrect";
  if (/^(correct|right|true|yes|match(es|ing)?|equivalent|accept(ed)?|pass(ed)?|valid|same)\b/.test(s)) return "correct";
  return "unknown";
}

function boolish(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === "string") {
    const k = wordVerdict(v);
    return k === "correct" ? true : k === "incorrect" ? false : undefined;
  }
  return undefined;
}

/** JSON objects in the text (fenced or bare), last first; each candidate is bounded in size. */
function jsonObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let end = text.lastIndexOf("}");
  for (let tries = 0; end >= 0 && tries < 20; tries++) {
    // find the matching "{" by depth, ignoring braces inside strings only approximately (judge JSON is flat)
    let depth = 0, start = -1;
    for (let i = end; i >= 0 && end - i < 4000; i--) {
      const c = text[i];
      if (c === "}") depth++;
      else if (c === "{" && --depth === 0) { start = i; break; }
    }
    if (start >= 0) {
      try {
        const v = JSON.parse(text.slice(start, end + 1)) as unknown;
        if (typeof v === "object" && v !== null && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      } catch { /* not JSON: LaTeX braces, prose */ }
    }
    end = text.lastIndexOf("}", (start >= 0 ? start : end) - 1);
  }
  return out;
}

const CORRECT_KEYS = ["correct", "is_correct", "iscorrect", "answer_correct", "answercorrect", "final_answer_correct", "match", "matches", "equivalent", "is_equivalent"];
const VERDICT_KEYS = ["verdict", "judgment", "judgement", "decision", "result", "grade"];
const REASONING_KEYS = ["reasoning_valid", "reasoningvalid", "valid_reasoning", "reasoning_is_valid", "reasoning"];

function fromJson(o: Record<string, unknown>): JudgeVerdict | null {
  const lower = new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  let verdict: JudgeVerdictKind = "unknown";
  for (const k of CORRECT_KEYS) {
    const b = boolish(lower.get(k));
    if (b !== undefined) { verdict = b ? "correct" : "incorrect"; break; }
  }
  if (verdict === "unknown") {
    for (const k of VERDICT_KEYS) {
      const v = lower.get(k);
      if (typeof v === "string" && wordVerdict(v) !== "unknown") { verdict = wordVerdict(v); break; }
      if (typeof v === "boolean") { verdict = v ? "correct" : "incorrect"; break; }
    }
  }
  if (verdict === "unknown") return null;
  let reasoningValid: boolean | undefined;
  for (const k of REASONING_KEYS) {
    const b = boolish(lower.get(k));
    if (b !== undefined) { reasoningValid = b; break; }
  }
  return reasoningValid === undefined ? { verdict, how: "json" } : { verdict, reasoningValid, how: "json" };
}

function reasoningFlag(text: string): boolean | undefined {
  const all = [...text.matchAll(/\breasoning(?:\s+is)?\s*[:=\-]?\s*[*_`]*\s*(not valid|invalid|valid|sound|unsound|flawed|correct|incorrect)\b/gi)];
  const last = all[all.length - 1];
  if (!last) return undefined;
  return /^(valid|sound|correct)$/i.test(last[1]!);
}

const REFUSAL = /\b(I can(?:no|')t (?:help|assist|determine|verify|evaluate|judge)|I(?:'m| am) (?:not able|unable) to|as an AI\b|I won't|cannot be determined|unable to determine|not enough information)/i;

const POSITIVE = /\b(?:(?:final )?answer|solution|response|candidate|it|result)\b[^.\n]{0,60}?\b(?:is|are|was)\s+(?:indeed\s+|fully\s+)?(?:correct|right|equivalent)\b|\b(?:matches|agrees with|is equivalent to|is consistent with)\s+(?:the\s+)?(?:reference|expected|given|gold)|\bthe answers? (?:match|agree)\b/gi;
const NEGATIVE = /\b(?:is|are|was)\s+(?:not|in)\s*correct\b|\bincorrect\b|\bdoes(?:n't| not)\s+(?:match|agree|equal)\b|\bnot (?:equivalent|the same)\b|\bwrong\b|\bmismatch\b|\bdo(?:n't| not) match\b/gi;

/** Reads a judge's reply. Never throws; anything unreadable is "unknown" with the reason in `how`. */
export function parseJudgeVerdict(reply: string): JudgeVerdict {
  let text = reply.length > MAX_REPLY_CHARS ? reply.slice(-MAX_REPLY_CHARS) : reply;
  // reasoning models: only what follows the thinking is the answer; an unclosed <think> means it was cut off
  const open = text.search(/<think>/i);
  if (open >= 0) {
    const close = text.search(/<\/think>/i);
    if (close < 0) return { verdict: "unknown", how: "truncated" };
    text = text.slice(close + "</think>".length);
  }
  if (text.trim() === "") return { verdict: "unknown", how: "empty" };
  const withReasoning = (verdict: JudgeVerdictKind, how: string): JudgeVerdict => {
    const r = reasoningFlag(text);
    return r === undefined ? { verdict, how } : { verdict, reasoningValid: r, how };
  };

  for (const o of jsonObjects(text)) {
    const v = fromJson(o);
    if (v) return v;
  }
  const labels = [...text.matchAll(/\b(?:final\s+)?(?:verdict|judge?ment|decision|conclusion|grade|assessment|evaluation)\s*[:=\-–]\s*[*_`"']*\s*(not\s+correct|not\s+equivalent|[A-Za-z]+)/gi)];
  for (let i = labels.length - 1; i >= 0; i--) {
    const v = wordVerdict(labels[i]![1]!);
    if (v !== "unknown") return withReasoning(v, "label");
  }
  const boxed = [...text.matchAll(/\\boxed\{\s*(?:\\text\{)?\s*([A-Za-z ]+?)\s*\}?\s*\}/g)];
  for (let i = boxed.length - 1; i >= 0; i--) {
    const v = wordVerdict(boxed[i]![1]!);
    if (v !== "unknown") return withReasoning(v, "boxed");
  }
  const lead = /^[\s*_#>`"'-]*(yes|no|correct|incorrect|right|wrong)\b/i.exec(text);
  if (lead) return withReasoning(wordVerdict(lead[1]!), "leading");
  if (REFUSAL.test(text)) return { verdict: "unknown", how: "refusal" };
  let lastPos = -1, lastKind: JudgeVerdictKind = "unknown";
  for (const m of text.matchAll(POSITIVE)) if (m.index > lastPos) { lastPos = m.index; lastKind = "correct"; }
  for (const m of text.matchAll(NEGATIVE)) if (m.index >= lastPos) { lastPos = m.index; lastKind = "incorrect"; }
  if (lastKind !== "unknown") return withReasoning(lastKind, "phrase");
  return { verdict: "unknown", how: "none" };
}

export interface JudgeOptions {
  sampler: Sampler;
  questionField?: string;
  answerField?: string;
  /** Field holding one solution text (default "solution"); records with a `solutions` array have each judged. */
  solutionField?: string;
  /** Also reject solutions whose reasoning the judge calls invalid (default false). */
  requireValidReasoning?: boolean;
  /** What an unknown verdict does (default "keep": a judge's failure is not the solution's). */
  onUnknown?: "keep" | "drop";
  maxTokens?: number;
  /** Records per sampler call (default 8). */
  batchSize?: number;
}

export interface JudgeReport {
  step: "judge";
  records: number;
  judged: number;
  correct: number;
  incorrect: number;
  unknown: number;
  /** Rejected among solutions with a verdict: (incorrect + invalid reasoning when required) / (correct + incorrect). */
  rejectionRate: number | null;
  rejected: number;
  recordsRemoved: number;
  /** How verdicts were read (json, label, …) and why some were not (refusal, truncated, …). */
  byHow: Record<string, number>;
  examples: { id: string; verdict: JudgeVerdictKind; how: string; reply: string }[];
}

interface Job { rec: number; sol: number | null; text: string }

/** The solutions of one record the judge reads: each text of a `solutions` array (sol = its index), or the one field. */
export function judgedSolutions(rec: CurateRecord, solutionField = "solution"): { sol: number | null; text: string }[] {
  const sols = rec.solutions;
  if (Array.isArray(sols)) {
    const out: { sol: number | null; text: string }[] = [];
    sols.forEach((s, i) => {
      const t = typeof s === "object" && s !== null && !Array.isArray(s) && typeof s.text === "string" ? s.text : null;
      if (t !== null) out.push({ sol: i, text: t });
    });
    return out;
  }
  const text = textField(rec, solutionField);
  return text === "" ? [] : [{ sol: null, text }];
}

/** Every judge prompt of one record (what the judge step sends; the up-front context check reads the same). */
export function judgePromptsOf(rec: CurateRecord, fields: { questionField?: string; answerField?: string; solutionField?: string } = {}): string[] {
  const q = textField(rec, fields.questionField ?? "question"), a = textField(rec, fields.answerField ?? "answer");
  return judgedSolutions(rec, fields.solutionField).map((j) => judgePrompt(q, a, j.text));
}

export function judgeStep(input: AsyncIterable<CurateRecord>, opts: JudgeOptions): StepRun<JudgeReport> {
  const qf = opts.questionField ?? "question", af = opts.answerField ?? "answer", sf = opts.solutionField ?? "solution";
  const report: JudgeReport = { step: "judge", records: 0, judged: 0, correct: 0, incorrect: 0, unknown: 0, rejectionRate: null, rejected: 0, recordsRemoved: 0, byHow: {}, examples: [] };

  let rejectedDecided = 0;
  const rejects = (v: JudgeVerdict): boolean =>
    v.verdict === "incorrect" || (v.verdict === "unknown" && opts.onUnknown === "drop") || (opts.requireValidReasoning === true && v.reasoningValid === false);

  async function* flush(batch: { rec: CurateRecord; id: string }[]): AsyncGenerator<CurateRecord> {
    const jobs: Job[] = batch.flatMap(({ rec }, r) => judgedSolutions(rec, sf).map((j) => ({ rec: r, ...j })));
    const replies = jobs.length
      ? await opts.sampler.sample(jobs.map((j) => [{ role: "user" as const, content: judgePrompt(textField(batch[j.rec]!.rec, qf), textField(batch[j.rec]!.rec, af), j.text) }]), { n: 1, temperature: 0, maxTokens: opts.maxTokens ?? 1024 })
      : [];
    const verdicts: JudgeVerdict[] = jobs.map((j, i) => {
      const reply = replies[i]?.[0]?.text ?? "";
      // No completion at all (a prompt the model refused or one skipped as longer than its context) is not an empty reply.
      const v: JudgeVerdict = replies[i]?.length ? parseJudgeVerdict(reply) : { verdict: "unknown", how: "no completion" };
      report.judged++;
      report[v.verdict]++;
      report.byHow[v.how] = (report.byHow[v.how] ?? 0) + 1;
      if (rejects(v)) { report.rejected++; if (v.verdict !== "unknown") rejectedDecided++; }
      if (v.verdict !== "correct" && report.examples.length < 30) report.examples.push({ id: batch[j.rec]!.id, verdict: v.verdict, how: v.how, reply: excerpt(reply, 300) });
      return v;
    });
    const decided = report.correct + report.incorrect;
    report.rejectionRate = decided ? rejectedDecided / decided : null;
    for (let r = 0; r < batch.length; r++) {
      const { rec } = batch[r]!;
      const mine = jobs.map((j, i) => ({ j, v: verdicts[i]! })).filter((x) => x.j.rec === r);
      if (mine.length === 0) { yield rec; continue; }
      const verdictJson = (v: JudgeVerdict): JsonValue => (v.reasoningValid === undefined ? { verdict: v.verdict } : { verdict: v.verdict, reasoningValid: v.reasoningValid });
      if (mine[0]!.j.sol === null) {
        const v = mine[0]!.v;
        if (rejects(v)) { report.recordsRemoved++; continue; }
        yield withMeta(rec, "judge", verdictJson(v));
        continue;
      }
      const sols = rec.solutions as JsonValue[];
      const kept: JsonValue[] = [];
      const counts = { correct: 0, incorrect: 0, unknown: 0, rejected: 0 };
      sols.forEach((s, i) => {
        const hit = mine.find((x) => x.j.sol === i);
        if (!hit) { kept.push(s); return; }
        counts[hit.v.verdict]++;
        if (rejects(hit.v)) { counts.rejected++; return; }
        kept.push({ ...(s as Record<string, JsonValue>), judge: verdictJson(hit.v) });
      });
      if (kept.length === 0) { report.recordsRemoved++; continue; }
      yield withMeta({ ...rec, solutions: kept }, "judge", counts);
    }
  }

  async function* run(): AsyncGenerator<CurateRecord> {
    let batch: { rec: CurateRecord; id: string }[] = [];
    for await (const rec of input) {
      batch.push({ rec, id: recordId(rec, ++report.records) });
      if (batch.length >= (opts.batchSize ?? 8)) { yield* flush(batch); batch = []; }
    }
    if (batch.length) yield* flush(batch);
  }
  return { records: run(), report: () => report };
}

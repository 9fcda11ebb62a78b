// Train / holdout split of the synthetic curriculum. The split of a problem is decided by a hash of its
// normalised question text, not by its index: two indices that happen to produce the same question land on the
// same side, so no question can ever be in both. `overlapReport` measures what is left: exact matches (zero by
// construction) and n-gram overlap (which templates share by design — reported, not hidden).
import type { Problem } from "../records.js";
import { generateWorked, withSolutions, type SynthOptions } from "./index.js";
import type { ProblemWithSolutions } from "../records.js";

export type Split = "train" | "holdout";

/** Lower case, whitespace collapsed: the identity of a question for splitting and overlap. */
export function questionKey(question: string): string {
  return question.toLowerCase().replace(/\s+/g, " ").trim();
}

/** FNV-1a over UTF-16 code units, then a murmur-style finaliser; `salt` gives independent splits. */
export function hashString(s: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function splitOf(question: string, holdoutFraction: number, salt = 0): Split {
  return hashString(questionKey(question), salt) / 0x100000000 < holdoutFraction ? "holdout" : "train";
}

export interface SplitOptions extends SynthOptions {
  /** Fraction of the question space that is held out (default 0.1). */
  holdoutFraction?: number;
  salt?: number;
  /** Give up after this many indices without finding another problem of the split (default 100,000). */
  maxScan?: number;
}

/**
 * The first `n` problems of one split, scanning indices from `startIndex`. Returns the problems and the next
 * index to scan (to continue later). Throws when the split's part of the question space is exhausted (tiny
 * domains, e.g. compact arithmetic at difficulty 1 has a few hundred distinct questions).
 */
export function generateSplit(seed: number, split: Split, n: number, opts: SplitOptions = {}, startIndex = 0): { problems: ProblemWithSolutions[]; nextIndex: number } {
  const frac = opts.holdoutFraction ?? 0.1;
  const maxScan = opts.maxScan ?? 100_000;
  const out: ProblemWithSolutions[] = [];
  let i = startIndex, sinceLast = 0;
  while (out.length < n) {
    const index = i++;
    const w = generateWorked(seed, index, opts);
    if (splitOf(w.question, frac, opts.salt) === split) { out.push(withSolutions(w, seed, index, opts)); sinceLast = 0; }
    else if (++sinceLast > maxScan) throw new Error(`generateSplit: no new ${split} problem in ${maxScan} indices`);
  }
  return { problems: out, nextIndex: i };
}

/** Tokens for n-grams: numbers, words and single symbols, so "3*9+3=" and prose are treated alike. */
export function tokens(text: string): string[] {
  return questionKey(text).match(/\d+|[a-z]+|[^\sa-z\d]/g) ?? [];
}

function ngrams(text: string, n: number): string[] {
  const t = tokens(text);
  if (t.length <= n) return [t.join(" ")];
  const out: string[] = [];
  for (let i = 0; i + n <= t.length; i++) out.push(t.slice(i, i + n).join(" "));
  return out;
}

export interface OverlapReport {
  train: number;
  holdout: number;
  /** Holdout questions whose normalised text also occurs in train. */
  exact: number;
  n: number;
  /** Holdout questions sharing at least one n-gram with some train question. */
  holdoutWithSharedNgram: number;
  /** Fraction of all holdout n-grams (with repetition) that occur in train. */
  sharedNgramFraction: number;
}

export function overlapReport(train: readonly Pick<Problem, "question">[], holdout: readonly Pick<Problem, "question">[], n = 13): OverlapReport {
  const trainKeys = new Set(train.map((p) => questionKey(p.question)));
  const trainGrams = new Set<string>();
  for (const p of train) for (const g of ngrams(p.question, n)) trainGrams.add(g);
  let exact = 0, withShared = 0, shared = 0, all = 0;
  for (const p of holdout) {
    if (trainKeys.has(questionKey(p.question))) exact++;
    let any = false;
    for (const g of ngrams(p.question, n)) {
      all++;
      if (trainGrams.has(g)) { shared++; any = true; }
    }
    if (any) withShared++;
  }
  return { train: train.length, holdout: holdout.length, exact, n, holdoutWithSharedNgram: withShared, sharedNgramFraction: all ? shared / all : 0 };
}

// Evaluation metrics over graded samples: pure functions over plain records, no IO.
//
// Definitions (each one is what the summary JSON and the HTML report call it):
//   accuracy  pass@1 averaged over all n samples of a problem (c/n), then over problems.
//   pass@k    the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code"):
//             1 − C(n−c, k) / C(n, k), averaged over problems.
//   maj@k     majority vote over the FIRST k samples of each problem (not averaged over all k-subsets: samples
//             are i.i.d., so the first k are an unbiased draw of k, and the definition matches how the Qwen2.5-Math
//             example computes maj@8 from all 8). Votes are grouped by answer *equivalence* (cluster ids from the
//             verifier's clusterAnswers), not by string; samples with no extracted answer do not vote.
//             Ties go to the cluster whose first vote came earliest (what Python's Counter.most_common does,
//             which is what the Qwen example's own maj@8 figure used).
//   rm@k      the sample with the highest reward-model score among the first k (ties: the earliest).
//   Both picks are infer/select.ts's (tallyVotes, bestScored), the ones `trimer solve` uses.
//   tokens    mean and median generated tokens over all samples whose token count is known.
//   sweep     accuracy at token limit L: a sample counts as correct only if it was graded correct AND it ended
//             within L generated tokens (a completion cut at L would have lost its final answer). This re-grades
//             existing samples, so a sweep needs no extra sampling; at L ≥ max_tokens it equals accuracy.
//   CI        a seeded percentile bootstrap over problems (problems resampled with replacement), so that small
//             sets such as AIME (30 problems) show how wide their uncertainty is.
import { bestScored, tallyVotes } from "../infer/select.js";
import { createRng } from "../util/rng.js";

export interface GradedSample {
  /** The verifier judged the final answer equal to the gold answer. */
  correct: boolean;
  /** Equivalence class of the extracted answer within its problem (equal ids = equivalent); null = no answer. */
  cluster: number | null;
  /** Generated tokens, when known (scoring a file of given completions may not know them). */
  tokens?: number;
  /** Reward-model score, when a reward model scored the sample. */
  rmScore?: number;
}

export interface GradedProblem {
  id: string;
  domain?: string;
  level?: string;
  samples: GradedSample[];
}

/** A point estimate with its bootstrap confidence interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  iterations?: number; // default 1000
  seed?: number; // default 0
  confidence?: number; // default 0.95
}

/**
 * Unbiased pass@k for one problem with n samples of which c are correct: 1 − C(n−c, k)/C(n, k), computed as the
 * product ∏_{i=n−c+1}^{n} (1 − k/i), which never forms the (huge) binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) throw new RangeError(`passAtK: n, c, k must be integers (got ${n}, ${c}, ${k})`);
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) throw new RangeError(`passAtK: need 1 ≤ k ≤ n and 0 ≤ c ≤ n (got n=${n}, c=${c}, k=${k})`);
  if (n - c < k) return 1;
  if (k === 1) return c / n; // exact, where the product would round
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/**
 * Index of the sample that majority vote over the first k samples picks: the first member of the largest
 * cluster (ties: the cluster seen first). null when none of the first k has an answer.
 */
export function majorityPick(samples: readonly GradedSample[], k: number): number | null {
  return tallyVotes(samples.slice(0, k).map((s) => s.cluster)).winner?.members[0] ?? null;
}

/** 1 if majority vote over the first k samples picks a correct answer, else 0. */
export function majAtK(samples: readonly GradedSample[], k: number): number {
  const i = majorityPick(samples, k);
  return i !== null && samples[i]!.correct ? 1 : 0;
}

/** Index of the highest reward-model score among the first k samples (ties: earliest); null if none is scored. */
export function rmPick(samples: readonly GradedSample[], k: number): number | null {
  return bestScored(samples.slice(0, k).map((s) => s.rmScore));
}

/** 1 if the reward model's favourite among the first k samples is correct, else 0. */
export function rmAtK(samples: readonly GradedSample[], k: number): number {
  const i = rmPick(samples, k);
  return i !== null && samples[i]!.correct ? 1 : 0;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Linear-interpolated quantile q ∈ [0, 1] of an ascending array. */
function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Mean of per-problem values with a percentile-bootstrap confidence interval: resample the problems with
 * replacement `iterations` times (seeded: same seed, same interval) and take the central `confidence` range of
 * the resampled means.
 */
export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Estimate {
  const iterations = opts.iterations ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`bootstrap confidence must be in (0, 1), got ${confidence}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`bootstrap iterations must be a positive integer, got ${iterations}`);
  const value = mean(values);
  const n = values.length;
  if (n === 0) return { value: NaN, low: NaN, high: NaN };
  const rng = createRng(opts.seed ?? 0);
  const means = new Float64Array(iterations);
  for (let b = 0; b < iterations; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.next() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  const sorted = Array.from(means);
  return { value, low: quantileSorted(sorted, tail), high: quantileSorted(sorted, 1 - tail) };
}

/** Samples per problem that every problem has (metrics at k are defined for k up to this). */
export function minSamples(problems: readonly GradedProblem[]): number {
  let m = Infinity;
  for (const p of problems) m = Math.min(m, p.samples.length);
  return Number.isFinite(m) ? m : 0;
}

/** Per-problem accuracy c/n (pass@1 averaged over the problem's samples). */
export function problemAccuracy(p: GradedProblem): number {
  if (p.samples.length === 0) return 0;
  let c = 0;
  for (const s of p.samples) if (s.correct) c++;
  return c / p.samples.length;
}

function countCorrect(p: GradedProblem): number {
  let c = 0;
  for (const s of p.samples) if (s.correct) c++;
  return c;
}

/** The ks worth reporting for n samples: 1, 2, 4, … up to n, and n itself. */
export function defaultKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (n >= 1 && ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

export interface AtK {
  k: number;
  passAtK: Estimate;
  majAtK: Estimate;
  /** Present when every problem has at least one reward-model score among its first k samples. */
  rmAtK?: Estimate;
}

export interface GroupAccuracy {
  key: string;
  problems: number;
  samples: number;
  accuracy: Estimate;
  /** maj@n within the group, n = the samples every problem has (absent when n < 2). */
  majAtN?: number;
}

export interface SweepPoint {
  limit: number;
  accuracy: number;
}

export interface TokenStats {
  samples: number;
  mean: number;
  median: number;
  max: number;
}

export interface EvalSummary {
  problems: number;
  samplesPerProblem: number;
  samples: number;
  accuracy: Estimate;
  atK: AtK[];
  tokens: TokenStats | null;
  byDomain: GroupAccuracy[];
  byLevel: GroupAccuracy[];
  tokenSweep: SweepPoint[];
  bootstrap: Required<BootstrapOptions>;
}

export interface SummarizeOptions {
  /** ks for pass@k / maj@k / rm@k (default: defaultKs(samples per problem)); ks above that are dropped. */
  ks?: number[];
  /** Token limits for the sweep (default: powers of two from 256 up to the longest completion, and that length). */
  tokenLimits?: number[];
  bootstrap?: BootstrapOptions;
}

/** Accuracy per group (domain, level …); groups sorted by key with numeric parts compared as numbers. */
export function breakdown(
  problems: readonly GradedProblem[],
  keyOf: (p: GradedProblem) => string | undefined,
  bootstrap: BootstrapOptions = {},
): GroupAccuracy[] {
  const groups = new Map<string, GradedProblem[]>();
  for (const p of problems) {
    const key = keyOf(p);
    if (key === undefined || key === "") continue;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  const keys = [...groups.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return keys.map((key) => {
    const g = groups.get(key)!;
    const n = minSamples(g);
    const out: GroupAccuracy = {
      key,
      problems: g.length,
      samples: g.reduce((s, p) => s + p.samples.length, 0),
      accuracy: bootstrapMean(g.map(problemAccuracy), bootstrap),
    };
    if (n >= 2) out.majAtN = mean(g.map((p) => majAtK(p.samples, n)));
    return out;
  });
}

/** Accuracy when completions are limited to each token limit (see the header for the rule). */
export function tokenLimitSweep(problems: readonly GradedProblem[], limits: readonly number[]): SweepPoint[] {
  return [...limits].sort((a, b) => a - b).map((limit) => {
    const perProblem = problems.map((p) => {
      if (p.samples.length === 0) return 0;
      let c = 0;
      for (const s of p.samples) if (s.correct && s.tokens !== undefined && s.tokens <= limit) c++;
      return c / p.samples.length;
    });
    return { limit, accuracy: mean(perProblem) };
  });
}

export function tokenStats(problems: readonly GradedProblem[]): TokenStats | null {
  const t: number[] = [];
  for (const p of problems) for (const s of p.samples) if (s.tokens !== undefined) t.push(s.tokens);
  if (t.length === 0) return null;
  return { samples: t.length, mean: mean(t), median: median(t), max: Math.max(...t) };
}

function defaultTokenLimits(maxTokens: number): number[] {
  const limits: number[] = [];
  for (let l = 256; l < maxTokens; l *= 2) limits.push(l);
  limits.push(maxTokens);
  return limits;
}

/** Every metric of the report, with bootstrap intervals. */
export function summarize(problems: readonly GradedProblem[], opts: SummarizeOptions = {}): EvalSummary {
  const bootstrap: Required<BootstrapOptions> = {
    iterations: opts.bootstrap?.iterations ?? 1000,
    seed: opts.bootstrap?.seed ?? 0,
    confidence: opts.bootstrap?.confidence ?? 0.95,
  };
  const n = minSamples(problems);
  const ks = (opts.ks ?? defaultKs(n)).filter((k) => k >= 1 && k <= n).sort((a, b) => a - b);
  const everyProblemScored = (k: number): boolean =>
    problems.length > 0 && problems.every((p) => rmPick(p.samples, k) !== null);
  const atK: AtK[] = [...new Set(ks)].map((k) => {
    const row: AtK = {
      k,
      passAtK: bootstrapMean(problems.map((p) => passAtK(p.samples.length, countCorrect(p), k)), bootstrap),
      majAtK: bootstrapMean(problems.map((p) => majAtK(p.samples, k)), bootstrap),
    };
    if (everyProblemScored(k)) row.rmAtK = bootstrapMean(problems.map((p) => rmAtK(p.samples, k)), bootstrap);
    return row;
  });
  const tokens = tokenStats(problems);
  const everySampleHasTokens = problems.every((p) => p.samples.every((s) => s.tokens !== undefined));
  const limits = opts.tokenLimits ?? (tokens ? defaultTokenLimits(tokens.max) : []);
  return {
    problems: problems.length,
    samplesPerProblem: n,
    samples: problems.reduce((s, p) => s + p.samples.length, 0),
    accuracy: bootstrapMean(problems.map(problemAccuracy), bootstrap),
    atK,
    tokens,
    byDomain: breakdown(problems, (p) => p.domain, bootstrap),
    byLevel: breakdown(problems, (p) => p.level, bootstrap),
    tokenSweep: tokens && everySampleHasTokens ? tokenLimitSweep(problems, limits) : [],
    bootstrap,
  };
}

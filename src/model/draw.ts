// Drawing one token from one row of logits: temperature, top-k, top-p (nucleus), and the drawn token's untempered
// log-probability, in O(V) per row.
//
// Why not a sort: the nucleus is a prefix of the ids in decreasing probability, but only its membership matters for
// the distribution, not its order. Sorting every row cost O(V log V) and was most of the sampling time once the
// default vocabulary grew to 377 ids (byte fallback): near the start of training the distribution is flat, the
// top-p 0.95 nucleus holds ~95% of the ids, and every row of every step sorted them (profile-decode, mini student
// at the GRPO shape: sampling ~50% of a decode step). Here the k-th largest and the cumulative-mass boundary are
// found by quickselect (expected O(V)), and the draw walks the nucleus in id order: the same distribution as a walk
// in probability order, so a given generator state may give a different (equally likely) token than the sort did.
//
// Order of candidates ("greater"): larger probability first, ties to the lower id. The nucleus is the shortest
// prefix in that order whose mass reaches topP of the (top-k) mass; with top-k, it is taken inside the top k.

import type { Rng } from "../util/rng.js";

/** Scratch buffers for drawToken, sized for one vocabulary (reused across rows and steps). */
export class DrawScratch {
  readonly probs: Float64Array;
  readonly idx: Int32Array;
  /** The untempered log-probability of the token the last drawToken call returned. */
  logprob = 0;
  constructor(readonly vocab: number) {
    this.probs = new Float64Array(vocab);
    this.idx = new Int32Array(vocab);
  }
}

/**
 * Draws a token from `row` (greedy at temperature 0, else softmax(row / T) cut to top-k then top-p) and sets
 * s.logprob to log softmax(row)[token] (temperature 1: what policy-gradient ratios need). Uses exactly one
 * rng.next() when temperature > 0 and none when greedy, so a row's generator advances the same way whatever the
 * options of other rows. -Infinity logits (masked ids) get probability 0 and are never drawn unless all are masked.
 */
export function drawToken(row: Float32Array, temperature: number, topP: number, topK: number, rng: Rng, s: DrawScratch): number {
  const V = row.length;
  if (V > s.vocab) throw new Error(`drawToken: row of ${V} logits exceeds the scratch size ${s.vocab}`);
  let mx = -Infinity, arg = 0;
  for (let j = 0; j < V; j++) if (row[j]! > mx) { mx = row[j]!; arg = j; }
  const probs = s.probs;
  // One pass for both the untempered normaliser (the logprob) and the tempered weights (the draw).
  let s1 = 0, sum = 0;
  if (temperature === 1 || temperature === 0) {
    for (let j = 0; j < V; j++) {
      const e = Math.exp(row[j]! - mx);
      probs[j] = e;
      s1 += e;
    }
    sum = s1;
  } else {
    const inv = 1 / temperature;
    for (let j = 0; j < V; j++) {
      const d = row[j]! - mx;
      s1 += Math.exp(d);
      const e = Math.exp(d * inv);
      probs[j] = e;
      sum += e;
    }
  }
  const token = temperature === 0 ? arg : pickFrom(probs, V, sum, topP, topK, rng, s.idx);
  // Written as logSoftmaxAt writes it, so that a sampled token's logprob equals the one an echo of it reports.
  s.logprob = row[token]! - mx - Math.log(s1);
  return token;
}

/** The draw proper, over unnormalised weights probs[0..V) that sum to `sum`. */
function pickFrom(probs: Float64Array, V: number, sum: number, topP: number, topK: number, rng: Rng, idx: Int32Array): number {
  const k = topK > 0 && topK < V ? topK : V;
  if (k === V && topP >= 1) {
    let u = rng.next() * sum;
    for (let j = 0; j < V; j++) {
      u -= probs[j]!;
      if (u < 0) return j;
    }
    return lastPositive(probs, V);
  }
  for (let j = 0; j < V; j++) idx[j] = j;
  let mass = sum;
  if (k < V) {
    selectCount(probs, idx, 0, V, k);
    mass = 0;
    for (let i = 0; i < k; i++) mass += probs[idx[i]!]!;
  }
  // The boundary: the last candidate (in "greater" order) that belongs to the nucleus.
  const c = topP < 1 ? selectMass(probs, idx, k, topP * mass) : smallest(probs, idx, k);
  const pc = probs[c]!;
  let total = 0;
  for (let j = 0; j < V; j++) {
    const p = probs[j]!;
    if (p > pc || (p === pc && j <= c)) total += p;
  }
  let u = rng.next() * total;
  let last = c;
  for (let j = 0; j < V; j++) {
    const p = probs[j]!;
    if (p > pc || (p === pc && j <= c)) {
      u -= p;
      if (u < 0) return j;
      if (p > 0) last = j;
    }
  }
  return last; // rounding left u >= 0: the last member with weight
}

function lastPositive(probs: Float64Array, V: number): number {
  for (let j = V - 1; j >= 0; j--) if (probs[j]! > 0) return j;
  return V - 1;
}

/** True when id a comes before id b: larger probability, ties to the lower id. */
function greater(probs: Float64Array, a: number, b: number): boolean {
  const pa = probs[a]!, pb = probs[b]!;
  return pa > pb || (pa === pb && a < b);
}

/** The last of idx[0..n) in "greater" order. */
function smallest(probs: Float64Array, idx: Int32Array, n: number): number {
  let c = idx[0]!;
  for (let i = 1; i < n; i++) if (greater(probs, c, idx[i]!)) c = idx[i]!;
  return c;
}

/**
 * Partitions idx[lo..hi) around a median-of-three pivot: afterwards idx[lo..p) come before the pivot, idx[p] is the
 * pivot, idx[p+1..hi) come after it. Keys are distinct (the id breaks ties), so the split is exact. Returns p.
 */
function partition(probs: Float64Array, idx: Int32Array, lo: number, hi: number): number {
  const mid = (lo + hi) >>> 1;
  const a = idx[lo]!, b = idx[mid]!, c = idx[hi - 1]!;
  // Median of three, moved to the end.
  let m: number;
  if (greater(probs, a, b)) m = greater(probs, b, c) ? mid : greater(probs, a, c) ? hi - 1 : lo;
  else m = greater(probs, a, c) ? lo : greater(probs, b, c) ? hi - 1 : mid;
  const pv = idx[m]!;
  idx[m] = idx[hi - 1]!;
  idx[hi - 1] = pv;
  let store = lo;
  for (let i = lo; i < hi - 1; i++) {
    const x = idx[i]!;
    if (greater(probs, x, pv)) {
      idx[i] = idx[store]!;
      idx[store++] = x;
    }
  }
  idx[hi - 1] = idx[store]!;
  idx[store] = pv;
  return store;
}

/** Rearranges idx[lo..hi) so that idx[lo..lo+k) hold its k first ids in "greater" order (in no particular order). */
function selectCount(probs: Float64Array, idx: Int32Array, lo: number, hi: number, k: number): void {
  const want = lo + k;
  while (hi - lo > 1) {
    const p = partition(probs, idx, lo, hi);
    if (p === want || p + 1 === want) return;
    if (p > want) hi = p;
    else lo = p + 1;
  }
}

/**
 * The nucleus boundary among idx[0..n): the first id, in "greater" order, at which the running mass reaches
 * `target` (the last of the n when rounding keeps it from being reached). Expected O(n): each partition keeps the
 * side that holds the boundary and carries the mass of what it skipped.
 */
function selectMass(probs: Float64Array, idx: Int32Array, n: number, target: number): number {
  let lo = 0, hi = n, need = target;
  while (hi - lo > 8) {
    const p = partition(probs, idx, lo, hi);
    let before = 0;
    for (let i = lo; i < p; i++) before += probs[idx[i]!]!;
    if (before >= need) hi = p;
    else if (before + probs[idx[p]!]! >= need) return idx[p]!;
    else {
      need -= before + probs[idx[p]!]!;
      lo = p + 1;
    }
  }
  // A few left: insertion sort, then walk.
  for (let i = lo + 1; i < hi; i++) {
    const x = idx[i]!;
    let j = i;
    while (j > lo && greater(probs, x, idx[j - 1]!)) { idx[j] = idx[j - 1]!; j--; }
    idx[j] = x;
  }
  let acc = 0;
  for (let i = lo; i < hi; i++) {
    acc += probs[idx[i]!]!;
    if (acc >= need) return idx[i]!;
  }
  return smallest(probs, idx, n);
}

/** log softmax(row)[tok]. */
export function logSoftmaxAt(row: Float32Array, tok: number): number {
  let mx = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j]! > mx) mx = row[j]!;
  let s = 0;
  for (let j = 0; j < row.length; j++) s += Math.exp(row[j]! - mx);
  return row[tok]! - mx - Math.log(s);
}

// Loss functions over logits: the engine runs the forward pass, calls one of these to get the loss and
// d(loss)/d(logits), and back-propagates that. Pure functions over plain arrays, no model state, so every loss is
// testable against finite differences on its own.
//
// Conventions shared by all token losses:
// - logits[i] holds, for datum i, one row of `vocab` logits per target position t (predicting tokens[t + 1]), i.e.
//   (tokens.length - 1) * vocab floats. dlogits has the same shapes.
// - weights[t] is the loss mask and TriMER's reasoning-weighted masking: a token with weight 2 counts exactly like
//   the same token appearing twice. Weight 0 positions are skipped entirely (no gradient, not counted).
// - The returned dlogits already include the batch normalisation, so the engine back-propagates them as they are.
// - Per-row work is done in float64 (JS numbers and a Float64Array scratch row; for cross_entropy and policy_gradient
//   the native softmax-row kernels when loaded, Kernels.softmaxStats / softmaxGrad) with the log-sum-exp shift, so
//   -Infinity logits (masked vocabulary entries) are fine; a row with a NaN or +Infinity logit, or with every logit
//   -Infinity, is an InputError naming the datum and position.
// - Memory: TokenLossOptions.totals lets the engine run one batch in chunks with identical results, and
//   TokenLossOptions.inPlace writes dlogits over the logits instead of allocating a second logits-sized buffer.
import type { Datum, LossSpec, TeacherTargets } from "./types.js";
import { InputError } from "../util/errors.js";
import { kernels, type Kernels } from "./kernels.js";

export interface LossOutput {
  loss: number;
  /** d(loss)/d(logits), same shapes as the logits; batch normalisation included. */
  dlogits: Float32Array[];
  /** Number of target positions with weight > 0 that contributed. */
  tokens: number;
  metrics: Record<string, number>;
}

export type TokenLossSpec = Exclude<LossSpec, { type: "pairwise" }>;

// exp(x) for x ≤ 0, the only range a shifted softmax needs. Math.exp costs ~10 ns per call here and dominates a
// 32,000-entry softmax; this table-driven version runs in ~3 ns with a relative error below 1e-13 (far under
// float32's 6e-8). Method: x = −k·ln2/64 + r with |r| ≤ ln2/128, exp(x) = 2^(−k/64) · e^r, the first factor from a
// table and e^r from its degree-5 Taylor polynomial (truncation error |r|⁶/720 < 4e-17).
const EXP_STEPS = 64;
const EXP_TABLE = (() => {
  const n = EXP_STEPS * 1076; // down to 2^-1076, below the smallest subnormal double: every smaller x gives 0
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.pow(2, -Math.floor(i / EXP_STEPS)) * Math.pow(2, -(i % EXP_STEPS) / EXP_STEPS);
  return t;
})();
const EXP_SCALE = EXP_STEPS / Math.LN2;
const EXP_STEP = Math.LN2 / EXP_STEPS;

/** e^x for x ≤ 0 (x = -Infinity gives 0). Exported for its test; not for general use (x > 0 is out of range). */
export function expNonPositive(x: number): number {
  const k = Math.floor(0.5 - x * EXP_SCALE);
  if (!(k < EXP_TABLE.length)) return 0;
  const r = x + k * EXP_STEP;
  return EXP_TABLE[k]! * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))))));
}

/**
 * One row's softmax at temperature T, kept unnormalised: e[j] = exp((z_j − max) / T), p_j = e[j] · inv, and
 * lse = log Σ exp(z_j / T), so log p_j = z_j / T − lse. Also the row's argmax (first maximum). One scratch
 * object per loss call, reused for every row.
 */
class RowSoftmax {
  readonly e: Float64Array;
  lse = 0;
  inv = 0;
  argmax = 0;
  constructor(vocab: number) {
    this.e = new Float64Array(vocab);
  }

  /** `where` names the row in error messages (called only on error). */
  compute(z: ArrayLike<number>, off: number, vocab: number, invT: number, where: () => string): void {
    let max = -Infinity;
    let argmax = 0;
    let nan = false;
    for (let j = 0; j < vocab; j++) {
      const v = z[off + j]!;
      if (v > max) { max = v; argmax = j; } else if (v !== v) nan = true;
    }
    if (nan || !(max > -Infinity) || max === Infinity) {
      throw new InputError(`${where()}: logits ${nan ? "contain NaN" : max === Infinity ? "contain +Infinity" : "are all -Infinity"}`);
    }
    const e = this.e;
    let sum = 0;
    for (let j = 0; j < vocab; j++) {
      const x = expNonPositive((z[off + j]! - max) * invT);
      e[j] = x;
      sum += x;
    }
    this.inv = 1 / sum;
    this.lse = max * invT + Math.log(sum);
    this.argmax = argmax;
  }
}

/**
 * Checks the shapes everything downstream of a batch relies on — the engine before its forward pass, the token
 * losses before reading logits — and names the datum and field at fault. With `logits`, their rows must match
 * (n target positions × vocab each). `minTokens`: the engine asks for 2 (a datum must predict something).
 */
export function checkBatch(batch: readonly Datum[], vocab: number, opts: { logits?: readonly Float32Array[]; minTokens?: number } = {}): void {
  if (!Number.isInteger(vocab) || vocab < 1) throw new InputError(`vocab must be a positive integer, got ${vocab}`);
  const { logits, minTokens = 1 } = opts;
  if (!logits && batch.length === 0) throw new InputError("empty batch");
  if (logits && logits.length !== batch.length) {
    throw new InputError(`logits has ${logits.length} rows but the batch has ${batch.length} data`);
  }
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    if (!Array.isArray(d.tokens) || d.tokens.length < minTokens) {
      throw new InputError(minTokens > 1 ? `datum ${i}: needs at least ${minTokens} tokens, got ${d.tokens?.length}` : `datum ${i}: tokens is empty`);
    }
    const n = d.tokens.length - 1;
    if (!Array.isArray(d.weights) || d.weights.length !== n) {
      throw new InputError(`datum ${i}: weights has length ${d.weights?.length}, expected tokens.length - 1 = ${n}`);
    }
    if (logits && logits[i]!.length !== n * vocab) {
      throw new InputError(`datum ${i}: logits has length ${logits[i]!.length}, expected ${n} positions × vocab ${vocab} = ${n * vocab}`);
    }
    for (let t = 0; t < n; t++) {
      const w = d.weights[t]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new InputError(`datum ${i}: weights[${t}] = ${w} (must be finite and ≥ 0)`);
    }
    for (let t = 0; t <= n; t++) {
      const id = d.tokens[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new InputError(`datum ${i}: tokens[${t}] = ${id} is outside the vocabulary [0, ${vocab})`);
    }
  }
}

/**
 * The k3 estimator of KL(p ‖ q) from one sample x ~ p, given δ = log q(x) − log p(x): e^δ − δ − 1 (unbiased and
 * never negative; Schulman's "Approximating KL divergence"). The β term of the policy-gradient loss, its approxKl
 * metric and GRPO's KL-to-start monitor all use it.
 */
export function k3(delta: number): number {
  return Math.exp(delta) - delta - 1;
}

function checkPerToken(arr: ArrayLike<number> | undefined, n: number, i: number, field: string): void {
  if (arr === undefined) return;
  if (arr.length !== n) throw new InputError(`datum ${i}: ${field} has length ${arr.length}, expected tokens.length - 1 = ${n}`);
}

/** The dlogits arrays: fresh zeros, or the logits themselves (cleared where no gradient is written) in place. */
function gradientArrays(logits: Float32Array[], inPlace: boolean): Float32Array[] {
  return inPlace ? logits : logits.map((l) => new Float32Array(l.length));
}

function clearAll(dlogits: Float32Array[], inPlace: boolean): Float32Array[] {
  if (inPlace) for (const g of dlogits) g.fill(0);
  return dlogits;
}

/**
 * The batch-wide normalisers of every token loss. tokenLoss computes them from its batch by default; an engine that
 * runs one batch in chunks (to bound the memory of the logits) computes them once for the whole batch with
 * batchTotals and passes them to every chunk: the chunks' losses, metrics and dlogits then sum to exactly the
 * whole batch's (every output is linear in these normalisers).
 */
export interface BatchTotals {
  /** Σ of all weights. */
  weight: number;
  /** Data with at least one weight > 0 ("sequence" aggregation). */
  sequences: number;
  /** All data, weighted or not ("constant" aggregation). */
  data: number;
}

export function batchTotals(batch: readonly Datum[]): BatchTotals {
  let weight = 0;
  let sequences = 0;
  for (const d of batch) {
    let any = false;
    for (const w of d.weights) {
      weight += w;
      if (w > 0) any = true;
    }
    if (any) sequences++;
  }
  return { weight, sequences, data: batch.length };
}

function countTokens(batch: readonly Datum[]): number {
  let tokens = 0;
  for (const d of batch) for (const w of d.weights) if (w > 0) tokens++;
  return tokens;
}

function checkTotals(t: BatchTotals): void {
  if (!(t.weight >= 0 && Number.isFinite(t.weight)) || !Number.isInteger(t.sequences) || t.sequences < 0 || !Number.isInteger(t.data) || t.data < 0) {
    throw new InputError(`batch totals are invalid: ${JSON.stringify(t)}`);
  }
  if (t.weight > 0 && (t.sequences === 0 || t.data === 0)) throw new InputError(`batch totals are inconsistent: ${JSON.stringify(t)}`);
}

/**
 * log-softmax gathered at the targets: per datum, a Float32Array of length tokens.length - 1 (all positions). At
 * temperature T the distribution is softmax(z / T), the one the policy-gradient loss scores at spec.temperature T
 * (so p_old of a multi-pass PPO step belongs to the same distribution as its logp).
 */
export function targetLogprobs(batch: Datum[], logits: Float32Array[], vocab: number, temperature = 1): Float32Array[] {
  checkBatch(batch, vocab, { logits });
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new InputError(`logprobs: temperature must be a positive number, got ${temperature}`);
  const invT = 1 / temperature;
  const row = new RowSoftmax(vocab);
  return batch.map((d, i) => {
    const n = d.tokens.length - 1;
    const out = new Float32Array(n);
    const z = logits[i]!;
    for (let t = 0; t < n; t++) {
      const y = d.tokens[t + 1]!;
      if (!Number.isInteger(y) || y < 0 || y >= vocab) {
        throw new InputError(`datum ${i}: tokens[${t + 1}] = ${y} is outside the vocabulary [0, ${vocab})`);
      }
      row.compute(z, t * vocab, vocab, invT, () => `datum ${i}, position ${t}`);
      out[t] = z[t * vocab + y]! * invT - row.lse;
    }
    return out;
  });
}

/** The native softmax-row kernels cross_entropy and policy_gradient use when present (Kernels.softmaxStats). */
export type RowKernels = Required<Pick<Kernels, "softmaxStats" | "softmaxGrad">>;

function defaultRowKernels(): RowKernels | null {
  const k = kernels();
  return k.softmaxStats && k.softmaxGrad ? (k as RowKernels) : null;
}

/**
 * The weighted positions of one datum and their softmax statistics at 1 / invT, from the row kernels (float64,
 * vectorised: the TypeScript loop spent ~11 ns per logit). Throws the InputError RowSoftmax would, at the first bad
 * position in order.
 */
class DatumRows {
  n = 0;
  pos: Int32Array;
  off: Int32Array;
  lse: Float64Array;
  amax: Int32Array;
  pz: Float64Array;
  a: Float64Array;
  b: Float64Array;
  y: Int32Array;
  constructor(cap: number) {
    this.pos = new Int32Array(cap);
    this.off = new Int32Array(cap);
    this.lse = new Float64Array(cap);
    this.amax = new Int32Array(cap);
    this.pz = new Float64Array(cap);
    this.a = new Float64Array(cap);
    this.b = new Float64Array(cap);
    this.y = new Int32Array(cap);
  }

  static forBatch(batch: readonly Datum[]): DatumRows {
    let cap = 1;
    for (const d of batch) cap = Math.max(cap, d.weights.length);
    return new DatumRows(cap);
  }

  /** Collects datum i's positions with weight > 0 and computes their statistics. */
  load(rk: RowKernels, d: Datum, z: Float32Array, vocab: number, invT: number): void {
    let n = 0;
    for (let t = 0; t < d.weights.length; t++) {
      if (d.weights[t] === 0) continue;
      this.pos[n] = t;
      this.off[n] = t * vocab;
      this.y[n] = d.tokens[t + 1]!;
      n++;
    }
    this.n = n;
    if (n) rk.softmaxStats(z, this.off, n, vocab, invT, this.lse, this.amax, this.pz);
  }

  /** Throws for position k when its logits had a NaN, +Infinity or only -Infinity (RowSoftmax's messages). */
  check(k: number, i: number): void {
    const am = this.amax[k]!;
    if (am >= 0) return;
    const what = am === -1 ? "contain NaN" : am === -2 ? "contain +Infinity" : "are all -Infinity";
    throw new InputError(`datum ${i}, position ${this.pos[k]}: logits ${what}`);
  }

  /** Writes the gradient rows: g = a · p, plus b at the target (Kernels.softmaxGrad). */
  grad(rk: RowKernels, z: Float32Array, g: Float32Array, vocab: number, invT: number): void {
    if (this.n) rk.softmaxGrad(z, g, this.off, this.n, vocab, invT, this.lse, this.a, this.y, this.b);
  }
}

/** In place: zero the rows of the positions with weight 0 (fresh gradient arrays are zero already). */
function clearUnweighted(d: Datum, g: Float32Array, vocab: number): void {
  for (let t = 0; t < d.weights.length; t++) if (d.weights[t] === 0) g.fill(0, t * vocab, (t + 1) * vocab);
}

export interface TokenLossOptions {
  /**
   * The softmax-row kernels for cross_entropy and policy_gradient: default the native ones when loaded; null runs
   * the float64 TypeScript loop (the reference: the two agree to float32 rounding of the gradients).
   */
  rowKernels?: RowKernels | null;
  /** Normalisers; default: this batch's own. Pass the whole batch's (batchTotals) when `batch` is one chunk of it. */
  totals?: BatchTotals;
  /**
   * Write dlogits over the logits (the returned dlogits are the logits arrays), saving one logits-sized buffer:
   * 0.5 GB for config C's batch (8 × 512 × 32,000 floats). The logits are gone afterwards.
   */
  inPlace?: boolean;
}

/**
 * The token losses: cross_entropy, distill and policy_gradient. See each implementation for the exact definition
 * and normalisation.
 */
export function tokenLoss(spec: TokenLossSpec, batch: Datum[], logits: Float32Array[], vocab: number, opts: TokenLossOptions = {}): LossOutput {
  checkBatch(batch, vocab, { logits });
  const totals = opts.totals ?? batchTotals(batch);
  checkTotals(totals);
  const inPlace = opts.inPlace ?? false;
  switch (spec.type) {
    case "cross_entropy": {
      const rk = opts.rowKernels === undefined ? defaultRowKernels() : opts.rowKernels;
      return rk ? crossEntropyRows(rk, batch, logits, vocab, totals, inPlace) : crossEntropy(batch, logits, vocab, totals, inPlace);
    }
    case "distill":
      return distillLoss(spec, batch, logits, vocab, totals, inPlace);
    case "policy_gradient":
      return policyGradient(spec, batch, logits, vocab, totals, inPlace, opts.rowKernels === undefined ? defaultRowKernels() : opts.rowKernels);
    default: {
      const type = (spec as { type: unknown }).type;
      if (type === "pairwise") throw new InputError("the pairwise loss works on scalar scores: use pairwiseLoss(scores), not tokenLoss");
      throw new InputError(`unknown loss type ${JSON.stringify(type)}`);
    }
  }
}

/**
 * Weighted next-token cross-entropy: L = Σ w·nll / Σ w over the whole batch (the reference's `check` definition).
 * A batch whose weights are all 0 gives L = 0 and zero gradients.
 * Metrics: ce (= loss), accuracy (weighted share of positions whose argmax is the target).
 */
function crossEntropy(batch: Datum[], logits: Float32Array[], vocab: number, totals: BatchTotals, inPlace: boolean): LossOutput {
  const W = totals.weight;
  const tokens = countTokens(batch);
  const dlogits = gradientArrays(logits, inPlace);
  if (W === 0) return { loss: 0, dlogits: clearAll(dlogits, inPlace), tokens: 0, metrics: { ce: 0, accuracy: 0 } };
  const row = new RowSoftmax(vocab);
  const e = row.e;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const z = logits[i]!;
    const g = dlogits[i]!;
    for (let t = 0; t < d.weights.length; t++) {
      const w = d.weights[t]!;
      if (w === 0) {
        if (inPlace) g.fill(0, t * vocab, (t + 1) * vocab);
        continue;
      }
      const off = t * vocab;
      const y = d.tokens[t + 1]!;
      row.compute(z, off, vocab, 1, () => `datum ${i}, position ${t}`);
      loss += w * (row.lse - z[off + y]!);
      if (row.argmax === y) correct += w;
      const c = w / W;
      const ci = c * row.inv;
      for (let j = 0; j < vocab; j++) g[off + j] = ci * e[j]!;
      g[off + y] = ci * e[y]! - c;
    }
  }
  loss /= W;
  return { loss, dlogits, tokens, metrics: { ce: loss, accuracy: correct / W } };
}

/** crossEntropy through the row kernels: the same loss, metrics and gradients (to float32 rounding). */
function crossEntropyRows(rk: RowKernels, batch: Datum[], logits: Float32Array[], vocab: number, totals: BatchTotals, inPlace: boolean): LossOutput {
  const W = totals.weight;
  const tokens = countTokens(batch);
  const dlogits = gradientArrays(logits, inPlace);
  if (W === 0) return { loss: 0, dlogits: clearAll(dlogits, inPlace), tokens: 0, metrics: { ce: 0, accuracy: 0 } };
  const rows = DatumRows.forBatch(batch);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const z = logits[i]!;
    rows.load(rk, d, z, vocab, 1);
    for (let k = 0; k < rows.n; k++) {
      rows.check(k, i);
      const t = rows.pos[k]!, w = d.weights[t]!, y = rows.y[k]!;
      loss += w * (rows.lse[k]! - z[t * vocab + y]!);
      if (rows.amax[k] === y) correct += w;
      const c = w / W;
      rows.a[k] = c;
      rows.b[k] = -c;
    }
    rows.grad(rk, z, dlogits[i]!, vocab, 1);
    if (inPlace) clearUnweighted(d, dlogits[i]!, vocab);
  }
  loss /= W;
  return { loss, dlogits, tokens, metrics: { ce: loss, accuracy: correct / W } };
}

/**
 * Distillation, TriMER stage 1: per target token
 *   ℓ = α · T² · KL(p_T ‖ q_T) + (1 − α) · CE(q_1, y)
 * with p_T = softmax(z_teacher / T), q_T = softmax(z_student / T), and CE at temperature 1 on the data token.
 * Weighted and normalised like cross_entropy: L = Σ w·ℓ / Σ w. The T² keeps the KL gradient's scale independent of
 * T (Hinton et al.): dℓ/dz_s = α·T·(q_T − p_T) + (1 − α)·(q_1 − onehot(y)).
 *
 * Teacher given as top-k logprobs ({kind: "topk"}): we use the standard "sparse KL" convention — the teacher is
 * the distribution obtained by tempering its k logprobs (lp_j / T) and renormalising over those k ids, with zero
 * mass elsewhere; the student keeps its full-vocabulary softmax at T. The term is then exactly KL(p̃_T ‖ q_T): it
 * pulls the k ids towards the teacher's relative preferences and pushes student mass off the other ids, and it
 * equals the full-logits loss when k = vocab. (Tempering the renormalised top-k is exact: lp_j / T = z_j / T − c,
 * and the constant cancels in the renormalisation.) Entries with id < 0 are padding and are skipped (a teacher
 * that returned fewer than k alternatives); duplicate ids are an error.
 * Metrics: kl (weighted mean KL at T, without the T² factor), ce (weighted mean CE at T = 1).
 */
function distillLoss(
  spec: Extract<LossSpec, { type: "distill" }>,
  batch: Datum[],
  logits: Float32Array[],
  vocab: number,
  totals: BatchTotals,
  inPlace: boolean,
): LossOutput {
  const { alpha, temperature: T } = spec;
  if (!(alpha >= 0 && alpha <= 1)) throw new InputError(`distill: alpha must be in [0, 1], got ${alpha}`);
  if (!(T > 0) || !Number.isFinite(T)) throw new InputError(`distill: temperature must be a positive number, got ${T}`);
  for (let i = 0; i < batch.length; i++) checkTeacher(batch[i]!, i, vocab);
  const W = totals.weight;
  const tokens = countTokens(batch);
  const dlogits = gradientArrays(logits, inPlace);
  if (W === 0) return { loss: 0, dlogits: clearAll(dlogits, inPlace), tokens: 0, metrics: { kl: 0, ce: 0 } };
  const invT = 1 / T;
  const s1 = new RowSoftmax(vocab); // student at T = 1
  const sT = new RowSoftmax(vocab); // student at T
  const tT = new RowSoftmax(vocab); // teacher at T (full logits)
  const mark = new Int32Array(vocab).fill(-1); // duplicate-id detection for top-k teachers
  let stamp = 0;
  let klSum = 0;
  let ceSum = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const teacher = d.teacher!;
    const z = logits[i]!;
    const g = dlogits[i]!;
    for (let t = 0; t < d.weights.length; t++) {
      const w = d.weights[t]!;
      if (w === 0) {
        if (inPlace) g.fill(0, t * vocab, (t + 1) * vocab);
        continue;
      }
      const off = t * vocab;
      const y = d.tokens[t + 1]!;
      const where = (): string => `datum ${i}, position ${t}`;
      s1.compute(z, off, vocab, 1, where);
      const zy = z[off + y]!; // read before the gradient overwrites the row (inPlace)
      const qT = T === 1 ? s1 : sT;
      if (T !== 1) sT.compute(z, off, vocab, invT, where);
      const c = w / W;
      const cKl = c * alpha * T; // α·T²·(1/T) from the chain rule through z/T
      const cCe = c * (1 - alpha);
      const a1 = cCe * s1.inv; // g_j = cKl·(q_T,j − p_j) + cCe·q_1,j, with q = e·inv
      const aT = cKl * qT.inv;
      const e1 = s1.e;
      const eT = qT.e;
      let kl = 0;
      if (teacher.kind === "logits") {
        const tz = teacher.logits;
        tT.compute(tz, off, vocab, invT, () => `datum ${i}, teacher position ${t}`);
        const eP = tT.e;
        const bP = cKl * tT.inv;
        // KL = Σ p_j (log p_j − log q_j) = Σ p_j (zt_j − zs_j)/T − lse_p + lse_q, since Σ p_j = 1.
        let cross = 0;
        for (let j = 0; j < vocab; j++) {
          const ep = eP[j]!;
          if (ep > 0) cross += ep * (tz[off + j]! - z[off + j]!);
          g[off + j] = aT * eT[j]! - bP * ep + a1 * e1[j]!;
        }
        kl = cross * tT.inv * invT - tT.lse + qT.lse;
      } else {
        const { k, ids, logprobs } = teacher;
        // Tempered, renormalised teacher over the k ids (log-sum-exp over at most k entries).
        let max = -Infinity;
        stamp++;
        for (let a = 0; a < k; a++) {
          const id = ids[t * k + a]!;
          if (id < 0) continue;
          if (mark[id] === stamp) throw new InputError(`${where()}: teacher top-k repeats token id ${id}`);
          mark[id] = stamp;
          const v = logprobs[t * k + a]! * invT;
          if (v > max) max = v;
        }
        if (!(max > -Infinity)) throw new InputError(`${where()}: teacher top-k has no finite logprob`);
        let s = 0;
        for (let a = 0; a < k; a++) if (ids[t * k + a]! >= 0) s += Math.exp(logprobs[t * k + a]! * invT - max);
        const lseP = max + Math.log(s);
        // KL over the k ids first: it reads the student's logits, which the row write below may overwrite.
        for (let a = 0; a < k; a++) {
          const id = ids[t * k + a]!;
          if (id < 0) continue;
          const logp = logprobs[t * k + a]! * invT - lseP;
          const p = Math.exp(logp);
          if (p > 0) kl += p * (logp - (z[off + id]! * invT - qT.lse));
        }
        for (let j = 0; j < vocab; j++) g[off + j] = aT * eT[j]! + a1 * e1[j]!;
        for (let a = 0; a < k; a++) {
          const id = ids[t * k + a]!;
          if (id >= 0) g[off + id] = g[off + id]! - cKl * Math.exp(logprobs[t * k + a]! * invT - lseP);
        }
      }
      g[off + y] = g[off + y]! - cCe;
      klSum += w * kl;
      ceSum += w * (s1.lse - zy);
    }
  }
  const kl = klSum / W;
  const ce = ceSum / W;
  // A term whose coefficient is 0 is left out, so an infinite CE at α = 1 (or KL at α = 0) does not give 0·∞ = NaN.
  const loss = (alpha > 0 ? alpha * T * T * kl : 0) + (alpha < 1 ? (1 - alpha) * ce : 0);
  return { loss, dlogits, tokens, metrics: { kl, ce } };
}

function checkTeacher(d: Datum, i: number, vocab: number): void {
  const n = d.tokens.length - 1;
  const teacher: TeacherTargets | undefined = d.teacher;
  if (!teacher) throw new InputError(`datum ${i}: distill needs teacher targets (datum.teacher)`);
  if (teacher.kind === "logits") {
    if (teacher.vocab !== vocab) throw new InputError(`datum ${i}: teacher vocab ${teacher.vocab} differs from the student's ${vocab}`);
    if (teacher.logits.length !== n * vocab) {
      throw new InputError(`datum ${i}: teacher.logits has length ${teacher.logits.length}, expected ${n} × ${vocab}`);
    }
  } else if (teacher.kind === "topk") {
    const { k, ids, logprobs } = teacher;
    if (!Number.isInteger(k) || k < 1) throw new InputError(`datum ${i}: teacher k must be a positive integer, got ${k}`);
    if (ids.length !== n * k || logprobs.length !== n * k) {
      throw new InputError(`datum ${i}: teacher ids/logprobs have lengths ${ids.length}/${logprobs.length}, expected ${n} × k ${k} = ${n * k}`);
    }
    for (let a = 0; a < ids.length; a++) {
      if (ids[a]! >= vocab) throw new InputError(`datum ${i}: teacher id ${ids[a]} at position ${Math.floor(a / k)} is outside the vocabulary [0, ${vocab})`);
      if (Number.isNaN(logprobs[a]!) || logprobs[a]! > 1e-3) {
        throw new InputError(`datum ${i}: teacher logprob ${logprobs[a]} at position ${Math.floor(a / k)} is not a log-probability`);
      }
    }
  } else {
    throw new InputError(`datum ${i}: unknown teacher kind ${JSON.stringify((teacher as { kind: unknown }).kind)}`);
  }
}

/**
 * Clipped policy gradient (PPO surrogate as used by GRPO / DAPO / Dr.GRPO). Per target token with weight w > 0:
 *   r = exp(logp − oldLogp),  ℓ = −min(r·A, clip(r, 1−ε, 1+ε)·A)  [+ β·k3 with k3 = e^(ref−logp) − (ref−logp) − 1]
 * where logp is the policy's log-probability at the sampling temperature T (spec.temperature, default 1):
 * log softmax(z / T), as TRL computes it, so that the ratio and the gradient (d logp / d z = (onehot − p_T) / T)
 * belong to the distribution the samples came from. Without oldLogprobs the step is on-policy
 * (oldLogp = logp, detached: r = 1), which is TriMER's "one gradient step per batch". The clipped branch has zero
 * gradient, so a token whose ratio is already past the clip in the advantage's direction stops moving.
 * Aggregation of Σ w·ℓ (the weight w scales each token):
 *   - "sequence" (GRPO): mean over each sequence's weighted tokens, then mean over the sequences that have any.
 *   - "token" (DAPO): Σ w·ℓ / Σ w over the whole batch.
 *   - "constant" (Dr.GRPO): Σ w·ℓ / (constant · number of data) — a normaliser that does not depend on the lengths.
 * (Counts and sums are over the whole batch: see BatchTotals for running a batch in chunks.)
 * Metrics (weighted means over the contributing tokens): clipFraction (share of tokens on the clipped branch),
 * entropy (policy entropy, nats), approxKl (KL(old ‖ new) by the k3 estimator r − 1 − log r), ratioMean,
 * advantageMean, pgLoss (the surrogate part of the loss) and, with β > 0, kl (k3 to the reference).
 */
function policyGradient(
  spec: Extract<LossSpec, { type: "policy_gradient" }>,
  batch: Datum[],
  logits: Float32Array[],
  vocab: number,
  totals: BatchTotals,
  inPlace: boolean,
  rk: RowKernels | null,
): LossOutput {
  const eps = spec.clip;
  const beta = spec.beta ?? 0;
  const T = spec.temperature ?? 1;
  if (!(T > 0) || !Number.isFinite(T)) throw new InputError(`policy_gradient: temperature must be a positive number, got ${T}`);
  const invT = 1 / T;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new InputError(`policy_gradient: clip must be a finite number ≥ 0, got ${eps}`);
  if (!(beta >= 0) || !Number.isFinite(beta)) throw new InputError(`policy_gradient: beta must be a finite number ≥ 0, got ${beta}`);
  if (spec.aggregation === "constant" && !(Number.isFinite(spec.constant) && spec.constant! > 0)) {
    throw new InputError(`policy_gradient: aggregation "constant" needs a positive spec.constant, got ${spec.constant}`);
  }
  if (!["sequence", "token", "constant"].includes(spec.aggregation)) {
    throw new InputError(`policy_gradient: unknown aggregation ${JSON.stringify(spec.aggregation)}`);
  }
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const n = d.tokens.length - 1;
    if (!d.advantages) throw new InputError(`datum ${i}: policy_gradient needs advantages`);
    checkPerToken(d.advantages, n, i, "advantages");
    checkPerToken(d.oldLogprobs, n, i, "oldLogprobs");
    if (beta > 0) {
      if (!d.refLogprobs) throw new InputError(`datum ${i}: policy_gradient with beta > 0 needs refLogprobs`);
      checkPerToken(d.refLogprobs, n, i, "refLogprobs");
    }
    for (let t = 0; t < n; t++) {
      if (d.weights[t] === 0) continue;
      if (!Number.isFinite(d.advantages[t]!)) throw new InputError(`datum ${i}: advantages[${t}] = ${d.advantages[t]} is not finite`);
      if (d.oldLogprobs && !Number.isFinite(d.oldLogprobs[t]!)) {
        throw new InputError(`datum ${i}: oldLogprobs[${t}] = ${d.oldLogprobs[t]} is not finite (a sampled token cannot have probability 0)`);
      }
      if (beta > 0 && !Number.isFinite(d.refLogprobs![t]!)) throw new InputError(`datum ${i}: refLogprobs[${t}] = ${d.refLogprobs![t]} is not finite`);
    }
  }

  const W = totals.weight;
  const tokens = countTokens(batch);
  const dlogits = gradientArrays(logits, inPlace);
  const zeroMetrics = { pgLoss: 0, clipFraction: 0, entropy: 0, approxKl: 0, ratioMean: 0, advantageMean: 0, ...(beta > 0 ? { kl: 0 } : {}) };
  if (W === 0) return { loss: 0, dlogits: clearAll(dlogits, inPlace), tokens: 0, metrics: zeroMetrics };

  const sequences = totals.sequences;
  const row = new RowSoftmax(vocab);
  const e = row.e;
  const rows = rk ? DatumRows.forBatch(batch) : null;
  let loss = 0;
  let pgLoss = 0;
  const m = { clipped: 0, entropy: 0, approxKl: 0, ratio: 0, adv: 0, kl: 0 };
  // d ℓ / d logp of one token, its loss and metrics (shared by the row-kernel and TypeScript paths).
  const token = (d: Datum, i: number, t: number, w: number, scale: number, logp: number, entropy: number): number => {
    if (logp === -Infinity) {
      throw new InputError(`datum ${i}, position ${t}: target token ${d.tokens[t + 1]} has probability 0 under the policy (logit -Infinity), so it cannot have been sampled`);
    }
    const A = d.advantages![t]!;
    const old = d.oldLogprobs ? d.oldLogprobs[t]! : logp;
    const r = Math.exp(logp - old);
    const rc = Math.min(Math.max(r, 1 - eps), 1 + eps);
    const unclipped = r * A;
    const clippedTerm = rc * A;
    const onClip = clippedTerm < unclipped; // min picks the clipped (constant) branch: no gradient
    let tokenLoss = -Math.min(unclipped, clippedTerm);
    let dLogp = onClip ? 0 : -A * r; // d ℓ / d logp
    pgLoss += w * scale * tokenLoss;
    if (beta > 0) {
      const delta = d.refLogprobs![t]! - logp;
      const kl = k3(delta);
      tokenLoss += beta * kl;
      dLogp += beta * (1 - Math.exp(delta));
      m.kl += w * kl;
    }
    loss += w * scale * tokenLoss;
    if (onClip) m.clipped += w;
    m.entropy += w * entropy;
    m.approxKl += w * k3(logp - old); // KL(old ‖ new) on samples from old: δ = logp − old
    m.ratio += w * r;
    m.adv += w * A;
    return dLogp;
  };
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const n = d.weights.length;
    let Wi = 0;
    for (const w of d.weights) Wi += w;
    if (Wi === 0) {
      if (inPlace) dlogits[i]!.fill(0);
      continue;
    }
    // Per-token scale for this sequence, before the token's own weight.
    const scale = spec.aggregation === "token" ? 1 / W : spec.aggregation === "sequence" ? 1 / (Wi * sequences) : 1 / (spec.constant! * totals.data);
    const z = logits[i]!;
    const g = dlogits[i]!;
    if (rows) {
      rows.load(rk!, d, z, vocab, invT);
      for (let k = 0; k < rows.n; k++) {
        rows.check(k, i);
        const t = rows.pos[k]!, w = d.weights[t]!;
        const lse = rows.lse[k]!;
        const logp = z[t * vocab + rows.y[k]!]! * invT - lse;
        // Entropy H = lse − Σ p_j z_j / T.
        const dLogp = token(d, i, t, w, scale, logp, lse - rows.pz[k]! * invT);
        // d logp / d z_j = (onehot(y)_j − p_j) / T; "0 −" so that c = 0 writes +0, not −0.
        const c = w * scale * dLogp * invT;
        rows.a[k] = 0 - c;
        rows.b[k] = c;
      }
      rows.grad(rk!, z, g, vocab, invT);
      if (inPlace) clearUnweighted(d, g, vocab);
      continue;
    }
    for (let t = 0; t < n; t++) {
      const w = d.weights[t]!;
      if (w === 0) {
        if (inPlace) g.fill(0, t * vocab, (t + 1) * vocab);
        continue;
      }
      const off = t * vocab;
      const y = d.tokens[t + 1]!;
      row.compute(z, off, vocab, invT, () => `datum ${i}, position ${t}`);
      const logp = z[off + y]! * invT - row.lse;
      // Entropy of the sampled distribution H = −Σ p_j (z_j / T − lse) = lse − Σ p_j z_j / T: no log per entry.
      let pz = 0;
      for (let j = 0; j < vocab; j++) {
        const ej = e[j]!;
        if (ej > 0) pz += ej * z[off + j]!; // read z before g overwrites it (inPlace)
      }
      const dLogp = token(d, i, t, w, scale, logp, row.lse - pz * row.inv * invT);
      // d logp / d z_j = (onehot(y)_j − p_j) / T
      const c = w * scale * dLogp * invT;
      const nci = 0 - c * row.inv; // "0 −" so that c = 0 (clipped, or A = 0) writes +0, not −0
      for (let j = 0; j < vocab; j++) g[off + j] = nci * e[j]!;
      g[off + y] = g[off + y]! + c;
    }
  }
  const metrics: Record<string, number> = {
    pgLoss,
    clipFraction: m.clipped / W,
    entropy: m.entropy / W,
    approxKl: m.approxKl / W,
    ratioMean: m.ratio / W,
    advantageMean: m.adv / W,
  };
  if (beta > 0) metrics.kl = m.kl / W;
  return { loss, dlogits, tokens, metrics };
}

/**
 * One pair's share of the pairwise accuracy, given s_chosen − s_rejected: 1 when the chosen side scores higher, 0
 * when lower, and ½ on a tie — a model that scores both sides the same has not ranked them, and ½ is what a coin
 * flip between them would score. Every pairwise accuracy in trimer (the training metric, the held-out figure of
 * `trimer run`) counts with this.
 */
export function pairCredit(diff: number): number {
  return diff > 0 ? 1 : diff === 0 ? 0.5 : 0;
}

/**
 * Bradley–Terry pairwise loss for the reward model: scores come in pairs (2i, 2i+1) = (chosen, rejected);
 * L = mean over pairs of −log σ(s_c − s_r), computed as softplus(−(s_c − s_r)) so large margins neither overflow
 * nor lose precision. Metrics: pairAccuracy (pairCredit averaged over the pairs: ties count half),
 * margin (mean s_c − s_r). No pairs gives loss 0.
 */
export function pairwiseLoss(scores: Float32Array): { loss: number; dscores: Float32Array; metrics: Record<string, number> } {
  if (scores.length % 2 !== 0) {
    throw new InputError(`pairwise loss needs (chosen, rejected) pairs: got ${scores.length} scores, an odd number`);
  }
  const pairs = scores.length / 2;
  const dscores = new Float32Array(scores.length);
  if (pairs === 0) return { loss: 0, dscores, metrics: { pairAccuracy: 0, margin: 0 } };
  let loss = 0;
  let correct = 0;
  let margin = 0;
  for (let p = 0; p < pairs; p++) {
    const sc = scores[2 * p]!;
    const sr = scores[2 * p + 1]!;
    if (!Number.isFinite(sc) || !Number.isFinite(sr)) throw new InputError(`pair ${p}: scores (${sc}, ${sr}) are not finite`);
    const diff = sc - sr;
    loss += softplus(-diff);
    // d/d diff of softplus(−diff) = −σ(−diff)
    const s = sigmoid(-diff) / pairs;
    dscores[2 * p] = -s;
    dscores[2 * p + 1] = s;
    correct += pairCredit(diff);
    margin += diff;
  }
  return { loss: loss / pairs, dscores, metrics: { pairAccuracy: correct / pairs, margin: margin / pairs } };
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

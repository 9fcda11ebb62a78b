import { test } from "node:test";
import assert from "node:assert/strict";
import { tokenLoss, pairCredit, pairwiseLoss, targetLogprobs, expNonPositive, batchTotals, type TokenLossSpec } from "../../src/model/losses.js";
import type { Datum } from "../../src/engine/types.js";
import { createRng, type Rng } from "../../src/util/rng.js";
import { InputError } from "../../src/util/errors.js";
import { loadNativeKernels } from "../../src/model/kernels.js";

const V = 5;

function randomLogits(rng: Rng, n: number, scale = 2): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

function randomBatch(rng: Rng, lengths: number[], vocab = V): { batch: Datum[]; logits: Float32Array[] } {
  const batch: Datum[] = [];
  const logits: Float32Array[] = [];
  for (const len of lengths) {
    const tokens = Array.from({ length: len }, () => rng.int(0, vocab - 1));
    // Non-binary weights with some zeros (prompt tokens) to exercise the mask.
    const weights = Array.from({ length: len - 1 }, (_, t) => (t === 0 ? 0 : [0.5, 1, 2][rng.int(0, 2)]!));
    batch.push({ tokens, weights });
    logits.push(randomLogits(rng, (len - 1) * vocab));
  }
  return { batch, logits };
}

/**
 * Central finite differences of `f` with respect to every logit. The perturbed logits are float32, so the step is
 * the float32 difference actually applied; the loss itself is accumulated in float64 by the implementation.
 */
function checkGradient(f: (logits: Float32Array[]) => number, logits: Float32Array[], analytic: Float32Array[], tol = 2e-4): void {
  const h = 1e-2;
  for (let i = 0; i < logits.length; i++) {
    for (let j = 0; j < logits[i]!.length; j++) {
      const orig = logits[i]![j]!;
      logits[i]![j] = orig + h;
      const up = logits[i]![j]!;
      const fUp = f(logits);
      logits[i]![j] = orig - h;
      const down = logits[i]![j]!;
      const fDown = f(logits);
      logits[i]![j] = orig;
      // Central differences with h = 1e-2 carry an O(h²) error; the losses are smooth with O(1) third derivatives.
      const numeric = (fUp - fDown) / (up - down);
      const a = analytic[i]![j]!;
      assert.ok(Math.abs(numeric - a) <= tol * Math.max(1, Math.abs(numeric)), `datum ${i} logit ${j}: analytic ${a} vs numeric ${numeric}`);
    }
  }
}

function gradCheck(spec: TokenLossSpec, batch: Datum[], logits: Float32Array[], vocab = V): void {
  const out = tokenLoss(spec, batch, logits, vocab);
  assert.ok(Number.isFinite(out.loss));
  checkGradient((l) => tokenLoss(spec, batch, l, vocab).loss, logits, out.dlogits);
}

test("cross_entropy: hand-computed weighted mean over the batch", () => {
  // Datum A: one target (token 1) with logits [1, 2, 3]; datum B: target 2 with logits [0, 0, 0], weight 3.
  const batch: Datum[] = [
    { tokens: [0, 1], weights: [1] },
    { tokens: [0, 2], weights: [3] },
  ];
  const logits = [Float32Array.of(1, 2, 3), Float32Array.of(0, 0, 0)];
  const out = tokenLoss({ type: "cross_entropy" }, batch, logits, 3);
  const lseA = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const expected = (1 * (lseA - 2) + 3 * Math.log(3)) / 4;
  assert.ok(Math.abs(out.loss - expected) < 1e-12, `${out.loss} vs ${expected}`);
  assert.equal(out.tokens, 2);
  // Gradient of datum B: (3/4)·(softmax − onehot) = (3/4)·(1/3, 1/3, −2/3).
  assert.deepEqual(Array.from(out.dlogits[1]!, (x) => Math.round(x * 1e6) / 1e6), [0.25, 0.25, -0.5]);
  // Accuracy: A's argmax is 2 (target 1: wrong); B's row ties, first max is 0 (target 2: wrong).
  assert.equal(out.metrics.accuracy, 0);
});

test("cross_entropy: a token with weight 2 counts exactly like the token twice", () => {
  const rng = createRng(1);
  const row = randomLogits(rng, V);
  const twice = tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 3], weights: [2] }, { tokens: [0, 1], weights: [1] }], [row, row], V);
  const dup = tokenLoss(
    { type: "cross_entropy" },
    [{ tokens: [0, 3], weights: [1] }, { tokens: [0, 3], weights: [1] }, { tokens: [0, 1], weights: [1] }],
    [row, row, row],
    V,
  );
  assert.ok(Math.abs(twice.loss - dup.loss) < 1e-12);
  for (let j = 0; j < V; j++) {
    assert.ok(Math.abs(twice.dlogits[0]![j]! - (dup.dlogits[0]![j]! + dup.dlogits[1]![j]!)) < 1e-7);
  }
});

test("cross_entropy: zero-weight rows contribute nothing; an all-zero batch gives 0 and zero gradients", () => {
  const rng = createRng(2);
  const { batch, logits } = randomBatch(rng, [4, 3]);
  const base = tokenLoss({ type: "cross_entropy" }, batch, logits, V);
  const withZero = tokenLoss(
    { type: "cross_entropy" },
    [...batch, { tokens: [1, 2, 3], weights: [0, 0] }],
    [...logits, Float32Array.from({ length: 2 * V }, (_, j) => (j % 2 ? 80 : -Infinity))],
    V,
  );
  assert.equal(withZero.loss, base.loss);
  assert.ok(withZero.dlogits[2]!.every((x) => x === 0));

  const zero = tokenLoss({ type: "cross_entropy" }, [{ tokens: [1, 2, 3], weights: [0, 0] }], [randomLogits(rng, 2 * V)], V);
  assert.equal(zero.loss, 0);
  assert.equal(zero.tokens, 0);
  assert.ok(zero.dlogits[0]!.every((x) => x === 0));
  for (const v of Object.values(zero.metrics)) assert.ok(!Number.isNaN(v));
});

test("cross_entropy: -Infinity logits are masked entries, not NaN", () => {
  const masked = tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1], weights: [1] }], [Float32Array.of(-Infinity, 0.5, 1.5, -Infinity)], 4);
  const plain = tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 0], weights: [1] }], [Float32Array.of(0.5, 1.5)], 2);
  assert.ok(Math.abs(masked.loss - plain.loss) < 1e-12);
  assert.deepEqual(Array.from(masked.dlogits[0]!), [0, plain.dlogits[0]![0], plain.dlogits[0]![1], 0]);
  assert.throws(
    () => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1], weights: [1] }], [Float32Array.of(-Infinity, -Infinity)], 2),
    /datum 0, position 0: logits are all -Infinity/,
  );
});

test("cross_entropy: gradient matches finite differences", () => {
  const rng = createRng(3);
  const { batch, logits } = randomBatch(rng, [5, 3, 4]);
  gradCheck({ type: "cross_entropy" }, batch, logits);
});

test("targetLogprobs equals minus the per-token nll", () => {
  const rng = createRng(4);
  const { batch, logits } = randomBatch(rng, [4, 2]);
  const lp = targetLogprobs(batch, logits, V);
  assert.deepEqual(lp.map((a) => a.length), [3, 1]);
  for (let i = 0; i < batch.length; i++) {
    for (let t = 0; t < lp[i]!.length; t++) {
      const single = tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, batch[i]!.tokens[t + 1]!], weights: [1] }], [logits[i]!.slice(t * V, (t + 1) * V)], V);
      assert.ok(Math.abs(lp[i]![t]! + single.loss) < 1e-6);
    }
  }
});

test("distill: T² KL on a 3-token vocabulary by hand", () => {
  // Teacher logits 2·ln[1, 2, 3] at T = 2 give p = (1, 2, 3)/6; a uniform student gives q = 1/3 each.
  const teacher = Float32Array.of(0, 2 * Math.log(2), 2 * Math.log(3));
  const batch: Datum[] = [{ tokens: [0, 2], weights: [1], teacher: { kind: "logits", vocab: 3, logits: teacher } }];
  const out = tokenLoss({ type: "distill", alpha: 1, temperature: 2 }, batch, [Float32Array.of(0, 0, 0)], 3);
  const kl = (1 / 6) * Math.log(0.5) + (1 / 2) * Math.log(1.5);
  assert.ok(Math.abs(out.loss - 4 * kl) < 1e-6, `${out.loss} vs ${4 * kl}`);
  assert.ok(Math.abs(out.metrics.kl! - kl) < 1e-6);
  // dℓ/dz_s = α·T·(q − p) = 2·(1/3 − 1/6, 0, 1/3 − 1/2) = (1/3, 0, −1/3).
  const g = Array.from(out.dlogits[0]!);
  for (const [j, e] of [1 / 3, 0, -1 / 3].entries()) assert.ok(Math.abs(g[j]! - e) < 1e-6, `grad ${j}: ${g[j]} vs ${e}`);

  // α = 0.5 mixes in half the CE of the data token (2) at T = 1: CE = ln 3 for the uniform student.
  const mixed = tokenLoss({ type: "distill", alpha: 0.5, temperature: 2 }, batch, [Float32Array.of(0, 0, 0)], 3);
  assert.ok(Math.abs(mixed.loss - (0.5 * 4 * kl + 0.5 * Math.log(3))) < 1e-6);
});

test("distill: gradient matches finite differences (full teacher logits, several temperatures)", () => {
  const rng = createRng(5);
  for (const [alpha, temperature] of [[0.5, 1], [0.3, 2.5], [1, 0.7]] as const) {
    const { batch, logits } = randomBatch(rng, [4, 3]);
    for (const d of batch) d.teacher = { kind: "logits", vocab: V, logits: randomLogits(rng, (d.tokens.length - 1) * V) };
    gradCheck({ type: "distill", alpha, temperature }, batch, logits);
  }
});

test("distill: top-k teacher with k = vocab equals the full-logits teacher", () => {
  const rng = createRng(6);
  const { batch, logits } = randomBatch(rng, [4, 3]);
  const topk: Datum[] = batch.map((d) => {
    const n = d.tokens.length - 1;
    const tl = randomLogits(rng, n * V);
    d.teacher = { kind: "logits", vocab: V, logits: tl };
    const ids = new Int32Array(n * V);
    const lps = new Float32Array(n * V);
    for (let t = 0; t < n; t++) {
      const row = Array.from(tl.slice(t * V, (t + 1) * V));
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      // Reversed order: the loss must not depend on the order of the k entries.
      for (let a = 0; a < V; a++) { ids[t * V + a] = V - 1 - a; lps[t * V + a] = row[V - 1 - a]! - lse; }
    }
    return { ...d, teacher: { kind: "topk", k: V, ids, logprobs: lps } };
  });
  const spec = { type: "distill", alpha: 0.6, temperature: 1.5 } as const;
  const a = tokenLoss(spec, batch, logits, V);
  const b = tokenLoss(spec, topk, logits, V);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `${a.loss} vs ${b.loss}`);
  for (let i = 0; i < batch.length; i++) for (let j = 0; j < logits[i]!.length; j++) assert.ok(Math.abs(a.dlogits[i]![j]! - b.dlogits[i]![j]!) < 1e-6);
});

test("distill: top-k teacher renormalised over its ids (sparse KL) by hand, and its gradient", () => {
  // Teacher keeps ids 2 and 1 with probabilities 0.5 and 0.3 → renormalised 0.625, 0.375; padding entry id -1.
  const teacher = { kind: "topk" as const, k: 3, ids: Int32Array.of(2, 1, -1), logprobs: Float32Array.of(Math.log(0.5), Math.log(0.3), -Infinity) };
  const batch: Datum[] = [{ tokens: [0, 2], weights: [1], teacher }];
  const student = Float32Array.of(0, 0, 0, 0);
  const out = tokenLoss({ type: "distill", alpha: 1, temperature: 1 }, batch, [student], 4);
  const kl = 0.625 * Math.log(0.625 / 0.25) + 0.375 * Math.log(0.375 / 0.25);
  assert.ok(Math.abs(out.loss - kl) < 1e-6, `${out.loss} vs ${kl}`);
  const g = Array.from(out.dlogits[0]!);
  for (const [j, e] of [0.25, 0.25 - 0.375, 0.25 - 0.625, 0.25].entries()) assert.ok(Math.abs(g[j]! - e) < 1e-6);

  const rng = createRng(7);
  const { batch: rb, logits } = randomBatch(rng, [4, 3]);
  for (const d of rb) {
    const n = d.tokens.length - 1;
    const ids = new Int32Array(n * 2);
    const lps = new Float32Array(n * 2);
    for (let t = 0; t < n; t++) { ids[2 * t] = rng.int(0, 1); ids[2 * t + 1] = rng.int(2, V - 1); lps[2 * t] = -0.4 - rng.next(); lps[2 * t + 1] = -1.5 - rng.next(); }
    d.teacher = { kind: "topk", k: 2, ids, logprobs: lps };
  }
  gradCheck({ type: "distill", alpha: 0.5, temperature: 2 }, rb, logits);
});

test("distill: missing or malformed teacher is a clear error", () => {
  assert.throws(() => tokenLoss({ type: "distill", alpha: 0.5, temperature: 1 }, [{ tokens: [0, 1], weights: [1] }], [new Float32Array(V)], V), /datum 0: distill needs teacher/);
  const dup = { kind: "topk" as const, k: 2, ids: Int32Array.of(1, 1), logprobs: Float32Array.of(-1, -2) };
  assert.throws(() => tokenLoss({ type: "distill", alpha: 0.5, temperature: 1 }, [{ tokens: [0, 1], weights: [1], teacher: dup }], [new Float32Array(V)], V), /repeats token id 1/);
  assert.throws(() => tokenLoss({ type: "distill", alpha: 0.5, temperature: 0 }, [], [], V), /temperature must be a positive/);
});

function pgBatch(rng: Rng, lengths: number[], withOld: boolean, withRef: boolean): { batch: Datum[]; logits: Float32Array[] } {
  const { batch, logits } = randomBatch(rng, lengths);
  for (const d of batch) {
    const n = d.tokens.length - 1;
    const adv = rng.normal();
    d.advantages = Array.from({ length: n }, () => adv);
    // Ratios around 0.6, 1.0 and 1.45 so that both clip branches (ε = 0.2) occur, yet no ratio lies within the
    // finite-difference step of a kink at 0.8 or 1.2, where the loss is not differentiable.
    const lp = targetLogprobs([d], [logits[batch.indexOf(d)]!], V)[0]!;
    const ratio = (): number => [0.6, 1.0, 1.45][rng.int(0, 2)]! + (rng.next() - 0.5) * 0.1;
    if (withOld) d.oldLogprobs = Array.from(lp, (x) => x - Math.log(ratio()));
    if (withRef) d.refLogprobs = Array.from(lp, (x) => x + (rng.next() - 0.5));
  }
  return { batch, logits };
}

test("policy_gradient: gradient matches finite differences for every aggregation, with and without KL", () => {
  const rng = createRng(8);
  for (const aggregation of ["sequence", "token", "constant"] as const) {
    for (const beta of [0, 0.1]) {
      const { batch, logits } = pgBatch(rng, [5, 3, 4], true, beta > 0);
      const spec: TokenLossSpec = { type: "policy_gradient", clip: 0.2, aggregation, constant: 7, beta };
      gradCheck(spec, batch, logits);
    }
  }
  // Without oldLogprobs the step is on-policy: old = logp held constant (detached), so the gradient equals the one
  // with oldLogprobs set to the current logprobs (a finite difference of the detached loss would see a constant).
  const { batch, logits } = pgBatch(rng, [4, 3], false, false);
  const spec: TokenLossSpec = { type: "policy_gradient", clip: 0.2, aggregation: "sequence" };
  const onPolicy = tokenLoss(spec, batch, logits, V);
  const current = targetLogprobs(batch, logits, V);
  const explicit = batch.map((d, i) => ({ ...d, oldLogprobs: Array.from(current[i]!) }));
  gradCheck(spec, explicit, logits);
  const withOld = tokenLoss(spec, explicit, logits, V);
  assert.ok(Math.abs(onPolicy.loss - withOld.loss) < 1e-6);
  for (let i = 0; i < batch.length; i++) for (let j = 0; j < logits[i]!.length; j++) assert.ok(Math.abs(onPolicy.dlogits[i]![j]! - withOld.dlogits[i]![j]!) < 1e-6);
  assert.ok(Math.abs(onPolicy.metrics.ratioMean! - 1) < 1e-12);
});

test("policy_gradient at the sampling temperature: logp of softmax(z / T) by hand, gradient by finite differences", () => {
  // vocab 2, logits (0, 1), T 0.5: p_T(target 1) = e^2 / (1 + e^2); on-policy, A = 1, one token: loss = −1 and
  // d loss / d z = −A · (onehot − p_T) / T.
  const p1 = Math.exp(2) / (1 + Math.exp(2));
  const out = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token", temperature: 0.5 }, [{ tokens: [0, 1], weights: [1], advantages: [1] }], [Float32Array.of(0, 1)], 2);
  assert.ok(Math.abs(out.loss + 1) < 1e-9);
  assert.ok(Math.abs(out.dlogits[0]![0]! - (1 - p1) / 0.5 * -1 * -1) < 1e-6, `${out.dlogits[0]![0]}`);
  assert.ok(Math.abs(out.dlogits[0]![1]! + (1 - p1) / 0.5) < 1e-6);
  // Entropy of the sampled (tempered) distribution.
  const hT = -(p1 * Math.log(p1) + (1 - p1) * Math.log(1 - p1));
  assert.ok(Math.abs(out.metrics.entropy! - hT) < 1e-6);
  // With old log-probabilities at the same temperature the ratio is exact: r = p_T / p_old.
  const lpT = Math.log(p1);
  const r = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token", temperature: 0.5 }, [{ tokens: [0, 1], weights: [1], advantages: [1], oldLogprobs: [lpT - Math.log(1.1)] }], [Float32Array.of(0, 1)], 2);
  assert.ok(Math.abs(r.metrics.ratioMean! - 1.1) < 1e-6);
  const rng = createRng(12);
  for (const T of [0.7, 1.3]) {
    const { batch, logits } = pgBatch(rng, [4, 3], false, false);
    for (const aggregation of ["sequence", "token"] as const) gradCheck({ type: "policy_gradient", clip: 0.2, aggregation, temperature: T }, batch.map((d) => ({ ...d, oldLogprobs: Array.from(tempered(d, logits[batch.indexOf(d)]!, T), (x) => x - Math.log(0.9 + 0.2 * rng.next())) })), logits);
  }
  // T = 1 is the untempered loss, bit for bit.
  const { batch, logits } = pgBatch(rng, [3], true, false);
  const a = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "sequence" }, batch, logits, V);
  const b = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "sequence", temperature: 1 }, batch, logits, V);
  assert.equal(a.loss, b.loss);
  assert.deepEqual(Array.from(a.dlogits[0]!), Array.from(b.dlogits[0]!));
  assert.throws(() => tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token", temperature: 0 }, batch, logits, V), /temperature must be a positive number/);
});

/** log softmax(z / T) of each target token of one datum. */
function tempered(d: Datum, z: Float32Array, T: number): number[] {
  const n = d.tokens.length - 1;
  return Array.from({ length: n }, (_, t) => {
    const row = Array.from(z.subarray(t * V, (t + 1) * V), (v) => v / T);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return row[d.tokens[t + 1]!]! - lse;
  });
}

test("policy_gradient: clipping stops the gradient only where the advantage pushes further", () => {
  // vocab 2, logits (0, 0): logp(target 1) = ln 0.5.
  const lp = Math.log(0.5);
  const run = (A: number, ratio: number) =>
    tokenLoss(
      { type: "policy_gradient", clip: 0.2, aggregation: "token" },
      [{ tokens: [0, 1], weights: [1], advantages: [A], oldLogprobs: [lp - Math.log(ratio)] }],
      [Float32Array.of(0, 0)],
      2,
    );
  // A > 0 and r = 1.5 > 1.2: the clipped branch is the min → zero gradient, loss −1.2·A.
  const a = run(1, 1.5);
  assert.deepEqual(Array.from(a.dlogits[0]!), [0, 0]);
  assert.ok(Math.abs(a.loss + 1.2) < 1e-6);
  assert.equal(a.metrics.clipFraction, 1);
  // A > 0 and r = 0.5 < 0.8: the unclipped branch is the min → gradient −A·r·(onehot − p) = −0.5·(−0.5, 0.5).
  const b = run(1, 0.5);
  assert.ok(Math.abs(b.dlogits[0]![0]! - 0.25) < 1e-6 && Math.abs(b.dlogits[0]![1]! + 0.25) < 1e-6);
  assert.equal(b.metrics.clipFraction, 0);
  // A < 0 and r = 0.5 < 0.8: clipped (pushing the ratio further down gains nothing) → zero gradient.
  const c = run(-1, 0.5);
  assert.deepEqual(Array.from(c.dlogits[0]!), [0, 0]);
  assert.ok(Math.abs(c.loss - 0.8) < 1e-6);
  // A < 0 and r = 1.5: unclipped, the loss keeps pushing the token down: loss = 1.5.
  const d = run(-1, 1.5);
  assert.ok(Math.abs(d.loss - 1.5) < 1e-6);
  assert.ok(d.dlogits[0]![1]! > 0);
  assert.ok(Math.abs(d.metrics.ratioMean! - 1.5) < 1e-6);
  assert.ok(Math.abs(d.metrics.approxKl! - (0.5 - Math.log(1.5))) < 1e-6);
});

test("policy_gradient: sequence / token / constant aggregation by hand", () => {
  // On-policy (no oldLogprobs): r = 1, so each token's loss is −A. Sequence 1: one token, A = 1;
  // sequence 2: three tokens, A = −2, one with weight 2; a third sequence fully masked.
  const batch: Datum[] = [
    { tokens: [0, 1], weights: [1], advantages: [1] },
    { tokens: [0, 1, 0, 1], weights: [1, 2, 1], advantages: [-2, -2, -2] },
    { tokens: [0, 1], weights: [0], advantages: [5] },
  ];
  const logits = [new Float32Array(2), new Float32Array(6), new Float32Array(2)];
  const loss = (aggregation: "sequence" | "token" | "constant") =>
    tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation, constant: 10 }, batch, logits, 2).loss;
  assert.ok(Math.abs(loss("sequence") - (-1 + 2) / 2) < 1e-9); // masked sequence not counted
  assert.ok(Math.abs(loss("token") - (-1 + 2 * 4) / 5) < 1e-9);
  assert.ok(Math.abs(loss("constant") - (-1 + 2 * 4) / (10 * 3)) < 1e-9);
  const out = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token" }, batch, logits, 2);
  assert.equal(out.tokens, 4);
  assert.ok(Math.abs(out.metrics.entropy! - Math.log(2)) < 1e-9);
  assert.equal(out.metrics.clipFraction, 0);
  assert.ok(out.dlogits[2]!.every((x) => x === 0));
});

test("policy_gradient: zero advantages (a zero-variance group) and zero weights give no NaN", () => {
  const batch: Datum[] = [{ tokens: [0, 1, 1], weights: [1, 1], advantages: [0, 0], oldLogprobs: [-0.7, -0.7] }];
  const out = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "sequence" }, batch, [Float32Array.of(0, 0, -Infinity, 3)], 2);
  assert.equal(out.loss, 0);
  assert.ok(out.dlogits[0]!.every((x) => x === 0));
  for (const v of Object.values(out.metrics)) assert.ok(Number.isFinite(v));
  const none = tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "sequence" }, [{ ...batch[0]!, weights: [0, 0] }], [new Float32Array(4)], 2);
  assert.equal(none.loss, 0);
  assert.throws(
    () => tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "constant" }, batch, [new Float32Array(4)], 2),
    /needs a positive spec.constant/,
  );
  assert.throws(() => tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token" }, [{ tokens: [0, 1], weights: [1] }], [new Float32Array(2)], 2), /datum 0: policy_gradient needs advantages/);
  assert.throws(
    () => tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token" }, [{ tokens: [0, 1], weights: [1], advantages: [1] }], [Float32Array.of(0, -Infinity)], 2),
    /datum 0, position 0: target token 1 has probability 0/,
  );
});

test("pairwise: Bradley–Terry by hand, stable at large margins, gradient by finite differences", () => {
  const out = pairwiseLoss(Float32Array.of(1, 0, 0, 2));
  const expected = (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(2))) / 2;
  assert.ok(Math.abs(out.loss - expected) < 1e-12);
  assert.equal(out.metrics.pairAccuracy, 0.5);
  assert.ok(Math.abs(out.metrics.margin! - (1 - 2) / 2) < 1e-12);

  const big = pairwiseLoss(Float32Array.of(100, -100, -100, 100));
  assert.ok(Math.abs(big.loss - 100) < 1e-9); // (≈0 + 200) / 2
  assert.ok(big.dscores.every((x) => Number.isFinite(x)));

  const rng = createRng(9);
  const scores = randomLogits(rng, 8);
  const an = pairwiseLoss(scores);
  checkGradient((l) => pairwiseLoss(l[0]!).loss, [scores], [an.dscores]);
  assert.throws(() => pairwiseLoss(Float32Array.of(1, 2, 3)), /odd number/);
  assert.equal(pairwiseLoss(new Float32Array(0)).loss, 0);
});

test("bad shapes name the datum and field", () => {
  assert.throws(() => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1, 2], weights: [1] }], [new Float32Array(2 * V)], V), (e: unknown) => e instanceof InputError && /datum 0: weights has length 1, expected tokens.length - 1 = 2/.test(e.message));
  assert.throws(() => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1], weights: [1] }], [new Float32Array(V + 1)], V), /datum 0: logits has length 6/);
  assert.throws(() => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 9], weights: [1] }], [new Float32Array(V)], V), /tokens\[1\] = 9 is outside the vocabulary/);
  assert.throws(() => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1], weights: [-1] }], [new Float32Array(V)], V), /weights\[0\] = -1/);
});

test("expNonPositive matches Math.exp to 1e-12 relative (normal range), and is 0 past it", () => {
  const rng = createRng(10);
  for (let i = 0; i < 20000; i++) {
    const x = i < 10000 ? -rng.next() * 30 : -rng.next() * 740;
    const want = Math.exp(x);
    // Relative accuracy for normal doubles; results below 2^-1022 (x < -708) are subnormal and keep fewer bits.
    const tol = Math.max(1e-12 * want, 1e-318);
    assert.ok(Math.abs(expNonPositive(x) - want) <= tol, `x = ${x}: ${expNonPositive(x)} vs ${want}`);
  }
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.equal(expNonPositive(-800), 0);
});

test("a batch run in chunks with the whole batch's totals sums to the whole batch, for every loss", () => {
  const rng = createRng(11);
  const { batch, logits } = pgBatch(rng, [5, 3, 4, 2], true, false);
  batch[3]!.weights = [0]; // a fully masked datum still counts for "constant"
  for (const d of batch) d.teacher = { kind: "logits", vocab: V, logits: randomLogits(rng, (d.tokens.length - 1) * V) };
  const specs: TokenLossSpec[] = [
    { type: "cross_entropy" },
    { type: "distill", alpha: 0.4, temperature: 1.7 },
    { type: "policy_gradient", clip: 0.2, aggregation: "sequence" },
    { type: "policy_gradient", clip: 0.2, aggregation: "token" },
    { type: "policy_gradient", clip: 0.2, aggregation: "constant", constant: 6 },
  ];
  const totals = batchTotals(batch);
  assert.deepEqual(totals.sequences, 3);
  for (const spec of specs) {
    const whole = tokenLoss(spec, batch, logits, V);
    const a = tokenLoss(spec, batch.slice(0, 1), logits.slice(0, 1), V, { totals });
    const b = tokenLoss(spec, batch.slice(1), logits.slice(1), V, { totals });
    assert.ok(Math.abs(a.loss + b.loss - whole.loss) < 1e-12, `${spec.type}: ${a.loss + b.loss} vs ${whole.loss}`);
    assert.equal(a.tokens + b.tokens, whole.tokens);
    for (const [k, v] of Object.entries(whole.metrics)) assert.ok(Math.abs(a.metrics[k]! + b.metrics[k]! - v) < 1e-12, `${spec.type} metric ${k}`);
    assert.deepEqual([...a.dlogits, ...b.dlogits], whole.dlogits);
  }
});

test("distill: a teacher's -Infinity logits are zero-probability entries", () => {
  const batch: Datum[] = [{ tokens: [0, 1], weights: [1], teacher: { kind: "logits", vocab: 4, logits: Float32Array.of(0.3, -Infinity, 1.1, -Infinity) } }];
  const small: Datum[] = [{ tokens: [0, 0], weights: [1], teacher: { kind: "logits", vocab: 2, logits: Float32Array.of(0.3, 1.1) } }];
  const spec = { type: "distill", alpha: 1, temperature: 1.5 } as const;
  // With α = 1 the data token plays no role, so entries 1 and 3 only need the student's mass pushed off them.
  const student = Float32Array.of(0.2, -Infinity, -0.4, -Infinity);
  const a = tokenLoss(spec, batch, [student], 4);
  const b = tokenLoss(spec, small, [Float32Array.of(0.2, -0.4)], 2);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-9, `${a.loss} vs ${b.loss}`);
  assert.deepEqual(Array.from(a.dlogits[0]!), [b.dlogits[0]![0], 0, b.dlogits[0]![1], 0]);
});

test("inPlace writes the same dlogits over the logits, for every loss and teacher kind", () => {
  const rng = createRng(12);
  const { batch, logits } = pgBatch(rng, [5, 3, 4, 2], true, true);
  batch[3]!.weights = [0];
  const topk = batch.map((d) => {
    const n = d.tokens.length - 1;
    const ids = new Int32Array(n * 2);
    const lps = new Float32Array(n * 2);
    for (let t = 0; t < n; t++) { ids[2 * t] = d.tokens[t + 1]!; ids[2 * t + 1] = (d.tokens[t + 1]! + 1) % V; lps[2 * t] = -0.3; lps[2 * t + 1] = -1.6; }
    return { ...d, teacher: { kind: "topk" as const, k: 2, ids, logprobs: lps } };
  });
  for (const d of batch) d.teacher = { kind: "logits", vocab: V, logits: randomLogits(rng, (d.tokens.length - 1) * V) };
  const cases: [TokenLossSpec, Datum[]][] = [
    [{ type: "cross_entropy" }, batch],
    [{ type: "distill", alpha: 0.4, temperature: 1.7 }, batch],
    [{ type: "distill", alpha: 0.4, temperature: 1.7 }, topk],
    [{ type: "policy_gradient", clip: 0.2, aggregation: "sequence", beta: 0.05 }, batch],
    [{ type: "cross_entropy" }, batch.map((d) => ({ ...d, weights: d.weights.map(() => 0) }))],
  ];
  for (const [spec, data] of cases) {
    const fresh = tokenLoss(spec, data, logits, V);
    const copy = logits.map((l) => l.slice());
    const inPlace = tokenLoss(spec, data, copy, V, { inPlace: true });
    assert.equal(inPlace.dlogits[0], copy[0]);
    assert.equal(inPlace.loss, fresh.loss);
    assert.deepEqual(inPlace.metrics, fresh.metrics);
    assert.deepEqual(inPlace.dlogits, fresh.dlogits, spec.type);
  }
});

test("pairwise accuracy counts a tie as half, in the loss's metric and in the held-out figure alike", () => {
  assert.deepEqual([pairCredit(0.1), pairCredit(0), pairCredit(-0.1)], [1, 0.5, 0]);
  assert.equal(pairwiseLoss(Float32Array.of(1, 1, 2, 0, 0, 2)).metrics.pairAccuracy, 0.5);
  assert.equal(pairwiseLoss(Float32Array.of(3, 3)).metrics.pairAccuracy, 0.5);
});

test("the native softmax-row kernels give the float64 TypeScript loop's losses, metrics and gradients", { skip: !loadNativeKernels() && "no native kernels" }, () => {
  const native = loadNativeKernels()!;
  const rk = { softmaxStats: native.softmaxStats!, softmaxGrad: native.softmaxGrad! };
  const rng = createRng(11);
  // Odd vocabularies around the vector widths, masked (-Infinity) entries, zero weights, temperatures.
  for (const vocab of [1, 7, 16, 33, 377]) {
    const { batch, logits } = randomBatch(rng, [2, 9, 30, 5], vocab);
    for (const l of logits) for (let j = 0; j < l.length; j += 5) if (j % vocab !== batch[0]!.tokens[1]) l[j] = -Infinity;
    batch.forEach((d) => {
      const n = d.tokens.length - 1;
      for (let t = 0; t < n; t++) if (!Number.isFinite(logits[batch.indexOf(d)]![t * vocab + d.tokens[t + 1]!]!)) d.weights[t] = 0; // a sampled token has probability > 0
      d.advantages = Array.from({ length: n }, () => rng.normal());
      d.oldLogprobs = Array.from({ length: n }, () => -1 - rng.next());
      d.refLogprobs = Array.from({ length: n }, () => -1 - rng.next());
    });
    const specs: TokenLossSpec[] = [
      { type: "cross_entropy" },
      { type: "policy_gradient", clip: 0.2, aggregation: "sequence", beta: 0 },
      { type: "policy_gradient", clip: 0.1, aggregation: "token", beta: 0.05, temperature: 0.7 },
      { type: "policy_gradient", clip: 0.3, aggregation: "constant", constant: 16, temperature: 1.3 },
    ];
    for (const spec of specs) for (const inPlace of [false, true]) {
      const run = (rowKernels: typeof rk | null) => tokenLoss(spec, batch, logits.map((l) => l.slice()), vocab, { rowKernels, inPlace });
      const a = run(null), b = run(rk);
      const what = `vocab ${vocab}, ${JSON.stringify(spec)}, inPlace ${inPlace}`;
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-12 * Math.max(1, Math.abs(a.loss)), `${what}: loss ${a.loss} vs ${b.loss}`);
      assert.equal(a.tokens, b.tokens);
      for (const k of Object.keys(a.metrics)) assert.ok(Math.abs(a.metrics[k]! - b.metrics[k]!) <= 1e-10 * Math.max(1, Math.abs(a.metrics[k]!)), `${what}: ${k} ${a.metrics[k]} vs ${b.metrics[k]}`);
      // To float32 rounding of the datum's gradient scale (the TypeScript loop rounds the target's entry twice).
      a.dlogits.forEach((g, i) => {
        const scale = g.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        g.forEach((x, j) => assert.ok(Math.abs(x - b.dlogits[i]![j]!) <= 1e-7 * (Math.abs(x) + scale) + 3e-8, `${what}: dlogits[${i}][${j}] ${x} vs ${b.dlogits[i]![j]}`));
      });
    }
  }
  // The same errors, naming the same datum and position.
  const bad = (row: number[]) => () => tokenLoss({ type: "cross_entropy" }, [{ tokens: [0, 1, 1], weights: [1, 1] }], [Float32Array.from([0, 1, ...row])], 2, { rowKernels: rk });
  assert.throws(bad([NaN, 0]), /datum 0, position 1: logits contain NaN/);
  assert.throws(bad([Infinity, 0]), /datum 0, position 1: logits contain \+Infinity/);
  assert.throws(bad([-Infinity, -Infinity]), /datum 0, position 1: logits are all -Infinity/);
  assert.throws(() => tokenLoss({ type: "policy_gradient", clip: 0.2, aggregation: "token" }, [{ tokens: [0, 1], weights: [1], advantages: [1] }],
    [Float32Array.from([0, -Infinity])], 2, { rowKernels: rk }), /datum 0, position 0: target token 1 has probability 0/);
  // Out-of-range rows are refused by the kernel itself.
  assert.throws(() => native.softmaxStats!(new Float32Array(4), Int32Array.of(2), 1, 4, 1, new Float64Array(1), new Int32Array(1), new Float64Array(1)), /outside the logits/);
});

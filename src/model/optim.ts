// AdamW (Loshchilov & Hutter: decoupled weight decay) with clipping by the global gradient norm, over TensorMaps.
// Gradient accumulation is the caller's: gradients add up across backward passes until `adamwStep`, which then
// zeroes them.
//
// Weight decay is applied to the 2-D projection matrices (attention, MLP, untied lm_head, score head) and not to
// norm weights or the token embedding: decaying RMSNorm gains pulls them towards 0 rather than towards the
// identity, and decaying embeddings penalises rare tokens (a common choice, e.g. in nanoGPT / minGPT). The PyTorch
// reference's benchmark decays everything; the cost per step is the same either way.

import type { OptimOptions } from "./types.js";
import type { ModelConfig } from "./config.js";
import type { TensorMap } from "./tensors.js";
import { zerosLike } from "./tensors.js";

export interface AdamWState {
  /** Number of steps taken (bias correction uses step after increment). */
  step: number;
  m: TensorMap;
  v: TensorMap;
}

export function newAdamWState(config: ModelConfig): AdamWState {
  return { step: 0, m: zerosLike(config), v: zerosLike(config) };
}

/** Whether AdamW's weight decay applies to this parameter (see the header). */
export function decays(name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && name !== "model.embed_tokens.weight";
}

/** sqrt(sum of squares) over every gradient (float64 accumulation). */
export function globalGradNorm(grads: TensorMap): number {
  let ss = 0;
  for (const [, t] of grads) {
    const g = t.data;
    for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  }
  return Math.sqrt(ss);
}

export interface AdamWResult {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Factor the gradients were multiplied by (1 when not clipped). */
  clipScale: number;
}

export function checkOptimOptions(o: OptimOptions): void {
  const bad = (field: string, v: unknown, why: string) => new Error(`optimizer: ${field} ${why}, got ${JSON.stringify(v)}`);
  if (!(typeof o.lr === "number" && Number.isFinite(o.lr) && o.lr >= 0)) throw bad("lr", o.lr, "must be a finite number >= 0");
  for (const [k, v, lo, hi] of [["weightDecay", o.weightDecay, 0, Infinity], ["maxGradNorm", o.maxGradNorm, 0, Infinity],
    ["beta1", o.beta1, 0, 1], ["beta2", o.beta2, 0, 1], ["eps", o.eps, 0, Infinity]] as const) {
    if (v !== undefined && !(typeof v === "number" && v >= lo && (v < hi || (hi === Infinity && Number.isFinite(v))))) throw bad(k, v, `must be a number in [${lo}, ${hi})`);
  }
}

/**
 * One AdamW step in place: clip (when maxGradNorm > 0), update m, v and the parameters, zero the gradients.
 * Same update as torch.optim.AdamW: p -= lr*wd*p; p -= lr * m̂ / (sqrt(v̂) + eps).
 */
export function adamwStep(params: TensorMap, grads: TensorMap, state: AdamWState, opt: OptimOptions): AdamWResult {
  checkOptimOptions(opt);
  const lr = opt.lr, wd = opt.weightDecay ?? 0, b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999, eps = opt.eps ?? 1e-8;
  const gradNorm = globalGradNorm(grads);
  if (!Number.isFinite(gradNorm)) {
    // A NaN/Inf gradient would poison m and v for good: refuse the step and leave everything untouched.
    throw new Error(`optimizer: the gradient norm is ${gradNorm}; step skipped (lower the learning rate?)`);
  }
  const clipScale = opt.maxGradNorm && opt.maxGradNorm > 0 && gradNorm > opt.maxGradNorm ? opt.maxGradNorm / (gradNorm + 1e-6) : 1;
  state.step++;
  const bc1 = 1 - Math.pow(b1, state.step), bc2 = 1 - Math.pow(b2, state.step);
  const stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
  for (const [name, p] of params) {
    const g = grads.get(name)?.data, m = state.m.get(name)?.data, v = state.v.get(name)?.data;
    if (!g || !m || !v) throw new Error(`optimizer: no gradient or moment for ${name}`);
    const w = p.data;
    const decay = decays(name, p.shape) ? 1 - lr * wd : 1;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]! * clipScale;
      const mi = b1 * m[i]! + (1 - b1) * gi;
      const vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
    g.fill(0);
  }
  return { gradNorm, clipScale };
}

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
import { kernels } from "./kernels.js";

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
  const k = kernels();
  let ss = 0;
  for (const [, t] of grads) ss += k.sumSquares(t.data);
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
    if (g.length !== p.data.length || m.length !== p.data.length || v.length !== p.data.length) throw new Error(`optimizer: ${name}'s gradient or moments differ in size from it`);
    const decay = decays(name, p.shape) ? 1 - lr * wd : 1;
    // The update per element (float64, then stored as float32) is the kernel's: natively it is vectorised and split
    // over the pool (in JS it took 2.7-4.6% of a config A/B training step).
    kernels().adamw(p.data, g, m, v, clipScale, b1, b2, stepSize, sqrtBc2, eps, decay);
  }
  return { gradNorm, clipScale };
}

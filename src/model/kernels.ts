// The compute kernels behind the transformer, selected once at load time: the native N-API addon
// (native/kernels.cc, built by `npm ci` through the package's install script) when it loads, else the pure-TypeScript
// ones (kernels-js.ts). `TRIMER_KERNELS=js|native` forces a choice (native fails loudly when it is missing);
// `TRIMER_THREADS=n` sets the native pool size (default: 2, or the CPU count when smaller).

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsKernels } from "./kernels-js.js";

export interface Kernels {
  readonly name: "native" | "js";
  /**
   * C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N], row-major with leading dimensions; op(X) = Xᵀ when
   * its flag is set (then X is stored [K,M] resp. [N,K]). Linear forward is (false, true): y = x Wᵀ.
   */
  gemm(tA: boolean, tB: boolean, M: number, N: number, K: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, C: Float32Array, ldc: number, accumulate: boolean): void;
  /**
   * Causal attention over packed rows: row r is tokens [start[r], start[r] + len[r]) of Q [N, qs] and K/V [N, ks];
   * query head h reads key/value head floor(h / (H / KV)). Writes Y (like Q) and the log-sum-exp LSE [N, H].
   */
  attnForward(rows: number, H: number, KV: number, hd: number, qs: number, ks: number, start: Int32Array, len: Int32Array,
    Q: Float32Array, K: Float32Array, V: Float32Array, Y: Float32Array, LSE: Float32Array): void;
  /** Backward of attnForward, recomputing probabilities from LSE. dQ is overwritten; dK and dV are added to. */
  attnBackward(rows: number, H: number, KV: number, hd: number, qs: number, ks: number, start: Int32Array, len: Int32Array,
    Q: Float32Array, K: Float32Array, V: Float32Array, Y: Float32Array, LSE: Float32Array,
    dY: Float32Array, dQ: Float32Array, dK: Float32Array, dV: Float32Array): void;
  /**
   * B queries over a KV cache of slots: keys [slots, KV, hd, cap] (transposed, so scores vectorise over
   * positions), values [slots, KV, cap, hd]. Query b attends to the first len[b] positions of cache slot slot[b]
   * (slot b when `slot` is omitted); several queries may read the same slot (the positions of a prompt decoded in
   * one step). Each query's output depends only on its own inputs. q, y: [B, H * hd].
   * wrow (with k, v [rows, KV * hd]): query b with wrow[b] >= 0 first writes row wrow[b] of k and v into its slot at
   * position len[b] - 1 (as cacheWrite would), then attends: a decoding row's cache write fused into the pass that
   * reads those cache lines. Queries that write must have distinct slots (and be their slot's only token of the step).
   */
  attnDecode(B: number, H: number, KV: number, hd: number, cap: number, len: Int32Array,
    q: Float32Array, kcache: Float32Array, vcache: Float32Array, y: Float32Array, slot?: Int32Array,
    wrow?: Int32Array, k?: Float32Array, v?: Float32Array): void;
  /**
   * The most rows M for which gemm with tB = false computes every row of C exactly as it would compute that row
   * alone (same summation order whatever M is). Decoding splits its products into blocks of at most this many
   * rows so that a sequence's logits do not depend on which sequences share the step. Infinity: always.
   */
  readonly gemmRowBlock: number;
  /**
   * Width of the column panels packPanels lays out (the SGEMM's register tile width). A packed matrix holds
   * ceil(N / panelWidth) * panelWidth * K floats (see panelsSize).
   */
  readonly panelWidth: number;
  /**
   * Lays B out for gemmPanels: src is B [K, N] row-major (tB false) or Bᵀ stored [N, K] (tB true, a weight
   * [out, in]); out receives panelsSize(K, N) floats: panel p = columns [p * panelWidth, ...) as K rows of
   * panelWidth contiguous floats, zero past N.
   */
  packPanels(src: Float32Array, K: number, N: number, tB: boolean, out: Float32Array): void;
  /**
   * C[M,N] = (accumulate ? C : 0) + A[M,K] · B with B as packPanels laid it out (decoding's weights: packed once,
   * streamed sequentially). Every row of C is computed the same whatever M is (no gemmRowBlock limit).
   */
  gemmPanels(M: number, N: number, K: number, A: Float32Array, lda: number, P: Float32Array, C: Float32Array, ldc: number, accumulate: boolean): void;
  /**
   * Writes n tokens' keys and values (k, v [n, KV * hd]) into a KV cache at (slot[t], pos[t]): keys [slots, KV, hd,
   * cap] (transposed, as attnDecode reads them), values [slots, KV, cap, hd]. Each token needs its own (slot, pos).
   */
  cacheWrite(n: number, KV: number, hd: number, cap: number, slot: Int32Array, pos: Int32Array,
    k: Float32Array, v: Float32Array, kcache: Float32Array, vcache: Float32Array): void;
  /** y = x * r * w with r = 1 / sqrt(mean(x^2) + eps) per row of x [N, d]; r [N] is kept for backward. */
  rmsNormForward(x: Float32Array, w: Float32Array, y: Float32Array, r: Float32Array, N: number, d: number, eps: number): void;
  /** dx += r * (dy*w - xhat * mean(dy*w * xhat)); dw += sum_t dy * xhat, with xhat = x * r. */
  rmsNormBackward(x: Float32Array, w: Float32Array, r: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, N: number, d: number): void;
  /** m = silu(g) * u elementwise (m may alias g). */
  swigluForward(g: Float32Array, u: Float32Array, m: Float32Array): void;
  /** Gradients of swigluForward: dg, du from dm (overwritten). */
  swigluBackward(g: Float32Array, u: Float32Array, dm: Float32Array, dg: Float32Array, du: Float32Array): void;
  /**
   * Rotate-half RoPE in place on x [N, heads * hd] at positions pos, from tables cos/sin [P, hd / 2];
   * inverse applies the transposed rotation (the backward of the forward rotation).
   */
  rope(x: Float32Array, pos: Int32Array, N: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array, inverse: boolean): void;
  /**
   * One AdamW update of a tensor in place, per element in float64 as torch.optim.AdamW (see model/optim.ts):
   * g' = g * clipScale; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; w = w * decay - stepSize * m / (sqrt(v) /
   * sqrtBc2 + eps); then g = 0.
   */
  adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, clipScale: number, b1: number, b2: number,
    stepSize: number, sqrtBc2: number, eps: number, decay: number): void;
  /** Σ x² accumulated in float64. */
  sumSquares(x: Float32Array): number;
  /**
   * Native only (the token losses keep their float64 TypeScript loop without it). Softmax statistics of n rows of
   * V logits, row r at z[off[r]..]: lse[r] = log Σ_j exp(z_j · invT), amax[r] = the first maximum's index, pz[r] =
   * Σ_j p_j z_j; in float64. A row with a NaN gets amax -1, with +Infinity -2, with every logit -Infinity -3.
   */
  softmaxStats?(z: Float32Array, off: Int32Array, n: number, V: number, invT: number, lse: Float64Array, amax: Int32Array, pz: Float64Array): void;
  /** Native only. Row r of g (at off[r], V floats) = a[r] · exp(z_j · invT − lse[r]), plus b[r] at j = y[r]; g may be z. */
  softmaxGrad?(z: Float32Array, g: Float32Array, off: Int32Array, n: number, V: number, invT: number, lse: Float64Array, a: Float64Array,
    y: Int32Array, b: Float64Array): void;
  /** Sets the worker-pool size (native); returns the size in effect. */
  setThreads(n: number): number;
}

/** Floats a packPanels result holds for a [K, N] matrix. */
export function panelsSize(k: Pick<Kernels, "panelWidth">, K: number, N: number): number {
  return Math.ceil(N / k.panelWidth) * k.panelWidth * K;
}

let nativeCache: Kernels | null | undefined;
let nativeError = "";

/** The native kernels, or null when the addon is not built / fails to load (the reason is in nativeLoadError()). */
export function loadNativeKernels(): Kernels | null {
  if (nativeCache !== undefined) return nativeCache;
  nativeCache = null;
  const here = dirname(fileURLToPath(import.meta.url));
  // src/model (tsx) and dist/model (compiled) are both two levels below the package root.
  const file = join(here, "..", "..", "native", "build", "Release", "trimer_kernels.node");
  if (!existsSync(file)) {
    nativeError = `${file} does not exist (run npm ci / node native/build.mjs)`;
    return null;
  }
  try {
    const req = createRequire(import.meta.url);
    const mod = req(file) as Omit<Kernels, "name">;
    const threads = Number(process.env.TRIMER_THREADS ?? Math.min(2, availableParallelism()));
    mod.setThreads(Number.isInteger(threads) && threads > 0 ? threads : 2);
    const missing = (["gemm", "attnForward", "attnBackward", "attnDecode", "rmsNormForward", "rmsNormBackward", "swigluForward",
      "swigluBackward", "rope", "setThreads", "packPanels", "gemmPanels", "cacheWrite", "adamw", "sumSquares", "softmaxStats", "softmaxGrad"] as const).filter((k) => typeof mod[k] !== "function");
    if (missing.length) throw new Error(`the addon lacks ${missing.join(", ")} (stale build? run node native/build.mjs)`);
    if (!(Number.isInteger(mod.panelWidth) && mod.panelWidth >= 1)) throw new Error("the addon lacks panelWidth (stale build? run node native/build.mjs)");
    if (!(Number.isInteger(mod.gemmRowBlock) && mod.gemmRowBlock >= 1)) throw new Error("the addon lacks gemmRowBlock (stale build? run node native/build.mjs)");
    nativeCache = { ...mod, name: "native" };
  } catch (e) {
    nativeError = `${file}: ${(e as Error).message}`;
  }
  return nativeCache;
}

export function nativeLoadError(): string {
  return nativeError;
}

let selected: Kernels | undefined;

/** The kernels the engine uses (chosen once per process). */
export function kernels(): Kernels {
  if (selected) return selected;
  const want = process.env.TRIMER_KERNELS;
  if (want === "js") return (selected = jsKernels);
  const native = loadNativeKernels();
  if (want === "native" && !native) throw new Error(`TRIMER_KERNELS=native but the native kernels did not load: ${nativeError}`);
  if (want !== undefined && want !== "native" && want !== "js") throw new Error(`TRIMER_KERNELS must be "js" or "native", got "${want}"`);
  if (!native && !warned) {
    warned = true;
    process.emitWarning(`trimer: native kernels unavailable, using the TypeScript kernels (slower): ${nativeError}`);
  }
  return (selected = native ?? jsKernels);
}
let warned = false;

export { jsKernels };

// Pure-TypeScript kernels: the fallback when the native addon is missing, and the reference the native kernels are
// tested against. Same signatures and semantics as native/kernels.cc (row-major, leading dimensions, float32
// storage; sums in JS doubles, which is at least as accurate as the native float32 accumulation).

import type { Kernels } from "./kernels.js";

function gemm(
  tA: boolean, tB: boolean, M: number, N: number, K: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, C: Float32Array, ldc: number, accumulate: boolean,
): void {
  checkGemm(tA, tB, M, N, K, A, lda, B, ldb, C, ldc);
  // Loop orders chosen so the innermost loop walks contiguous memory where the layout allows it.
  if (!tB) {
    // C[i, :] += A(i,k) * B[k, :]
    const row = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const a = tA ? A[k * lda + i]! : A[i * lda + k]!;
        if (a === 0) continue;
        const bo = k * ldb;
        for (let j = 0; j < N; j++) row[j]! += a * B[bo + j]!;
      }
      const co = i * ldc;
      if (accumulate) for (let j = 0; j < N; j++) C[co + j] = C[co + j]! + row[j]!;
      else for (let j = 0; j < N; j++) C[co + j] = row[j]!;
    }
  } else {
    // C[i, j] = dot(A(i, :), B[j, :])
    const arow = new Float64Array(K);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) arow[k] = tA ? A[k * lda + i]! : A[i * lda + k]!;
      const co = i * ldc;
      for (let j = 0; j < N; j++) {
        const bo = j * ldb;
        let s = 0;
        for (let k = 0; k < K; k++) s += arow[k]! * B[bo + k]!;
        C[co + j] = accumulate ? C[co + j]! + s : s;
      }
    }
  }
}

export function checkGemm(
  tA: boolean, tB: boolean, M: number, N: number, K: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, C: Float32Array, ldc: number,
): void {
  if (M < 0 || N < 0 || K < 0) throw new TypeError("gemm: negative dimension");
  if (M === 0 || N === 0) return;
  const lastA = K === 0 ? 0 : tA ? (K - 1) * lda + M : (M - 1) * lda + K;
  const lastB = K === 0 ? 0 : tB ? (N - 1) * ldb + K : (K - 1) * ldb + N;
  const lastC = (M - 1) * ldc + N;
  if (lastA > A.length || lastB > B.length || lastC > C.length) throw new TypeError("gemm: operand too small for the given dimensions");
}

function attnForward(
  rows: number, H: number, KV: number, hd: number, qs: number, ks: number, start: Int32Array, len: Int32Array,
  Q: Float32Array, K: Float32Array, V: Float32Array, Y: Float32Array, LSE: Float32Array,
): void {
  const group = H / KV, scale = 1 / Math.sqrt(hd);
  for (let r = 0; r < rows; r++) {
    const T = len[r]!, s0 = start[r]!;
    const sc = new Float64Array(T), acc = new Float64Array(hd);
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qo = (s0 + t) * qs + h * hd;
        let mx = -Infinity;
        for (let j = 0; j <= t; j++) {
          const ko = (s0 + j) * ks + g * hd;
          let s = 0;
          for (let i = 0; i < hd; i++) s += Q[qo + i]! * K[ko + i]!;
          sc[j] = s * scale;
          if (sc[j]! > mx) mx = sc[j]!;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) { sc[j] = Math.exp(sc[j]! - mx); sum += sc[j]!; }
        acc.fill(0);
        for (let j = 0; j <= t; j++) {
          const vo = (s0 + j) * ks + g * hd, p = sc[j]! / sum;
          for (let i = 0; i < hd; i++) acc[i]! += p * V[vo + i]!;
        }
        for (let i = 0; i < hd; i++) Y[qo + i] = acc[i]!;
        LSE[(s0 + t) * H + h] = mx + Math.log(sum);
      }
    }
  }
}

function attnBackward(
  rows: number, H: number, KV: number, hd: number, qs: number, ks: number, start: Int32Array, len: Int32Array,
  Q: Float32Array, K: Float32Array, V: Float32Array, Y: Float32Array, LSE: Float32Array,
  dY: Float32Array, dQ: Float32Array, dK: Float32Array, dV: Float32Array,
): void {
  const group = H / KV, scale = 1 / Math.sqrt(hd);
  for (let r = 0; r < rows; r++) {
    const T = len[r]!, s0 = start[r]!;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qo = (s0 + t) * qs + h * hd;
        let Dt = 0;
        for (let i = 0; i < hd; i++) Dt += dY[qo + i]! * Y[qo + i]!;
        const lse = LSE[(s0 + t) * H + h]!;
        for (let i = 0; i < hd; i++) dQ[qo + i] = 0;
        for (let j = 0; j <= t; j++) {
          const ko = (s0 + j) * ks + g * hd;
          let s = 0, dp = 0;
          for (let i = 0; i < hd; i++) { s += Q[qo + i]! * K[ko + i]!; dp += dY[qo + i]! * V[ko + i]!; }
          const p = Math.exp(s * scale - lse);
          const ds = p * (dp - Dt) * scale;
          for (let i = 0; i < hd; i++) {
            dQ[qo + i] = dQ[qo + i]! + ds * K[ko + i]!;
            dK[ko + i] = dK[ko + i]! + ds * Q[qo + i]!;
            dV[ko + i] = dV[ko + i]! + p * dY[qo + i]!;
          }
        }
      }
    }
  }
}

function attnDecode(
  B: number, H: number, KV: number, hd: number, cap: number, len: Int32Array,
  q: Float32Array, kc: Float32Array, vc: Float32Array, y: Float32Array, slot?: Int32Array,
  wrow?: Int32Array, wk?: Float32Array, wv?: Float32Array,
): void {
  const group = H / KV, scale = 1 / Math.sqrt(hd);
  const per = KV * hd * cap;
  if (q.length < B * H * hd || y.length < B * H * hd) throw new TypeError("attnDecode: q or y too small");
  if (len.length < B || (slot && slot.length < B)) throw new TypeError("attnDecode: len/slot shorter than B");
  if (wrow) {
    // The fused cache writes: query b's key/value (row wrow[b] of wk, wv) at its slot, position len[b] - 1.
    if (!wk || !wv) throw new TypeError("attnDecode: wrow must be an Int32Array (with k and v)");
    if (wrow.length < B) throw new TypeError("attnDecode: wrow shorter than B");
    const seen = new Set<number>();
    const ws: number[] = [], wp: number[] = [], rows: number[] = [];
    for (let b = 0; b < B; b++) {
      if (wrow[b]! < 0) continue;
      if ((wrow[b]! + 1) * KV * hd > wk.length || (wrow[b]! + 1) * KV * hd > wv.length) throw new TypeError("attnDecode: wrow names a row past k or v");
      const s = slot ? slot[b]! : b;
      if (seen.has(s)) throw new TypeError("attnDecode: two queries that write their key/value share a slot");
      seen.add(s);
      ws.push(s);
      wp.push(len[b]! - 1);
      rows.push(wrow[b]!);
    }
    const kvd = KV * hd, kr = new Float32Array(rows.length * kvd), vr = new Float32Array(rows.length * kvd);
    rows.forEach((r, i) => { kr.set(wk.subarray(r * kvd, (r + 1) * kvd), i * kvd); vr.set(wv.subarray(r * kvd, (r + 1) * kvd), i * kvd); });
    cacheWrite(rows.length, KV, hd, cap, Int32Array.from(ws), Int32Array.from(wp), kr, vr, kc, vc);
  }
  const sc = new Float64Array(cap), acc = new Float64Array(hd);
  for (let b = 0; b < B; b++) {
    const S = len[b]!;
    if (S < 1 || S > cap) throw new TypeError("attnDecode: length outside the cache");
    const s = slot ? slot[b]! : b;
    if (s < 0 || (s + 1) * per > kc.length || (s + 1) * per > vc.length) throw new TypeError("attnDecode: slot outside the cache");
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const qo = b * H * hd + h * hd, base = (s * KV + g) * cap * hd;
      let mx = -Infinity;
      for (let j = 0; j < S; j++) {
        let s = 0;
        // Keys are stored transposed: [hd, cap] per (sequence, kv head).
        for (let i = 0; i < hd; i++) s += q[qo + i]! * kc[base + i * cap + j]!;
        sc[j] = s * scale;
        if (sc[j]! > mx) mx = sc[j]!;
      }
      let sum = 0;
      for (let j = 0; j < S; j++) { sc[j] = Math.exp(sc[j]! - mx); sum += sc[j]!; }
      acc.fill(0);
      for (let j = 0; j < S; j++) {
        const vo = base + j * hd, p = sc[j]! / sum;
        for (let i = 0; i < hd; i++) acc[i]! += p * vc[vo + i]!;
      }
      for (let i = 0; i < hd; i++) y[qo + i] = acc[i]!;
    }
  }
}

function cacheWrite(
  n: number, KV: number, hd: number, cap: number, slot: Int32Array, pos: Int32Array,
  k: Float32Array, v: Float32Array, kc: Float32Array, vc: Float32Array,
): void {
  const kvd = KV * hd, per = KV * hd * cap;
  if (slot.length < n || pos.length < n) throw new TypeError("cacheWrite: slot/pos shorter than n");
  if (k.length < n * kvd || v.length < n * kvd) throw new TypeError("cacheWrite: k or v too small");
  for (let t = 0; t < n; t++) {
    const s = slot[t]!, p = pos[t]!, src = t * kvd;
    if (p < 0 || p >= cap) throw new TypeError("cacheWrite: position outside the cache");
    if (s < 0 || (s + 1) * per > kc.length || (s + 1) * per > vc.length) throw new TypeError("cacheWrite: slot outside the cache");
    for (let j = 0; j < KV; j++) {
      const vo = ((s * KV + j) * cap + p) * hd, ko = (s * KV + j) * hd * cap + p, so = src + j * hd;
      for (let i = 0; i < hd; i++) vc[vo + i] = v[so + i]!;
      for (let i = 0; i < hd; i++) kc[ko + i * cap] = k[so + i]!; // keys transposed: [hd, cap]
    }
  }
}

function rmsNormForward(x: Float32Array, w: Float32Array, y: Float32Array, r: Float32Array, N: number, d: number, eps: number): void {
  for (let t = 0; t < N; t++) {
    const o = t * d;
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[o + i]! * x[o + i]!;
    const rr = 1 / Math.sqrt(ss / d + eps);
    r[t] = rr;
    for (let i = 0; i < d; i++) y[o + i] = x[o + i]! * rr * w[i]!;
  }
}

function rmsNormBackward(x: Float32Array, w: Float32Array, r: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, N: number, d: number): void {
  for (let t = 0; t < N; t++) {
    const o = t * d, rr = r[t]!;
    let dot = 0;
    for (let i = 0; i < d; i++) {
      const xhat = x[o + i]! * rr;
      dot += dy[o + i]! * w[i]! * xhat;
      dw[i] = dw[i]! + dy[o + i]! * xhat;
    }
    const c = dot / d;
    for (let i = 0; i < d; i++) dx[o + i] = dx[o + i]! + rr * (dy[o + i]! * w[i]! - x[o + i]! * rr * c);
  }
}

function swigluForward(g: Float32Array, u: Float32Array, m: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const x = g[i]!;
    m[i] = (x / (1 + Math.exp(-x))) * u[i]!;
  }
}

function swigluBackward(g: Float32Array, u: Float32Array, dm: Float32Array, dg: Float32Array, du: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const x = g[i]!, s = 1 / (1 + Math.exp(-x));
    du[i] = dm[i]! * x * s;
    dg[i] = dm[i]! * u[i]! * s * (1 + x * (1 - s));
  }
}

function rope(x: Float32Array, pos: Int32Array, N: number, heads: number, hd: number, cos: Float32Array, sin: Float32Array, inverse: boolean): void {
  const half = hd / 2, stride = heads * hd, sgn = inverse ? -1 : 1;
  for (let t = 0; t < N; t++) {
    const co = pos[t]! * half;
    if (pos[t]! < 0 || co + half > cos.length) throw new TypeError("rope: position outside the table");
    for (let h = 0; h < heads; h++) {
      const o = t * stride + h * hd;
      for (let i = 0; i < half; i++) {
        const c = cos[co + i]!, s = sgn * sin[co + i]!;
        const x1 = x[o + i]!, x2 = x[o + i + half]!;
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

// Panels of PW columns (see Kernels.packPanels); the JS product reads them back in the same k order as gemm.
const PW = 16;

function packPanels(src: Float32Array, K: number, N: number, tB: boolean, out: Float32Array): void {
  if (K < 0 || N < 0) throw new TypeError("packPanels: negative dimension");
  const panels = Math.ceil(N / PW);
  if (src.length < K * N || out.length < panels * PW * K) throw new TypeError("packPanels: array too small for the given dimensions");
  for (let p = 0; p < panels; p++) {
    const o = p * PW * K;
    for (let k = 0; k < K; k++) {
      for (let c = 0; c < PW; c++) {
        const j = p * PW + c;
        out[o + k * PW + c] = j < N ? (tB ? src[j * K + k]! : src[k * N + j]!) : 0;
      }
    }
  }
}

function gemmPanels(M: number, N: number, K: number, A: Float32Array, lda: number, P: Float32Array, C: Float32Array, ldc: number, accumulate: boolean): void {
  if (M < 0 || N < 0 || K < 0) throw new TypeError("gemmPanels: negative dimension");
  if (M === 0 || N === 0) return;
  if (lda < K || ldc < N || (M - 1) * lda + K > A.length || P.length < Math.ceil(N / PW) * PW * K || (M - 1) * ldc + N > C.length) {
    throw new TypeError("gemmPanels: operand too small for the given dimensions");
  }
  const row = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const a = A[i * lda + k]!;
      if (a === 0) continue;
      for (let j0 = 0; j0 < N; j0 += PW) {
        const base = j0 * K + k * PW - j0, end = Math.min(N, j0 + PW);
        for (let j = j0; j < end; j++) row[j]! += a * P[base + j]!;
      }
    }
    const co = i * ldc;
    if (accumulate) for (let j = 0; j < N; j++) C[co + j] = C[co + j]! + row[j]!;
    else for (let j = 0; j < N; j++) C[co + j] = row[j]!;
  }
}

function adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, clipScale: number, b1: number, b2: number,
  stepSize: number, sqrtBc2: number, eps: number, decay: number): void {
  if (g.length < w.length || m.length < w.length || v.length < w.length) throw new TypeError("adamw: g, m or v shorter than w");
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]! * clipScale;
    const mi = b1 * m[i]! + (1 - b1) * gi;
    const vi = b2 * v[i]! + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
  g.fill(0, 0, w.length);
}

function sumSquares(x: Float32Array): number {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  return ss;
}

export const jsKernels: Kernels = {
  name: "js",
  gemm,
  attnForward,
  attnBackward,
  attnDecode,
  cacheWrite,
  rmsNormForward,
  rmsNormBackward,
  swigluForward,
  swigluBackward,
  rope,
  adamw,
  sumSquares,
  setThreads: () => 1,
  // Every row of C is its own loop (sums in doubles, in k order) whatever M is.
  gemmRowBlock: Number.POSITIVE_INFINITY,
  panelWidth: PW,
  packPanels,
  gemmPanels,
};

import { test } from "node:test";
import assert from "node:assert/strict";
import { jsKernels } from "../../src/model/kernels-js.js";
import { loadNativeKernels, nativeLoadError, panelsSize, type Kernels } from "../../src/model/kernels.js";
import { createRng } from "../../src/util/rng.js";

const native = loadNativeKernels();
const rng = createRng(7);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return num / Math.max(den, 1e-30);
}

/** Naive float64 product, the ground truth for both implementations. */
function refGemm(tA: boolean, tB: boolean, M: number, N: number, K: number, A: Float32Array, lda: number, B: Float32Array, ldb: number, C0: Float32Array, ldc: number, acc: boolean): Float32Array {
  const C = Float32Array.from(C0);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? A[k * lda + i]! : A[i * lda + k]!) * (tB ? B[j * ldb + k]! : B[k * ldb + j]!);
    C[i * ldc + j] = (acc ? C[i * ldc + j]! : 0) + s;
  }
  return C;
}

const impls: [string, Kernels | null][] = [["js", jsKernels], ["native", native]];

// npm ci builds the addon; where it could not be built (no compiler) the engine runs on the TypeScript kernels and
// the native tests below skip. An addon that exists but does not load is a broken build: that fails.
const built = !/does not exist/.test(nativeLoadError());
test("the native addon, when built, loads", { skip: !built && "native/build has no addon (the TypeScript kernels are in use)" }, () => {
  assert.ok(native, `native kernels did not load: ${nativeLoadError()}`);
});

for (const [name, K] of impls) {
  test(`${name} gemm matches a float64 reference in all transpose modes, odd sizes, strides, accumulate`, { skip: !K }, () => {
    // Sizes straddle the micro-tile (6 x 16) and the K block (256) edges; lda/ldb/ldc exceed the logical widths.
    for (const [M, N, K_] of [[1, 1, 1], [7, 17, 5], [13, 33, 300], [100, 20, 64], [6, 16, 257], [65, 130, 40]] as const) {
      for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) {
        const lda = (tA ? M : K_) + 3, ldb = (tB ? K_ : N) + 2, ldc = N + 5;
        const A = rand((tA ? K_ : M) * lda), B = rand((tB ? N : K_) * ldb), C = rand(M * ldc);
        const want = refGemm(tA, tB, M, N, K_, A, lda, B, ldb, C, ldc, acc);
        const got = Float32Array.from(C);
        K!.gemm(tA, tB, M, N, K_, A, lda, B, ldb, got, ldc, acc);
        assert.ok(maxRelErr(got, want) < 1e-5, `M=${M} N=${N} K=${K_} tA=${tA} tB=${tB} acc=${acc}: rel err ${maxRelErr(got, want)}`);
        // Padding columns between rows of C are untouched.
        for (let i = 0; i < M; i++) for (let j = N; j < ldc && i * ldc + j < C.length; j++) assert.equal(got[i * ldc + j], C[i * ldc + j]);
      }
    }
  });

  test(`${name} gemm rejects operands that are too small`, { skip: !K }, () => {
    assert.throws(() => K!.gemm(false, false, 4, 4, 4, new Float32Array(15), 4, new Float32Array(16), 4, new Float32Array(16), 4, false), /too small/);
  });
}

test("native adamw and sumSquares equal the TypeScript kernels (odd sizes, clipping, decay)", { skip: !native }, () => {
  for (const n of [1, 17, 1000, 70_001]) {
    const w = rand(n), g = rand(n), m = rand(n).map((x) => x * 0.1), v = rand(n).map((x) => x * x);
    const sets = [jsKernels, native!].map(() => [w, g, m, v].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array, Float32Array]);
    jsKernels.adamw(...sets[0]!, 0.7, 0.9, 0.999, 1e-3 / 0.1, Math.sqrt(1 - 0.999), 1e-8, 1 - 1e-4);
    native!.adamw(...sets[1]!, 0.7, 0.9, 0.999, 1e-3 / 0.1, Math.sqrt(1 - 0.999), 1e-8, 1 - 1e-4);
    for (let j = 0; j < 4; j++) assert.ok(maxRelErr(sets[1]![j]!, sets[0]![j]!) < 1e-6, `n ${n}, array ${j}: ${maxRelErr(sets[1]![j]!, sets[0]![j]!)}`);
    assert.ok(sets[1]![1]!.every((x) => x === 0), "the gradient is zeroed");
    const s1 = jsKernels.sumSquares(w), s2 = native!.sumSquares(w);
    assert.ok(Math.abs(s1 - s2) <= 1e-12 * s1, `sumSquares ${s1} vs ${s2}`);
  }
  assert.equal(native!.sumSquares(new Float32Array(0)), 0);
  assert.throws(() => native!.adamw(new Float32Array(4), new Float32Array(3), new Float32Array(4), new Float32Array(4), 1, 0.9, 0.99, 1, 1, 1e-8, 1), /too small/);
});

test("native training attention equals the TypeScript kernels at every head size path (small-head kernels, odd sizes, GQA)", { skip: !native }, () => {
  // Head sizes 1..4 vectors take the fused small-head kernels (8, 24 and 40 leave a partial vector; 64 = 4 vectors
  // with AVX-512), 72 and 100 the SGEMM path; lengths straddle the query block (8) and the vector width (16).
  for (const [H, KV, hd] of [[4, 2, 24], [2, 1, 8], [3, 3, 40], [4, 4, 32], [2, 2, 64], [2, 1, 72], [1, 1, 100]] as const) {
    const lens = [1, 9, 17, 33, 8, 70];
    const N = lens.reduce((a, b) => a + b, 0), qs = H * hd + 3, ks = KV * hd + 1; // strides wider than the heads
    const start = new Int32Array(lens.length), len = Int32Array.from(lens);
    let o = 0;
    lens.forEach((l, i) => { start[i] = o; o += l; });
    const Q = rand(N * qs), Kx = rand(N * ks), V = rand(N * ks), dY = rand(N * qs);
    const run = (k: Kernels) => {
      const Y = new Float32Array(N * qs).fill(7), L = new Float32Array(N * H), dQ = new Float32Array(N * qs).fill(7);
      const dK = new Float32Array(N * ks).fill(0.5), dV = new Float32Array(N * ks).fill(0.5);
      k.attnForward(lens.length, H, KV, hd, qs, ks, start, len, Q, Kx, V, Y, L);
      k.attnBackward(lens.length, H, KV, hd, qs, ks, start, len, Q, Kx, V, Y, L, dY, dQ, dK, dV);
      return [Y, L, dQ, dK, dV];
    };
    const a = run(jsKernels), b = run(native!);
    a.forEach((x, i) => assert.ok(maxRelErr(b[i]!, x) < 1e-5, `hd ${hd}, output ${i}: ${maxRelErr(b[i]!, x)}`));
    // The columns between heads' strides are left alone (7 in Y and dQ, 0.5 in dK and dV).
    for (let t = 0; t < N; t++) {
      for (let c = H * hd; c < qs; c++) assert.equal(b[0]![t * qs + c], 7);
      for (let c = H * hd; c < qs; c++) assert.equal(b[2]![t * qs + c], 7);
      for (let c = KV * hd; c < ks; c++) assert.equal(b[3]![t * ks + c], 0.5);
    }
  }
});

test("native attention forward, backward and decode equal the TypeScript kernels (GQA, rows of different lengths)", { skip: !native }, () => {
  const H = 4, KV = 2, hd = 8, lens = [5, 1, 140, 7]; // 140 spans three 64-query blocks of the native kernel
  const N = lens.reduce((a, b) => a + b, 0), qs = H * hd, ks = KV * hd;
  const start = new Int32Array(lens.length), len = Int32Array.from(lens);
  let o = 0;
  lens.forEach((l, i) => { start[i] = o; o += l; });
  const Q = rand(N * qs), Kx = rand(N * ks), V = rand(N * ks), dY = rand(N * qs);
  const run = (k: Kernels) => {
    const Y = new Float32Array(N * qs), L = new Float32Array(N * H), dQ = new Float32Array(N * qs);
    const dK = new Float32Array(N * ks).fill(0.5), dV = new Float32Array(N * ks).fill(0.5);
    k.attnForward(lens.length, H, KV, hd, qs, ks, start, len, Q, Kx, V, Y, L);
    k.attnBackward(lens.length, H, KV, hd, qs, ks, start, len, Q, Kx, V, Y, L, dY, dQ, dK, dV);
    return [Y, L, dQ, dK, dV];
  };
  const a = run(jsKernels), b = run(native!);
  a.forEach((x, i) => assert.ok(maxRelErr(b[i]!, x) < 1e-5, `output ${i}: ${maxRelErr(b[i]!, x)}`));

  // Decode: lengths and head size exercise the native kernel's vector blocks (64 and 16 positions, 32 dims)
  // and their scalar tails.
  const B = 4, cap = 150, dhd = 40, dqs = H * dhd, dl = Int32Array.from([1, 150, 77, 13]);
  const q = rand(B * dqs), kc = rand(B * KV * cap * dhd), vc = rand(B * KV * cap * dhd);
  const y1 = new Float32Array(B * dqs), y2 = new Float32Array(B * dqs);
  jsKernels.attnDecode(B, H, KV, dhd, cap, dl, q, kc, vc, y1);
  native!.attnDecode(B, H, KV, dhd, cap, dl, q, kc, vc, y2);
  assert.ok(maxRelErr(y2, y1) < 1e-5, `decode: ${maxRelErr(y2, y1)}`);
  assert.throws(() => native!.attnDecode(B, H, KV, dhd, cap, Int32Array.from([0, 1, 1, 1]), q, kc, vc, y2), /outside the cache/);

  // With a slot array: six queries over the four slots, three of them on slot 2 with increasing lengths (a prompt
  // decoded in one step). Each query equals the same query run alone on its slot (exactly), and native = js.
  const slot = Int32Array.from([2, 0, 2, 2, 3, 1]), sl = Int32Array.from([1, 1, 2, 77, 13, 150]);
  const n = slot.length, qn = rand(n * dqs);
  const z1 = new Float32Array(n * dqs), z2 = new Float32Array(n * dqs);
  jsKernels.attnDecode(n, H, KV, dhd, cap, sl, qn, kc, vc, z1, slot);
  native!.attnDecode(n, H, KV, dhd, cap, sl, qn, kc, vc, z2, slot);
  assert.ok(maxRelErr(z2, z1) < 1e-5, `decode with slots: ${maxRelErr(z2, z1)}`);
  const per = KV * cap * dhd;
  for (let b = 0; b < n; b++) {
    for (const [k, z] of [[jsKernels, z1], [native!, z2]] as const) {
      // The slot copied alone into a one-slot cache, the query alone: bitwise the same output.
      const one = new Float32Array(dqs);
      k.attnDecode(1, H, KV, dhd, cap, sl.subarray(b, b + 1), qn.subarray(b * dqs, (b + 1) * dqs),
        kc.slice(slot[b]! * per, (slot[b]! + 1) * per), vc.slice(slot[b]! * per, (slot[b]! + 1) * per), one);
      assert.deepEqual(one, z.subarray(b * dqs, (b + 1) * dqs), `${k.name} query ${b}`);
    }
  }
  for (const k of [jsKernels, native!]) {
    assert.throws(() => k.attnDecode(n, H, KV, dhd, cap, sl, qn, kc, vc, z1, Int32Array.from([0, 0, 0, 0, 0, 4])), /slot outside the cache/);
    assert.throws(() => k.attnDecode(n, H, KV, dhd, cap, sl, qn, kc, vc, z1, Int32Array.from([0, 0, 0, 0, 0, -1])), /slot outside the cache/);
    assert.throws(() => k.attnDecode(n, H, KV, dhd, cap, sl, qn, kc, vc, z1, Int32Array.from([0, 0])), /shorter than B/);
    assert.throws(() => k.attnDecode(n + 1, H, KV, dhd, cap, Int32Array.from([...sl, 1]), qn, kc, vc, z1), /too small/);
  }
  assert.ok(Number.isInteger(native!.gemmRowBlock) && native!.gemmRowBlock >= 1);
});

test("gemm with a row-major B computes each row the same whatever M is, up to gemmRowBlock rows", () => {
  // The decode step relies on this (a sequence's logits must not depend on the rows beside it); K = 512 spans
  // several K blocks, where the packed and unpacked paths of the native SGEMM sum in different orders.
  for (const [name, k] of impls) {
    if (!k) continue;
    const M = Math.min(k.gemmRowBlock, 100), N = 600, Kd = 512;
    const A = rand(M * Kd), Bm = rand(Kd * N), C = new Float32Array(M * N);
    k.gemm(false, false, M, N, Kd, A, Kd, Bm, N, C, N, false);
    for (const i of [0, Math.floor(M / 2), M - 1]) {
      const one = new Float32Array(N);
      k.gemm(false, false, 1, N, Kd, A.subarray(i * Kd, (i + 1) * Kd), Kd, Bm, N, one, N, false);
      assert.deepEqual(one, C.subarray(i * N, (i + 1) * N), `${name} row ${i} of ${M}`);
    }
  }
});

test("gemmPanels over packPanels equals the product, computes each row the same whatever M is, and checks sizes", () => {
  // Decoding's products: weights [out, in] packed once (tB), or a row-major [K, N] matrix; N not a multiple of the
  // panel width and K spanning several K blocks; M up to 200 (past the native small-M block of 96 rows).
  for (const [name, k] of impls) {
    if (!k) continue;
    for (const [M, N, Kd, tB] of [[200, 72, 300, true], [5, 33, 7, false], [1, 1, 1, true], [37, 130, 256, false], [32, 100, 129, true], [10, 64, 128, false]] as const) {
      const A = rand(M * Kd), W = rand(Kd * N), C0 = rand(M * N);
      const P = new Float32Array(panelsSize(k, Kd, N));
      k.packPanels(W, Kd, N, tB, P);
      for (const acc of [false, true]) {
        const C = Float32Array.from(C0);
        k.gemmPanels(M, N, Kd, A, Kd, P, C, N, acc);
        const ref = refGemm(false, tB, M, N, Kd, A, Kd, W, tB ? Kd : N, C0, N, acc);
        assert.ok(maxRelErr(C, ref) < 1e-5, `${name} ${M}x${N}x${Kd}: ${maxRelErr(C, ref)}`);
        for (const i of [0, Math.floor(M / 2), M - 1]) {
          const one = Float32Array.from(C0.subarray(i * N, (i + 1) * N));
          k.gemmPanels(1, N, Kd, A.subarray(i * Kd, (i + 1) * Kd), Kd, P, one, N, acc);
          assert.deepEqual(one, C.subarray(i * N, (i + 1) * N), `${name} row ${i} of ${M}`);
        }
      }
    }
    const P = new Float32Array(panelsSize(k, 8, 8));
    assert.throws(() => k.packPanels(rand(63), 8, 8, false, P), /too small/);
    assert.throws(() => k.packPanels(rand(64), 8, 8, false, P.subarray(1)), /too small/);
    assert.throws(() => k.gemmPanels(2, 8, 8, rand(15), 8, P, new Float32Array(16), 8, false), /too small/);
    assert.throws(() => k.gemmPanels(2, 8, 8, rand(16), 8, P.subarray(1), new Float32Array(16), 8, false), /too small/);
  }
});

test("native RMSNorm, SwiGLU and RoPE (forward and backward) equal the TypeScript kernels", { skip: !native }, () => {
  const N = 37, d = 24, heads = 3, hd = 8, P = 50;
  const x = rand(N * d), w = rand(d), dy = rand(N * d);
  const pos = Int32Array.from({ length: N }, (_, i) => (i * 7) % P);
  const cos = Float32Array.from({ length: P * hd / 2 }, (_, i) => Math.cos(i * 0.1)), sin = Float32Array.from({ length: P * hd / 2 }, (_, i) => Math.sin(i * 0.1));
  const run = (k: Kernels) => {
    const y = new Float32Array(N * d), r = new Float32Array(N), dx = new Float32Array(N * d).fill(1), dw = new Float32Array(d).fill(2);
    k.rmsNormForward(x, w, y, r, N, d, 1e-5);
    k.rmsNormBackward(x, w, r, dy, dx, dw, N, d);
    const m = new Float32Array(N * d), dg = new Float32Array(N * d), du = new Float32Array(N * d);
    k.swigluForward(x, dy, m);
    k.swigluBackward(x, dy, y, dg, du);
    const rx = Float32Array.from(x), ri = Float32Array.from(x);
    k.rope(rx, pos, N, heads, hd, cos, sin, false);
    k.rope(ri, pos, N, heads, hd, cos, sin, false);
    k.rope(ri, pos, N, heads, hd, cos, sin, true);
    return { y, r, dx, dw, m, dg, du, rx, ri };
  };
  const a = run(jsKernels), b = run(native!);
  for (const key of Object.keys(a) as (keyof typeof a)[]) assert.ok(maxRelErr(b[key], a[key]) < 1e-5, `${key}: ${maxRelErr(b[key], a[key])}`);
  // The inverse rotation undoes the forward one.
  assert.ok(maxRelErr(a.ri, x) < 1e-6);
  assert.throws(() => native!.rope(Float32Array.from(x), Int32Array.from({ length: N }, () => P), N, heads, hd, cos, sin, false), /outside the table/);
});

for (const [name, K] of [["js", jsKernels], ["native", native]] as const) {
  test(`${name} cacheWrite puts each token's keys (transposed) and values at its slot and position, and checks bounds`, { skip: !K }, () => {
    const KV = 2, hd = 5, cap = 7, slots = 3, kvd = KV * hd;
    // Four tokens: two positions of slot 1 (a prompt in one step), one each in slots 0 and 2.
    const slot = Int32Array.from([1, 0, 1, 2]), pos = Int32Array.from([0, 6, 1, 3]), n = slot.length;
    const k = rand(n * kvd), v = rand(n * kvd);
    const kc = new Float32Array(slots * KV * hd * cap).fill(9), vc = new Float32Array(slots * KV * cap * hd).fill(9);
    K!.cacheWrite(n, KV, hd, cap, slot, pos, k, v, kc, vc);
    const wantK = new Float32Array(kc.length).fill(9), wantV = new Float32Array(vc.length).fill(9);
    for (let t = 0; t < n; t++) for (let j = 0; j < KV; j++) for (let i = 0; i < hd; i++) {
      wantK[((slot[t]! * KV + j) * hd + i) * cap + pos[t]!] = k[t * kvd + j * hd + i]!;
      wantV[((slot[t]! * KV + j) * cap + pos[t]!) * hd + i] = v[t * kvd + j * hd + i]!;
    }
    assert.deepEqual(kc, wantK);
    assert.deepEqual(vc, wantV);
    assert.throws(() => K!.cacheWrite(1, KV, hd, cap, Int32Array.from([3]), Int32Array.from([0]), k, v, kc, vc), /slot outside the cache/);
    assert.throws(() => K!.cacheWrite(1, KV, hd, cap, Int32Array.from([0]), Int32Array.from([cap]), k, v, kc, vc), /position outside the cache/);
    assert.throws(() => K!.cacheWrite(5, KV, hd, cap, Int32Array.from([0, 0, 0, 0, 0]), Int32Array.from([0, 1, 2, 3, 4]), k, v, kc, vc), /k or v too small/);
  });
}

for (const [name, K] of [["js", jsKernels], ["native", native]] as const) {
  test(`${name} attnDecode with fused cache writes equals cacheWrite then attnDecode, exactly (GQA, odd head sizes)`, { skip: !K }, () => {
    for (const [H, KV, hd, cap] of [[4, 2, 24, 70], [3, 3, 40, 9], [8, 8, 32, 160], [2, 1, 5, 33]] as const) {
      const slots = 6, per = KV * hd * cap, kvd = KV * hd;
      // Five queries on distinct slots (not in slot order), lengths 1..cap; query 3 does not write (wrow -1).
      const slot = Int32Array.from([4, 0, 5, 2, 1]), B = slot.length;
      const len = Int32Array.from([1, cap, Math.max(1, cap >> 1), 3 % cap || 1, Math.min(cap, 7)]);
      const wrow = Int32Array.from([2, 0, 4, -1, 1]);
      const q = rand(B * H * hd), k = rand(5 * kvd), v = rand(5 * kvd);
      const kc0 = rand(slots * per), vc0 = rand(slots * per);
      const kc1 = Float32Array.from(kc0), vc1 = Float32Array.from(vc0), y1 = new Float32Array(B * H * hd);
      K!.attnDecode(B, H, KV, hd, cap, len, q, kc1, vc1, y1, slot, wrow, k, v);
      // The same writes by cacheWrite (rows gathered), then attention without them.
      const kc2 = Float32Array.from(kc0), vc2 = Float32Array.from(vc0), y2 = new Float32Array(B * H * hd);
      const w = [...wrow.keys()].filter((b) => wrow[b]! >= 0);
      const kr = new Float32Array(w.length * kvd), vr = new Float32Array(w.length * kvd);
      w.forEach((b, i) => { kr.set(k.subarray(wrow[b]! * kvd, (wrow[b]! + 1) * kvd), i * kvd); vr.set(v.subarray(wrow[b]! * kvd, (wrow[b]! + 1) * kvd), i * kvd); });
      K!.cacheWrite(w.length, KV, hd, cap, Int32Array.from(w, (b) => slot[b]!), Int32Array.from(w, (b) => len[b]! - 1), kr, vr, kc2, vc2);
      K!.attnDecode(B, H, KV, hd, cap, len, q, kc2, vc2, y2, slot);
      assert.deepEqual(kc1, kc2, `H${H} KV${KV} hd${hd}: key cache`);
      assert.deepEqual(vc1, vc2, `H${H} KV${KV} hd${hd}: value cache`);
      assert.deepEqual(y1, y2, `H${H} KV${KV} hd${hd}: output`);
      if (K !== jsKernels) {
        const y3 = new Float32Array(B * H * hd);
        jsKernels.attnDecode(B, H, KV, hd, cap, len, q, Float32Array.from(kc0), Float32Array.from(vc0), y3, slot, wrow, k, v);
        assert.ok(maxRelErr(y1, y3) < 1e-5, `native vs js: ${maxRelErr(y1, y3)}`);
      }
      const kc = Float32Array.from(kc0), vc = Float32Array.from(vc0);
      assert.throws(() => K!.attnDecode(2, H, KV, hd, cap, len, q, kc, vc, y1, Int32Array.from([1, 1]), Int32Array.from([0, 1]), k, v), /share a slot/);
      assert.throws(() => K!.attnDecode(1, H, KV, hd, cap, len, q, kc, vc, y1, slot, Int32Array.from([5]), k, v), /past k or v/);
      assert.throws(() => K!.attnDecode(2, H, KV, hd, cap, len, q, kc, vc, y1, slot, Int32Array.from([0]), k, v), /wrow shorter than B/);
    }
  });
}

// The Llama-style decoder, float32, forward and backward written out layer by layer (llm.c style) over rows of
// different lengths. Rows are packed back to back into one [N, d] activation matrix (no padding: every matmul runs
// on exactly the real tokens), positions restart at 0 in every row, and attention is causal within each row.
//
// Architecture (Hugging Face Llama; test/fixtures/torch checks it against PyTorch): embedding -> L x [x + Attn(RMSNorm(x)); x + MLP(RMSNorm(x))]
// -> RMSNorm -> lm_head (tied or untied); RoPE in rotate-half form with rope_theta; grouped-query attention; SwiGLU.
// An optional scalar head `score.weight` [1, d] reads the final (normed) hidden state of each row's last token.
//
// The big products go through kernels().gemm (native SGEMM or the TypeScript fallback) and attention through the
// fused attention kernels; the elementwise layers (RMSNorm, RoPE, SwiGLU) are kernels too (native: threaded).

import type { ModelConfig } from "./config.js";
import { headDim, validateConfig } from "./config.js";
import type { TensorMap } from "./tensors.js";
import { layerParameterNames, parameterShapes, validateTensors, zerosLike, numel } from "./tensors.js";
import { kernels, panelsSize, type Kernels } from "./kernels.js";
import { initParameters } from "./init.js";

/** Rows packed back to back. */
export interface Packed {
  rows: number;
  N: number;
  tokens: Int32Array; // [N]
  start: Int32Array; // [rows]
  len: Int32Array; // [rows]
  pos: Int32Array; // [N] position of each token inside its row
}

export function packRows(rows: readonly (readonly number[])[], vocab: number): Packed {
  let N = 0;
  for (const r of rows) N += r.length;
  const tokens = new Int32Array(N), pos = new Int32Array(N);
  const start = new Int32Array(rows.length), len = new Int32Array(rows.length);
  let o = 0;
  rows.forEach((r, i) => {
    if (r.length === 0) throw new Error(`row ${i} is empty`);
    start[i] = o;
    len[i] = r.length;
    for (let t = 0; t < r.length; t++) {
      const id = r[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`row ${i}, position ${t}: token ${id} is outside the vocabulary [0, ${vocab})`);
      tokens[o + t] = id;
      pos[o + t] = t;
    }
    o += r.length;
  });
  return { rows: rows.length, N, tokens, start, len, pos };
}

/** Per-layer activations kept for backward. */
interface LayerActs {
  xIn: Float32Array; // residual stream entering the layer [N, d]
  r1: Float32Array; // 1/rms of xIn [N]
  h1: Float32Array; // input_layernorm output [N, d]
  q: Float32Array; // after RoPE [N, d]
  k: Float32Array; // after RoPE [N, kvd]
  v: Float32Array; // [N, kvd]
  att: Float32Array; // attention output before o_proj [N, d]
  lse: Float32Array; // [N, H]
  xMid: Float32Array; // residual after attention [N, d]
  r2: Float32Array; // [N]
  h2: Float32Array; // post_attention_layernorm output [N, d]
  g: Float32Array; // gate pre-activation [N, f]
  u: Float32Array; // up [N, f]
  m: Float32Array; // silu(g) * u [N, f]
}

/** What a training forward leaves for backward. Its arrays are reused workspace buffers: valid until the next forward (with the same keep) on this model. */
export interface ForwardState {
  packed: Packed;
  /** [N, V] logits for every position (views per row in rowLogits); absent when computed without the LM head. */
  logits?: Float32Array;
  /** Per row, [len * V] views into logits. */
  rowLogits: Float32Array[];
  /** Scalar-head score per row (last token), when the model has a score head. */
  scores?: Float32Array;
  layers: LayerActs[];
  xFinal: Float32Array;
  rF: Float32Array;
  hF: Float32Array;
}

/** KV cache for batched decoding, per layer: keys [B, KV, hd, cap] (transposed), values [B, KV, cap, hd]. */
export interface KVCache {
  B: number;
  cap: number;
  k: Float32Array[];
  v: Float32Array[];
  /**
   * The weight matrices packed once into the SGEMM's column panels (Kernels.packPanels of Wᵀ, [in, out]), taken
   * when the cache is created: with only B rows per decoding step, packing [out, in] weights on every product
   * dominated (measured 1.45x slower at B = 32), and reading a row-major [in, out] copy in place strides a 4 KiB
   * page per row, which the prefetcher does not follow (see native/kernels.cc, pre-packed B).
   * A snapshot: the cache decodes with the weights of the moment it was created. Caches created while the weights
   * do not change share one snapshot (read-only).
   */
  wT: ReadonlyMap<string, Float32Array>;
}

export class Transformer {
  readonly config: ModelConfig;
  private readonly params: TensorMap;
  /** Shared by the decoding caches until the weights may change; null = take a fresh one. */
  private transposed: ReadonlyMap<string, Float32Array> | null = null;
  private grads: TensorMap | null = null;
  private readonly k: Kernels;
  private readonly d: number;
  private readonly hd: number;
  private readonly H: number;
  private readonly KV: number;
  private readonly f: number;
  private readonly V: number;
  private cos: Float32Array = new Float32Array(0);
  private sin: Float32Array = new Float32Array(0);
  private ropeLen = 0;
  /**
   * Reused activation and gradient buffers, by name. Fresh multi-megabyte typed arrays cost a page fault per 4 KiB
   * on first touch (measured: ~90 ms of a 600 ms step on config A), so steps of the same shape reuse them.
   */
  private readonly ws = new Map<string, Float32Array>();

  /** Takes ownership of `params` (validated against `config`). */
  constructor(config: ModelConfig, params: TensorMap, kernelSet?: Kernels) {
    validateConfig(config);
    validateTensors(config, params);
    this.config = config;
    this.params = params;
    this.k = kernelSet ?? kernels();
    this.d = config.hidden_size;
    this.H = config.num_attention_heads;
    this.KV = config.num_key_value_heads;
    this.hd = headDim(config);
    this.f = config.intermediate_size;
    this.V = config.vocab_size;
  }

  /** Seeded initialisation like the reference's: weights normal(0, 0.02), norm weights 1. */
  static init(config: ModelConfig, seed: number, kernelSet?: Kernels): Transformer {
    return new Transformer(config, initParameters(config, seed), kernelSet);
  }

  get kernelName(): string {
    return this.k.name;
  }

  /**
   * The live parameter tensors. The caller may write them (the optimizer does, every step): this drops the
   * transposed copy that decoding caches share, so the next newCache() takes a fresh one. Code that keeps the map
   * and writes it later, after sampling, must call parameters() again (or weightsChanged()) before sampling.
   */
  parameters(): TensorMap {
    this.transposed = null;
    return this.params;
  }

  /** Tells the model its weights were written through a map obtained earlier (see parameters()). */
  weightsChanged(): void {
    this.transposed = null;
  }

  gradients(): TensorMap {
    if (!this.grads) this.grads = zerosLike(this.config);
    return this.grads;
  }

  zeroGrad(): void {
    if (this.grads) for (const [, t] of this.grads) t.data.fill(0);
  }

  numParameters(): number {
    let n = 0;
    for (const s of parameterShapes(this.config)) n += numel(s.shape);
    return n;
  }

  /** A workspace buffer of n floats (contents undefined unless zero is set). */
  private buf(key: string, n: number, zero = false): Float32Array {
    let b = this.ws.get(key);
    if (!b || b.length < n) {
      b = new Float32Array(Math.ceil(n * 1.1));
      this.ws.set(key, b);
      return b.subarray(0, n);
    }
    const v = b.subarray(0, n);
    if (zero) v.fill(0);
    return v;
  }

  /** Drops the reused buffers (e.g. after a one-off large batch). */
  releaseWorkspace(): void {
    this.ws.clear();
  }

  private p(name: string): Float32Array {
    return this.params.get(name)!.data;
  }

  private headWeight(): Float32Array {
    return this.config.tie_word_embeddings ? this.p("model.embed_tokens.weight") : this.p("lm_head.weight");
  }

  /** Logits [T, V] per row for rows of different lengths; no gradients. Fresh arrays (safe to keep). */
  forward(rows: number[][]): Float32Array[] {
    const st = this.forwardPacked(packRows(rows, this.V), { keep: false, head: true });
    return st.rowLogits.map((l) => l.slice());
  }

  /** Scalar-head score of each row's last token; no gradients. */
  scores(rows: number[][]): Float32Array {
    if (!this.config.score_head) throw new Error("this model has no score head (config.score_head is not set)");
    return this.forwardPacked(packRows(rows, this.V), { keep: false, head: false }).scores!.slice();
  }

  /** Forward over packed rows. keep: store activations for backward. head: compute the LM-head logits. */
  forwardPacked(pk: Packed, opts: { keep: boolean; head: boolean }): ForwardState {
    const { d, H, KV, hd, f, V } = this;
    const kvd = KV * hd;
    const N = pk.N;
    const K = this.k;
    this.ensureRope(maxLen(pk));
    // C[rows, out] (+)= A[rows, in] · W[out, in]ᵀ.
    const mm = (rows: number, out: number, inn: number, A: Float32Array, name: string, C: Float32Array, acc: boolean): void => {
      K.gemm(false, true, rows, out, inn, A, inn, this.p(name), inn, C, out, acc);
    };
    // Training keeps one set of buffers per layer; inference shares one set across layers (two for the residual).
    const alloc = (l: number, name: string, n: number) => this.buf(opts.keep ? `t${l}.${name}` : `i.${name}`, n);
    const E = this.p("model.embed_tokens.weight");
    let x = alloc(0, "x0", N * d);
    for (let i = 0; i < N; i++) x.set(E.subarray(pk.tokens[i]! * d, pk.tokens[i]! * d + d), i * d);
    const layers: LayerActs[] = [];
    const eps = this.config.rms_norm_eps;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      const n = layerParameterNames(l);
      const a: LayerActs = {
        xIn: x, r1: alloc(l, "r1", N), h1: alloc(l, "h1", N * d), q: alloc(l, "q", N * d), k: alloc(l, "k", N * kvd),
        v: alloc(l, "v", N * kvd), att: alloc(l, "att", N * d), lse: alloc(l, "lse", N * H), xMid: alloc(l, "xMid", N * d),
        r2: alloc(l, "r2", N), h2: alloc(l, "h2", N * d), g: alloc(l, "g", N * f), u: alloc(l, "u", N * f), m: alloc(l, "m", N * f),
      };
      K.rmsNormForward(x, this.p(n.inputNorm), a.h1, a.r1, N, d, eps);
      mm(N, d, d, a.h1, n.q, a.q, false);
      mm(N, kvd, d, a.h1, n.k, a.k, false);
      mm(N, kvd, d, a.h1, n.v, a.v, false);
      this.rope(a.q, pk.pos, N, H, false);
      this.rope(a.k, pk.pos, N, KV, false);
      K.attnForward(pk.rows, H, KV, hd, d, kvd, pk.start, pk.len, a.q, a.k, a.v, a.att, a.lse);
      a.xMid.set(x);
      mm(N, d, d, a.att, n.o, a.xMid, true);
      K.rmsNormForward(a.xMid, this.p(n.postNorm), a.h2, a.r2, N, d, eps);
      mm(N, f, d, a.h2, n.gate, a.g, false);
      mm(N, f, d, a.h2, n.up, a.u, false);
      K.swigluForward(a.g, a.u, a.m);
      const xOut = opts.keep ? alloc(l + 1, "x0", N * d) : alloc(0, l % 2 ? "x0" : "x1", N * d);
      xOut.set(a.xMid);
      mm(N, d, f, a.m, n.down, xOut, true);
      if (opts.keep) layers.push(a);
      x = xOut;
    }
    const L = this.config.num_hidden_layers;
    const rF = alloc(L, "rF", N), hF = alloc(L, "hF", N * d);
    K.rmsNormForward(x, this.p("model.norm.weight"), hF, rF, N, d, eps);
    const st: ForwardState = { packed: pk, rowLogits: [], layers, xFinal: x, rF, hF };
    if (opts.head) {
      const logits = alloc(L, "logits", N * V);
      K.gemm(false, true, N, V, d, hF, d, this.headWeight(), d, logits, V, false);
      st.logits = logits;
      for (let r = 0; r < pk.rows; r++) st.rowLogits.push(logits.subarray(pk.start[r]! * V, (pk.start[r]! + pk.len[r]!) * V));
    }
    if (this.config.score_head) {
      const w = this.p("score.weight");
      const s = new Float32Array(pk.rows);
      for (let r = 0; r < pk.rows; r++) {
        const o = (pk.start[r]! + pk.len[r]! - 1) * d;
        let acc = 0;
        for (let i = 0; i < d; i++) acc += hF[o + i]! * w[i]!;
        s[r] = acc;
      }
      st.scores = s;
    }
    return st;
  }

  /**
   * Backward from dL/dlogits (per row: [len * V] or [(len - 1) * V], the missing last position counting as 0)
   * and/or dL/dscores (per row). Gradients are added to gradients().
   */
  backward(st: ForwardState, dRowLogits: (Float32Array | null)[] | null, dScores?: Float32Array | null): void {
    const { d, H, KV, hd, f, V } = this;
    const kvd = KV * hd;
    const pk = st.packed;
    const N = pk.N;
    const K = this.k;
    const G = this.gradients();
    const g = (name: string) => G.get(name)!.data;
    if (st.layers.length !== this.config.num_hidden_layers) throw new Error("backward: the forward did not keep activations (keep: false)");
    const dhF = this.buf("b.dhF", N * d, true);
    if (dRowLogits) {
      const dlog = this.buf("b.dlog", N * V, true);
      for (let r = 0; r < pk.rows; r++) {
        const dl = dRowLogits[r];
        if (!dl) continue;
        const T = pk.len[r]!;
        if (dl.length !== T * V && dl.length !== (T - 1) * V) throw new Error(`backward: dlogits of row ${r} has ${dl.length} values, expected ${(T - 1) * V} or ${T * V}`);
        dlog.set(dl, pk.start[r]! * V);
      }
      const headName = this.config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
      K.gemm(true, false, V, d, N, dlog, V, st.hF, d, g(headName), d, true);
      K.gemm(false, false, N, d, V, dlog, V, this.headWeight(), d, dhF, d, false);
    }
    if (dScores && this.config.score_head) {
      const w = this.p("score.weight"), dw = g("score.weight");
      for (let r = 0; r < pk.rows; r++) {
        const ds = dScores[r]!;
        if (ds === 0) continue;
        const o = (pk.start[r]! + pk.len[r]! - 1) * d;
        for (let i = 0; i < d; i++) {
          dw[i] = dw[i]! + ds * st.hF[o + i]!;
          dhF[o + i] = dhF[o + i]! + ds * w[i]!;
        }
      }
    }
    // dx: gradient of the residual stream, carried down through the layers.
    const dx = this.buf("b.dx", N * d, true);
    K.rmsNormBackward(st.xFinal, this.p("model.norm.weight"), st.rF, dhF, dx, g("model.norm.weight"), N, d);
    const dm = this.buf("b.dm", N * f), dg = this.buf("b.dg", N * f), du = this.buf("b.du", N * f);
    const dh = this.buf("b.dh", N * d), datt = this.buf("b.datt", N * d);
    const dq = this.buf("b.dq", N * d), dk = this.buf("b.dk", N * kvd), dv = this.buf("b.dv", N * kvd);
    for (let l = this.config.num_hidden_layers - 1; l >= 0; l--) {
      const n = layerParameterNames(l);
      const a = st.layers[l]!;
      // MLP: x_out = x_mid + down(silu(gate(h2)) * up(h2))
      K.gemm(false, false, N, f, d, dx, d, this.p(n.down), f, dm, f, false);
      K.gemm(true, false, d, f, N, dx, d, a.m, f, g(n.down), f, true);
      K.swigluBackward(a.g, a.u, dm, dg, du);
      K.gemm(false, false, N, d, f, dg, f, this.p(n.gate), d, dh, d, false);
      K.gemm(false, false, N, d, f, du, f, this.p(n.up), d, dh, d, true);
      K.gemm(true, false, f, d, N, dg, f, a.h2, d, g(n.gate), d, true);
      K.gemm(true, false, f, d, N, du, f, a.h2, d, g(n.up), d, true);
      K.rmsNormBackward(a.xMid, this.p(n.postNorm), a.r2, dh, dx, g(n.postNorm), N, d); // dx += ...
      // Attention: x_mid = x_in + o(attn(rope(q(h1)), rope(k(h1)), v(h1)))
      K.gemm(false, false, N, d, d, dx, d, this.p(n.o), d, datt, d, false);
      K.gemm(true, false, d, d, N, dx, d, a.att, d, g(n.o), d, true);
      dk.fill(0);
      dv.fill(0);
      K.attnBackward(pk.rows, H, KV, hd, d, kvd, pk.start, pk.len, a.q, a.k, a.v, a.att, a.lse, datt, dq, dk, dv);
      this.rope(dq, pk.pos, N, H, true);
      this.rope(dk, pk.pos, N, KV, true);
      K.gemm(false, false, N, d, d, dq, d, this.p(n.q), d, dh, d, false);
      K.gemm(false, false, N, d, kvd, dk, kvd, this.p(n.k), d, dh, d, true);
      K.gemm(false, false, N, d, kvd, dv, kvd, this.p(n.v), d, dh, d, true);
      K.gemm(true, false, d, d, N, dq, d, a.h1, d, g(n.q), d, true);
      K.gemm(true, false, kvd, d, N, dk, kvd, a.h1, d, g(n.k), d, true);
      K.gemm(true, false, kvd, d, N, dv, kvd, a.h1, d, g(n.v), d, true);
      K.rmsNormBackward(a.xIn, this.p(n.inputNorm), a.r1, dh, dx, g(n.inputNorm), N, d);
    }
    const dE = g("model.embed_tokens.weight");
    for (let i = 0; i < N; i++) {
      const o = pk.tokens[i]! * d, xo = i * d;
      for (let j = 0; j < d; j++) dE[o + j] = dE[o + j]! + dx[xo + j]!;
    }
  }

  // ------------------------------------------------------------------------------------------------ decoding
  newCache(B: number, cap: number): KVCache {
    const size = B * this.KV * cap * this.hd;
    const L = this.config.num_hidden_layers;
    return { B, cap, k: Array.from({ length: L }, () => new Float32Array(size)), v: Array.from({ length: L }, () => new Float32Array(size)), wT: this.transposedWeights() };
  }

  /**
   * The weight matrices packed for decoding, kept until the weights may change (parameters()). Preparing them for
   * every sampling call cost 7-9% of a 32-prompt x 64-token sampleTokens call (d128, 4 layers), ~30% of a
   * one-prompt call.
   */
  private transposedWeights(): ReadonlyMap<string, Float32Array> {
    if (this.transposed) return this.transposed;
    const wT = new Map<string, Float32Array>();
    for (const [name, t] of this.params) {
      if (t.shape.length !== 2 || name === "score.weight") continue;
      if (name === "model.embed_tokens.weight" && !this.config.tie_word_embeddings) continue;
      const [out, inn] = t.shape as [number, number];
      const packed = new Float32Array(panelsSize(this.k, inn, out));
      this.k.packPanels(t.data, inn, out, true, packed);
      wT.set(name, packed);
    }
    this.transposed = wT;
    return wT;
  }

  /**
   * One decoding step over N tokens: token t sits at position pos[t] of cache slot slot[t] and attends to
   * positions 0..pos[t] of that slot. Several tokens may share a slot: a prompt admitted into a running batch
   * (positions 0..n-1 of a fresh slot), or any run of consecutive positions; this is the fused admission
   * ("prefill inside the decode step", as vLLM's chunked prefill / SARATHI), so a few new prompts share the step's
   * weight reads with the rows decoding. Every key/value of the step is written to the cache before any attention
   * reads it, so a token sees the tokens before it in the same step; positions below the smallest one a slot gets
   * in this step must already be in the cache, and each (slot, position) may appear once per step.
   *
   * Returns logits [R * V] for the tokens listed in logitRows (token indices, in that order; default: all N),
   * a fresh array. A token's logits depend only on its own slot's contents, never on the other tokens of the step
   * (Kernels.gemmPanels and attnDecode compute each row on its own).
   */
  decodeStep(tokens: Int32Array, pos: Int32Array, slot: Int32Array, cache: KVCache, logitRows?: Int32Array): Float32Array {
    const { d, H, KV, hd, f, V } = this;
    const kvd = KV * hd;
    const N = tokens.length;
    const K = this.k;
    const eps = this.config.rms_norm_eps;
    if (pos.length !== N || slot.length !== N) throw new Error(`decodeStep: ${N} tokens but ${pos.length} positions and ${slot.length} slots`);
    let maxPos = 0;
    for (let t = 0; t < N; t++) {
      if (!(tokens[t]! >= 0 && tokens[t]! < V)) throw new Error(`decodeStep: token ${t} (${tokens[t]}) is outside the vocabulary [0, ${V})`);
      if (!(slot[t]! >= 0 && slot[t]! < cache.B)) throw new Error(`decodeStep: token ${t} reads slot ${slot[t]}, outside the cache (${cache.B} slots)`);
      if (!(pos[t]! >= 0 && pos[t]! < cache.cap)) throw new Error(`decodeStep: position ${pos[t]} of token ${t} is beyond the cache (${cache.cap})`);
      maxPos = Math.max(maxPos, pos[t]!);
    }
    if (logitRows) for (const t of logitRows) if (!(t >= 0 && t < N)) throw new Error(`decodeStep: logit row ${t} is not a token of the step (0..${N - 1})`);
    // Every token, in order (a step with only decoding rows): no gather needed.
    const all = !logitRows || (logitRows.length === N && logitRows.every((t, i) => t === i));
    const sel = all ? null : logitRows!;
    const R = sel ? sel.length : N;
    this.ensureRope(maxPos + 1);
    const E = this.p("model.embed_tokens.weight");
    // C[rows, out] (+)= A[rows, in] · Wᵀ with the cache's packed weights. gemmPanels computes each row the same
    // whatever the number of rows, so a token's logits do not depend on the other tokens of the step.
    const mm = (rows: number, out: number, inn: number, A: Float32Array, name: string, C: Float32Array, acc: boolean): void => {
      K.gemmPanels(rows, out, inn, A, inn, cache.wT.get(name)!, C, out, acc);
    };
    // Reused workspace (decoding runs thousands of small steps); only the returned logits are fresh.
    let x = this.buf("d.x", N * d);
    for (let t = 0; t < N; t++) x.set(E.subarray(tokens[t]! * d, tokens[t]! * d + d), t * d);
    let h = this.buf("d.h", N * d), r = this.buf("d.r", N), q = this.buf("d.q", N * d), att = this.buf("d.att", N * d);
    let g = this.buf("d.g", N * f), u = this.buf("d.u", N * f);
    const kk = this.buf("d.k", N * kvd), vv = this.buf("d.v", N * kvd);
    let n = N, qPos = pos, qSlot = slot;
    let len = Int32Array.from(pos, (p) => p + 1);
    const L = this.config.num_hidden_layers;
    // A step of decoding rows only (every token the only one of its slot, every token a query): each query writes
    // its own key/value inside attnDecode, which reads those cache lines anyway (a separate cacheWrite pass
    // missed in cache on every transposed key float). Steps that admit a prompt write the cache first.
    const fuse = !sel && this.distinctSlots(slot, cache.B);
    const wrow = fuse ? this.identity(N) : undefined;
    for (let l = 0; l < L; l++) {
      const names = layerParameterNames(l);
      K.rmsNormForward(x, this.p(names.inputNorm), h, r, n, d, eps);
      mm(n, kvd, d, h, names.k, kk, false);
      mm(n, kvd, d, h, names.v, vv, false);
      this.rope(kk, pos, n, KV, false);
      if (!fuse) K.cacheWrite(n, KV, hd, cache.cap, slot, pos, kk, vv, cache.k[l]!, cache.v[l]!);
      if (l === L - 1 && sel && R < N) {
        // Past the last layer's keys/values only the tokens whose logits are wanted matter: the rest of the layer
        // (queries, attention, output projection, MLP) runs on those rows alone (for a prompt, its last token).
        const xs = this.buf("d.xs", R * d), hs = this.buf("d.hs", R * d);
        for (let i = 0; i < R; i++) {
          xs.set(x.subarray(sel[i]! * d, sel[i]! * d + d), i * d);
          hs.set(h.subarray(sel[i]! * d, sel[i]! * d + d), i * d);
        }
        x = xs;
        h = hs;
        n = R;
        qPos = Int32Array.from(sel, (t) => pos[t]!);
        qSlot = Int32Array.from(sel, (t) => slot[t]!);
        len = Int32Array.from(qPos, (p) => p + 1);
        q = q.subarray(0, R * d);
        att = att.subarray(0, R * d);
        g = g.subarray(0, R * f);
        u = u.subarray(0, R * f);
        r = r.subarray(0, R);
      }
      mm(n, d, d, h, names.q, q, false);
      this.rope(q, qPos, n, H, false);
      if (fuse) K.attnDecode(n, H, KV, hd, cache.cap, len, q, cache.k[l]!, cache.v[l]!, att, qSlot, wrow, kk, vv);
      else K.attnDecode(n, H, KV, hd, cache.cap, len, q, cache.k[l]!, cache.v[l]!, att, qSlot);
      mm(n, d, d, att, names.o, x, true);
      K.rmsNormForward(x, this.p(names.postNorm), h, r, n, d, eps);
      mm(n, f, d, h, names.gate, g, false);
      mm(n, f, d, h, names.up, u, false);
      K.swigluForward(g, u, g);
      mm(n, d, f, g, names.down, x, true);
    }
    // After the last layer x holds the selected rows (n = R), or all N rows in logitRows order when no pruning ran.
    let xf = x;
    if (sel && n === N && R > 0) {
      xf = this.buf("d.xs", R * d);
      for (let i = 0; i < R; i++) xf.set(x.subarray(sel[i]! * d, sel[i]! * d + d), i * d);
    }
    const hf = this.buf("d.hf", R * d), rf = this.buf("d.rf", R);
    K.rmsNormForward(xf, this.p("model.norm.weight"), hf, rf, R, d, eps);
    const logits = new Float32Array(R * V);
    mm(R, V, d, hf, this.config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight", logits, false);
    return logits;
  }

  private slotMark = new Int32Array(0);
  private slotStamp = 0;
  private ident = new Int32Array(0);

  /** True when no two tokens of the step share a cache slot. */
  private distinctSlots(slot: Int32Array, slots: number): boolean {
    if (this.slotMark.length < slots || this.slotStamp >= 0x3fffffff) {
      this.slotMark = new Int32Array(Math.max(slots, this.slotMark.length));
      this.slotStamp = 0;
    }
    const stamp = ++this.slotStamp;
    for (let t = 0; t < slot.length; t++) {
      if (this.slotMark[slot[t]!] === stamp) return false;
      this.slotMark[slot[t]!] = stamp;
    }
    return true;
  }

  /** 0, 1, ..., n - 1 (a reused array: read-only). */
  private identity(n: number): Int32Array {
    if (this.ident.length < n) this.ident = Int32Array.from({ length: Math.max(n, 2 * this.ident.length) }, (_, i) => i);
    return this.ident.subarray(0, n);
  }

  // ------------------------------------------------------------------------------------------------ RoPE
  // Angles computed in float32 like the reference: inv_freq = 1 / theta^(2i/hd), angle = pos * inv_freq.
  private ensureRope(n: number): void {
    if (n <= this.ropeLen) return;
    const half = this.hd / 2;
    const cap = Math.max(n, this.ropeLen * 2, 64);
    const cos = new Float32Array(cap * half), sin = new Float32Array(cap * half);
    const inv = new Float32Array(half);
    for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(Math.pow(this.config.rope_theta, Math.fround((2 * i) / this.hd))));
    for (let p = 0; p < cap; p++) {
      for (let i = 0; i < half; i++) {
        const ang = Math.fround(p * inv[i]!);
        cos[p * half + i] = Math.cos(ang);
        sin[p * half + i] = Math.sin(ang);
      }
    }
    this.cos = cos;
    this.sin = sin;
    this.ropeLen = cap;
  }

  /** Rotates every head of x [N, heads * hd] in place at positions pos; inverse: the transpose (for backward). */
  private rope(x: Float32Array, pos: Int32Array, N: number, heads: number, inverse: boolean): void {
    this.k.rope(x, pos, N, heads, this.hd, this.cos, this.sin, inverse);
  }
}

function maxLen(pk: Packed): number {
  let m = 0;
  for (let r = 0; r < pk.rows; r++) m = Math.max(m, pk.len[r]!);
  return m;
}

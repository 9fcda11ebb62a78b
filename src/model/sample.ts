// Batched sampling with a KV cache over prompts of different lengths. All prompts are prefilled together (packed,
// no padding), then every step decodes one token for each still-running sequence; finished sequences are dropped
// from the batch (their cache slots compacted) so the batch only shrinks.
//
// Conventions (documented for the engine API):
// - logprobs are log p(token) under the model's untempered distribution (log-softmax of the raw logits), whatever
//   the temperature / top-p / top-k used to draw the token: that is what policy-gradient ratios need.
// - A stop token (eos and opts.stopTokens) ends the sequence; it is kept in `tokens` (and `logprobs`) so that a
//   trainer can learn to emit it, and left out of `text`.
// - A stop string ends the sequence once the decoded text contains it; `text` is cut before it, `tokens` keep
//   everything generated up to and including the token that completed it.
// - Every sequence draws from its own generator seeded with mixSeed(seed, index): results do not depend on how
//   sequences are batched together or on when other sequences finish.

import { createRng, mixSeed, type Rng } from "../util/rng.js";
import type { Transformer, KVCache } from "./transformer.js";

export interface TokenSampleOptions {
  maxTokens: number;
  temperature?: number; // default 1; 0 = greedy
  topP?: number; // default 1
  topK?: number; // 0 / undefined = off
  stopTokens?: number[];
  stopStrings?: string[];
  /** Needed for stop strings and for `text`. */
  decode?: (ids: number[]) => string;
  seed?: number;
  /** Also return the k most likely tokens (untempered logprobs) at every generated position. */
  topLogprobs?: number;
  /**
   * Only ids below this are ever drawn (default: the model's vocab_size). A model whose vocabulary is padded past
   * its tokenizer's (e.g. to a multiple of 64) must never emit an id the tokenizer cannot decode.
   */
  vocabLimit?: number;
}

export interface TokenCompletion {
  tokens: number[];
  logprobs: number[];
  topLogprobs?: { token: number; logprob: number }[][];
  text: string;
  completionTokens: number;
  finishReason: "stop" | "length";
}

function checkOptions(o: TokenSampleOptions): void {
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 0) throw new Error(`sample: maxTokens must be an integer >= 0, got ${o.maxTokens}`);
  const t = o.temperature ?? 1;
  if (!(t >= 0 && Number.isFinite(t))) throw new Error(`sample: temperature must be >= 0, got ${o.temperature}`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new Error(`sample: topP must be in (0, 1], got ${o.topP}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new Error(`sample: topK must be an integer >= 0, got ${o.topK}`);
  if (o.stopStrings?.length && !o.decode) throw new Error("sample: stop strings need a decode function");
}

/** Samples one completion per prompt (repeat a prompt to get several). */
export function sampleTokens(model: Transformer, prompts: number[][], opts: TokenSampleOptions): TokenCompletion[] {
  checkOptions(opts);
  const V = model.config.vocab_size;
  const ctx = model.config.max_position_embeddings;
  const B = prompts.length;
  if (B === 0) return [];
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`sample: prompt ${i} is empty (start it with bos)`);
    if (p.length >= ctx) throw new Error(`sample: prompt ${i} has ${p.length} tokens; the context is ${ctx}`);
  });
  const seed = opts.seed ?? Math.floor(Math.random() * 0x100000000);
  const rngs = prompts.map((_, i) => createRng(mixSeed(seed, i)));
  const stopTokens = new Set(opts.stopTokens ?? []);
  const stops = (opts.stopStrings ?? []).filter((s) => s.length > 0);
  const temperature = opts.temperature ?? 1, topP = opts.topP ?? 1, topK = opts.topK ?? 0, nTop = opts.topLogprobs ?? 0;
  const limit = Math.min(V, opts.vocabLimit ?? V);
  if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`sample: vocabLimit must be an integer >= 1, got ${opts.vocabLimit}`);
  let maxLen = 0;
  for (const p of prompts) maxLen = Math.max(maxLen, p.length);
  // Generation stops at the context length (positions beyond it were never trained).
  const cap = Math.min(ctx, maxLen + opts.maxTokens);
  const out: TokenCompletion[] = prompts.map(() => ({ tokens: [], logprobs: [], text: "", completionTokens: 0, finishReason: "length" }));
  if (nTop > 0) for (const o of out) o.topLogprobs = [];
  const budget = prompts.map((p) => Math.min(opts.maxTokens, ctx - p.length));
  if (opts.maxTokens === 0) return finish(out, opts);

  const cache: KVCache = model.newCache(B, cap);
  let logits = model.prefill(prompts, cache);
  // active[i] = sequence index of cache slot i.
  let active = prompts.map((_, i) => i);
  const pos = prompts.map((p) => p.length);
  const probs = new Float64Array(V);
  const order = new Int32Array(V);
  for (;;) {
    const next: number[] = [];
    const still: number[] = [];
    for (let i = 0; i < active.length; i++) {
      const s = active[i]!;
      const full = logits.subarray(i * V, (i + 1) * V);
      const row = limit < V ? full.subarray(0, limit) : full;
      const tok = pick(row, temperature, topP, topK, rngs[s]!, probs, order);
      const o = out[s]!;
      o.tokens.push(tok);
      // Logprobs under the model's full distribution (what Trainer.logprobs computes for training).
      o.logprobs.push(logSoftmaxAt(full, tok));
      if (nTop > 0) o.topLogprobs!.push(topLogprobs(row, nTop));
      let done = false;
      if (stopTokens.has(tok)) {
        o.finishReason = "stop";
        done = true;
      } else if (stops.length) {
        const text = opts.decode!(o.tokens);
        if (stops.some((st) => text.includes(st))) {
          o.finishReason = "stop";
          done = true;
        }
      }
      if (!done && o.tokens.length >= budget[s]!) done = true;
      if (!done) {
        still.push(i);
        next.push(tok);
      }
    }
    if (still.length === 0) break;
    if (still.length < active.length) {
      compactCache(cache, still, model);
      active = still.map((i) => active[i]!);
    }
    const tokens = Int32Array.from(next);
    const p = Int32Array.from(active, (s) => pos[s]!);
    for (const s of active) pos[s]!++;
    logits = model.decodeStep(tokens, p, Int32Array.from(active, (_, i) => i), cache);
  }
  return finish(out, opts);
}

function finish(out: TokenCompletion[], opts: TokenSampleOptions): TokenCompletion[] {
  const stopTokens = new Set(opts.stopTokens ?? []);
  const stops = (opts.stopStrings ?? []).filter((s) => s.length > 0);
  for (const o of out) {
    o.completionTokens = o.tokens.length;
    if (!opts.decode) continue;
    const ids = o.tokens.length && stopTokens.has(o.tokens[o.tokens.length - 1]!) && o.finishReason === "stop" ? o.tokens.slice(0, -1) : o.tokens;
    let text = opts.decode(ids);
    let cut = -1;
    for (const s of stops) {
      const at = text.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) text = text.slice(0, cut);
    o.text = text;
  }
  return out;
}

/** Moves the cache slots listed in `keep` (ascending) to slots 0..keep.length-1. */
function compactCache(cache: KVCache, keep: number[], model: Transformer): void {
  const per = model.config.num_key_value_heads * cache.cap * (model.config.hidden_size / model.config.num_attention_heads);
  for (let l = 0; l < cache.k.length; l++) {
    keep.forEach((from, to) => {
      if (from === to) return;
      cache.k[l]!.copyWithin(to * per, from * per, from * per + per);
      cache.v[l]!.copyWithin(to * per, from * per, from * per + per);
    });
  }
}

export function logSoftmaxAt(row: Float32Array, tok: number): number {
  let mx = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j]! > mx) mx = row[j]!;
  let s = 0;
  for (let j = 0; j < row.length; j++) s += Math.exp(row[j]! - mx);
  return row[tok]! - mx - Math.log(s);
}

function topLogprobs(row: Float32Array, k: number): { token: number; logprob: number }[] {
  let mx = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j]! > mx) mx = row[j]!;
  let s = 0;
  for (let j = 0; j < row.length; j++) s += Math.exp(row[j]! - mx);
  const lse = mx + Math.log(s);
  return topIndices(row, Math.min(k, row.length)).map((j) => ({ token: j, logprob: row[j]! - lse }));
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topIndices(row: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    if (best.length === k && v <= row[best[k - 1]!]!) continue;
    let at = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(j);
    while (at > 0 && row[best[at - 1]!]! < v) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = j;
  }
  return best;
}

/** Draws a token: greedy at temperature 0, else softmax(logits / T) restricted by top-k then top-p. */
function pick(row: Float32Array, temperature: number, topP: number, topK: number, rng: Rng, probs: Float64Array, order: Int32Array): number {
  const V = row.length;
  if (temperature === 0) {
    let best = 0;
    for (let j = 1; j < V; j++) if (row[j]! > row[best]!) best = j;
    return best;
  }
  let mx = -Infinity;
  for (let j = 0; j < V; j++) if (row[j]! > mx) mx = row[j]!;
  const inv = 1 / temperature;
  let sum = 0;
  for (let j = 0; j < V; j++) {
    const e = Math.exp((row[j]! - mx) * inv);
    probs[j] = e;
    sum += e;
  }
  let n = V;
  if ((topK > 0 && topK < V) || topP < 1) {
    // Candidates by decreasing probability; cut to top-k, then to the smallest prefix whose mass reaches top-p.
    for (let j = 0; j < V; j++) order[j] = j;
    const sorted = Array.from(order.subarray(0, V)).sort((a, b) => probs[b]! - probs[a]! || a - b);
    n = topK > 0 ? Math.min(topK, V) : V;
    let mass = 0;
    for (let i = 0; i < n; i++) mass += probs[sorted[i]!]!;
    if (topP < 1) {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += probs[sorted[i]!]!;
        if (acc >= topP * mass) {
          n = i + 1;
          break;
        }
      }
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += probs[sorted[i]!]!;
    let u = rng.next() * total;
    for (let i = 0; i < n; i++) {
      u -= probs[sorted[i]!]!;
      if (u < 0) return sorted[i]!;
    }
    return sorted[n - 1]!;
  }
  let u = rng.next() * sum;
  for (let j = 0; j < V; j++) {
    u -= probs[j]!;
    if (u < 0) return j;
  }
  return V - 1;
}

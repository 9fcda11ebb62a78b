// Batched sampling with a KV cache over prompts of different lengths. Every step is one Transformer.decodeStep
// over the last token of each decoding sequence plus every prompt token of the sequences admitted since the last
// step (fused admission: no separate prefill pass); finished sequences are dropped from the batch (their cache
// slots compacted). DecodeSession admits new rows between steps (continuous batching, for `trimer serve`);
// sampleTokens is one session that only shrinks.
//
// Conventions (documented for the engine API):
// - logprobs are log p(token) under the model's untempered distribution (log-softmax of the raw logits), whatever
//   the temperature / top-p / top-k / processLogits used to draw the token: that is what policy-gradient ratios
//   need. The distribution is over the ids that can be drawn (vocabLimit, the tokenizer's real vocabulary, not a
//   padded vocab_size): the sampled token's logprob and the top_logprobs alternatives come from the same one.
// - A stop token (eos and opts.stopTokens) ends the sequence; it is kept in `tokens` (and `logprobs`) so that a
//   trainer can learn to emit it, and left out of `text`.
// - A stop string ends the sequence once the decoded text contains it; `text` is cut before it, `tokens` keep
//   everything generated up to and including the token that completed it.
// - Every sequence draws from its own generator seeded with mixSeed(seed, index): results do not depend on how
//   sequences are batched together or on when other sequences finish.

import { createRng, mixSeed, type Rng } from "../util/rng.js";
import type { Transformer, KVCache } from "./transformer.js";
import { DrawScratch, drawToken, logSoftmaxAt } from "./draw.js";

export { logSoftmaxAt };

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
  /**
   * Edits a copy of a row's next-token logits (over the vocabLimit ids) before the token is drawn: penalties,
   * logit bias, min-p (serve/logits-process.ts). Reported logprobs stay those of the raw logits.
   */
  processLogits?: (logits: Float32Array, prompt: readonly number[], generated: readonly number[]) => void;
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

/** Samples one completion per prompt (repeat a prompt to get several): one DecodeSession run to the end. */
export function sampleTokens(model: Transformer, prompts: number[][], opts: TokenSampleOptions): TokenCompletion[] {
  checkOptions(opts);
  const ctx = model.config.max_position_embeddings;
  const B = prompts.length;
  if (B === 0) return [];
  checkPrompts(prompts, ctx);
  const seed = opts.seed ?? Math.floor(Math.random() * 0x100000000);
  if (opts.maxTokens === 0) return finish(prompts.map(() => emptyCompletion(opts)), opts);
  let maxLen = 0;
  for (const p of prompts) maxLen = Math.max(maxLen, p.length);
  // Generation stops at the context length (positions beyond it were never trained).
  const session = new DecodeSession(model, B, Math.min(ctx, maxLen + opts.maxTokens));
  const ids = session.add(prompts, { ...opts, seed });
  const out = new Map<number, TokenCompletion>();
  while (session.active > 0) for (const e of session.step()) if (e.done) out.set(e.id, e.done);
  return ids.map((id) => out.get(id)!);
}

function checkPrompts(prompts: number[][], ctx: number): void {
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`sample: prompt ${i} is empty (start it with bos)`);
    if (p.length >= ctx) throw new Error(`sample: prompt ${i} has ${p.length} tokens; the context is ${ctx}`);
  });
}

function emptyCompletion(opts: TokenSampleOptions): TokenCompletion {
  const o: TokenCompletion = { tokens: [], logprobs: [], text: "", completionTokens: 0, finishReason: "length" };
  if ((opts.topLogprobs ?? 0) > 0) o.topLogprobs = [];
  return o;
}

/** One token a DecodeSession step produced for one row; `done` carries the row's completion when it finished. */
export interface StepEvent {
  id: number;
  token: number;
  logprob: number;
  topLogprobs?: { token: number; logprob: number }[];
  done?: TokenCompletion;
}

interface SessionRow {
  id: number;
  opts: TokenSampleOptions;
  rng: Rng;
  stopTokens: Set<number>;
  stops: string[];
  temperature: number;
  topP: number;
  topK: number;
  nTop: number;
  limit: number;
  budget: number;
  /** Next position to decode (= tokens in the cache once the prompt went through a step). */
  pos: number;
  /** The prompt, until the next step() decodes it into the cache (the row is "pending" meanwhile). */
  prompt: number[] | null;
  /** The prompt's ids, kept for processLogits (repetition penalties look at them); null without one. */
  promptIds: number[] | null;
  /** This row's next-token logits (a view into the last step's output); null while pending. */
  logits: Float32Array | null;
  out: TokenCompletion;
}

/**
 * Step-wise batched decoding over one KV cache of `maxRows` slots (continuous batching): rows are added between
 * steps (pending: nothing is computed yet), each step draws one token for every row that has logits, retires the
 * finished rows (the survivors are compacted to the low slots, so row i lives in slot i), then runs one decodeStep
 * over the new token of every decoding row and the whole prompt of every pending row, which gives every row its
 * next logits. A pending row therefore emits its first token one step after it was added.
 * Every row has its own sampling options and its own generator createRng(mixSeed(seed, index)), index = its place
 * in the add() call: a row's tokens do not depend on which rows share the cache or when they were added, so a seeded
 * request gives exactly what sampleTokens gives with the same seed.
 */
export class DecodeSession {
  private readonly cache: KVCache;
  private rows: SessionRow[] = [];
  private nextId = 1;
  private readonly V: number;
  private readonly ctx: number;
  private readonly scratch: DrawScratch;

  constructor(private readonly model: Transformer, maxRows: number, cap: number) {
    if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw new Error(`DecodeSession: maxRows must be a positive integer, got ${maxRows}`);
    if (!(Number.isInteger(cap) && cap >= 1)) throw new Error(`DecodeSession: cap must be a positive integer, got ${cap}`);
    this.V = model.config.vocab_size;
    this.ctx = model.config.max_position_embeddings;
    this.cache = model.newCache(maxRows, cap);
    this.scratch = new DrawScratch(this.V);
  }

  /** Rows the cache holds. */
  get maxRows(): number {
    return this.cache.B;
  }

  /** Positions per row the cache holds. */
  get cap(): number {
    return this.cache.cap;
  }

  /** Rows decoding now (pending rows included: they occupy a slot). */
  get active(): number {
    return this.rows.length;
  }

  /** Slots free for add(). */
  get free(): number {
    return this.maxRows - this.rows.length;
  }

  /**
   * Admits `prompts` into free slots (nothing is computed until the next step(), which decodes the prompts along
   * with the running rows); returns their row ids. Row i draws from mixSeed(opts.seed, firstIndex + i) (a random
   * seed when opts.seed is undefined). opts.maxTokens must be >= 1.
   */
  add(prompts: number[][], opts: TokenSampleOptions, firstIndex = 0): number[] {
    return this.addGroups([{ prompts, opts, firstIndex }])[0]!;
  }

  /** add() for several groups with their own options. */
  addGroups(groups: { prompts: number[][]; opts: TokenSampleOptions; firstIndex?: number }[]): number[][] {
    let total = 0;
    const prepared = groups.map(({ prompts, opts }) => {
      checkOptions(opts);
      if (opts.maxTokens < 1) throw new Error("DecodeSession: maxTokens must be >= 1");
      checkPrompts(prompts, this.ctx);
      prompts.forEach((p, i) => {
        if (p.length >= this.cap) throw new Error(`sample: prompt ${i} has ${p.length} tokens; the cache holds ${this.cap}`);
      });
      const limit = Math.min(this.V, opts.vocabLimit ?? this.V);
      if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`sample: vocabLimit must be an integer >= 1, got ${opts.vocabLimit}`);
      total += prompts.length;
      return { limit, seed: opts.seed ?? Math.floor(Math.random() * 0x100000000) };
    });
    if (total > this.free) throw new Error(`DecodeSession: ${total} rows do not fit (${this.free} slots free)`);
    if (total === 0) return groups.map(() => []);
    for (const g of groups) g.prompts.forEach((p, i) => p.forEach((t, j) => {
      if (!(Number.isInteger(t) && t >= 0 && t < this.V)) throw new Error(`sample: prompt ${i}, position ${j}: token ${t} is outside the vocabulary [0, ${this.V})`);
    }));
    return groups.map(({ prompts, opts, firstIndex = 0 }, gi) => {
      const { limit, seed } = prepared[gi]!;
      return prompts.map((p, i) => {
        const id = this.nextId++;
        this.rows.push({
          id, opts, rng: createRng(mixSeed(seed, firstIndex + i)),
          stopTokens: new Set(opts.stopTokens ?? []), stops: (opts.stopStrings ?? []).filter((st) => st.length > 0),
          temperature: opts.temperature ?? 1, topP: opts.topP ?? 1, topK: opts.topK ?? 0, nTop: opts.topLogprobs ?? 0, limit,
          // The last token drawn is never decoded, so a row needs p.length + budget - 1 < cap positions.
          budget: Math.min(opts.maxTokens, this.ctx - p.length, this.cap - p.length + 1),
          pos: 0, prompt: [...p], promptIds: opts.processLogits ? [...p] : null, logits: null, out: emptyCompletion(opts),
        });
        return id;
      });
    });
  }

  /** Drops a row (e.g. its client hung up); returns false when it is not active. */
  remove(id: number): boolean {
    const at = this.rows.findIndex((r) => r.id === id);
    if (at < 0) return false;
    this.compact(this.rows.map((_, i) => i).filter((i) => i !== at));
    return true;
  }

  /**
   * Draws one token for every row that has logits, retires finished rows, then decodes the rest: one position for
   * a decoding row, the whole prompt for a pending one (which emits no event in this step).
   */
  step(): StepEvent[] {
    const events: StepEvent[] = [];
    const still: number[] = [];
    this.rows.forEach((r, i) => {
      if (!r.logits) {
        still.push(i);
        return;
      }
      const row = r.limit < this.V ? r.logits.subarray(0, r.limit) : r.logits;
      let drawFrom = row;
      if (r.opts.processLogits) {
        drawFrom = row.slice();
        r.opts.processLogits(drawFrom, r.promptIds!, r.out.tokens);
      }
      const tok = drawToken(drawFrom, r.temperature, r.topP, r.topK, r.rng, this.scratch);
      const o = r.out;
      o.tokens.push(tok);
      // Logprobs under the distribution tokens are drawn from (the real vocabulary), before temperature and before
      // processLogits' edits.
      const lp = drawFrom === row ? this.scratch.logprob : logSoftmaxAt(row, tok);
      o.logprobs.push(lp);
      const ev: StepEvent = { id: r.id, token: tok, logprob: lp };
      if (r.nTop > 0) {
        ev.topLogprobs = topLogprobs(row, r.nTop);
        o.topLogprobs!.push(ev.topLogprobs);
      }
      let done = false;
      if (r.stopTokens.has(tok)) {
        o.finishReason = "stop";
        done = true;
      } else if (r.stops.length) {
        const text = r.opts.decode!(o.tokens);
        if (r.stops.some((st) => text.includes(st))) {
          o.finishReason = "stop";
          done = true;
        }
      }
      if (!done && o.tokens.length >= r.budget) done = true;
      if (done) ev.done = finish([o], r.opts)[0]!;
      else still.push(i);
      events.push(ev);
    });
    if (still.length < this.rows.length) this.compact(still);
    if (this.rows.length === 0) return events;
    // One fused decodeStep: a decoding row contributes the token it just drew, a pending row its whole prompt
    // (positions 0..n-1 of its fresh slot); the logits are computed for each row's last token only.
    const B = this.rows.length;
    let N = 0;
    for (const r of this.rows) N += r.prompt ? r.prompt.length : 1;
    const tokens = new Int32Array(N), pos = new Int32Array(N), slot = new Int32Array(N), last = new Int32Array(B);
    let t = 0;
    this.rows.forEach((r, i) => {
      if (r.prompt) {
        for (let j = 0; j < r.prompt.length; j++, t++) { tokens[t] = r.prompt[j]!; pos[t] = j; slot[t] = i; }
        r.pos = r.prompt.length;
        r.prompt = null;
      } else {
        // Compaction may have moved the row: it decodes in the slot it has now.
        tokens[t] = r.out.tokens[r.out.tokens.length - 1]!;
        pos[t] = r.pos++;
        slot[t] = i;
        t++;
      }
      last[i] = t - 1;
    });
    const logits = this.model.decodeStep(tokens, pos, slot, this.cache, last);
    const V = this.V;
    this.rows.forEach((r, i) => { r.logits = logits.subarray(i * V, (i + 1) * V); });
    return events;
  }

  /**
   * Grows the cache (a copy) to hold at least `rows` rows of `cap` positions; the rows decoding keep their state.
   * Lets a long-lived session (the server's) start small and grow only when a request needs it.
   */
  reserve(rows: number, cap: number): void {
    const c = this.cache;
    if (rows <= c.B && cap <= c.cap) return;
    const B = Math.max(rows, c.B), C = Math.max(cap, c.cap);
    const { num_key_value_heads: KV } = this.model.config;
    const hd = this.model.config.hidden_size / this.model.config.num_attention_heads;
    const k: Float32Array[] = [], v: Float32Array[] = [];
    for (let l = 0; l < c.k.length; l++) {
      const nk = new Float32Array(B * KV * hd * C), nv = new Float32Array(B * KV * C * hd);
      for (let s = 0; s < this.rows.length; s++) {
        for (let j = 0; j < KV; j++) {
          // values [slot, KV, cap, hd]: one block per head; keys [slot, KV, hd, cap]: one run per head dimension.
          nv.set(c.v[l]!.subarray((s * KV + j) * c.cap * hd, (s * KV + j + 1) * c.cap * hd), (s * KV + j) * C * hd);
          for (let i = 0; i < hd; i++) nk.set(c.k[l]!.subarray(((s * KV + j) * hd + i) * c.cap, ((s * KV + j) * hd + i + 1) * c.cap), ((s * KV + j) * hd + i) * C);
        }
      }
      k.push(nk);
      v.push(nv);
    }
    // The transposed weights are reused: the snapshot stays the one taken when the session opened.
    Object.assign(c, { B, cap: C, k, v });
  }

  /**
   * Keeps the rows at `keep` (ascending indices) in slots 0..keep.length-1. Rows past the new end move into the
   * holes left by finished rows (one slot copy per finished row instead of shifting every later row): a row's
   * results do not depend on its slot.
   */
  private compact(keep: number[]): void {
    const n = keep.length;
    const kept = new Set(keep);
    const holes: number[] = [];
    for (let i = 0; i < n; i++) if (!kept.has(i)) holes.push(i);
    const movers = keep.filter((i) => i >= n);
    const per = this.model.config.num_key_value_heads * this.cache.cap * (this.model.config.hidden_size / this.model.config.num_attention_heads);
    movers.forEach((from, j) => {
      const to = holes[j]!;
      for (let l = 0; l < this.cache.k.length; l++) {
        this.cache.k[l]!.copyWithin(to * per, from * per, from * per + per);
        this.cache.v[l]!.copyWithin(to * per, from * per, from * per + per);
      }
      this.rows[to] = this.rows[from]!;
    });
    this.rows.length = n;
  }
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

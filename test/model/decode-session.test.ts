// DecodeSession: rows added to a running cache decode exactly as in a fresh batch (continuous batching).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Transformer } from "../../src/model/transformer.js";
import { DecodeSession, sampleTokens, type TokenCompletion } from "../../src/model/sample.js";
import type { ModelConfig } from "../../src/model/config.js";

const config: ModelConfig = {
  vocab_size: 19, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 24, max_position_embeddings: 40, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
function model(): Transformer {
  const m = Transformer.init(config, 8);
  for (const [, t] of m.parameters()) if (t.shape.length > 1) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! * 40;
  return m;
}

test("a prompt fused into a decode step (slot 1) while slot 0 decodes equals the full forward", () => {
  const m = model();
  const V = config.vocab_size;
  const cache = m.newCache(2, 20);
  const a = [1, 5, 7], b = [3, 4, 5, 6];
  // Row a's prompt alone, then two decode steps of a alone.
  let la = m.decodeStep(Int32Array.from(a), Int32Array.of(0, 1, 2), Int32Array.of(0, 0, 0), cache, Int32Array.of(2));
  const seqA = [...a];
  for (let s = 0; s < 2; s++) {
    const tok = (seqA.length * 3) % V;
    la = m.decodeStep(Int32Array.of(tok), Int32Array.of(seqA.length), Int32Array.of(0), cache);
    seqA.push(tok);
  }
  // Row b's whole prompt joins a's next decode step: tokens [a's new token, b0..b3], logits for a and b's last.
  const tokA = (seqA.length * 3) % V;
  let both = m.decodeStep(Int32Array.of(tokA, ...b), Int32Array.of(seqA.length, 0, 1, 2, 3), Int32Array.of(0, 1, 1, 1, 1), cache, Int32Array.of(0, 4));
  seqA.push(tokA);
  const seqB = [...b];
  // The default (no logitRows) gives every token's logits: check the prompt's inner positions once too.
  const cache2 = m.newCache(1, 8);
  const allB = m.decodeStep(Int32Array.from(b), Int32Array.of(0, 1, 2, 3), Int32Array.of(0, 0, 0, 0), cache2);
  const fullB = m.forward([b])[0]!;
  for (let j = 0; j < 4 * V; j++) assert.ok(Math.abs(allB[j]! - fullB[j]!) < 1e-4 * Math.max(1, Math.abs(fullB[j]!)), `prompt logit ${j}`);
  for (let step = 0; step < 3; step++) {
    const full = m.forward([seqA, seqB]);
    [seqA, seqB].forEach((sq, r) => {
      const want = full[r]!.subarray((sq.length - 1) * V, sq.length * V);
      for (let j = 0; j < V; j++) assert.ok(Math.abs(both[r * V + j]! - want[j]!) < 1e-4 * Math.max(1, Math.abs(want[j]!)), `step ${step} row ${r}`);
    });
    const next = [(seqA.length * 5) % V, (seqB.length * 7 + 1) % V];
    both = m.decodeStep(Int32Array.from(next), Int32Array.of(seqA.length, seqB.length), Int32Array.of(0, 1), cache);
    seqA.push(next[0]!);
    seqB.push(next[1]!);
  }
  assert.throws(() => m.decodeStep(Int32Array.of(1), Int32Array.of(0), Int32Array.of(2), cache), /slot 2, outside the cache/);
  assert.throws(() => m.decodeStep(Int32Array.of(1), Int32Array.of(20), Int32Array.of(0), cache), /beyond the cache/);
  assert.throws(() => m.decodeStep(Int32Array.of(1), Int32Array.of(0), Int32Array.of(0), cache, Int32Array.of(1)), /logit row 1/);
});

function runToEnd(s: DecodeSession, done: Map<number, TokenCompletion>): void {
  while (s.active > 0) for (const e of s.step()) if (e.done) done.set(e.id, e.done);
}

test("rows joining a running session reproduce sampleTokens with the same seed; per-row parameters", () => {
  const m = model();
  const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join("");
  const pa = [[1, 5, 7], [1, 5, 7], [2]];
  const pb = [[3, 4, 5, 6, 7, 8]];
  const optsA = { maxTokens: 12, temperature: 1, topP: 0.9, seed: 11, decode, topLogprobs: 2 };
  const optsB = { maxTokens: 5, temperature: 0.7, topK: 4, seed: 99, decode, stopTokens: [3] };
  const wantA = sampleTokens(m, pa, optsA);
  const wantB = sampleTokens(m, pb, optsB);
  const s = new DecodeSession(m, 4, 16);
  const done = new Map<number, TokenCompletion>();
  const idsA = s.add(pa, optsA);
  // Three steps, then B joins the running batch (different temperature, top-k, budget, stop tokens, seed).
  for (let k = 0; k < 3; k++) for (const e of s.step()) if (e.done) done.set(e.id, e.done);
  const idsB = s.add(pb, optsB);
  assert.equal(s.active, 4 - [...done.keys()].length);
  runToEnd(s, done);
  assert.deepEqual(idsA.map((id) => done.get(id)), wantA);
  assert.deepEqual(idsB.map((id) => done.get(id)), wantB);
  // Streaming events carry the same tokens as the completion.
  const s2 = new DecodeSession(m, 1, 16);
  const [id] = s2.add([pa[2]!], optsA, 2);
  const streamed: number[] = [];
  let last: TokenCompletion | undefined;
  while (s2.active > 0) for (const e of s2.step()) { assert.equal(e.id, id); streamed.push(e.token); last = e.done ?? last; }
  assert.deepEqual(last, wantA[2]);
  assert.deepEqual(streamed, wantA[2]!.tokens);
});

test("remove frees a slot; reserve grows a session that is decoding without changing its rows' results", () => {
  const m = model();
  const opts = { maxTokens: 20, temperature: 1, seed: 5 };
  const p = [[1, 2, 3], [4, 5]];
  const want = sampleTokens(m, p, opts);
  const s = new DecodeSession(m, 2, 23);
  const ids = s.add(p, opts);
  assert.equal(s.free, 0);
  assert.throws(() => s.add([[1]], opts), /do not fit/);
  const done = new Map<number, TokenCompletion>();
  for (const e of s.step()) if (e.done) done.set(e.id, e.done);
  s.reserve(3, 30);
  assert.equal(s.maxRows, 3);
  assert.equal(s.cap, 30);
  const extra = s.add([[6, 7, 8, 9]], { maxTokens: 4, temperature: 0, seed: 1 });
  assert.equal(s.remove(extra[0]!), true);
  assert.equal(s.remove(extra[0]!), false);
  runToEnd(s, done);
  assert.deepEqual(ids.map((id) => done.get(id)), want);
});

test("a prompt admitted alone or fused with seven other prompts while rows are mid-decode: bitwise the same tokens and logprobs", () => {
  // MLP width 256 (> 128: the SGEMM sums it in several K blocks) and a fused step of 3 + 8 * 13 = 107 tokens
  // (more than gemmRowBlock on AVX-512, 96): without the decode step's row blocks, the native SGEMM would sum the
  // shared step's rows in a different order than the prompt's rows alone, and the sampled tokens would drift.
  const wide: ModelConfig = { ...config, hidden_size: 32, intermediate_size: 256, max_position_embeddings: 64 };
  const m = Transformer.init(wide, 3);
  for (const [, t] of m.parameters()) if (t.shape.length > 1) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! * 30;
  const prompt = (k: number) => Array.from({ length: 13 }, (_, j) => (k * 5 + j * 3 + 1) % wide.vocab_size);
  const opts = { maxTokens: 8, temperature: 1, topP: 0.95, seed: 7, topLogprobs: 2 };
  const alone = sampleTokens(m, [prompt(0)], opts)[0]!;
  const s = new DecodeSession(m, 12, 32);
  const done = new Map<number, TokenCompletion>();
  // Three rows decoding; the one in slot 2 has a budget of 3 tokens.
  const [long, [short]] = s.addGroups([{ prompts: [[1, 2, 3], [4, 5]], opts: { maxTokens: 20, temperature: 0.8, seed: 1 } },
    { prompts: [[6, 7, 8, 9, 10]], opts: { maxTokens: 3, temperature: 0.8, seed: 2 } }]) as [number[], number[]];
  assert.deepEqual(s.step(), []); // the first step only decodes the prompts: no tokens yet
  for (let k = 0; k < 2; k++) for (const e of s.step()) if (e.done) done.set(e.id, e.done);
  // The prompt under test is admitted last (slot 10), after seven others (slots 3..9).
  const [others, [id]] = s.addGroups([{ prompts: [1, 2, 3, 4, 5, 6, 7].map(prompt), opts: { maxTokens: 5, temperature: 1.2, seed: 9 } }, { prompts: [prompt(0)], opts }]) as [number[], number[]];
  assert.equal(others.length, 7);
  assert.equal(s.active, 11);
  // The step right after the admission draws only for the three decoding rows (the new rows are pending); the
  // short row finishes, and compaction moves the pending row of slot 10 into its slot 2 before the fused decode.
  const first = s.step();
  assert.deepEqual(first.map((e) => e.id).sort(), [...long!, short!].sort());
  assert.equal(first.find((e) => e.id === short)!.done?.completionTokens, 3);
  assert.equal(s.active, 10);
  runToEnd(s, done);
  assert.deepEqual(done.get(id!), alone);
});

test("a decoding-only step (cache writes fused into attention) equals the same step through separate cache writes, bitwise", () => {
  const m = model();
  const V = config.vocab_size;
  const prompts = [[1, 5, 7], [3, 4], [2, 9, 9, 9, 1]];
  const c1 = m.newCache(4, 16), c2 = m.newCache(4, 16);
  const flat = prompts.flat(), pos = prompts.flatMap((p) => p.map((_, j) => j)), slot = prompts.flatMap((p, i) => p.map(() => i));
  const last = Int32Array.from(prompts, (_, i) => prompts.slice(0, i + 1).flat().length - 1);
  for (const c of [c1, c2]) m.decodeStep(Int32Array.from(flat), Int32Array.from(pos), Int32Array.from(slot), c, last);
  const len = prompts.map((p) => p.length);
  for (let step = 0; step < 4; step++) {
    const toks = Int32Array.from(len, (l, i) => (l * 5 + i) % V), p = Int32Array.from(len), s = Int32Array.of(0, 1, 2);
    const fused = m.decodeStep(toks, p, s, c1); // every token alone in its slot, every token a query: fused
    const perm = m.decodeStep(toks, p, s, c2, Int32Array.of(2, 0, 1)); // logitRows reorder: the separate-write path
    for (const [i, r] of [2, 0, 1].entries()) assert.deepEqual(perm.subarray(i * V, (i + 1) * V), fused.subarray(r * V, (r + 1) * V), `step ${step} row ${r}`);
    for (let l = 0; l < c1.k.length; l++) {
      assert.deepEqual(c1.k[l], c2.k[l], `step ${step} layer ${l} keys`);
      assert.deepEqual(c1.v[l], c2.v[l], `step ${step} layer ${l} values`);
    }
    len.forEach((l, i) => { len[i] = l + 1; });
  }
});

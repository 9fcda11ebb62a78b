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

test("prefill into a later slot of a decoding cache equals the full forward (KV-cache decoding after a join)", () => {
  const m = model();
  const V = config.vocab_size;
  const cache = m.newCache(2, 20);
  const a = [1, 5, 7], b = [3, 4, 5, 6];
  let la = m.prefill([a], cache, 0);
  // Decode row a two steps alone, then prefill b into slot 1 and decode both.
  const seqA = [...a];
  for (let s = 0; s < 2; s++) {
    const tok = (seqA.length * 3) % V;
    la = m.decodeStep(Int32Array.of(tok), Int32Array.of(seqA.length), Int32Array.of(0), cache);
    seqA.push(tok);
  }
  const lb = m.prefill([b], cache, 1);
  const seqB = [...b];
  let both: Float32Array = new Float32Array(2 * V);
  both.set(la.subarray(0, V), 0);
  both.set(lb.subarray(0, V), V);
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
  assert.throws(() => m.prefill([a], cache, 2), /outside the cache/);
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

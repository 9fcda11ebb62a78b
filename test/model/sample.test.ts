import { test } from "node:test";
import assert from "node:assert/strict";
import { Transformer } from "../../src/model/transformer.js";
import { sampleTokens, topIndices } from "../../src/model/sample.js";
import type { ModelConfig } from "../../src/model/config.js";

const config: ModelConfig = {
  vocab_size: 19, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 24, max_position_embeddings: 40, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
// Larger weights than the default init so that the distribution is far from uniform.
function model(): Transformer {
  const m = Transformer.init(config, 8);
  for (const [, t] of m.parameters()) if (t.shape.length > 1) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! * 40;
  return m;
}
const prompts = [[1, 5, 7], [2], [3, 4, 5, 6, 7, 8, 9, 10]];

function logSoftmax(row: Float32Array): number[] {
  let mx = -Infinity;
  for (const x of row) mx = Math.max(mx, x);
  let s = 0;
  for (const x of row) s += Math.exp(x - mx);
  return Array.from(row, (x) => x - mx - Math.log(s));
}

test("KV-cache decoding gives the full forward's logits (prompts of different lengths, GQA)", () => {
  const m = model();
  const V = config.vocab_size;
  const cache = m.newCache(prompts.length, 20);
  // The prompts go through one decodeStep (every position of each prompt in its own slot), logits for their last tokens.
  const flat = prompts.flat();
  const slotOf = prompts.flatMap((p, b) => p.map(() => b));
  const posOf = prompts.flatMap((p) => p.map((_, j) => j));
  const lastOf = prompts.map((_, b) => slotOf.lastIndexOf(b));
  let logits = m.decodeStep(Int32Array.from(flat), Int32Array.from(posOf), Int32Array.from(slotOf), cache, Int32Array.from(lastOf));
  const seqs = prompts.map((p) => [...p]);
  for (let step = 0; step < 6; step++) {
    const full = m.forward(seqs);
    seqs.forEach((s, b) => {
      const want = full[b]!.subarray((s.length - 1) * V, s.length * V);
      const got = logits.subarray(b * V, (b + 1) * V);
      for (let j = 0; j < V; j++) assert.ok(Math.abs(got[j]! - want[j]!) < 1e-4 * Math.max(1, Math.abs(want[j]!)), `step ${step} row ${b}`);
    });
    const next = seqs.map((s, b) => (s.length * 7 + b + step) % V);
    seqs.forEach((s, b) => s.push(next[b]!));
    logits = m.decodeStep(Int32Array.from(next), Int32Array.from(seqs, (s) => s.length - 1), Int32Array.from([0, 1, 2]), cache);
  }
});

test("greedy sampling picks each argmax, and its logprobs are the untempered log-softmax of the full forward", () => {
  const m = model();
  const out = sampleTokens(m, prompts, { maxTokens: 8, temperature: 0 });
  out.forEach((c, b) => {
    assert.equal(c.tokens.length, 8);
    assert.equal(c.completionTokens, 8);
    assert.equal(c.finishReason, "length");
    const full = m.forward([[...prompts[b]!, ...c.tokens]])[0]!;
    c.tokens.forEach((tok, i) => {
      const t = prompts[b]!.length - 1 + i;
      const row = full.subarray(t * config.vocab_size, (t + 1) * config.vocab_size);
      const lp = logSoftmax(row);
      assert.equal(tok, lp.indexOf(Math.max(...lp)));
      assert.ok(Math.abs(c.logprobs[i]! - lp[tok]!) < 1e-4);
    });
  });
});

test("sampling is reproducible with a seed and independent of the batch it runs in", () => {
  const m = model();
  const opts = { maxTokens: 10, temperature: 1.3, topP: 0.9, topK: 8, seed: 42 };
  const a = sampleTokens(m, prompts, opts), b = sampleTokens(m, prompts, opts);
  assert.deepEqual(a, b);
  const c = sampleTokens(m, prompts, { ...opts, seed: 43 });
  assert.notDeepEqual(a.map((x) => x.tokens), c.map((x) => x.tokens));
  // Sequence i's generator depends on (seed, i) only: the same first prompt alone samples the same tokens.
  assert.deepEqual(sampleTokens(m, [prompts[0]!], opts)[0]!.tokens, a[0]!.tokens);
});

test("top-k 1 is greedy; top-p keeps only the most likely tokens", () => {
  const m = model();
  const greedy = sampleTokens(m, prompts, { maxTokens: 6, temperature: 0 });
  assert.deepEqual(sampleTokens(m, prompts, { maxTokens: 6, temperature: 1, topK: 1, seed: 1 }).map((c) => c.tokens), greedy.map((c) => c.tokens));
  assert.deepEqual(sampleTokens(m, prompts, { maxTokens: 6, temperature: 1, topP: 1e-6, seed: 2 }).map((c) => c.tokens), greedy.map((c) => c.tokens));
  assert.deepEqual(topIndices([0.1, 0.5, 0.3, 0.5, -1], 3), [1, 3, 2]);
});

test("stop tokens end a sequence (kept in tokens, not in text); stop strings are cut from the text", () => {
  const m = model();
  const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(97 + i)).join("");
  const greedy = sampleTokens(m, prompts, { maxTokens: 8, temperature: 0, decode });
  const stopTok = greedy[0]!.tokens[2]!;
  const s = sampleTokens(m, prompts, { maxTokens: 8, temperature: 0, decode, stopTokens: [stopTok] });
  const first = greedy[0]!.tokens.indexOf(stopTok);
  assert.deepEqual(s[0]!.tokens, greedy[0]!.tokens.slice(0, first + 1));
  assert.equal(s[0]!.finishReason, "stop");
  assert.equal(s[0]!.text, decode(greedy[0]!.tokens.slice(0, first)));
  // The other sequences keep decoding after the first finished (cache compaction) and match the greedy run
  // up to their own stop.
  s.slice(1).forEach((c, i) => {
    const g = greedy[i + 1]!.tokens;
    assert.deepEqual(c.tokens, g.slice(0, c.tokens.length));
  });
  const text = greedy[2]!.text;
  const stop = text.slice(3, 5);
  const t = sampleTokens(m, [prompts[2]!], { maxTokens: 8, temperature: 0, decode, stopStrings: [stop] })[0]!;
  assert.equal(t.finishReason, "stop");
  assert.equal(t.text, text.slice(0, text.indexOf(stop)));
  assert.ok(!t.text.includes(stop));
});

test("generation stops at the context length; bad options are named", () => {
  const m = model();
  const long = Array.from({ length: 36 }, (_, i) => i % 19);
  const c = sampleTokens(m, [long], { maxTokens: 10, temperature: 0 })[0]!;
  assert.equal(c.tokens.length, 4);
  assert.equal(c.finishReason, "length");
  assert.throws(() => sampleTokens(m, [Array(40).fill(1)], { maxTokens: 1 }), /context is 40/);
  assert.throws(() => sampleTokens(m, prompts, { maxTokens: 1, topP: 0 }), /topP/);
  assert.throws(() => sampleTokens(m, prompts, { maxTokens: 1, temperature: -1 }), /temperature/);
});

test("a vocabulary padded past the tokenizer never yields an id the tokenizer cannot decode", async () => {
  const { LocalEngine } = await import("../../src/engine/local.js");
  const { mathTokenizer } = await import("../../src/model/tokenizer.js");
  const tok = mathTokenizer();
  const padded = Math.ceil((tok.vocabSize + 1) / 64) * 64;
  const e = LocalEngine.create({
    vocab_size: padded, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
    intermediate_size: 32, max_position_embeddings: 64, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
  }, tok, 7);
  // Make the padding ids the most likely ones, so an unrestricted sampler would pick them.
  const emb = e.model.parameters().get("model.embed_tokens.weight")!;
  for (let id = tok.vocabSize; id < padded; id++) for (let j = 0; j < 16; j++) emb.data[id * 16 + j] = 5;
  for (const temperature of [0, 1]) {
    const out = await e.sampler().sample(["1+1="], { n: 4, temperature, topP: temperature ? 0.9 : 1, maxTokens: 16, seed: 1, logprobs: true });
    for (const c of out[0]!) {
      assert.ok(c.tokens!.every((id) => id < tok.vocabSize), `sampled ${c.tokens} with vocab ${tok.vocabSize}`);
      assert.ok(c.logprobs!.every((lp) => Number.isFinite(lp) && lp <= 0));
    }
  }
});

test("sampling calls share one transposed copy of the weights until the weights are written", () => {
  const m = model();
  const a = m.newCache(2, 8), b = m.newCache(3, 16);
  assert.equal(a.wT, b.wT, "two sessions with unchanged weights share the snapshot");
  const greedy = { maxTokens: 12, temperature: 0 };
  const before = sampleTokens(m, prompts, greedy).map((c) => c.tokens);
  // Write the weights the way the optimizer does (through parameters()), then sample again: the new weights are
  // used, exactly as by a model built from a copy of them.
  for (const [name, t] of m.parameters()) if (name.endsWith("mlp.down_proj.weight")) for (let i = 0; i < t.data.length; i++) t.data[i] = -t.data[i]! * 3;
  assert.notEqual(m.newCache(2, 8).wT, a.wT, "a fresh snapshot after the write");
  const after = sampleTokens(m, prompts, greedy).map((c) => c.tokens);
  const copy = new Transformer(config, new Map([...m.parameters()].map(([n, t]) => [n, { shape: [...t.shape], data: Float32Array.from(t.data) }])));
  assert.deepEqual(after, sampleTokens(copy, prompts, greedy).map((c) => c.tokens));
  assert.notDeepEqual(after, before, "the write changed what is sampled");
  // A session opened before the write keeps decoding with the weights it started with.
  assert.notEqual(a.wT.get("model.layers.0.mlp.down_proj.weight")![0], m.newCache(1, 4).wT.get("model.layers.0.mlp.down_proj.weight")![0]);
});

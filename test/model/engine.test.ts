import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { Datum } from "../../src/engine/types.js";

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 64, max_position_embeddings: 64, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
};
const texts = ["12+34=46", "7*8=56", "99-9=90", "3^2=9"];
const batch: Datum[] = texts.map((t) => {
  const tokens = [tok.bos, ...tok.encode(t), tok.eos];
  // Non-binary weights: the prompt part ("12+34=") is masked, the answer weighted 1, eos 0.5.
  const eq = t.indexOf("=") + 1;
  return { tokens, weights: tokens.slice(1).map((_, i) => (i < eq ? 0 : i === tokens.length - 2 ? 0.5 : 1)) };
});

test("a tiny model overfits a small batch through the engine API (loss -> ~0), then answers greedily", async () => {
  const e = LocalEngine.create(config, tok, 1);
  let first = 0, last = 0;
  for (let step = 0; step < 150; step++) {
    const s = await e.forwardBackward(batch, { type: "cross_entropy" });
    if (step === 0) first = s.loss;
    last = s.loss;
    await e.optimStep({ lr: 1e-2, maxGradNorm: 1 });
  }
  assert.ok(first > 3, `initial loss ${first}`);
  assert.ok(last < 0.02, `final loss ${last}`);
  const out = await e.sampler().sample(["12+34=", "7*8="], { maxTokens: 10, temperature: 0, logprobs: true });
  assert.equal(out[0]![0]!.text, "46");
  assert.equal(out[1]![0]!.text, "56");
  assert.equal(out[0]![0]!.finishReason, "stop");
  assert.equal(out[0]![0]!.tokens!.at(-1), tok.eos);
  assert.equal(out[0]![0]!.logprobs!.length, out[0]![0]!.completionTokens);
});

test("gradients accumulate across forwardBackward calls until optimStep", async () => {
  const a = LocalEngine.create(config, tok, 2), b = LocalEngine.create(config, tok, 2);
  // Two forwardBackward calls on the same batch leave twice the gradient of one call.
  await a.forwardBackward(batch, { type: "cross_entropy" });
  await b.forwardBackward(batch, { type: "cross_entropy" });
  await b.forwardBackward(batch, { type: "cross_entropy" });
  const ga = a.model.gradients().get("model.layers.1.mlp.up_proj.weight")!.data;
  const gb = b.model.gradients().get("model.layers.1.mlp.up_proj.weight")!.data;
  for (let i = 0; i < ga.length; i += 97) assert.ok(Math.abs(gb[i]! - 2 * ga[i]!) <= 1e-6 + 1e-5 * Math.abs(ga[i]!));
  const s = await b.optimStep({ lr: 1e-3 });
  assert.equal(s.metrics.accumulated, 2);
  assert.ok(gb.every((x) => x === 0));
});

test("distribution: top-k ids and logprobs agree with the full logits' log-softmax; logprobs agree too", async () => {
  const e = LocalEngine.create(config, tok, 3);
  const full = await e.distribution(batch);
  const topk = await e.distribution(batch, { topK: 5 });
  const lps = await e.logprobs(batch);
  const V = config.vocab_size;
  full.forEach((f, i) => {
    assert.equal(f.kind, "logits");
    const k = topk[i]!;
    assert.equal(k.kind, "topk");
    if (f.kind !== "logits" || k.kind !== "topk") return;
    const n = batch[i]!.tokens.length - 1;
    assert.equal(f.logits.length, n * V);
    for (let t = 0; t < n; t++) {
      const row = Array.from(f.logits.subarray(t * V, (t + 1) * V));
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, x) => s + Math.exp(x - mx), 0));
      const order = row.map((x, j) => [x, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 5);
      order.forEach(([x, j], r) => {
        assert.equal(k.ids[t * 5 + r], j);
        assert.ok(Math.abs(k.logprobs[t * 5 + r]! - (x - lse)) < 1e-5);
      });
      assert.ok(Math.abs(lps[i]![t]! - (row[batch[i]!.tokens[t + 1]!]! - lse)) < 1e-5);
    }
  });
});

test("pairwise loss trains the score head to rank chosen above rejected", async () => {
  const e = LocalEngine.create({ ...config, score_head: true }, tok, 4);
  const pairs: Datum[] = [];
  for (const [good, bad] of [["2+2=4", "2+2=5"], ["3*3=9", "3*3=6"], ["5-1=4", "5-1=3"]]) {
    for (const t of [good, bad]) { const tokens = [tok.bos, ...tok.encode(t!)]; pairs.push({ tokens, weights: tokens.slice(1).map(() => 1) }); }
  }
  let acc = 0;
  for (let step = 0; step < 60; step++) {
    const s = await e.forwardBackward(pairs, { type: "pairwise" });
    await e.optimStep({ lr: 3e-3 });
    if (step === 59) acc = s.loss;
  }
  const sc = await e.scores!(pairs);
  for (let i = 0; i < pairs.length; i += 2) assert.ok(sc[i]! > sc[i + 1]!, `pair ${i / 2}: ${sc[i]} vs ${sc[i + 1]}`);
  assert.ok(acc < 0.1, `pairwise loss ${acc}`);
  await assert.rejects(LocalEngine.create(config, tok, 1).forwardBackward(pairs, { type: "pairwise" }), /score head/);
});

test("save and load round-trip weights, optimizer state and sampling; n completions per prompt", async () => {
  const dir = await mkdtemp(join(tmpdir(), "trimer-engine-"));
  try {
    const e = LocalEngine.create(config, tok, 5);
    await e.forwardBackward(batch, { type: "cross_entropy" });
    await e.optimStep({ lr: 1e-2 });
    await e.save(dir);
    const l = await LocalEngine.load(dir);
    assert.equal(l.step, 1);
    assert.deepEqual(l.model.parameters().get("lm_head.weight")!.data, e.model.parameters().get("lm_head.weight")!.data);
    assert.deepEqual(l.optimizerState().v.get("model.norm.weight")!.data, e.optimizerState().v.get("model.norm.weight")!.data);
    const opts = { n: 3, maxTokens: 6, temperature: 1, seed: 9 };
    const a = await e.sampler().sample(["1+1=", [{ role: "user" as const, content: "2+2?" }]], opts);
    const b = await l.sampler().sample(["1+1=", [{ role: "user" as const, content: "2+2?" }]], opts);
    assert.deepEqual(a, b);
    assert.equal(a.length, 2);
    assert.equal(a[0]!.length, 3);
    // The same loss after loading: the optimizer resumes from the same state.
    const s1 = await e.forwardBackward(batch, { type: "cross_entropy" });
    const s2 = await l.forwardBackward(batch, { type: "cross_entropy" });
    assert.equal(s1.loss, s2.loss);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("bad data are named", async () => {
  const e = LocalEngine.create(config, tok, 1);
  await assert.rejects(e.forwardBackward([{ tokens: [1, 2, 3], weights: [1] }], { type: "cross_entropy" }), /datum 0: weights has length 1, expected tokens.length - 1 = 2/);
  await assert.rejects(e.logprobs([{ tokens: [1, 9999], weights: [1] }]), /datum 0: tokens\[1\] = 9999 is outside the vocabulary/);
});

test("a vocab_size padded past the tokenizer: padding ids get probability 0 in log-probs, distributions and losses", async () => {
  const padded = Math.ceil((tok.vocabSize + 1) / 64) * 64;
  const e = LocalEngine.create({ ...config, vocab_size: padded, tie_word_embeddings: true }, tok, 3);
  // Make the padding ids likely: unmasked, they would take most of every softmax.
  const d = config.hidden_size;
  const emb = e.model.parameters().get("model.embed_tokens.weight")!;
  for (let id = tok.vocabSize; id < padded; id++) for (let j = 0; j < d; j++) emb.data[id * d + j] = 3;
  const prompts = ["12+34=", "7*8="];
  const groups = await e.sampler().sample(prompts, { n: 3, temperature: 1, maxTokens: 8, seed: 5, logprobs: true });
  const data: Datum[] = groups.flatMap((g, i) => g.map((c) => {
    const p = [tok.bos, ...tok.encode(prompts[i]!)];
    const tokens = [...p, ...c.tokens!];
    const T = tokens.length - 1;
    const old = new Array<number>(T).fill(0);
    c.logprobs!.forEach((lp, k) => { old[T - c.logprobs!.length + k] = lp; });
    return { tokens, weights: tokens.slice(1).map((_, t) => (t >= p.length - 1 ? 1 : 0)), oldLogprobs: old, advantages: new Array<number>(T).fill(1) };
  }));
  // The trainer's log-probs of the sampled tokens are the sampler's (the GRPO ratio starts at exactly 1).
  const lps = await e.logprobs(data);
  data.forEach((datum, i) => datum.weights!.forEach((w, t) => {
    if (w) assert.ok(Math.abs(lps[i]![t]! - datum.oldLogprobs![t]!) < 1e-4, `datum ${i} position ${t}: ${lps[i]![t]} vs sampled ${datum.oldLogprobs![t]}`);
  }));
  const st = await e.forwardBackward(data, { type: "policy_gradient", clip: 0.2, aggregation: "sequence", beta: 0 });
  assert.ok(Math.abs(st.metrics.ratioMean! - 1) < 1e-4, `ratio mean ${st.metrics.ratioMean}`);
  // No gradient reaches a padding id's head row (tied: its embedding row, which no input uses either).
  const g = e.model.gradients().get("model.embed_tokens.weight")!;
  for (let id = tok.vocabSize; id < padded; id++) for (let j = 0; j < d; j++) assert.equal(g.data[id * d + j], 0);
  assert.ok(g.data.some((x) => x !== 0));
  // Distributions: full logits mask the padding, top-k never names it, and the real ids carry all the mass.
  const [full] = await e.distribution([data[0]!]);
  assert.equal(full!.kind, "logits");
  if (full!.kind === "logits") {
    for (let off = 0; off < full!.logits.length; off += padded) {
      for (let id = tok.vocabSize; id < padded; id++) assert.equal(full!.logits[off + id], -Infinity);
    }
  }
  const [top] = await e.distribution([data[0]!], { topK: 5 });
  if (top!.kind === "topk") assert.ok([...top!.ids].every((id) => id < tok.vocabSize));
  // Cross-entropy: the same loss as a model without the padding rows would give (logits over the real ids only).
  const ce = await e.forwardBackward(data, { type: "cross_entropy" });
  const real = LocalEngine.create({ ...config, vocab_size: tok.vocabSize, tie_word_embeddings: true }, tok, 3);
  for (const [name, t] of real.model.parameters()) {
    const src = e.model.parameters().get(name)!;
    t.data.set(src.data.subarray(0, t.data.length));
  }
  const ceReal = await real.forwardBackward(data, { type: "cross_entropy" });
  assert.ok(Math.abs(ce.loss - ceReal.loss) < 1e-5 * Math.max(1, ceReal.loss), `${ce.loss} vs ${ceReal.loss}`);
  // A padding id in a batch is refused with a clear error.
  await assert.rejects(e.forwardBackward([{ tokens: [tok.bos, tok.vocabSize, tok.eos], weights: [1, 1] }], { type: "cross_entropy" }), new RegExp(`outside the vocabulary \\[0, ${tok.vocabSize}\\)`));
});

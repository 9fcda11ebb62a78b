import { test } from "node:test";
import assert from "node:assert/strict";
import { adamwStep, decays, globalGradNorm, newAdamWState } from "../../src/model/optim.js";
import type { ModelConfig } from "../../src/model/config.js";
import { zerosLike } from "../../src/model/tensors.js";

const config: ModelConfig = {
  vocab_size: 5, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 6, max_position_embeddings: 8, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};

test("AdamW follows torch.optim.AdamW's update, with decay on matrices only, and zeroes the gradients", () => {
  const params = zerosLike(config), grads = zerosLike(config), st = newAdamWState(config);
  const q = "model.layers.0.self_attn.q_proj.weight", n = "model.norm.weight", e = "model.embed_tokens.weight";
  params.get(q)!.data.fill(0.5); params.get(n)!.data.fill(0.5); params.get(e)!.data.fill(0.5);
  const lr = 0.1, wd = 0.2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const gs = [0.3, -0.7];
  // Hand-computed reference of the same two steps (torch's formula), in float64.
  let p = 0.5, pn = 0.5, m = 0, v = 0;
  gs.forEach((g, k) => {
    for (const name of [q, n, e]) grads.get(name)!.data.fill(g);
    adamwStep(params, grads, st, { lr, weightDecay: wd, beta1: b1, beta2: b2, eps });
    const t = k + 1;
    m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g;
    const upd = lr * (m / (1 - b1 ** t)) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
    p = p * (1 - lr * wd) - upd;
    pn = pn - upd;
  });
  assert.ok(Math.abs(params.get(q)!.data[0]! - p) < 1e-6);
  assert.ok(Math.abs(params.get(n)!.data[0]! - pn) < 1e-6, "norm weights are not decayed");
  assert.ok(Math.abs(params.get(e)!.data[0]! - pn) < 1e-6, "the embedding is not decayed");
  assert.equal(st.step, 2);
  assert.ok(grads.get(q)!.data.every((x) => x === 0));
  assert.ok(decays(q, [4, 4]) && !decays(n, [4]) && !decays(e, [5, 4]));
});

test("clipping by global norm scales every gradient by maxNorm / norm and reports the pre-clip norm", () => {
  const params = zerosLike(config), grads = zerosLike(config), st = newAdamWState(config);
  let count = 0;
  for (const [, t] of grads) { t.data.fill(2); count += t.data.length; }
  const norm = globalGradNorm(grads);
  assert.ok(Math.abs(norm - 2 * Math.sqrt(count)) < 1e-9);
  // With beta1 = 0, beta2 = 0 and eps = 0 one Adam step moves every weight by lr * sign(g): clipping does not
  // change that, so check the moments instead (m = clipped gradient).
  const r = adamwStep(params, grads, st, { lr: 0.01, maxGradNorm: 1, beta1: 0, beta2: 0.5 });
  assert.ok(Math.abs(r.gradNorm - norm) < 1e-9);
  assert.ok(Math.abs(r.clipScale - 1 / (norm + 1e-6)) < 1e-12);
  const m0 = st.m.get("model.norm.weight")!.data[0]!;
  assert.ok(Math.abs(m0 - 2 / norm) < 1e-6);
});

test("a non-finite gradient is refused without touching the weights; bad options are named", () => {
  const params = zerosLike(config), grads = zerosLike(config), st = newAdamWState(config);
  grads.get("model.norm.weight")!.data[1] = NaN;
  assert.throws(() => adamwStep(params, grads, st, { lr: 0.1 }), /gradient norm is NaN/);
  assert.equal(st.step, 0);
  assert.throws(() => adamwStep(params, zerosLike(config), st, { lr: -1 }), /lr must be/);
  assert.throws(() => adamwStep(params, zerosLike(config), st, { lr: 1, beta2: 1 }), /beta2/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { Transformer, packRows } from "../../src/model/transformer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { jsKernels } from "../../src/model/kernels-js.js";
import { loadNativeKernels } from "../../src/model/kernels.js";
import { parameterShapes, validateTensors, zerosLike } from "../../src/model/tensors.js";
import { createRng } from "../../src/util/rng.js";

const config: ModelConfig = {
  vocab_size: 23, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 24, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
};

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0, m = 0;
  for (let i = 0; i < a.length; i++) { n = Math.max(n, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return n / Math.max(m, 1e-30);
}

test("parameterShapes lists HF Llama names in canonical order, lm_head only when untied, score only when asked", () => {
  const names = parameterShapes(config).map((s) => s.name);
  assert.equal(names[0], "model.embed_tokens.weight");
  assert.deepEqual(names.slice(1, 10), ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"].map((n) => `model.layers.0.${n}.weight`));
  assert.deepEqual(names.slice(-2), ["model.norm.weight", "lm_head.weight"]);
  const shapes = new Map(parameterShapes(config).map((s) => [s.name, s.shape]));
  assert.deepEqual(shapes.get("model.layers.1.self_attn.k_proj.weight"), [8, 16]); // GQA: 2 kv heads x head dim 4
  assert.deepEqual(shapes.get("model.layers.1.mlp.down_proj.weight"), [16, 24]);
  assert.ok(!parameterShapes({ ...config, tie_word_embeddings: true }).some((s) => s.name === "lm_head.weight"));
  assert.deepEqual(parameterShapes({ ...config, score_head: true }).at(-1), { name: "score.weight", shape: [1, 16] });
  const t = zerosLike(config);
  t.delete("model.norm.weight");
  assert.throws(() => validateTensors(config, t, "x.safetensors"), /x.safetensors: missing tensor model.norm.weight/);
});

test("init is seeded: same seed, same weights; different seed, different weights; norms start at 1", () => {
  const a = Transformer.init(config, 1).parameters(), b = Transformer.init(config, 1).parameters(), c = Transformer.init(config, 2).parameters();
  const q = "model.layers.0.self_attn.q_proj.weight";
  assert.deepEqual(a.get(q)!.data, b.get(q)!.data);
  assert.notDeepEqual(a.get(q)!.data, c.get(q)!.data);
  assert.ok(a.get("model.norm.weight")!.data.every((x) => x === 1));
  const w = a.get(q)!.data;
  const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
  assert.ok(Math.abs(std - 0.02) < 0.003, `std ${std}`);
});

test("rows of different lengths in one batch give the same logits as each row alone", () => {
  const m = Transformer.init(config, 4);
  const rows = [[1, 2, 3, 4, 5, 6, 7], [8, 9], [10, 11, 12, 13]];
  const together = m.forward(rows);
  rows.forEach((r, i) => {
    const alone = m.forward([r])[0]!;
    assert.equal(together[i]!.length, r.length * config.vocab_size);
    assert.ok(maxRel(together[i]!, alone) < 1e-6);
  });
  // Causality: a row's prefix has the logits of the row's first positions.
  const prefix = m.forward([rows[0]!.slice(0, 3)])[0]!;
  assert.ok(maxRel(prefix, together[0]!.subarray(0, 3 * config.vocab_size)) < 1e-6);
});

test("forward and backward are deterministic and native equals the TypeScript kernels", { skip: !loadNativeKernels() }, () => {
  const native = loadNativeKernels()!;
  const rng = createRng(3);
  const rows = [Array.from({ length: 20 }, () => rng.int(0, 22)), Array.from({ length: 9 }, () => rng.int(0, 22))];
  const run = (k: typeof jsKernels) => {
    const m = Transformer.init({ ...config, score_head: true }, 9, k);
    const st = m.forwardPacked(packRows(rows, config.vocab_size), { keep: true, head: true });
    const dl = st.rowLogits.map((l) => Float32Array.from(l, (_, i) => Math.sin(i)));
    m.backward(st, dl, Float32Array.from([0.5, -1]));
    return { logits: st.logits!, scores: st.scores!, grads: m.gradients() };
  };
  const a = run(jsKernels), b = run(native), c = run(native);
  assert.ok(maxRel(b.logits, a.logits) < 1e-5);
  assert.ok(maxRel(b.scores, a.scores) < 1e-5);
  for (const [name, g] of a.grads) {
    assert.ok(maxRel(b.grads.get(name)!.data, g.data) < 1e-4, `${name}: ${maxRel(b.grads.get(name)!.data, g.data)}`);
    assert.deepEqual(c.grads.get(name)!.data, b.grads.get(name)!.data, `${name} is not deterministic`);
  }
});

test("bad tokens and shapes are rejected with the position named", () => {
  const m = Transformer.init(config, 1);
  assert.throws(() => m.forward([[1, 2], [3, 99]]), /row 1, position 1: token 99 is outside the vocabulary/);
  assert.throws(() => m.forward([[]]), /row 0 is empty/);
  assert.throws(() => m.scores([[1]]), /no score head/);
});

test("native forward and backward are bit-identical across runs at a size that uses the thread pool", { skip: !loadNativeKernels() }, () => {
  const native = loadNativeKernels()!;
  native.setThreads(2); // the default pool size; determinism is promised per thread count
  {
    const big: ModelConfig = { ...config, vocab_size: 50, hidden_size: 256, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 512, max_position_embeddings: 512 };
    const rng = createRng(12);
    const rows = [300, 280, 310, 290].map((n) => Array.from({ length: n }, () => rng.int(0, 49)));
    const run = () => {
      const m = Transformer.init(big, 21, native);
      const st = m.forwardPacked(packRows(rows, big.vocab_size), { keep: true, head: true });
      const logits = st.logits!.slice();
      m.backward(st, st.rowLogits.map((l) => Float32Array.from(l, (_, i) => Math.cos(i))));
      return { logits, grads: m.gradients() };
    };
    const a = run(), b = run();
    assert.deepEqual(a.logits, b.logits);
    for (const [name, g] of a.grads) assert.deepEqual(b.grads.get(name)!.data, g.data, `${name} differs between runs`);
  }
});

// Gradient check of every layer against central finite differences. The loss is a fixed random linear function of
// all logits and scores, L = sum(cL * logits) + sum(cS * scores), so dL/dlogits = cL exactly and every parameter
// tensor (embedding, both norms, q/k/v/o, gate/up/down, final norm, lm_head or tied embedding, score head) is
// checked through the whole network. Float32 storage limits finite differences to ~1e-3 agreement; a wrong
// backward is off by O(1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Transformer, packRows } from "../../src/model/transformer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { jsKernels } from "../../src/model/kernels-js.js";
import { loadNativeKernels, type Kernels } from "../../src/model/kernels.js";
import { createRng } from "../../src/util/rng.js";

const base: ModelConfig = {
  vocab_size: 11, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 12, max_position_embeddings: 16, rms_norm_eps: 1e-5, rope_theta: 100, tie_word_embeddings: false,
  score_head: true,
};
const rows = [[1, 4, 2, 9, 3], [7, 0, 5], [10, 2, 2, 6, 8, 1, 3]];

function model(config: ModelConfig, k: Kernels): Transformer {
  const m = Transformer.init(config, 3, k);
  // Larger weights than the 0.02 init so that every nonlinearity (softmax, SiLU, RMSNorm) is exercised.
  const rng = createRng(11);
  // The embedding gets unit scale so that RMSNorm does not amplify it (which would make finite differences curve).
  for (const [name, t] of m.parameters()) {
    const scale = name === "model.embed_tokens.weight" ? 50 : 8;
    for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! * scale + (t.shape.length === 1 ? rng.normal() * 0.3 : 0);
  }
  return m;
}

function lossOf(m: Transformer, cL: Float32Array[], cS: Float32Array): number {
  const st = m.forwardPacked(packRows(rows, m.config.vocab_size), { keep: false, head: true });
  let L = 0;
  st.rowLogits.forEach((l, r) => { for (let i = 0; i < l.length; i++) L += l[i]! * cL[r]![i]!; });
  if (st.scores) for (let r = 0; r < rows.length; r++) L += st.scores[r]! * cS[r]!;
  return L;
}

function check(config: ModelConfig, k: Kernels, label: string): void {
  const m = model(config, k);
  const rng = createRng(5);
  const V = config.vocab_size;
  const cL = rows.map((r) => Float32Array.from({ length: r.length * V }, () => rng.normal()));
  const cS = Float32Array.from(rows, () => rng.normal());
  const st = m.forwardPacked(packRows(rows, V), { keep: true, head: true });
  m.zeroGrad();
  m.backward(st, cL, config.score_head ? cS : null);
  const grads = m.gradients();
  let checked = 0;
  for (const [name, t] of m.parameters()) {
    const g = grads.get(name)!.data;
    // Up to 6 entries per tensor, chosen at random (embedding rows of unused tokens have zero gradient: fine).
    const picks = new Set<number>();
    while (picks.size < Math.min(6, t.data.length)) picks.add(rng.int(0, t.data.length - 1));
    for (const i of picks) {
      const orig = t.data[i]!;
      const central = (h: number) => {
        t.data[i] = orig + h; const lp = lossOf(m, cL, cS);
        t.data[i] = orig - h; const lm = lossOf(m, cL, cS);
        t.data[i] = orig;
        return (lp - lm) / (2 * h);
      };
      // Richardson extrapolation cancels the h^2 error term of the central difference.
      const h = 8e-3 * Math.max(1, Math.abs(orig));
      const fd = (4 * central(h / 2) - central(h)) / 3;
      const L0 = lossOf(m, cL, cS);
      const tol = 1e-2 * Math.max(Math.abs(fd), Math.abs(g[i]!)) + 2e-5 * Math.max(1, Math.abs(L0)) / h;
      assert.ok(Math.abs(fd - g[i]!) <= tol, `${label} ${name}[${i}]: backward ${g[i]} vs finite difference ${fd}`);
      checked++;
    }
  }
  assert.ok(checked > 50);
}

test("every parameter's gradient matches finite differences (untied head, GQA, score head, TS kernels)", () => {
  check(base, jsKernels, "js");
});

test("gradients with a tied head and no GQA match finite differences", () => {
  check({ ...base, tie_word_embeddings: true, num_key_value_heads: 2, score_head: false }, jsKernels, "tied");
});

const native = loadNativeKernels();
test("gradients through the native kernels match finite differences", { skip: !native }, () => {
  check(base, native!, "native");
});

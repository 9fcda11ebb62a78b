// trimer's forward, weighted next-token loss and backward against PyTorch (../shared/reference/torch_llama.py
// `check`), on the committed fixtures from scripts/make-torch-fixtures.sh: a GQA model with an untied head and a
// tied one, a batch of rows with different real lengths and non-binary weights. No torch needed here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint } from "../../src/model/checkpoint.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { Transformer, packRows } from "../../src/model/transformer.js";
import { tokenLoss } from "../../src/model/losses.js";
import { parameterShapes } from "../../src/model/tensors.js";
import type { Datum } from "../../src/engine/types.js";

const TOL = 1e-4;

/** max|a - b| / max|b|: the error relative to the tensor's scale (elementwise ratios blow up near zero). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

for (const name of ["gqa-untied", "tied"]) {
  test(`${name}: logits, weighted loss and every gradient match PyTorch within ${TOL} relative`, async () => {
    const dir = join("test/fixtures/torch", name);
    const ckpt = await loadCheckpoint(dir);
    const expected = (await readSafetensors(join(dir, "expected.safetensors"))).tensors;
    const batch = JSON.parse(readFileSync(join(dir, "batch.json"), "utf8")) as { tokens: number[][]; weights: number[][]; lengths: number[] };
    const V = ckpt.config.vocab_size;
    const T = batch.tokens[0]!.length;

    // Rows at their real lengths: the fixture pads with weight-0 tokens, which causal attention makes inert.
    const data: Datum[] = batch.tokens.map((row, b) => ({
      tokens: row.slice(0, batch.lengths[b]),
      weights: batch.weights[b]!.slice(0, batch.lengths[b]! - 1),
    }));
    assert.ok(data.some((d) => d.weights.some((w) => w !== 0 && w !== 1)), "the batch has non-binary weights");
    assert.ok(new Set(data.map((d) => d.tokens.length)).size > 1, "rows of different lengths");

    const model = new Transformer(ckpt.config, ckpt.tensors);
    const st = model.forwardPacked(packRows(data.map((d) => d.tokens), V), { keep: true, head: true });
    const torchLogits = expected.get("logits")!;
    assert.deepEqual(torchLogits.shape, [data.length, T, V]);
    data.forEach((d, b) => {
      const n = d.tokens.length;
      const ref = torchLogits.data.subarray(b * T * V, (b * T + n) * V);
      const err = relError(st.rowLogits[b]!, ref);
      assert.ok(err < TOL, `row ${b} logits: relative error ${err}`);
    });

    const targetLogits = data.map((d, b) => st.rowLogits[b]!.subarray(0, (d.tokens.length - 1) * V));
    const out = tokenLoss({ type: "cross_entropy" }, data, targetLogits, V);
    const torchLoss = expected.get("loss")!.data[0]!;
    assert.ok(Math.abs(out.loss - torchLoss) / Math.abs(torchLoss) < TOL, `loss ${out.loss} vs torch ${torchLoss}`);

    model.zeroGrad();
    model.backward(st, out.dlogits);
    const grads = model.gradients();
    const names = parameterShapes(ckpt.config).map((p) => p.name);
    assert.deepEqual(names.map((n) => `grad.${n}`).sort(), [...expected.keys()].filter((k) => k.startsWith("grad.")).sort());
    for (const n of names) {
      const ref = expected.get(`grad.${n}`)!;
      const err = relError(grads.get(n)!.data, ref.data);
      assert.ok(err < TOL, `gradient of ${n}: relative error ${err}`);
    }
  });
}

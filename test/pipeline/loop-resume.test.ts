// A training phase interrupted mid-way resumes from its last checkpoint to exactly the weights of an
// uninterrupted run: batches are pure functions of the step, and the checkpoint carries the optimizer state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import { supervisedLoop } from "../../src/train/sft.js";
import { textDatum } from "../../src/train/examples.js";
import { resumeStep, runSteps, type RunOptions } from "../../src/train/runner.js";
import type { Datum, Trainer } from "../../src/engine/types.js";
import type { ModelConfig } from "../../src/model/config.js";

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 32, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
const batch = (step: number) => [0, 1, 2].map((i) => textDatum(tok, { prompt: `${(step + i) % 9}+${i}=`, completion: `\\boxed{${((step + i) % 9) + i}}` }));
const cfg = { label: "t", steps: 10, lr: () => 1e-2, maxGradNorm: 1 };
const supervised = (t: Trainer, b: (step: number) => Datum[], o: RunOptions) => runSteps(t, supervisedLoop(cfg, t, b), o);

test("an interrupted training loop resumes to the same weights", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-loop-"));
  const a = LocalEngine.create(config, tok, 3);
  await supervised(a, batch, { quiet: true });

  const ckpt = join(dir, "ckpt");
  const metricsPath = join(dir, "metrics.jsonl");
  const b = LocalEngine.create(config, tok, 3);
  // Crash during step 7: checkpoints were taken after steps 3 and 6 (every 3).
  const crashing = (step: number) => { if (step === 7) throw new Error("simulated crash"); return batch(step); };
  await assert.rejects(supervised(b, crashing, { quiet: true, checkpointDir: ckpt, checkpointEvery: 3, metricsPath }), /simulated crash/);
  assert.equal(resumeStep(ckpt), 6);
  const c = await LocalEngine.load(ckpt);
  await supervised(c, batch, { quiet: true, checkpointDir: ckpt, checkpointEvery: 3, metricsPath });

  for (const [name, t] of a.model.parameters()) {
    assert.deepEqual(Array.from(c.model.parameters().get(name)!.data), Array.from(t.data), `${name} differs after resume`);
  }
  const steps = readFileSync(metricsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).step);
  assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "metrics: each step once, in order");
});

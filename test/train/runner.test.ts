// The runner's contract: it starts where the last checkpoint left off, keeps exactly one journal record per step
// across a crash, checkpoints every N steps but never after the last, and stops cleanly when asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { resumeStep, runSteps, type StepLoop } from "../../src/train/runner.js";

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 16, max_position_embeddings: 16, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};

/** A loop that records which steps ran; `crashAt` throws inside that step. */
function counting(steps: number, ran: number[], crashAt = -1): StepLoop<{ step: number; square: number }> {
  return {
    label: "count",
    steps,
    async step(s) {
      if (s === crashAt) throw new Error("simulated crash");
      ran.push(s);
      return { record: { step: s, square: s * s }, status: `step ${s}` };
    },
  };
}

const journal = (p: string): number[] => readFileSync(p, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step);

test("a crash loses only the steps after the last checkpoint; the journal holds each step once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-runner-"));
  try {
    const engine = LocalEngine.create(config, tok, 1);
    const ckpt = join(dir, "ckpt"), metricsPath = join(dir, "metrics.jsonl");
    const ran: number[] = [];
    await assert.rejects(runSteps(engine, counting(10, ran, 8), { checkpointDir: ckpt, checkpointEvery: 3, metricsPath, quiet: true }), /simulated crash/);
    assert.deepEqual(journal(metricsPath), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(resumeStep(ckpt), 6);
    const r = await runSteps(engine, counting(10, ran), { checkpointDir: ckpt, checkpointEvery: 3, metricsPath, quiet: true });
    assert.deepEqual([r.start, r.end, r.stopped], [6, 10, false]);
    assert.deepEqual(r.records.map((x) => x.step), [6, 7, 8, 9]);
    assert.deepEqual(journal(metricsPath), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(resumeStep(ckpt), 9, "checkpoints after steps 3, 6, 9 — not after the last (10)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stop() ends the run after the current step; a custom save replaces trainer.save", async () => {
  const engine = LocalEngine.create(config, tok, 1);
  const saved: number[] = [];
  const ran: number[] = [];
  const r = await runSteps(engine, counting(10, ran), { save: async (s) => { saved.push(s); }, checkpointEvery: 2, quiet: true, stop: () => ran.length >= 5 });
  assert.deepEqual([r.start, r.end, r.stopped], [0, 5, true]);
  assert.deepEqual(saved, [2, 4]);
  const again = await runSteps(engine, counting(10, []), { start: 10, quiet: true });
  assert.deepEqual([again.end, again.records.length], [10, 0], "nothing to do past the last step");
});

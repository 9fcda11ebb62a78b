// `trimer eval --checkpoint DIR --reward-model DIR`: the embedded engine and a score-head reward model wired into
// the benchmark runner through engine/open.ts (the raw question is the prompt, as the pipeline trains).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/eval.js";
import { LocalEngine } from "../../src/engine/local.js";
import { openRewardModel } from "../../src/train/reward-model/score.js";
import { tinyConfig, tok } from "./helpers.js";

test("eval --checkpoint --reward-model: samples from the checkpoint, rewards from the reward model, rm@k reported", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-eval-ckpt-"));
  const log = console.log;
  try {
    await LocalEngine.create(tinyConfig, tok, 1).save(join(dir, "policy"));
    await LocalEngine.create({ ...tinyConfig, score_head: true }, tok, 2).save(join(dir, "rm"));
    writeFileSync(join(dir, "bench.jsonl"), ['{"question":"3*9+3-6=","answer":"24"}', '{"question":"2+2=","answer":"4"}'].join("\n") + "\n");
    console.log = () => {};
    const code = await main(["--bench", join(dir, "bench.jsonl"), "--checkpoint", join(dir, "policy"), "--reward-model", join(dir, "rm"), "--k", "2", "--max-tokens", "6", "--bootstrap", "10", "--quiet", "--out", join(dir, "out")]);
    console.log = log;
    assert.equal(code, 0);
    const samples = readFileSync(join(dir, "out", "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt: string; completion: string; reward: number; tokens: number });
    assert.equal(samples.length, 4);
    assert.deepEqual(samples.map((s) => s.prompt), ["3*9+3-6=", "3*9+3-6=", "2+2=", "2+2="]);
    assert.ok(samples.every((s) => s.tokens >= 1 && s.tokens <= 6));
    // The rewards are the reward model's scores of (question, completion).
    const rm = await openRewardModel(join(dir, "rm"));
    const expect = await rm.score(samples.map((s) => s.prompt), samples.map((s) => s.completion));
    samples.forEach((s, i) => assert.ok(Math.abs(s.reward - expect[i]!) < 1e-6));
    const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8")) as { atK: { rmAtK?: unknown }[] };
    assert.ok(summary.atK.every((r) => r.rmAtK !== undefined));
    await assert.rejects(main(["--bench", join(dir, "bench.jsonl"), "--checkpoint", join(dir, "policy"), "--url", "http://127.0.0.1:1/v1"]), /--checkpoint or --url, not both/);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
});

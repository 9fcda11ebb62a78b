// `trimer run` through the real CLI: the final checkpoints under plain names (OUT/models/<name>), and the held-out
// and dev sets as files holding exactly the problems the evaluate stage used, so another model can be evaluated on
// them with `trimer eval --bench OUT/data/holdout.jsonl`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";

const ids = (path: string, field: string): string[] =>
  [...new Set(readFileSync(path, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as Record<string, string>)[field]!))].sort();

test("trimer run writes models/<name> links and data/{holdout,dev}.jsonl matching what it evaluated", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-layout-"));
  try {
    const out = join(dir, "run");
    const r = await runCli(["run", "--preset", "tiny", "--out", out, "--quiet"], { timeoutMs: 280_000 });
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stderr, /models: .*models\/grpo/);
    for (const [name, target] of [["base", "student-base/context-extension/final"], ["teacher", "teacher-sft/sft/final"], ["distilled", "distill/distill/final"], ["grpo", "grpo/grpo/final"], ["reward-model", "reward-model/train/final"]]) {
      assert.equal(realpathSync(join(out, "models", name!)), realpathSync(join(out, target!)), name);
      assert.ok(existsSync(join(out, "models", name!, "config.json")), name);
    }
    assert.deepEqual(ids(join(out, "data", "holdout.jsonl"), "id"), ids(join(out, "evaluate", "samples-grpo.jsonl"), "problemId"));
    assert.deepEqual(ids(join(out, "data", "dev.jsonl"), "id"), ids(join(out, "evaluate", "samples-grpo-dev.jsonl"), "problemId"));
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { status: string; seeds: { seed: number }; options: { preset: string; config: { seed: number } } };
    assert.equal(m.status, "ok");
    assert.equal(m.options.preset, "tiny");
    assert.equal(m.seeds.seed, m.options.config.seed);
    const e = await runCli(["eval", "--checkpoint", join(out, "models", "grpo"), "--bench", join(out, "data", "holdout.jsonl"), "--k", "1", "--max-tokens", "16", "--out", join(dir, "eval")], { timeoutMs: 120_000 });
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(ids(join(dir, "eval", "samples.jsonl"), "problemId"), ids(join(out, "data", "holdout.jsonl"), "id"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

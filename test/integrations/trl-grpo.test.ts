// End to end with the real TRL: GRPOTrainer runs a few steps on a tiny trimer checkpoint (made by `trimer model
// init`, loaded by transformers) with integrations/trimer_trl_reward.py talking to `trimer serve-reward`, and the
// rewards TRL logs must equal trimer's verdicts on the same completions. Needs a Python with trl (the peers venv
// .ci/run builds from the local mirror, or TRIMER_PEERS_PYTHON); skips with the reason otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trimerReward } from "../../src/verify/reward.js";
import { findPeersPython, runPythonArgs, startServeReward, ROOT } from "./helpers.js";

const py = findPeersPython();
const skip = "skip" in py ? py.skip : false;
if (skip) console.error(`# trl-grpo: skipped — ${skip}`);

interface Result {
  tokenizer: string;
  calls: { completions: string[]; answer: string[]; rewards: number[] }[];
  log_history: Record<string, number>[];
}

test("TRL GRPOTrainer on a trimer checkpoint logs exactly trimer's rewards", { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-trl-"));
  const server = await startServeReward(["--token", "trl-tok", "--quiet"]);
  try {
    const ckpt = join(dir, "ckpt");
    const init = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "model", "init", "--config", "tiny", "--out", ckpt], { encoding: "utf8" });
    assert.equal(init.status, 0, init.stderr);
    // A few steps of `trimer model train` on answers written as \boxed{digit}: rewards no longer come from a last
    // number in free text (the reward's fallback is off), so an untrained policy would earn 0 everywhere and the
    // comparison would be 0 = 0. The trained one boxes a digit, right or wrong: rewards take the values 1.0 and 0.2.
    const data = join(dir, "boxed.jsonl");
    writeFileSync(data, Array.from({ length: 64 }, (_, i) => JSON.stringify({ prompt: `Q${i}: what is ${i % 5}+${(i * 3) % 5}? A:`, completion: ` \\boxed{${i % 5 + (i * 3) % 5}}` })).join("\n") + "\n");
    const train = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "model", "train", "--checkpoint", ckpt, "--data", data, "--steps", "60", "--lr", "3e-3", "--quiet"], { encoding: "utf8" });
    assert.equal(train.status, 0, train.stderr);
    const hasHF = existsSync(join(ckpt, "tokenizer_config.json"));
    if (!hasHF) console.error("# trl-grpo: the checkpoint has no HF tokenizer_config.json; the test rebuilds trimer's character tokenizer with `tokenizers`");
    await runPythonArgs((py as { python: string }).python, [join(ROOT, "test/integrations/trl_grpo.py"), ckpt, dir],
      null, { TRIMER_REWARD_URL: server.url, TRIMER_REWARD_TOKEN: "trl-tok" }, 540_000);
    const r = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as Result;
    assert.equal(r.tokenizer, hasHF ? "hf-files" : "rebuilt-char");
    const logged = r.log_history.filter((h) => "rewards/trimer_reward/mean" in h);
    assert.equal(r.calls.length, 3, "one reward call per step");
    assert.equal(logged.length, r.calls.length, "one logged reward per step");
    let nonzero = 0;
    r.calls.forEach((call, i) => {
      assert.equal(call.completions.length, 16);
      const verdicts = call.completions.map((c, k) => trimerReward(c, call.answer[k]!).reward);
      assert.deepEqual(call.rewards, verdicts, `step ${i + 1}: the reward function returned trimer's verdicts`);
      const mean = verdicts.reduce((a, b) => a + b, 0) / verdicts.length;
      assert.ok(Math.abs(logged[i]!["rewards/trimer_reward/mean"]! - mean) < 1e-6, `step ${i + 1}: TRL logged ${logged[i]!["rewards/trimer_reward/mean"]}, trimer's mean is ${mean}`);
      nonzero += verdicts.filter((v) => v > 0).length;
    });
    // The trained policy boxes digits, so the comparison is not 0 = 0 throughout.
    assert.ok(nonzero > 0, "some completion earned a reward");
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

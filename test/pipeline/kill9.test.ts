// kill -9 in the middle of `trimer run --preset tiny` (a child process, killed with SIGKILL as soon as the GRPO stage
// starts), then `--resume`: the finished stages are kept and the table equals an uninterrupted run's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline } from "../../src/pipeline/run.js";
import { tinyPreset } from "../../src/pipeline/presets.js";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

function runUntilKilled(out: string, killOn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, "run", "--preset", "tiny", "--out", out, "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes(killOn)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => (signal === "SIGKILL" ? resolve(log) : reject(new Error(`the run ended before "${killOn}" (signal ${signal}):\n${log}`))));
  });
}

test("trimer run survives kill -9: --resume keeps finished stages and reaches the same table", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-kill9-"));
  const quiet = { quiet: true, log: () => {} };
  const reference = await runPipeline(tinyPreset(), { out: join(dir, "reference"), resume: false, ...quiet });
  const out = join(dir, "killed");
  await runUntilKilled(out, "[grpo] starting");
  const distillDone = readFileSync(join(out, "distill", "DONE.json"), "utf8");
  const resumed = await runPipeline(tinyPreset(), { out, resume: true, ...quiet });
  assert.equal(readFileSync(join(out, "distill", "DONE.json"), "utf8"), distillDone, "finished stages were not redone");
  for (const k of ["rows", "greedy", "dev", "scaling", "tokenSweep", "rewardModel"] as const) {
    assert.deepEqual(resumed![k], reference![k], `${k} differs after kill -9 and resume`);
  }
});

// eval against a fleet: three `trimer serve` replicas of one checkpoint on loopback, one killed mid-run. The job
// finishes, the dead replica is rested and its requests retried elsewhere, and the samples equal a single-server
// run's (each prompt is its own seeded request, whichever replica serves it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";
import { startServe } from "../serve/serve-process.js";

const CLI = join(process.cwd(), "src/cli/main.ts");

type Sample = { problemId: string; sample: number; completion: string };
const samples = (dir: string): string[] => readFileSync(join(dir, "samples.jsonl"), "utf8").trim().split("\n")
  .map((l) => JSON.parse(l) as Sample).map((s) => `${s.problemId}#${s.sample}: ${s.completion}`).sort();

test("eval over three replicas, one killed mid-run, equals a single-server run", { timeout: 300_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(11, { max_position_embeddings: 256 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-replicas-"));
  const servers: ChildProcess[] = [];
  try {
    const bench = join(dir, "bench.jsonl");
    writeFileSync(bench, Array.from({ length: 64 }, (_, i) => JSON.stringify({ id: `p${i}`, question: `${i}+${i % 7}=`, answer: String(i + (i % 7)) })).join("\n") + "\n");
    const reps = await Promise.all([0, 1, 2].map(() => startServe(ckpt.dir)));
    servers.push(...reps.map((r) => r.child));
    const common = ["--bench", bench, "--model", "mini", "--k", "2", "--seed", "3", "--temperature", "1", "--max-tokens", "48", "--batch", "4", "--concurrency", "2"];
    const single = await runCli(["eval", ...common, "--url", reps[0]!.url, "--out", join(dir, "single"), "--quiet"], { timeoutMs: 200_000 });
    assert.equal(single.code, 0, single.stderr);

    // The fleet run; replica 2 is killed once the first batch is written.
    const fleet = spawn(process.execPath, ["--import", "tsx", CLI, "eval", ...common, "--url", reps.map((r) => r.url).join(","), "--out", join(dir, "fleet")], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    fleet.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
    // Kill replica 2 as soon as the first samples are on disk: the rest of the job runs without it.
    let killed = false;
    const poll = setInterval(() => {
      let lines = 0;
      try { lines = readFileSync(join(dir, "fleet", "samples.jsonl"), "utf8").split("\n").length - 1; } catch { /* not yet */ }
      if (lines > 0 && !killed) { killed = true; reps[1]!.child.kill("SIGKILL"); }
    }, 20);
    const code = await new Promise<number | null>((resolve) => fleet.once("close", resolve));
    clearInterval(poll);
    assert.equal(code, 0, err);
    assert.ok(killed, "replica 2 was killed mid-run");
    assert.match(err, /replica http:\/\/\S+ failed .*; resting it, its requests go to the others/);
    assert.deepEqual(samples(join(dir, "fleet")), samples(join(dir, "single")));
  } finally {
    for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill("SIGTERM");
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("curate pass-rate over replicas: an unreachable replica is left out with a notice, the job runs on the rest", { timeout: 120_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(11, { max_position_embeddings: 512 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-replicas-"));
  const live = await startServe(ckpt.dir);
  try {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `q${i}`, question: `${i}+1=`, answer: String(i + 1) })).join("\n") + "\n");
    const dead = "http://127.0.0.1:9/v1";
    const out = join(dir, "rated.jsonl");
    const r = await runCli(["curate", "pass-rate", "--in", input, "--out", out, "--url", `${live.url},${dead}`, "--model", "mini", "--k", "2", "--max-tokens", "8", "--quiet"], { timeoutMs: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /trimer curate: replica http:\/\/127\.0\.0\.1:9\/v1 left out: nothing is listening/);
    const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { meta: { passRate: number | null } });
    assert.equal(rows.length, 6);
    assert.ok(rows.every((x) => typeof x.meta.passRate === "number"));
  } finally {
    live.child.kill("SIGTERM");
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Scale-out end to end: three `trimer serve` replicas of one tiny checkpoint on loopback; `eval --shard I/2` and
// `generate --shard I/2` run their parts at once across the fleet, one replica is killed mid-run, `trimer merge`
// puts the parts together — and the result equals a single unsharded run's: the same samples in the same order,
// the same summary (accuracy, pass@k, maj@k, bootstrap intervals), the same trace file and counts. Sampling is
// seeded at temperature 1, so the equality rests on the split keeping every request's seed, not on greedy luck.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliResult } from "../cli/run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";
import { startServe } from "../serve/serve-process.js";

const CLI = join(process.cwd(), "src/cli/main.ts");

function startCli(args: string[]): { done: Promise<CliResult> } {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  return { done: new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr }))) };
}

const lines = (path: string): number => (existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 1 : 0);
const read = (path: string): string => readFileSync(path, "utf8");

test("eval and generate sharded over three replicas (one killed mid-run), merged, equal a single run", { timeout: 600_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(11, { max_position_embeddings: 256 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-shard-"));
  const servers: ChildProcess[] = [];
  try {
    const bench = join(dir, "bench.jsonl");
    writeFileSync(bench, Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `p${i}`, question: `${i}+${i % 7}=`, answer: String(i + (i % 7)), domain: i % 2 ? "odd" : "even" })).join("\n") + "\n");
    const reps = await Promise.all([0, 1, 2].map(() => startServe(ckpt.dir)));
    servers.push(...reps.map((r) => r.child));
    const fleet = reps.map((r) => r.url).join(",");
    const evalArgs = ["eval", "--bench", bench, "--model", "mini", "--k", "2", "--seed", "3", "--temperature", "1", "--max-tokens", "24", "--batch", "4", "--concurrency", "2", "--bootstrap", "200", "--quiet"];
    const genArgs = ["generate", "--bench", bench, "--model", "mini", "--modes", "low", "--tir", "off", "--k", "1", "--max-attempts", "2", "--max-tokens", "16", "--temperature", "1", "--seed", "5", "--concurrency", "1", "--cache", "none", "--quiet"];

    // The single runs, against the fleet before anything is killed.
    const single = await runCli([...evalArgs, "--url", fleet, "--out", join(dir, "single")], { timeoutMs: 200_000 });
    assert.equal(single.code, 0, single.stderr);
    const singleGen = await runCli([...genArgs, "--url", fleet, "--out", join(dir, "single.jsonl")], { timeoutMs: 200_000 });
    assert.equal(singleGen.code, 0, singleGen.stderr);

    // Both parts of each job at once; replica 2 is killed once the first eval samples are on disk.
    const jobs = [1, 2].flatMap((i) => [
      startCli([...evalArgs, "--url", fleet, "--shard", `${i}/2`, "--out", join(dir, `part${i}`)]),
      startCli([...genArgs, "--url", fleet, "--shard", `${i}/2`, "--out", join(dir, `part${i}.jsonl`)]),
    ]);
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && lines(join(dir, "part1", "samples.jsonl")) + lines(join(dir, "part2", "samples.jsonl")) > 0) {
        killed = true;
        reps[1]!.child.kill("SIGKILL");
      }
    }, 20);
    const results = await Promise.all(jobs.map((j) => j.done));
    clearInterval(poll);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.ok(killed, "replica 2 was killed mid-run");
    assert.match(results.map((r) => r.stderr).join(""), /replica http:\/\/\S+ failed .*; resting it, its requests go to the others/);

    // Each part holds only its own problems: whole blocks of --batch 4 for eval, one problem at a time for generate.
    const ids = (path: string): string[] => [...new Set(read(path).trim().split("\n").map((l) => (JSON.parse(l) as { problemId: string }).problemId))];
    assert.deepEqual(ids(join(dir, "part1", "samples.jsonl")).slice(0, 5), ["p0", "p1", "p2", "p3", "p8"]);
    assert.deepEqual(ids(join(dir, "part2.jsonl")).slice(0, 3), ["p1", "p3", "p5"]);

    const merged = await runCli(["merge", "--out", join(dir, "merged"), join(dir, "part2"), join(dir, "part1")]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(read(join(dir, "merged", "samples.jsonl")), read(join(dir, "single", "samples.jsonl")));
    assert.deepEqual(JSON.parse(read(join(dir, "merged", "summary.json"))), JSON.parse(read(join(dir, "single", "summary.json"))));
    assert.deepEqual(JSON.parse(read(join(dir, "merged", "run.json"))), JSON.parse(read(join(dir, "single", "run.json"))));
    const manifest = JSON.parse(read(join(dir, "merged", "manifest.json"))) as { options: { parts: { part: string; manifest: { options: { shard: string } } }[] } };
    assert.deepEqual(manifest.options.parts.map((p) => p.manifest.options.shard).sort(), ["1/2", "2/2"]);

    const mergedGen = await runCli(["merge", "--out", join(dir, "merged.jsonl"), join(dir, "part1.jsonl"), join(dir, "part2.jsonl")]);
    assert.equal(mergedGen.code, 0, mergedGen.stderr);
    assert.equal(read(join(dir, "merged.jsonl")), read(join(dir, "single.jsonl")));
    assert.equal(read(join(dir, "merged.jsonl.done")), read(join(dir, "single.jsonl.done")));
    assert.deepEqual(JSON.parse(read(join(dir, "merged.jsonl.stats.json"))), JSON.parse(read(join(dir, "single.jsonl.stats.json"))));

    // A missing part, a part given twice, parts of different jobs: one line each, exit 2.
    const missing = await runCli(["merge", "--out", join(dir, "m2"), join(dir, "part1")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^trimer merge: shard 2\/2 missing: give all 2 parts to merge\n$/);
    const twice = await runCli(["merge", "--out", join(dir, "m3"), join(dir, "part1"), join(dir, "part1")]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /are both shard 1\/2/);
    const mixed = await runCli(["merge", "--out", join(dir, "m4"), join(dir, "part1"), join(dir, "part2.jsonl")]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /is a generate part but .* a eval part|is a eval part but/);
  } finally {
    for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill("SIGTERM");
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("curate pass-rate and judge, and solve, sharded over two replicas and merged, equal a single run", { timeout: 400_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(11, { max_position_embeddings: 1024 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-shard-"));
  const servers: ChildProcess[] = [];
  try {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, Array.from({ length: 21 }, (_, i) => JSON.stringify({ id: `q${i}`, question: `${i}+1=`, answer: String(i + 1), solution: `${i}+1=\\boxed{${i % 3 ? i + 1 : i}}` })).join("\n") + "\n");
    const reps = await Promise.all([0, 1].map(() => startServe(ckpt.dir)));
    servers.push(...reps.map((r) => r.child));
    const fleet = reps.map((r) => r.url).join(",");
    // The tiny random model's greedy reply to a chat prompt is token 6 over and over, which decodes to nothing; the
    // judge (always greedy) is steered off it so that it says something.
    for (const [step, extra] of [["pass-rate", ["--k", "2", "--temperature", "0", "--max-tokens", "8", "--threshold", "0.5", "--batch-size", "4"]], ["judge", ["--max-tokens", "8", "--batch-size", "3", "--extra-body", '{"logit_bias": {"6": -100}}']]] as const) {
      const args = ["curate", step, "--in", input, "--url", fleet, "--model", "mini", ...extra, "--quiet"];
      const single = await runCli([...args, "--out", join(dir, `${step}.jsonl`)], { timeoutMs: 200_000 });
      assert.equal(single.code, 0, single.stderr);
      const parts = await Promise.all([1, 2, 3].map((i) => runCli([...args, "--shard", `${i}/3`, "--out", join(dir, `${step}-${i}.jsonl`)], { timeoutMs: 200_000 })));
      for (const p of parts) assert.equal(p.code, 0, p.stderr);
      const merged = await runCli(["merge", "--out", join(dir, `${step}-merged.jsonl`), ...[3, 1, 2].map((i) => join(dir, `${step}-${i}.jsonl`))]);
      assert.equal(merged.code, 0, merged.stderr);
      assert.equal(read(join(dir, `${step}-merged.jsonl`)), read(join(dir, `${step}.jsonl`)), step);
      const rep = (p: string): { recordsIn: number; recordsOut: number; report: Record<string, unknown> } => JSON.parse(read(`${p}.report.json`)) as never;
      const [a, b] = [rep(join(dir, `${step}-merged.jsonl`)), rep(join(dir, `${step}.jsonl`))];
      assert.deepEqual([a.recordsIn, a.recordsOut], [b.recordsIn, b.recordsOut]);
      const { examples: _ea, ...ra } = a.report;
      const { examples: _eb, ...rb } = b.report;
      assert.deepEqual(ra, rb, step);
    }
    const bad = await runCli(["curate", "normalize", "--in", input, "--out", join(dir, "n.jsonl"), "--shard", "1/2"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^trimer curate: --shard applies to pass-rate and judge/);

    const solveArgs = ["solve", "7+8=", "--url", fleet, "--model", "mini", "--prompt-format", "completion", "--agents", "8", "--max-tokens", "12", "--seed", "4"];
    const whole = await runCli([...solveArgs, "--out", join(dir, "solve.json")], { timeoutMs: 100_000 });
    assert.equal(whole.code, 0, whole.stderr);
    for (const i of [1, 2, 3]) {
      const r = await runCli([...solveArgs, "--shard", `${i}/3`, "--out", join(dir, `solve-${i}.json`)], { timeoutMs: 100_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    const ms = await runCli(["merge", "--out", join(dir, "solve-merged.json"), ...[1, 2, 3].map((i) => join(dir, `solve-${i}.json`))]);
    assert.equal(ms.code, 0, ms.stderr);
    assert.deepEqual(JSON.parse(read(join(dir, "solve-merged.json"))), JSON.parse(read(join(dir, "solve.json"))));
  } finally {
    for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill("SIGTERM");
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("merge: parts from copies of one checkpoint merge (the label lists both); parts from different weights are refused", { timeout: 120_000 }, async () => {
  const a = await savedCheckpoint(tinyEngine(11));
  const b = await savedCheckpoint(tinyEngine(12));
  const dir = mkdtempSync(join(tmpdir(), "trimer-shard-"));
  try {
    const bench = join(dir, "bench.jsonl");
    writeFileSync(bench, Array.from({ length: 4 }, (_, i) => JSON.stringify({ id: `p${i}`, question: `${i}+1=`, answer: String(i + 1) })).join("\n") + "\n");
    const copy = join(dir, "copy");
    cpSync(a.dir, copy, { recursive: true });
    const part = (ckpt: string, i: number, out: string): Promise<CliResult> =>
      runCli(["eval", "--bench", bench, "--checkpoint", ckpt, "--k", "1", "--temperature", "0", "--max-tokens", "4", "--batch", "1", "--bootstrap", "20", "--shard", `${i}/2`, "--out", join(dir, out), "--quiet"]);
    for (const [ckpt, i, out] of [[a.dir, 1, "a1"], [copy, 2, "a2"], [b.dir, 2, "b2"]] as const) assert.equal((await part(ckpt, i, out)).code, 0);
    const ok = await runCli(["merge", "--out", join(dir, "m"), join(dir, "a1"), join(dir, "a2")]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(read(join(dir, "m", "summary.json"))) as { model: string }).model, `checkpoint ${a.dir} | checkpoint ${copy}`);
    const bad = await runCli(["merge", "--out", join(dir, "m2"), join(dir, "a1"), join(dir, "b2")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /were sampled from different checkpoints \(their model\.safetensors differ\): they are not parts of one run\n$/);
  } finally {
    a.remove();
    b.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

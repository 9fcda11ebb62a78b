// Prompts longer than the model's context, through the real CLI: a 256-token checkpoint and problems of which two
// are far longer. eval, generate, curate pass-rate and curate judge with --checkpoint check every prompt before
// sampling and stop with one line (exit 2, nothing sampled) — or skip (counted in the output and the manifest) or cut
// them when asked. Over HTTP (eval, generate, curate pass-rate), the server's 400 for such a prompt is one line, or a
// counted skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";

const CLI = join(process.cwd(), "src/cli/main.ts");
const LINE = (cmd: string): RegExp => new RegExp(`^trimer ${cmd}: 2 of 6 prompts exceed the model's context \\(256 tokens\\) — pass --skip-long to skip them \\(counted\\) or --truncate-long to cut them from the left \\(counted\\), or use a model with a longer context\\n$`);
const json = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

function problems(dir: string): string {
  const path = join(dir, "bench.jsonl");
  const long = (i: number): string => `${Array.from({ length: 150 }, (_, j) => String((i + j) % 10)).join("+")}=`;
  const rows = Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, question: i === 1 || i === 4 ? long(i) : `${i}+${i}=`, answer: String(2 * i) }));
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

test("eval, generate and curate pass-rate on a checkpoint: too-long prompts are one line up front, or skipped / cut and counted", { timeout: 300_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(5, { max_position_embeddings: 256 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-long-"));
  try {
    const bench = problems(dir);
    const evalArgs = ["eval", "--bench", bench, "--checkpoint", ckpt.dir, "--k", "1", "--temperature", "0", "--max-tokens", "8", "--bootstrap", "50", "--quiet"];
    const failed = await runCli([...evalArgs, "--out", join(dir, "e0")]);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, LINE("eval"));
    assert.ok(!existsSync(join(dir, "e0", "samples.jsonl")), "nothing sampled");

    const skipped = await runCli([...evalArgs, "--skip-long", "--out", join(dir, "e1")]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /skipped 2 problem\(s\) whose prompt is longer than the model's context \(256 tokens\)/);
    const s1 = json<{ problems: number; longPrompts: { skipped: number; ids: string[] } }>(join(dir, "e1", "summary.json"));
    assert.equal(s1.problems, 4);
    assert.deepEqual([s1.longPrompts.skipped, s1.longPrompts.ids], [2, ["p1", "p4"]]);
    assert.equal(json<{ options: { longPrompts: { skipped: number } } }>(join(dir, "e1", "manifest.json")).options.longPrompts.skipped, 2);

    const cut = await runCli([...evalArgs, "--truncate-long", "--out", join(dir, "e2")]);
    assert.equal(cut.code, 0, cut.stderr);
    const s2 = json<{ problems: number; longPrompts: { truncated: number } }>(join(dir, "e2", "summary.json"));
    assert.deepEqual([s2.problems, s2.longPrompts.truncated], [6, 2]);

    const both = await runCli([...evalArgs, "--skip-long", "--truncate-long", "--out", join(dir, "e3")]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^trimer eval: give --skip-long or --truncate-long, not both\n$/);

    const genArgs = ["generate", "--bench", bench, "--checkpoint", ckpt.dir, "--modes", "low", "--tir", "off", "--k", "1", "--max-attempts", "1", "--max-tokens", "8", "--quiet"];
    const gFailed = await runCli([...genArgs, "--out", join(dir, "g0.jsonl")]);
    assert.equal(gFailed.code, 2);
    assert.match(gFailed.stderr, LINE("generate"));
    const gSkipped = await runCli([...genArgs, "--skip-long", "--out", join(dir, "g1.jsonl")]);
    assert.equal(gSkipped.code, 0, gSkipped.stderr);
    const traces = readFileSync(join(dir, "g1.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { problemId: string }).problemId);
    assert.deepEqual([...new Set(traces)].sort(), ["p0", "p2", "p3", "p5"]);
    assert.equal(json<{ longPrompts: { skipped: number } }>(join(dir, "g1.jsonl.stats.json")).longPrompts.skipped, 2);
    assert.equal(json<{ options: { longPrompts: { skipped: number } } }>(join(dir, "g1.jsonl.manifest.json")).options.longPrompts.skipped, 2);

    const prArgs = ["curate", "pass-rate", "--in", bench, "--checkpoint", ckpt.dir, "--k", "1", "--temperature", "0", "--max-tokens", "8", "--quiet"];
    const pFailed = await runCli([...prArgs, "--out", join(dir, "r0.jsonl")]);
    assert.equal(pFailed.code, 2);
    assert.match(pFailed.stderr, LINE("curate"));
    const pSkipped = await runCli([...prArgs, "--skip-long", "--out", join(dir, "r1.jsonl")]);
    assert.equal(pSkipped.code, 0, pSkipped.stderr);
    const rated = readFileSync(join(dir, "r1.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; meta: { passRate: number | null } });
    assert.deepEqual(rated.filter((r) => r.meta.passRate === null).map((r) => r.id), ["p1", "p4"]);
    assert.equal(json<{ report: { longPrompts: { skipped: number } } }>(join(dir, "r1.jsonl.report.json")).report.longPrompts.skipped, 2);
  } finally {
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("curate judge on a checkpoint: too-long judge prompts are one line up front, or skipped with no verdict and counted", { timeout: 200_000 }, async () => {
  // The judge's prompt carries its instructions, the question, the reference and the solution: a context of 2048
  // takes the short solutions, not the two of ~3,000 characters.
  const ckpt = await savedCheckpoint(tinyEngine(5, { max_position_embeddings: 2048 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-long-"));
  try {
    const path = join(dir, "solved.jsonl");
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: `s${i}`, question: `${i}+${i}=`, answer: String(2 * i),
      solution: i === 2 || i === 3 ? `${"1+1=2;".repeat(500)}\\boxed{${2 * i}}` : `${i}+${i}=${2 * i};\\boxed{${2 * i}}`,
    }));
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const args = ["curate", "judge", "--in", path, "--checkpoint", ckpt.dir, "--max-tokens", "4", "--quiet"];
    const failed = await runCli([...args, "--out", join(dir, "j0.jsonl")]);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /^trimer curate: 2 of 5 prompts exceed the model's context \(2048 tokens\) — pass --skip-long/);
    assert.ok(!existsSync(join(dir, "j0.jsonl")), "nothing judged");
    // The untrained model's greedy replies decode to nothing, so the step as a whole got no verdict (exit 1, the
    // health check's line); what matters here is that the two long prompts were skipped, counted, not sampled.
    const skipped = await runCli([...args, "--skip-long", "--out", join(dir, "j1.jsonl")]);
    assert.equal(skipped.code, 1, skipped.stderr);
    assert.match(skipped.stderr, /^trimer curate: judge got no reply for any of the 5 solutions it judged/);
    assert.match(skipped.stdout, /2 solution\(s\) whose judge prompt is longer than the model's context \(2048 tokens\) got no verdict/);
    const rep = json<{ report: { byHow: Record<string, number>; unknown: number; longPrompts: { skipped: number } } }>(join(dir, "j1.jsonl.report.json")).report;
    assert.deepEqual(rep.byHow, { empty: 3, "no completion": 2 });
    assert.equal(rep.longPrompts.skipped, 2);
    const judged = readFileSync(join(dir, "j1.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; meta: { judge: { verdict: string } } });
    assert.deepEqual(judged.map((r) => r.id), ["s0", "s1", "s2", "s3", "s4"], "unknown verdicts are kept by default");
  } finally {
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("eval and generate over HTTP: the server's context-overflow 400 is one line, or a counted skip with --skip-long", { timeout: 200_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(5, { max_position_embeddings: 256 }));
  const dir = mkdtempSync(join(tmpdir(), "trimer-long-"));
  let server: ChildProcess | undefined;
  try {
    const bench = problems(dir);
    server = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--checkpoint", ckpt.dir, "--port", "0", "--model", "mini", "--quiet"], { stdio: ["ignore", "pipe", "ignore"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      server!.stdout!.on("data", (d: Buffer) => { out += d.toString(); const m = /at (http:\/\/\S+\/v1)/.exec(out); if (m) resolve(m[1]!); });
      server!.on("exit", (code) => reject(new Error(`serve exited early (${code})`)));
    });
    const args = ["eval", "--bench", bench, "--url", url, "--model", "mini", "--prompt-format", "completion", "--template", "{question}", "--k", "1", "--temperature", "0", "--max-tokens", "8", "--bootstrap", "50", "--quiet"];
    const failed = await runCli([...args, "--out", join(dir, "h0")]);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /^trimer eval: the server refused the prompt of p1 as longer than its context \(.*\) — pass --skip-long to skip such prompts \(counted\), or lower --max-tokens\n$/);
    const skipped = await runCli([...args, "--skip-long", "--out", join(dir, "h1")]);
    assert.equal(skipped.code, 0, skipped.stderr);
    const s = json<{ problems: number; longPrompts: { skipped: number; ids: string[] } }>(join(dir, "h1", "summary.json"));
    assert.deepEqual([s.problems, s.longPrompts.skipped, s.longPrompts.ids], [4, 2, ["p1", "p4"]]);
    const gen = ["generate", "--bench", bench, "--url", url, "--model", "mini", "--modes", "low", "--tir", "off", "--k", "1", "--max-attempts", "1", "--max-tokens", "8", "--concurrency", "1", "--cache", "none", "--quiet"];
    const gFailed = await runCli([...gen, "--out", join(dir, "g0.jsonl")]);
    assert.equal(gFailed.code, 2);
    assert.match(gFailed.stderr, /^trimer generate: the server refused the prompt of p1 as longer than its context \(.*\) — pass --skip-long to skip such prompts \(counted\), or lower --max-tokens\n$/);
    const gSkipped = await runCli([...gen, "--skip-long", "--out", join(dir, "g1.jsonl")]);
    assert.equal(gSkipped.code, 0, gSkipped.stderr);
    assert.deepEqual(json<{ problems: number; generated: number; longPrompts: { skipped: number; ids: string[] } }>(join(dir, "g1.jsonl.stats.json")).longPrompts.ids, ["p1", "p4"]);
    // curate pass-rate streams its records: the server's refusal stops it in one line, or leaves the record unrated.
    const pr = ["curate", "pass-rate", "--in", bench, "--url", url, "--model", "mini", "--k", "1", "--temperature", "0", "--max-tokens", "4", "--concurrency", "2", "--quiet"];
    const pFailed = await runCli([...pr, "--out", join(dir, "r0.jsonl")]);
    assert.equal(pFailed.code, 2, pFailed.stderr);
    assert.match(pFailed.stderr, /^trimer curate: the server refused the prompt of ".*" as longer than its context \(.*\) — pass --skip-long to skip such prompts \(counted\), or lower --max-tokens\n$/);
    const pSkipped = await runCli([...pr, "--skip-long", "--out", join(dir, "r1.jsonl")]);
    assert.equal(pSkipped.code, 0, pSkipped.stderr);
    assert.match(pSkipped.stdout, /2 problem\(s\) whose prompt is longer than the model's context were not sampled/);
    const rated = readFileSync(join(dir, "r1.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; meta: { passRate: number | null } });
    assert.deepEqual(rated.filter((r) => r.meta.passRate === null).map((r) => r.id), ["p1", "p4"]);
    assert.equal(json<{ report: { longPrompts: { skipped: number } } }>(join(dir, "r1.jsonl.report.json")).report.longPrompts.skipped, 2);
    const truncate = await runCli([...args, "--truncate-long", "--out", join(dir, "h2")]);
    assert.equal(truncate.code, 2);
    assert.match(truncate.stderr, /^trimer eval: --truncate-long needs --checkpoint/);
  } finally {
    server?.kill("SIGTERM");
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The mistakes users make, through the real CLI: each is one line `trimer <command>: <what> — <what to do>`, a
// non-zero exit, no stack trace (TRIMER_DEBUG=1 adds it), and no hang.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { runCli, type CliResult } from "./run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";

let ckpt: { dir: string; remove(): void };
let serve: ChildProcess;
let v1 = "";

before(async () => {
  ckpt = await savedCheckpoint(tinyEngine(5));
  serve = spawn(process.execPath, ["--import", "tsx", join(process.cwd(), "src/cli/main.ts"), "serve", "--checkpoint", ckpt.dir, "--port", "0", "--model", "mini", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
  v1 = await new Promise<string>((resolve, reject) => {
    let out = "";
    serve.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+\/v1)/.exec(out);
      if (m) resolve(m[1]!);
    });
    serve.on("exit", (code) => reject(new Error(`serve exited early (${code})`)));
  });
});
after(async () => {
  if (serve.exitCode === null) await new Promise<void>((r) => { serve.once("exit", () => r()); serve.kill("SIGTERM"); });
  ckpt.remove();
});

/** One line on stderr, matching `re`, with exit code `code`, and no stack trace. */
function oneLine(r: CliResult, re: RegExp, code = 2): void {
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.code, code, r.stderr);
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("serve and serve-sandbox on a port in use: one line, exit 2, no hang", { timeout: 120_000 }, async () => {
  const port = new URL(v1).port;
  const t0 = Date.now();
  oneLine(await runCli(["serve", "--checkpoint", ckpt.dir, "--port", port], { timeoutMs: 60_000 }), new RegExp(`^trimer serve: port ${port} on 127\\.0\\.0\\.1 is in use — .*--port`));
  oneLine(await runCli(["serve-sandbox", "--port", port, "--workers", "1"], { timeoutMs: 90_000 }), new RegExp(`^trimer serve-sandbox: port ${port} on 127\\.0\\.0\\.1 is in use — `));
  oneLine(await runCli(["serve-reward", "--port", port], { timeoutMs: 60_000 }), new RegExp(`^trimer serve-reward: port ${port} on 127\\.0\\.0\\.1 is in use`));
  assert.ok(Date.now() - t0 < 100_000);
});

test("connection refused: one line at once, not 24 s of retries", { timeout: 60_000 }, async () => {
  const url = `http://127.0.0.1:${await closedPort()}/v1`;
  const t0 = Date.now();
  oneLine(await runCli(["eval", "--bench", "aime24", "--limit", "1", "--k", "1", "--url", url, "--model", "m", "--out", join(ckpt.dir, "e1")]), /^trimer eval: nothing is listening at http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\) — start the server/);
  oneLine(await runCli(["solve", "What is 1+1?", "--url", url, "--model", "m"]), /^trimer solve: nothing is listening at/);
  oneLine(await runCli(["generate", "--bench", "aime24", "--limit", "1", "--url", url, "--model", "m", "--out", join(ckpt.dir, "gen.jsonl")]), /^trimer generate: nothing is listening at/);
  assert.ok(Date.now() - t0 < 40_000, `took ${Date.now() - t0} ms`);
});

test("a --url without /v1 and a model name the server does not serve", { timeout: 60_000 }, async () => {
  const bare = v1.replace(/\/v1$/, "");
  oneLine(await runCli(["eval", "--bench", "aime24", "--limit", "1", "--k", "1", "--url", bare, "--model", "mini", "--out", join(ckpt.dir, "e2")]), new RegExp(`^trimer eval: ${bare}/models is not found \\(HTTP 404\\) — did you mean --url ${bare}/v1\\?`));
  oneLine(await runCli(["eval", "--bench", "aime24", "--limit", "1", "--k", "1", "--url", v1, "--model", "gpt-4", "--out", join(ckpt.dir, "e3")]), /^trimer eval: the server at .* does not serve a model named "gpt-4" — it serves: mini \(pass one as --model\)/);
  oneLine(await runCli(["solve", "What is 1+1?", "--url", v1, "--model", "qwen"]), /^trimer solve: the server at .* does not serve a model named "qwen"/);
  oneLine(await runCli(["curate", "pass-rate", "--in", join(process.cwd(), "../shared/data/aime24/test.jsonl"), "--out", join(ckpt.dir, "pr.jsonl"), "--url", v1, "--model", "qwen", "--quiet"]), /^trimer curate: pass-rate got no completion for any of the 30 problems it sampled \(first error: .*"qwen" does not exist.*\) — check the server/, 1);
});

test("TRIMER_DEBUG=1 adds the stack trace to the one line", { timeout: 60_000 }, async () => {
  const r = await runCli(["serve", "--checkpoint", ckpt.dir, "--port", new URL(v1).port], { env: { TRIMER_DEBUG: "1" } });
  assert.equal(r.code, 2);
  assert.match(r.stderr.split("\n")[0]!, /^trimer serve: port \d+ on 127\.0\.0\.1 is in use/);
  assert.match(r.stderr, /\n\s+at /);
});

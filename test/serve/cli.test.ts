// `trimer serve` as a process: prints its URL, serves, and stops cleanly on SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import OpenAI from "openai";
import { savedCheckpoint, tinyEngine } from "./helpers.js";

test("trimer serve: prints the URL, answers with the bearer token, exits 0 on SIGTERM", async () => {
  const ckpt = await savedCheckpoint(tinyEngine(5));
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--checkpoint", ckpt.dir, "--port", "0", "--token", "tok", "--model", "mini", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/\S+\/v1)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("exit", (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
    });
    const client = new OpenAI({ baseURL: url, apiKey: "tok", maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "mini", messages: [{ role: "user", content: "1+1" }], max_tokens: 8, n: 2 });
    assert.equal(r.choices.length, 2);
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exit, 0);
    assert.match(stderr, /SIGTERM, finishing requests in flight/);
    assert.match(stderr, /stopped after 1 requests in 1 engine calls/);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    ckpt.remove();
  }
});

test("trimer serve: a folder that is not a checkpoint is a clear error (exit 2)", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--checkpoint", "/nonexistent-ckpt"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 2);
  assert.match(stderr, /trimer(?: serve)?: \/nonexistent-ckpt\/config\.json: cannot read/);
});

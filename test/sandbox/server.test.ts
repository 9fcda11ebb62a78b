// serve-sandbox over real HTTP on loopback: NeMo-Skills' /execute protocol, validation, the bearer token.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { PythonSandbox } from "../../src/sandbox/index.js";
import { createSandboxServer, parseExecuteRequest } from "../../src/sandbox/server.js";

let sb: PythonSandbox;
let open: Server;
let guarded: Server;
let openUrl = "";
let guardedUrl = "";
const TOKEN = "s3cret-token";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

before(async () => {
  sb = await PythonSandbox.create({ workers: 1, timeoutMs: 5000 });
  // A 30 s cap (a fresh Pyodide worker's first run can take seconds on a loaded machine); the cap test has its own.
  open = createSandboxServer(sb, { maxBodyBytes: 4096, maxTimeoutSec: 30 });
  guarded = createSandboxServer(sb, { token: TOKEN });
  openUrl = await listen(open);
  guardedUrl = await listen(guarded);
});

after(async () => {
  open.closeAllConnections();
  guarded.closeAllConnections();
  await new Promise<void>((r) => open.close(() => r()));
  await new Promise<void>((r) => guarded.close(() => r()));
  await sb.close();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/execute`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test("POST /execute runs the code and answers in NeMo-Skills' shape", async () => {
  const r = await post(openUrl, { generated_code: "print(sum(range(101)))", timeout: 20, language: "ipython" });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { process_status: "completed", stdout: "5050\n", stderr: "" });
});

test("language python is accepted and an exception is process_status error", async () => {
  const r = await post(openUrl, { generated_code: "raise ValueError('no')", timeout: 20, language: "python" });
  assert.equal(r.status, 200);
  assert.equal(r.json.process_status, "error");
  assert.match(String(r.json.stderr), /ValueError: no/);
});

test("a timeout is process_status timeout with 'Timed out' in stderr, and the timeout is capped by the server", async () => {
  const r = await post(openUrl, { generated_code: "while True: pass", timeout: 0.3 });
  assert.equal(r.json.process_status, "timeout");
  assert.match(String(r.json.stderr), /Timed out\n$/);
  const cappedServer = createSandboxServer(sb, { maxTimeoutSec: 0.5 });
  const cappedUrl = await listen(cappedServer);
  const capped = await post(cappedUrl, { generated_code: "while True: pass", timeout: 10_000 });
  cappedServer.closeAllConnections();
  await new Promise<void>((r) => cappedServer.close(() => r()));
  assert.equal(capped.json.process_status, "timeout");
  assert.match(String(capped.json.stderr), /timed out after 500 ms/);
});

test("bad requests get a 400 that names the field", async () => {
  const cases: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    [[1, 2], /JSON object/],
    [{ timeout: 1 }, /"generated_code" must be a string/],
    [{ generated_code: 5 }, /"generated_code" must be a string/],
    [{ generated_code: "1", timeout: -1 }, /"timeout" must be a positive number/],
    [{ generated_code: "1", timeout: "5" }, /"timeout" must be a positive number/],
    [{ generated_code: "1", language: "lean4" }, /"language" must be "python" or "ipython", got "lean4"/],
    [{ generated_code: "1", session_id: "abc" }, /stateful sessions need the process backend/],
    [{ generated_code: "1", session_id: "abc", language: "python" }, /for language "ipython" only/],
    [{ generated_code: "1", std_input: "5\n" }, /std_input/],
  ];
  for (const [body, message] of cases) {
    const r = await post(openUrl, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(String(r.json.error), message);
  }
});

test("an oversized body is 413, unknown routes 404, wrong methods 405", async () => {
  const big = await post(openUrl, { generated_code: "#" + "x".repeat(10_000) });
  assert.equal(big.status, 413);
  assert.equal((await fetch(`${openUrl}/nope`)).status, 404);
  assert.equal((await fetch(`${openUrl}/execute`)).status, 405);
  const health = await fetch(`${openUrl}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "healthy", workers: 1, backend: "pyodide" });
});

test("with a token, requests without the right bearer token are 401 and run nothing", async () => {
  const none = await post(guardedUrl, { generated_code: "print(1)" });
  assert.equal(none.status, 401);
  const wrong = await post(guardedUrl, { generated_code: "print(1)" }, { authorization: "Bearer nope" });
  assert.equal(wrong.status, 401);
  const right = await post(guardedUrl, { generated_code: "print(1)" }, { authorization: `Bearer ${TOKEN}` });
  assert.equal(right.status, 200);
  assert.equal(right.json.stdout, "1\n");
});

test("parseExecuteRequest defaults: timeout 10 s, language ipython", () => {
  assert.deepEqual(parseExecuteRequest({ generated_code: "x" }), { generated_code: "x", timeout: 10, language: "ipython" });
  assert.equal(parseExecuteRequest({ generated_code: "x", session_id: "s" }).session_id, "s");
  assert.equal(parseExecuteRequest({ generated_code: "x", timeout: 99 }, 10, 30).timeout, 30);
});

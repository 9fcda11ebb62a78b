// The process backend (CPython + sympy/numpy under bubblewrap, a zygote forking one child per program): tenancy
// (program A plants, program B on the same sandbox sees a pristine interpreter), limits, escapes checked on the
// host side, the queue, sessions, the HTTP layer, and a TIR trace importing sympy and numpy through
// `trimer generate`. Skips, saying why, where bubblewrap or /usr/bin/python3 is missing (CI installs both).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server as NetServer } from "node:net";
import type { Server } from "node:http";
import { randomBytes } from "node:crypto";
import { ProcessSandbox, processBackendAvailable } from "../../src/sandbox/process.js";
import { createSandboxServer } from "../../src/sandbox/server.js";
import type { RunResult } from "../../src/sandbox/types.js";
import { CHANNELS } from "./tenancy.js";
import { startScriptedServer, questionOf, scriptedSampler } from "../generate/teacher.js";
import { solveWithTools } from "../../src/infer/tir.js";

const avail = processBackendAvailable();
const skip = avail.ok ? false : `process backend unavailable here: ${avail.why}`;
if (skip) console.log(`# NOTICE: skipping the process-backend tests: ${skip}`);

const SECRET = `trimer-secret-${randomBytes(8).toString("hex")}`;
const ENV_SECRET = `trimer-env-${randomBytes(8).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "trimer-sandbox-proc-"));
const secretFile = join(dir, "secret.txt");
const marker = join(dir, "marker");

let sb: ProcessSandbox;
let listener: NetServer;
let port = 0;
let connections = 0;

before(async () => {
  if (skip) return;
  writeFileSync(secretFile, SECRET);
  process.env.TRIMER_PROC_SECRET = ENV_SECRET;
  listener = createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  port = (listener.address() as { port: number }).port;
  sb = await ProcessSandbox.create({
    workers: 2, timeoutMs: 5000, memoryMb: 768, maxOutputChars: 10_000, fileMb: 1, openFiles: 32, processes: 24,
    sessionIdleMs: 120_000, maxSessions: 3,
  });
});

after(async () => {
  if (skip) return;
  await sb.close();
  await new Promise<void>((r) => listener.close(() => r()));
  delete process.env.TRIMER_PROC_SECRET;
  rmSync(dir, { recursive: true, force: true });
});

function contained(code: string, r: RunResult): void {
  const all = r.stdout + r.stderr;
  assert.ok(!all.includes("ESCAPED"), `escaped:\n${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  assert.ok(!all.includes(SECRET), `read the host secret file:\n${code}`);
  assert.ok(!all.includes(ENV_SECRET), `read the host environment:\n${code}`);
}

async function serves(): Promise<void> {
  const r = await sb.run("print(6 * 7)");
  assert.equal(r.stdout, "42\n", `not responsive: ${r.status} ${r.stderr}`);
}

test("runs CPython with sympy and numpy preloaded; describe() names the backend", { skip }, async () => {
  assert.match(sb.describe(), /^process backend: CPython 3\.\d+/);
  assert.match(sb.describe(), /sympy, numpy/);
  const r = await sb.run("import sympy, numpy as np\nx = sympy.Symbol('x')\nprint(sympy.factor(x**4 - 1))\nprint(int(np.arange(10).sum()))");
  assert.equal(r.status, "completed", r.stderr);
  assert.equal(r.stdout, "(x - 1)*(x + 1)*(x**2 + 1)\n45\n");
  const ip = await sb.run("y = 21\ny * 2", { ipython: true });
  assert.equal(ip.stdout, "42\n");
  const err = await sb.run("1/0");
  assert.equal(err.status, "error");
  assert.match(err.stderr, /ZeroDivisionError/);
  assert.doesNotMatch(err.stderr, /zygote|run_cell/, "the traceback starts in the program");
});

// ---- tenancy -------------------------------------------------------------------------------------------------------

for (const ch of CHANNELS) {
  if (ch.only === "pyodide") continue;
  test(`tenancy: ${ch.name}`, { skip }, async () => {
    // Sequential runs go to the first idle sandbox: A and B share it.
    await sb.run(ch.plant, { timeoutMs: 3000 });
    const b = await sb.run(ch.probe);
    assert.equal(b.stdout, ch.expect, `after the plant, B saw: ${JSON.stringify(b.stdout)} / ${b.stderr}`);
    assert.equal(b.status, "completed", b.stderr);
    // And concurrently, on every sandbox.
    await Promise.all([sb.run(ch.plant, { timeoutMs: 3000 }), sb.run(ch.plant, { timeoutMs: 3000 })]);
    const bs = await Promise.all([sb.run(ch.probe), sb.run(ch.probe)]);
    for (const x of bs) assert.equal(x.stdout, ch.expect);
  });
}

test("tenancy: a background process left behind by A is gone before B", { skip }, async () => {
  await sb.run("import os, time\nif os.fork() == 0:\n    os.setsid()\n    while True:\n        open('/tmp/alive', 'w').write('x'); time.sleep(0.01)\nprint('parent done')");
  const b = await sb.run("import os, time\ntime.sleep(0.2)\nprint(os.path.exists('/tmp/alive'))");
  assert.equal(b.stdout, "False\n");
});

// ---- limits --------------------------------------------------------------------------------------------------------

test("limits: memory beyond the cap (Python objects, numpy arrays) is stopped; the host's RSS stays put", { skip }, async () => {
  const before = process.memoryUsage().rss;
  const list = await sb.run("x = []\nwhile True:\n    x.append(bytearray(10**7))");
  assert.equal(list.status, "error");
  assert.match(list.stderr, /MemoryError/);
  const arr = await sb.run("import numpy as np\na = np.ones((40000, 40000))\nprint('ESCAPED', a.sum())");
  contained("numpy", arr);
  assert.equal(arr.status, "error");
  assert.match(arr.stderr, /MemoryError|Unable to allocate/);
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 200 * 2 ** 20, `host RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  await serves();
});

test("limits: a CPU loop and a loop ignoring signals end at the time limit", { skip }, async () => {
  const r = await sb.run("while True: pass", { timeoutMs: 600 });
  assert.equal(r.status, "timeout");
  assert.ok(r.durationMs < 600 + 1500, `took ${r.durationMs}`);
  const ign = await sb.run("import signal\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGXCPU):\n    signal.signal(s, signal.SIG_IGN)\nwhile True: pass", { timeoutMs: 600 });
  assert.equal(ign.status, "timeout");
  const sleep = await sb.run("import time\ntime.sleep(3600)\nprint('ESCAPED')", { timeoutMs: 600 });
  assert.equal(sleep.status, "timeout");
  await serves();
});

test("limits: fork and thread bombs are capped and cleaned up", { skip }, async () => {
  const fork = await sb.run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", { timeoutMs: 1500 });
  assert.notEqual(fork.status, "completed");
  const threads = await sb.run("import threading, time\nn = 0\ntry:\n    while True:\n        threading.Thread(target=time.sleep, args=(60,), daemon=True).start(); n += 1\nexcept RuntimeError:\n    print('capped', n < 100)", { timeoutMs: 3000 });
  assert.equal(threads.stdout, "capped True\n", threads.stderr);
  // The sandbox can fork again: nothing of the bombs is left holding the process limit.
  const after = await sb.run("import subprocess, sys\nprint(subprocess.run([sys.executable, '-c', 'print(5)'], capture_output=True, text=True).stdout.strip())");
  assert.equal(after.stdout, "5\n", after.stderr);
});

test("limits: a file over the size cap, and many open files", { skip }, async () => {
  const big = await sb.run("open('/tmp/big', 'wb').write(b'x' * (2 * 2**20))\nprint('ESCAPED')");
  assert.equal(big.status, "error");
  assert.match(big.stderr, /File too large|EFBIG|Errno 27/);
  const many = await sb.run("fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\nexcept OSError as e:\n    print('capped', len(fs) < 64, e.errno)");
  assert.equal(many.stdout, "capped True 24\n");
  const flood = await sb.run("while True:\n    print('x' * 1000)");
  assert.equal(flood.status, "error");
  assert.equal(flood.truncated, true);
  assert.ok(flood.stdout.length <= 10_000);
});

// ---- escape --------------------------------------------------------------------------------------------------------

test("escape: the host's files are not there (sentinel, /etc, home), writes do not reach the host", { skip }, async () => {
  const code = [
    "import os",
    `for p in [${JSON.stringify(secretFile)}, '/etc/passwd', '/etc/hostname', '/root/.bashrc', '/proc/1/environ', '/proc/self/environ']:`,
    "    try:",
    "        print(open(p).read()[:200])",
    "    except OSError as e:",
    "        print('no', p, type(e).__name__)",
    `for p in [${JSON.stringify(marker)}, '/marker', '/usr/marker', '/etc/marker']:`,
    "    try:",
    "        open(p, 'w').write('x')",
    "    except OSError:",
    "        pass",
    "print(sorted(os.listdir('/')))",
  ].join("\n");
  const r = await sb.run(code);
  contained(code, r);
  assert.doesNotMatch(r.stdout, /root:x:0/);
  assert.equal(existsSync(marker), false);
  assert.equal(existsSync("/marker"), false);
  assert.doesNotMatch(r.stdout, /'home'|'root'|'proc'|'work' ?, 'var'/);
});

test("escape: no network (a listener on 127.0.0.1 sees nothing), no host processes, no host environment", { skip }, async () => {
  const code = [
    "import socket, os, signal",
    "try:",
    `    socket.create_connection(('127.0.0.1', ${port}), timeout=1); print('ESCAPED net')`,
    "except OSError as e:",
    "    print('net', type(e).__name__)",
    "print(sorted(os.environ))",
    "seen = []",
    "for pid in list(range(1, 400)) + [os.getpid()]:",
    "    try:",
    "        os.kill(pid, 0); seen.append(pid)",
    "    except OSError:",
    "        pass",
    "print('pids', sorted(set(seen) - {os.getpid()}))",
    "try:",
    "    os.kill(1, signal.SIGKILL)",
    "except OSError as e:",
    "    print('kill 1', type(e).__name__)",
    "import ctypes",
    "libc = ctypes.CDLL(None, use_errno=True)",
    "print('ptrace zygote', libc.ptrace(16, 1, 0, 0))",
  ].join("\n");
  const r = await sb.run(code);
  contained(code, r);
  assert.equal(connections, 0, "the host listener saw a connection");
  assert.match(r.stdout, /net (ConnectionRefusedError|OSError|gaierror|TimeoutError)/);
  const pids = /pids \[([^\]]*)\]/.exec(r.stdout)![1]!.split(",").map((s) => Number(s.trim())).filter(Boolean);
  // Only the sandbox's own PID namespace: besides the program itself, its zygote (PID 1), which it cannot kill.
  assert.deepEqual(pids, [1], `saw pids ${pids.join(",")}`);
  assert.match(r.stdout, /ptrace zygote -1/, "the program could attach to its zygote");
  await serves();
});

// ---- queue and cancellation ----------------------------------------------------------------------------------------

test("queue: abandoned requests (queued or running) do not delay the next", { skip }, async () => {
  const controllers = Array.from({ length: 6 }, () => new AbortController());
  const abandoned = controllers.map((c) => sb.run("import time\ntime.sleep(3)", { signal: c.signal }));
  await new Promise((r) => setTimeout(r, 200));
  for (const c of controllers) c.abort();
  const t0 = performance.now();
  const r = await sb.run("print('next')");
  assert.equal(r.stdout, "next\n");
  assert.ok(performance.now() - t0 < 1500, `the next run waited ${(performance.now() - t0).toFixed(0)} ms`);
  for (const a of await Promise.all(abandoned)) assert.equal(a.status, "cancelled");
});

// ---- sessions ------------------------------------------------------------------------------------------------------

test("sessions: cells share variables; other sessions and stateless runs do not; list, delete, expiry, cap", { skip }, async () => {
  const a1 = await sb.run("x = 41\nimport sympy\ns = sympy.Symbol('s')", { session: "A" });
  assert.equal(a1.status, "completed", a1.stderr);
  const a2 = await sb.run("print(x + 1)\nsympy.expand((s + 1)**2)", { session: "A" });
  assert.equal(a2.stdout, "42\ns**2 + 2*s + 1\n");
  const b = await sb.run("print(x)", { session: "B" });
  assert.equal(b.status, "error");
  assert.match(b.stderr, /NameError/);
  const stateless = await sb.run("print(x)");
  assert.match(stateless.stderr, /NameError/);
  assert.deepEqual(sb.listSessions().sort(), ["A", "B"]);
  // A session's own files stay; another session's are not visible.
  await sb.run("open('/tmp/a.txt', 'w').write('A')", { session: "A" });
  assert.equal((await sb.run("import os\nos.path.exists('/tmp/a.txt')", { session: "A" })).stdout, "True\n");
  assert.equal((await sb.run("import os\nos.path.exists('/tmp/a.txt')", { session: "B" })).stdout, "False\n");
  // Cap: 3 sessions.
  await sb.run("1", { session: "C" });
  const d = await sb.run("1", { session: "D" });
  assert.equal(d.status, "error");
  assert.match(d.stderr, /sessions are alive \(the cap\)/);
  assert.equal(await sb.deleteSession("C"), true);
  assert.equal(await sb.deleteSession("C"), false);
  // A timeout ends the session's state and says so.
  const slow = await sb.run("while True: pass", { session: "B", timeoutMs: 500 });
  assert.equal(slow.status, "timeout");
  assert.match(slow.stderr, /restarted; its variables are gone/);
  await sb.deleteSession("B");
  // Idle expiry, on a small sandbox of its own (0.5 s idle limit, nothing preloaded so it starts fast).
  const quick = await ProcessSandbox.create({ workers: 1, sessionIdleMs: 500, preload: [] });
  try {
    await quick.run("x = 1", { session: "E" });
    assert.deepEqual(quick.listSessions(), ["E"]);
    for (let i = 0; i < 100 && quick.listSessions().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(quick.listSessions(), [], "the idle session expired");
    const again = await quick.run("print(x)", { session: "E" });
    assert.match(again.stderr, /NameError/, "an expired session starts empty");
  } finally {
    await quick.close();
  }
  await sb.deleteSession("A");
});

// ---- HTTP ----------------------------------------------------------------------------------------------------------

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
const close = (s: Server): Promise<void> => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); });

test("http: NeMo-Skills' session sequence (cell 1 defines x, cell 2 prints it, another session cannot), list, delete", { skip }, async () => {
  const server = createSandboxServer(sb, { token: "tok" });
  const url = await listen(server);
  const headers = { "content-type": "application/json", authorization: "bearer tok" }; // scheme case-insensitive
  const exec = async (body: unknown): Promise<Record<string, string>> => {
    const res = await fetch(`${url}/execute`, { method: "POST", headers, body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, string>;
  };
  try {
    assert.equal((await exec({ generated_code: "x = 5", language: "ipython", session_id: "s-1", timeout: 5 })).process_status, "completed");
    assert.equal((await exec({ generated_code: "print(x)", language: "ipython", session_id: "s-1", timeout: 5 })).stdout, "5\n");
    assert.equal((await exec({ generated_code: "x * 2", language: "ipython", session_id: "s-1", timeout: 5 })).stdout, "10\n");
    const other = await exec({ generated_code: "print(x)", language: "ipython", session_id: "s-2", timeout: 5 });
    assert.equal(other.process_status, "error");
    assert.match(other.stderr!, /NameError/);
    const list = (await (await fetch(`${url}/sessions`, { headers })).json()) as { sessions: string[] };
    assert.deepEqual(list.sessions.sort(), ["s-1", "s-2"]);
    assert.equal((await fetch(`${url}/sessions/s-1`, { method: "DELETE", headers })).status, 200);
    assert.equal((await fetch(`${url}/sessions/s-1`, { method: "DELETE", headers })).status, 404);
    await fetch(`${url}/sessions/s-2`, { method: "DELETE", headers });
    const health = (await (await fetch(`${url}/health`, { headers })).json()) as { backend: string };
    assert.equal(health.backend, "process");
    assert.equal((await fetch(`${url}/health`, { headers: { authorization: "Bearer nope" } })).status, 401);
  } finally {
    await close(server);
  }
});

test("http: a full queue answers 503 with Retry-After; a client that hangs up frees its place", { skip }, async () => {
  const server = createSandboxServer(sb, { maxQueue: 0 });
  const url = await listen(server);
  try {
    const slow = Array.from({ length: 2 }, () => new AbortController());
    const running = slow.map((c) => fetch(`${url}/execute`, { method: "POST", body: JSON.stringify({ generated_code: "import time\ntime.sleep(4)", timeout: 10 }), signal: c.signal }).catch(() => null));
    await new Promise((r) => setTimeout(r, 300));
    const full = await fetch(`${url}/execute`, { method: "POST", body: JSON.stringify({ generated_code: "print(1)" }) });
    assert.equal(full.status, 503);
    assert.equal(full.headers.get("retry-after"), "1");
    // The two clients hang up: their programs are stopped, and the next request runs at once.
    for (const c of slow) c.abort();
    await Promise.all(running);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const ok = await fetch(`${url}/execute`, { method: "POST", body: JSON.stringify({ generated_code: "print(1)" }) });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { stdout: string }).stdout, "1\n");
    assert.ok(performance.now() - t0 < 1500, `waited ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(server.headersTimeout, 10_000);
    assert.ok(server.requestTimeout > 0);
  } finally {
    await close(server);
  }
});

// ---- trimer generate -----------------------------------------------------------------------------------------------

test("trimer generate: a TIR trace that imports sympy and numpy runs on the process backend", { skip }, async () => {
  const work = mkdtempSync(join(tmpdir(), "trimer-gen-proc-"));
  const teacher = await startScriptedServer((prompt) => {
    const m = /What is (\d+)\*(\d+)\?/.exec(questionOf(prompt));
    if (!m) return { text: "I do not know." };
    const outputs = [...prompt.matchAll(/```output\n([^`]*)```/g)];
    if (outputs.length === 0) {
      return { text: `Use sympy and numpy.\n\`\`\`python\nimport sympy\nimport numpy as np\nprint(int(np.prod([${m[1]}, ${m[2]}])), sympy.factorint(${m[1]}))\n\`\`\`\n` };
    }
    const seen = outputs[outputs.length - 1]![1]!.trim().split(" ")[0];
    return { text: `So the answer is \\boxed{${seen}}.` };
  });
  try {
    const input = join(work, "p.jsonl");
    writeFileSync(input, JSON.stringify({ id: "m/1", source: "t", domain: "arithmetic", difficulty: 1, question: "What is 12*34?", answer: "408", meta: {} }) + "\n");
    const out = join(work, "t.jsonl");
    const cli = join(process.cwd(), "src/cli/main.ts");
    const args = ["--import", "tsx", cli, "generate", "--bench", input, "--url", teacher.url, "--model", "scripted", "--modes", "high",
      "--tir", "on", "--k", "1", "--max-attempts", "1", "--max-tokens", "400", "--out", out, "--sandbox", "process"];
    const { status, stderr } = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      c.stderr.on("data", (d: Buffer) => { err += d.toString(); });
      c.on("close", (code) => resolve({ status: code, stderr: err }));
    });
    assert.equal(status, 0, stderr);
    assert.match(stderr, /sandbox: process backend: CPython/);
    const rec = JSON.parse(readFileSync(out, "utf8").trim().split("\n")[0]!) as { text: string; correct: boolean; toolCalls: number };
    assert.equal(rec.toolCalls, 1);
    assert.match(rec.text, /```output\n408 \{2: 2, 3: 1\}\n```/);
    assert.equal(rec.correct, true);
  } finally {
    await teacher.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test("the TIR loop without a sandbox of its own runs its code on the process backend", { skip }, async () => {
  const model = (prompt: string): { text: string } => prompt.includes("```output")
    ? { text: "Done: \\boxed{4}." }
    : { text: "```python\nimport sympy, numpy, sys\nprint(len(sympy.factor_list(sympy.Symbol('x')**4 - 1)[1]), numpy.__name__, sys.platform)\n```\n" };
  const t = await solveWithTools(scriptedSampler(model), "Problem: q\n", { maxTokens: 500 });
  assert.equal(t.toolCalls, 1);
  assert.match(t.text, /```output\n3 numpy linux\n```/);
});

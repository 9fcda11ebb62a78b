// Adversarial suite: programs that try to get out of the sandbox or take the host down. Every attempt must fail or
// be stopped within its limit, and the host process must stay alive and responsive. Each test checks the host
// side as well (a secret file not read, a marker file not created, a listening socket that saw no connection, an
// environment secret not seen), never only what the program claims.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:net";
import { randomBytes } from "node:crypto";
import { PythonSandbox, type RunResult } from "../../src/sandbox/index.js";
import { CHANNELS } from "./tenancy.js";

const SECRET = `trimer-secret-${randomBytes(8).toString("hex")}`;
const ENV_SECRET = `trimer-env-${randomBytes(8).toString("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "trimer-sandbox-adv-"));
const secretFile = join(dir, "secret.txt");
const marker = join(dir, "marker");
/** Prepended to bridge attacks: removes the import blocker, as code that knows about it would. */
const UNBLOCK = [
  "import sys",
  "sys.meta_path[:] = [f for f in sys.meta_path if 'Blocker' not in getattr(f, '__name__', '')]",
  "",
].join("\n");

let sb: PythonSandbox;
let solo: PythonSandbox;
let server: Server;
let port = 0;
let connections = 0;
let attempts = 0;

before(async () => {
  writeFileSync(secretFile, SECRET);
  process.env.TRIMER_ADVERSARIAL_SECRET = ENV_SECRET;
  server = createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
  // 5 s: every program runs on a freshly restored worker, whose first run can take seconds on a loaded machine.
  sb = await PythonSandbox.create({ workers: 2, timeoutMs: 5000, memoryMb: 256, maxOutputChars: 10_000, graceMs: 200, processMemoryMb: 900 });
  solo = await PythonSandbox.create({ workers: 1, timeoutMs: 5000, memoryMb: 256 });
});

after(async () => {
  await sb.close();
  await solo.close();
  await new Promise<void>((r) => server.close(() => r()));
  delete process.env.TRIMER_ADVERSARIAL_SECRET;
  rmSync(dir, { recursive: true, force: true });
  // The count quoted in the README.
  console.log(`# adversarial attempts: ${attempts}`);
});

/** Checks one result: the program prints ESCAPED only if it got what it was after. */
function assertContained(code: string, r: RunResult): void {
  const all = r.stdout + r.stderr;
  assert.ok(!all.includes("ESCAPED"), `escaped:\n${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  assert.ok(!all.includes(SECRET), `read the host secret file:\n${code}`);
  assert.ok(!all.includes(ENV_SECRET), `read the host environment:\n${code}`);
}

/** Runs one attempt on one worker. */
async function attempt(code: string, timeoutMs?: number): Promise<RunResult> {
  attempts++;
  const r = await sb.run(code, timeoutMs ? { timeoutMs } : {});
  assertContained(code, r);
  return r;
}

/**
 * Runs one attempt on every worker at once (the first worker starts from scratch, the others from its memory
 * snapshot: both kinds must hold). Returns the first result; all are checked.
 */
async function attemptEverywhere(code: string): Promise<RunResult> {
  attempts++;
  const results = await Promise.all(Array.from({ length: sb.size }, () => sb.run(code)));
  for (const r of results) assertContained(code, r);
  return results[0]!;
}

async function hostStillServes(): Promise<void> {
  const r = await sb.run("print(6 * 7)");
  assert.equal(r.stdout, "42\n", `host/sandbox not responsive after the attack: ${r.status} ${r.stderr}`);
}

// ---- host file system ------------------------------------------------------------------------------------------

test("host file: open() of an absolute host path", async () => {
  const r = await attemptEverywhere(`print(open(${JSON.stringify(secretFile)}).read())`);
  assert.equal(r.status, "error");
  assert.match(r.stderr, /FileNotFoundError/);
});

test("host file: path traversal, os.open, pathlib, io.FileIO", async () => {
  const rel = "../".repeat(12) + secretFile.replace(/^\//, "");
  await attemptEverywhere([
    "import os, io, pathlib",
    `for p in [${JSON.stringify(rel)}, '/proc/self/root' + ${JSON.stringify(secretFile)}, '//' + ${JSON.stringify(secretFile)}]:`,
    "    for read in (lambda p: open(p).read(), lambda p: pathlib.Path(p).read_text(), lambda p: io.FileIO(p).read().decode(),",
    "                 lambda p: os.read(os.open(p, os.O_RDONLY), 1000).decode()):",
    "        try:",
    "            print('ESCAPED', read(p))",
    "        except OSError:",
    "            pass",
  ].join("\n"));
});

test("host file: listing the host's directories finds nothing of the host", async () => {
  const r = await attemptEverywhere([
    "import os",
    `print(os.path.exists(${JSON.stringify(dir)}), os.path.exists('/etc/passwd'), os.path.exists('/work'), os.path.exists('/usr/bin'))`,
    "print(sorted(os.listdir('/')))",
  ].join("\n"));
  assert.equal(r.stdout.split("\n")[0], "False False False False");
  for (const hostOnly of readdirSync("/").filter((n) => !["tmp", "home", "dev", "proc", "lib"].includes(n))) {
    assert.ok(!r.stdout.includes(`'${hostOnly}'`), `host directory /${hostOnly} visible`);
  }
});

test("host file: writing to a host path does not create it on the host", async () => {
  await attemptEverywhere([
    "import os",
    `p = ${JSON.stringify(marker)}`,
    "try:",
    "    os.makedirs(os.path.dirname(p), exist_ok=True)",
    "    open(p, 'w').write('written')",
    "except OSError:",
    "    pass",
  ].join("\n"));
  assert.equal(existsSync(marker), false);
});

test("host file: mounting the host disk through the FS object is impossible", async () => {
  const r = await attemptEverywhere(UNBLOCK + [
    "try:",
    "    import pyodide_js",
    "    pyodide_js.mountNodeFS('/host', '/')",
    "    print('ESCAPED', open('/host' + " + JSON.stringify(secretFile) + ").read())",
    "except Exception as e:",
    "    print(type(e).__name__)",
  ].join("\n"));
  assert.match(r.stdout, /ModuleNotFoundError|ImportError/);
});

// ---- environment ------------------------------------------------------------------------------------------------

test("environment: os.environ, os.getenv and /proc/self/environ hold no host variables", async () => {
  const r = await attemptEverywhere([
    "import os",
    "print(dict(os.environ))",
    "print(os.getenv('TRIMER_ADVERSARIAL_SECRET'), os.getenv('PATH'))",
    "try:",
    "    print(open('/proc/self/environ').read())",
    "except OSError:",
    "    pass",
  ].join("\n"));
  assert.equal(r.stdout.split("\n")[0], "{'HOME': '/home/pyodide'}");
  assert.equal(r.stdout.split("\n")[1], "None None");
});

// ---- processes --------------------------------------------------------------------------------------------------

test("processes: os.system does not run a host shell", async () => {
  const r = await attemptEverywhere(`import os\nprint(os.system('touch ${marker}'))`);
  assert.equal(r.stdout, "-1\n");
  assert.equal(existsSync(marker), false);
});

test("processes: subprocess, os.popen, os.fork, os.posix_spawn, os.execv, pty all fail", async () => {
  const r = await attemptEverywhere([
    "import os, subprocess",
    "tries = [",
    `    lambda: subprocess.run(['touch', ${JSON.stringify(marker)}]),`,
    `    lambda: subprocess.check_output('touch ${marker}', shell=True),`,
    `    lambda: os.popen('touch ${marker}').read(),`,
    "    lambda: os.fork(),",
    `    lambda: os.posix_spawn('/usr/bin/touch', ['touch', ${JSON.stringify(marker)}], {}),`,
    `    lambda: os.execv('/usr/bin/touch', ['touch', ${JSON.stringify(marker)}]),`,
    "    lambda: __import__('pty').spawn('sh'),",
    "]",
    "for t in tries:",
    "    try:",
    "        t()",
    "        print('ESCAPED')",
    "    except BaseException as e:",
    "        print('refused', type(e).__name__)",
  ].join("\n"));
  assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("refused")).length, 7, r.stdout + r.stderr);
  assert.equal(existsSync(marker), false);
});

test("processes: ctypes cannot call libc system()", async () => {
  await attemptEverywhere([
    "try:",
    "    import ctypes",
    "    libc = ctypes.CDLL(None)",
    `    rc = libc.system(b'touch ${marker}')`,
    "    print('rc', rc)",
    "except Exception as e:",
    "    print(type(e).__name__)",
  ].join("\n"));
  assert.equal(existsSync(marker), false);
});

test("processes: killing the interpreter or the process (os._exit, os.abort, os.kill, raise_signal)", async () => {
  for (const code of [
    "import os\nos._exit(0)",
    "import os\nos.abort()",
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\nprint('ESCAPED')",
    "import os, signal\nos.kill(1, signal.SIGTERM)\nos.kill(os.getppid(), signal.SIGTERM)\nprint('ESCAPED')",
    "import signal\nsignal.raise_signal(signal.SIGTERM)\nprint('ESCAPED')",
  ]) {
    // The interpreter's abort path is slow on a loaded machine: a limit that leaves room for it.
    const r = await attempt(code, 10_000);
    assert.equal(r.status, "error", `${code}: ${r.status}`);
  }
  await hostStillServes();
});

// ---- network ----------------------------------------------------------------------------------------------------

test("network: a TCP socket to a listening host port gets nowhere", async () => {
  const before = connections;
  await attemptEverywhere([
    "import socket",
    "for connect in (lambda: socket.create_connection(('127.0.0.1', PORT), timeout=1),",
    "                lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(('127.0.0.1', PORT)),",
    "                lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', PORT))):",
    "    try:",
    "        connect()",
    "        print('ESCAPED')",
    "    except OSError as e:",
    "        print('refused', e.errno)",
  ].join("\n").replaceAll("PORT", String(port)));
  assert.equal(connections, before);
});

test("network: urllib and http.client to the host", async () => {
  const before = connections;
  await attemptEverywhere([
    "import urllib.request, http.client",
    "try:",
    `    print('ESCAPED', urllib.request.urlopen('http://127.0.0.1:${port}/', timeout=1).read())`,
    "except OSError as e:",
    "    print('refused')",
    "try:",
    `    c = http.client.HTTPConnection('127.0.0.1', ${port}, timeout=1); c.request('GET', '/'); print('ESCAPED')`,
    "except OSError:",
    "    print('refused')",
  ].join("\n"));
  assert.equal(connections, before);
});

test("network: asyncio open_connection", async () => {
  const before = connections;
  await attemptEverywhere([
    "import asyncio",
    "async def main():",
    `    r, w = await asyncio.open_connection('127.0.0.1', ${port})`,
    "    print('ESCAPED')",
    "try:",
    "    asyncio.run(main())",
    "except BaseException as e:",
    "    print('refused', type(e).__name__)",
  ].join("\n"));
  assert.equal(connections, before);
});

test("network: pyodide.http.pyfetch and the js fetch through the bridge", async () => {
  const before = connections;
  await attemptEverywhere(UNBLOCK + [
    "import asyncio",
    "async def fetch_with_pyodide():",
    "    from pyodide.http import pyfetch",
    `    return await pyfetch('http://127.0.0.1:${port}/')`,
    "def fetch_with_js():",
    "    from js import fetch",
    `    return fetch('http://127.0.0.1:${port}/')`,
    "for t in (lambda: asyncio.run(fetch_with_pyodide()), fetch_with_js):",
    "    try:",
    "        print('ESCAPED', t())",
    "    except BaseException as e:",
    "        print('refused', type(e).__name__)",
  ].join("\n"));
  assert.equal(connections, before);
});

// ---- the JS bridge -----------------------------------------------------------------------------------------------

test("bridge: import js / pyodide_js / pyodide.ffi / pyodide.code are blocked", async () => {
  const r = await attemptEverywhere([
    "for name in ('js', 'pyodide_js', 'pyodide.ffi', 'pyodide.code', 'pyodide', '_pyodide_core', 'micropip'):",
    "    try:",
    "        __import__(name)",
    "        print('ESCAPED', name)",
    "    except ImportError:",
    "        print('blocked', name)",
  ].join("\n"));
  assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("blocked")).length, 7);
});

test("bridge: with the import blocker removed, `js` still is not the global scope", async () => {
  await attemptEverywhere(UNBLOCK + [
    "import sys",
    "for name in ('js', 'pyodide_js'):",
    "    try:",
    "        m = __import__(name)",
    "        print('ESCAPED', name, m.process, m.require)",
    "    except BaseException as e:",
    "        print('refused', name, type(e).__name__)",
  ].join("\n"));
});

test("bridge: a JS object from _pyodide_core leads to no Function constructor, eval, or process", async () => {
  const r = await attemptEverywhere(UNBLOCK + [
    "from _pyodide_core import create_proxy, to_js",
    "p = create_proxy(lambda: 1)",
    "a = to_js([1, 2])",
    "tries = [",
    "    lambda: p.constructor.constructor('return process')(),",
    "    lambda: a.constructor.constructor('return process')(),",
    "    lambda: a.constructor.constructor('return import(\"node:fs\")')(),",
    "    lambda: getattr(a, '__proto__').constructor.constructor('return globalThis')().process,",
    "    lambda: a.map.constructor('return process')(),",
    "]",
    "for t in tries:",
    "    try:",
    "        print('ESCAPED', t())",
    "    except BaseException as e:",
    "        print('refused', type(e).__name__)",
  ].join("\n"));
  assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("refused")).length, 5, r.stdout + r.stderr);
});

test("bridge: pyodide.code.run_js cannot evaluate JS", async () => {
  await attemptEverywhere(UNBLOCK + [
    "try:",
    "    from pyodide.code import run_js",
    "    print('ESCAPED', run_js('process.env'))",
    "except BaseException as e:",
    "    print('refused', type(e).__name__)",
  ].join("\n"));
});

test("bridge: every worker's JS scope, probed from inside, holds nothing dangerous", async () => {
  attempts++;
  const reports = await sb.audit();
  assert.ok(reports.length >= 1);
  for (const report of reports) {
    assert.deepEqual(report.globalsLeft, []);
    assert.ok(report.probes.length >= 20);
    for (const p of report.probes) assert.equal(p.works, false, `still works inside the worker: ${p.name}`);
  }
  assert.equal(existsSync("/tmp/trimer-sandbox-audit"), false);
});

// ---- time ---------------------------------------------------------------------------------------------------------

test("time: an infinite loop is stopped at the wall-clock limit", async () => {
  const r = await attempt("while True:\n    pass", 500);
  assert.equal(r.status, "timeout");
  assert.ok(r.durationMs < 500 + 200 + 1000, `took ${r.durationMs} ms`);
  await hostStillServes();
});

test("time: a loop that swallows KeyboardInterrupt is killed after the grace period", async () => {
  const r = await attempt("while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass", 500);
  assert.equal(r.status, "timeout");
  assert.ok(r.durationMs < 500 + 200 + 1000, `took ${r.durationMs} ms`);
  await hostStillServes();
});

test("time: SIGINT ignored through the signal module", async () => {
  const r = await attempt("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass", 500);
  assert.equal(r.status, "timeout");
  await hostStillServes();
});

test("time: a long C-level computation (no bytecode boundary to interrupt at)", async () => {
  const r = await attempt("import sys\nsys.set_int_max_str_digits(0)\nx = 7 ** (10 ** 9)\nprint('done')", 500);
  assert.equal(r.status, "timeout");
  await hostStillServes();
});

test("time: time.sleep far beyond the limit", async () => {
  const r = await attempt("import time\ntime.sleep(3600)\nprint('ESCAPED')", 500);
  assert.equal(r.status, "timeout");
  await hostStillServes();
});

// ---- memory -------------------------------------------------------------------------------------------------------

test("memory: one huge allocation raises MemoryError", async () => {
  const r = await attempt("x = bytearray(10**9)\nprint('ESCAPED')");
  assert.equal(r.status, "error");
  assert.match(r.stderr, /MemoryError/);
});

test("memory: growing a list until memory runs out", async () => {
  const r = await attempt("x = []\nwhile True:\n    x.append([0] * 10**6)", 3000);
  assert.notEqual(r.status, "completed");
  await hostStillServes();
});

test("memory: string doubling", async () => {
  const r = await attempt("s = 'a'\nwhile True:\n    s += s", 5000);
  assert.equal(r.status, "error");
  assert.match(r.stderr, /MemoryError|OverflowError/);
  await hostStillServes();
});

test("memory: the host's heap is untouched by a sandbox memory bomb", async () => {
  const before = process.memoryUsage().rss;
  await attempt("blobs = [bytes(50 * 2**20) for _ in range(100)]", 5000);
  const grown = process.memoryUsage().rss - before;
  // The worker's wasm memory is capped at 256 MiB; 5 GB asked for must not appear in the host process.
  assert.ok(grown < 1024 * 2 ** 20, `host RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  await hostStillServes();
});

// ---- recursion ------------------------------------------------------------------------------------------------------

test("recursion: unbounded recursion is a RecursionError", async () => {
  const r = await attempt("def f(n):\n    return f(n + 1)\nf(0)");
  assert.equal(r.status, "error");
  assert.match(r.stderr, /RecursionError/);
});

test("recursion: recursion limit raised to 10**6 (the wasm stack overflows)", async () => {
  const r = await attempt("import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)", 1000);
  assert.notEqual(r.status, "completed");
  await hostStillServes();
});

test("recursion: deeply nested data structure and parser bombs", async () => {
  const r = await attempt("import json\nx = json.loads('[' * 10**6 + ']' * 10**6)\nprint('parsed')\ny = eval('(' * 10**5 + ')' * 10**5)", 1000);
  assert.notEqual(r.status, "completed");
  await hostStillServes();
});

// ---- output ---------------------------------------------------------------------------------------------------------

test("output: one enormous print is cut at the limit", async () => {
  const r = await attempt("print('x' * 10**8)", 10_000);
  assert.equal(r.truncated, true);
  assert.ok(r.stdout.length + r.stderr.length <= 10_000 + 200);
});

test("output: an endless print loop is stopped, not left to run to the timeout", async () => {
  const r = await attempt("while True:\n    print('spam' * 100)", 5000);
  assert.equal(r.truncated, true);
  assert.equal(r.status, "error");
  assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
});

test("output: writing straight to fd 1 and sys.__stderr__ is counted too", async () => {
  const r = await attempt("import os, sys\nwhile True:\n    os.write(1, b'z' * 4096)\n    sys.__stderr__.write('e' * 4096)", 5000);
  assert.equal(r.truncated, true);
  assert.ok(r.stdout.length + r.stderr.length <= 10_000 + 200);
});

test("output: the output limit survives code that catches the interrupt", async () => {
  const r = await attempt("while True:\n    try:\n        print('y' * 1000)\n    except BaseException:\n        pass", 800);
  assert.equal(r.truncated, true);
  assert.notEqual(r.status, "completed");
  assert.ok(r.stdout.length <= 10_000);
});

// ---- stdin and the host's own stdout --------------------------------------------------------------------------------

test("stdin: input() fails at once instead of reading the host's stdin", async () => {
  const r = await attempt("try:\n    input()\n    print('ESCAPED')\nexcept (OSError, EOFError) as e:\n    print('refused', type(e).__name__)");
  assert.match(r.stdout, /^refused/);
});

// ---- tenancy: program A plants, program B on the same worker sees a pristine interpreter -----------------------------

// One worker, so that A and B are sure to meet on it (as they did when workers were reused between programs).
for (const ch of CHANNELS) {
  if (ch.only === "process") continue;
  test(`tenancy: ${ch.name}`, async () => {
    attempts++;
    await solo.run(ch.plant, { timeoutMs: 3000 });
    const b = await solo.run(ch.probe);
    assert.equal(b.stdout, ch.expect, `after the plant, B saw: ${JSON.stringify(b.stdout)} / ${b.stderr}`);
    assert.equal(b.status, "completed", b.stderr);
  });
}

test("tenancy: a JS buffer parked on a stdlib class is gone for the next program", async () => {
  attempts++;
  await solo.run(UNBLOCK + "from pyodide.ffi import to_js\nimport fractions\nfractions.Fraction._parked = to_js(b'P' * 1000)\n");
  const b = await solo.run("import fractions\nprint(hasattr(fractions.Fraction, '_parked'))");
  assert.equal(b.stdout, "False\n");
});

// ---- memory held in JS buffers (outside the wasm heap cap) ----------------------------------------------------------

test("memory: the host accounts the worker process's whole RSS (not only the wasm heap) and kills it past its cap", async () => {
  attempts++;
  // The process cap below the wasm cap: only the host-side accounting can stop this program. It measures the
  // worker's resident memory as a whole, so memory held in JS buffers (outside the wasm heap) counts the same way.
  const tight = await PythonSandbox.create({ workers: 1, timeoutMs: 20_000, memoryMb: 768, processMemoryMb: 400 });
  try {
    const before = process.memoryUsage().rss;
    const code = "keep = []\nfor i in range(12):\n    keep.append(b'x' * (50 * 2**20))\nprint('ESCAPED', len(keep))";
    const r = await tight.run(code);
    assertContained(code, r);
    assert.equal(r.status, "killed", `${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /memory cap of 400 MiB/);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 200 * 2 ** 20, `host RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
    const next = await tight.run("print(6 * 7)");
    assert.equal(next.stdout, "42\n", "a fresh worker serves the next program");
  } finally {
    await tight.close();
  }
});

test("limits: a file far larger than the caps (kept in JS memory by the in-memory FS) and endless open files", async () => {
  const before = process.memoryUsage().rss;
  const big = await attempt("data = b'x' * (100 * 2**20)\nwith open('/tmp/big', 'wb') as f:\n    for i in range(20):\n        f.write(data)\nprint('ESCAPED')", 30_000);
  assert.ok(big.status === "killed" || big.status === "error", `${big.status}: ${big.stderr}`);
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, "the host's RSS grew");
  const many = await attempt("fs = []\nwhile True:\n    fs.append(open('/tmp/f%d' % len(fs), 'w'))", 30_000);
  assert.notEqual(many.status, "completed");
  await hostStillServes();
});

// ---- Emscripten calls that used to reach the host ------------------------------------------------------------------

test("host calls: os.getuid(), os.umask() and friends answer without crashing the interpreter", async () => {
  attempts++;
  const r = await attempt("import os\nprint(os.getuid(), os.getuid(), os.getgid())\nos.umask(0o77)\nprint('ok')");
  assert.equal(r.status, "completed", r.stderr);
  assert.match(r.stdout, /^\d+ \d+ \d+\nok\n$/);
  assert.ok(!r.stdout.startsWith(`${process.getuid?.() ?? -1} `) || process.getuid?.() === 1000, "the host's uid leaked");
});

// ---- queue -----------------------------------------------------------------------------------------------------------

test("queue: abandoned requests do not delay the next", async () => {
  attempts++;
  const controllers = Array.from({ length: 6 }, () => new AbortController());
  const abandoned = controllers.map((c) => solo.run("import time\ntime.sleep(10)", { signal: c.signal, timeoutMs: 20_000 }));
  await new Promise((r) => setTimeout(r, 200));
  for (const c of controllers) c.abort();
  const results = await Promise.all(abandoned);
  for (const a of results) assert.equal(a.status, "cancelled");
  const t0 = performance.now();
  const r = await solo.run("print('next')");
  assert.equal(r.stdout, "next\n");
  // Only the replacement of the one worker that was stopped stands in the way (seconds on a loaded machine), never
  // 6 × 10 s of sleeping programs.
  assert.ok(performance.now() - t0 < 30_000, `the next run waited ${(performance.now() - t0).toFixed(0)} ms`);
});

// ---- the host after all of it ------------------------------------------------------------------------------------------

test("host: alive, responsive, and with a full pool after every attack", async () => {
  await hostStillServes();
  assert.equal(sb.size, 2);
  assert.ok(attempts >= 25, `only ${attempts} attempts`);
  assert.equal(existsSync(marker), false);
});

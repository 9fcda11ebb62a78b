// PythonSandbox behaviour: results, limits, the pool, and that nothing leaks from one program to the next.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PythonSandbox } from "../../src/sandbox/index.js";

let sb: PythonSandbox;
before(async () => {
  sb = await PythonSandbox.create({ workers: 2, timeoutMs: 5000, maxOutputChars: 2000, graceMs: 300 });
});
after(async () => {
  await sb.close();
});

test("runs a program and returns its stdout", async () => {
  const r = await sb.run("import math\nprint(math.comb(30, 15), 2**100)\nprint(sum(i*i for i in range(10)))");
  assert.equal(r.status, "completed");
  assert.equal(r.stdout, "155117520 1267650600228229401496703205376\n285\n");
  assert.equal(r.stderr, "");
  assert.equal(r.truncated, false);
  assert.ok(r.durationMs > 0);
});

test("stdlib modules a math program uses are there (fractions, itertools, decimal, sympy-free)", async () => {
  const r = await sb.run(
    "from fractions import Fraction\nfrom itertools import permutations\nfrom decimal import Decimal, getcontext\n" +
    "getcontext().prec = 30\nprint(Fraction(1, 3) + Fraction(1, 6), len(list(permutations(range(5)))), Decimal(2).sqrt())",
  );
  assert.equal(r.status, "completed", r.stderr);
  assert.equal(r.stdout, "1/2 120 1.41421356237309504880168872421\n");
});

test("what the runtime needs after lock-down still works: clock, sleep, randomness, hashing", async () => {
  const r = await sb.run([
    "import time, random, os, hashlib, secrets",
    "t = time.perf_counter(); time.sleep(0.05); slept = time.perf_counter() - t",
    "print(0.04 < slept < 1.0, time.time() > 1.7e9, len(os.urandom(16)), 0 <= random.random() < 1, len(secrets.token_hex(8)))",
    "print(hashlib.sha256(b'abc').hexdigest()[:16])",
  ].join("\n"));
  assert.equal(r.status, "completed", r.stderr);
  assert.equal(r.stdout, "True True 16 True 16\nba7816bf8f01cfea\n");
});

test("an exception gives status error and a traceback that starts in the program", async () => {
  const r = await sb.run("x = 1\ny = x / 0\n");
  assert.equal(r.status, "error");
  assert.match(r.stderr, /^Traceback \(most recent call last\):\n  File "<code>", line 2, in <module>\n/);
  assert.match(r.stderr, /ZeroDivisionError: division by zero\n$/);
  assert.doesNotMatch(r.stderr, /_trimer_run/);
});

test("a syntax error is reported as an error", async () => {
  const r = await sb.run("def f(:\n  pass");
  assert.equal(r.status, "error");
  assert.match(r.stderr, /SyntaxError/);
});

test("sys.exit(0) completes, sys.exit(n) and sys.exit('msg') are errors", async () => {
  assert.equal((await sb.run("import sys\nprint('a')\nsys.exit(0)\nprint('b')")).status, "completed");
  assert.equal((await sb.run("import sys; sys.exit(3)")).status, "error");
  const m = await sb.run("raise SystemExit('bad input')");
  assert.equal(m.status, "error");
  assert.equal(m.stderr, "bad input\n");
});

test("stdout and stderr are kept apart, and output without a final newline is kept", async () => {
  const r = await sb.run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.stdout.write('tail')");
  assert.equal(r.status, "completed");
  assert.equal(r.stdout, "out\ntail");
  assert.equal(r.stderr, "err\n");
});

test("unicode output survives the byte stream", async () => {
  const r = await sb.run("print('∑ é 漢字 🙂', chr(0x1F600))");
  assert.equal(r.stdout, "∑ é 漢字 🙂 😀\n");
});

test("output beyond maxOutputChars is cut, marked truncated, and the program stopped", async () => {
  const r = await sb.run("for i in range(10**9):\n    print(i)\n", { timeoutMs: 4000 });
  assert.equal(r.truncated, true);
  assert.equal(r.status, "error");
  assert.ok(r.stdout.length <= 2000, `stdout ${r.stdout.length}`);
  assert.ok(r.stdout.startsWith("0\n1\n2\n"));
  assert.match(r.stderr, /output exceeded 2000 characters/);
});

test("a timeout interrupts the program and the worker is reused", async () => {
  const r = await sb.run("print('started', flush=True)\nwhile True:\n    pass", { timeoutMs: 300 });
  assert.equal(r.status, "timeout");
  assert.equal(r.stdout, "started\n");
  assert.match(r.stderr, /timed out after 300 ms/);
  const ok = await sb.run("print('next')");
  assert.equal(ok.stdout, "next\n");
});

test("a program that ignores the interrupt is killed, keeps what it printed, and its worker is replaced", async () => {
  const r = await sb.run("print('before', flush=True)\nwhile True:\n    try:\n        while True: pass\n    except BaseException:\n        pass", { timeoutMs: 300 });
  assert.equal(r.status, "timeout");
  assert.equal(r.stdout, "before\n");
  const results = await Promise.all([sb.run("print('a')"), sb.run("print('b')")]);
  assert.deepEqual(results.map((x) => x.stdout), ["a\n", "b\n"]);
  assert.equal(sb.size, 2);
});

test("variables, imports, module attributes, builtins and files do not leak between programs", async () => {
  const first = await sb.run([
    "import math, json, os, sys, builtins",
    "secret_var = 42",
    "math.pi = 3",
    "json.dumps = lambda *a, **k: 'patched'",
    "builtins.leaked = 'yes'",
    "sys.setrecursionlimit(50)",
    "sys.path.append('/nowhere')",
    "os.environ['LEAK'] = '1'",
    "open('/tmp/leak.txt', 'w').write('x')",
    "open('notes.txt', 'w').write('x')",
    "os.mkdir('/tmp/leakdir')",
    "os.chdir('/tmp')",
    "import fractions; fractions.marker = 1",
    "import decimal, random; decimal.getcontext().prec = 5; random.seed(1)",
    "import colorsys; colorsys.marker = 1",
    "print('set')",
  ].join("\n"));
  assert.equal(first.stdout, "set\n", first.stderr);
  // Run on every worker, so the check does not depend on which one got the first program.
  for (let i = 0; i < 4; i++) {
    const r = await sb.run([
      "import math, json, os, sys, builtins",
      "print('secret_var' in globals(), math.pi == 3, json.dumps([1]), hasattr(builtins, 'leaked'))",
      "print(sys.getrecursionlimit() == 50, '/nowhere' in sys.path, 'LEAK' in os.environ)",
      "print(os.path.exists('/tmp/leak.txt'), os.path.exists('/tmp/leakdir'), os.path.exists('/home/pyodide/notes.txt'), os.getcwd())",
      "print(hasattr(__import__('fractions'), 'marker'), 'colorsys' in sys.modules, hasattr(__import__('colorsys'), 'marker'))",
      "import decimal, random; print(decimal.getcontext().prec, random.random() == 0.13436424411240122)",
    ].join("\n"));
    assert.equal(r.status, "completed", r.stderr);
    assert.equal(r.stdout, "False False [1] False\nFalse False False\nFalse False False /home/pyodide\nFalse False False\n28 False\n");
  }
});

test("programs run concurrently on the pool and each gets its own result", async () => {
  const codes = Array.from({ length: 8 }, (_, i) => `print(${i} * ${i})`);
  const results = await Promise.all(codes.map((c) => sb.run(c)));
  assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 8 }, (_, i) => `${i * i}\n`));
});

test("bad options are refused with a message naming them", async () => {
  await assert.rejects(PythonSandbox.create({ workers: 0 }), /workers must be a positive integer/);
  await assert.rejects(sb.run("print(1)", { timeoutMs: -1 }), /timeoutMs must be a positive number/);
});

test("run() after close() rejects, and close() resolves queued programs as killed", async () => {
  const small = await PythonSandbox.create({ workers: 1, timeoutMs: 2000 });
  const running = small.run("while True: pass");
  const queued = small.run("print(1)");
  await small.close();
  assert.equal((await running).status, "killed");
  assert.equal((await queued).status, "killed");
  await assert.rejects(small.run("print(1)"), /after close/);
});

// Sandbox throughput: executions per second for short TIR-style snippets on warm workers, against the peer the
// issue names: NeMo-Skills' sandbox, whose "python" path starts a fresh `python3 -c <code>` process per request
// (measured here directly, without its Flask layer, so the peer is flattered). Also: start-up, the time to replace a
// killed worker, per-run latency, and the same snippets over HTTP through serve-sandbox's handler. The machine is
// shared, so the load average and per-CPU-second rates are printed. Run: npm run bench sandbox [-- --n=400 --workers=2]
import { loadavg } from "node:os";
import { readFileSync } from "node:fs";
import { spawn, execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { PythonSandbox } from "../../src/sandbox/index.js";
import { createSandboxServer } from "../../src/sandbox/server.js";

const { values } = parseArgs({ options: { n: { type: "string" }, workers: { type: "string" } } });
const N = Number(values.n ?? 300);
const WORKERS = Number(values.workers ?? 2);

// Typical tool calls in math TIR: a little arithmetic, a loop, a stdlib import.
const SNIPPETS = [
  "print(sum(i * i for i in range(1, 101)))",
  "from math import comb\nprint(comb(20, 10) % 1000)",
  "from fractions import Fraction\nprint(Fraction(3, 4) + Fraction(5, 6))",
  "n = 2**61 - 1\nprint(all(n % p for p in range(2, 1000)))",
  "import itertools\nprint(sum(1 for p in itertools.permutations(range(6)) if p[0] < p[-1]))",
];

async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  }));
  return out;
}

// The interpreter binary itself, not a version-manager shim (pyenv's is a shell script that would slow the peer).
const PYTHON = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();

function python3(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, ["-c", code], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (c: Buffer) => { out += c.toString(); });
    p.on("error", reject);
    p.on("close", () => resolve(out));
  });
}

/** CPU seconds of this process (all threads, so the workers too) and of its reaped children, from /proc. */
function cpuSeconds(): { self: number; children: number } {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  // After "pid (comm) ": fields 14-17 of stat(5) are utime stime cutime cstime, here at 11..14, in clock ticks.
  const tick = 100;
  return { self: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}

const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const f1 = (x: number): string => x.toFixed(1);

console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2-core machine shared with others)`);

let t0 = performance.now();
const sb = await PythonSandbox.create({ workers: WORKERS, timeoutMs: 10_000 });
const startMs = performance.now() - t0;
console.log(`start-up: ${WORKERS} workers ready in ${f1(startMs)} ms (the first from scratch, the others from its memory snapshot; a cold Pyodide per execution would pay the first part every time)`);

await pool(20, WORKERS, (i) => sb.run(SNIPPETS[i % SNIPPETS.length]!)); // warm-up
const rates: number[] = [];
const lat: number[] = [];
let failed = 0;
const c0 = cpuSeconds().self;
for (let round = 0; round < 3; round++) {
  t0 = performance.now();
  const results = await pool(N, WORKERS * 2, (i) => sb.run(SNIPPETS[i % SNIPPETS.length]!));
  rates.push(N / ((performance.now() - t0) / 1000));
  lat.push(...results.map((r) => r.durationMs));
  failed += results.filter((r) => r.status !== "completed").length;
}
const sandboxCpuRate = (3 * N) / (cpuSeconds().self - c0);
const sandboxRate = pct(rates, 0.5);
console.log(`sandbox, ${WORKERS} warm workers, 3 rounds of ${N}: median ${f1(sandboxRate)} exec/s (best ${f1(Math.max(...rates))}); ${f1(sandboxCpuRate)} exec per CPU-second; per-run latency p50 ${f1(pct(lat, 0.5))} ms, p90 ${f1(pct(lat, 0.9))} ms; ${failed} not completed`);

// Replacing a killed worker (starts from the first worker's memory snapshot): kill one, time until a run on a
// fresh worker completes, with every other worker kept busy so the run must wait for the replacement.
{
  const restarts: number[] = [];
  for (let k = 0; k < 3; k++) {
    const busy = Array.from({ length: WORKERS - 1 }, () => sb.run("import time\ntime.sleep(2)"));
    const killed = await sb.run("while True:\n    try:\n        while True: pass\n    except BaseException: pass", { timeoutMs: 100 });
    const t = performance.now();
    const r = await sb.run("print(1)");
    restarts.push(performance.now() - t);
    await Promise.all(busy);
    if (killed.status !== "timeout" || r.stdout !== "1\n") throw new Error("restart measurement went wrong");
  }
  console.log(`replacing a killed worker (from snapshot): median ${f1(pct(restarts, 0.5))} ms until the next run completes (3 kills)`);
}

// The same through HTTP (loopback, keep-alive via fetch).
const server = createSandboxServer(sb);
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/execute`;
t0 = performance.now();
const httpOut = await pool(N, WORKERS * 2, async (i) => {
  const res = await fetch(url, { method: "POST", body: JSON.stringify({ generated_code: SNIPPETS[i % SNIPPETS.length], timeout: 10, language: "ipython" }) });
  return (await res.json()) as { process_status: string };
});
const httpSec = (performance.now() - t0) / 1000;
console.log(`serve-sandbox over HTTP (fetch client in this same process): ${f1(N / httpSec)} exec/s (${httpOut.filter((r) => r.process_status !== "completed").length} not completed)`);
server.closeAllConnections();
await new Promise<void>((r) => server.close(() => r()));
await sb.close();

// Peer: a fresh CPython process per execution (NeMo-Skills' `python -c` path), same concurrency.
const peerN = Math.min(N, 100);
const p0 = cpuSeconds();
t0 = performance.now();
const peerOut = await pool(peerN, WORKERS * 2, (i) => python3(SNIPPETS[i % SNIPPETS.length]!));
const peerSec = (performance.now() - t0) / 1000;
const p1 = cpuSeconds();
const peerRate = peerN / peerSec;
const peerCpuRate = peerN / (p1.children - p0.children + p1.self - p0.self);
console.log(`peer, ${PYTHON} -c per execution (NeMo-Skills "python" path, no Flask): ${peerN} in ${f1(peerSec * 1000)} ms = ${f1(peerRate)} exec/s; ${f1(peerCpuRate)} exec per CPU-second (${peerOut.filter((o) => o.length === 0).length} empty)`);
console.log(`ratio, sandbox / peer: ${(sandboxRate / peerRate).toFixed(2)}× wall, ${(sandboxCpuRate / peerCpuRate).toFixed(2)}× per CPU-second (the peer is native CPython with rlimits only; the sandbox is wasm CPython, locked down)`);

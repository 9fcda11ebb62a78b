// Sandbox throughput, per backend, against the peer the issue names — a fresh `python3 -c <code>` process per
// execution (NeMo-Skills' "python" path, measured directly without its Flask layer, and without any sandbox, so the
// peer is flattered) — and a fresh bubblewrap sandbox + python3 per execution (what per-request isolation costs
// without a zygote). Two programs: a trivial one, and `import sympy; sympy.factor(x**4 - 1)`, which a fresh
// interpreter pays sympy's import for every time. Rounds alternate the sides; medians are reported. The machine
// is shared, so the load average is printed. Run: npm run bench sandbox [-- --n=300 --workers=2 --rounds=3]
import { loadavg } from "node:os";
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { ProcessSandbox, bwrapArgs, processBackendAvailable } from "../../src/sandbox/process.js";
import { PythonSandbox } from "../../src/sandbox/index.js";
import type { CodeSandbox } from "../../src/sandbox/types.js";

const { values } = parseArgs({ options: { n: { type: "string" }, workers: { type: "string" }, rounds: { type: "string" }, "skip-pyodide": { type: "boolean" } } });
const N = Number(values.n ?? 300);
const WORKERS = Number(values.workers ?? 2);
const ROUNDS = Number(values.rounds ?? 3);
const CONCURRENCY = WORKERS * 2;

const TRIVIAL = "print(6 * 7)";
const SYMPY = "import sympy\nx = sympy.Symbol('x')\nprint(sympy.factor(x**4 - 1))";
const EXPECT: Record<string, string> = { [TRIVIAL]: "42\n", [SYMPY]: "(x - 1)*(x + 1)*(x**2 + 1)\n" };

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

function proc(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: {} });
    let out = "";
    p.stdout.on("data", (c: Buffer) => { out += c.toString(); });
    p.on("error", reject);
    p.on("close", () => resolve(out));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f1 = (x: number): string => x.toFixed(1);

/** Executions per second of `run` over n programs, and how many gave the wrong output. */
async function rate(n: number, run: () => Promise<string>, code: string): Promise<{ rate: number; wrong: number }> {
  const t0 = performance.now();
  const outs = await pool(n, CONCURRENCY, () => run());
  return { rate: n / ((performance.now() - t0) / 1000), wrong: outs.filter((o) => o !== EXPECT[code]).length };
}

console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2-core machine, shared with other jobs: figures are noisy)`);
console.log(`${WORKERS} workers, ${CONCURRENCY} requests in flight, ${ROUNDS} alternating rounds, medians`);

const avail = processBackendAvailable();
const sides: { name: string; run: (code: string) => Promise<string>; n: (code: string) => number }[] = [];
let processSb: ProcessSandbox | null = null;
if (avail.ok) {
  const t0 = performance.now();
  processSb = await ProcessSandbox.create({ workers: WORKERS });
  console.log(`process backend ready in ${f1(performance.now() - t0)} ms: ${processSb.describe()}`);
  const sb: CodeSandbox = processSb;
  sides.push({ name: "process backend (fork per request)", run: async (c) => (await sb.run(c)).stdout, n: () => N });
  const bwrap = ["bwrap", ...bwrapArgs(64 << 20), "/usr/bin/python3", "-I", "-c"];
  sides.push({ name: "fresh bwrap + python3 -c per run", run: (c) => proc(bwrap[0]!, [...bwrap.slice(1), c]), n: (c) => (c === SYMPY ? 12 : Math.min(N, 60)) });
} else {
  console.log(`process backend: not measured (${avail.why})`);
}
sides.push({ name: "peer: fresh /usr/bin/python3 -c per run", run: (c) => proc("/usr/bin/python3", ["-c", c]), n: (c) => (c === SYMPY ? 12 : Math.min(N, 60)) });

const results = new Map<string, number[]>();
const wrongs = new Map<string, number>();
for (const code of [TRIVIAL, SYMPY]) {
  await pool(8, CONCURRENCY, () => sides[0]!.run(code)); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const r = await rate(side.n(code), () => side.run(code), code);
      const key = `${side.name}|${code}`;
      results.set(key, [...(results.get(key) ?? []), r.rate]);
      wrongs.set(key, (wrongs.get(key) ?? 0) + r.wrong);
    }
  }
}
await processSb?.close();

// Pyodide: the portable fallback, a fresh interpreter per program by replacing its worker process (no sympy).
if (!values["skip-pyodide"]) {
  const t0 = performance.now();
  const py = await PythonSandbox.create({ workers: WORKERS });
  console.log(`pyodide backend ready in ${f1(performance.now() - t0)} ms`);
  const n = 16;
  await pool(4, CONCURRENCY, () => py.run(TRIVIAL));
  const r = await rate(n, async () => (await py.run(TRIVIAL)).stdout, TRIVIAL);
  results.set(`pyodide backend (fresh worker process per request)|${TRIVIAL}`, [r.rate]);
  wrongs.set(`pyodide backend (fresh worker process per request)|${TRIVIAL}`, r.wrong);
  await py.close();
}

const peer = (code: string): number => median(results.get(`peer: fresh /usr/bin/python3 -c per run|${code}`) ?? [NaN]);
for (const [label, code] of [["trivial program", TRIVIAL], ["sympy.factor(x**4 - 1)", SYMPY]] as const) {
  console.log(`\n${label}:`);
  for (const [key, rates] of results) {
    const [name, c] = key.split("|") as [string, string];
    if (c !== code) continue;
    const m = median(rates);
    const w = wrongs.get(key) ?? 0;
    console.log(`  ${name.padEnd(52)} ${f1(m).padStart(8)} exec/s  (${(m / peer(code)).toFixed(1)}× the peer)${w ? `  ${w} wrong outputs` : ""}`);
  }
  if (code === SYMPY) console.log("  pyodide backend: n/a (Pyodide here has no sympy)");
}
console.log(`\nload average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

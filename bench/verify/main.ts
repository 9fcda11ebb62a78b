// Verifier throughput and latency over the 800 (gold, prediction) pairs of the Qwen2.5-Math MATH sample:
// answersEqual(gt, pred) = parse both sides + compare, one thread, after a warm-up, several passes.
// Also: verify(gt, full model response) = extraction + parse + compare on the 800 full responses.
// Peer: Math-Verify 0.8 (Python + sympy) — quoted, not measured here (no PyPI on this machine): ~50 checks/s,
// p50 ≈ 3 ms, p99 ≈ 170 ms on this machine class. Goal: ≥ 100× its throughput (≥ 5,000 checks/s), p99 ≤ 5 ms.
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { answersEqual, verify } from "../../src/verify/index.js";
import { VerifierPool } from "../../src/verify/pool.js";

const PEER = { name: "Math-Verify 0.8 (quoted)", checksPerSec: 50, p50Ms: 3, p99Ms: 170 };
const PASSES = Number(process.env.BENCH_PASSES ?? 7);
const WARMUP = 10;

const FILE = new URL("../../../shared/data/qwen_rm_maj_example/math_cot_100.jsonl", import.meta.url);
const pairs: [string, string][] = [];
const responses: [string, string][] = [];
for (const line of readFileSync(FILE, "utf8").split("\n").filter((l) => l.trim() !== "")) {
  const r = JSON.parse(line) as { gt: string; pred: string[]; code: string[] };
  r.pred.forEach((p, j) => {
    pairs.push([r.gt, p]);
    responses.push([r.gt, r.code[j]!]);
  });
}

interface PassStats {
  perSec: number;
  /** Checks per second of this process's CPU time (user + system): less sensitive to other load on the machine. */
  perCpuSec: number;
  p50: number;
  p99: number;
  max: number;
}

function pass(items: [string, string][], f: (g: string, p: string) => unknown): PassStats {
  const lat = new Float64Array(items.length);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < items.length; i++) {
    const t = performance.now();
    f(items[i]![0], items[i]![1]);
    lat[i] = performance.now() - t;
  }
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  lat.sort();
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { perSec: (items.length / total) * 1000, perCpuSec: (items.length / cpuMs) * 1000, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1]! };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function run(label: string, items: [string, string][], f: (g: string, p: string) => unknown): PassStats {
  for (let w = 0; w < WARMUP; w++) pass(items, f); // warm-up: JIT tiers settle
  const passes: PassStats[] = [];
  for (let k = 0; k < PASSES; k++) passes.push(pass(items, f));
  console.log(`\n${label}: ${items.length} checks x ${PASSES} passes (after ${WARMUP} warm-up passes), one thread`);
  for (const [k, s] of passes.entries()) {
    console.log(`  pass ${k + 1}: ${s.perSec.toFixed(0).padStart(7)} checks/s (${s.perCpuSec.toFixed(0).padStart(7)} per CPU-second)   p50 ${s.p50.toFixed(4)} ms   p99 ${s.p99.toFixed(4)} ms   max ${s.max.toFixed(3)} ms`);
  }
  const m: PassStats = { perSec: median(passes.map((s) => s.perSec)), perCpuSec: median(passes.map((s) => s.perCpuSec)), p50: median(passes.map((s) => s.p50)), p99: median(passes.map((s) => s.p99)), max: median(passes.map((s) => s.max)) };
  console.log(`  best pass: ${Math.max(...passes.map((s) => s.perSec)).toFixed(0)} checks/s; load average now ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (other jobs inflate max latency)`);
  console.log(`  median of passes: ${m.perSec.toFixed(0)} checks/s (${m.perCpuSec.toFixed(0)} per CPU-second), p50 ${m.p50.toFixed(4)} ms, p99 ${m.p99.toFixed(4)} ms, max ${m.max.toFixed(3)} ms`);
  return m;
}

const eqStats = run("answersEqual(gt, pred)", pairs, (g, p) => answersEqual(g, p));
const vStats = run("verify(gt, full response)  [extraction + parse + compare]", responses, (g, p) => verify(g, p));

console.log(`\npeer ${PEER.name}: ~${PEER.checksPerSec} checks/s, p50 ${PEER.p50Ms} ms, p99 ~${PEER.p99Ms} ms (quoted figures for the same kind of check)`);
console.log(`answersEqual: ${(eqStats.perSec / PEER.checksPerSec).toFixed(0)}x the peer's throughput (goal >= 100x); p99 ${eqStats.p99.toFixed(3)} ms vs goal <= 5 ms: ${eqStats.perSec >= 5000 && eqStats.p99 <= 5 ? "MET" : "NOT MET"}`);
console.log(`verify (with extraction): ${(vStats.perSec / PEER.checksPerSec).toFixed(0)}x the peer's throughput; p99 ${vStats.p99.toFixed(3)} ms`);

// Several cores: the worker pool on the full responses, repeated so that start-up is amortised.
const threads = Number(process.env.BENCH_THREADS ?? cpus().length);
if (threads > 1) {
  const jobs = Array.from({ length: 20 }, () => responses.map(([gold, pred]) => ({ gold, pred }))).flat();
  const pool = new VerifierPool({ threads });
  await pool.verifyMany(jobs.slice(0, 2000)); // warm-up (worker start, JIT)
  const t0 = performance.now();
  await pool.verifyMany(jobs);
  const ms = performance.now() - t0;
  await pool.close();
  console.log(`\nVerifierPool, ${threads} threads: ${jobs.length} verify() calls in ${ms.toFixed(0)} ms = ${((jobs.length / ms) * 1000).toFixed(0)} checks/s (${((jobs.length / ms) * 1000 / PEER.checksPerSec).toFixed(0)}x the peer's single-process figure)`);
}

// Synthetic curriculum throughput: problems per second, each with all six solution modes written, on one core
// (this process, no workers). Goal from the issue: ≥ 20,000 problems/s, so generation is never what training
// waits on. Reports the median and best of several timed rounds after a JIT warm-up (the machine is shared, so
// the load average is printed too), the compact-arithmetic rate the embedded pipeline uses, the rate per domain,
// and the JSONL serialisation cost. Run: npm run bench data
import { loadavg } from "node:os";
import { DOMAINS, generate, type SynthOptions } from "../../src/data/synth/index.js";

const GOAL = 20_000;

/** Wall-clock rate and CPU-time rate (user+system of this process): the second is robust to a busy machine. */
function rounds(opts: SynthOptions, nRounds = 7, perRound = 20_000): { median: number; best: number; cpu: number } {
  for (let i = 0; i < 30_000; i++) generate(99, i, opts); // warm-up: let the JIT settle
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let n = 0;
  for (let r = 0; r < nRounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < perRound; k++) generate(1, n++, opts);
    rates.push((perRound * 1000) / (performance.now() - t0));
    const c = process.cpuUsage(c0);
    cpuRates.push((perRound * 1e6) / (c.user + c.system));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  const mid = Math.floor(nRounds / 2);
  return { median: rates[mid]!, best: rates[nRounds - 1]!, cpu: cpuRates[mid]! };
}

const fmt = (x: number): string => Math.round(x).toLocaleString("en").padStart(8);
console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")} (2-core machine shared with others)`);
const all = rounds({});
console.log(`all 8 domains, difficulty 1-5, 6 modes: wall median ${fmt(all.median)} problems/s, best ${fmt(all.best)}; per CPU-second ${fmt(all.cpu)} — ${(all.cpu / GOAL).toFixed(2)}× the 20,000/s goal (CPU), ${(all.median / GOAL).toFixed(2)}× (wall median)`);
const compact = rounds({ domains: ["arithmetic"], style: "compact" });
console.log(`compact arithmetic, 6 modes:            wall median ${fmt(compact.median)} problems/s, best ${fmt(compact.best)}; per CPU-second ${fmt(compact.cpu)} — ${(compact.cpu / GOAL).toFixed(2)}× goal (CPU)`);
for (const d of DOMAINS) {
  const r = rounds({ domains: [d] }, 3, 10_000);
  console.log(`  ${d.padEnd(14)} wall median ${fmt(r.median)} problems/s, per CPU-second ${fmt(r.cpu)}`);
}
{
  const ps = Array.from({ length: 20_000 }, (_, i) => generate(1, i));
  const t0 = performance.now();
  let bytes = 0;
  for (const p of ps) bytes += JSON.stringify(p).length + 1;
  const ms = performance.now() - t0;
  console.log(`JSON.stringify (the JSONL line) of 20,000 problems: ${ms.toFixed(0)} ms (${fmt((20_000 * 1000) / ms)}/s), ${(bytes / 20_000).toFixed(0)} chars/problem`);
}
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

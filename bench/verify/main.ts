// `npm run bench verify`: trimer's verifier and Math-Verify 0.8 (the peer) on the same inputs, in one run:
// agreement with the expected verdict, checks per second (one thread / one process), p50 and p99 latency.
//   families  — the verifier's own labelled cases per accuracy family and per reward-hacking family (cases.ts)
//   qwen-bare — the 800 (gold, extracted prediction, label) pairs of the Qwen2.5-Math MATH sample
//   qwen-full — the same 800 with the full model outputs (extraction + comparison); verify() reuses a gold it
//               parsed for the problem's previous sample (8 samples per problem)
//   qwen-full/np — the same, the gold parsed on every check (as the peer does), against the peer's qwen-full run
//   golds     — every 8th gold of GSM8K / MATH-500 / AIME 2024 / AMC 2023 / OlympiadBench inside a final-answer
//               sentence (expected equal) and its last digit changed, boxed (expected not equal)
//   pathological — long and deeply nested inputs, trimer only (the peer takes up to 50 s on some): checks over
//               the time budget are counted
// The peer runs when ../shared/peers/mathverify/setup.sh has been run (MV_ROOT, default $TMPDIR/mv or /tmp/mv);
// otherwise trimer's figures are printed alone. The machine is shared: trimer is timed before and after the peer
// and the median of its passes is reported.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tmpdir, loadavg, cpus } from "node:os";
import { prepareGold, verify, verifyPrepared } from "../../src/verify/index.js";
import { CASES } from "./cases.js";

const PASSES = Number(process.env.BENCH_PASSES ?? 5);
const DATA = new URL("../../../shared/data/", import.meta.url);

interface Item {
  gold: string;
  pred: string;
  expected: boolean;
}
interface Bench {
  name: string;
  items: Item[];
  /** Bare LaTeX answers: the peer's README asks for $…$ around them. */
  bare: boolean;
  peer: boolean;
  /** Parse the gold on every check (prepareGold + verifyPrepared) instead of verify(), which reuses a parsed gold. */
  freshGold?: boolean;
  /** Compare against the peer's figures of this earlier set (the same inputs). */
  peerOf?: string;
}

function jsonl(path: string): Record<string, unknown>[] {
  return readFileSync(new URL(path, DATA), "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}

function qwen(full: boolean): Item[] {
  const out: Item[] = [];
  for (const r of jsonl("qwen_rm_maj_example/math_cot_100.jsonl") as { gt: string; pred: string[]; code: string[]; score: boolean[] }[]) {
    r.pred.forEach((p, j) => out.push({ gold: r.gt, pred: full ? r.code[j]! : p, expected: r.score[j]! }));
  }
  return out;
}

function golds(): Item[] {
  const answers: string[] = [];
  for (const f of ["gsm8k/test.jsonl", "gsm8k/train.jsonl"]) for (const r of jsonl(f)) answers.push(String(r.answer).split("####").pop()!.trim().replace(/,/g, ""));
  for (const f of ["math500/test.jsonl", "aime24/test.jsonl", "amc23/test.jsonl"]) for (const r of jsonl(f)) answers.push(String(r.answer));
  for (const r of jsonl("olympiadbench/test.jsonl")) for (const a of r.final_answer as string[]) answers.push(String(a));
  const out: Item[] = [];
  answers.forEach((a, i) => {
    if (i % 8 !== 0) return;
    out.push({ gold: a, pred: `Checking every case, we are done.\nThe final answer is ${a.includes("$") ? a : `$${a}$`}. I hope it is correct.`, expected: true });
    const m = /\d(?=\D*$)/.exec(a);
    if (m) out.push({ gold: a, pred: `So the answer is $\\boxed{${a.slice(0, m.index)}${Number(m[0]) === 9 ? 8 : Number(m[0]) + 1}${a.slice(m.index + 1)}}$.`, expected: false });
  });
  return out;
}

function pathological(): Item[] {
  const r = (s: string, n: number) => s.repeat(n);
  const preds = [
    "9".repeat(19_999), "0." + "3".repeat(19_000) + "\\overline{3}", r("\\boxed{", 2800), r("{", 19_000), r("(", 19_000),
    r("\\sqrt{", 3000) + "2" + r("}", 3000), r("\\frac{1}{", 2000) + "1" + r("}", 2000), "10^{10^{10}}", "100000!", r("1+", 9_999) + "1",
    r("x", 19_000), "\\{" + Array.from({ length: 3000 }, (_, i) => i).join(",") + "\\}", r("the answer is ", 1400), r("$1$ ", 4000),
    r("\\pm 1", 500), r("(0,1)\\cup", 1000) + "(0,1)", r("1<", 2000) + "x", r("x=", 3000) + "1", r("lorem ipsum 12 dolor ", 100_000),
    "\\boxed{" + r(" x", 100_000) + " 7", r("√π∞≤≥×÷·²³°", 1800), r("1,2;", 4000), r("0.1\\overline{3}+", 1000) + "1", r("\\\\frac", 3000),
  ];
  return preds.map((pred) => ({ gold: "7", pred, expected: false }));
}

const BENCHES: Bench[] = [
  { name: "families", items: CASES.map(({ gold, pred, expected }) => ({ gold, pred, expected })), bare: true, peer: true },
  { name: "qwen-bare", items: qwen(false), bare: true, peer: true },
  { name: "qwen-full", items: qwen(true), bare: false, peer: true },
  { name: "qwen-full/np", items: qwen(true), bare: false, peer: false, freshGold: true, peerOf: "qwen-full" },
  { name: "golds", items: golds(), bare: false, peer: true },
  { name: "pathological", items: pathological(), bare: false, peer: false },
];

interface Stats {
  agree: number;
  /** Checks per wall-clock second. */
  perSec: number;
  /** Checks per CPU-second of this process (less sensitive to the other jobs on a shared machine). */
  perCpuSec: number;
  p50: number;
  p99: number;
  max: number;
  overBudget: number;
  /** Per-check wall latencies of this pass, in input order. */
  lat: Float64Array;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * One timed pass: the set `reps` times over (a pass over 800 short checks lasts a few milliseconds, less than one
 * garbage collection or background compile, which would then decide the figure). Each check's latency is its
 * median over the repetitions; the verdicts of the first repetition are counted.
 */
function trimerPass(items: Item[], reps: number, freshGold = false): Stats {
  const lat = new Float64Array(items.length);
  const rep = new Float64Array(reps);
  const times = Array.from({ length: items.length }, () => new Float64Array(reps));
  let agree = 0;
  let overBudget = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const t = performance.now();
      const v = freshGold ? verifyPrepared(prepareGold(it.gold), it.pred) : verify(it.gold, it.pred);
      const dt = performance.now() - t;
      times[i]![r] = dt;
      if (r === 0 && v.equal === it.expected) agree++;
      if (dt > 1000) overBudget++;
    }
  }
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (let i = 0; i < items.length; i++) {
    rep.set(times[i]!);
    rep.sort();
    lat[i] = rep[reps >> 1]!;
  }
  const sorted = Float64Array.from(lat).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const n = items.length * reps;
  return { agree: agree / items.length, perSec: (n / total) * 1000, perCpuSec: (n / ((cpu.user + cpu.system) / 1000)) * 1000, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1]!, overBudget, lat };
}

/**
 * Warm-up before timing: at least this many passes and at least WARMUP_CPU_MS of CPU time on the set. V8 compiles
 * the verifier's functions with its optimizing compiler only after thousands of checks; the figures are the steady
 * state a grader or GRPO run is in after its first seconds (the first pass's rate is printed beside them).
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const WARMUP_CPU_MS = Number(process.env.BENCH_WARMUP_CPU_MS ?? 2000);
/** Each timed pass repeats its set until it lasts about this much CPU time. */
const PASS_CPU_MS = Number(process.env.BENCH_PASS_CPU_MS ?? 300);

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function trimerRun(items: Item[], passes: number, freshGold = false): { runs: Stats[]; firstPerCpuSec: number } {
  let first = 0;
  let spent = 0;
  let last = 0;
  for (let w = 0; w < WARMUP || spent < WARMUP_CPU_MS; w++) {
    last = cpuMs(() => trimerPass(items, 1, freshGold));
    if (w === 0) first = last;
    spent += last;
  }
  const reps = Math.max(1, Math.ceil(PASS_CPU_MS / Math.max(last, 0.01)));
  return { runs: Array.from({ length: passes }, () => trimerPass(items, reps, freshGold)), firstPerCpuSec: (items.length / first) * 1000 };
}

/** Medians over passes; latency quantiles over each check's median latency (a preempted pass does not count). */
function combine(runs: Stats[]): Stats {
  const n = runs[0]!.lat.length;
  const perItem = new Float64Array(n);
  for (let i = 0; i < n; i++) perItem[i] = median(runs.map((r) => r.lat[i]!));
  perItem.sort();
  const q = (p: number) => perItem[Math.min(n - 1, Math.floor(p * n))]!;
  return {
    agree: runs[0]!.agree,
    perSec: median(runs.map((s) => s.perSec)),
    perCpuSec: median(runs.map((s) => s.perCpuSec)),
    p50: q(0.5),
    p99: q(0.99),
    max: Math.max(...runs.map((s) => s.max)),
    overBudget: Math.max(...runs.map((s) => s.overBudget)),
    lat: perItem,
  };
}

function peerRoot(): string | null {
  for (const d of [process.env.MV_ROOT, join(process.env.TMPDIR ?? "/tmp", "mv"), "/tmp/mv"]) {
    if (d && existsSync(join(d, "Math-Verify", "src", "math_verify"))) return d;
  }
  return null;
}

interface PeerStats {
  agree: number;
  perSec: number;
  perCpuSec: number;
  p50: number;
  p99: number;
  errors: number;
}

const PEER_HARNESS = new URL("./peer.py", import.meta.url).pathname;

function peerRun(root: string, b: Bench, dir: string): PeerStats | null {
  const inFile = join(dir, `${b.name}.jsonl`);
  const outFile = join(dir, `${b.name}.out.jsonl`);
  writeFileSync(inFile, b.items.map((it) => JSON.stringify({ gold: it.gold, pred: it.pred })).join("\n") + "\n");
  const r = spawnSync("/usr/bin/python3", [PEER_HARNESS, root, inFile, outFile, ...(b.bare ? ["--wrap-bare"] : [])], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    console.log(`  peer failed on ${b.name}: ${(r.stderr || "").trim().split("\n").pop()}`);
    return null;
  }
  const res = readFileSync(outFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { equal: boolean | null; wall: number; cpu: number });
  let agree = 0;
  let errors = 0;
  res.forEach((v, i) => {
    if ((v.equal === true) === b.items[i]!.expected) agree++;
    if (v.equal === null) errors++;
  });
  const wall = res.map((x) => x.wall * 1000).sort((a, c) => a - c);
  const q = (p: number) => wall[Math.min(wall.length - 1, Math.floor(p * wall.length))]!;
  const sum = (xs: number[]) => xs.reduce((a, c) => a + c, 0);
  return { agree: agree / b.items.length, perSec: (res.length / sum(wall)) * 1000, perCpuSec: res.length / sum(res.map((x) => x.cpu)), p50: q(0.5), p99: q(0.99), errors };
}

const root = peerRoot();
console.log(`trimer verifier vs ${root ? `Math-Verify 0.8 (${root})` : "— (Math-Verify not set up: see ../shared/peers/README.md; trimer alone)"}`);
console.log(`one thread / one process each; ${PASSES} timed trimer passes of >= ${PASS_CPU_MS} ms CPU each (the set repeated), after >= ${WARMUP} warm-up`);
console.log(`passes and >= ${WARMUP_CPU_MS} ms CPU, before and after the peer (medians; trimer's latency quantiles over each check's median`);
console.log(`latency), the peer once; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (shared machine)\n`);
const dir = mkdtempSync(join(tmpdir(), "trimer-bench-verify-"));
const rows: string[] = [];
const pad = (s: string | number, n: number) => String(s).padStart(n);
rows.push(`${"set".padEnd(13)}${pad("n", 6)}  ${pad("agreement", 9)} ${pad("peer", 6)}   ${pad("checks/CPU-s", 12)} ${pad("peer", 6)} ${pad("ratio", 6)}   ${pad("checks/s", 8)} ${pad("peer", 6)} ${pad("ratio", 6)}   ${pad("p50 ms", 7)} ${pad("peer", 7)}   ${pad("p99 ms", 7)} ${pad("peer", 7)}   ${pad("max ms", 7)} ${pad(">1 s", 4)}`);
let allN = 0, allT = 0, allP = 0, peerN = 0, peerT = 0;
const firstRates: string[] = [];
const peerStats = new Map<string, PeerStats>();
try {
  for (const b of BENCHES) {
    const before = trimerRun(b.items, Math.ceil(PASSES / 2), b.freshGold);
    const peer = b.peerOf !== undefined ? peerStats.get(b.peerOf) ?? null : root && b.peer ? peerRun(root, b, dir) : null;
    if (peer) peerStats.set(b.name, peer);
    const after = trimerRun(b.items, Math.floor(PASSES / 2) || 1, b.freshGold);
    const t = combine([...before.runs, ...after.runs]);
    firstRates.push(`${b.name} ${before.firstPerCpuSec.toFixed(0)}${peer ? ` (${(before.firstPerCpuSec / peer.perCpuSec).toFixed(0)}x)` : ""}`);
    if (b.peerOf === undefined) {
      allN += b.items.length;
      allT += t.agree * b.items.length;
    }
    if (peer && b.peerOf === undefined) {
      allP += peer.agree * b.items.length;
      peerT += t.agree * b.items.length;
      peerN += b.items.length;
    }
    const f = (x: number | undefined, d: number) => (x === undefined ? "-" : x.toFixed(d));
    const ratio = (a: number, c: number | undefined) => (c ? `${(a / c).toFixed(0)}x` : "-");
    rows.push(
      `${b.name.padEnd(13)}${pad(b.items.length, 6)}  ${pad(f(t.agree, 3), 9)} ${pad(f(peer?.agree, 3), 6)}   ${pad(f(t.perCpuSec, 0), 12)} ${pad(f(peer?.perCpuSec, 0), 6)} ${pad(ratio(t.perCpuSec, peer?.perCpuSec), 6)}   ${pad(f(t.perSec, 0), 8)} ${pad(f(peer?.perSec, 0), 6)} ${pad(ratio(t.perSec, peer?.perSec), 6)}   ${pad(f(t.p50, 4), 7)} ${pad(f(peer?.p50, 2), 7)}   ${pad(f(t.p99, 3), 7)} ${pad(f(peer?.p99, 1), 7)}   ${pad(f(t.max, 1), 7)} ${pad(t.overBudget, 4)}`,
    );
    console.log(rows[rows.length - 1]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\n${rows.join("\n")}`);
console.log(`\ntrimer's checks/CPU-s on its first (cold) pass over each set, before warm-up: ${firstRates.join(", ")}`);
console.log(`\nagreement with the expected verdict, all sets: trimer ${(allT / allN).toFixed(3)} (n=${allN})`);
if (peerN) console.log(`on the ${peerN} inputs both ran: trimer ${(peerT / peerN).toFixed(3)}, Math-Verify ${(allP / peerN).toFixed(3)}`);

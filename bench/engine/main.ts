// `npm run bench engine -- --configs=A,B --steps=10 --threads=2 --repeat=3 [--no-torch]` (or node --import tsx bench/engine/main.ts ...)
// trimer's embedded engine vs PyTorch running the reference (../shared/reference/torch_llama.py, unchanged) on its
// standard configs A, B, C, measured the same way and in the same invocation. The reference peer is torch 2.x from
// the local package mirror, installed on demand into a scratch venv (bench/common/peer-python.ts); Debian's torch
// 1.13 (/usr/bin/python3) is a second column when it is installed.
//   training tokens/s = batch * ctx / median step time (forward + backward + AdamW; 3 warm-up steps, then --steps)
//   sampling tokens/s = sbatch * 128 / median time to sample 128 new tokens after a 32-token prompt (KV cache,
//                       multinomial at temperature 1; one warm-up, then the median of 3)
//   peak memory = the process's RSS high-water mark (each config runs in its own process, for every engine).
//   matmul peak = the best of trimer's SGEMM and torch's matmul on 1024^3 (median of 5), measured in each process;
//   each figure's share of peak counts the matmul FLOPs it does (linear layers and the attention products, x3 for
//   training: forward + the two backward products) at the measured tokens/s.
// Goals (issue 17): training >= 1.3x torch 2.x on A and B with lower peak memory; sampling >= 3x on A, >= 2x on B
// and >= 50% of the matmul peak on B; C is reported.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Transformer, packRows } from "../../src/model/transformer.js";
import { tokenLoss } from "../../src/model/losses.js";
import { adamwStep, newAdamWState } from "../../src/model/optim.js";
import { sampleTokens } from "../../src/model/sample.js";
import { kernels } from "../../src/model/kernels.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { Datum } from "../../src/engine/types.js";
import { createRng } from "../../src/util/rng.js";
import { peerEnv, peerPython } from "../common/peer-python.js";

// Exactly the reference's CONFIGS (vocab, d_model, layers, heads, kv heads, MLP hidden, context, batch, sample batch).
const CONFIGS = {
  A: { vocab: 96, d: 128, L: 4, H: 4, KV: 4, hidden: 512, ctx: 128, batch: 32, sbatch: 32 },
  B: { vocab: 96, d: 256, L: 6, H: 8, KV: 8, hidden: 1024, ctx: 256, batch: 16, sbatch: 32 },
  C: { vocab: 32000, d: 512, L: 8, H: 8, KV: 8, hidden: 1408, ctx: 512, batch: 8, sbatch: 8 },
} as const;
type Name = keyof typeof CONFIGS;
const SAMPLE_PROMPT = 32, SAMPLE_NEW = 128;
const GOALS: Record<Name, { train?: number; sample?: number; samplePeak?: number }> = {
  A: { train: 1.3, sample: 3 }, B: { train: 1.3, sample: 2, samplePeak: 0.5 }, C: {},
};
const REFERENCE = fileURLToPath(new URL("../../../shared/reference/torch_llama.py", import.meta.url));

interface Result { train: number; sample: number; peakMB: number; stepMs?: number; params?: number; engine: string; matmul: number }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Matmul FLOPs per token: linear layers plus the attention products (causal: a token at t reads t + 1 keys). */
function flopsPerToken(name: Name, mode: "train" | "sample"): number {
  const c = CONFIGS[name];
  const kvd = (c.d / c.H) * c.KV;
  const linear = 2 * (c.L * (2 * c.d * c.d + 2 * c.d * kvd + 3 * c.d * c.hidden) + c.d * c.vocab);
  // Mean keys read per token: (ctx + 1) / 2 in training; prompt + (new + 1) / 2 when sampling.
  const keys = mode === "train" ? (c.ctx + 1) / 2 : SAMPLE_PROMPT + (SAMPLE_NEW + 1) / 2;
  const attn = 2 * 2 * c.L * c.d * keys;
  return mode === "train" ? 3 * (linear + attn) : linear + attn;
}

function parseArgs(argv: string[]): { configs: Name[]; steps: number; threads: number; repeat: number; torch: boolean; child?: Name } {
  // Both --flag=value and --flag value (npm run bench passes only dash-arguments through: use --configs=A,B there).
  const get = (flag: string) => {
    const eq = argv.find((a) => a.startsWith(flag + "="));
    if (eq) return eq.slice(flag.length + 1);
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const configs = (get("--configs") ?? "A,B,C").split(",").map((s) => s.trim().toUpperCase());
  for (const c of configs) if (!(c in CONFIGS)) throw new Error(`--configs: unknown config "${c}" (have A, B, C)`);
  const steps = Number(get("--steps") ?? 10), threads = Number(get("--threads") ?? 2), repeat = Number(get("--repeat") ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error("--repeat must be a positive integer");
  if (!Number.isInteger(steps) || steps < 1) throw new Error("--steps must be a positive integer");
  if (!Number.isInteger(threads) || threads < 1) throw new Error("--threads must be a positive integer");
  const child = get("--child") as Name | undefined;
  return { configs: configs as Name[], steps, threads, repeat, torch: !argv.includes("--no-torch"), child };
}

/** trimer's SGEMM on 1024^3 (the reference's matmul measurement): median of 5 after one warm-up. */
function trimerMatmulGflops(): number {
  const n = 1024, A = new Float32Array(n * n).fill(0.5), B = new Float32Array(n * n).fill(0.25), C = new Float32Array(n * n);
  const k = kernels();
  k.gemm(false, false, n, n, n, A, n, B, n, C, n, false);
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    k.gemm(false, false, n, n, n, A, n, B, n, C, n, false);
    ts.push(performance.now() - t0);
  }
  return (2 * n ** 3) / (median(ts) / 1000) / 1e9;
}

// ------------------------------------------------------------------------------------------------ trimer, one config
function runTrimer(name: Name, steps: number, threads: number): Result {
  const c = CONFIGS[name];
  kernels().setThreads(threads);
  const matmul = trimerMatmulGflops();
  const config: ModelConfig = {
    vocab_size: c.vocab, hidden_size: c.d, num_hidden_layers: c.L, num_attention_heads: c.H, num_key_value_heads: c.KV,
    intermediate_size: c.hidden, max_position_embeddings: c.ctx + SAMPLE_NEW + SAMPLE_PROMPT, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: false,
  };
  const model = Transformer.init(config, 0);
  const rng = createRng(0);
  const rows = Array.from({ length: c.batch }, () => Array.from({ length: c.ctx }, () => rng.int(0, c.vocab - 1)));
  const batch: Datum[] = rows.map((tokens) => ({ tokens, weights: new Array(c.ctx - 1).fill(1) }));
  const adam = newAdamWState(config);
  const V = c.vocab;
  const step = () => {
    const st = model.forwardPacked(packRows(rows, V), { keep: true, head: true });
    const out = tokenLoss({ type: "cross_entropy" }, batch, st.rowLogits.map((l) => l.subarray(0, (c.ctx - 1) * V)), V, { inPlace: true });
    model.backward(st, out.dlogits);
    adamwStep(model.parameters(), model.gradients(), adam, { lr: 3e-4, weightDecay: 0.1 });
  };
  for (let i = 0; i < 3; i++) step();
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ts.push(performance.now() - t0);
  }
  const prompts = Array.from({ length: c.sbatch }, () => Array.from({ length: SAMPLE_PROMPT }, () => rng.int(0, c.vocab - 1)));
  const gen = (seed: number) => sampleTokens(model, prompts, { maxTokens: SAMPLE_NEW, temperature: 1, seed });
  gen(0);
  const gs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const out = gen(i + 1);
    gs.push(performance.now() - t0);
    if (out.some((o) => o.tokens.length !== SAMPLE_NEW)) throw new Error("sampling stopped early");
  }
  return {
    engine: `trimer (${kernels().name} kernels)`,
    train: (c.batch * c.ctx) / (median(ts) / 1000),
    sample: (c.sbatch * SAMPLE_NEW) / (median(gs) / 1000),
    peakMB: process.resourceUsage().maxRSS / 1024,
    stepMs: median(ts),
    params: model.numParameters(),
    matmul,
  };
}

// ------------------------------------------------------------------------------------------------ torch, one config
interface Peer { label: string; python: string; env: NodeJS.ProcessEnv; flags: string[] }

/** The torch peers present: torch 2.x in the scratch venv (installed on demand), then Debian's torch 1.13. */
function torchPeers(): { peers: Peer[]; notes: string[] } {
  const peers: Peer[] = [], notes: string[] = [];
  if (!existsSync(REFERENCE)) return { peers, notes: [`${REFERENCE} not found`] };
  const venv = peerPython(["torch"], ["torch"]);
  // The reference refuses to run when its 1024^3 matmul is under 20 GFLOP/s, a guard against Debian's torch on the
  // reference BLAS; torch 2.x wheels bundle their own BLAS, and on a loaded machine the guard misfires, so it is off.
  if ("python" in venv) peers.push({ label: "torch 2.x", python: venv.python, env: peerEnv(), flags: ["--allow-slow-blas"] });
  else notes.push(`torch 2.x: ${venv.error}`);
  if (existsSync("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" }).status === 0) {
    peers.push({ label: "Debian torch", python: "/usr/bin/python3", env: peerEnv(), flags: [] });
  } else notes.push("Debian's torch 1.13 is not installed for /usr/bin/python3 (second column skipped)");
  return { peers, notes };
}

function runTorch(peer: Peer, name: Name, steps: number, threads: number): Result | string {
  // Runs the reference's own `bench --json` in a wrapper that reports the process's peak RSS afterwards.
  const wrapper = [
    "import runpy, sys, resource, json",
    `sys.argv = ["torch_llama.py", "bench", "--json", "--configs", ${JSON.stringify(name)}, "--threads", "${threads}", "--steps", "${steps}"] + ${JSON.stringify(peer.flags)}`,
    `runpy.run_path(${JSON.stringify(REFERENCE)}, run_name="__main__")`,
    "print(json.dumps({'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))",
  ].join("\n");
  const r = spawnSync(peer.python, ["-c", wrapper], { encoding: "utf8", env: peer.env, maxBuffer: 1 << 20, timeout: 30 * 60 * 1000 });
  if (r.status !== 0) return `reference failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ")}`;
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | string>);
  const res = lines.find((l) => l.config === name);
  const mem = lines.find((l) => "maxrss_kb" in l);
  if (!res) return `reference printed no result: ${r.stdout.slice(0, 200)}`;
  return { engine: String(res.engine), train: Number(res.train_tokens_per_s), sample: Number(res.sample_tokens_per_s), peakMB: Number(mem?.maxrss_kb ?? 0) / 1024,
    stepMs: Number((res.train_step_ms as unknown as { median: number })?.median ?? NaN), params: Number(res.params), matmul: Number(res.matmul_gflops) };
}

// ------------------------------------------------------------------------------------------------ report
const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "-");
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : "-");
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : "-");

function summarise(rs: Result[]): Result {
  const med = (k: "train" | "sample" | "matmul") => median(rs.map((x) => x[k]));
  return { engine: rs[0]!.engine, train: med("train"), sample: med("sample"), matmul: med("matmul"), peakMB: Math.max(...rs.map((x) => x.peakMB)),
    stepMs: median(rs.map((x) => x.stepMs ?? NaN)), params: rs[0]!.params };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    console.log(JSON.stringify(runTrimer(args.child, args.steps, args.threads)));
    return;
  }
  const { peers, notes } = args.torch ? torchPeers() : { peers: [], notes: ["--no-torch"] };
  const load = loadavg()[0]!.toFixed(2);
  console.log(`trimer engine benchmark: configs ${args.configs.join(",")}, ${args.steps} timed training steps, ${args.threads} threads, ${args.repeat} run(s) per engine, alternating (medians), kernels: ${kernels().name}, load average at start ${load}`);
  for (const n of notes) console.log(`NOTICE: ${n}`);
  if (!peers.length) console.log("NOTICE: no torch peer: trimer's figures only, no ratios.");
  const rowsOut: string[][] = [];
  const header = ["config", "what", "trimer", ...peers.flatMap((p) => [p.label, "ratio"]), "goal", "trimer % of peak", ...peers.map((p) => `${p.label} % of peak`)];
  let failedGoal = false, unmeasured = false;
  const peaks: number[] = [];
  for (const name of args.configs) {
    // Each engine and config in its own process: peak RSS is then per config, and no engine warms another's caches.
    // With --repeat N the engines alternate N times and the medians are compared: this machine is shared, and one
    // run of either engine can land in a burst of someone else's load.
    const ts: Result[] = [];
    const ps: Result[][] = peers.map(() => []);
    const failed: string[] = peers.map(() => "");
    for (let rep = 0; rep < args.repeat; rep++) {
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", name, "--steps", String(args.steps), "--threads", String(args.threads)],
        { encoding: "utf8", maxBuffer: 1 << 20, stdio: ["ignore", "pipe", "inherit"] });
      if (r.status !== 0) throw new Error(`trimer benchmark for ${name} failed`);
      ts.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Result);
      peers.forEach((peer, i) => {
        if (failed[i]) return;
        const p = runTorch(peer, name, args.steps, args.threads);
        if (typeof p === "string") failed[i] = p;
        else ps[i]!.push(p);
      });
    }
    failed.forEach((f, i) => { if (f) console.log(`NOTICE: ${name}: ${peers[i]!.label}: ${f}`); });
    const t = summarise(ts);
    const p = ps.map((rs) => (rs.length ? summarise(rs) : null));
    // The machine's matmul peak: the best 1024^3 matmul any engine measured in this config's processes.
    const peak = Math.max(t.matmul, ...p.map((x) => x?.matmul ?? 0));
    peaks.push(peak);
    const g = GOALS[name];
    const ref = p[0];
    for (const what of ["train", "sample"] as const) {
      const flops = flopsPerToken(name, what);
      const share = (x: Result | null) => (x ? (x[what] * flops) / 1e9 / peak : NaN);
      const goal = g[what];
      const r = ref ? t[what] / ref[what] : NaN;
      let goalText = goal ? `>= ${goal}x vs ${peers[0]?.label ?? "torch"}: ${Number.isFinite(r) ? (r >= goal ? "met" : "MISSED") : "not measured"}` : "report";
      if (goal && Number.isFinite(r) && r < goal) failedGoal = true;
      if (goal && !Number.isFinite(r)) unmeasured = true;
      if (what === "sample" && g.samplePeak) {
        const ok = share(t) >= g.samplePeak;
        goalText += `; >= ${pct(g.samplePeak)} of peak: ${ok ? "met" : "MISSED"}`;
        if (!ok) failedGoal = true;
      }
      if (what === "train" && goal && ref) {
        const lower = t.peakMB < ref.peakMB;
        goalText += `; peak MB ${fmt(t.peakMB)} vs ${fmt(ref.peakMB)}: ${lower ? "met" : "MISSED"}`;
        if (!lower) failedGoal = true;
      }
      rowsOut.push([name, what, fmt(t[what]), ...p.flatMap((x) => [x ? fmt(x[what]) : "-", x ? ratio(t[what], x[what]) : "-"]), goalText, pct(share(t)), ...p.map((x) => pct(share(x)))]);
      // As soon as measured too (a long run stopped part-way still leaves its figures).
      console.log(`   ${header.map((h, i) => `${h}: ${rowsOut.at(-1)![i]}`).join(", ")}`);
    }
    console.log(`${name}: trimer ${fmt(t.params ?? 0)} params, step ${t.stepMs?.toFixed(0)} ms, peak ${fmt(t.peakMB)} MB (${t.engine})` +
      p.map((x, i) => (x ? `; ${x.engine} step ${x.stepMs?.toFixed(0)} ms, peak ${fmt(x.peakMB)} MB` : `; ${peers[i]!.label}: -`)).join("") +
      `; matmul 1024^3 GFLOP/s: trimer ${t.matmul.toFixed(0)}` + p.map((x, i) => (x ? `, ${peers[i]!.label} ${x.matmul.toFixed(0)}` : "")).join(""));
    if (args.repeat > 1) {
      const list = (rs: Result[], k: "train" | "sample") => rs.map((x) => fmt(x[k])).join(" / ");
      console.log(`   runs: trimer train ${list(ts, "train")}, sample ${list(ts, "sample")}` + ps.map((rs, i) => (rs.length ? `; ${peers[i]!.label} train ${list(rs, "train")}, sample ${list(rs, "sample")}` : "")).join(""));
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 || i === 3 + 2 * peers.length ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\ntokens/s (higher is better); matmul peak (best 1024^3 SGEMM measured, per config): ${peaks.map((x) => x.toFixed(0)).join(" / ")} GFLOP/s`);
  console.log(line(header));
  for (const r of rowsOut) console.log(line(r));
  // A ratio goal without its peer (--no-torch, or torch failed to install) is not met: say so rather than "all met".
  console.log(failedGoal ? "\nSome goals were missed (see MISSED)." : unmeasured ? "\nNo goal was missed, but some were not measured (no peer)." : "\nAll goals met.");
  console.log(`load average at the end ${loadavg()[0]!.toFixed(2)} (2 cores: anything above ~0.5 means other processes shared the machine)`);
}

main();

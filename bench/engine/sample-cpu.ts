// `node --import tsx bench/engine/sample-cpu.ts [--configs=A,B] [--threads=1] [--rounds=3]`: the sampling half of
// `npm run bench engine` (32 prompts of 32 tokens, 128 new tokens each, multinomial at temperature 1; the reference's
// own forward with its KV cache on the torch side) timed by the process's CPU time instead of the wall clock, each
// engine in its own process, alternating which goes first. On a shared machine the wall clock mostly measures the
// other jobs; CPU time at one thread each measures the work (with 2 threads, torch's OpenMP workers spin while they
// wait, and that counts as CPU time too, so compare at --threads=1 under load). Also prints each side's GFLOP per
// CPU-second over its own 1024^3 matmul measured the same way (the "% of peak" of `bench engine`, per thread).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Transformer } from "../../src/model/transformer.js";
import { sampleTokens } from "../../src/model/sample.js";
import { kernels } from "../../src/model/kernels.js";
import type { ModelConfig } from "../../src/model/config.js";
import { createRng } from "../../src/util/rng.js";
import { peerEnv, peerPython } from "../common/peer-python.js";

const CONFIGS = {
  A: { vocab: 96, d: 128, L: 4, H: 4, KV: 4, hidden: 512, sbatch: 32 },
  B: { vocab: 96, d: 256, L: 6, H: 8, KV: 8, hidden: 1024, sbatch: 32 },
} as const;
type Name = keyof typeof CONFIGS;
const PROMPT = 32, NEW = 128, REPS = 3;
const REFERENCE = fileURLToPath(new URL("../../../shared/reference/torch_llama.py", import.meta.url));

interface Side { cpuMs: number; wallMs: number; matmulCpuGflops: number }

const argv = process.argv.slice(2);
const get = (flag: string, d: string) => argv.find((a) => a.startsWith(flag + "="))?.slice(flag.length + 1) ?? d;
const threads = Number(get("--threads", "1")), rounds = Number(get("--rounds", "3"));
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/** Matmul FLOPs per sampled token, as bench/engine/main.ts counts them (linear layers + attention products). */
function flopsPerToken(name: Name): number {
  const c = CONFIGS[name], kvd = (c.d / c.H) * c.KV;
  return 2 * (c.L * (2 * c.d * c.d + 2 * c.d * kvd + 3 * c.d * c.hidden) + c.d * c.vocab) + 4 * c.L * c.d * (PROMPT + (NEW + 1) / 2);
}

function trimerChild(name: Name): Side {
  const c = CONFIGS[name];
  kernels().setThreads(threads);
  const n = 1024, A = new Float32Array(n * n).fill(0.5), B = new Float32Array(n * n).fill(0.25), C = new Float32Array(n * n);
  kernels().gemm(false, false, n, n, n, A, n, B, n, C, n, false);
  const mm: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = cpuMs(); kernels().gemm(false, false, n, n, n, A, n, B, n, C, n, false); mm.push(cpuMs() - t0); }
  const config: ModelConfig = {
    vocab_size: c.vocab, hidden_size: c.d, num_hidden_layers: c.L, num_attention_heads: c.H, num_key_value_heads: c.KV,
    intermediate_size: c.hidden, max_position_embeddings: PROMPT + NEW + 128, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
  };
  const model = Transformer.init(config, 0);
  const rng = createRng(0);
  const prompts = Array.from({ length: c.sbatch }, () => Array.from({ length: PROMPT }, () => rng.int(0, c.vocab - 1)));
  const gen = (seed: number) => sampleTokens(model, prompts, { maxTokens: NEW, temperature: 1, seed });
  gen(0);
  const cpu: number[] = [], wall: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const c0 = cpuMs(), w0 = performance.now();
    const out = gen(i + 1);
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - w0);
    if (out.some((o) => o.tokens.length !== NEW)) throw new Error("sampling stopped early");
  }
  return { cpuMs: median(cpu), wallMs: median(wall), matmulCpuGflops: (2 * n ** 3) / (median(mm) / 1000) / 1e9 };
}

function torchChild(python: string, name: Name): Side | string {
  // The reference's forward and init_params, the same generate loop as its bench (empty cache, prefill, 127 decode
  // steps, multinomial), timed with time.process_time (the whole process's CPU time).
  const c = CONFIGS[name];
  const py = [
    "import runpy, time, statistics, json, torch",
    `R = runpy.run_path(${JSON.stringify(REFERENCE)})`,
    `torch.set_num_threads(${threads})`,
    `cfg = ${JSON.stringify(c)}`,
    "c = dict(vocab_size=cfg['vocab'], hidden_size=cfg['d'], intermediate_size=cfg['hidden'], num_hidden_layers=cfg['L'], num_attention_heads=cfg['H'], num_key_value_heads=cfg['KV'], rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)",
    "torch.manual_seed(0)",
    "P = R['init_params'](c)",
    `SB, hd, PROMPT, NEW = cfg['sbatch'], cfg['d'] // cfg['H'], ${PROMPT}, ${NEW}`,
    "prompt = torch.randint(0, cfg['vocab'], (SB, PROMPT))",
    "@torch.no_grad()",
    "def generate():",
    "    cache = [[torch.empty(SB, cfg['KV'], PROMPT + NEW, hd), torch.empty(SB, cfg['KV'], PROMPT + NEW, hd)] for _ in range(cfg['L'])]",
    "    logits = R['forward'](P, c, prompt, cache, 0)[:, -1]",
    "    pos = PROMPT",
    "    for i in range(NEW):",
    "        nxt = torch.multinomial(torch.softmax(logits, -1), 1)",
    "        if i == NEW - 1: break",
    "        logits = R['forward'](P, c, nxt, cache, pos)[:, -1]",
    "        pos += 1",
    "x, y = torch.randn(1024, 1024), torch.randn(1024, 1024)",
    "x @ y",
    "mm = []",
    "for _ in range(5):",
    "    t0 = time.process_time(); x @ y; mm.append(time.process_time() - t0)",
    "generate()",
    "cpu, wall = [], []",
    `for _ in range(${REPS}):`,
    "    c0, w0 = time.process_time(), time.perf_counter(); generate(); cpu.append(time.process_time() - c0); wall.append(time.perf_counter() - w0)",
    "print(json.dumps(dict(cpuMs=statistics.median(cpu) * 1e3, wallMs=statistics.median(wall) * 1e3, matmulCpuGflops=2 * 1024 ** 3 / statistics.median(mm) / 1e9)))",
  ].join("\n");
  const r = spawnSync(python, ["-c", py], { encoding: "utf8", env: peerEnv(), maxBuffer: 1 << 20, timeout: 20 * 60 * 1000 });
  if (r.status !== 0) return `torch failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ")}`;
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Side;
}

function main(): void {
  const child = get("--child", "");
  if (child) {
    console.log(JSON.stringify(trimerChild(child as Name)));
    return;
  }
  const names = get("--configs", "A,B").split(",").map((s) => s.trim().toUpperCase()) as Name[];
  for (const n of names) if (!(n in CONFIGS)) throw new Error(`--configs: unknown config "${n}" (have A, B)`);
  if (!(Number.isInteger(threads) && threads >= 1) || !(Number.isInteger(rounds) && rounds >= 1)) throw new Error("--threads and --rounds must be positive integers");
  if (!existsSync(REFERENCE)) throw new Error(`${REFERENCE} not found`);
  const venv = peerPython(["torch"], ["torch"]);
  console.log(`sampling by CPU time: configs ${names.join(",")}, ${threads} thread(s), ${rounds} round(s) alternating, ${CONFIGS.A.sbatch} x ${NEW} new tokens per run, load average ${loadavg()[0]!.toFixed(2)}`);
  if (!("python" in venv)) console.log(`NOTICE: torch 2.x: ${venv.error} (trimer only)`);
  for (const name of names) {
    const ts: Side[] = [], ps: Side[] = [];
    for (let r = 0; r < rounds; r++) {
      const runT = () => {
        const out = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--child=${name}`, `--threads=${threads}`], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        if (out.status !== 0) throw new Error(`trimer child for ${name} failed`);
        ts.push(JSON.parse(out.stdout.trim().split("\n").at(-1)!) as Side);
      };
      const runP = () => {
        if (!("python" in venv)) return;
        const p = torchChild(venv.python, name);
        if (typeof p === "string") console.log(`NOTICE: ${name}: ${p}`);
        else ps.push(p);
      };
      if (r % 2 === 0) { runT(); runP(); } else { runP(); runT(); }
    }
    const toks = CONFIGS[name].sbatch * NEW, fl = flopsPerToken(name);
    const line = (label: string, xs: Side[]) => {
      const cpu = median(xs.map((x) => x.cpuMs)), peak = median(xs.map((x) => x.matmulCpuGflops));
      const gf = (toks * fl) / (cpu / 1000) / 1e9;
      return { cpu, text: `${label}: ${cpu.toFixed(0)} CPU-ms (${xs.map((x) => x.cpuMs.toFixed(0)).join(" / ")}), ${Math.round(toks / (cpu / 1000)).toLocaleString("en-US")} tok per CPU-s, ${gf.toFixed(1)} GFLOP per CPU-s = ${Math.round((100 * gf) / peak)}% of its 1024^3 matmul (${peak.toFixed(0)}); wall ${median(xs.map((x) => x.wallMs)).toFixed(0)} ms` };
    };
    const t = line("trimer", ts);
    console.log(`${name} ${t.text}`);
    if (ps.length) {
      const p = line("torch", ps);
      console.log(`${name} ${p.text}`);
      console.log(`${name} ratio (torch CPU / trimer CPU): ${(p.cpu / t.cpu).toFixed(2)}x`);
    }
  }
  console.log(`load average at the end ${loadavg()[0]!.toFixed(2)}`);
}

main();

// `node --import tsx bench/engine/train-cpu.ts [--configs=A,B] [--steps=5] [--rounds=3]`: the training figures of
// `npm run bench engine` by process CPU time, one thread per side, for a machine shared with other jobs. On a loaded
// machine the wall clock measures the load, and torch's OpenMP threads spin while they wait for each other (CPU
// time that is waiting, not work), so the engine bench's wall-clock ratio is only meaningful on a quiet machine;
// with one thread each and CPU time, the ratio is the two engines' work. The torch side runs the reference's own
// functions (../shared/reference/torch_llama.py: init_params, forward, next_token_loss, as its `bench` does, with
// torch.optim.AdamW) in the peer venv of bench/common/peer-python.ts; trimer's side is bench/engine/main.ts's step
// (packed forward, cross-entropy, backward, AdamW). Each side in its own process (peak RSS per side), 3 untimed
// steps then --steps timed ones, the sides alternating for --rounds rounds; medians of the per-round medians.
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Transformer, packRows } from "../../src/model/transformer.js";
import { tokenLoss } from "../../src/model/losses.js";
import { adamwStep, newAdamWState } from "../../src/model/optim.js";
import { kernels } from "../../src/model/kernels.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { Datum } from "../../src/engine/types.js";
import { createRng } from "../../src/util/rng.js";
import { peerEnv, peerPython } from "../common/peer-python.js";

const CONFIGS = {
  A: { vocab: 96, d: 128, L: 4, H: 4, KV: 4, hidden: 512, ctx: 128, batch: 32 },
  B: { vocab: 96, d: 256, L: 6, H: 8, KV: 8, hidden: 1024, ctx: 256, batch: 16 },
  C: { vocab: 32000, d: 512, L: 8, H: 8, KV: 8, hidden: 1408, ctx: 512, batch: 8 },
} as const;
type Name = keyof typeof CONFIGS;
const REFERENCE = fileURLToPath(new URL("../../../shared/reference/torch_llama.py", import.meta.url));
const argv = process.argv.slice(2);
const get = (flag: string, d: string) => argv.find((a) => a.startsWith(flag + "="))?.slice(flag.length + 1) ?? d;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
interface Side { cpuMs: number; wallMs: number; peakMB: number }

function trimerChild(name: Name, steps: number): Side {
  const c = CONFIGS[name];
  kernels().setThreads(1);
  const config: ModelConfig = {
    vocab_size: c.vocab, hidden_size: c.d, num_hidden_layers: c.L, num_attention_heads: c.H, num_key_value_heads: c.KV,
    intermediate_size: c.hidden, max_position_embeddings: c.ctx, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
  };
  const model = Transformer.init(config, 0);
  const rng = createRng(0);
  const rows = Array.from({ length: c.batch }, () => Array.from({ length: c.ctx }, () => rng.int(0, c.vocab - 1)));
  const batch: Datum[] = rows.map((tokens) => ({ tokens, weights: new Array(c.ctx - 1).fill(1) }));
  const adam = newAdamWState(config);
  const step = () => {
    const st = model.forwardPacked(packRows(rows, c.vocab), { keep: true, head: true });
    const out = tokenLoss({ type: "cross_entropy" }, batch, st.rowLogits.map((l) => l.subarray(0, (c.ctx - 1) * c.vocab)), c.vocab, { inPlace: true });
    model.backward(st, out.dlogits);
    adamwStep(model.parameters(), model.gradients(), adam, { lr: 3e-4, weightDecay: 0.1 });
  };
  for (let i = 0; i < 3; i++) step();
  const cpu: number[] = [], wall: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = cpuMs(), w0 = performance.now();
    step();
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - w0);
  }
  return { cpuMs: median(cpu), wallMs: median(wall), peakMB: process.resourceUsage().maxRSS / 1024 };
}

const TORCH = `
import runpy, time, statistics, json, resource, sys, torch
R = runpy.run_path(sys.argv[1])
torch.set_num_threads(1)
cfg, steps = json.loads(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
c = dict(vocab_size=cfg["vocab"], hidden_size=cfg["d"], intermediate_size=cfg["hidden"], num_hidden_layers=cfg["L"],
         num_attention_heads=cfg["H"], num_key_value_heads=cfg["KV"], rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
P = R["init_params"](c)
for t in P.values(): t.requires_grad_(True)
opt = torch.optim.AdamW(list(P.values()), lr=3e-4, weight_decay=0.1)
x = torch.randint(0, cfg["vocab"], (cfg["batch"], cfg["ctx"]))
def step():
    loss = R["next_token_loss"](R["forward"](P, c, x), x)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
for _ in range(3): step()
cpu, wall = [], []
for _ in range(steps):
    c0, w0 = time.process_time(), time.perf_counter(); step(); cpu.append(time.process_time() - c0); wall.append(time.perf_counter() - w0)
print(json.dumps(dict(cpuMs=statistics.median(cpu) * 1e3, wallMs=statistics.median(wall) * 1e3, peakMB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
`;

function main(): void {
  const child = get("--child", "");
  const steps = Number(get("--steps", "5"));
  if (child) {
    console.log(JSON.stringify(trimerChild(child as Name, steps)));
    return;
  }
  const configs = get("--configs", "A,B").split(",") as Name[];
  for (const n of configs) if (!(n in CONFIGS)) throw new Error(`--configs: unknown config ${n}`);
  const rounds = Number(get("--rounds", "3"));
  const venv = peerPython(["torch"], ["torch"]);
  if (!("python" in venv)) throw new Error(`torch peer: ${venv.error}`);
  console.log(`training step by CPU time, 1 thread each, ${steps} timed steps, ${rounds} alternating rounds; load average at start ${loadavg()[0]!.toFixed(1)}`);
  for (const name of configs) {
    const t: Side[] = [], p: Side[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--child=${name}`, `--steps=${steps}`], { encoding: "utf8" });
      if (a.status !== 0) throw new Error(`trimer ${name}: ${a.stderr}`);
      t.push(JSON.parse(a.stdout.trim().split("\n").at(-1)!) as Side);
      const b = spawnSync(venv.python, ["-c", TORCH, REFERENCE, JSON.stringify(CONFIGS[name]), String(steps)], { encoding: "utf8", env: peerEnv() });
      if (b.status !== 0) throw new Error(`torch ${name}: ${b.stderr.trim().split("\n").slice(-2).join(" ")}`);
      p.push(JSON.parse(b.stdout.trim().split("\n").at(-1)!) as Side);
    }
    const c = CONFIGS[name], tokens = c.batch * c.ctx;
    const tc = median(t.map((x) => x.cpuMs)), pc = median(p.map((x) => x.cpuMs));
    console.log(`${name}: trimer ${tc.toFixed(0)} CPU-ms/step (${Math.round(tokens / tc * 1000)} tok/CPU-s), torch ${pc.toFixed(0)} (${Math.round(tokens / pc * 1000)}): ` +
      `${(pc / tc).toFixed(2)}x by CPU time; wall ${median(t.map((x) => x.wallMs)).toFixed(0)} / ${median(p.map((x) => x.wallMs)).toFixed(0)} ms; ` +
      `peak MB ${Math.max(...t.map((x) => x.peakMB)).toFixed(0)} / ${Math.max(...p.map((x) => x.peakMB)).toFixed(0)}; ` +
      `rounds trimer ${t.map((x) => x.cpuMs.toFixed(0)).join(" / ")}, torch ${p.map((x) => x.cpuMs.toFixed(0)).join(" / ")}`);
  }
  console.log(`load average at the end ${loadavg()[0]!.toFixed(1)}`);
}

main();

// `node --import tsx bench/engine/profile-train.ts [--configs A,B,grpo] [--threads 1] [--steps 3] [--cpu]`: where
// one training step's time goes (forward, loss, backward, AdamW, and inside them every kernel call by kernel and
// GEMM shape), for the engine bench's configs A and B (cross-entropy on full rows) and the GRPO step's shape (the
// mini student, 128 rows of a ~26-token prompt with weight 0 plus a completion of 20-64 tokens, policy-gradient
// loss). Every kernel is timed through a wrapping kernel set; "JS" is a phase's time outside the kernels. `--cpu`
// times by process CPU time (steadier on a shared machine; with --threads 1 it is the one thread's work).
import { Transformer, packRows } from "../../src/model/transformer.js";
import { kernels, type Kernels } from "../../src/model/kernels.js";
import { tokenLoss, type TokenLossSpec } from "../../src/model/losses.js";
import { adamwStep, newAdamWState } from "../../src/model/optim.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { Datum } from "../../src/engine/types.js";
import { createRng } from "../../src/util/rng.js";

const argv = process.argv.slice(2);
const get = (f: string, d: string) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1]! : d; };
const threads = Number(get("--threads", "1"));
const which = get("--configs", "A,B,grpo").split(",");
const steps = Number(get("--steps", "3"));
const useCpu = argv.includes("--cpu");
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const now: () => number = useCpu ? cpuMs : () => performance.now();

interface Shape { V: number; d: number; L: number; H: number; KV: number; f: number; tied: boolean }
const SHAPES: Record<string, Shape> = {
  A: { V: 96, d: 128, L: 4, H: 4, KV: 4, f: 512, tied: false },
  B: { V: 96, d: 256, L: 6, H: 8, KV: 8, f: 1024, tied: false },
  grpo: { V: 377, d: 96, L: 4, H: 4, KV: 2, f: 256, tied: true },
};

/** The batch of one step: A/B as the engine bench (full rows, weight 1); grpo as one mini GRPO step. */
function batchFor(name: string, s: Shape): { data: Datum[]; loss: TokenLossSpec } {
  const rng = createRng(0);
  if (name === "A" || name === "B") {
    const [rows, ctx] = name === "A" ? [32, 128] : [16, 256];
    const data = Array.from({ length: rows }, () => {
      const tokens = Array.from({ length: ctx }, () => rng.int(0, s.V - 1));
      return { tokens, weights: new Array<number>(ctx - 1).fill(1) };
    });
    return { data, loss: { type: "cross_entropy" } };
  }
  const data: Datum[] = [];
  for (let p = 0; p < 16; p++) {
    const prompt = Array.from({ length: 20 + (p % 12) }, () => rng.int(0, 120));
    for (let g = 0; g < 8; g++) {
      const n = 20 + rng.int(0, 44);
      const tokens = [...prompt, ...Array.from({ length: n }, () => rng.int(0, 120))];
      const T = tokens.length - 1;
      const weights = Array.from({ length: T }, (_, t) => (t >= prompt.length - 1 ? 1 : 0));
      const adv = rng.next() - 0.5;
      data.push({ tokens, weights, advantages: new Array<number>(T).fill(adv), oldLogprobs: new Array<number>(T).fill(-5.5) });
    }
  }
  return { data, loss: { type: "policy_gradient", clip: 0.2, aggregation: "sequence", beta: 0 } };
}

function timed(base: Kernels, acc: Map<string, number>): Kernels {
  const wrap = <A extends unknown[], R>(name: string, fn: (...a: A) => R, key?: (...a: A) => string) => (...a: A): R => {
    const t0 = now();
    const r = fn(...a);
    const dt = now() - t0;
    const k = key ? key(...a) : name;
    acc.set(k, (acc.get(k) ?? 0) + dt);
    return r;
  };
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(base)) {
    if (typeof v !== "function" || k === "setThreads" || k === "packPanels") continue;
    if (k === "gemm") out[k] = wrap(k, v as Kernels["gemm"], (tA, tB, M, N, K) => `gemm ${tA ? "T" : "N"}${tB ? "T" : "N"} ${M}x${N}x${K}`);
    else out[k] = wrap(k, v as (...a: unknown[]) => unknown);
  }
  return out as unknown as Kernels;
}

kernels().setThreads(threads);
for (const name of which) {
  const s = SHAPES[name];
  if (!s) throw new Error(`unknown config ${name} (have ${Object.keys(SHAPES).join(", ")})`);
  const config: ModelConfig = {
    vocab_size: s.V, hidden_size: s.d, num_hidden_layers: s.L, num_attention_heads: s.H, num_key_value_heads: s.KV,
    intermediate_size: s.f, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: s.tied,
  };
  const acc = new Map<string, number>();
  const model = Transformer.init(config, 0, timed(kernels(), acc));
  const adam = newAdamWState(config);
  const { data, loss } = batchFor(name, s);
  const V = s.V;
  const phases = { forward: 0, loss: 0, backward: 0, adamw: 0 };
  const kernelIn = { forward: 0, loss: 0, backward: 0, adamw: 0 };
  const kernSum = () => [...acc.values()].reduce((a, b) => a + b, 0);
  const step = (record: boolean) => {
    const ph = (p: keyof typeof phases, f: () => void) => {
      const k0 = kernSum(), t0 = now();
      f();
      if (record) { phases[p] += now() - t0; kernelIn[p] += kernSum() - k0; }
    };
    let st!: ReturnType<Transformer["forwardPacked"]>;
    let out!: ReturnType<typeof tokenLoss>;
    ph("forward", () => { st = model.forwardPacked(packRows(data.map((d) => d.tokens), V), { keep: true, head: true }); });
    ph("loss", () => { out = tokenLoss(loss, data, st.rowLogits.map((l, i) => l.subarray(0, (data[i]!.tokens.length - 1) * V)), V, { inPlace: true }); });
    ph("backward", () => model.backward(st, out.dlogits));
    ph("adamw", () => { adamwStep(model.parameters(), model.gradients(), adam, { lr: 1e-4, weightDecay: 0.1 }); });
  };
  step(false);
  acc.clear();
  for (let i = 0; i < steps; i++) step(true);
  const N = data.reduce((a, d) => a + d.tokens.length, 0);
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  const ms = (x: number) => (x / steps).toFixed(1).padStart(8) + " ms";
  const pc = (x: number) => `${(100 * x / total).toFixed(1).padStart(5)}%`;
  console.log(`\n${name}: ${data.length} rows, ${N} tokens, ${ms(total)} per step (${useCpu ? "CPU" : "wall"}, ${threads} thread(s)), ` +
    `${(N / (total / steps) * 1000).toFixed(0)} tok/s`);
  for (const p of Object.keys(phases) as (keyof typeof phases)[]) {
    console.log(`  ${p.padEnd(10)} ${ms(phases[p])} ${pc(phases[p])}   (JS outside kernels ${ms(phases[p] - kernelIn[p])})`);
  }
  for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1])) console.log(`    ${k.padEnd(34)} ${ms(v)} ${pc(v)}`);
}

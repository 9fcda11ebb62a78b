// `node --import tsx bench/engine/profile-decode.ts [--config B] [--threads 2]`: where one KV-cache decode step's
// time goes, at batch 1, 8, 32 and at the GRPO shape (G 8 x 16 prompts = 128 rows) for configs A, B and the mini
// student. Every kernel call is timed through a wrapping kernel set (per kernel and per GEMM shape); "engine JS" is
// the step time not spent inside a kernel (embedding, cache writes, buffers, argument checks); sampling (pick +
// logprob, top-p 0.95) is timed separately on the step's logits. GFLOP/s counts the matmul FLOPs of the step.
// `--cpu` times with the process's CPU time instead of the wall clock: on a shared machine (other processes
// descheduling ours) the breakdown then stays meaningful; with --threads 1 it is the one thread's work.
import { Transformer } from "../../src/model/transformer.js";
import { kernels, type Kernels } from "../../src/model/kernels.js";
import { DecodeSession } from "../../src/model/sample.js";
import type { ModelConfig } from "../../src/model/config.js";

const argv = process.argv.slice(2);
const get = (f: string, d: string) => { const i = argv.indexOf(f); return i >= 0 ? argv[i + 1]! : d; };
const threads = Number(get("--threads", "2"));
const which = get("--configs", "A,B,mini").split(",");
const useCpu = argv.includes("--cpu");
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const now: () => number = useCpu ? cpuMs : () => performance.now();
const batches = get("--batches", "1,8,32,128").split(",").map(Number);

const SHAPES: Record<string, { V: number; d: number; L: number; H: number; KV: number; f: number }> = {
  A: { V: 96, d: 128, L: 4, H: 4, KV: 4, f: 512 },
  B: { V: 96, d: 256, L: 6, H: 8, KV: 8, f: 1024 },
  mini: { V: 377, d: 96, L: 4, H: 4, KV: 2, f: 256 },
  mini121: { V: 121, d: 96, L: 4, H: 4, KV: 2, f: 256 },
};

function timed(base: Kernels, acc: Map<string, number>): Kernels {
  const wrap = <A extends unknown[]>(name: string, fn: (...a: A) => void, key?: (...a: A) => string) => (...a: A) => {
    const t0 = now();
    fn(...a);
    const dt = now() - t0;
    const k = key ? key(...a) : name;
    acc.set(k, (acc.get(k) ?? 0) + dt);
  };
  return {
    name: base.name, gemmRowBlock: base.gemmRowBlock, setThreads: base.setThreads, panelWidth: base.panelWidth, packPanels: base.packPanels,
    gemmPanels: wrap("gemmPanels", base.gemmPanels, (M, N, K) => `gemm ${M}x${N}x${K}`),
    gemm: wrap("gemm", base.gemm, (_a, _b, M, N, K) => `gemm ${M}x${N}x${K}`),
    attnForward: wrap("attnForward", base.attnForward), attnBackward: wrap("attnBackward", base.attnBackward),
    attnDecode: wrap("attnDecode", base.attnDecode), cacheWrite: wrap("cacheWrite", base.cacheWrite), rmsNormForward: wrap("rmsNorm", base.rmsNormForward),
    rmsNormBackward: wrap("rmsNormBackward", base.rmsNormBackward), swigluForward: wrap("swiglu", base.swigluForward),
    swigluBackward: wrap("swigluBackward", base.swigluBackward), rope: wrap("rope", base.rope),
    adamw: wrap("adamw", base.adamw), sumSquares: base.sumSquares,
  };
}

kernels().setThreads(threads);
for (const name of which) {
  const s = SHAPES[name]!;
  const config: ModelConfig = {
    vocab_size: s.V, hidden_size: s.d, num_hidden_layers: s.L, num_attention_heads: s.H, num_key_value_heads: s.KV,
    intermediate_size: s.f, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
  };
  const acc = new Map<string, number>();
  const model = Transformer.init(config, 0, timed(kernels(), acc));
  const flopsPerTok = 2 * (s.L * (2 * s.d * s.d + 2 * s.d * (s.KV * s.d / s.H) + 3 * s.d * s.f) + s.d * s.V);
  for (const B of batches) {
    const ctx = 96; // decode at cache positions 32..96 (the curriculum's prompt + answer lengths)
    const session = new DecodeSession(model, B, ctx + 4);
    session.add(Array.from({ length: B }, (_, i) => Array.from({ length: 32 }, (_, j) => (i * 7 + j * 3) % s.V)),
      { maxTokens: ctx - 32, temperature: 0.7, topP: 0.95, seed: 1 });
    session.step(); // prefill
    acc.clear();
    let steps = 0, total = 0, samp = 0;
    // Sampling time: DecodeSession.step = sampling + decodeStep; decodeStep alone is timed by wrapping it.
    const orig = model.decodeStep.bind(model);
    let dec = 0;
    model.decodeStep = (...a: Parameters<Transformer["decodeStep"]>) => { const t0 = now(); const r = orig(...a); dec += now() - t0; return r; };
    while (session.active > 0) {
      const t0 = now();
      session.step();
      total += now() - t0;
      steps++;
    }
    samp = total - dec;
    const kern = [...acc.values()].reduce((a, b) => a + b, 0);
    const perStep = (x: number) => (x / steps * 1000).toFixed(0).padStart(6) + " us";
    console.log(`\n${name} B=${B}: ${steps} steps, ${perStep(total)}/step, ${(B * steps / total * 1000).toFixed(0)} tok/s, ` +
      `${(flopsPerTok * B * steps / (dec / 1000) / 1e9).toFixed(1)} GFLOP/s in decodeStep`);
    console.log(`  sampling (pick + logprobs, top-p 0.95)  ${perStep(samp)}  ${(100 * samp / total).toFixed(1)}%`);
    console.log(`  engine JS outside kernels              ${perStep(dec - kern)}  ${(100 * (dec - kern) / total).toFixed(1)}%`);
    for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(38)} ${perStep(v)}  ${(100 * v / total).toFixed(1)}%`);
    delete (model as { decodeStep?: unknown }).decodeStep;
  }
}

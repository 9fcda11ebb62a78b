// Loss-function throughput on the benchmark configs' shapes (vocab and context of A, B, C from
// ../shared/reference/torch_llama.py). The loss runs between the engine's forward and backward, so what matters
// is its cost per target token next to a whole training step: the peer is PyTorch's full training step, at the
// tokens/s quoted in the engine issue for this machine class (torch 1.13: A 7,092, B 1,772, C 196 tok/s).
// Printed: target positions/s per loss, µs per token, and that cost as a share of PyTorch's per-token step time.
// A second peer, measured in the same run (interleaved, so machine load hits both alike): a straightforward
// weighted cross-entropy in JS (Math.exp, separate max / exp / normalise / gradient passes), to show what the
// table-driven exp and fused passes in losses.ts buy.
import { tokenLoss, type TokenLossSpec } from "../../src/model/losses.js";
import type { Datum } from "../../src/engine/types.js";
import { createRng } from "../../src/util/rng.js";

const CONFIGS = {
  A: { vocab: 96, ctx: 128, rows: 32, torchTrainTokS: 7092 },
  B: { vocab: 96, ctx: 256, rows: 16, torchTrainTokS: 1772 },
  // C's full batch (8 × 512) would need 2 × 0.5 GB of logits here; 2 rows give the same per-token cost.
  C: { vocab: 32000, ctx: 512, rows: 2, torchTrainTokS: 196 },
} as const;

const TOPK = 20;

function makeBatch(vocab: number, ctx: number, rows: number, seed: number): { batch: Datum[]; logits: Float32Array[] } {
  const rng = createRng(seed);
  const batch: Datum[] = [];
  const logits: Float32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const n = ctx - 1;
    const tokens = Array.from({ length: ctx }, () => rng.int(0, vocab - 1));
    const l = new Float32Array(n * vocab);
    for (let i = 0; i < l.length; i++) l[i] = rng.normal() * 2;
    const ids = new Int32Array(n * TOPK);
    const lps = new Float32Array(n * TOPK);
    for (let t = 0; t < n; t++) for (let a = 0; a < TOPK; a++) { ids[t * TOPK + a] = (t * 7 + a * 13) % vocab; lps[t * TOPK + a] = -1 - a * 0.3; }
    const adv = rng.normal();
    batch.push({
      tokens,
      weights: Array.from({ length: n }, (_, t) => (t < 16 ? 0 : 1)),
      advantages: new Array<number>(n).fill(adv),
      oldLogprobs: Array.from({ length: n }, () => -Math.log(vocab) + rng.normal() * 0.1),
      teacher: { kind: "topk", k: TOPK, ids, logprobs: lps },
    });
    logits.push(l);
  }
  return { batch, logits };
}

const SPECS: [string, TokenLossSpec][] = [
  ["cross_entropy", { type: "cross_entropy" }],
  ["distill top-20 (T=2)", { type: "distill", alpha: 0.5, temperature: 2 }],
  ["policy_gradient", { type: "policy_gradient", clip: 0.2, aggregation: "sequence" }],
];

// `npm run bench losses -- --config=C` runs one config (npm run bench takes bare words as benchmark names).
/** The straightforward weighted cross-entropy (same definition as tokenLoss's): the in-run peer. */
function naiveCrossEntropy(batch: Datum[], logits: Float32Array[], vocab: number): number {
  let W = 0;
  for (const d of batch) for (const w of d.weights) W += w;
  const p = new Float64Array(vocab);
  let loss = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    const z = logits[i]!;
    const g = new Float32Array(z.length);
    for (let t = 0; t < d.weights.length; t++) {
      const w = d.weights[t]!;
      if (w === 0) continue;
      const off = t * vocab;
      let max = -Infinity;
      for (let j = 0; j < vocab; j++) max = Math.max(max, z[off + j]!);
      let sum = 0;
      for (let j = 0; j < vocab; j++) { p[j] = Math.exp(z[off + j]! - max); sum += p[j]!; }
      for (let j = 0; j < vocab; j++) p[j]! /= sum;
      const y = d.tokens[t + 1]!;
      loss += -w * Math.log(p[y]!);
      for (let j = 0; j < vocab; j++) g[off + j] = (w / W) * (p[j]! - (j === y ? 1 : 0));
    }
  }
  return loss / W;
}

function seconds(f: () => void, reps: number): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) f();
  return Number(process.hrtime.bigint() - t0) / 1e9 / reps;
}

const only = process.argv.slice(2).filter((a) => a.startsWith("--config=")).map((a) => a.slice("--config=".length));
for (const [name, c] of Object.entries(CONFIGS)) {
  if (only.length && !only.includes(name)) continue;
  const { batch, logits } = makeBatch(c.vocab, c.ctx, c.rows, 1);
  const positions = batch.reduce((s, d) => s + d.tokens.length - 1, 0);
  const torchUsPerToken = 1e6 / c.torchTrainTokS;
  console.log(`config ${name}: vocab ${c.vocab}, ${c.rows} rows × ${c.ctx - 1} target positions`);
  const reps = c.vocab > 1000 ? 2 : 10;
  const line = (label: string, s: number, extra = ""): void => {
    const usPerTok = (s * 1e6) / positions;
    console.log(
      `  ${label.padEnd(22)} ${Math.round(positions / s).toLocaleString("en-US").padStart(12)} positions/s  ` +
        `${usPerTok.toFixed(2).padStart(8)} µs/token  = ${((100 * usPerTok) / torchUsPerToken).toFixed(2).padStart(5)}% of a PyTorch step/token${extra}`,
    );
  };
  for (const [label, spec] of SPECS) {
    tokenLoss(spec, batch, logits, c.vocab); // warm-up (JIT)
    if (spec.type !== "cross_entropy") {
      line(label, seconds(() => tokenLoss(spec, batch, logits, c.vocab), reps));
      continue;
    }
    // Interleave trimer and the naive peer, best of 3 rounds each.
    naiveCrossEntropy(batch, logits, c.vocab);
    const check = Math.abs(naiveCrossEntropy(batch, logits, c.vocab) - tokenLoss(spec, batch, logits, c.vocab).loss);
    if (check > 1e-9) throw new Error(`naive and trimer cross-entropy disagree by ${check}`);
    let ours = Infinity;
    let naive = Infinity;
    for (let round = 0; round < 3; round++) {
      ours = Math.min(ours, seconds(() => tokenLoss(spec, batch, logits, c.vocab), reps));
      naive = Math.min(naive, seconds(() => naiveCrossEntropy(batch, logits, c.vocab), reps));
    }
    line(label, ours, `   (${(naive / ours).toFixed(2)}× the naive JS peer)`);
    line("  naive JS peer", naive);
  }
}

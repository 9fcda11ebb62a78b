// `cd <any trimer checkout> && node --import tsx <this file> [size] [vocab] [steps] [warmup] [maxNew] [threads] [zeroShare]`
// The trimer side of `npm run bench grpo` alone, timed by process CPU time as well as the wall clock, against the
// checkout in the current directory (its src/ is imported from there, so one copy of this file measures older
// commits too, e.g. in a `git worktree add --detach` folder). Prints one JSON line: medians over the timed steps.
//   size      mini (default) or 6m, as bench/grpo
//   vocab     new: the default tokenizer (121 ids + 256 byte-fallback ids); old: the 121-id vocabulary of
//             checkpoints saved before byte fallback (mathTokenizer({ byteFallback: false }))
//   maxNew    the generation limit (64 in bench/grpo; the mini preset's GRPO starts at 56)
//   zeroShare share of the 16 groups left out of the policy-gradient batch, as zero-variance groups are by runGrpo
//             (a trained policy has 17-68% of them); 0 keeps every group with a nonzero advantage
// Used to find where the "0.22-0.37 s per mini GRPO step" came from (the README's engine section).
import { resolve } from "node:path";

interface Completion { tokens: number[]; logprobs: number[] }
type Module = Record<string, any>; // the modules of whichever checkout is measured (their types differ by commit)
const root = process.cwd();
const load = (p: string): Promise<Module> => import(resolve(root, p)) as Promise<Module>;
const [size = "mini", vocabMode = "new", stepsS = "3", warmS = "1", maxNewS = "64", threadsS = "2", zeroS = "0"] = process.argv.slice(2);
const SIZES: Record<string, { d: number; L: number; H: number; KV: number; f: number }> = {
  mini: { d: 96, L: 4, H: 4, KV: 2, f: 256 }, "6m": { d: 256, L: 6, H: 8, KV: 8, f: 1024 },
};
if (!SIZES[size] || !["new", "old"].includes(vocabMode)) {
  console.error("usage: trimer-step.ts [mini|6m] [new|old] [steps] [warmup] [maxNew] [threads] [zeroShare]");
  process.exit(2);
}
const { LocalEngine } = await load("src/engine/local.ts");
const { mathTokenizer } = await load("src/model/tokenizer.ts");
const { kernels } = await load("src/model/kernels.ts");
const { groupAdvantages } = await load("src/train/grpo/advantages.ts");
const { completionDatum } = await load("src/train/grpo/grpo.ts");
const { compactQuestion, sampleChain } = await load("src/data/synth/arithmetic.ts");
const { createRng } = await load("src/util/rng.ts");
const G = 8, PROMPTS = 16, SEED = 1, MAX_NEW = Number(maxNewS), ZERO = Number(zeroS);
kernels().setThreads(Number(threadsS));
const tok = vocabMode === "old" ? mathTokenizer({ byteFallback: false }) : mathTokenizer();
const s = SIZES[size]!;
const engine = LocalEngine.create({
  vocab_size: tok.vocabSize, hidden_size: s.d, num_hidden_layers: s.L, num_attention_heads: s.H, num_key_value_heads: s.KV,
  intermediate_size: s.f, max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10_000, tie_word_embeddings: true,
}, tok, SEED);
const rng = createRng(SEED);
const prompts: string[] = Array.from({ length: PROMPTS }, (_, i) => compactQuestion(sampleChain(rng, 2 + (i % 2)).expr));
const sampler = engine.sampler();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const rows: { wall: number; cpu: number; genWall: number; genCpu: number; tokens: number }[] = [];
for (let step = 0; step < Number(warmS) + Number(stepsS); step++) {
  const t0 = performance.now(), c0 = cpu();
  const groups = (await sampler.sample(prompts, { n: G, temperature: 0.7, topP: 0.95, maxTokens: MAX_NEW, logprobs: true, seed: SEED * 1_000_003 + step })) as Completion[][];
  const t1 = performance.now(), c1 = cpu();
  const rewards = groups.map((g) => g.map((c) => c.tokens.filter((t) => t % 7 === 0).length / Math.max(1, c.tokens.length)));
  const { advantages } = groupAdvantages(rewards, { scaling: "std" }) as { advantages: number[][] };
  const batch: Module[] = [];
  let tokens = 0;
  groups.forEach((g, i) => g.forEach((c, j) => {
    tokens += c.tokens.length;
    const a = advantages[i]![j]!;
    if (a === 0 || i < ZERO * PROMPTS) return;
    const d = completionDatum(tok, prompts[i]!, c) as { tokens: number[]; advantages?: number[]; oldLogprobs?: number[] };
    const T = d.tokens.length - 1;
    d.advantages = new Array<number>(T).fill(a);
    const old = new Array<number>(T).fill(0);
    c.logprobs.forEach((lp, k) => { old[T - c.logprobs.length + k] = lp; });
    d.oldLogprobs = old;
    batch.push(d);
  }));
  if (batch.length) {
    await engine.forwardBackward(batch, { type: "policy_gradient", clip: 0.2, aggregation: "sequence", constant: MAX_NEW, beta: 0 });
    await engine.optimStep({ lr: 5e-5, maxGradNorm: 1, weightDecay: 0 });
  }
  if (step >= Number(warmS)) rows.push({ wall: (performance.now() - t0) / 1000, cpu: cpu() - c0, genWall: (t1 - t0) / 1000, genCpu: c1 - c0, tokens: tokens / (G * PROMPTS) });
}
const med = (xs: number[]) => { const a = [...xs].sort((x, y) => x - y); return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2; };
const m = (k: keyof (typeof rows)[number]) => Number(med(rows.map((r) => r[k])).toFixed(3));
console.log(JSON.stringify({
  root, size, vocab: tok.vocabSize, maxNew: MAX_NEW, threads: Number(threadsS), zeroShare: ZERO, kernels: kernels().name,
  step_s: m("wall"), step_cpu_s: m("cpu"), gen_s: m("genWall"), gen_cpu_s: m("genCpu"), mean_completion_tokens: m("tokens"),
}));

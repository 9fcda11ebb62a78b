// β = 0 vs β > 0, measured the only honest way on one machine: each variant runs the same GRPO steps in its own
// child process, and reports that process's peak resident memory and mean step time. With β = 0 the reference
// model is never loaded (TriMER's memory claim); with β > 0 it is loaded and scores every batch.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PipelineConfig } from "./config.js";
import { Artifacts } from "./artifacts.js";
import { loadEngine, newTokenizer, parameterCount } from "./engines.js";
import { grpoLoop, peakRssMb } from "../train/grpo/grpo.js";
import { runSteps } from "../train/runner.js";
import { curriculum, grpoProblems, lrFn, GRADE, type StageContext } from "./stages.js";

export interface BetaProbe {
  beta: number;
  steps: number;
  peakRssMb: number;
  meanStepSeconds: number;
  meanSampleSeconds: number;
  /** Peak RSS right after loading the model(s), before the first step. */
  loadedRssMb: number;
  /**
   * Model state held, counted exactly: the policy's weights, gradients and two AdamW moments (4 copies), plus the
   * reference's weights when β > 0. At this scale the process baseline (the runtime itself) dwarfs the models in
   * RSS; this column shows the part the reference adds.
   */
  modelStateMb: number;
}

/** Runs inside the child: `trimer run --probe-beta B --policy DIR --out DIR` (internal flags of `trimer run`). */
export async function probeBeta(cfg: PipelineConfig, outDir: string, policyDir: string, beta: number): Promise<BetaProbe> {
  const ctx: StageContext = { cfg, art: new Artifacts(outDir), tok: newTokenizer(), quiet: true };
  const policy = await loadEngine(policyDir);
  const reference = beta > 0 ? await loadEngine(policyDir) : undefined;
  const loadedRssMb = peakRssMb();
  const g = cfg.grpo;
  const steps = cfg.betaComparison.steps;
  const { records: logs } = await runSteps(policy, grpoLoop({
    steps, groupSize: g.groupSize, temperature: g.temperature, topP: g.topP, lr: lrFn(g.lr, g.steps),
    maxTokens: (s) => curriculum(g.maxTokens, s), clip: g.clip, aggregation: g.aggregation, beta,
    advantageScaling: g.advantageScaling, maxGradNorm: g.maxGradNorm, seed: cfg.seed + 4242, reward: GRADE,
    ppoEpochs: g.ppoEpochs, miniBatches: g.miniBatches,
  }, { policy, reference, tokenizer: ctx.tok, problems: (s) => grpoProblems(ctx, s, g.promptsPerStep) }), { start: 0, quiet: true });
  // The first step pays for warm-up (JIT, allocations): leave it out of the mean when there are others.
  const timed = logs.length > 1 ? logs.slice(1) : logs;
  return {
    beta, steps,
    peakRssMb: peakRssMb(),
    meanStepSeconds: timed.reduce((a, l) => a + l.stepSeconds, 0) / timed.length,
    meanSampleSeconds: timed.reduce((a, l) => a + l.sampleSeconds, 0) / timed.length,
    loadedRssMb,
    modelStateMb: ((4 * parameterCount(policy) + (reference ? parameterCount(reference) : 0)) * 4) / 2 ** 20,
  };
}

/** Spawns one child per β and collects their reports. */
export async function compareBeta(outDir: string, policyDir: string, betas: number[]): Promise<BetaProbe[]> {
  const here = fileURLToPath(import.meta.url);
  const main = here.replace(/pipeline[\\/]beta\.(ts|js)$/, (_m, ext: string) => `cli/main.${ext}`);
  const out: BetaProbe[] = [];
  for (const beta of betas) {
    const args = [...process.execArgv, main, "run", "--out", outDir, "--resume", "--probe-beta", String(beta), "--probe-policy", policyDir];
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
      let buf = "";
      child.stdout.on("data", (d: Buffer) => { buf += d.toString(); });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(buf) : reject(new Error(`beta probe (β = ${beta}) exited with code ${code}`))));
    });
    const line = text.trim().split("\n").pop() ?? "";
    out.push(JSON.parse(line) as BetaProbe);
  }
  return out;
}

// `trimer run`: TriMER's stages in order on the embedded engine, into an artifacts folder, resumable after any
// interruption (even kill -9): finished stages are skipped, an interrupted training phase restarts from its last
// checkpoint, finished evaluation rows are kept.
//   student-base, teacher-base  JT-Math continued pre-training + context extension
//   teacher-sft                 the miniature's "DeepSeek-R1": long thinking traces, sequential length buckets
//   teacher-traces              (distill.traces = "teacher") the teacher writes the distillation traces itself
//   distill                     TriMER stage 1
//   instruct                    JT-Math's concise path from the same base (the dual-path comparison)
//   grpo                        TriMER stage 2 (β = 0)
//   reward-model                TriMER stage 3: preference reward model on the policy's own samples
//   evaluate                    held-out set: the ablation table, agent scaling, token sweep, β comparison
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Artifacts } from "./artifacts.js";
import type { PipelineConfig } from "./config.js";
import { evalSets } from "./layout.js";
import { loadEngine, newTokenizer } from "./engines.js";
import { cached, evalSampler, multiAgentEval, tokenLimitSweep, type Row, type MultiAgentResult } from "./evaluate.js";
import { compareBeta, type BetaProbe } from "./beta.js";
import { renderMarkdown, type Report } from "./report.js";
import { renderCharts } from "./report-charts.js";
import { CURVES_FILE, curvesMarkdown, readCurves, renderCurvesSvg } from "./report-curves.js";
import { grpoCurve } from "./grpo-summary.js";
import { rewardModelStage } from "./stage-reward.js";
import { distillStage, grpoStage, pretrain, teacherSft, type StageContext } from "./stages.js";
import { loadTeacherTraces, teacherTracesStage } from "./stage-traces.js";
import { instructStage } from "./stage-dual.js";
import { changedStartedStage } from "./stage-settings.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import type { LocalEngine } from "../engine/local.js";

export interface RunOptions {
  out: string;
  resume: boolean;
  quiet?: boolean;
  /** Stop after this stage (tests simulate an interruption with it). */
  stopAfter?: string;
  log?: (line: string) => void;
}

export const STAGES = ["student-base", "teacher-base", "teacher-sft", "teacher-traces", "distill", "instruct", "grpo", "reward-model", "evaluate"] as const;

export async function runPipeline(cfg: PipelineConfig, opts: RunOptions): Promise<Report | null> {
  const art = new Artifacts(opts.out);
  // A resume may change the settings of stages not yet started (reusing the teacher and the distilled student for a
  // GRPO or agent experiment); a started stage's settings, or those of any stage it builds on, may not change.
  art.checkConfig(cfg, opts.resume, (old) => {
    let s: string | null;
    try {
      s = changedStartedStage(old as PipelineConfig, cfg, STAGES, (name) => existsSync(join(art.root, name)));
    } catch {
      return "its config.json is not a trimer run config";
    }
    return s === null ? null : `the settings of stage ${s}, already started, differ`;
  });
  const ctx: StageContext = { cfg, art, tok: newTokenizer(), quiet: opts.quiet ?? false };
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const seconds: Record<string, number> = {};

  const stage = async <R>(name: string, body: () => Promise<R>): Promise<R | null> => {
    const done = art.done<R>(name);
    if (done) {
      seconds[name] = done.seconds;
      log(`[${name}] done earlier (${done.seconds.toFixed(0)} s), skipped`);
      return done.result;
    }
    log(`[${name}] starting`);
    const t0 = performance.now();
    const result = await body();
    const s = (performance.now() - t0) / 1000;
    art.markDone(name, s, result);
    seconds[name] = s;
    log(`[${name}] finished in ${s.toFixed(1)} s`);
    return result;
  };
  const model = (name: string, phase: string): string => join(art.root, name, phase, "final");
  const stopHere = (name: string): boolean => opts.stopAfter === name;

  await stage("student-base", async () => { await pretrain(ctx, "student-base", cfg.student, cfg.pretrain.student); return {}; });
  if (stopHere("student-base")) return null;
  await stage("teacher-base", async () => { await pretrain(ctx, "teacher-base", cfg.teacher, cfg.pretrain.teacher); return {}; });
  if (stopHere("teacher-base")) return null;
  await stage("teacher-sft", async () => { await teacherSft(ctx, await loadEngine(model("teacher-base", "context-extension"))); return {}; });
  if (stopHere("teacher-sft")) return null;
  if (cfg.distill.traces === "teacher") {
    await stage("teacher-traces", async () => teacherTracesStage(ctx, await loadEngine(model("teacher-sft", "sft"))));
    if (stopHere("teacher-traces")) return null;
  }
  await stage("distill", async () => {
    const traces = cfg.distill.traces === "teacher" ? loadTeacherTraces(ctx) : undefined;
    await distillStage(ctx, await loadEngine(model("student-base", "context-extension")), await loadEngine(model("teacher-sft", "sft")), traces);
    return {};
  });
  if (stopHere("distill")) return null;
  await stage("instruct", async () => { await instructStage(ctx, await loadEngine(model("student-base", "context-extension"))); return {}; });
  if (stopHere("instruct")) return null;
  const distilledDir = model("distill", "distill");
  await stage("grpo", async () => { await grpoStage(ctx, await loadEngine(distilledDir), distilledDir); return {}; });
  if (stopHere("grpo")) return null;
  const grpoDir = model("grpo", "grpo");
  const rmResult = (await stage("reward-model", async () => (await rewardModelStage(ctx, await loadEngine(grpoDir))).result))!;
  if (stopHere("reward-model")) return null;

  const report = (await stage("evaluate", async () => {
    // The same sets are written to OUT/data/{holdout,dev}.jsonl (layout.ts) for evaluating other models on them.
    const { holdout, dev: devSet } = evalSets(cfg);
    const ev = cfg.eval;
    const engines: Record<string, string> = { base: model("student-base", "context-extension"), instruct: model("instruct", "sft"), distilled: distilledDir, grpo: grpoDir };
    const rows: Row[] = [];
    const greedy: Row[] = [];
    const dev: Row[] = [];
    let sweep: Report["tokenSweep"] = [];
    let distilledSweep: Report["tokenSweep"] = [];
    for (const [name, dir] of Object.entries(engines)) {
      let engine: LocalEngine | null = null;
      const get = async (): Promise<LocalEngine> => (engine ??= await loadEngine(dir));
      rows.push(await cached(ctx, name, async () =>
        (await evalSampler(ctx, name, (await get()).sampler(), holdout, { temperature: ev.temperature, topP: ev.topP, samples: 4, maxTokens: ev.maxTokens, seed: cfg.seed + 11 })).row));
      // Greedy decoding is deterministic, so the distilled and GRPO models' greedy runs also give the token-limit sweeps.
      const g = await cached(ctx, `${name}-greedy`, async () => {
        const r = await evalSampler(ctx, `${name}-greedy`, (await get()).sampler(), holdout, { temperature: 0, topP: 1, samples: 1, maxTokens: Math.max(ev.maxTokens, ...ev.tokenLimits), seed: 0 });
        return { row: r.row, sweep: name === "grpo" || name === "distilled" ? tokenLimitSweep(holdout, r.completions, ev.tokenLimits) : [] };
      });
      greedy.push(g.row);
      if (name === "grpo") sweep = g.sweep;
      if (name === "distilled") distilledSweep = g.sweep;
      dev.push(await cached(ctx, `${name}-dev`, async () =>
        (await evalSampler(ctx, `${name}-dev`, (await get()).sampler(), devSet, { temperature: 0, topP: 1, samples: 1, maxTokens: ev.maxTokens, seed: 0 })).row));
    }
    const ma = await cached<MultiAgentResult>(ctx, "agents", async () =>
      multiAgentEval(ctx, await loadEngine(grpoDir), await loadEngine(model("reward-model", "train")), holdout));
    rows.push(...ma.rows);
    const beta = await cached<BetaProbe[]>(ctx, "beta", async () =>
      cfg.betaComparison.steps > 0 ? compareBeta(art.root, grpoDir, [0, cfg.betaComparison.beta]) : []);
    const report: Report = {
      preset: cfg.preset, seed: cfg.seed, holdoutProblems: holdout.length, rows, greedy, dev, scaling: ma.scaling, agentSampling: cfg.agents.sampling ?? null,
      tokenSweep: sweep, distilledTokenSweep: distilledSweep, rewardModel: rmResult,
      grpoCurve: grpoCurve(join(art.root, "grpo", "grpo", "metrics.jsonl"), Math.max(1, Math.round(cfg.grpo.steps / 8))), beta, stageSeconds: {},
    };
    return report;
  }))!;
  report.stageSeconds = seconds;
  writeFileAtomicSync(join(art.root, "report.json"), JSON.stringify(report, null, 2) + "\n");
  for (const c of renderCharts(report)) writeFileAtomicSync(join(art.root, c.file), c.svg + "\n");
  const curves = renderCurvesSvg(readCurves(art.root, STAGES));
  if (curves) writeFileAtomicSync(join(art.root, CURVES_FILE), curves + "\n");
  const md = renderMarkdown(report) + (curves ? curvesMarkdown() : "");
  writeFileAtomicSync(join(art.root, "report.md"), md);
  return report;
}

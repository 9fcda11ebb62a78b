// trimer run [--preset tiny|mini|full] [--out DIR] [--resume] [--seed N] [--traces …] [--stop-after STAGE] [--quiet]
// TriMER's pipeline in miniature on the embedded engine; see src/pipeline/run.ts.
import { numberFlag, parseFlags } from "./command.js";
import { preset } from "../pipeline/presets.js";
import { runPipeline, STAGES } from "../pipeline/run.js";
import { renderMarkdown } from "../pipeline/report.js";
import { publishLayout } from "../pipeline/layout.js";
import { noteOutput } from "../util/manifest.js";
import { probeBeta } from "../pipeline/beta.js";
import { UsageError } from "../util/errors.js";

const USAGE = `usage: trimer run [--preset tiny|mini|full] [--out DIR] [--resume] [--seed N] [--traces synthetic|teacher|lean] [--teacher-sft-traces verbose|lean] [--stop-after STAGE] [--quiet]

Runs every stage of the miniature TriMER pipeline into DIR (default runs/<preset>; mini is the quick default, full about 1.7× its CPU time): pre-training with context
extension (student and teacher), teacher SFT on thinking traces, distillation, GRPO (beta = 0), the preference
reward model, and the evaluation on a held-out synthetic set. Prints the ablation table and writes DIR/report.md
and DIR/report.json. After an interruption (even kill -9), --resume continues without redoing finished work.
--traces teacher: the SFT'd teacher writes the distillation traces itself (rejection-sampled, as \`trimer generate\`
does) instead of the curriculum's synthetic thinking traces. --traces lean: the student is distilled (same steps,
batch, buckets and teacher) on the lean scratchpad of the same problems — the verbose traces with every redundant
piece removed — the control that the redundancy is redundant. --teacher-sft-traces lean: the teacher itself is SFT'd
on the lean scratchpad (a control; default verbose, the R1-like teacher). --resume refuses either change once the
stage it affects (distill, teacher-sft) has started: remove that stage's folder and the later ones to rerun them.

stages: ${STAGES.join(", ")}

Folder layout (DIR):
  models/base, models/teacher, models/distilled, models/grpo (the final policy), models/reward-model
                          links to each stage's final checkpoint (<stage>/<phase>/final)
  data/holdout.jsonl      the held-out set of the ablation table; data/dev.jsonl the dev set presets were tuned on
                          (evaluate another model on them: trimer eval --bench DIR/data/holdout.jsonl …)
  report.md, report.json  the ablation table and the rest of the report; config.json the resolved config
  training-curves.svg     every phase's loss and GRPO's rates, linked from report.md
  <stage>/                DONE.json, metrics.jsonl per phase (and events.out.tfevents.trimer beside it, the same curves
                          for TensorBoard: tensorboard --logdir DIR), <phase>/final (checkpoint), <phase>/ckpt (in progress)`;

export const summary = "the whole pipeline in miniature: pre-train, distil, GRPO, reward model, multi-agent (presets tiny|mini|full)";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    preset: { type: "string", default: "mini" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
    seed: { type: "string" },
    traces: { type: "string" },
    "teacher-sft-traces": { type: "string" },
    "stop-after": { type: "string" },
    quiet: { type: "boolean", default: false },
    // Internal: the beta comparison's child processes.
    "probe-beta": { type: "string" },
    "probe-policy": { type: "string" },
  }, USAGE);
  if (!f) return 0;
  const v = f.values;
  const out = v.out ?? `runs/${v.preset}`;
  if (v["probe-beta"] !== undefined) {
    const { readFileSync } = await import("node:fs");
    const cfg = JSON.parse(readFileSync(`${out}/config.json`, "utf8"));
    if (!v["probe-policy"]) throw new UsageError("--probe-beta needs --probe-policy");
    const r = await probeBeta(cfg, out, v["probe-policy"], numberFlag(v["probe-beta"], "probe-beta", 0));
    console.log(JSON.stringify(r));
    return 0;
  }
  const cfg = preset(v.preset!);
  if (v.seed !== undefined) cfg.seed = numberFlag(v.seed, "seed", 1, true);
  if (v.traces !== undefined) {
    if (v.traces !== "synthetic" && v.traces !== "teacher" && v.traces !== "lean") throw new UsageError(`--traces must be synthetic, teacher or lean, got "${v.traces}"`);
    cfg.distill.traces = v.traces;
  }
  const sftTraces = v["teacher-sft-traces"];
  if (sftTraces !== undefined) {
    if (sftTraces !== "verbose" && sftTraces !== "lean") throw new UsageError(`--teacher-sft-traces must be verbose or lean, got "${sftTraces}"`);
    // "verbose" is the default and leaves the config as the preset wrote it, so a resume of an older run matches.
    if (sftTraces === "lean") cfg.teacherSft.traces = "lean";
  }
  const stopAfter = v["stop-after"];
  if (stopAfter && !(STAGES as readonly string[]).includes(stopAfter)) throw new UsageError(`--stop-after must be one of ${STAGES.join(", ")}`);
  noteOutput({ output: out, kind: "dir", options: { preset: v.preset, resume: v.resume, stopAfter: stopAfter ?? null, config: cfg }, seeds: { seed: cfg.seed } });
  const report = await runPipeline(cfg, { out, resume: v.resume!, quiet: v.quiet, ...(stopAfter ? { stopAfter } : {}) });
  const linked = await publishLayout(out, cfg);
  console.error(`models: ${linked.length ? linked.map((n) => `${out}/models/${n}`).join(", ") : "none finished yet"}; evaluation sets: ${out}/data/holdout.jsonl, ${out}/data/dev.jsonl`);
  if (report) {
    console.log(renderMarkdown(report));
    console.log(`written: ${out}/report.md, ${out}/report.json`);
  } else {
    console.log(`stopped after ${stopAfter}; continue with: trimer run --preset ${v.preset} --out ${out} --resume`);
  }
  return 0;
}

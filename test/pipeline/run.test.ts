// `trimer run --preset tiny` end to end in a temporary folder; then the same run interrupted after a stage and
// resumed, which must produce the same table. Checks that everything runs, not the directions (tiny learns little).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPipeline } from "../../src/pipeline/run.js";
import { tinyPreset } from "../../src/pipeline/presets.js";
import type { Report } from "../../src/pipeline/report.js";

const quiet = { quiet: true, log: () => {} };

function table(r: Report): unknown {
  // Everything measured on the held-out set; stage times and β-probe timings are wall-clock and may differ.
  return { rows: r.rows, greedy: r.greedy, scaling: r.scaling, tokenSweep: r.tokenSweep, rewardModel: r.rewardModel };
}

test("trimer run --preset tiny: all stages, report files, and an interrupted run resumes to the same table", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-run-"));
  const full = await runPipeline(tinyPreset(), { out: join(dir, "full"), resume: false, ...quiet });
  assert.ok(full);
  for (const stage of ["student-base", "teacher-base", "teacher-sft", "distill", "instruct", "grpo", "reward-model", "evaluate"]) {
    assert.ok(existsSync(join(dir, "full", stage, "DONE.json")), `${stage} finished`);
  }
  for (const f of ["report.md", "report.json", "config.json", "grpo/grpo/metrics.jsonl", "evaluate/samples-grpo.jsonl", "distill/distill/final/model.safetensors"]) {
    assert.ok(existsSync(join(dir, "full", f)), `${f} written`);
  }
  const md = readFileSync(join(dir, "full", "report.md"), "utf8");
  assert.match(md, /\| 4 agents \+ reward-model rerank \|/);
  // The dual-path table (instruct vs thinking student per difficulty), the room for voting, the difficulty–token
  // correlation, and both charts, linked from the report.
  assert.match(md, /Dual path \(JT-Math\)[\s\S]*\| 2 \|[\s\S]*\| 3 \|/);
  assert.match(md, /Room for voting[\s\S]*\| grpo \| 3 \|/);
  assert.match(md, /Difficulty–token correlation/);
  assert.match(md, /GRPO training[\s\S]*\| 0–/);
  for (const svg of ["accuracy-tokens.svg", "token-sweep.svg"]) {
    assert.match(md, new RegExp(`\\]\\(${svg.replace(".", "\\.")}\\)`));
    const text = readFileSync(join(dir, "full", svg), "utf8");
    assert.match(text, /^<svg [\s\S]*<\/svg>\n$/);
  }
  assert.ok((readFileSync(join(dir, "full", "accuracy-tokens.svg"), "utf8").match(/<circle /g) ?? []).length >= full.rows.length + full.greedy.length);
  assert.equal(full.rows.length, 7);
  assert.equal(full.distilledTokenSweep?.length, tinyPreset().eval.tokenLimits.length);
  assert.equal(full.scaling.length, 8);
  assert.equal(full.beta.length, 2);
  // The agents sample at the preset's one temperature (agents.sampling), each with its own seed, and the report says so.
  const agentSamples = readFileSync(join(dir, "full", "evaluate/samples-agents.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { agent: number; temperature: number; topP: number });
  assert.equal(agentSamples.length, 8 * tinyPreset().data.holdoutSize);
  assert.ok(agentSamples.every((a) => a.temperature === 0.85 && a.topP === 0.95));
  assert.match(md, /Agent scaling \(GRPO policy, every agent at T 0\.85, top-p 0\.95;/);
  assert.match(md, /\| agents: gain 1→4 > gain 4→8 > 0 \(majority\) \| (yes|no) \|/);
  assert.ok(full.rows.every((r) => r.accuracy >= 0 && r.accuracy <= 1 && r.meanTokens > 0));

  // GRPO logs every metric the issue asks for, every step.
  const grpoLog = readFileSync(join(dir, "full", "grpo/grpo/metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(grpoLog.length, tinyPreset().grpo.steps);
  for (const k of ["meanReward", "accuracy", "zeroVarianceFraction", "meanResponseTokens", "entropy", "klToStart", "clipFraction", "stepSeconds", "peakRssMb"]) {
    assert.ok(k in grpoLog[0], `grpo metrics has ${k}`);
  }
  // The curves: a chart linked from the report (pipeline/report-curves.ts) and TensorBoard files beside the journals.
  assert.match(md, /\]\(training-curves\.svg\)/);
  const curves = readFileSync(join(dir, "full", "training-curves.svg"), "utf8");
  for (const title of ["Pre-training loss", "Fine-tuning loss", "GRPO"]) assert.ok(curves.includes(title), title);
  for (const phase of ["grpo/grpo", "distill/distill", "student-base/pretrain"]) assert.ok(existsSync(join(dir, "full", phase, "events.out.tfevents.trimer")), phase);

  // Interrupted after distillation, then resumed: finished stages are not redone and the table is the same.
  const out = join(dir, "interrupted");
  assert.equal(await runPipeline(tinyPreset(), { out, resume: false, stopAfter: "distill", ...quiet }), null);
  const distillDone = readFileSync(join(out, "distill", "DONE.json"), "utf8");
  await assert.rejects(runPipeline(tinyPreset(), { out, resume: false, ...quiet }), /pass --resume/);
  const resumed = await runPipeline(tinyPreset(), { out, resume: true, ...quiet });
  assert.ok(resumed);
  assert.equal(readFileSync(join(out, "distill", "DONE.json"), "utf8"), distillDone, "distill was not redone");
  assert.deepEqual(table(resumed), table(full));

  // A different config in the same folder is refused on resume.
  const other = tinyPreset();
  other.seed = 2;
  await assert.rejects(runPipeline(other, { out, resume: true, ...quiet }), /different config/);
});

test("trimer run --resume may change the settings of stages not yet started, never of a started one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-run-change-"));
  const out = join(dir, "run");
  assert.equal(await runPipeline(tinyPreset(), { out, resume: false, stopAfter: "instruct", ...quiet }), null);
  const distillDone = readFileSync(join(out, "distill", "DONE.json"), "utf8");
  // A distillation setting changed after distillation ran: refused, naming the stage.
  const distill = tinyPreset();
  distill.distill.alpha = 0.9;
  await assert.rejects(runPipeline(distill, { out, resume: true, ...quiet }), /settings of stage distill, already started, differ/);
  // A pre-training setting reaches every later stage through its checkpoints: refused at the first started stage.
  const pre = tinyPreset();
  pre.pretrain.extension.steps = 5;
  await assert.rejects(runPipeline(pre, { out, resume: true, ...quiet }), /settings of stage student-base, already started, differ/);
  // GRPO and the agents have not started: the run continues with the new settings and records them.
  const next = tinyPreset();
  next.preset = "tiny-grpo";
  next.grpo.steps = 2;
  next.agents.sampling = { temperature: 0.7, topP: 0.9 };
  const r = await runPipeline(next, { out, resume: true, ...quiet });
  assert.ok(r);
  assert.equal(readFileSync(join(out, "distill", "DONE.json"), "utf8"), distillDone, "distill was not redone");
  assert.equal(readFileSync(join(out, "grpo/grpo/metrics.jsonl"), "utf8").trim().split("\n").length, 2);
  assert.deepEqual(r.agentSampling, { temperature: 0.7, topP: 0.9 });
  assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).grpo.steps, 2);
  // Now GRPO has run: changing it again is refused.
  const again = structuredClone(next);
  again.grpo.steps = 3;
  await assert.rejects(runPipeline(again, { out, resume: true, ...quiet }), /settings of stage grpo, already started, differ/);
});

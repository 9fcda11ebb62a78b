// The report's direction checks (the issue's acceptance tests, stated per run) and the presets' sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { directionChecks, renderMarkdown, type Report } from "../../src/pipeline/report.js";
import { fullPreset, miniPreset, preset } from "../../src/pipeline/presets.js";
import type { Row } from "../../src/pipeline/evaluate.js";

const row = (name: string, accuracy: number, meanTokens: number): Row => ({ name, accuracy, meanTokens, problems: 100, samplesPerProblem: 1 });

function report(scaling: [number, number, number][]): Report {
  return {
    preset: "mini", seed: 1, holdoutProblems: 100,
    rows: [row("distilled", 0.6, 80), row("grpo", 0.62, 36)],
    greedy: [row("distilled-greedy", 0.75, 80), row("grpo-greedy", 0.7, 41)],
    dev: [],
    scaling: scaling.map(([majority, weighted, rerank], i) => ({ agents: i + 1, majority, weighted, rerank, tokens: 36 * (i + 1) })),
    agentSampling: { temperature: 0.85, topP: 0.95 },
    tokenSweep: [], rewardModel: { trainPairs: 1, heldoutPairs: 1, pairwiseAccuracy: 1, policySampleAccuracy: 1, referencePairs: 0 },
    beta: [], stageSeconds: {},
  };
}

test("directionChecks: token ratio and accuracy per decoding, agent scaling per rule", () => {
  // majority: +5 then +3 (holds); weighted: +2 then +4 (concave fails); rerank: +3 then −1 (falls).
  const s: [number, number, number][] = [[0.6, 0.6, 0.6], [0.62, 0.61, 0.62], [0.63, 0.61, 0.62], [0.65, 0.62, 0.63], [0.66, 0.62, 0.62], [0.67, 0.64, 0.62], [0.67, 0.65, 0.62], [0.68, 0.66, 0.62]];
  const c = Object.fromEntries(directionChecks(report(s)).map((x) => [x.claim, x]));
  assert.equal(c["GRPO tokens ≤ 0.5× distilled (sampled)"]!.holds, true); // 36 / 80 = 0.45
  assert.equal(c["GRPO tokens ≤ 0.5× distilled (greedy)"]!.holds, false); // 41 / 80 = 0.51
  assert.equal(c["GRPO accuracy ≥ distilled (sampled)"]!.holds, true);
  assert.equal(c["GRPO accuracy ≥ distilled (greedy)"]!.holds, false);
  assert.match(c["GRPO tokens ≤ 0.5× distilled (greedy)"]!.detail, /80\.0 → 41\.0 \(0\.51×\)/);
  assert.equal(c["agents: gain 1→4 > gain 4→8 > 0 (majority)"]!.holds, true);
  assert.equal(c["agents: gain 1→4 > gain 4→8 > 0 (weighted)"]!.holds, false);
  assert.equal(c["agents: gain 1→4 > gain 4→8 > 0 (rerank)"]!.holds, false);
  const md = renderMarkdown(report(s));
  assert.match(md, /\| agents: gain 1→4 > gain 4→8 > 0 \(majority\) \| yes \| 60\.0% → 65\.0% → 68\.0% \|/);
  assert.match(md, /Agent scaling \(GRPO policy, every agent at T 0\.85, top-p 0\.95;/);
  // Equal gains are not a diminishing return, and no gain at all fails.
  const flat: [number, number, number][] = Array.from({ length: 8 }, () => [0.7, 0.7, 0.7]);
  assert.ok(directionChecks(report(flat)).filter((x) => x.claim.startsWith("agents")).every((x) => !x.holds));
  // Without agent rows (an older report) only the GRPO checks remain.
  assert.equal(directionChecks(report([])).length, 4);
});

test("presets: mini is full at less compute with the same models, data, GRPO and evaluation", () => {
  const mini = miniPreset(), full = fullPreset();
  assert.equal(preset("full").preset, "full");
  assert.deepEqual(mini.student, full.student);
  assert.deepEqual(mini.teacher, full.teacher);
  assert.deepEqual(mini.data, full.data);
  assert.deepEqual(mini.grpo, full.grpo);
  assert.deepEqual(mini.eval, full.eval);
  assert.deepEqual(mini.agents, full.agents);
  // The training steps that cost the time: never more in mini, and teacher SFT (the largest) clearly fewer.
  assert.ok(mini.teacherSft.steps * 1.5 <= full.teacherSft.steps);
  for (const k of ["distill", "instruct"] as const) assert.ok(mini[k].steps <= full[k].steps, k);
  assert.ok(mini.rewardModel.steps <= full.rewardModel.steps && mini.rewardModel.trainProblems <= full.rewardModel.trainProblems);
  assert.throws(() => preset("huge"), /unknown preset "huge" \(have: tiny, mini, full\)/);
});

test("GRPO curve: the clip fraction is averaged per window and shown only where PPO passes made the clip act", async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const { grpoCurve } = await import("../../src/pipeline/grpo-summary.js");
  const dir = mkdtempSync(join(tmpdir(), "grpo-curve-"));
  try {
    const rec = (step: number, clipFraction: number | undefined) => JSON.stringify({
      step, maxTokens: 56, accuracy: 0.5, meanResponseTokens: 30, truncatedFraction: 0, zeroVarianceFraction: 0.2, entropy: 0.3,
      ...(clipFraction === undefined ? {} : { clipFraction }),
    });
    const path = join(dir, "metrics.jsonl");
    writeFileSync(path, [rec(0, 0.02), rec(1, 0.04), rec(2, 0.1), rec(3, 0.3)].join("\n") + "\n");
    const curve = grpoCurve(path, 2);
    assert.deepEqual(curve.map((w) => Number(w.clipFraction!.toFixed(6))), [0.03, 0.2]);
    const r = { ...report([[0.6, 0.6, 0.6]]), grpoCurve: curve };
    const md = renderMarkdown(r);
    assert.match(md, /\| steps \| limit \| accuracy \| mean tokens \| truncated \| zero-variance groups \| entropy \| clipped \|/);
    assert.match(md, /\| 2–3 \| 56 \| 50\.0% \| 30\.0 \| 0\.0% \| 20\.0% \| 0\.300 \| 20\.0% \|/);
    // One on-policy step per batch (clip fraction 0) or a log from before the field: no clip column.
    writeFileSync(path, [rec(0, 0), rec(1, undefined)].join("\n") + "\n");
    const md0 = renderMarkdown({ ...r, grpoCurve: grpoCurve(path, 2) });
    assert.match(md0, /\| steps \| limit \| accuracy \| mean tokens \| truncated \| zero-variance groups \| entropy \|\n/);
    assert.doesNotMatch(md0, /clipped/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("agent scaling: the majority-rm column and its direction check appear when measured, not for older reports", () => {
  const s: [number, number, number][] = Array.from({ length: 8 }, (_, i) => [0.6 + 0.01 * i, 0.6, 0.6]);
  const old = report(s);
  assert.doesNotMatch(renderMarkdown(old), /RM breaks ties/);
  assert.equal(directionChecks(old).filter((c) => c.claim.includes("majority-rm")).length, 0);
  const rm = [0.5, 0.55, 0.58, 0.6, 0.61, 0.62, 0.62, 0.63];
  const r = { ...old, scaling: old.scaling.map((x, i) => ({ ...x, majorityRm: rm[i]! })) };
  const md = renderMarkdown(r);
  assert.match(md, /\| agents \| rerank \| majority \| weighted vote \| majority, RM breaks ties \| tokens \/ problem \|/);
  assert.match(md, /\| 4 \| 60\.0% \| 63\.0% \| 60\.0% \| 60\.0% \| 144\.0 \|/);
  const c = directionChecks(r).find((x) => x.claim === "agents: gain 1→4 > gain 4→8 > 0 (majority-rm)")!;
  assert.equal(c.holds, true); // +10 then +3
  assert.equal(c.detail, "50.0% → 60.0% → 63.0%");
});

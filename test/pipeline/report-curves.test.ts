// The training-curves chart of a run's report, from the phases' metrics journals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curvesMarkdown, readCurves, renderCurvesSvg, shortName } from "../../src/pipeline/report-curves.js";

function journal(root: string, phase: string, records: object[]): void {
  mkdirSync(join(root, phase), { recursive: true });
  writeFileSync(join(root, phase, "metrics.jsonl"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

test("readCurves + renderCurvesSvg: one panel per group, a line per phase, window means in the right place", () => {
  const root = mkdtempSync(join(tmpdir(), "trimer-curves-"));
  try {
    journal(root, "student-base/pretrain", Array.from({ length: 20 }, (_, i) => ({ step: i, loss: 4 - i * 0.1 })));
    journal(root, "student-base/context-extension", Array.from({ length: 10 }, (_, i) => ({ step: i, loss: 2 })));
    journal(root, "distill/distill", Array.from({ length: 10 }, (_, i) => ({ step: i, loss: 1, kl: 0.5 })));
    journal(root, "grpo/grpo", Array.from({ length: 32 }, (_, i) => ({ step: i, meanReward: i / 32, accuracy: 0.5, formatRate: 1, truncatedFraction: 0, zeroVarianceFraction: null })));
    writeFileSync(join(root, "distill", "DONE.json"), "{}");
    const curves = readCurves(root, ["student-base", "distill", "grpo", "evaluate"]);
    assert.deepEqual(curves.map((c) => c.name), ["student-base/context-extension", "student-base/pretrain", "distill/distill", "grpo/grpo"]);
    const svg = renderCurvesSvg(curves)!;
    assert.match(svg, /^<svg xmlns[\s\S]*<\/svg>$/);
    assert.equal((svg.match(/<svg /g) ?? []).length, 4, "the outer svg and three panels");
    for (const t of ["Pre-training loss", "Fine-tuning loss", "GRPO"]) assert.ok(svg.includes(t), t);
    // 2 pre-training lines + 1 fine-tuning line + 4 GRPO lines (zero-variance is null throughout: no line).
    assert.equal((svg.match(/class="series"/g) ?? []).length, 7);
    // The pretrain line's first window (steps 0–1) has mean loss 3.95, its last (18–19) 2.15.
    assert.ok(svg.includes("student pre @ 10: 3.950"), "first window mean");
    assert.ok(svg.includes("student pre @ 100: 2.150"), "last window mean");
    assert.ok(svg.includes("reward @ 31: 0.953"), "GRPO's last window mean, at its last step");
    assert.match(curvesMarkdown(), /!\[training curves[^\]]*\]\(training-curves\.svg\)/);
    assert.equal(renderCurvesSvg([]), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("shortName fits the legend", () => {
  assert.equal(shortName("student-base/context-extension"), "student ctx");
  assert.equal(shortName("teacher-base/pretrain"), "teacher pre");
  assert.equal(shortName("teacher-sft/sft"), "teacher sft");
  assert.equal(shortName("distill/distill"), "distill");
  assert.equal(shortName("reward-model/train"), "reward mdl");
});

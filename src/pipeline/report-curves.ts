// The training curves of a `trimer run`, as a chart in the report (OUT/training-curves.svg, linked from report.md):
// the loss of every pre-training and fine-tuning phase over its own steps, and GRPO's reward, accuracy, format
// rate and shares of truncated and zero-variance groups. Read from each phase's metrics journal
// (OUT/<stage>/<phase>/metrics.jsonl); the same curves sit beside each journal as a TensorBoard event file
// (train/runner.ts, util/tfevents.ts), so `tensorboard --logdir OUT` shows them too.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { lineChart, type Series } from "../eval/svg.js";
import { readJsonLines } from "../util/journal.js";

export const CURVES_FILE = "training-curves.svg";

export interface PhaseCurve {
  /** "<stage>/<phase>", e.g. "distill/distill". */
  name: string;
  records: Record<string, unknown>[];
}

/** Every phase folder under `root` (stage order as given) with a metrics journal. */
export function readCurves(root: string, stages: readonly string[]): PhaseCurve[] {
  const out: PhaseCurve[] = [];
  for (const stage of stages) {
    const dir = join(root, stage);
    if (!existsSync(dir)) continue;
    for (const phase of readdirSync(dir).sort()) {
      const path = join(dir, phase, "metrics.jsonl");
      if (!statSync(join(dir, phase)).isDirectory() || !existsSync(path)) continue;
      const records = readJsonLines(path);
      if (records.length) out.push({ name: `${stage}/${phase}`, records });
    }
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Means of `key` over `windows` equal slices of the records: x = the slice's end in % of the phase's steps. */
function byProgress(records: readonly Record<string, unknown>[], key: string, windows: number): Series["points"] {
  return windowMeans(records, key, windows, (_slice, end, n) => Math.round((100 * end) / n));
}

/** Means of `key` over `windows` equal slices of the records; `x` places each slice (its end index, the count). */
function windowMeans(
  records: readonly Record<string, unknown>[], key: string, windows: number,
  x: (slice: readonly Record<string, unknown>[], end: number, n: number) => number,
): Series["points"] {
  const pts: Series["points"] = [];
  const n = records.length;
  const k = Math.min(windows, n);
  for (let w = 0; w < k; w++) {
    const end = Math.floor(((w + 1) * n) / k);
    const slice = records.slice(Math.floor((w * n) / k), end);
    const vals = slice.map((r) => num(r[key])).filter((v): v is number => v !== null);
    if (vals.length) pts.push({ x: x(slice, end, n), y: vals.reduce((a, b) => a + b, 0) / vals.length });
  }
  return pts;
}

/** Means of `key` over windows of steps: x = the window's last step. */
function bySteps(records: readonly Record<string, unknown>[], key: string, windows: number): Series["points"] {
  return windowMeans(records, key, windows, (slice, end) => num(slice[slice.length - 1]?.step) ?? end - 1);
}

/** A short legend label (the chart's legend has room for ~11 characters): "student-base/context-extension" → "student ctx". */
export function shortName(name: string): string {
  const [stage, phase] = name.split("/") as [string, string | undefined];
  if (stage === "reward-model") return "reward mdl";
  const short: Record<string, string> = { pretrain: "pre", "context-extension": "ctx" };
  const parts = [stage.replace(/-base$/, "").replace(/-/g, " ")];
  if (phase && phase !== stage && !stage.endsWith(phase)) parts.push(short[phase] ?? phase);
  return parts.join(" ");
}

const yTop = (series: readonly Series[]): number => {
  const m = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  return m > 0 ? Number((m * 1.1).toPrecision(2)) : 1;
};

/**
 * The panels of the chart: losses (pre-training phases; fine-tuning phases — at most six lines each, the palette's
 * size) over % of each phase's steps, and GRPO's rates over its steps. Empty panels are left out.
 */
export function curvePanels(curves: readonly PhaseCurve[]): string[] {
  const panels: string[] = [];
  const lossSeries = (names: PhaseCurve[]): Series[] =>
    names.map((c) => ({ name: shortName(c.name), points: byProgress(c.records, "loss", 10) })).filter((s) => s.points.length > 0);
  const pre = curves.filter((c) => /-base\//.test(c.name));
  const fine = curves.filter((c) => !/-base\//.test(c.name) && !c.name.startsWith("grpo/"));
  for (const [title, group] of [["Pre-training loss", pre], ["Fine-tuning loss (SFT, distillation, reward model)", fine]] as const) {
    for (let i = 0; i < group.length; i += 6) {
      const series = lossSeries(group.slice(i, i + 6));
      if (series.length) panels.push(lineChart(series, { title, xLabel: "% of the phase's steps", yLabel: "loss (window mean)", yMax: yTop(series), width: 640, categoricalX: true }));
    }
  }
  const grpo = curves.find((c) => c.name.startsWith("grpo/"));
  if (grpo) {
    const keys: [string, string][] = [["meanReward", "reward"], ["accuracy", "accuracy"], ["formatRate", "boxed"], ["truncatedFraction", "truncated"], ["zeroVarianceFraction", "zero-var"]];
    const series = keys.map(([k, name]) => ({ name, points: bySteps(grpo.records, k, 16) })).filter((s) => s.points.length > 0);
    // boxed: share with a \boxed{} answer; zero-var: share of groups whose samples all earned the same reward.
    if (series.length) panels.push(lineChart(series, { title: "GRPO (its own samples; window means)", xLabel: "step", yLabel: "rate", yMax: series.every((x) => x.points.every((p) => p.y <= 1)) ? 1 : yTop(series), width: 640, categoricalX: true }));
  }
  return panels;
}

/** One SVG stacking the panels (nested <svg> elements), or null when there is no curve. */
export function renderCurvesSvg(curves: readonly PhaseCurve[]): string | null {
  const panels = curvePanels(curves);
  if (!panels.length) return null;
  const heights = panels.map((p) => Number(/height="(\d+)"/.exec(p)?.[1] ?? 280));
  const widths = panels.map((p) => Number(/width="(\d+)"/.exec(p)?.[1] ?? 640));
  let y = 0;
  const body = panels.map((p, i) => {
    const placed = p.replace(/^<svg /, `<svg x="0" y="${y}" `);
    y += heights[i]! + 8;
    return placed;
  });
  const w = Math.max(...widths);
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y}" viewBox="0 0 ${w} ${y}" font-family="system-ui, sans-serif">`, ...body, "</svg>"].join("\n");
}

/** The report.md lines that show the chart and say where TensorBoard finds the same curves. */
export function curvesMarkdown(file = CURVES_FILE): string {
  return [
    "",
    `![training curves: loss of every phase, GRPO's rates](${file})`,
    "",
    "The same curves as TensorBoard event files, one beside each `<stage>/<phase>/metrics.jsonl`: `tensorboard --logdir <this folder>`.",
    "",
  ].join("\n");
}

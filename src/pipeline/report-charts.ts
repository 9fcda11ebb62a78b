// The charts of `trimer run`'s report, written beside report.md: every configuration's accuracy against its mean
// generated tokens on one chart (sampled rows, greedy rows, agent counts), and the token-limit sweep of the
// distilled and GRPO models on another (TriMER's Figure: accuracy rises with the limit, then plateaus).
import { lineChart, scatterChart, type ScatterPoint } from "../eval/svg.js";
import { CHART_FILES, type Report } from "./report.js";

export function renderCharts(r: Report): { file: string; svg: string }[] {
  const groups = ["single sample, T 0.7", "greedy", "agents: majority vote", "agents: reward-model rerank"];
  const pts: ScatterPoint[] = [];
  for (const row of r.rows) if (!row.name.startsWith("agents")) pts.push({ label: row.name, x: row.meanTokens, y: row.accuracy, group: 0 });
  for (const row of r.greedy) pts.push({ label: row.name.replace(/-greedy$/, ""), x: row.meanTokens, y: row.accuracy, group: 1 });
  for (const s of r.scaling) {
    pts.push({ label: `${s.agents}`, x: s.tokens, y: s.majority, group: 2 });
    pts.push({ label: `${s.agents}`, x: s.tokens, y: s.rerank, group: 3 });
  }
  const scatter = scatterChart(pts, groups, { title: `Accuracy vs mean tokens per problem (held-out, seed ${r.seed})`, xLabel: "generated tokens per problem", yLabel: "accuracy" });
  const series = [{ name: "GRPO", points: r.tokenSweep.map((s) => ({ x: s.limit, y: s.accuracy })) }];
  if (r.distilledTokenSweep?.length) series.unshift({ name: "distilled", points: r.distilledTokenSweep.map((s) => ({ x: s.limit, y: s.accuracy })) });
  const sweep = lineChart(series, { title: "Token-limit sweep (greedy, held-out)", xLabel: "generation limit (tokens)", yLabel: "accuracy", categoricalX: true });
  return [{ file: CHART_FILES.scatter, svg: scatter }, { file: CHART_FILES.sweep, svg: sweep }];
}

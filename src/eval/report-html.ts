// The evaluation report: one self-contained HTML file (inline CSS, inline SVG, no scripts, no network) with the
// summary table and its bootstrap intervals, accuracy by level, accuracy against the token limit, pass@k / maj@k /
// rm@k against k, and the per-domain table. Pure: summary in, HTML string out.
import type { Estimate, EvalSummary, GroupAccuracy } from "./metrics.js";
import { barChart, escapeHtml, lineChart, type Series } from "./svg.js";

export interface ReportTable {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ReportInput {
  title: string;
  summary: EvalSummary;
  /** Settings shown under the title (benchmark, model, k, temperature …). */
  settings?: [string, string][];
  /** Extra tables (e.g. file labels vs our verifier when scoring given completions). */
  tables?: ReportTable[];
  /** Paragraphs of explanation, shown as written (escaped). */
  notes?: string[];
}

const pct = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(1) : "–");
const ci = (e: Estimate): string => (Number.isFinite(e.low) ? `${pct(e.low)} – ${pct(e.high)}` : "–");

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(typeof c === "number" ? fmtNum(c) : c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><caption>${escapeHtml(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function groupRows(groups: readonly GroupAccuracy[]): (string | number)[][] {
  return groups.map((g) => [g.key, g.problems, g.samples, pct(g.accuracy.value), ci(g.accuracy), g.majAtN === undefined ? "–" : pct(g.majAtN)]);
}

export function summaryTable(s: EvalSummary): ReportTable {
  const conf = `${Math.round(s.bootstrap.confidence * 100)}% CI`;
  const rows: (string | number)[][] = [["accuracy (pass@1, mean over samples)", pct(s.accuracy.value), ci(s.accuracy)]];
  for (const r of s.atK) {
    if (r.k > 1) rows.push([`pass@${r.k} (unbiased)`, pct(r.passAtK.value), ci(r.passAtK)]);
    rows.push([`maj@${r.k}`, pct(r.majAtK.value), ci(r.majAtK)]);
    if (r.rmAtK) rows.push([`rm@${r.k}`, pct(r.rmAtK.value), ci(r.rmAtK)]);
  }
  if (s.tokens) {
    rows.push(["mean generated tokens", s.tokens.mean.toFixed(1), ""]);
    rows.push(["median generated tokens", String(s.tokens.median), ""]);
  }
  return { caption: `Summary: ${s.problems} problems × ${s.samplesPerProblem} samples (%; ${conf} by bootstrap over problems, ${s.bootstrap.iterations} resamples)`, columns: ["metric", "value", conf], rows };
}

export function renderReport(input: ReportInput): string {
  const s = input.summary;
  const charts: string[] = [];
  if (s.byLevel.length) {
    charts.push(barChart(s.byLevel.map((g) => ({ label: g.key, value: g.accuracy.value, low: g.accuracy.low, high: g.accuracy.high, note: `n=${g.problems}` })), { title: "Accuracy by level", xLabel: "level", yLabel: "accuracy" }));
  }
  if (s.tokenSweep.length) {
    charts.push(lineChart([{ name: "accuracy", points: s.tokenSweep.map((p) => ({ x: p.limit, y: p.accuracy })) }], { title: "Accuracy vs token limit", xLabel: "token limit", yLabel: "accuracy" }));
  }
  if (s.atK.length) {
    const series: Series[] = [
      { name: "pass@k", points: s.atK.map((r) => ({ x: r.k, y: r.passAtK.value, low: r.passAtK.low, high: r.passAtK.high })) },
      { name: "maj@k", points: s.atK.map((r) => ({ x: r.k, y: r.majAtK.value, low: r.majAtK.low, high: r.majAtK.high })) },
    ];
    const rm = s.atK.filter((r) => r.rmAtK);
    if (rm.length) series.push({ name: "rm@k", points: rm.map((r) => ({ x: r.k, y: r.rmAtK!.value, low: r.rmAtK!.low, high: r.rmAtK!.high })) });
    // Zoom the y axis to the data (in steps of 0.1): these curves are often a few points apart near the top.
    const lows = series.flatMap((x) => x.points.map((p) => Math.min(p.y, p.low ?? p.y)));
    const yMin = Math.max(0, Math.floor(Math.min(...lows) * 10 - 0.5) / 10);
    charts.push(lineChart(series, { title: "pass@k, maj@k and rm@k vs k", xLabel: "k (samples per problem)", yLabel: "accuracy", categoricalX: true, yMin }));
  }
  const groupCols = ["group", "problems", "samples", "accuracy %", `${Math.round(s.bootstrap.confidence * 100)}% CI`, `maj@${s.samplesPerProblem} %`];
  const sections: string[] = [table(summaryTable(s))];
  for (const t of input.tables ?? []) sections.push(table(t));
  if (s.byDomain.length) sections.push(table({ caption: "By domain", columns: groupCols, rows: groupRows(s.byDomain) }));
  if (s.byLevel.length) sections.push(table({ caption: "By level", columns: groupCols, rows: groupRows(s.byLevel) }));
  const settings = input.settings?.length
    ? `<dl>${input.settings.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`
    : "";
  const notes = (input.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1120px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; color: #374151; }
dt { font-weight: 600; } dd { margin: 0; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin: 16px 0; }
.chart { border: 1px solid #e5e7eb; border-radius: 6px; background: #fff; }
table { border-collapse: collapse; margin: 16px 0; font-size: 13px; min-width: 480px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; }
th { background: #f3f4f6; }
tbody tr:nth-child(even) { background: #f9fafb; }
.note { font-size: 13px; color: #374151; max-width: 900px; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${settings}
<div class="charts">
${charts.join("\n")}
</div>
${notes}
${sections.join("\n")}
</body>
</html>
`;
}

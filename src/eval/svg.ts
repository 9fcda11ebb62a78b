// Two small inline-SVG charts for the HTML report: bars with interval whiskers, and lines over shared x values.
// Hand-written instead of a charting library because the report must be one self-contained file with no scripts
// and no network, and these two shapes are all it needs.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface Bar {
  label: string;
  value: number;
  low?: number;
  high?: number;
  /** Shown under the label, e.g. "n=43". */
  note?: string;
}

export interface Series {
  name: string;
  points: { x: number; y: number; low?: number; high?: number }[];
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** y range; default [0, 1] (accuracies). Bar charts always start at 0. */
  yMin?: number;
  yMax?: number;
  /** Place x values at even spacing in their order (k = 1, 2, 4, 8) instead of linearly. */
  categoricalX?: boolean;
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const M = { top: 34, right: 16, bottom: 46, left: 48 };

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function frame(o: ChartOptions, w: number, h: number, body: string[]): string {
  const yMax = o.yMax ?? 1;
  const yMin = o.yMin ?? 0;
  const ph = h - M.top - M.bottom;
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    const y = M.top + ph - (ph * i) / 4;
    ticks.push(`<line x1="${M.left}" x2="${w - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    ticks.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
  }
  const labels: string[] = [`<text x="${w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeHtml(o.title)}</text>`];
  if (o.xLabel) labels.push(`<text x="${(M.left + w - M.right) / 2}" y="${h - 6}" text-anchor="middle" font-size="12">${escapeHtml(o.xLabel)}</text>`);
  if (o.yLabel) labels.push(`<text transform="translate(13 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(o.yLabel)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(o.title)}" font-family="system-ui, sans-serif">`,
    ...ticks,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#374151"/>`,
    `<line x1="${M.left}" x2="${w - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#374151"/>`,
    ...labels,
    ...body,
    `</svg>`,
  ].join("\n");
}

export function barChart(bars: readonly Bar[], o: ChartOptions): string {
  const w = o.width ?? 520;
  const h = o.height ?? 280;
  const yMax = o.yMax ?? 1;
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const y = (v: number): number => M.top + ph - (ph * Math.max(0, Math.min(yMax, v))) / yMax;
  const slot = bars.length ? pw / bars.length : pw;
  const bw = Math.min(48, slot * 0.6);
  const body: string[] = [];
  bars.forEach((b, i) => {
    const cx = M.left + slot * (i + 0.5);
    const top = y(b.value);
    body.push(`<rect class="bar" x="${(cx - bw / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${(M.top + ph - top).toFixed(1)}" fill="${COLORS[0]}" opacity="0.8"><title>${escapeHtml(`${b.label}: ${b.value.toFixed(3)}`)}</title></rect>`);
    if (b.low !== undefined && b.high !== undefined && Number.isFinite(b.low) && Number.isFinite(b.high)) {
      const [yl, yh] = [y(b.low), y(b.high)];
      body.push(`<path d="M${cx} ${yl.toFixed(1)}V${yh.toFixed(1)}M${cx - 5} ${yl.toFixed(1)}h10M${cx - 5} ${yh.toFixed(1)}h10" stroke="#111827" fill="none"/>`);
    }
    // The value sits at the foot of the bar, clear of the whisker at its top.
    if (M.top + ph - top > 16) body.push(`<text x="${cx}" y="${(M.top + ph - 6).toFixed(1)}" text-anchor="middle" font-size="10" fill="#fff">${b.value.toFixed(2)}</text>`);
    else body.push(`<text x="${cx}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10">${b.value.toFixed(2)}</text>`);
    body.push(`<text x="${cx}" y="${M.top + ph + 14}" text-anchor="middle" font-size="11">${escapeHtml(b.label)}</text>`);
    if (b.note) body.push(`<text x="${cx}" y="${M.top + ph + 27}" text-anchor="middle" font-size="9" fill="#6b7280">${escapeHtml(b.note)}</text>`);
  });
  return frame({ ...o, yMin: 0 }, w, h, body);
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const w = o.width ?? 520;
  const h = o.height ?? 280;
  const yMax = o.yMax ?? 1;
  const pw = w - M.left - M.right - 90; // room for the legend on the right
  const ph = h - M.top - M.bottom;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const xMin = xs[0] ?? 0;
  const xMax = xs[xs.length - 1] ?? 1;
  const xPos = (x: number): number => {
    if (o.categoricalX) return M.left + (xs.length > 1 ? (pw * xs.indexOf(x)) / (xs.length - 1) : pw / 2);
    return M.left + (xMax > xMin ? (pw * (x - xMin)) / (xMax - xMin) : pw / 2);
  };
  const yMin = o.yMin ?? 0;
  const y = (v: number): number => M.top + ph - (ph * (Math.max(yMin, Math.min(yMax, v)) - yMin)) / (yMax - yMin);
  const body: string[] = [];
  for (const x of xs) body.push(`<text x="${xPos(x).toFixed(1)}" y="${M.top + ph + 15}" text-anchor="middle" font-size="11">${fmt(x)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const band = pts.filter((p) => p.low !== undefined && p.high !== undefined && Number.isFinite(p.low) && Number.isFinite(p.high));
    if (band.length === pts.length && pts.length > 1) {
      const upper = pts.map((p) => `${xPos(p.x).toFixed(1)},${y(p.high!).toFixed(1)}`);
      const lower = [...pts].reverse().map((p) => `${xPos(p.x).toFixed(1)},${y(p.low!).toFixed(1)}`);
      body.push(`<polygon points="${[...upper, ...lower].join(" ")}" fill="${color}" opacity="0.12"/>`);
    }
    body.push(`<polyline class="series" points="${pts.map((p) => `${xPos(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) body.push(`<circle cx="${xPos(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.name} @ ${fmt(p.x)}: ${p.y.toFixed(3)}`)}</title></circle>`);
    const ly = M.top + 8 + i * 16;
    const lx = M.left + pw + 14;
    body.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/><text x="${lx + 20}" y="${ly + 4}" font-size="11">${escapeHtml(s.name)}</text>`);
  });
  return frame(o, w, h, body);
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** Index of the series (colour and legend entry) the point belongs to. */
  group: number;
}

/**
 * Labelled points on linear axes (x from 0 to the largest x, rounded up): e.g. accuracy against tokens, one point
 * per configuration. `groups` names the colours in the legend.
 */
export function scatterChart(points: readonly ScatterPoint[], groups: readonly string[], o: ChartOptions): string {
  const w = o.width ?? 640;
  const h = o.height ?? 360;
  const pw = w - M.left - M.right - 130; // legend on the right
  const ph = h - M.top - M.bottom;
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const rawMax = Math.max(1, ...finite.map((p) => p.x));
  const step = 10 ** Math.floor(Math.log10(rawMax));
  const xMax = Math.ceil(rawMax / step) * step;
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? 1;
  const xPos = (v: number): number => M.left + (pw * v) / xMax;
  const yPos = (v: number): number => M.top + ph - (ph * (Math.max(yMin, Math.min(yMax, v)) - yMin)) / (yMax - yMin);
  const body: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    body.push(`<text x="${xPos(v).toFixed(1)}" y="${M.top + ph + 15}" text-anchor="middle" font-size="11">${fmt(v)}</text>`);
  }
  for (const p of finite) {
    const color = COLORS[p.group % COLORS.length]!;
    const cx = xPos(p.x).toFixed(1), cy = yPos(p.y).toFixed(1);
    body.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${color}"><title>${escapeHtml(`${p.label}: ${p.y.toFixed(3)} at ${p.x.toFixed(1)}`)}</title></circle>`);
    body.push(`<text x="${(xPos(p.x) + 6).toFixed(1)}" y="${(yPos(p.y) - 5).toFixed(1)}" font-size="9" fill="#374151">${escapeHtml(p.label)}</text>`);
  }
  groups.forEach((g, i) => {
    const ly = M.top + 8 + i * 16;
    const lx = M.left + pw + 14;
    body.push(`<circle cx="${lx + 6}" cy="${ly}" r="4" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 16}" y="${ly + 4}" font-size="11">${escapeHtml(g)}</text>`);
  });
  return frame({ ...o, yMin, yMax }, w, h, body);
}

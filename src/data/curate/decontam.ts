// Decontamination: remove (or mark) training records that share an n-gram with a benchmark question. Tokens are
// the normalised, lower-cased words / numbers / symbols of split.ts, so "3x+5" and "3 x + 5" match. n defaults to
// 13 (the GPT-3 / Llama decontamination convention). Benchmark questions shorter than n tokens cannot hold an
// n-gram: their whole token sequence is used instead, matched anywhere inside a record when it is at least
// `minShortTokens` long, and only by whole-text equality when shorter still (a 4-token question such as
// "Compute 7 + 8." would otherwise flag every record that contains that phrase).
import type { JsonValue } from "../records.js";
import { tokens } from "../synth/split.js";
import { normalizeText } from "./normalize.js";
import { recordId, textField, withMeta, type CurateRecord, type StepRun } from "./record.js";

export interface BenchmarkItem {
  benchmark: string;
  id: string;
  question: string;
}

export interface DecontamOptions {
  /** n-gram size in tokens (default 13). */
  n?: number;
  /** Shortest benchmark question (tokens) matched inside a record rather than by equality (default 6). */
  minShortTokens?: number;
  /** Record fields checked (default ["question"]). */
  fields?: readonly string[];
  /** "drop" (default) removes contaminated records; "mark" keeps them with meta.contamination. */
  action?: "drop" | "mark";
}

export interface DecontamHit {
  record: string;
  field: string;
  benchmark: string;
  item: string;
  /** The first shared n-gram (or the whole short question), as tokens joined by spaces. */
  ngram: string;
  /** How many of the record's n-grams occur in that benchmark item. */
  sharedNgrams: number;
}

export interface DecontamReport {
  step: "decontaminate";
  n: number;
  benchmarks: Record<string, { items: number; shortItems: number }>;
  records: number;
  contaminated: number;
  removed: number;
  byBenchmark: Record<string, number>;
  hits: DecontamHit[];
}

/** An index of benchmark n-grams: gram → the items holding it. */
export class ContaminationIndex {
  readonly n: number;
  readonly minShort: number;
  private readonly grams = new Map<string, number[]>();
  /** Short questions by their whole token string, and the token lengths that occur among the containable ones. */
  private readonly whole = new Map<string, number[]>();
  private readonly shortLengths = new Set<number>();
  readonly items: BenchmarkItem[] = [];
  readonly perBenchmark: Record<string, { items: number; shortItems: number }> = {};

  constructor(n = 13, minShortTokens = 6) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n-gram size must be a positive integer, got ${n}`);
    this.n = n;
    this.minShort = minShortTokens;
  }

  add(item: BenchmarkItem): void {
    const idx = this.items.length;
    this.items.push(item);
    const stat = (this.perBenchmark[item.benchmark] ??= { items: 0, shortItems: 0 });
    stat.items++;
    const t = tokens(normalizeText(item.question));
    if (t.length === 0) return;
    if (t.length < this.n) {
      stat.shortItems++;
      push(this.whole, t.join(" "), idx);
      if (t.length >= this.minShort) this.shortLengths.add(t.length);
      return;
    }
    for (let i = 0; i + this.n <= t.length; i++) push(this.grams, t.slice(i, i + this.n).join(" "), idx);
  }

  /** Every benchmark item the text overlaps, with the first shared gram and the number of shared grams. */
  match(text: string): { item: number; ngram: string; shared: number }[] {
    const t = tokens(normalizeText(text));
    const found = new Map<number, { item: number; ngram: string; shared: number }>();
    const note = (items: number[] | undefined, gram: string): void => {
      if (!items) return;
      for (const it of items) {
        const f = found.get(it);
        if (f) f.shared++; else found.set(it, { item: it, ngram: gram, shared: 1 });
      }
    };
    for (let i = 0; i + this.n <= t.length; i++) {
      const g = t.slice(i, i + this.n).join(" ");
      note(this.grams.get(g), g);
    }
    for (const len of this.shortLengths) {
      for (let i = 0; i + len <= t.length; i++) {
        const g = t.slice(i, i + len).join(" ");
        const items = this.whole.get(g);
        if (items) note(items.filter((it) => !found.has(it)), g);
      }
    }
    if (t.length > 0 && t.length < this.n) {
      const g = t.join(" ");
      const items = this.whole.get(g);
      if (items) note(items.filter((it) => !found.has(it)), g);
    }
    return [...found.values()].sort((a, b) => a.item - b.item);
  }
}

function push(m: Map<string, number[]>, k: string, v: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [v]);
  else if (l[l.length - 1] !== v) l.push(v);
}

export function decontaminateStep(input: AsyncIterable<CurateRecord>, index: ContaminationIndex, opts: DecontamOptions = {}): StepRun<DecontamReport> {
  const fields = opts.fields ?? ["question"];
  const action = opts.action ?? "drop";
  const report: DecontamReport = {
    step: "decontaminate", n: index.n, benchmarks: index.perBenchmark, records: 0, contaminated: 0, removed: 0,
    byBenchmark: Object.fromEntries(Object.keys(index.perBenchmark).map((b) => [b, 0])), hits: [],
  };
  async function* run(): AsyncGenerator<CurateRecord> {
    for await (const rec of input) {
      const pos = ++report.records;
      const id = recordId(rec, pos);
      const hits: DecontamHit[] = [];
      for (const field of fields) {
        for (const m of index.match(textField(rec, field))) {
          const item = index.items[m.item]!;
          hits.push({ record: id, field, benchmark: item.benchmark, item: item.id, ngram: m.ngram, sharedNgrams: m.shared });
        }
      }
      if (hits.length === 0) { yield rec; continue; }
      report.contaminated++;
      report.hits.push(...hits);
      for (const b of new Set(hits.map((h) => h.benchmark))) report.byBenchmark[b] = (report.byBenchmark[b] ?? 0) + 1;
      if (action === "drop") { report.removed++; continue; }
      yield withMeta(rec, "contamination", hits.map((h) => ({ benchmark: h.benchmark, item: h.item, ngram: h.ngram })) as JsonValue);
    }
  }
  return { records: run(), report: () => report };
}

// Mixing: draw sources at given ratios (TriMER: 55 / 7.5 / 37.5) with exact counts. Target counts use
// largest-remainder rounding, so they sum to exactly N; each source is sampled without replacement by a partial
// Fisher–Yates shuffle seeded from (seed, source name), so adding a source does not change another's draw.
import { createRng, mixSeed } from "../../util/rng.js";
import { InputError, UsageError } from "../../util/errors.js";
import { hashString } from "../synth/split.js";
import { withMeta, type CurateRecord, type StepRun } from "./record.js";

/** round(ratio · N) per entry with largest-remainder rounding: the counts sum to N exactly (ties: earlier entry). */
export function apportion(ratios: readonly number[], total: number): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  const sum = ratios.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || ratios.some((r) => !(r >= 0) || !Number.isFinite(r))) throw new RangeError(`ratios must be non-negative with a positive sum, got ${ratios.join(", ")}`);
  const exact = ratios.map((r) => (r / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rem: e - Math.floor(e) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) { if (left-- <= 0) break; counts[i]!++; }
  return counts;
}

/** The largest N whose apportioned counts every source can supply. */
export function largestFeasibleTotal(ratios: readonly number[], available: readonly number[]): number {
  const sum = ratios.reduce((a, b) => a + b, 0);
  let n = Math.min(...ratios.map((r, i) => (r > 0 ? Math.floor(available[i]! / (r / sum)) : Infinity)));
  if (!Number.isFinite(n)) n = 0;
  while (n > 0 && apportion(ratios, n).some((c, i) => c > available[i]!)) n--;
  return n;
}

export interface MixOptions {
  /** Source name → ratio (any positive scale: 55 / 7.5 / 37.5 or 0.55 / 0.075 / 0.375). */
  ratios: Record<string, number>;
  /** Records in the mixture (default: the largest the sources can supply at these ratios). */
  total?: number;
  seed?: number;
  /** Take all of a source that has too few records instead of failing (the mixture is then smaller than N). */
  allowShort?: boolean;
  /** Shuffle the mixture (default true); otherwise sources follow each other in the order of `ratios`. */
  shuffle?: boolean;
  /** The source of a record (default: its `source` field). */
  sourceOf?: (rec: CurateRecord) => string;
}

export interface MixReport {
  step: "mix";
  seed: number;
  total: number;
  produced: number;
  sources: Record<string, { ratio: number; available: number; target: number; taken: number }>;
  /** Records of sources not named in the ratios (not used). */
  unusedSources: Record<string, number>;
}

function sourceField(rec: CurateRecord): string {
  return typeof rec.source === "string" ? rec.source : "";
}

export function mixStep(input: AsyncIterable<CurateRecord>, opts: MixOptions): StepRun<MixReport> {
  const names = Object.keys(opts.ratios);
  if (names.length === 0) throw new UsageError("mix: no sources given");
  const ratios = names.map((n) => opts.ratios[n]!);
  const seed = opts.seed ?? 1;
  const sourceOf = opts.sourceOf ?? sourceField;
  let report: MixReport | null = null;
  async function* run(): AsyncGenerator<CurateRecord> {
    const pools = new Map<string, CurateRecord[]>(names.map((n) => [n, []]));
    const unused: Record<string, number> = {};
    for await (const rec of input) {
      const s = sourceOf(rec);
      const pool = pools.get(s);
      if (pool) pool.push(rec); else unused[s] = (unused[s] ?? 0) + 1;
    }
    const available = names.map((n) => pools.get(n)!.length);
    const total = opts.total ?? largestFeasibleTotal(ratios, available);
    const targets = apportion(ratios, total);
    const short = names.filter((_, i) => targets[i]! > available[i]!);
    if (short.length && !opts.allowShort) {
      throw new InputError(`mix: ${short.map((n) => `source "${n}" has ${available[names.indexOf(n)]} records, needs ${targets[names.indexOf(n)]}`).join("; ")} (pass --allow-short to take what there is, or a smaller --n)`);
    }
    const out: CurateRecord[] = [];
    const sources: MixReport["sources"] = {};
    names.forEach((name, i) => {
      const pool = pools.get(name)!;
      const take = Math.min(targets[i]!, pool.length);
      const rng = createRng(mixSeed(seed, hashString(name)));
      // partial Fisher–Yates over indices: the first `take` positions are a uniform sample without replacement
      const idx = Array.from(pool.keys());
      for (let j = 0; j < take; j++) {
        const k = j + Math.floor(rng.next() * (idx.length - j));
        [idx[j], idx[k]] = [idx[k]!, idx[j]!];
      }
      const chosen = idx.slice(0, take).sort((a, b) => a - b);
      for (const j of chosen) out.push(withMeta(pool[j]!, "mixSource", name));
      sources[name] = { ratio: ratios[i]!, available: pool.length, target: targets[i]!, taken: take };
    });
    if (opts.shuffle ?? true) createRng(mixSeed(seed, 0x6d6978)).shuffle(out);
    report = { step: "mix", seed, total, produced: out.length, sources, unusedSources: unused };
    yield* out;
  }
  return {
    records: run(),
    report: () => {
      if (!report) throw new Error("mix: the report is ready only after the records have been read");
      return report;
    },
  };
}

/** Parses "a=55,b=7.5,c=37.5" into ratios; names the bad part. */
export function parseRatios(spec: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=\s*([0-9.eE+-]+)$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !(v >= 0) || !Number.isFinite(v)) throw new UsageError(`--ratios: "${part}" is not NAME=NUMBER`);
    out[m[1]!.trim()] = v;
  }
  if (Object.keys(out).length === 0) throw new UsageError("--ratios: no sources (expected e.g. multi=55,hand=7.5,web=37.5)");
  return out;
}

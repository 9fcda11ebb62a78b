// Near-duplicate removal: MinHash + LSH over shingles of a text field, candidates verified by exact Jaccard,
// clusters by union-find; the first member of each cluster (input order) is kept. The step has to see every
// record before it can emit any (a later record can only remove itself, but the report needs whole clusters), so it
// holds the records in memory: ~1 KB per problem, fine for the corpus sizes trimer curates (≤ a few million).
import { NearDupIndex, type NearDupOptions, type NearDupStats } from "./minhash.js";
import { normalizeText } from "./normalize.js";
import { excerpt, recordId, textField, type CurateRecord, type StepRun } from "./record.js";
import { shingleSet, type ShingleOptions } from "./shingles.js";

export interface NearDedupeOptions extends NearDupOptions, ShingleOptions {
  /** Text field compared (default "question"). */
  field?: string;
  /** Clusters listed in the report, largest first (default 50), each with up to `examplesPerCluster` members. */
  maxClusters?: number;
  examplesPerCluster?: number;
  /** Called after each record is indexed (progress). */
  onRecord?: (count: number) => void;
}

export interface NearDedupeCluster {
  kept: { id: string; text: string };
  size: number;
  /** Removed members: id, excerpt and Jaccard similarity to the kept record. */
  removed: { id: string; text: string; jaccard: number }[];
}

export interface NearDedupeReport extends NearDupStats {
  step: "near-dedupe";
  shingles: { kind: string; k: number };
  records: number;
  kept: number;
  removed: number;
  clusters: number;
  /** Cluster size → how many clusters have it. */
  clusterSizes: Record<string, number>;
  examples: NearDedupeCluster[];
}

export function nearDedupeStep(input: AsyncIterable<CurateRecord>, opts: NearDedupeOptions = {}): StepRun<NearDedupeReport> {
  const field = opts.field ?? "question";
  const kind = opts.kind ?? "word";
  const k = opts.k ?? (kind === "word" ? 3 : 5);
  let report: NearDedupeReport | null = null;
  async function* run(): AsyncGenerator<CurateRecord> {
    const records: CurateRecord[] = [];
    const index = new NearDupIndex(1024, opts);
    for await (const rec of input) {
      records.push(rec);
      index.add(shingleSet(normalizeText(textField(rec, field)), { kind, k }));
      opts.onRecord?.(records.length);
    }
    const members = new Map<number, number[]>();
    for (let i = 0; i < records.length; i++) {
      const r = index.root(i);
      if (r !== i) {
        const list = members.get(r);
        if (list) list.push(i); else members.set(r, [i]);
      }
    }
    const sizes: Record<string, number> = {};
    for (const list of members.values()) sizes[String(list.length + 1)] = (sizes[String(list.length + 1)] ?? 0) + 1;
    const maxClusters = opts.maxClusters ?? 50;
    const perCluster = opts.examplesPerCluster ?? 5;
    const text = (i: number): string => excerpt(textField(records[i]!, field));
    const examples = [...members.entries()]
      .sort((a, b) => b[1].length - a[1].length || a[0] - b[0])
      .slice(0, maxClusters)
      .map(([root, list]) => ({
        kept: { id: recordId(records[root]!, root + 1), text: text(root) },
        size: list.length + 1,
        removed: list.slice(0, perCluster).map((i) => ({ id: recordId(records[i]!, i + 1), text: text(i), jaccard: Number(index.jaccard(root, i).toFixed(4)) })),
      }));
    let removed = 0;
    for (const list of members.values()) removed += list.length;
    report = {
      step: "near-dedupe", ...index.stats, shingles: { kind, k }, records: records.length, kept: records.length - removed, removed,
      clusters: members.size, clusterSizes: sizes, examples,
    };
    for (let i = 0; i < records.length; i++) if (index.root(i) === i) yield records[i]!;
  }
  return {
    records: run(),
    report: () => {
      if (!report) throw new Error("near-dedupe: the report is ready only after the records have been read");
      return report;
    },
  };
}

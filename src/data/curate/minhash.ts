// MinHash signatures and LSH banding (Broder 1997; Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets" ch. 3).
// Each of the P hash functions is a bijection of the 32-bit shingle hash (xor a seed, multiply by an odd constant,
// xor-shift): cheaper than P independent hashes of the shingle text and, because candidates are verified on the
// real shingle sets afterwards, the small bias of this family costs at most a missed candidate, never a wrong merge.
// Written here rather than taken from a package: the npm MinHash modules hash strings per permutation (10-50x
// slower) and none does banding with verification over typed arrays.
import { createRng } from "../../util/rng.js";
import { fmix32, jaccardSorted } from "./shingles.js";

export interface MinHasher {
  numPerm: number;
  /** Writes the signature of a sorted shingle set into `out[offset .. offset+numPerm)`. */
  signature(shingles: Uint32Array, out: Uint32Array, offset: number): void;
}

export function createMinHasher(numPerm: number, seed = 1): MinHasher {
  if (!Number.isInteger(numPerm) || numPerm < 1 || numPerm > 1024) throw new RangeError(`numPerm must be an integer 1-1024, got ${numPerm}`);
  const rng = createRng(seed);
  const xorSeed = new Int32Array(numPerm), mul = new Int32Array(numPerm);
  for (let i = 0; i < numPerm; i++) {
    xorSeed[i] = Math.floor(rng.next() * 0x100000000) | 0;
    mul[i] = (Math.floor(rng.next() * 0x100000000) | 1) | 0;
  }
  return {
    numPerm,
    signature(shingles, out, offset) {
      // per function, the min over the set kept in a local: one store per function instead of one per shingle
      const n = shingles.length;
      for (let i = 0; i < numPerm; i++) {
        const xs = xorSeed[i]!, m = mul[i]!;
        let min = 0xffffffff;
        for (let s = 0; s < n; s++) {
          let v = Math.imul(shingles[s]! ^ xs, m);
          v = (v ^ (v >>> 15)) >>> 0;
          if (v < min) min = v;
        }
        out[offset + i] = min;
      }
    },
  };
}

/** Probability that two documents of Jaccard similarity s share at least one band: 1 - (1 - s^r)^b. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

export interface BandChoice {
  bands: number;
  rows: number;
  /** Where the S-curve is steepest, (1/b)^(1/r): the similarity the banding itself "thresholds" at. */
  sCurvePoint: number;
  /** Probability that a pair exactly at the threshold becomes a candidate. */
  probabilityAtThreshold: number;
  /** Areas under the curve: candidates below the threshold (checked and rejected: time) and missed pairs above. */
  falsePositiveArea: number;
  falseNegativeArea: number;
}

function integrate(f: (x: number) => number, a: number, b: number, steps = 200): number {
  if (b <= a) return 0;
  const h = (b - a) / steps;
  let sum = 0.5 * (f(a) + f(b));
  for (let i = 1; i < steps; i++) sum += f(a + i * h);
  return sum * h;
}

/**
 * The bands × rows (b·r ≤ numPerm) minimising the weighted areas of false positives below the threshold and false
 * negatives above it. The default weights favour recall strongly (0.05 / 0.95): a false positive only costs one
 * exact Jaccard check on two small sorted sets, a false negative is a duplicate left in the data. Measured on 3,000
 * synthetic problems (bench/curate): at J ≥ 0.8 with 128 functions, the balanced-ish 0.3 / 0.7 choice (11 × 11,
 * P(candidate | J = 0.8) = 0.63) missed 10 of 458 duplicates; 16 × 8 (P = 0.95) missed none, for 3.6x the candidates.
 */
export function chooseBands(threshold: number, numPerm: number, fpWeight = 0.05, fnWeight = 0.95): BandChoice {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold must be in (0, 1), got ${threshold}`);
  let best: BandChoice | null = null;
  let bestCost = Infinity;
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r * b <= numPerm; r++) {
      const fp = integrate((s) => candidateProbability(s, b, r), 0, threshold);
      const fn = integrate((s) => 1 - candidateProbability(s, b, r), threshold, 1);
      const cost = fpWeight * fp + fnWeight * fn;
      if (cost < bestCost - 1e-12) {
        bestCost = cost;
        best = { bands: b, rows: r, sCurvePoint: Math.pow(1 / b, 1 / r), probabilityAtThreshold: candidateProbability(threshold, b, r), falsePositiveArea: fp, falseNegativeArea: fn };
      }
    }
  }
  return best!;
}

export interface NearDupOptions {
  /** Jaccard similarity at or above which two documents are duplicates (default 0.8). */
  threshold?: number;
  /** Hash functions per signature (default 128). */
  numPerm?: number;
  bands?: number;
  rows?: number;
  seed?: number;
  /** Most bucket members one document is checked against per band (bounds time on huge template buckets; default 200). */
  maxBucketChecks?: number;
  /** Add every document to its buckets, even when its cluster is already there (more recall on chains, slower). */
  fullBuckets?: boolean;
}

export interface NearDupStats {
  documents: number;
  threshold: number;
  numPerm: number;
  bands: number;
  rows: number;
  sCurvePoint: number;
  probabilityAtThreshold: number;
  /** Pairs sharing a band whose Jaccard was computed. */
  candidatePairs: number;
  /** Candidates at or above the threshold (edges of the union-find). */
  verifiedPairs: number;
  /** Bucket members not checked because of maxBucketChecks. */
  skippedChecks: number;
}

/**
 * Union-find over documents where the root is always the smallest index: the first document of a cluster (input
 * order) represents it and is the one kept.
 */
export class FirstRootUnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    let r = x;
    while (p[r] !== r) r = p[r]!;
    while (p[x] !== r) { const nx = p[x]!; p[x] = r; x = nx; }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return;
    if (ra < rb) this.parent[rb] = ra; else this.parent[ra] = rb;
  }
}

/**
 * Incremental near-duplicate index: add documents (as shingle sets) in order; each is compared with the earlier
 * documents it shares a band with, unless they are already in one cluster. Clusters are the connected components of
 * verified pairs (so a chain a~b~c groups a and c even when they are less similar: the usual single-linkage choice).
 */
export class NearDupIndex {
  readonly stats: NearDupStats;
  private readonly hasher: MinHasher;
  private readonly sig: Uint32Array;
  private readonly buckets: Map<number, number[]>[];
  private readonly shingles: Uint32Array[] = [];
  private uf: FirstRootUnionFind;
  private readonly maxChecks: number;
  private readonly fullBuckets: boolean;

  constructor(capacityHint: number, opts: NearDupOptions = {}) {
    const threshold = opts.threshold ?? 0.8;
    const numPerm = opts.numPerm ?? 128;
    let choice: Pick<BandChoice, "bands" | "rows">;
    if (opts.bands !== undefined || opts.rows !== undefined) {
      const bands = opts.bands ?? Math.floor(numPerm / (opts.rows ?? 1));
      const rows = opts.rows ?? Math.floor(numPerm / bands);
      if (!(bands >= 1 && rows >= 1 && bands * rows <= numPerm)) throw new RangeError(`bands × rows must be ≤ numPerm (${bands} × ${rows} > ${numPerm})`);
      choice = { bands, rows };
    } else {
      choice = chooseBands(threshold, numPerm);
    }
    this.hasher = createMinHasher(numPerm, opts.seed ?? 1);
    this.sig = new Uint32Array(numPerm);
    this.buckets = Array.from({ length: choice.bands }, () => new Map<number, number[]>());
    this.uf = new FirstRootUnionFind(Math.max(1, capacityHint));
    this.maxChecks = opts.maxBucketChecks ?? 200;
    this.fullBuckets = opts.fullBuckets ?? false;
    this.stats = {
      documents: 0, threshold, numPerm, bands: choice.bands, rows: choice.rows,
      sCurvePoint: Math.pow(1 / choice.bands, 1 / choice.rows),
      probabilityAtThreshold: candidateProbability(threshold, choice.bands, choice.rows),
      candidatePairs: 0, verifiedPairs: 0, skippedChecks: 0,
    };
  }

  /** Adds the next document; returns its index. */
  add(shingleSet: Uint32Array): number {
    const d = this.stats.documents++;
    if (d >= this.uf.parent.length) this.grow();
    this.shingles.push(shingleSet);
    if (shingleSet.length === 0) return d; // empty texts are never near-duplicates of anything
    this.hasher.signature(shingleSet, this.sig, 0);
    const { bands, rows, threshold } = this.stats;
    for (let b = 0; b < bands; b++) {
      let key = 0x2545f491 ^ b;
      for (let r = 0; r < rows; r++) key = Math.imul(key ^ this.sig[b * rows + r]!, 0x01000193) + 0x3c6ef372;
      // 30 bits: small integers (Smis) as Map keys are several times faster than heap numbers; a collision only
      // adds a candidate that the Jaccard check rejects
      key = fmix32(key) >>> 2;
      const bucket = this.buckets[b]!;
      const members = bucket.get(key);
      if (!members) { bucket.set(key, [d]); continue; }
      let checks = 0, sharesCluster = false;
      for (let m = members.length - 1; m >= 0; m--) {
        const other = members[m]!;
        if (this.uf.find(other) === this.uf.find(d)) { sharesCluster = true; continue; }
        if (checks >= this.maxChecks) { this.stats.skippedChecks += m + 1; break; }
        checks++;
        this.stats.candidatePairs++;
        if (jaccardSorted(shingleSet, this.shingles[other]!) >= threshold) {
          this.stats.verifiedPairs++;
          this.uf.union(other, d);
          sharesCluster = true;
        }
      }
      // A document whose cluster already has a member in this bucket is not added to it (unless fullBuckets):
      // template-heavy data (thousands of near-identical problems) would otherwise make every bucket scan
      // O(cluster size). The cost is recall on chains only (a later text similar to this one but not to that
      // member): on 100,000 synthetic problems 40,651 removed instead of 40,689 with full buckets (-0.09%).
      if (!sharesCluster || this.fullBuckets) members.push(d);
    }
    return d;
  }

  /** The cluster representative (smallest index) of document `d`. */
  root(d: number): number {
    return this.uf.find(d);
  }

  jaccard(a: number, b: number): number {
    return jaccardSorted(this.shingles[a]!, this.shingles[b]!);
  }

  private grow(): void {
    const old = this.uf.parent;
    const next = new FirstRootUnionFind(old.length * 2);
    next.parent.set(old);
    this.uf = next;
  }
}

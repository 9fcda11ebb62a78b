// Seeded pseudo-random numbers: everything random in trimer takes an Rng so runs are reproducible.
// xoshiro128** (public-domain algorithm by Blackman & Vigna), seeded through splitmix32 so that nearby seeds
// give unrelated streams. 32-bit integer arithmetic only: fast in JS and identical on every platform.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** A standard normal (Box–Muller). */
  normal(): number;
  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T;
  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(items: T[]): T[];
  /** An independent generator derived from this one (for sub-tasks that must not disturb this stream). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Mixes several integers (e.g. seed and index) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const sm = splitmix32((h ^ (p >>> 0) ^ Math.floor(p / 0x100000000)) >>> 0);
    h = sm();
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  const sm = splitmix32(seed >>> 0);
  let a = sm(), b = sm(), c = sm(), d = sm();
  if ((a | b | c | d) === 0) a = 1;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = rotl(d, 11);
    return result;
  };
  let spare: number | null = null;
  const rng: Rng = {
    next: () => nextU32() / 0x100000000,
    int: (lo, hi) => {
      if (hi < lo) throw new RangeError(`rng.int: empty range [${lo}, ${hi}]`);
      return lo + Math.floor(rng.next() * (hi - lo + 1));
    },
    normal: () => {
      if (spare !== null) { const s = spare; spare = null; return s; }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    pick: (items) => {
      if (items.length === 0) throw new RangeError("rng.pick: empty list");
      return items[Math.floor(rng.next() * items.length)]!;
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const t = items[i]!; items[i] = items[j]!; items[j] = t;
      }
      return items;
    },
    fork: () => createRng(nextU32()),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

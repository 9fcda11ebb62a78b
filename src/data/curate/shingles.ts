// Shingles as 32-bit hashes, computed straight from the character codes (no intermediate token strings): the
// near-duplicate pass hashes every document once and this is most of its cost. Words are runs of letters, runs of
// digits, or single other symbols (so "3x+5=20" and "3 x + 5 = 20" shingle alike), lower-cased; character
// shingles run over the text with whitespace collapsed. Each document becomes a sorted set of distinct hashes.

export type ShingleKind = "word" | "char";

export interface ShingleOptions {
  kind?: ShingleKind;
  /** Words (or characters) per shingle (default 3 words / 5 characters). */
  k?: number;
}

/** murmur3's 32-bit finaliser: a bijection on 32 bits that spreads every input bit over the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const enum Cls { Space, Letter, Digit, Other }

function classOf(c: number): Cls {
  if (c <= 32 || c === 0xa0) return Cls.Space;
  if (c >= 48 && c <= 57) return Cls.Digit;
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c > 0x7f && c !== 0xa0 && String.fromCharCode(c).toLowerCase() !== String.fromCharCode(c).toUpperCase())) return Cls.Letter;
  return Cls.Other;
}

/** Hashes of the words of `text` (FNV-1a over lower-cased code units, then fmix32), in order. */
export function wordHashes(text: string, out: number[] = []): number[] {
  out.length = 0;
  let h = 0x811c9dc5, cls: Cls = Cls.Space;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    const k = c < 128 ? (c <= 32 ? Cls.Space : c >= 48 && c <= 57 ? Cls.Digit : (c | 32) >= 97 && (c | 32) <= 122 ? Cls.Letter : Cls.Other) : classOf(c);
    if (k !== cls || k === Cls.Other) {
      if (cls !== Cls.Space) out.push(fmix32(h));
      h = 0x811c9dc5;
      cls = k;
    }
    if (k === Cls.Space) continue;
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (cls !== Cls.Space) out.push(fmix32(h));
  return out;
}

function sortedUnique(a: Uint32Array): Uint32Array {
  a.sort();
  let w = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[w - 1]) a[w++] = a[i]!;
  return a.subarray(0, w);
}

const scratch: number[] = [];

/** The distinct shingle hashes of `text`, sorted ascending. A text shorter than k yields one shingle (all of it). */
export function shingleSet(text: string, opts: ShingleOptions = {}): Uint32Array {
  const kind = opts.kind ?? "word";
  const k = opts.k ?? (kind === "word" ? 3 : 5);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`shingle size must be a positive integer, got ${k}`);
  let units: ArrayLike<number>;
  if (kind === "word") {
    units = wordHashes(text, scratch);
  } else {
    const t = text.toLowerCase().replace(/\s+/g, " ").trim();
    const a = new Uint32Array(t.length);
    for (let i = 0; i < t.length; i++) a[i] = t.charCodeAt(i);
    units = a;
  }
  const n = units.length;
  if (n === 0) return new Uint32Array(0);
  const count = n <= k ? 1 : n - k + 1;
  const width = n <= k ? n : k;
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let h = 0x9747b28c ^ width;
    for (let j = 0; j < width; j++) h = Math.imul(h ^ units[i + j]!, 0x01000193) + 0x7f4a7c15;
    out[i] = fmix32(h);
  }
  return sortedUnique(out);
}

/** |A ∩ B| / |A ∪ B| of two sorted distinct hash sets (1 for two empty sets). */
export function jaccardSorted(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0, j = 0, inter = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!, y = b[j]!;
    if (x === y) { inter++; i++; j++; } else if (x < y) i++; else j++;
  }
  return inter / (a.length + b.length - inter);
}

// Exact rationals over BigInt: every synthetic answer is computed with these, never with floating point, so a
// fraction such as 1/3 + 1/6 is exactly 1/2 and a percentage of a price is exact to the cent.
// Not src/verify/rational.ts: that one charges every operation to a size/time Budget because it parses untrusted
// answers; the generator's numbers are small and trusted, and the generation hot path (goal ≥ 20k problems/s)
// should not pay for a budget check per operation.

export interface Q {
  readonly n: bigint; // numerator, sign carried here
  readonly d: bigint; // denominator, always > 0, gcd(n, d) = 1
}

function gcdBig(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) { const t = a % b; a = b; b = t; }
  return a;
}

export function q(n: bigint | number, d: bigint | number = 1n): Q {
  let nn = typeof n === "number" ? BigInt(n) : n;
  let dd = typeof d === "number" ? BigInt(d) : d;
  if (dd === 0n) throw new RangeError("rational with zero denominator");
  if (dd < 0n) { nn = -nn; dd = -dd; }
  if (dd === 1n) return { n: nn, d: 1n };
  const g = gcdBig(nn, dd);
  return g === 1n ? { n: nn, d: dd } : { n: nn / g, d: dd / g };
}

export const add = (a: Q, b: Q): Q => (a.d === 1n && b.d === 1n ? { n: a.n + b.n, d: 1n } : q(a.n * b.d + b.n * a.d, a.d * b.d));
export const sub = (a: Q, b: Q): Q => (a.d === 1n && b.d === 1n ? { n: a.n - b.n, d: 1n } : q(a.n * b.d - b.n * a.d, a.d * b.d));
export const mul = (a: Q, b: Q): Q => (a.d === 1n && b.d === 1n ? { n: a.n * b.n, d: 1n } : q(a.n * b.n, a.d * b.d));
export const div = (a: Q, b: Q): Q => {
  if (b.n === 0n) throw new RangeError("division by zero");
  return q(a.n * b.d, a.d * b.n);
};
export const neg = (a: Q): Q => ({ n: -a.n, d: a.d });
export const eq = (a: Q, b: Q): boolean => a.n === b.n && a.d === b.d;
export const cmp = (a: Q, b: Q): number => {
  const l = a.n * b.d, r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const isInt = (a: Q): boolean => a.d === 1n;
export const pow = (a: Q, k: number): Q => {
  let r: Q = { n: 1n, d: 1n };
  for (let i = 0; i < k; i++) r = mul(r, a);
  return r;
};

/** "24", "-3/4": the canonical answer string (also what Python's Fraction prints). */
export function str(a: Q): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/** LaTeX: "24", "\frac{3}{4}", "-\frac{3}{4}". */
export function tex(a: Q): string {
  if (a.d === 1n) return a.n.toString();
  const s = a.n < 0n ? "-" : "";
  return `${s}\\frac{${a.n < 0n ? -a.n : a.n}}{${a.d}}`;
}

/** Decimal string when the denominator is 2^a·5^b ("3.75"), else null. */
export function decimal(a: Q): string | null {
  let d = a.d, twos = 0, fives = 0;
  while (d % 2n === 0n) { d /= 2n; twos++; }
  while (d % 5n === 0n) { d /= 5n; fives++; }
  if (d !== 1n) return null;
  const k = Math.max(twos, fives);
  if (k === 0) return a.n.toString();
  const scaled = (a.n * 10n ** BigInt(k)) / a.d;
  const neg = scaled < 0n;
  const digits = (neg ? -scaled : scaled).toString().padStart(k + 1, "0");
  const out = `${digits.slice(0, -k)}.${digits.slice(-k)}`.replace(/0+$/, "").replace(/\.$/, "");
  return (neg ? "-" : "") + out;
}

/** Decimal when it terminates, else LaTeX fraction: how answers are written inside \boxed{}. */
export function show(a: Q): string {
  return a.d === 1n ? a.n.toString() : tex(a);
}

/** Python source for the value: "24" or "Fraction(3, 4)". */
export function py(a: Q): string {
  return a.d === 1n ? a.n.toString() : `Fraction(${a.n}, ${a.d})`;
}

export function toNumber(a: Q): number {
  return Number(a.n) / Number(a.d);
}

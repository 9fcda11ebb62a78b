// Exact rationals over BigInt, always in lowest terms with a positive denominator. Every operation checks the
// size of its result against the budget (`maxBits`) so that `10^{10^{10}}` or `5000!` cannot eat the process:
// a result that would be too large throws VerifyLimit before it is computed.
import { type Budget, VerifyLimit, VerifySyntax } from "./limits.js";

export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

export const ZERO: Rational = Object.freeze({ n: 0n, d: 1n });
export const ONE: Rational = Object.freeze({ n: 1n, d: 1n });

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Bits of |x| (0 for 0), exact: from the hex digits (linear time, unlike a decimal conversion). */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  const hex = abs(x).toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex.charAt(0), 16)));
}

function checkSize(r: Rational, budget: Budget): Rational {
  const max = budget.limits.maxBits;
  if (bitLength(r.n) > max || bitLength(r.d) > max) throw new VerifyLimit(`exact number larger than ${max} bits`);
  return r;
}

export function rat(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError("rational with zero denominator");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g === 1n ? { n, d } : { n: n / g, d: d / g };
}

export function ratInt(k: number | bigint): Rational {
  return { n: BigInt(k), d: 1n };
}

export function isZero(a: Rational): boolean {
  return a.n === 0n;
}

export function isInteger(a: Rational): boolean {
  return a.d === 1n;
}

export function eq(a: Rational, b: Rational): boolean {
  return a.n === b.n && a.d === b.d;
}

export function cmp(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function neg(a: Rational): Rational {
  return { n: -a.n, d: a.d };
}

export function add(a: Rational, b: Rational, budget: Budget): Rational {
  budget.tick();
  return checkSize(rat(a.n * b.d + b.n * a.d, a.d * b.d), budget);
}

export function sub(a: Rational, b: Rational, budget: Budget): Rational {
  return add(a, neg(b), budget);
}

export function mul(a: Rational, b: Rational, budget: Budget): Rational {
  budget.tick();
  return checkSize(rat(a.n * b.n, a.d * b.d), budget);
}

/** a / b; null when b is zero. */
export function div(a: Rational, b: Rational, budget: Budget): Rational | null {
  if (b.n === 0n) return null;
  budget.tick();
  return checkSize(rat(a.n * b.d, a.d * b.n), budget);
}

/**
 * a^k for an integer k. Refuses (VerifyLimit) when the result would exceed the bit cap, estimated from the bit
 * length of the base times |k| before any multiplication happens. Null for 0^negative.
 */
export function powInt(a: Rational, k: bigint, budget: Budget): Rational | null {
  if (k === 0n) return ONE;
  if (a.n === 0n) return k > 0n ? ZERO : null;
  const bits = Math.max(bitLength(a.n), bitLength(a.d));
  const ak = Number(k < 0n ? -k : k);
  // (bits − 1)·|k| is a lower bound of the result's size: refuse before computing (±1 has bits = 1 and never grows).
  if ((bits - 1) * ak > budget.limits.maxBits) throw new VerifyLimit(`power result larger than ${budget.limits.maxBits} bits`);
  let base = k < 0n ? rat(a.d, a.n) : a;
  let e = k < 0n ? -k : k;
  let n = 1n;
  let d = 1n;
  let bn = base.n;
  let bd = base.d;
  while (e > 0n) {
    budget.tick();
    if (e & 1n) {
      n *= bn;
      d *= bd;
    }
    e >>= 1n;
    if (e > 0n) {
      bn *= bn;
      bd *= bd;
    }
  }
  return checkSize({ n, d }, budget);
}

/** Exact k-th root when a is a perfect k-th power (k ≥ 2), else null. Negative a only for odd k. */
export function rootExact(a: Rational, k: number, budget: Budget): Rational | null {
  if (a.n < 0n) {
    if (k % 2 === 0) return null;
    const r = rootExact(neg(a), k, budget);
    return r && neg(r);
  }
  const rn = intRoot(a.n, k, budget);
  if (rn === null) return null;
  const rd = intRoot(a.d, k, budget);
  if (rd === null) return null;
  return { n: rn, d: rd };
}

/** floor(x^(1/k)) by Newton's method, returned only if exact. */
function intRoot(x: bigint, k: number, budget: Budget): bigint | null {
  if (x < 2n) return x;
  const K = BigInt(k);
  // Start above the root: 2^(ceil(bits/k)).
  let r = 1n << BigInt(Math.ceil(bitLength(x) / k) + 1);
  for (;;) {
    budget.tick();
    const next = ((K - 1n) * r + x / r ** (K - 1n)) / K;
    if (next >= r) break;
    r = next;
  }
  return r ** K === x ? r : null;
}

/** n! for a small non-negative integer n (the bit cap bounds n). */
export function factorial(n: bigint, budget: Budget): Rational {
  if (n < 0n) throw new VerifyLimit("factorial of a negative number");
  // log2(n!) ≈ n log2(n/e); refuse before computing.
  const nn = Number(n);
  const bits = nn > 2 ? nn * Math.log2(nn / Math.E) : 1;
  if (bits > budget.limits.maxBits) throw new VerifyLimit(`factorial larger than ${budget.limits.maxBits} bits`);
  let acc = 1n;
  for (let i = 2n; i <= n; i++) {
    budget.tick();
    acc *= i;
  }
  return { n: acc, d: 1n };
}

/** The nearest double, also for numerators and denominators far beyond 2^1024 (their ratio may still be finite). */
export function toNumber(a: Rational): number {
  const nb = bitLength(a.n);
  const db = bitLength(a.d);
  if (nb < 1000 && db < 1000) return Number(a.n) / Number(a.d);
  // Shift both to ~64 significant bits and carry the exponent separately.
  const shiftN = Math.max(0, nb - 64);
  const shiftD = Math.max(0, db - 64);
  const mn = Number(a.n >> BigInt(shiftN));
  const md = Number(a.d >> BigInt(shiftD));
  return (mn / md) * 2 ** (shiftN - shiftD);
}

export function toString(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/** Parses a decimal literal such as "12", "0.35", ".5", "1.5e-3" exactly. */
export function parseDecimal(s: string, budget: Budget): Rational {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw new VerifySyntax(`not a number: ${s.slice(0, 40)}`);
  const intPart = m[1] ?? "";
  const frac = m[2] ?? "";
  if (intPart.length + frac.length > budget.limits.maxDigits) throw new VerifyLimit(`more than ${budget.limits.maxDigits} digits`);
  let r = rat(BigInt((intPart || "0") + frac), 10n ** BigInt(frac.length));
  if (m[3] !== undefined) {
    const e = BigInt(m[3]);
    const p = powInt(ratInt(10), e, budget);
    if (p === null) throw new VerifyLimit("bad exponent");
    r = mul(r, p, budget);
  }
  return r;
}

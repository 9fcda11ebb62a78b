// Evaluating expressions: exact rationals while every step stays rational (polynomials, rational functions, perfect
// roots, integer powers under the size cap), complex doubles otherwise (π, e, irrational roots, i, trig). Symbolic
// equality is decided by evaluating both sides at the same random points (see compare.ts): a nonzero polynomial
// identity fails at random rational points with probability ~0, and at exact points the test is exact.
import { type Budget, VerifyLimit } from "./limits.js";
import * as Q from "./rational.js";
import type { Rational } from "./rational.js";
import type { Expr } from "./value.js";

export interface Complex {
  readonly re: number;
  readonly im: number;
}

/** An exact rational or a complex double. */
export type Num = { readonly q: Rational } | { readonly c: Complex };

export type Env = ReadonlyMap<string, Rational>;

export function isExact(x: Num): x is { readonly q: Rational } {
  return "q" in x;
}

export function toComplex(x: Num): Complex {
  return isExact(x) ? { re: Q.toNumber(x.q), im: 0 } : x.c;
}

const C = (re: number, im = 0): Num => ({ c: { re, im } });

/** Bits above which an exact number turned into a double may have lost what distinguishes it (10^40 + 1). */
const LOSSLESS_BITS = 26;

/** toComplex during an evaluation: records on the budget when a large exact number was rounded to a double. */
function toC(b: Budget, x: Num): Complex {
  if (isExact(x) && (Q.bitLength(x.q.n) > LOSSLESS_BITS || x.q.d > 1n << BigInt(LOSSLESS_BITS))) b.lossy = true;
  return toComplex(x);
}


function cAdd(a: Complex, b: Complex): Complex {
  return { re: a.re + b.re, im: a.im + b.im };
}
function cMul(a: Complex, b: Complex): Complex {
  return { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re };
}
function cDiv(a: Complex, b: Complex): Complex | null {
  const d = b.re * b.re + b.im * b.im;
  if (d === 0) return null;
  return { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
}
function cLog(a: Complex): Complex | null {
  if (a.re === 0 && a.im === 0) return null;
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}
function cExp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return a.im === 0 ? { re: m, im: 0 } : { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}
function cPow(a: Complex, b: Complex): Complex | null {
  if (a.im === 0 && b.im === 0 && (a.re >= 0 || Number.isInteger(b.re))) return { re: Math.pow(a.re, b.re), im: 0 };
  if (a.re === 0 && a.im === 0) return b.re > 0 ? { re: 0, im: 0 } : null;
  const l = cLog(a);
  return l && cExp(cMul(l, b));
}
function cSqrt(a: Complex): Complex {
  if (a.im === 0) return a.re >= 0 ? { re: Math.sqrt(a.re), im: 0 } : { re: 0, im: Math.sqrt(-a.re) };
  const r = Math.hypot(a.re, a.im);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((r - a.re) / 2);
  return { re, im };
}

function finite(x: Num): Num | null {
  if (isExact(x)) return x;
  return Number.isFinite(x.c.re) && Number.isFinite(x.c.im) ? x : null;
}

/** Value of `e` at `env`; null where undefined (division by zero, log 0, ∞, overflow to a non-finite double). */
export function evaluate(e: Expr, env: Env, b: Budget): Num | null {
  return b.nest((): Num | null => {
    const r = evalInner(e, env, b);
    return r && finite(r);
  });
}

function evalInner(e: Expr, env: Env, b: Budget): Num | null {
  switch (e.t) {
    case "num":
      return { q: e.v };
    case "const":
      if (e.name === "pi") return C(Math.PI);
      if (e.name === "e") return C(Math.E);
      if (e.name === "i") return C(0, 1);
      return null; // ∞ has no value; compare.ts treats infinities structurally
    case "var": {
      const v = env.get(e.name);
      return v ? { q: v } : null;
    }
    case "neg": {
      const x = evaluate(e.x, env, b);
      if (!x) return null;
      return isExact(x) ? { q: Q.neg(x.q) } : C(-x.c.re, -x.c.im);
    }
    case "add": {
      let acc: Num = { q: Q.ZERO };
      for (const t of e.terms) {
        const x = evaluate(t, env, b);
        if (!x) return null;
        const a: Num = acc;
        acc = isExact(a) && isExact(x) ? safeExact(() => Q.add(a.q, x.q, b), a, x, cAdd) : { c: cAdd(toC(b, a), toC(b, x)) };
      }
      return acc;
    }
    case "mul": {
      let acc: Num = { q: Q.ONE };
      for (const t of e.factors) {
        const x = evaluate(t, env, b);
        if (!x) return null;
        const a: Num = acc;
        acc = isExact(a) && isExact(x) ? safeExact(() => Q.mul(a.q, x.q, b), a, x, cMul) : { c: cMul(toC(b, a), toC(b, x)) };
      }
      return acc;
    }
    case "div": {
      const n = evaluate(e.num, env, b);
      const d = evaluate(e.den, env, b);
      if (!n || !d) return null;
      if (isExact(n) && isExact(d)) {
        if (Q.isZero(d.q)) return null;
        return { q: Q.div(n.q, d.q, b)! }; // past the size budget: VerifyLimit, "unknown" (never a float)
      }
      const r = cDiv(toC(b, n), toC(b, d));
      return r && { c: r };
    }
    case "pow":
      return power(e.base, e.exp, env, b);
    case "fn":
      return func(e.name, e.args, env, b);
    case "pm":
      return null; // expanded before evaluation (parse.ts)
  }
}

/** Exact arithmetic that falls back to doubles when a result would exceed the size cap. */
function safeExact(f: () => Rational, _a: Num, _x: Num, _cf: (p: Complex, q: Complex) => Complex): Num {
  // Exact arithmetic past its size budget is *not* continued in floats: (1+10^{-7})^{10^7} would become e. The
  // VerifyLimit propagates and the verdict is "unknown".
  return { q: f() };
}

function power(baseE: Expr, expE: Expr, env: Env, b: Budget): Num | null {
  const base = evaluate(baseE, env, b);
  const exp = evaluate(expE, env, b);
  if (!base || !exp) return null;
  if (isExact(base) && isExact(exp)) {
    const { n: p, d: q } = exp.q;
    // Past the size budget powInt throws VerifyLimit: the verdict is "unknown", never a float stand-in.
    if (q === 1n) {
      const r = Q.powInt(base.q, p, b);
      return r ? { q: r } : null;
    }
    // Rational exponent p/q: exact when base is a perfect q-th power (small q).
    if (q <= 64n) {
      const root = Q.rootExact(base.q, Number(q), b);
      if (root) {
        const r = Q.powInt(root, p, b);
        return r ? { q: r } : null;
      }
    }
    // Real odd roots of negative numbers: (-8)^(1/3) = -2, as people mean it.
    if (base.q.n < 0n && q % 2n === 1n) {
      const mag = Math.pow(-Q.toNumber(base.q), Q.toNumber(exp.q));
      return C(p % 2n === 0n ? mag : -mag);
    }
  }
  const r = cPow(toC(b, base), toC(b, exp));
  return r && { c: r };
}

function realArg(x: Num, b: Budget): number | null {
  const c = toC(b, x);
  return c.im === 0 ? c.re : null;
}

function func(name: string, args: readonly Expr[], env: Env, b: Budget): Num | null {
  const vals: Num[] = [];
  for (const a of args) {
    const v = evaluate(a, env, b);
    if (!v) return null;
    vals.push(v);
  }
  const x = vals[0]!;
  switch (name) {
    case "sqrt": {
      if (isExact(x)) {
        const r = Q.rootExact(x.q, 2, b);
        if (r) return { q: r };
        if (x.q.n < 0n) {
          const r2 = Q.rootExact(Q.neg(x.q), 2, b);
          if (r2) return C(0, Q.toNumber(r2));
        }
      }
      return { c: cSqrt(toC(b, x)) };
    }
    case "root": {
      const k = vals[0]!;
      const y = vals[1]!;
      if (isExact(k) && k.q.d === 1n && k.q.n >= 2n && k.q.n <= 64n) {
        const n = Number(k.q.n);
        if (isExact(y)) {
          const r = Q.rootExact(y.q, n, b);
          if (r) return { q: r };
        }
        const yr = realArg(y, b);
        if (yr !== null && (yr >= 0 || n % 2 === 1)) return C(Math.sign(yr) * Math.pow(Math.abs(yr), 1 / n));
      }
      const r = cPow(toC(b, y), cDiv({ re: 1, im: 0 }, toC(b, k)) ?? { re: NaN, im: 0 });
      return r && { c: r };
    }
    case "abs": {
      if (isExact(x)) return { q: x.q.n < 0n ? Q.neg(x.q) : x.q };
      return C(Math.hypot(x.c.re, x.c.im));
    }
    case "factorial": {
      if (isExact(x) && x.q.d === 1n && x.q.n >= 0n) return { q: Q.factorial(x.q.n, b) };
      return null;
    }
    case "binom": {
      const k = vals[1]!;
      if (isExact(x) && isExact(k) && x.q.d === 1n && k.q.d === 1n) {
        const n = x.q.n;
        let kk = k.q.n;
        if (kk < 0n || kk > n) return { q: Q.ZERO };
        if (kk > n - kk) kk = n - kk;
        if (kk > 100_000n) throw new VerifyLimit("binomial too large");
        let acc = 1n;
        for (let i = 1n; i <= kk; i++) {
          b.tick();
          acc = (acc * (n - kk + i)) / i;
          if (Q.bitLength(acc) > b.limits.maxBits) throw new VerifyLimit("binomial too large");
        }
        return { q: Q.ratInt(acc) };
      }
      return null;
    }
    case "floor":
    case "ceil": {
      if (isExact(x)) {
        const fl = x.q.n >= 0n ? x.q.n / x.q.d : -((-x.q.n + x.q.d - 1n) / x.q.d);
        return { q: Q.ratInt(name === "floor" || x.q.d === 1n ? fl : fl + 1n) };
      }
      const r = realArg(x, b);
      return r === null ? null : C(name === "floor" ? Math.floor(r) : Math.ceil(r));
    }
    case "exp":
      return { c: cExp(toC(b, x)) };
    case "ln": {
      const l = cLog(toC(b, x));
      return l && { c: l };
    }
    case "log": {
      // log without a base: natural log in most of mathematics; "log 100 = 2" readers differ, but both sides of a
      // comparison use the same reading, so only a mixed ln/log pair is affected.
      const l = cLog(toC(b, x));
      return l && { c: l };
    }
    case "logb": {
      const base = cLog(toC(b, vals[0]!));
      const l = cLog(toC(b, vals[1]!));
      if (!base || !l) return null;
      const r = cDiv(l, base);
      return r && { c: r };
    }
  }
  const r = realArg(x, b);
  if (r === null) return null;
  switch (name) {
    case "sin": return C(Math.sin(r));
    case "cos": return C(Math.cos(r));
    case "tan": return C(Math.tan(r));
    case "cot": return C(1 / Math.tan(r));
    case "sec": return C(1 / Math.cos(r));
    case "csc": return C(1 / Math.sin(r));
    case "arcsin": return Math.abs(r) <= 1 ? C(Math.asin(r)) : null;
    case "arccos": return Math.abs(r) <= 1 ? C(Math.acos(r)) : null;
    case "arctan": return C(Math.atan(r));
    case "sinh": return C(Math.sinh(r));
    case "cosh": return C(Math.cosh(r));
    case "tanh": return C(Math.tanh(r));
  }
  return null;
}

/** Variable names in an expression (for choosing random points). */
export function collectVars(e: Expr, out: Set<string>, b: Budget): void {
  b.nest(() => {
    switch (e.t) {
      case "var": out.add(e.name); break;
      case "add": for (const x of e.terms) collectVars(x, out, b); break;
      case "mul": for (const x of e.factors) collectVars(x, out, b); break;
      case "neg": collectVars(e.x, out, b); break;
      case "div": collectVars(e.num, out, b); collectVars(e.den, out, b); break;
      case "pow": collectVars(e.base, out, b); collectVars(e.exp, out, b); break;
      case "fn": for (const x of e.args) collectVars(x, out, b); break;
      case "pm": collectVars(e.a, out, b); collectVars(e.b, out, b); break;
      default: break;
    }
  });
}

/** +1 / −1 when the expression is ±∞ written directly (∞, -∞, +∞), else 0. */
export function infinitySign(e: Expr): number {
  if (e.t === "const" && e.name === "inf") return 1;
  if (e.t === "neg") return -infinitySign(e.x);
  return 0;
}

/** Whether ∞ appears anywhere (such expressions are compared structurally, not numerically). */
export function containsInfinity(e: Expr, b: Budget): boolean {
  return b.nest(() => {
    switch (e.t) {
      case "const": return e.name === "inf";
      case "add": return e.terms.some((x) => containsInfinity(x, b));
      case "mul": return e.factors.some((x) => containsInfinity(x, b));
      case "neg": return containsInfinity(e.x, b);
      case "div": return containsInfinity(e.num, b) || containsInfinity(e.den, b);
      case "pow": return containsInfinity(e.base, b) || containsInfinity(e.exp, b);
      case "fn": return e.args.some((x) => containsInfinity(x, b));
      case "pm": return containsInfinity(e.a, b) || containsInfinity(e.b, b);
      default: return false;
    }
  });
}

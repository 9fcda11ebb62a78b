// Equality of canonical values. Numbers: exact rationals first, then a relative tolerance (computed on the exact
// difference when both sides are rational, so 1/2004! vs 1/2006! is decided without float underflow). Expressions
// with variables: evaluated at the same deterministic pseudo-random rational points. Sets are order-insensitive,
// tuples ordered. A gold inequality accepts a predicted interval; the reverse only when allowed (a policy that
// answers "x > 2" for the interval (2, ∞) is not rewarded by default, as in Math-Verify).
import { randomBytes } from "node:crypto";
import { createRng } from "../util/rng.js";
import type { Budget } from "./limits.js";
import * as Q from "./rational.js";
import { collectVars, containsInfinity, evaluate, infinitySign, isExact, toComplex, type Num } from "./expr.js";
import type { Expr, MathValue, RelOp } from "./value.js";
import { exprToString } from "./canonical.js";
import { isLabel } from "./parse.js";

export interface CompareSettings {
  relTol: number;
  allowIntervalForInequality: boolean;
}

/** Tri-state: true, false, or null when it cannot be decided (nothing evaluates). */
type Tri = boolean | null;

/** Absolute slack for float results near zero (sin π ≈ 1e-16). Exact rationals never use it. */
const ABS_TOL = 1e-12;
/** Relative slack of two float evaluations of exact expressions (√2·√3 vs √6): rounding error only. */
const FLOAT_TOL = 1e-9;
/** An exact number and a float agree only to the float's own rounding error (√2·√2 = 2, but 99/70 ≠ √2). */
const EXACT_FLOAT_TOL = 1e-13;
/** A float that lands on an exact rational is trusted only for a simple rational of moderate size. */
const MAX_TRUSTED_DEN = 1_000_000n;
const MAX_TRUSTED_ABS = 2 ** 40;

/**
 * Per process, from the operating system's cryptographic source: the points where expressions are compared cannot
 * be known in advance, so a wrong answer built to agree with the gold at fixed points is refused.
 */
const SEED = randomBytes(4).readUInt32LE(0);

/** Floats: |x − y| ≤ relTol·max(|x|, |y|) + ABS_TOL. Exact rationals: equal (the tolerance is not for them). */
export function numEqual(x: Num, y: Num, relTol: number): boolean {
  if (isExact(x) && isExact(y)) return Q.eq(x.q, y.q);
  const a = toComplex(x);
  const c = toComplex(y);
  const diff = Math.hypot(a.re - c.re, a.im - c.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(c.re, c.im));
  return diff <= relTol * scale + ABS_TOL;
}

/** Fractional digits of an expression that is one decimal literal (0.447, -2.5); undefined for anything else. */
function decimalDigits(e: Expr): number | undefined {
  if (e.t === "neg") return decimalDigits(e.x);
  return e.t === "num" && e.approx ? (e.digits ?? 0) : undefined;
}

/**
 * An approximate decimal `l` written with k fractional digits against a value `m` (exact, float, or a decimal with
 * more digits): equal when `l` is `m` rounded at k digits. When the approximation is the prediction it must also
 * be precise enough: half a unit of its last digit at most relTol·max(1, |m|) (0.33 is not an answer for 1/3 at
 * the default 1e-6, 0.3333333 is). An integer is never matched this way (its rounding has no fractional digits).
 */
function roundedEqual(l: Num, k: number, m: Num, lIsPred: boolean, relTol: number): boolean {
  if (relTol <= 0) return false;
  const half = 0.5 * 10 ** -k;
  const mc = toComplex(m);
  if (Math.abs(mc.im) > ABS_TOL) return false;
  if (lIsPred && half > relTol * Math.max(1, Math.abs(mc.re))) return false;
  if (isExact(l) && isExact(m)) {
    // 2·10^k·|m − l| ≤ 1, exactly.
    const diffN = m.q.n * l.q.d - l.q.n * m.q.d;
    const den = m.q.d * l.q.d;
    const lhs = 2n * 10n ** BigInt(k) * (diffN < 0n ? -diffN : diffN);
    return lhs <= den;
  }
  const lc = toComplex(l);
  return Math.abs(mc.re - lc.re) <= half * (1 + 1e-12) + 1e-15 * Math.abs(mc.re);
}

/** Comparison of two expressions without variables. */
function constEqual(a: Expr, c: Expr, st: CompareSettings, b: Budget): Tri {
  b.lossy = false;
  const x = evaluate(a, new Map(), b);
  const y = evaluate(c, new Map(), b);
  const lossy = b.lossy;
  if (!x || !y) return null;
  if (isExact(x) && isExact(y) && Q.eq(x.q, y.q)) return true;
  const da = decimalDigits(a);
  const dc = decimalDigits(c);
  if (da !== undefined || dc !== undefined) {
    // The side with fewer written digits is the approximation of the other.
    const aIsL = da !== undefined && (dc === undefined || da <= dc);
    return aIsL ? roundedEqual(x, da!, y, false, st.relTol) : roundedEqual(y, dc!, x, true, st.relTol);
  }
  const approx = hasApprox(a, b) || hasApprox(c, b);
  if (isExact(x) && isExact(y)) {
    // Decimals inside a larger expression (2.5 \cdot 10^{-2}): a relative tolerance, never for an integer.
    if (!approx || x.q.d === 1n || y.q.d === 1n) return false;
    return numEqual({ c: toComplex(x) }, { c: toComplex(y) }, st.relTol);
  }
  if (isExact(x) || isExact(y)) {
    // An exact number against a float (π, √2, e^{…}): only rounding error is forgiven. A fraction is never an
    // irrational (22/7 ≠ π); a float that lands on a simple exact value within its rounding error is that value
    // (√2·√2 = 2) unless a large exact number was rounded on the way (√(10^40+1) vs 10^20: undecidable here).
    const e = (isExact(x) ? x : y) as { q: Q.Rational };
    const f = toComplex(isExact(x) ? y : x);
    if (approx) return numEqual(x, y, st.relTol);
    const ev = Q.toNumber(e.q);
    const close = Math.abs(f.im) <= ABS_TOL && Math.abs(f.re - ev) <= EXACT_FLOAT_TOL * Math.max(Math.abs(ev), Number.MIN_VALUE);
    if (!close) return false;
    return lossy || e.q.d > MAX_TRUSTED_DEN || Math.abs(ev) > MAX_TRUSTED_ABS ? null : true;
  }
  if (numEqual(x, y, approx ? st.relTol : FLOAT_TOL)) return lossy ? null : true;
  return false;
}

/** Polynomials and rational functions: numbers, variables, + − × ÷ and integer powers. Decided exactly. */
function isRationalFunction(e: Expr, b: Budget): boolean {
  return b.nest((): boolean => {
    switch (e.t) {
      case "num": case "var": return true;
      case "add": return e.terms.every((x) => isRationalFunction(x, b));
      case "mul": return e.factors.every((x) => isRationalFunction(x, b));
      case "neg": return isRationalFunction(e.x, b);
      case "div": return isRationalFunction(e.num, b) && isRationalFunction(e.den, b);
      case "pow": {
        const k = e.exp.t === "neg" ? e.exp.x : e.exp;
        return isRationalFunction(e.base, b) && k.t === "num" && k.v.d === 1n && k.v.n <= 64n;
      }
      default: return false;
    }
  });
}

type Rng = ReturnType<typeof createRng>;

/**
 * A random point. Rational functions: numerators up to 2^20 over denominators in [2^10, 2^20] — a nonzero rational
 * function of degree d vanishes at such a point with probability about d/2^40 (Schwartz–Zippel), and exact
 * arithmetic makes each evaluation exact. Other expressions: denominators in [97, 4093] (a periodic term that
 * vanishes at every rational with a small denominator does not vanish here), in turn in (−10, 10), in (−1, 1) (the
 * domain of arcsin/arccos) and in (−1000, 1000) (where step functions such as ⌊(2n−1)/5⌋ and ⌊(2n−1)/6⌋ part).
 */
function randomPoint(vars: string[], rng: Rng, k: number, rational: boolean): Map<string, Q.Rational> {
  const env = new Map<string, Q.Rational>();
  for (const v of vars) {
    let p = 0;
    let q: number;
    if (rational) {
      q = rng.int(1 << 10, 1 << 20);
      while (p === 0) p = rng.int(-(1 << 20), 1 << 20);
    } else {
      q = rng.int(97, 4093);
      const lim = k % 3 === 0 ? 10 * q : k % 3 === 1 ? q - 1 : 1000 * q;
      while (p === 0) p = rng.int(-lim, lim);
    }
    env.set(v, Q.rat(BigInt(p), BigInt(q)));
  }
  return env;
}

function varsOf(exprs: Expr[], b: Budget): string[] {
  const s = new Set<string>();
  for (const e of exprs) collectVars(e, s, b);
  return [...s].sort();
}

export function exprEqual(a: Expr, c: Expr, st: CompareSettings, b: Budget): Tri {
  if (containsInfinity(a, b) || containsInfinity(c, b)) {
    const sa = infinitySign(a);
    const sc = infinitySign(c);
    if (sa !== 0 || sc !== 0) return sa === sc;
    // ∞ inside a larger expression has no numeric value: identical structure is equal, anything else undecided.
    return exprToString(a, b) === exprToString(c, b) ? true : null;
  }
  // The same expression tree is the same value, also where no point is defined (\\binom{2n}{n}, (d−k)!).
  if (exprToString(a, b) === exprToString(c, b)) return true;
  const vars = varsOf([a, c], b);
  if (vars.length === 0) return constEqual(a, c, st, b);
  const rational = isRationalFunction(a, b) && isRationalFunction(c, b);
  const approx = hasApprox(a, b) || hasApprox(c, b);
  // Rational functions: 3 exact points decide. Others: 8 points defined on both sides, out of at most 24.
  const need = rational ? 3 : 8;
  const tries = rational ? 12 : 24;
  const rng = createRng(SEED);
  let ok = 0;
  // Step and integer functions (⌊√(n−1)⌋, \binom{2n}{n}, (d−k)!) live on the integers: 48 integer points first
  // (random rationals rarely fall where two floors part), then the random points as for everything else.
  const integerPoints = !rational && (hasIntegerFunction(a, b) || hasIntegerFunction(c, b)) ? 48 : 0;
  let intOk = 0;
  for (let k = 0; k < integerPoints; k++) {
    b.tick();
    const env = new Map<string, Q.Rational>();
    for (const v of vars) env.set(v, Q.ratInt(k < 24 ? k - 3 : rng.int(-50, 1000)));
    const x = evaluate(a, env, b);
    const y = evaluate(c, env, b);
    if (!x || !y) continue;
    if (!numEqual(x, y, approx ? st.relTol : FLOAT_TOL)) return false;
    intOk++;
  }
  // Half of the integer points are drawn from the per-process seed, so they are not predictable either; the
  // rational points still run (⌊x⌋ and ⌊x + 1/2⌋ agree at every integer) and must agree where defined.
  for (let k = 0; k < tries && (ok < need || intOk > 0); k++) {
    b.tick();
    const env = randomPoint(vars, rng, k, rational);
    const x = evaluate(a, env, b);
    const y = evaluate(c, env, b);
    if (!x || !y) continue;
    const same = isExact(x) && isExact(y) ? Q.eq(x.q, y.q) || (approx && numEqual({ c: toComplex(x) }, { c: toComplex(y) }, st.relTol)) : numEqual(x, y, approx ? st.relTol : FLOAT_TOL);
    if (!same) return false;
    ok++;
  }
  return ok >= need || intOk >= need ? true : null;
}

function hasIntegerFunction(e: Expr, b: Budget): boolean {
  return b.nest((): boolean => {
    switch (e.t) {
      case "fn": return ["floor", "ceil", "factorial", "binom"].includes(e.name) || e.args.some((x) => hasIntegerFunction(x, b));
      case "add": return e.terms.some((x) => hasIntegerFunction(x, b));
      case "mul": return e.factors.some((x) => hasIntegerFunction(x, b));
      case "neg": return hasIntegerFunction(e.x, b);
      case "div": return hasIntegerFunction(e.num, b) || hasIntegerFunction(e.den, b);
      case "pow": return hasIntegerFunction(e.base, b) || hasIntegerFunction(e.exp, b);
      default: return false;
    }
  });
}

function hasApprox(e: Expr, b: Budget): boolean {
  return b.nest((): boolean => {
    switch (e.t) {
      case "num": return e.approx === true;
      case "add": return e.terms.some((x) => hasApprox(x, b));
      case "mul": return e.factors.some((x) => hasApprox(x, b));
      case "neg": return hasApprox(e.x, b);
      case "div": return hasApprox(e.num, b) || hasApprox(e.den, b);
      case "pow": return hasApprox(e.base, b) || hasApprox(e.exp, b);
      case "fn": return e.args.some((x) => hasApprox(x, b));
      case "pm": return hasApprox(e.a, b) || hasApprox(e.b, b);
      default: return false;
    }
  });
}

function exprValuesEqual(g: MathValue & { kind: "expr" }, p: MathValue & { kind: "expr" }, st: CompareSettings, b: Budget): Tri {
  // Two single words ("on", "no") are words, not products of letters.
  if (g.word !== undefined && p.word !== undefined) return g.word === p.word;
  // 864 inches^2 is not 864 inches^3: a unit's power, written on both sides, must agree.
  if (g.unitPow !== undefined && p.unitPow !== undefined && g.unitPow !== p.unitPow) return false;
  // A percent sign is read one way only, as a unit: "25\%" answers a gold 25 (and a gold "25\%" accepts 25), but
  // never 0.25 — a reading both ways would let one answer match two different golds.
  return exprEqual(g.expr, p.expr, st, b);
}

function allTrue(results: Iterable<() => Tri>): Tri {
  let unknown = false;
  for (const f of results) {
    const r = f();
    if (r === false) return false;
    if (r === null) unknown = true;
  }
  return unknown ? null : true;
}

function orderedEqual(a: readonly MathValue[], c: readonly MathValue[], st: CompareSettings, b: Budget): Tri {
  if (a.length !== c.length) return false;
  return allTrue(a.map((x, i) => () => compareValues(x, c[i]!, st, b)));
}

/** Every element of each side equals some element of the other (sets: duplicates and order do not matter). */
function unorderedEqual(a: readonly MathValue[], c: readonly MathValue[], st: CompareSettings, b: Budget): Tri {
  // Large sets of plain numbers (a set of 3,000 elements against its reversal): exact keys, n log n instead of n².
  if (a.length * c.length > 256) {
    const ka = exactKeys(a, b);
    const kc = ka && exactKeys(c, b);
    if (ka && kc) {
      if (ka.size !== kc.size) return false;
      for (const k of ka) if (!kc.has(k)) return false;
      return true;
    }
  }
  const covers = (xs: readonly MathValue[], ys: readonly MathValue[]): Tri => {
    let unknown = false;
    for (const x of xs) {
      let found = false;
      for (const y of ys) {
        const r = compareValues(x, y, st, b);
        if (r === true) {
          found = true;
          break;
        }
        if (r === null) unknown = true;
      }
      if (!found) return unknown ? null : false;
    }
    return true;
  };
  const r1 = covers(a, c);
  if (r1 !== true) return r1;
  return covers(c, a);
}

/** "p/q" of every item when every item is an exact number without variables; null otherwise. */
function exactKeys(items: readonly MathValue[], b: Budget): Set<string> | null {
  const out = new Set<string>();
  for (const it of items) {
    if (it.kind !== "expr" || hasApprox(it.expr, b) || varsOf([it.expr], b).length > 0 || containsInfinity(it.expr, b)) return null;
    const v = evaluate(it.expr, new Map(), b);
    if (!v || !isExact(v)) return null;
    out.add(Q.toString(v.q));
  }
  return out;
}

function intervalEqual(a: MathValue & { kind: "interval" }, c: MathValue & { kind: "interval" }, st: CompareSettings, b: Budget): Tri {
  // The closedness of an infinite end is meaningless ([−∞, 3) is a common slip for (−∞, 3)).
  const loInf = infinitySign(a.lo) !== 0 || infinitySign(c.lo) !== 0;
  const hiInf = infinitySign(a.hi) !== 0 || infinitySign(c.hi) !== 0;
  if (!loInf && a.loClosed !== c.loClosed) return false;
  if (!hiInf && a.hiClosed !== c.hiClosed) return false;
  return allTrue([() => exprEqual(a.lo, c.lo, st, b), () => exprEqual(a.hi, c.hi, st, b)]);
}

const INF: Expr = { t: "const", name: "inf" };
const NEG_INF: Expr = { t: "neg", x: INF };

function flip(op: RelOp): RelOp {
  return op === "<" ? ">" : op === ">" ? "<" : op === "<=" ? ">=" : op === ">=" ? "<=" : op;
}

/** The one variable a relation is about, or null. */
export function relationVar(r: MathValue & { kind: "relation" }, b: Budget): string | null {
  const vs = varsOf([...r.terms], b);
  return vs.length === 1 ? vs[0]! : null;
}

const numE = (q: Q.Rational): Expr => ({ t: "num", v: q });

/**
 * e = a·x + c with exact a ≠ 0 and c, or null. Decided at x = 0 and x = 1 and confirmed at two random points
 * (an expression that is only linear at fixed points, x(x−1)(x−2)… + x, is not taken for x).
 */
function linearIn(e: Expr, x: string, b: Budget): { a: Q.Rational; c: Q.Rational } | null {
  if (!isRationalFunction(e, b)) return null;
  const at = (q: Q.Rational): Q.Rational | null => {
    const r = evaluate(e, new Map([[x, q]]), b);
    return r && isExact(r) ? r.q : null;
  };
  const f0 = at(Q.ZERO);
  const f1 = at(Q.ONE);
  if (!f0 || !f1) return null;
  const a = Q.sub(f1, f0, b);
  if (Q.isZero(a)) return null;
  const rng = createRng(SEED ^ 0x5a5a);
  for (let k = 0; k < 2; k++) {
    const pt = randomPoint([x], rng, k, true).get(x)!;
    const f = at(pt);
    if (!f || !Q.eq(f, Q.add(f0, Q.mul(a, pt, b), b))) return null;
  }
  return { a, c: f0 };
}

const up = (o: RelOp) => o === "<" || o === "<=";
const down = (o: RelOp) => o === ">" || o === ">=";

/** (t − c)/a as an expression (t a constant expression). */
function solveFor(t: Expr, lin: { a: Q.Rational; c: Q.Rational }): Expr {
  return { t: "div", num: { t: "add", terms: [t, numE(Q.neg(lin.c))] }, den: numE(lin.a) };
}

/**
 * x < 3 → (−∞, 3); −x > −3 → (−∞, 3); 1 < x ≤ 2 → (1, 2]; x ≠ 3 → (−∞, 3) ∪ (3, ∞); |x| ≤ 2 → [−2, 2];
 * 1 ≤ |z| ≤ 2 → [−2, −1] ∪ [1, 2]; 0 < g(x) < 1 (a named quantity in the middle) → (0, 1). Null when the relation
 * is not one variable (linear, or under |…|) against constants.
 */
export function relationToSet(r: MathValue & { kind: "relation" }, b: Budget): MathValue | null {
  const isConst = (e: Expr) => varsOf([e], b).length === 0;
  const iv = (lo: Expr, hi: Expr, loClosed: boolean, hiClosed: boolean): MathValue & { kind: "interval" } => ({ kind: "interval", lo, hi, loClosed, hiClosed });
  const x = relationVar(r, b);
  if (x === null) {
    // Only "lo < (a named quantity such as g(x)) < hi" has no single variable and still states a set.
    const [lo, m, hi] = r.terms as [Expr, Expr, Expr | undefined];
    const [o1, o2] = r.ops;
    if (hi === undefined || !isConst(lo) || !isConst(hi) || !isLabel(m) || !o1 || !o2 || !up(o1) || !up(o2)) return null;
    return iv(lo, hi, o1 === "<=", o2 === "<=");
  }
  const absOf = (e: Expr) => e.t === "fn" && e.name === "abs" && e.args[0]!.t === "var";
  if (r.terms.length === 2) {
    let [l, rr] = r.terms as [Expr, Expr];
    let op = r.ops[0]!;
    if (isConst(l)) {
      [l, rr] = [rr, l];
      op = flip(op);
    }
    if (!isConst(rr)) return null;
    if (absOf(l)) {
      // |x| op r, for a constant r ≥ 0.
      const rv = endpoint(rr, b);
      if (rv === null || rv < 0) return null;
      const neg: Expr = { t: "neg", x: rr };
      if (op === "<" || op === "<=") return iv(neg, rr, op === "<=", op === "<=");
      if (op === ">" || op === ">=") return { kind: "union", items: [iv(NEG_INF, neg, false, op === ">="), iv(rr, INF, op === ">=", false)] };
      return null;
    }
    const lin = linearIn(l, x, b);
    if (!lin) return null;
    const bound = solveFor(rr, lin);
    if (lin.a.n < 0n) op = flip(op);
    switch (op) {
      case "<": return iv(NEG_INF, bound, false, false);
      case "<=": return iv(NEG_INF, bound, false, true);
      case ">": return iv(bound, INF, false, false);
      case ">=": return iv(bound, INF, true, false);
      case "!=": return { kind: "union", items: [iv(NEG_INF, bound, false, false), iv(bound, INF, false, false)] };
    }
  }
  if (r.terms.length === 3) {
    let [lo, m, hi] = r.terms as [Expr, Expr, Expr];
    let [o1, o2] = r.ops as [RelOp, RelOp];
    if (!isConst(lo) || !isConst(hi) || isConst(m)) return null;
    if (down(o1) && down(o2)) {
      [lo, hi] = [hi, lo];
      [o1, o2] = [flip(o2), flip(o1)];
    }
    if (!up(o1) || !up(o2)) return null;
    const c1 = o1 === "<=";
    const c2 = o2 === "<=";
    if (absOf(m)) {
      const lv = endpoint(lo, b);
      if (lv === null || lv < 0) return null;
      return { kind: "union", items: [iv({ t: "neg", x: hi }, { t: "neg", x: lo }, c2, c1), iv(lo, hi, c1, c2)] };
    }
    const lin = linearIn(m, x, b);
    if (lin) {
      const a = solveFor(lo, lin);
      const z = solveFor(hi, lin);
      return lin.a.n > 0n ? iv(a, z, c1, c2) : iv(z, a, c2, c1);
    }
    // A named quantity between two constants ("0 < g(x) < 1", "0 < xy < 1") states its range.
    if (isLabel(m)) return iv(lo, hi, c1, c2);
  }
  return null;
}

function asInterval(v: MathValue): MathValue {
  // (a, b) written as a pair is also the open interval (a, b).
  if (v.kind === "tuple" && v.items.length === 2 && v.items.every((x) => x.kind === "expr")) {
    const [lo, hi] = v.items as [MathValue & { kind: "expr" }, MathValue & { kind: "expr" }];
    return { kind: "interval", lo: lo.expr, hi: hi.expr, loClosed: false, hiClosed: false };
  }
  return v;
}

const isSetLike = (v: MathValue) => v.kind === "interval" || v.kind === "union";

function equationEqual(g: MathValue & { kind: "equation" }, p: MathValue & { kind: "equation" }, st: CompareSettings, b: Budget): Tri {
  // y = 2x + 3 vs y = 3 + 2x: same named left side → compare right sides.
  if (g.lhs.t === "var" && p.lhs.t === "var" && g.lhs.name === p.lhs.name) return exprEqual(g.rhs, p.rhs, st, b);
  // Otherwise the same equation up to a nonzero factor: (lhs − rhs) of one is a constant multiple of the other's.
  const d1: Expr = { t: "add", terms: [g.lhs, { t: "neg", x: g.rhs }] };
  const d2: Expr = { t: "add", terms: [p.lhs, { t: "neg", x: p.rhs }] };
  const vars = varsOf([d1, d2], b);
  const rational = isRationalFunction(d1, b) && isRationalFunction(d2, b);
  const rng = createRng(SEED);
  let ratio: Num | null = null;
  let ok = 0;
  const zero = (x: Num) => numEqual(x, { q: Q.ZERO }, st.relTol);
  for (let k = 0; k < 24 && ok < (rational ? 3 : 8); k++) {
    b.tick();
    const env = randomPoint(vars, rng, k, rational);
    const x = evaluate(d1, env, b);
    const y = evaluate(d2, env, b);
    if (!x || !y) continue;
    const zx = zero(x);
    const zy = zero(y);
    if (zx !== zy) return false;
    if (!zx) {
      const r: Num = isExact(x) && isExact(y) ? { q: Q.div(x.q, y.q, b)! } : divC(x, y);
      if (ratio === null) ratio = r;
      else if (!numEqual(ratio, r, st.relTol)) return false;
    }
    ok++;
    if (vars.length === 0) break;
  }
  return ok >= (vars.length === 0 ? 1 : rational ? 3 : 8) ? true : null;
}

function divC(x: Num, y: Num): Num {
  const a = toComplex(x);
  const c = toComplex(y);
  const d = c.re * c.re + c.im * c.im;
  return { c: { re: (a.re * c.re + a.im * c.im) / d, im: (a.im * c.re - a.re * c.im) / d } };
}

function relationEqual(g: MathValue & { kind: "relation" }, p: MathValue & { kind: "relation" }, st: CompareSettings, b: Budget): Tri {
  const gs = relationToSet(g, b);
  const ps = relationToSet(p, b);
  if (gs && ps) return compareValues(gs, ps, st, b);
  // General relations: same chain of operators and equal sides, or the mirrored chain (a < b is b > a).
  if (g.ops.length !== p.ops.length) return false;
  const same = g.ops.every((o, i) => o === p.ops[i]);
  if (same) {
    const r = allTrue(g.terms.map((t, i) => () => exprEqual(t, p.terms[i]!, st, b)));
    if (r !== false) return r;
  }
  const n = g.terms.length;
  const mirrored = g.ops.every((o, i) => flip(o) === p.ops[n - 2 - i]);
  if (mirrored) return allTrue(g.terms.map((t, i) => () => exprEqual(t, p.terms[n - 1 - i]!, st, b)));
  return false;
}

export function compareValues(g: MathValue, p: MathValue, st: CompareSettings, b: Budget): Tri {
  return b.nest((): Tri => {
    if (g.kind === "text" || p.kind === "text") {
      if (g.kind === "text" && p.kind === "text") return g.text === p.text;
      const other = g.kind === "text" ? p : g;
      const text = g.kind === "text" ? g.text : (p as { text: string }).text;
      if (other.kind === "choice") return text === other.letter.toLowerCase() || text === `(${other.letter.toLowerCase()})`;
      return false;
    }
    if (g.kind === "choice" || p.kind === "choice") return g.kind === "choice" && p.kind === "choice" && g.letter === p.letter;
    // "x \\in S": against another membership or an inequality in the same variable, the sets; else S itself.
    if (g.kind === "member" || p.kind === "member") {
      if (g.kind === "member" && p.kind === "member" && g.v !== p.v) return false;
      const gv = g.kind === "member" ? g.v : g.kind === "relation" ? relationVar(g, b) : null;
      const pv = p.kind === "member" ? p.v : p.kind === "relation" ? relationVar(p, b) : null;
      const gs = g.kind === "member" ? g.set : g.kind === "relation" && gv !== null && gv === pv ? relationToSet(g, b) : g;
      const ps = p.kind === "member" ? p.set : p.kind === "relation" && pv !== null && gv === pv ? relationToSet(p, b) : p;
      if (gs === null || ps === null) return false;
      return compareValues(gs, ps, st, b);
    }
    // "2,5" against a single number: the decimal comma reading.
    if (p.kind === "set" && p.decimal && g.kind === "expr") return exprEqual(g.expr, p.decimal, st, b);
    if (g.kind === "set" && g.decimal && p.kind === "expr") return exprEqual(g.decimal, p.expr, st, b);
    // A one-element set and its element are the same answer ("{5}" vs "5"; a single boxed root for "find all").
    if (g.kind === "set" && p.kind !== "set" && g.items.length === 1) return compareValues(g.items[0]!, p, st, b);
    if (p.kind === "set" && g.kind !== "set" && p.items.length === 1) return compareValues(g, p.items[0]!, st, b);
    // Several spellings of one answer ("\\boxed{15\\frac{39}{40}} or \\boxed{\\frac{639}{40}}") answer a
    // single-part gold only when every one of them equals it: two different candidates are never credited.
    if (p.kind === "set" && !p.decimal && g.kind !== "set" && g.kind !== "tuple" && p.items.length > 1) {
      return allTrue(p.items.map((x) => () => compareValues(g, x, st, b)));
    }
    if (g.kind === "set" && !g.decimal && p.kind !== "set" && p.kind !== "tuple" && g.items.length > 1) {
      return allTrue(g.items.map((x) => () => compareValues(x, p, st, b)));
    }
    switch (g.kind) {
      case "expr":
        if (p.kind === "expr") return exprValuesEqual(g, p, st, b);
        if (p.kind === "equation") return equationVsExpr(p, g, st, b);
        return false;
      case "equation":
        if (p.kind === "equation") return equationEqual(g, p, st, b);
        if (p.kind === "expr") return equationVsExpr(g, p, st, b);
        return false;
      case "set":
        if (p.kind === "set") return unorderedEqual(g.items, p.items, st, b);
        if (p.kind === "tuple") return unorderedEqual(g.items, p.items, st, b);
        return false;
      case "tuple":
        if (p.kind === "tuple") return orderedEqual(g.items, p.items, st, b);
        // A bare list "1, 2" answering a tuple is read in order.
        if (p.kind === "set") return orderedEqual(g.items, p.items, st, b);
        if (p.kind === "interval") return g.items.length === 2 ? compareValues(asInterval(g), p, st, b) : false;
        if (p.kind === "matrix") return matrixVsTuple(p, g, st, b);
        if (p.kind === "relation" && g.items.length === 2) return compareValues(asInterval(g), p, st, b);
        if (p.kind === "union" && g.items.length === 2) return compareValues(asInterval(g), p, st, b);
        return false;
      case "interval":
        if (p.kind === "interval") return intervalEqual(g, p, st, b);
        if (p.kind === "union") {
          const pm = mergeIntervals(p.items, st, b);
          return pm ? orderedEqual([g], pm, st, b) : false;
        }
        if (p.kind === "tuple") return p.items.length === 2 ? compareValues(g, asInterval(p), st, b) : false;
        if (p.kind === "relation" && st.allowIntervalForInequality) {
          const ps = relationToSet(p, b);
          return ps ? compareValues(g, ps, st, b) : false;
        }
        return false;
      case "union":
        if (p.kind === "union" || p.kind === "interval") {
          // Merged, sorted interval lists: (0,1] ∪ (1,2) is (0,2). Without numeric endpoints, item by item.
          const gm = mergeIntervals(g.items, st, b);
          const pm = mergeIntervals(p.kind === "union" ? p.items : [p], st, b);
          if (gm && pm) return orderedEqual(gm, pm, st, b);
          return p.kind === "union" ? unorderedEqual(g.items.map(asInterval), p.items.map(asInterval), st, b) : false;
        }
        if (p.kind === "relation" && st.allowIntervalForInequality) {
          const ps = relationToSet(p, b);
          return ps ? compareValues(g, ps, st, b) : false;
        }
        return false;
      case "relation": {
        if (p.kind === "relation") return relationEqual(g, p, st, b);
        if (isSetLike(p) || p.kind === "tuple") {
          const gs = relationToSet(g, b);
          return gs ? compareValues(gs, p, st, b) : false;
        }
        return false;
      }
      case "matrix":
        if (p.kind === "matrix") {
          if (g.rows.length !== p.rows.length || g.rows.some((r, i) => r.length !== p.rows[i]!.length)) return false;
          return allTrue(g.rows.flatMap((r, i) => r.map((e, j) => () => exprEqual(e, p.rows[i]![j]!, st, b))));
        }
        if (p.kind === "tuple") return matrixVsTuple(g, p, st, b);
        return false;
    }
  });
}

/** A column or row vector written as a matrix equals the same tuple. */
function matrixVsTuple(m: MathValue & { kind: "matrix" }, t: MathValue & { kind: "tuple" }, st: CompareSettings, b: Budget): Tri {
  const flat = m.rows.length === 1 ? m.rows[0]! : m.rows.every((r) => r.length === 1) ? m.rows.map((r) => r[0]!) : null;
  if (!flat || flat.length !== t.items.length) return false;
  return allTrue(flat.map((e, i) => () => {
    const item = t.items[i]!;
    return item.kind === "expr" ? exprEqual(e, item.expr, st, b) : false;
  }));
}

/** "x = 5" and "5": the equation's value when one side is a lone variable. */
function equationVsExpr(eq: MathValue & { kind: "equation" }, v: MathValue & { kind: "expr" }, st: CompareSettings, b: Budget): Tri {
  // A label on the left names the value on the right: x = 3, XY = 3, |PQ| = 2, V_1:V_2 = 3:8, f(x) = 2x + 1.
  if (isLabel(eq.lhs)) return exprEqual(eq.rhs, v.expr, st, b);
  if (isLabel(eq.rhs) && eq.rhs.t === "var") return exprEqual(eq.lhs, v.expr, st, b);
  // A worked chain of numbers (5 + 5 + 1 = 11): its last side is the answer.
  if (varsOf([eq.lhs, eq.rhs], b).length === 0) return exprEqual(eq.rhs, v.expr, st, b);
  return false;
}

interface Span {
  lo: number;
  hi: number;
  v: MathValue & { kind: "interval" };
}

/** A real endpoint value (±∞ allowed); null when it has variables or is not real. */
function endpoint(e: Expr, b: Budget): number | null {
  const inf = infinitySign(e);
  if (inf !== 0) return inf * Infinity;
  if (containsInfinity(e, b) || varsOf([e], b).length > 0) return null;
  const v = evaluate(e, new Map(), b);
  if (!v) return null;
  const c = toComplex(v);
  return Math.abs(c.im) <= ABS_TOL ? c.re : null;
}

/**
 * A union of intervals as sorted, merged intervals; null when an endpoint is not a real number (or an item is not
 * an interval). Overlapping intervals merge, and so do touching ones when the shared end is closed on either side.
 */
export function mergeIntervals(items: readonly MathValue[], st: CompareSettings, b: Budget): MathValue[] | null {
  const spans: Span[] = [];
  for (const raw of items) {
    const it = asInterval(raw);
    if (it.kind !== "interval") return null;
    const lo = endpoint(it.lo, b);
    const hi = endpoint(it.hi, b);
    if (lo === null || hi === null) return null;
    spans.push({ lo, hi, v: it });
  }
  spans.sort((x, y) => x.lo - y.lo || Number(y.v.loClosed) - Number(x.v.loClosed));
  const out: Span[] = [];
  for (const sp of spans) {
    b.tick();
    const last = out[out.length - 1];
    // Touching means the same endpoint exactly: (0,1) ∪ [1.000001, 2) is not (0, 2) at any tolerance.
    const touching = last !== undefined && last.hi === sp.lo && exprEqual(last.v.hi, sp.v.lo, { ...st, relTol: 0 }, b) === true;
    if (last && (sp.lo < last.hi || (touching && (last.v.hiClosed || sp.v.loClosed)))) {
      if (sp.hi > last.hi || (sp.hi === last.hi && sp.v.hiClosed)) {
        last.hi = sp.hi;
        last.v = { ...last.v, hi: sp.v.hi, hiClosed: sp.v.hiClosed };
      }
    } else {
      out.push({ ...sp });
    }
  }
  return out.map((x) => x.v);
}

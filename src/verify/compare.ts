// Equality of canonical values. Numbers: exact rationals first, then a relative tolerance (computed on the exact
// difference when both sides are rational, so 1/2004! vs 1/2006! is decided without float underflow). Expressions
// with variables: evaluated at the same deterministic pseudo-random rational points. Sets are order-insensitive,
// tuples ordered. A gold inequality accepts a predicted interval; the reverse only when allowed (a policy that
// answers "x > 2" for the interval (2, ∞) is not rewarded by default, as in Math-Verify).
import { createRng, mixSeed } from "../util/rng.js";
import type { Budget } from "./limits.js";
import * as Q from "./rational.js";
import { collectVars, containsInfinity, evaluate, infinitySign, isExact, toComplex, type Num } from "./expr.js";
import type { Expr, MathValue, RelOp } from "./value.js";
import { exprToString } from "./canonical.js";

export interface CompareSettings {
  relTol: number;
  allowIntervalForInequality: boolean;
}

/** Tri-state: true, false, or null when it cannot be decided (nothing evaluates). */
type Tri = boolean | null;

/** Points evaluated for expressions with variables; the check needs MIN_POINTS that are defined on both sides. */
const TRIES = 10;
const MIN_POINTS = 3;
/** Absolute slack for float results near zero (sin π ≈ 1e-16). Exact rationals never use it. */
const ABS_TOL = 1e-12;
const SEED = mixSeed(0x7e21, 0x5eed);

export function numEqual(x: Num, y: Num, relTol: number): boolean {
  if (isExact(x) && isExact(y)) {
    if (Q.eq(x.q, y.q)) return true;
    if (relTol <= 0) return false;
    // |x − y| / max(|x|, |y|) ≤ relTol, on exact values (only the final ratio becomes a double).
    const diffN = x.q.n * y.q.d - y.q.n * x.q.d;
    const ax = x.q.n < 0n ? -x.q.n * y.q.d : x.q.n * y.q.d;
    const ay = y.q.n < 0n ? -y.q.n * x.q.d : y.q.n * x.q.d;
    const scale = ax > ay ? ax : ay;
    if (scale === 0n) return false;
    return Q.toNumber({ n: diffN < 0n ? -diffN : diffN, d: scale }) <= relTol;
  }
  const a = toComplex(x);
  const c = toComplex(y);
  const diff = Math.hypot(a.re - c.re, a.im - c.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(c.re, c.im));
  return diff <= relTol * scale + ABS_TOL;
}

/**
 * A random rational point. Even tries spread over [−97, 97] (a wide range makes a false polynomial identity
 * improbable); odd tries stay inside (−1, 1), the domain of arcsin/arccos, so such expressions still get points.
 */
function randomPoint(vars: string[], rng: ReturnType<typeof createRng>, k: number): Map<string, Q.Rational> {
  const env = new Map<string, Q.Rational>();
  for (const v of vars) {
    const q = rng.int(2, 13);
    const lim = k % 2 === 0 ? 97 : q - 1;
    let p = 0;
    while (p === 0) p = rng.int(-lim, lim);
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
  // The tolerance is for approximations: a decimal with a fractional part, or a float result (π, √2). Two exact
  // values (integers, fractions) must be exactly equal — 6290001 is not 6290000 at any tolerance.
  const tol = hasApprox(a, b) || hasApprox(c, b) ? st.relTol : 0;
  const vars = varsOf([a, c], b);
  if (vars.length === 0) {
    const x = evaluate(a, new Map(), b);
    const y = evaluate(c, new Map(), b);
    if (!x || !y) return null;
    return isExact(x) && isExact(y) ? numEqual(x, y, tol) : numEqual(x, y, st.relTol);
  }
  const rng = createRng(SEED);
  let ok = 0;
  for (let k = 0; k < TRIES && ok < MIN_POINTS; k++) {
    b.tick();
    const env = randomPoint(vars, rng, k);
    const x = evaluate(a, env, b);
    const y = evaluate(c, env, b);
    if (!x || !y) continue;
    if (!numEqual(x, y, isExact(x) && isExact(y) ? tol : st.relTol)) return false;
    ok++;
  }
  return ok >= 2 ? true : null;
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

const div100 = (e: Expr): Expr => ({ t: "div", num: e, den: { t: "num", v: Q.ratInt(100) } });

function exprValuesEqual(g: MathValue & { kind: "expr" }, p: MathValue & { kind: "expr" }, st: CompareSettings, b: Budget): Tri {
  const r = exprEqual(g.expr, p.expr, st, b);
  if (r === true || Boolean(g.percent) === Boolean(p.percent)) return r;
  // One side written with %: 25% and 0.25 are the same answer.
  const r2 = g.percent ? exprEqual(div100(g.expr), p.expr, st, b) : exprEqual(g.expr, div100(p.expr), st, b);
  return r2 === true ? true : r === false || r2 === false ? false : null;
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

/** x < 3 → (−∞, 3); 1 < x ≤ 2 → (1, 2]; x ≠ 3 → (−∞, 3) ∪ (3, ∞). Null when not one variable against constants. */
export function relationToSet(r: MathValue & { kind: "relation" }, b: Budget): MathValue | null {
  const isVar = (e: Expr) => e.t === "var";
  const isConst = (e: Expr) => varsOf([e], b).length === 0;
  const iv = (lo: Expr, hi: Expr, loClosed: boolean, hiClosed: boolean): MathValue => ({ kind: "interval", lo, hi, loClosed, hiClosed });
  if (r.terms.length === 2) {
    let [l, rr] = r.terms as [Expr, Expr];
    let op = r.ops[0]!;
    if (!isVar(l) && isVar(rr)) {
      [l, rr] = [rr, l];
      op = flip(op);
    }
    if (!isVar(l) || !isConst(rr)) return null;
    switch (op) {
      case "<": return iv(NEG_INF, rr, false, false);
      case "<=": return iv(NEG_INF, rr, false, true);
      case ">": return iv(rr, INF, false, false);
      case ">=": return iv(rr, INF, true, false);
      case "!=": return { kind: "union", items: [iv(NEG_INF, rr, false, false), iv(rr, INF, false, false)] };
    }
  }
  if (r.terms.length === 3) {
    const [lo, x, hi] = r.terms as [Expr, Expr, Expr];
    if (!isVar(x) || !isConst(lo) || !isConst(hi)) return null;
    const [o1, o2] = r.ops as [RelOp, RelOp];
    const up = (o: RelOp) => o === "<" || o === "<=";
    const down = (o: RelOp) => o === ">" || o === ">=";
    if (up(o1) && up(o2)) return iv(lo, hi, o1 === "<=", o2 === "<=");
    if (down(o1) && down(o2)) return iv(hi, lo, o2 === ">=", o1 === ">=");
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
  const rng = createRng(SEED);
  let ratio: Num | null = null;
  let ok = 0;
  const zero = (x: Num) => numEqual(x, { q: Q.ZERO }, st.relTol);
  for (let k = 0; k < TRIES && ok < MIN_POINTS; k++) {
    b.tick();
    const env = randomPoint(vars, rng, k);
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
  return ok >= 1 ? true : null;
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
    // A one-element set and its element are the same answer ("{5}" vs "5"; a single boxed root for "find all").
    if (g.kind === "set" && p.kind !== "set" && g.items.length === 1) return compareValues(g.items[0]!, p, st, b);
    if (p.kind === "set" && g.kind !== "set" && p.items.length === 1) return compareValues(g, p.items[0]!, st, b);
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
  if (eq.lhs.t === "var") return exprEqual(eq.rhs, v.expr, st, b);
  if (eq.rhs.t === "var") return exprEqual(eq.lhs, v.expr, st, b);
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
    const touching = last !== undefined && numEqual({ c: { re: last.hi, im: 0 } }, { c: { re: sp.lo, im: 0 } }, st.relTol);
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

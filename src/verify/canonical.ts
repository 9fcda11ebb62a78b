// A canonical display string of a value: numbers without variables reduce to exact "p/q" (so \frac12, 0.5 and
// 1/2 print alike); other expressions print structurally. Sets print sorted. Used for display and hashing only —
// equivalent answers that differ symbolically may print differently, so voting groups with answersEqual.
import type { Budget } from "./limits.js";
import * as Q from "./rational.js";
import { collectVars, evaluate, isExact } from "./expr.js";
import type { Expr, MathValue } from "./value.js";

function exprString(e: Expr, b: Budget): string {
  const vars = new Set<string>();
  collectVars(e, vars, b);
  if (vars.size === 0) {
    const v = evaluate(e, new Map(), b);
    if (v && isExact(v)) return Q.toString(v.q);
  }
  return printExpr(e, b);
}

/** A structural print of an expression (no evaluation). */
export function exprToString(e: Expr, b: Budget): string {
  return printExpr(e, b);
}

function printExpr(e: Expr, b: Budget): string {
  return b.nest((): string => {
    switch (e.t) {
      case "num": return Q.toString(e.v);
      case "const": return e.name === "inf" ? "oo" : e.name;
      case "var": return e.name;
      case "neg": return `-(${printExpr(e.x, b)})`;
      case "add": return `(${e.terms.map((x) => printExpr(x, b)).join("+")})`;
      case "mul": return e.factors.map((x) => printExpr(x, b)).join("*");
      case "div": return `(${printExpr(e.num, b)})/(${printExpr(e.den, b)})`;
      case "pow": return `(${printExpr(e.base, b)})^(${printExpr(e.exp, b)})`;
      case "fn": return `${e.name}(${e.args.map((x) => printExpr(x, b)).join(",")})`;
      case "pm": return `(${printExpr(e.a, b)}${e.minusFirst ? "-+" : "+-"}${printExpr(e.b, b)})`;
    }
  });
}

export function valueToString(v: MathValue, b: Budget): string {
  return b.nest((): string => {
    switch (v.kind) {
      case "expr": return exprString(v.expr, b) + (v.percent ? "%" : "");
      case "tuple": return `(${v.items.map((x) => valueToString(x, b)).join(",")})`;
      case "set": return `{${[...new Set(v.items.map((x) => valueToString(x, b)))].sort().join(",")}}`;
      case "interval": return `${v.loClosed ? "[" : "("}${exprString(v.lo, b)},${exprString(v.hi, b)}${v.hiClosed ? "]" : ")"}`;
      case "union": return v.items.map((x) => valueToString(x, b)).sort().join(" U ");
      case "matrix": return `[${v.rows.map((r) => `[${r.map((x) => exprString(x, b)).join(",")}]`).join(",")}]`;
      case "equation": return `${exprString(v.lhs, b)}=${exprString(v.rhs, b)}`;
      case "relation": return v.terms.map((t, i) => (i ? v.ops[i - 1] : "") + exprString(t, b)).join("");
      case "choice": return `(${v.letter})`;
      case "member": return `${v.v} in ${valueToString(v.set, b)}`;
      case "text": return v.text;
    }
  });
}

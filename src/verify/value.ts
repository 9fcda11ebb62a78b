// The canonical values an answer parses to. Plain data (no classes), so they can cross worker threads.
import type { Rational } from "./rational.js";

/** A mathematical expression. Numbers are exact rationals; everything else is kept symbolic. */
export type Expr =
  /** `approx`: written as a decimal with a fractional part (0.333), so a relative tolerance applies to it. */
  /** `digits`: fractional digits written (0.447 → 3): the precision of an approximate answer. */
  | { readonly t: "num"; readonly v: Rational; readonly approx?: boolean; readonly digits?: number }
  | { readonly t: "const"; readonly name: "pi" | "e" | "i" | "inf" }
  | { readonly t: "var"; readonly name: string }
  | { readonly t: "add"; readonly terms: readonly Expr[] }
  | { readonly t: "neg"; readonly x: Expr }
  | { readonly t: "mul"; readonly factors: readonly Expr[] }
  | { readonly t: "div"; readonly num: Expr; readonly den: Expr }
  | { readonly t: "pow"; readonly base: Expr; readonly exp: Expr }
  /** Functions: sqrt, root (args: [index, radicand]), sin … , ln, log, exp, abs, factorial, binom. */
  | { readonly t: "fn"; readonly name: string; readonly args: readonly Expr[] }
  /** a ± b: expands into two values (a set) at the value level. */
  | { readonly t: "pm"; readonly a: Expr; readonly b: Expr; readonly minusFirst: boolean };

export type RelOp = "<" | "<=" | ">" | ">=" | "!=";

export type MathValue =
  /** A number or an expression; `percent` when it was written with %, `degrees` with °. */
  /** `word`: written as one word of letters ("on", "no"), compared as that word against another word. */
  | { readonly kind: "expr"; readonly expr: Expr; readonly percent?: boolean; readonly word?: string; readonly unitPow?: number }
  /** Ordered: (a, b, c), points, vectors. */
  | { readonly kind: "tuple"; readonly items: readonly MathValue[] }
  /** Unordered: {a, b}, "a, b", a ± b. */
  /** `decimal`: "2,5" — also the decimal 2.5 written with a decimal comma, read so against a single number. */
  | { readonly kind: "set"; readonly items: readonly MathValue[]; readonly decimal?: Expr }
  | { readonly kind: "interval"; readonly lo: Expr; readonly hi: Expr; readonly loClosed: boolean; readonly hiClosed: boolean }
  /** A ∪ B ∪ …: intervals or sets. */
  | { readonly kind: "union"; readonly items: readonly MathValue[] }
  | { readonly kind: "matrix"; readonly rows: readonly (readonly Expr[])[] }
  | { readonly kind: "equation"; readonly lhs: Expr; readonly rhs: Expr }
  /** A chain a < b ≤ c … (inequality). */
  | { readonly kind: "relation"; readonly terms: readonly Expr[]; readonly ops: readonly RelOp[] }
  /** x ∈ S: the set S, and the variable it is about (compared against an inequality in the same variable). */
  | { readonly kind: "member"; readonly v: string; readonly set: MathValue }
  /** A multiple-choice letter, upper case. */
  | { readonly kind: "choice"; readonly letter: string }
  /** Plain text, lower-cased, whitespace removed. */
  | { readonly kind: "text"; readonly text: string };

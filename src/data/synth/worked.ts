// The shape every domain generator returns: a question, its exact answer and the computation that reaches it,
// written once as data. The mode writers (writers.ts) turn it into solution text; no generator writes prose for a
// mode itself, so every mode of every domain shows the same, checked computation.
import type { Rng } from "../../util/rng.js";
import type { JsonValue } from "../records.js";
import type { Q } from "./rational.js";

export const DOMAINS = [
  "arithmetic",
  "fractions",
  "equations",
  "number-theory",
  "counting",
  "sequences",
  "geometry",
  "word-problems",
] as const;
export type DomainName = (typeof DOMAINS)[number];

export type Style = "compact" | "verbose";

/** One computation: "<say>: <expr> = <value>". */
export interface Step {
  /** What this step does, in words ("Multiply the price by the count"). */
  say: string;
  /** The computation as written ("4 \\times 12"). */
  expr: string;
  /** Its result as written ("48"). */
  value: string;
}

/** The compact arithmetic notation (see arithmetic.ts): operands and operators of a flat expression. */
export interface CompactExpr {
  operands: number[];
  ops: ("+" | "-" | "*")[];
}

export interface Worked {
  domain: DomainName;
  /** Which template of the domain ("gcd", "system2", …), for stats and balanced sampling. */
  kind: string;
  difficulty: number;
  question: string;
  /** The exact answer. */
  answer: Q;
  /** How the answer is written inside \boxed{} when not the default (integer, or \frac{}{}), e.g. "3.75". */
  boxed?: string;
  steps: Step[];
  /** A verification sentence: substitute back, recompute another way ("Check: 3(4) + 2 = 14."). */
  check: string;
  /** Python lines that leave the answer in `ans` (tool-integrated reasoning); exact (int or Fraction). */
  code: string[];
  /** Present for compact arithmetic: the writers use the digit-level notation instead of prose. */
  compact?: CompactExpr;
  meta?: Record<string, JsonValue>;
}

export interface GenOptions {
  style: Style;
}

export type Generator = (rng: Rng, difficulty: number, opts: GenOptions) => Worked;

/** Thrown when rejection sampling cannot meet a generator's constraints (a bug in its ranges, never expected). */
export function exhausted(domain: string, difficulty: number): Error {
  return new Error(`synth: ${domain} difficulty ${difficulty}: no instance met the constraints`);
}

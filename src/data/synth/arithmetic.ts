// Arithmetic chains and order of operations, in two styles.
//
// ── Compact notation (style "compact"; what the embedded pipeline trains on: short text = cheap compute) ────────
// Question: the flat expression followed by "=", no spaces:           3*9+3-6=
// Operators: + - * only; * binds tighter (products first, left to right), then + and - left to right.
// Every solution ends with the final answer as \boxed{N} (N a non-negative integer, no other text after it).
//   low       near-direct:                                             \boxed{24}
//   medium    products, then the additive rest in one step:            3*9=27;27+3-6=24;\boxed{24}
//   instruct  one step per operation:                                  3*9=27;27+3=30;30-6=24;\boxed{24}
//   high      the digit-level column scratchpad for every step (below), no detours
//   thinking  the scratchpad with a reasoning model's redundancy, at a rate drawn per trace (verbose-trace.ts):
//             the task restated, steps re-verified by their inverse, the expression left restated, an abandoned
//             path, a final check — R1-like length, so a shorter correct path exists for RL to discover.
//   tir       py:print(3*9+3-6)>24;\boxed{24}        (code, ">" then its printed output)
// Scratchpad for one step (a op b = r):
//   both operands one digit: the fact itself                            3*9=27;   7-1=6;
//   a+b  columns from the units up, "x+y=s" with "+1" when a carry comes in, then the result:
//        27+3:7+3=10,2+0+1=3,30;
//   a-b  (a ≥ b) columns from the units up; a column that borrows is written with its top digit + 10, and "-1"
//        marks a borrow taken by the column to its right:
//        30-6:10-6=4,3-0-1=2,24;
//   a*b  (either operand ≥ 10) header "a*b:", then for each digit d of the shorter operand (units first), the
//        longer one times d in columns "x*d=v" with "+c" for the carry, then that partial product, then (for
//        the tens digit) the partial shifted by a zero; with a two-digit multiplier the partials are then added
//        with the addition scratchpad:
//        23*4:3*4=12,2*4+1=9,92;
//        23*14:3*4=12,2*4+1=9,92;3*1=3,2*1=2,23,230;92+230:2+0=2,9+3=12,0+2+1=3,322;
// Difficulty ladder (compact and verbose alike):
//   1  two one-digit operands                                           7-3=
//   2  three one-digit operands, at most one *, all results 0–99        2+7*3=
//   3  three or four one-digit operands, at most two *, results 0–99    8*7-9+4=
//   4  five operands (4 steps), two-digit numbers, * by a one-digit number, results 0–999
//   5  six operands (5 steps), at least one product of two two-digit numbers, results 0–9999
//
// ── Verbose (style "verbose") ──────────────────────────────────────────────────────────────────────────────────
// The same expressions written with ×, spaced, as a sentence ("Compute 3 × 9 + 3 − 6."), solved by the prose
// writers; from difficulty 3, 40% are instead "(a ± b) × c ± e", where the parentheses change the order. All
// values are non-negative integers, computed exactly.
import type { Rng } from "../../util/rng.js";
import { q } from "./rational.js";
import { exhausted, type CompactExpr, type GenOptions, type Step, type Worked } from "./worked.js";

type Op = "+" | "-" | "*";

/** One evaluated operation of the chain, in the order it is computed. */
export interface ArithStep {
  a: number;
  op: Op;
  b: number;
  r: number;
}

/** Evaluates with precedence (products first, then left to right), listing each operation. */
export function evaluateChain(e: CompactExpr): { steps: ArithStep[]; value: number } {
  const steps: ArithStep[] = [];
  // Collapse products first.
  const terms: number[] = [e.operands[0]!];
  const addOps: ("+" | "-")[] = [];
  for (let i = 0; i < e.ops.length; i++) {
    const op = e.ops[i]!;
    const b = e.operands[i + 1]!;
    if (op === "*") {
      const a = terms[terms.length - 1]!;
      const r = a * b;
      steps.push({ a, op, b, r });
      terms[terms.length - 1] = r;
    } else {
      addOps.push(op);
      terms.push(b);
    }
  }
  let acc = terms[0]!;
  for (let i = 0; i < addOps.length; i++) {
    const op = addOps[i]!;
    const b = terms[i + 1]!;
    const r = op === "+" ? acc + b : acc - b;
    steps.push({ a: acc, op, b, r });
    acc = r;
  }
  return { steps, value: acc };
}

export function compactQuestion(e: CompactExpr): string {
  let s = String(e.operands[0]);
  for (let i = 0; i < e.ops.length; i++) s += e.ops[i]! + String(e.operands[i + 1]);
  return s + "=";
}

function digits(n: number): number[] {
  const out: number[] = [];
  do { out.push(n % 10); n = Math.floor(n / 10); } while (n > 0);
  return out; // units first
}

function addPad(a: number, b: number): string {
  if (a < 10 && b < 10) return `${a}+${b}=${a + b};`;
  const da = digits(a), db = digits(b);
  const cols: string[] = [];
  let carry = 0;
  for (let i = 0; i < Math.max(da.length, db.length); i++) {
    const x = da[i] ?? 0, y = db[i] ?? 0;
    const s = x + y + carry;
    cols.push(`${x}+${y}${carry ? "+1" : ""}=${s}`);
    carry = s >= 10 ? 1 : 0;
  }
  return `${a}+${b}:${cols.join(",")},${a + b};`;
}

function subPad(a: number, b: number): string {
  if (a < 10 && b < 10) return `${a}-${b}=${a - b};`;
  const da = digits(a), db = digits(b);
  const cols: string[] = [];
  let borrow = 0;
  for (let i = 0; i < da.length; i++) {
    const x = da[i]!, y = db[i] ?? 0;
    const out = x - borrow < y ? 1 : 0;
    const top = x + 10 * out;
    cols.push(`${top}-${y}${borrow ? "-1" : ""}=${top - y - borrow}`);
    borrow = out;
  }
  return `${a}-${b}:${cols.join(",")},${a - b};`;
}

function mulPad(a: number, b: number): string {
  if (a < 10 && b < 10) return `${a}*${b}=${a * b};`;
  const [top, bot] = String(a).length >= String(b).length ? [a, b] : [b, a];
  const dt = digits(top), db = digits(bot);
  let s = `${a}*${b}:`;
  const partials: number[] = [];
  db.forEach((d, j) => {
    const cols: string[] = [];
    let carry = 0;
    for (const x of dt) {
      const v = x * d + carry;
      cols.push(`${x}*${d}${carry ? `+${carry}` : ""}=${v}`);
      carry = Math.floor(v / 10);
    }
    const p = top * d;
    const shifted = p * 10 ** j;
    s += `${cols.join(",")},${p}${j > 0 ? `,${shifted}` : ""};`;
    partials.push(shifted);
  });
  let acc = partials[0]!;
  for (let j = 1; j < partials.length; j++) {
    s += addPad(acc, partials[j]!);
    acc += partials[j]!;
  }
  return s;
}

/** The digit-level scratchpad of one operation (format in the header comment). */
export function scratchpad(s: ArithStep): string {
  return s.op === "+" ? addPad(s.a, s.b) : s.op === "-" ? subPad(s.a, s.b) : mulPad(s.a, s.b);
}

function rung(rng: Rng, difficulty: number): { n: number; maxStar: number; minBig: number; max: number; pick: (i: number, op: Op, nextOp: Op | undefined) => number } {
  const one = (): number => rng.int(1, 9);
  switch (difficulty) {
    case 1: return { n: 2, maxStar: 1, minBig: 0, max: 99, pick: one };
    case 2: return { n: 3, maxStar: 1, minBig: 0, max: 99, pick: one };
    case 3: return { n: rng.int(3, 4), maxStar: 2, minBig: 0, max: 99, pick: one };
    case 4: return {
      n: 5, maxStar: 2, minBig: 0, max: 999,
      // two-digit operands, except that one side of a product is one digit
      pick: (i, op, nextOp) => (op === "*" || nextOp === "*") && i % 2 === 0 ? rng.int(2, 9) : rng.int(10, 99),
    };
    default: return { n: 6, maxStar: 2, minBig: 1, max: 9999, pick: () => rng.int(10, 99) };
  }
}

/** A random flat expression at the given rung; rejection sampling keeps every intermediate in range. */
export function sampleChain(rng: Rng, difficulty: number): { expr: CompactExpr; steps: ArithStep[]; value: number } {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const r = rung(rng, difficulty);
    const ops: Op[] = [];
    let stars = 0;
    for (let i = 0; i < r.n - 1; i++) {
      let op = rng.pick(["+", "-", "*"] as const);
      if (op === "*" && (stars >= r.maxStar || ops[i - 1] === "*")) op = rng.next() < 0.5 ? "+" : "-";
      if (op === "*") stars++;
      ops.push(op);
    }
    if (r.minBig > 0 && stars === 0) {
      const i = rng.int(0, ops.length - 1);
      ops[i] = "*";
      if (ops[i - 1] === "*") ops[i - 1] = "+";
      if (ops[i + 1] === "*") ops[i + 1] = "-";
    }
    const operands: number[] = [];
    for (let i = 0; i < r.n; i++) operands.push(r.pick(i, ops[i - 1] ?? "+", ops[i]));
    if (difficulty === 4) {
      // a product has one one-digit side: make the left factor one digit when the right one is two digits
      for (let i = 0; i < ops.length; i++) if (ops[i] === "*" && operands[i]! >= 10 && operands[i + 1]! >= 10) operands[i + 1] = rng.int(2, 9);
    }
    const expr = { operands, ops };
    const { steps, value } = evaluateChain(expr);
    if (steps.every((s) => s.r >= 0 && s.r <= r.max)) return { expr, steps, value };
  }
  throw exhausted("arithmetic", difficulty);
}

const WORD: Record<Op, string> = { "+": "Add", "-": "Subtract", "*": "Multiply" };
const SYM: Record<Op, string> = { "+": "+", "-": "-", "*": "\\times" };

/**
 * Verbose only, difficulty ≥ 3: parentheses that change the order, "(a ± b) × c ± e", checked by distributing.
 * The compact notation has no parentheses (the pipeline's ladder is about digits and steps, not grouping).
 */
function grouped(rng: Rng, difficulty: number): Worked {
  const big = difficulty === 3 ? 20 : 99;
  let a = rng.int(2, big), b = rng.int(2, big);
  const inner: "+" | "-" = rng.next() < 0.5 ? "+" : "-";
  if (inner === "-" && a < b) [a, b] = [b, a];
  if (inner === "-" && a === b) a++;
  const c = difficulty === 5 ? rng.int(11, 30) : rng.int(2, 9);
  const s = inner === "+" ? a + b : a - b;
  const prod = s * c;
  const outer: "+" | "-" = rng.next() < 0.5 ? "+" : "-";
  const e = rng.int(1, Math.min(prod, 10 * difficulty * difficulty));
  const value = outer === "+" ? prod + e : prod - e;
  const innerSym = inner;
  return {
    domain: "arithmetic", kind: "grouped", difficulty,
    question: `Compute $(${a} ${innerSym} ${b}) \\times ${c} ${outer} ${e}$.`,
    answer: q(value),
    steps: [
      { say: "Parentheses first", expr: `${a} ${innerSym} ${b}`, value: String(s) },
      { say: `Multiply ${s} by ${c}`, expr: `${s} \\times ${c}`, value: String(prod) },
      { say: outer === "+" ? `Add ${e}` : `Subtract ${e}`, expr: `${prod} ${outer} ${e}`, value: String(value) },
    ],
    check: `Distributing instead: $${a} \\times ${c} ${innerSym} ${b} \\times ${c} ${outer} ${e} = ${a * c} ${innerSym} ${b * c} ${outer} ${e} = ${value}$.`,
    code: [`ans = (${a} ${innerSym} ${b}) * ${c} ${outer} ${e}`],
    meta: { steps: 3 },
  };
}

export function generateArithmetic(rng: Rng, difficulty: number, opts: GenOptions): Worked {
  if (opts.style === "verbose" && difficulty >= 3 && rng.next() < 0.4) return grouped(rng, difficulty);
  const { expr, steps, value } = sampleChain(rng, difficulty);
  const pretty = expr.operands.map((o, i) => (i === 0 ? String(o) : ` ${SYM[expr.ops[i - 1]!]} ${o}`)).join("");
  const prettyPy = expr.operands.map((o, i) => (i === 0 ? String(o) : ` ${expr.ops[i - 1]} ${o}`)).join("");
  const ws: Step[] = steps.map((s) => ({
    say: s.op === "*" ? `${WORD["*"]} ${s.a} by ${s.b}` : s.op === "+" ? `Add ${s.b} to ${s.a}` : `Subtract ${s.b} from ${s.a}`,
    expr: `${s.a} ${SYM[s.op]} ${s.b}`,
    value: String(s.r),
  }));
  const compact = opts.style === "compact";
  return {
    domain: "arithmetic",
    kind: compact ? "compact-chain" : "chain",
    difficulty,
    question: compact ? compactQuestion(expr) : `Compute $${pretty}$.`,
    answer: q(value),
    steps: ws,
    check: `Evaluating the whole expression again, products first: $${pretty} = ${value}$.`,
    code: [`ans = ${prettyPy}`],
    ...(compact ? { compact: expr } : {}),
    meta: { steps: steps.length },
  };
}

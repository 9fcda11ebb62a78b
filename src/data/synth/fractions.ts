// Fractions, decimals, percentages and ratios. Difficulty raises the number of terms, the size of denominators
// and (at 4–5) adds a distractor sentence with a number that does not matter.
import type { Rng } from "../../util/rng.js";
import { add, decimal, div, mul, q, str, sub, tex, type Q } from "./rational.js";
import { pickName } from "./names.js";
import type { GenOptions, Step, Worked } from "./worked.js";

type FracOp = "+" | "-" | "\\times" | "\\div";

function fractionChain(rng: Rng, d: number): Worked {
  const terms = d <= 2 ? 2 : d === 3 ? 3 : 4;
  const maxDen = 3 + 2 * d;
  const vals: Q[] = [];
  const ops: FracOp[] = [];
  for (let i = 0; i < terms; i++) {
    const den = rng.int(2, maxDen);
    let num = rng.int(1, den - 1 + (d >= 4 ? den : 0));
    if (num % den === 0) num++; // keep every term a proper fraction (no "× 1" steps)
    vals.push(q(num, den));
    if (i > 0) ops.push(d <= 1 ? rng.pick(["+", "-"] as const) : rng.pick(["+", "-", "\\times", "\\div"] as const));
  }
  // Left to right, one operation at a time (the question is parenthesised that way so precedence is unambiguous).
  let acc = vals[0]!;
  let shown = tex(acc);
  const steps: Step[] = [];
  const code = ["from fractions import Fraction", `ans = ${pyQ(acc)}`];
  for (let i = 1; i < terms; i++) {
    const b = vals[i]!, op = ops[i - 1]!;
    const r = op === "+" ? add(acc, b) : op === "-" ? sub(acc, b) : op === "\\times" ? mul(acc, b) : div(acc, b);
    const say = op === "+" ? "Add, over a common denominator" : op === "-" ? "Subtract, over a common denominator" : op === "\\times" ? "Multiply numerators and denominators" : "Divide by multiplying by the reciprocal";
    steps.push({ say, expr: `${tex(acc)} ${op} ${tex(b)}`, value: tex(r) });
    code.push(`ans = ans ${op === "\\times" ? "*" : op === "\\div" ? "/" : op} ${pyQ(b)}`);
    shown = i === 1 ? `${shown} ${op} ${tex(b)}` : `\\left(${shown}\\right) ${op} ${tex(b)}`;
    acc = r;
  }
  return {
    domain: "fractions", kind: "fraction-chain", difficulty: d,
    question: `Compute $${shown}$. Give the answer as a fraction in lowest terms.`,
    answer: acc, steps, code,
    check: `Converting to decimals as a rough check, the result ${tex(acc)} is about ${(Number(acc.n) / Number(acc.d)).toFixed(3)}, consistent with the terms.`,
  };
}

function pyQ(a: Q): string {
  return `Fraction(${a.n}, ${a.d})`;
}

function percentOf(rng: Rng, d: number): Worked {
  const pct = d <= 2 ? rng.pick([10, 20, 25, 50, 75]) : rng.int(1, 99) + (d >= 5 ? rng.pick([0, 0.5]) : 0);
  const base = d <= 2 ? rng.int(1, 20) * 20 : rng.int(20, 100 * d) * (d >= 4 ? 1 : 4);
  const p = q(Math.round(pct * 2), 200);
  const r = mul(p, q(base));
  const who = pickName(rng);
  const distract = d >= 4 ? ` ${who} already owns ${rng.int(3, 40)} of them.` : "";
  const ans = decimal(r);
  return {
    domain: "fractions", kind: "percent-of", difficulty: d,
    question: `A shop has ${base} items in stock.${distract} What is ${pct}% of ${base}?`,
    answer: r, ...(ans !== null && r.d !== 1n ? { boxed: ans } : {}),
    steps: [
      { say: `Write ${pct}% as a fraction`, expr: `${pct}\\%`, value: tex(p) },
      { say: `Multiply by ${base}`, expr: `${tex(p)} \\times ${base}`, value: ans ?? tex(r) },
    ],
    check: `${ans ?? tex(r)} out of ${base} is ${tex(div(r, q(base)))} of the whole, which is ${pct}%.`,
    code: ["from fractions import Fraction", `ans = Fraction(${Math.round(pct * 2)}, 200) * ${base}`],
  };
}

function decimalProduct(rng: Rng, d: number): Worked {
  const places = d <= 2 ? 1 : 2;
  const a = q(rng.int(11, 10 ** (places + 1) + 9 * d), 10 ** places);
  const b = q(rng.int(2, 9 + 10 * (d - 1)), 10);
  const sumFirst = d >= 3 && rng.next() < 0.5;
  const c = q(rng.int(1, 50), 10);
  const left = sumFirst ? add(a, c) : a;
  const r = mul(left, b);
  const ds = (x: Q): string => decimal(x)!;
  const steps: Step[] = [];
  if (sumFirst) steps.push({ say: "Add inside the parentheses", expr: `${ds(a)} + ${ds(c)}`, value: ds(left) });
  steps.push({ say: "Multiply as whole numbers, then place the decimal point", expr: `${ds(left)} \\times ${ds(b)}`, value: ds(r) });
  return {
    domain: "fractions", kind: "decimal", difficulty: d,
    question: sumFirst ? `Compute $(${ds(a)} + ${ds(c)}) \\times ${ds(b)}$.` : `Compute $${ds(a)} \\times ${ds(b)}$.`,
    answer: r, ...(r.d !== 1n ? { boxed: ds(r) } : {}),
    steps,
    check: `Dividing back: ${ds(r)} \\div ${ds(b)} = ${ds(left)}.`,
    code: ["from fractions import Fraction", `ans = ${sumFirst ? `(Fraction("${ds(a)}") + Fraction("${ds(c)}"))` : `Fraction("${ds(a)}")`} * Fraction("${ds(b)}")`],
  };
}

function ratioSplit(rng: Rng, d: number): Worked {
  const parts = d >= 4 ? 3 : 2;
  const ratio: number[] = [];
  for (let i = 0; i < parts; i++) ratio.push(rng.int(1, 3 + 2 * d));
  const total = ratio.reduce((s, x) => s + x, 0);
  const unit = rng.int(2, 4 + 6 * d);
  const amount = total * unit;
  const want = rng.int(0, parts - 1);
  const names = [pickName(rng)];
  while (names.length < parts) names.push(pickName(rng, names[names.length - 1]));
  const r = q(ratio[want]! * unit);
  return {
    domain: "fractions", kind: "ratio", difficulty: d,
    question: `${names.join(parts === 2 ? " and " : ", ")} share ${amount} dollars in the ratio ${ratio.join(":")}. How many dollars does ${names[want]} get?`,
    answer: r,
    steps: [
      { say: "Add the parts of the ratio", expr: ratio.join(" + "), value: String(total) },
      { say: "Find the value of one part", expr: `${amount} \\div ${total}`, value: String(unit) },
      { say: `Multiply by ${names[want]}'s ${ratio[want]} parts`, expr: `${ratio[want]} \\times ${unit}`, value: str(r) },
    ],
    check: `The shares ${ratio.map((x) => x * unit).join(", ")} add up to ${amount}.`,
    code: [`unit = ${amount} // ${total}`, `ans = ${ratio[want]} * unit`],
  };
}

export function generateFractions(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  const k = rng.int(0, 3);
  const w = k === 0 ? fractionChain(rng, difficulty) : k === 1 ? percentOf(rng, difficulty) : k === 2 ? decimalProduct(rng, difficulty) : ratioSplit(rng, difficulty);
  return w;
}

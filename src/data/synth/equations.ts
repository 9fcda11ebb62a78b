// Linear equations in one unknown and 2×2 linear systems. Solutions are integers up to difficulty 3 and may be
// fractions from 4 on; systems are solved by elimination (Cramer's rule written out as steps).
import type { Rng } from "../../util/rng.js";
import { add, mul, py, q, str, sub, tex, type Q } from "./rational.js";
import type { GenOptions, Worked } from "./worked.js";

function nz(rng: Rng, lo: number, hi: number): number {
  for (;;) {
    const v = rng.int(lo, hi);
    if (v !== 0) return v;
  }
}

/** "3x + 5", "-x - 2", "x": a linear expression in LaTeX. */
function lin(a: number, b: number, v = "x"): string {
  const coef = a === 1 ? v : a === -1 ? `-${v}` : `${a}${v}`;
  if (b === 0) return coef;
  return `${coef} ${b < 0 ? "-" : "+"} ${Math.abs(b)}`;
}

function oneSided(rng: Rng, d: number): Worked {
  // a x + b = c
  const big = 5 + 4 * d;
  const a = d <= 1 ? rng.int(2, 9) : nz(rng, -big, big);
  const x: Q = d >= 4 ? q(nz(rng, -big, big), rng.int(2, 5)) : q(nz(rng, -big, big));
  const b = nz(rng, -3 * big, 3 * big);
  const c = add(mul(q(a), x), q(b));
  const rhs = sub(c, q(b));
  return {
    domain: "equations", kind: "linear", difficulty: d,
    question: `Solve for $x$: $${lin(a, b)} = ${tex(c)}$.`,
    answer: x,
    steps: [
      { say: `${b < 0 ? "Add" : "Subtract"} ${Math.abs(b)} ${b < 0 ? "to" : "from"} both sides`, expr: `${tex(c)} ${b < 0 ? "+" : "-"} ${Math.abs(b)}`, value: tex(rhs) },
      { say: `Divide both sides by ${a}`, expr: `${tex(rhs)} \\div ${a < 0 ? `(${a})` : a}`, value: tex(x) },
    ],
    check: `Substituting back: $${a} \\cdot ${x.n < 0n || x.d !== 1n ? `(${tex(x)})` : tex(x)} ${b < 0 ? "-" : "+"} ${Math.abs(b)} = ${tex(c)}$.`,
    code: ["from fractions import Fraction", `ans = (${py(c)} - (${b})) / Fraction(${a})`],
  };
}

function twoSided(rng: Rng, d: number): Worked {
  // a x + b = c x + e  →  (a - c) x = e - b
  const big = 4 + 3 * d;
  let a = nz(rng, -big, big), c = nz(rng, -big, big);
  if (a === c) c = a + 1 === 0 ? a + 2 : a + 1;
  const x: Q = d >= 4 ? q(nz(rng, -big, big), rng.int(2, 4)) : q(nz(rng, -big, big));
  const b = nz(rng, -3 * big, 3 * big);
  // e = (a - c) x + b must be an integer: scale x's denominator into (a - c) when needed
  const k = a - c;
  let e = add(mul(q(k), x), q(b));
  let xx = x;
  if (e.d !== 1n) { xx = q(x.n); e = add(mul(q(k), xx), q(b)); }
  const left = q(k);
  const right = sub(e, q(b));
  return {
    domain: "equations", kind: "linear-two-sided", difficulty: d,
    question: `Solve for $x$: $${lin(a, b)} = ${lin(c, Number(e.n))}$.`,
    answer: xx,
    steps: [
      { say: "Collect the x terms on the left", expr: `${a}x - (${c}x)`, value: `${str(left)}x` },
      { say: "Collect the constants on the right", expr: `${str(e)} - (${b})`, value: str(right) },
      { say: `Divide by ${str(left)}`, expr: `${tex(right)} \\div ${k < 0 ? `(${k})` : k}`, value: tex(xx) },
    ],
    check: `Both sides equal ${tex(add(mul(q(a), xx), q(b)))} at $x = ${tex(xx)}$.`,
    code: ["from fractions import Fraction", `ans = Fraction(${e.n} - (${b}), ${a} - (${c}))`],
  };
}

function system(rng: Rng, d: number): Worked {
  const big = 2 + 2 * d;
  for (;;) {
    const a1 = nz(rng, -big, big), b1 = nz(rng, -big, big), a2 = nz(rng, -big, big), b2 = nz(rng, -big, big);
    const det = a1 * b2 - a2 * b1;
    if (det === 0) continue;
    let x: Q, y: Q, c1: number, c2: number;
    if (d >= 5) {
      // integer right-hand sides, possibly fractional solution
      c1 = nz(rng, -5 * big, 5 * big); c2 = nz(rng, -5 * big, 5 * big);
      x = q(c1 * b2 - c2 * b1, det); y = q(a1 * c2 - a2 * c1, det);
    } else {
      const xi = nz(rng, -big, big), yi = nz(rng, -big, big);
      x = q(xi); y = q(yi);
      c1 = a1 * xi + b1 * yi; c2 = a2 * xi + b2 * yi;
    }
    const askSum = d >= 5 && rng.next() < 0.5;
    const ans = askSum ? add(x, y) : x;
    const eqn = (a: number, b: number, c: number): string => `${lin(a, 0, "x")} ${b < 0 ? "-" : "+"} ${Math.abs(b) === 1 ? "" : Math.abs(b)}y = ${c}`;
    const steps = [
      { say: "Compute the determinant a1·b2 − a2·b1", expr: `${a1} \\cdot ${b2} - (${a2}) \\cdot (${b1})`, value: String(det) },
      { say: "Eliminate y: x = (c1·b2 − c2·b1) / determinant", expr: `\\frac{${c1} \\cdot ${b2} - (${c2}) \\cdot (${b1})}{${det}}`, value: tex(x) },
      { say: "Eliminate x: y = (a1·c2 − a2·c1) / determinant", expr: `\\frac{${a1} \\cdot ${c2} - (${a2}) \\cdot (${c1})}{${det}}`, value: tex(y) },
    ];
    if (askSum) steps.push({ say: "Add x and y", expr: `${tex(x)} + ${y.n < 0n ? `\\left(${tex(y)}\\right)` : tex(y)}`, value: tex(ans) });
    return {
      domain: "equations", kind: "system2", difficulty: d,
      question: `Solve the system $${eqn(a1, b1, c1)}$ and $${eqn(a2, b2, c2)}$. What is ${askSum ? "$x + y$" : "$x$"}?`,
      answer: ans, steps,
      check: `Substituting $x = ${tex(x)}$, $y = ${tex(y)}$: the first equation gives ${tex(add(mul(q(a1), x), mul(q(b1), y)))} = ${c1} and the second ${tex(add(mul(q(a2), x), mul(q(b2), y)))} = ${c2}.`,
      code: [
        "from fractions import Fraction",
        `det = ${a1} * ${b2} - (${a2}) * (${b1})`,
        `x = Fraction(${c1} * ${b2} - (${c2}) * (${b1}), det)`,
        `y = Fraction(${a1} * ${c2} - (${a2}) * (${c1}), det)`,
        askSum ? "ans = x + y" : "ans = x",
      ],
    };
  }
}

export function generateEquations(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  if (difficulty <= 2) return rng.next() < 0.6 ? oneSided(rng, difficulty) : twoSided(rng, difficulty);
  const k = rng.int(0, 2);
  return k === 0 ? oneSided(rng, difficulty) : k === 1 ? twoSided(rng, difficulty) : system(rng, difficulty);
}

// Sequences: n-th terms and sums of arithmetic and geometric progressions. Geometric ratios are integers up to
// difficulty 3 and may be fractions (1/2, 2/3, 3/2) from 4 on; sums use the closed forms, computed exactly.
import type { Rng } from "../../util/rng.js";
import { add, div, mul, pow, py, q, sub, tex, type Q } from "./rational.js";
import type { GenOptions, Worked } from "./worked.js";

function arithmetic(rng: Rng, d: number, sum: boolean): Worked {
  const a = rng.int(-5 * d, 10 * d), diff = rng.int(1, 3 + 2 * d) * (d >= 3 && rng.next() < 0.3 ? -1 : 1);
  const n = rng.int(5, 8 + 6 * d);
  const shown = [0, 1, 2, 3].map((i) => a + i * diff).join(", ");
  const nth = a + (n - 1) * diff;
  const total = (n * (a + nth)) / 2;
  const steps = [
    { say: "Common difference", expr: `${a + diff} - (${a})`, value: String(diff) },
    { say: `The ${n}th term is a + (n − 1)d`, expr: `${a} + ${n - 1} \\times (${diff})`, value: String(nth) },
  ];
  if (sum) steps.push({ say: "Sum = n(first + last)/2", expr: `${n} \\times (${a} + (${nth})) \\div 2`, value: String(total) });
  return {
    domain: "sequences", kind: sum ? "arithmetic-sum" : "arithmetic-term", difficulty: d,
    question: sum ? `What is the sum of the first ${n} terms of the arithmetic sequence ${shown}, …?` : `What is the ${n}th term of the arithmetic sequence ${shown}, …?`,
    answer: q(sum ? total : nth), steps,
    check: sum ? `Pairing first and last terms: ${n / 2} pairs of ${a + nth}${n % 2 ? " (with the middle term counted half)" : ""} give ${total}.` : `Counting back ${n - 1} steps of ${diff} from ${nth} returns to ${a}.`,
    code: sum ? [`ans = sum(${a} + i * (${diff}) for i in range(${n}))`] : [`ans = ${a} + (${n} - 1) * (${diff})`],
  };
}

function geometric(rng: Rng, d: number, sum: boolean): Worked {
  const r: Q = d >= 4 && rng.next() < 0.5 ? rng.pick([q(1, 2), q(2, 3), q(3, 2), q(-1, 2)]) : q(rng.pick(d <= 2 ? [2, 3] : [2, 3, -2, 4]));
  const a = q(rng.int(1, 3 + d) * (r.d === 1n ? 1 : Number(r.d) ** 3));
  const n = rng.int(4, 4 + d);
  const terms = [0, 1, 2, 3].map((i) => mul(a, pow(r, i)));
  const nth = mul(a, pow(r, n - 1));
  const total = div(mul(a, sub(q(1), pow(r, n))), sub(q(1), r));
  const steps = [
    { say: "Common ratio", expr: `${tex(terms[1]!)} \\div ${tex(terms[0]!)}`, value: tex(r) },
    { say: `The ${n}th term is a·r^(n−1)`, expr: `${tex(a)} \\cdot (${tex(r)})^{${n - 1}}`, value: tex(nth) },
  ];
  if (sum) steps.push({ say: "Sum = a(1 − rⁿ)/(1 − r)", expr: `\\frac{${tex(a)}(1 - (${tex(r)})^{${n}})}{1 - (${tex(r)})}`, value: tex(total) });
  let check = "";
  let acc = q(0);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) { const t = mul(a, pow(r, i)); acc = add(acc, t); parts.push(tex(t)); }
  check = sum ? `Adding the terms directly: ${parts.join(" + ")} = ${tex(acc)}.` : `Multiplying ${tex(a)} by ${tex(r)} ${n - 1} times gives ${tex(nth)}.`;
  return {
    domain: "sequences", kind: sum ? "geometric-sum" : "geometric-term", difficulty: d,
    question: sum
      ? `What is the sum of the first ${n} terms of the geometric sequence $${terms.map(tex).join(", ")}, \\dots$?`
      : `What is the ${n}th term of the geometric sequence $${terms.map(tex).join(", ")}, \\dots$?`,
    answer: sum ? total : nth, steps, check,
    code: ["from fractions import Fraction", `a, r = ${py(a)}, Fraction(${r.n}, ${r.d})`, sum ? `ans = sum(a * r ** i for i in range(${n}))` : `ans = a * r ** (${n} - 1)`],
  };
}

export function generateSequences(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  const k = rng.int(0, 3);
  return k < 2 ? arithmetic(rng, difficulty, k === 1) : geometric(rng, difficulty, k === 3);
}

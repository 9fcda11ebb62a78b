// Counting and probability: permutations P(n, k), combinations C(n, k), and probabilities as exact fractions
// (dice sums, drawing without replacement, exactly k heads in n fair coin flips).
import type { Rng } from "../../util/rng.js";
import { mul, q, str, tex } from "./rational.js";
import type { GenOptions, Worked } from "./worked.js";

function perm(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r *= BigInt(n - i);
  return r;
}

function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

function fact(k: number): bigint {
  return perm(k, k);
}

function permutations(rng: Rng, d: number): Worked {
  const n = rng.int(3 + d, 5 + 2 * d), k = rng.int(2, Math.min(n - 1, 1 + d));
  const r = perm(n, k);
  const terms = Array.from({ length: k }, (_, i) => n - i);
  return {
    domain: "counting", kind: "permutations", difficulty: d,
    question: `In how many ways can ${k} different prizes (first, second${k > 2 ? ", …" : ""}) be awarded to ${k} of ${n} runners, if no runner gets two prizes?`,
    answer: q(r),
    steps: [{ say: `Choose the winners in order: ${n} choices, then ${n - 1}, and so on for ${k} places`, expr: terms.join(" \\times "), value: r.toString() }],
    check: `This is $P(${n}, ${k}) = ${n}! / ${n - k}! = ${r}$.`,
    code: ["from math import perm", `ans = perm(${n}, ${k})`],
  };
}

function combinations(rng: Rng, d: number): Worked {
  const n = rng.int(4 + d, 6 + 3 * d), k = rng.int(2, Math.min(n - 2, 1 + d));
  const r = choose(n, k);
  return {
    domain: "counting", kind: "combinations", difficulty: d,
    question: `A club has ${n} members. In how many ways can a committee of ${k} members be chosen?`,
    answer: q(r),
    steps: [
      { say: "Count ordered choices", expr: Array.from({ length: k }, (_, i) => n - i).join(" \\times "), value: perm(n, k).toString() },
      { say: `Divide by the ${k}! orders of the same committee`, expr: `${perm(n, k)} \\div ${fact(k)}`, value: r.toString() },
    ],
    check: `$\\binom{${n}}{${k}} = \\binom{${n}}{${n - k}} = ${r}$.`,
    code: ["from math import comb", `ans = comb(${n}, ${k})`],
  };
}

function diceSum(rng: Rng, d: number): Worked {
  const dice = d >= 4 ? 3 : 2;
  const sides = d <= 2 ? 6 : rng.pick([4, 6, 8]);
  const target = rng.int(dice + 1, dice * sides - 1);
  let ways = 0;
  const rec = (left: number, sum: number): void => {
    if (left === 0) { if (sum === target) ways++; return; }
    for (let f = 1; f <= sides; f++) rec(left - 1, sum + f);
  };
  rec(dice, 0);
  const total = sides ** dice;
  const p = q(ways, total);
  return {
    domain: "counting", kind: "dice-sum", difficulty: d,
    question: `${dice} fair ${sides}-sided dice (faces 1 to ${sides}) are rolled. What is the probability that the sum is ${target}? Give a fraction in lowest terms.`,
    answer: p,
    steps: [
      { say: "Count all equally likely outcomes", expr: `${sides}^{${dice}}`, value: String(total) },
      { say: `Count outcomes with sum ${target}`, expr: `\\#\\{\\text{sum} = ${target}\\}`, value: String(ways) },
      { say: "Divide and reduce", expr: `\\frac{${ways}}{${total}}`, value: tex(p) },
    ],
    check: `By the symmetry of sums around ${(dice * (sides + 1)) / 2}, the count ${ways} is the same as for sum ${dice * (sides + 1) - target}.`,
    code: [
      "from fractions import Fraction",
      "from itertools import product",
      `ways = sum(1 for r in product(range(1, ${sides + 1}), repeat=${dice}) if sum(r) == ${target})`,
      `ans = Fraction(ways, ${total})`,
    ],
  };
}

function drawTwo(rng: Rng, d: number): Worked {
  const red = rng.int(2, 3 + 2 * d), blue = rng.int(2, 3 + 2 * d);
  const t = red + blue;
  const both = rng.next() < 0.5 ? "red" : "blue";
  const c = both === "red" ? red : blue;
  const p1 = q(c, t), p2 = q(c - 1, t - 1);
  const p = mul(p1, p2);
  return {
    domain: "counting", kind: "draw-two", difficulty: d,
    question: `A bag holds ${red} red and ${blue} blue balls. Two balls are drawn without replacement. What is the probability that both are ${both}? Give a fraction in lowest terms.`,
    answer: p,
    steps: [
      { say: `First ball ${both}`, expr: `\\frac{${c}}{${t}}`, value: tex(p1) },
      { say: `Second ball ${both}, one fewer left`, expr: `\\frac{${c - 1}}{${t - 1}}`, value: tex(p2) },
      { say: "Multiply", expr: `${tex(p1)} \\times ${tex(p2)}`, value: tex(p) },
    ],
    check: `Counting pairs: $\\binom{${c}}{2} / \\binom{${t}}{2} = ${choose(c, 2)}/${choose(t, 2)} = ${str(p)}$.`,
    code: ["from fractions import Fraction", `ans = Fraction(${c}, ${t}) * Fraction(${c - 1}, ${t - 1})`],
  };
}

function coinHeads(rng: Rng, d: number): Worked {
  const n = rng.int(2 + d, 4 + 2 * d), k = rng.int(1, n - 1);
  const ways = choose(n, k);
  const p = q(ways, 2n ** BigInt(n));
  return {
    domain: "counting", kind: "coin-heads", difficulty: d,
    question: `A fair coin is flipped ${n} times. What is the probability of exactly ${k} heads? Give a fraction in lowest terms.`,
    answer: p,
    steps: [
      { say: `Choose which ${k} flips are heads`, expr: `\\binom{${n}}{${k}}`, value: ways.toString() },
      { say: "All sequences are equally likely", expr: `2^{${n}}`, value: (2n ** BigInt(n)).toString() },
      { say: "Divide and reduce", expr: `\\frac{${ways}}{${2n ** BigInt(n)}}`, value: tex(p) },
    ],
    check: `Summing $\\binom{${n}}{j}$ over all j gives $2^{${n}}$, so the probabilities add to 1.`,
    code: ["from fractions import Fraction", "from math import comb", `ans = Fraction(comb(${n}, ${k}), 2 ** ${n})`],
  };
}

export function generateCounting(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  const k = rng.int(0, 4);
  return k === 0 ? permutations(rng, difficulty) : k === 1 ? combinations(rng, difficulty) : k === 2 ? diceSum(rng, difficulty) : k === 3 ? drawTwo(rng, difficulty) : coinHeads(rng, difficulty);
}

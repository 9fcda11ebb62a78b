// Number theory: gcd (Euclid's algorithm as steps), lcm (through the gcd), modular arithmetic (remainders of
// products and powers, by repeated reduction), divisor counts (through the prime factorisation) and primes.
import type { Rng } from "../../util/rng.js";
import { q } from "./rational.js";
import type { GenOptions, Step, Worked } from "./worked.js";

function gcd(a: number, b: number): number {
  while (b) { const t = a % b; a = b; b = t; }
  return a;
}

function factorise(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 2; p * p <= n; p++) {
    let e = 0;
    while (n % p === 0) { n /= p; e++; }
    if (e) out.push([p, e]);
  }
  if (n > 1) out.push([n, 1]);
  return out;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return false;
  return true;
}

function gcdProblem(rng: Rng, d: number, lcm: boolean): Worked {
  const g = rng.int(2, 3 + 3 * d);
  let a = g * rng.int(2, 4 + 4 * d), b = g * rng.int(2, 4 + 4 * d);
  if (a === b) b += g;
  if (a < b) [a, b] = [b, a];
  const steps: Step[] = [];
  let x = a, y = b;
  while (y) {
    steps.push({ say: `Divide ${x} by ${y} and keep the remainder`, expr: `${x} \\bmod ${y}`, value: String(x % y) });
    [x, y] = [y, x % y];
  }
  const G = x;
  steps.push({ say: "The last non-zero remainder is the gcd", expr: `\\gcd(${a}, ${b})`, value: String(G) });
  const L = (a / G) * b;
  if (lcm) steps.push({ say: "lcm = a·b / gcd", expr: `${a} \\times ${b} \\div ${G}`, value: String(L) });
  return {
    domain: "number-theory", kind: lcm ? "lcm" : "gcd", difficulty: d,
    question: lcm ? `What is the least common multiple of ${a} and ${b}?` : `What is the greatest common divisor of ${a} and ${b}?`,
    answer: q(lcm ? L : G), steps,
    check: lcm ? `${L} \\div ${a} = ${L / a} and ${L} \\div ${b} = ${L / b}, whole numbers with no common factor.` : `${a} = ${G} \\times ${a / G} and ${b} = ${G} \\times ${b / G}, and ${a / G}, ${b / G} share no factor.`,
    code: ["from math import gcd", lcm ? `ans = ${a} * ${b} // gcd(${a}, ${b})` : `ans = gcd(${a}, ${b})`],
  };
}

function modPower(rng: Rng, d: number): Worked {
  const m = rng.int(3, 5 + 3 * d);
  const base = rng.int(2, 10 + 10 * d);
  const k = rng.int(2, 2 + 2 * d);
  const steps: Step[] = [{ say: `Reduce the base mod ${m}`, expr: `${base} \\bmod ${m}`, value: String(base % m) }];
  let r = base % m;
  for (let i = 2; i <= k; i++) {
    const next = (r * (base % m)) % m;
    steps.push({ say: `Multiply by ${base % m} and reduce (power ${i})`, expr: `${r} \\times ${base % m} \\bmod ${m}`, value: String(next) });
    r = next;
  }
  return {
    domain: "number-theory", kind: "mod-power", difficulty: d,
    question: `What is the remainder when $${base}^{${k}}$ is divided by ${m}?`,
    answer: q(r), steps,
    check: `$${base}^{${k}} = ${(BigInt(base) ** BigInt(k)).toString()}$, and ${(BigInt(base) ** BigInt(k)).toString()} \\bmod ${m} = ${r}.`,
    code: [`ans = pow(${base}, ${k}, ${m})`],
  };
}

function divisorCount(rng: Rng, d: number): Worked {
  const n = rng.int(12, 30 + 60 * d * d);
  const f = factorise(n);
  const count = f.reduce((s, [, e]) => s * (e + 1), 1);
  const fac = f.map(([p, e]) => (e > 1 ? `${p}^{${e}}` : String(p))).join(" \\cdot ");
  return {
    domain: "number-theory", kind: "divisor-count", difficulty: d,
    question: `How many positive divisors does ${n} have?`,
    answer: q(count),
    steps: [
      { say: "Factorise into primes", expr: String(n), value: fac },
      { say: "Multiply one more than each exponent", expr: f.map(([, e]) => `(${e} + 1)`).join(" \\cdot "), value: String(count) },
    ],
    check: `Listing them: ${Array.from({ length: n }, (_, i) => i + 1).filter((i) => n % i === 0).join(", ")} — ${count} divisors.`,
    code: [`ans = sum(1 for i in range(1, ${n} + 1) if ${n} % i == 0)`],
  };
}

function primeSum(rng: Rng, d: number): Worked {
  const lo = rng.int(1, 10 * d);
  const hi = lo + rng.int(8, 10 + 8 * d);
  const primes: number[] = [];
  for (let i = lo; i <= hi; i++) if (isPrime(i)) primes.push(i);
  const sum = primes.reduce((s, x) => s + x, 0);
  return {
    domain: "number-theory", kind: "prime-sum", difficulty: d,
    question: `What is the sum of all prime numbers between ${lo} and ${hi}, inclusive?`,
    answer: q(sum),
    steps: [
      { say: `List the primes from ${lo} to ${hi}`, expr: `\\text{primes in } [${lo}, ${hi}]`, value: primes.length ? primes.join(", ") : "none" },
      { say: "Add them", expr: primes.length ? primes.join(" + ") : "0", value: String(sum) },
    ],
    check: `Each listed number has no divisor between 2 and its square root, and ${primes.length} primes lie in the range.`,
    code: [
      "def is_prime(n):",
      "    return n > 1 and all(n % p for p in range(2, int(n ** 0.5) + 1))",
      `ans = sum(n for n in range(${lo}, ${hi} + 1) if is_prime(n))`,
    ],
  };
}

export function generateNumberTheory(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  const k = rng.int(0, 4);
  return k === 0 ? gcdProblem(rng, difficulty, false) : k === 1 ? gcdProblem(rng, difficulty, true) : k === 2 ? modPower(rng, difficulty) : k === 3 ? divisorCount(rng, difficulty) : primeSum(rng, difficulty);
}

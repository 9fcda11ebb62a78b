// GSM-style word problems built from templates with GSM-Symbolic perturbations: names, objects and numbers are
// drawn fresh for every instance, and (more often at higher difficulty) an irrelevant clause with a number in it
// is inserted (GSM-NoOp), so a model has to read rather than pattern-match. Two families:
//   story     a person's collection changes through d+1 events (buys packs, gives away, doubles, splits, …)
//   shopping  several items at unit prices (with cents from difficulty 4), paid with a bill: the change
// Every quantity is exact: counts are integers kept positive and divisible where the story divides; money is a
// BigInt rational in dollars.
import type { Rng } from "../../util/rng.js";
import { add, decimal, mul, q, sub, type Q } from "./rational.js";
import { ITEMS_FOR_SALE, OBJECTS, noopClause, pickName } from "./names.js";
import type { GenOptions, Step, Worked } from "./worked.js";

function insertNoop(rng: Rng, sentences: string[], name: string, difficulty: number): boolean {
  if (rng.next() >= 0.1 + 0.12 * difficulty) return false;
  const at = rng.int(1, sentences.length); // never before the first sentence, which introduces the person
  sentences.splice(at, 0, noopClause(rng, name));
  return true;
}

function story(rng: Rng, d: number): Worked {
  const who = pickName(rng);
  const friend = pickName(rng, who);
  const obj = rng.pick(OBJECTS);
  let n = rng.int(5, 10 + 12 * d);
  const start = n;
  const sentences = [`${who} has ${n} ${obj.many}.`];
  const steps: Step[] = [];
  const code = [`n = ${n}`];
  const events = d + (d >= 3 ? rng.int(0, 1) : 0);
  for (let e = 0; e < events; e++) {
    const kind = rng.int(0, 4);
    if (kind === 0) {
      const k = rng.int(2, 2 + d), m = rng.int(2, 3 + 2 * d);
      sentences.push(`Then ${who} buys ${k} ${obj.pack}s with ${m} ${obj.many} in each.`);
      steps.push({ say: `${cap(obj.many)} in the ${k} ${obj.pack}s`, expr: `${k} \\times ${m}`, value: String(k * m) });
      steps.push({ say: "Add them", expr: `${n} + ${k * m}`, value: String(n + k * m) });
      code.push(`n += ${k} * ${m}`);
      n += k * m;
    } else if (kind === 1 && n > 3) {
      const g = rng.int(1, Math.max(1, Math.floor(n / 2)));
      sentences.push(`${who} gives ${g} ${g === 1 ? obj.one : obj.many} to ${friend}.`);
      steps.push({ say: `Subtract the ${obj.many} given to ${friend}`, expr: `${n} - ${g}`, value: String(n - g) });
      code.push(`n -= ${g}`);
      n -= g;
    } else if (kind === 2 && n <= 400) {
      const f = d >= 3 && rng.next() < 0.4 ? 3 : 2;
      sentences.push(`${friend} gives ${who} enough ${obj.many} to ${f === 2 ? "double" : "triple"} the collection.`);
      steps.push({ say: f === 2 ? "Doubling" : "Tripling", expr: `${n} \\times ${f}`, value: String(n * f) });
      code.push(`n *= ${f}`);
      n *= f;
    } else if (kind === 3) {
      const divisors = [2, 3, 4, 5, 6].filter((f) => n % f === 0 && n / f >= 1);
      if (divisors.length === 0) { e--; continue; }
      const f = rng.pick(divisors);
      sentences.push(`${who} splits the ${obj.many} equally into ${f} groups and keeps just one group.`);
      steps.push({ say: `One of ${f} equal groups`, expr: `${n} \\div ${f}`, value: String(n / f) });
      code.push(`n //= ${f}`);
      n /= f;
    } else {
      const g = rng.int(2, 5 + 5 * d);
      sentences.push(`${who} finds ${g} more ${obj.many}.`);
      steps.push({ say: "Add the ones found", expr: `${n} + ${g}`, value: String(n + g) });
      code.push(`n += ${g}`);
      n += g;
    }
  }
  const noop = insertNoop(rng, sentences, who, d);
  sentences.push(`How many ${obj.many} does ${who} have now?`);
  code.push("ans = n");
  return {
    domain: "word-problems", kind: "story", difficulty: d,
    question: sentences.join(" "),
    answer: q(n), steps,
    check: `Replaying the events from ${start}: ${steps.map((s) => s.value).join(" → ")}; ${who} ends with ${n}.`,
    code,
    meta: { noop },
  };
}

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

function money(x: Q): string {
  const s = decimal(x)!;
  return s.includes(".") && s.split(".")[1]!.length === 1 ? `${s}0` : s;
}

function shopping(rng: Rng, d: number): Worked {
  const who = pickName(rng);
  const kinds = Math.min(3, 1 + Math.floor((d + 1) / 2));
  const items = rng.shuffle([...ITEMS_FOR_SALE]).slice(0, kinds);
  const bought = items.map((it) => {
    const k = rng.int(2, 3 + d);
    const price = d >= 4 ? q(rng.int(105, 1500), 100) : q(rng.int(2, 6 + 3 * d));
    return { it, k, price, cost: mul(q(k), price) };
  });
  let total: Q = q(0);
  for (const b of bought) total = add(total, b.cost);
  const bills = [5, 10, 20, 50, 100, 200];
  const bill = bills.find((b) => q(b).n * total.d >= total.n) ?? Math.ceil(Number(total.n / total.d) / 100 + 1) * 100;
  const change = sub(q(bill), total);
  const sentences = [`${who} buys ${bought.map((b) => `${b.k} ${b.it.many} at $${money(b.price)} each`).join(bought.length > 2 ? ", " : " and ").replace(/, ([^,]*)$/, ", and $1")}.`];
  sentences.push(`${who} pays with a $${bill} bill.`);
  const noop = insertNoop(rng, sentences, who, d);
  sentences.push(`How much change, in dollars, does ${who} get?`);
  const steps: Step[] = bought.map((b) => ({ say: `Cost of the ${b.it.many}`, expr: `${b.k} \\times ${money(b.price)}`, value: money(b.cost) }));
  if (bought.length > 1) steps.push({ say: "Total cost", expr: bought.map((b) => money(b.cost)).join(" + "), value: money(total) });
  steps.push({ say: "Change from the bill", expr: `${bill} - ${money(total)}`, value: money(change) });
  const ans = decimal(change)!;
  return {
    domain: "word-problems", kind: "shopping", difficulty: d,
    question: sentences.join(" "),
    answer: change, ...(change.d !== 1n ? { boxed: ans } : {}), steps,
    check: `${money(total)} + ${money(change)} = ${bill}, the bill.`,
    code: [
      "from fractions import Fraction",
      `total = ${bought.map((b) => `${b.k} * Fraction("${decimal(b.price)}")`).join(" + ")}`,
      `ans = ${bill} - total`,
    ],
    meta: { noop },
  };
}

export function generateWordProblem(rng: Rng, difficulty: number, _opts: GenOptions): Worked {
  return rng.next() < 0.65 ? story(rng, difficulty) : shopping(rng, difficulty);
}

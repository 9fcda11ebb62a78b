// Mode writers: one Worked computation → solution text in each mode. Every mode ends with the same final line,
// `\boxed{<answer>}`, and nothing after it, so one extraction rule serves all of them (and a character-level
// tokenizer sees one short, fixed ending).
//
// Verbose modes (all domains except compact arithmetic):
//   instruct  JT-Math's concise path: one line per step, "<what>: $<expr> = <value>$.", then the box
//   thinking  JT-Math's long path: restate, plan, every step numbered, a verification, the box; in about 40% of
//             problems (seeded) one detour — a redundant re-check of a step, or a wrong result caught and
//             corrected — so that a shorter correct path exists for RL to find (TriMER's token reduction)
//   high      Nemotron high depth: plan, numbered explained steps, the check
//   medium    Nemotron medium depth: the computations only, "$<expr> = <value>$" per line
//   low       Nemotron low depth: the last computation only
//   tir       tool-integrated: a Python block that leaves the answer in `ans` and prints it, its output, the box
// Compact arithmetic: see the format table at the top of arithmetic.ts.
import { createRng, type Rng } from "../../util/rng.js";
import type { SolutionMode } from "../records.js";
import { evaluateChain, scratchpad, type ArithStep } from "./arithmetic.js";
import { verboseThinkingTrace } from "./verbose-trace.js";
import { show, str } from "./rational.js";
import type { Step, Worked } from "./worked.js";

/** The string written inside the final \boxed{}. */
export function boxedAnswer(w: Worked): string {
  return w.boxed ?? show(w.answer);
}

function lowerFirst(s: string): string {
  return s.length > 1 && /[A-Z][a-z]/.test(s.slice(0, 2)) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** A plausible wrong value for an integer result ("48" → "49"), or null when the value is not a plain integer. */
function wrongValue(value: string, rng: Rng): string | null {
  if (!/^-?\d{1,15}$/.test(value)) return null;
  const v = Number(value);
  const delta = rng.pick([1, -1, 2, 10, -10]);
  const w = v + delta;
  return w === v || (v >= 0 && w < 0) ? String(v + 1) : String(w);
}

function stepLine(s: Step): string {
  return `${s.say}: $${s.expr} = ${s.value}$.`;
}

function thinkingVerbose(w: Worked, rng: Rng, box: string): string {
  const out: string[] = [];
  out.push(`Let me restate the problem. ${w.question}`);
  const plan = w.steps.map((s) => lowerFirst(s.say));
  out.push(plan.length === 1 ? `Plan: ${plan[0]}.` : `Plan: first ${plan.slice(0, -1).join(", then ")}, and finally ${plan[plan.length - 1]}.`);
  const r = rng.next();
  const detourAt = rng.int(0, w.steps.length - 1);
  const kind = r < 0.2 ? "recheck" : r < 0.4 ? "wrong" : "none";
  w.steps.forEach((s, i) => {
    const n = i + 1;
    if (kind === "wrong" && i === detourAt) {
      const bad = wrongValue(s.value, rng);
      if (bad !== null) {
        out.push(`Step ${n}. ${s.say}: $${s.expr} = ${bad}$.`);
        out.push(`Hmm, wait. That does not look right; let me redo it carefully: $${s.expr} = ${s.value}$, not ${bad}. I'll continue with ${s.value}.`);
        return;
      }
    }
    out.push(`Step ${n}. ${stepLine(s)}`);
    if (kind === "recheck" && i === detourAt) out.push(`Let me double-check that: $${s.expr} = ${s.value}$ again. Yes, ${s.value}.`);
  });
  out.push(`Let me verify the result. ${w.check}`);
  out.push(`So the answer is $${box}$.`);
  out.push(`\\boxed{${box}}`);
  return out.join("\n");
}

function verbose(w: Worked, mode: SolutionMode, rng: Rng): string {
  const box = boxedAnswer(w);
  switch (mode) {
    case "instruct":
      return [...w.steps.map(stepLine), `\\boxed{${box}}`].join("\n");
    case "thinking":
      return thinkingVerbose(w, rng, box);
    case "high": {
      const plan = w.steps.map((s) => lowerFirst(s.say)).join("; ");
      return [`Plan: ${plan}.`, ...w.steps.map((s, i) => `${i + 1}. ${stepLine(s)}`), `Check: ${w.check}`, `\\boxed{${box}}`].join("\n");
    }
    case "medium":
      return [...w.steps.map((s) => `$${s.expr} = ${s.value}$`), `\\boxed{${box}}`].join("\n");
    case "low": {
      const last = w.steps[w.steps.length - 1]!;
      return `$${last.expr} = ${last.value}$\n\\boxed{${box}}`;
    }
    case "tir":
      return [
        "Let me compute it with Python.",
        "```python",
        ...w.code,
        "print(ans)",
        "```",
        "```output",
        str(w.answer),
        "```",
        `\\boxed{${box}}`,
      ].join("\n");
  }
}

function fact(s: ArithStep): string {
  return `${s.a}${s.op}${s.b}=${s.r};`;
}

function compact(w: Worked, mode: SolutionMode, rng: Rng): string {
  const e = w.compact!;
  const { steps, value } = evaluateChain(e);
  const box = `\\boxed{${value}}`;
  switch (mode) {
    case "low":
      return box;
    case "instruct":
      return steps.map(fact).join("") + box;
    case "medium": {
      const products = steps.filter((s) => s.op === "*");
      if (products.length === steps.length || steps.length - products.length <= 1) return steps.map(fact).join("") + box;
      // the additive rest in one step, written with the products already replaced by their values
      const rest = steps.filter((s) => s.op !== "*");
      let restExpr = String(rest[0]!.a);
      for (const s of rest) restExpr += `${s.op}${s.b}`;
      return products.map(fact).join("") + `${restExpr}=${value};` + box;
    }
    case "high":
      return steps.map(scratchpad).join("") + box;
    case "thinking":
      return verboseThinkingTrace(e, steps, value, rng);
    case "tir": {
      const q = w.question.endsWith("=") ? w.question.slice(0, -1) : w.question;
      return `py:print(${q})>${value};${box}`;
    }
  }
}

/**
 * The solution text of `w` in `mode`. `detourSeed` drives the thinking mode's detours (pass a per-problem seed);
 * the generator is only created for that mode, as creating one per mode is a measurable share of generation time.
 */
export function writeSolution(w: Worked, mode: SolutionMode, detourSeed: number): string {
  const rng = mode === "thinking" ? createRng(detourSeed) : NO_RANDOMNESS;
  return w.compact ? compact(w, mode, rng) : verbose(w, mode, rng);
}

/** Handed to the modes that are deterministic given the worked problem; using it is a bug. */
const NO_RANDOMNESS: Rng = new Proxy({} as Rng, {
  get() {
    throw new Error("writers: only the thinking mode draws random numbers");
  },
});

// The compact "thinking" trace: the miniature's DeepSeek-R1. Reasoning models are verbose in recognisable ways —
// they restate the task, re-verify a step they just did, restate where they are, start down a wrong path and
// abandon it, and check the whole result again at the end — and how much of that a trace carries varies from
// trace to trace. This writer reproduces those habits on top of the lean digit-level scratchpad (mode "high"),
// so that (a) a student distilled on these traces is longer than it needs to be, and (b) its own samples differ in
// length, which is what GRPO under a generation limit needs to find the shorter correct path (TriMER's −84%).
//
// Every redundant piece is correct and changes nothing downstream: removing all of them gives exactly the "high"
// scratchpad. Per trace a verbosity v is drawn uniformly from [0, 1); then, independently:
//   task:3*9+3-6;            with probability v, before the first step: the task restated
//   2+7=9? no,* first;       with probability v/2, when a product follows the first + or −: the left-to-right path,
//                            abandoned (precedence)
//   27+3=31? no,30;          with probability v/4 per step: a wrong result caught at once (in place of the pad)
//   check:30-3=27 ok;        with probability v per step: the step re-verified by its inverse (a product by the
//                            commuted product, as the notation has no division)
//   now:30-6;                with probability v after each step but the last: the expression that is left
//   verify:3*9+3-6=24 ok;    with probability v at the end: the whole result restated
// At v ≈ 0 the trace is the lean scratchpad; at v ≈ 1 it is about twice as long (rungs 2–3).
import type { Rng } from "../../util/rng.js";
import { scratchpad, type ArithStep } from "./arithmetic.js";
import type { CompactExpr } from "./worked.js";

/** A plausible wrong integer result ("48" → "49"), never negative where the right one is not. */
export function wrongInteger(v: number, rng: Rng): number {
  const w = v + rng.pick([1, -1, 2, 10, -10]);
  return w === v || (v >= 0 && w < 0) ? v + 1 : w;
}

function inverseCheck(s: ArithStep): string {
  if (s.op === "+") return `${s.r}-${s.b}=${s.a}`;
  if (s.op === "-") return `${s.r}+${s.b}=${s.a}`;
  return `${s.b}*${s.a}=${s.r}`;
}

/**
 * The expression still to be computed after each step, in the order evaluateChain computes (products first, left to
 * right, then + and − left to right): "27+3-6", then "30-6", … (one string per step; the last is the value).
 */
export function remainingAfterSteps(e: CompactExpr): string[] {
  const vals = [...e.operands];
  const ops = [...e.ops];
  const show = (): string => vals.map((v, i) => (i === 0 ? String(v) : `${ops[i - 1]}${v}`)).join("");
  const out: string[] = [];
  while (ops.length > 0) {
    const k = ops.indexOf("*");
    const i = k >= 0 ? k : 0;
    const a = vals[i]!, b = vals[i + 1]!, op = ops[i]!;
    const r = op === "*" ? a * b : op === "+" ? a + b : a - b;
    vals.splice(i, 2, r);
    ops.splice(i, 1);
    out.push(show());
  }
  return out;
}

/** The verbose thinking trace of a compact chain (format in the header); `rng` is the problem's thinking seed. */
export function verboseThinkingTrace(e: CompactExpr, steps: readonly ArithStep[], value: number, rng: Rng): string {
  const v = rng.next();
  const task = e.operands.map((o, i) => (i === 0 ? String(o) : `${e.ops[i - 1]}${o}`)).join("");
  const left = remainingAfterSteps(e);
  let s = "";
  if (rng.next() < v) s += `task:${task};`;
  // The left-to-right misreading exists when the first operation is + or − and a product comes right after it.
  if (e.ops.length >= 2 && e.ops[0] !== "*" && e.ops[1] === "*" && rng.next() < v / 2) {
    const a = e.operands[0]!, b = e.operands[1]!;
    s += `${a}${e.ops[0]}${b}=${e.ops[0] === "+" ? a + b : a - b}? no,* first;`;
  }
  steps.forEach((st, i) => {
    if (rng.next() < v / 4) s += `${st.a}${st.op}${st.b}=${wrongInteger(st.r, rng)}? no,${st.r};`;
    else s += scratchpad(st);
    if (rng.next() < v) s += `check:${inverseCheck(st)} ok;`;
    if (i < steps.length - 1 && rng.next() < v) s += `now:${left[i]};`;
  });
  if (rng.next() < v) s += `verify:${task}=${value} ok;`;
  return s + `\\boxed{${value}}`;
}

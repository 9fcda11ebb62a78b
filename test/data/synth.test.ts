import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { verify } from "../../src/verify/index.js";
import { generate, generateWorked, DOMAINS, parseDifficultyRange } from "../../src/data/synth/index.js";
import { evaluateChain, scratchpad, type ArithStep } from "../../src/data/synth/arithmetic.js";
import { remainingAfterSteps } from "../../src/data/synth/verbose-trace.js";
import { SOLUTION_MODES } from "../../src/data/records.js";
import { validateProblemWithSolutions } from "../../src/data/validate.js";
import { str } from "../../src/data/synth/rational.js";

const SEEDS_PER_CELL = 12;

test("generation is deterministic in (seed, index) and independent of the modes asked", () => {
  for (let i = 0; i < 50; i++) {
    const a = generate(7, i);
    const b = generate(7, i);
    assert.deepEqual(a, b);
    const onlyThinking = generate(7, i, { modes: ["thinking"] });
    assert.equal(onlyThinking.solutions[0]!.text, a.solutions.find((s) => s.mode === "thinking")!.text);
  }
  const other = Array.from({ length: 20 }, (_, i) => generate(8, i).question);
  const same = Array.from({ length: 20 }, (_, i) => generate(7, i).question);
  assert.notDeepEqual(other, same, "another seed gives other problems");
});

test("every domain × difficulty × mode: the verifier accepts the final answer against the exact value", () => {
  let checked = 0;
  for (const domain of DOMAINS) {
    for (let d = 1; d <= 5; d++) {
      const kinds = new Set<string>();
      for (let s = 0; s < SEEDS_PER_CELL; s++) {
        const p = generate(1000 + s, d * 7919 + s, { domains: [domain], difficulty: [d, d] });
        validateProblemWithSolutions(p, { file: "synth", line: s });
        assert.equal(p.domain, domain);
        assert.equal(p.difficulty, d);
        kinds.add(String(p.meta.kind));
        assert.deepEqual(p.solutions.map((x) => x.mode), [...SOLUTION_MODES]);
        for (const sol of p.solutions) {
          assert.ok(sol.text.endsWith(`\\boxed{${sol.finalAnswer}}`), `${domain} d${d} ${sol.mode}: ends with the box`);
          const v = verify(p.answer, sol.text);
          assert.ok(v.equal, `${domain} d${d} ${sol.mode}: gold ${p.answer}, verdict ${JSON.stringify(v)}\n${p.question}\n${sol.text}`);
          checked++;
        }
      }
      if (domain !== "arithmetic") assert.ok(kinds.size >= 2, `${domain} d${d} draws from several templates (${[...kinds]})`);
    }
  }
  assert.equal(checked, DOMAINS.length * 5 * SEEDS_PER_CELL * SOLUTION_MODES.length);
});

test("negative control: the same check rejects a wrong gold answer", () => {
  let rejected = 0;
  for (let i = 0; i < 40; i++) {
    const p = generate(3, i);
    const w = generateWorked(3, i);
    const wrong = str({ n: w.answer.n + 1n, d: w.answer.d });
    if (!verify(wrong, p.solutions[0]!.text).equal) rejected++;
  }
  assert.equal(rejected, 40);
});

test("compact arithmetic: formats, ladder and verifier across difficulties", () => {
  const cap = [0, 99, 99, 99, 999, 9999];
  const operandCount = [0, 2, 3, 4, 5, 6];
  for (let d = 1; d <= 5; d++) {
    let detours = 0;
    for (let i = 0; i < 60; i++) {
      const p = generate(11, i, { domains: ["arithmetic"], difficulty: [d, d], style: "compact" });
      assert.match(p.question, /^\d+([+\-*]\d+)+=$/);
      const w = generateWorked(11, i, { domains: ["arithmetic"], difficulty: [d, d], style: "compact" });
      const e = w.compact!;
      const { steps, value } = evaluateChain(e);
      assert.equal(String(value), p.answer);
      // the ladder: operand counts, digit sizes, result caps
      assert.ok(e.operands.length <= operandCount[d]! && e.operands.length >= (d === 3 ? 3 : operandCount[d]!), `d${d}: ${p.question}`);
      for (const s of steps) assert.ok(s.r >= 0 && s.r <= cap[d]!, `d${d}: ${p.question} step ${s.r}`);
      if (d <= 3) assert.ok(e.operands.every((o) => o <= 9));
      if (d === 2) assert.ok(e.ops.filter((o) => o === "*").length <= 1);
      if (d === 5) assert.ok(steps.some((s) => s.op === "*" && s.a >= 10 && s.b >= 10), `d5 has a 2-digit product: ${p.question}`);
      const by = Object.fromEntries(p.solutions.map((s) => [s.mode, s.text]));
      assert.equal(by.low, `\\boxed{${value}}`);
      assert.equal(by.instruct, steps.map((s) => `${s.a}${s.op}${s.b}=${s.r};`).join("") + `\\boxed{${value}}`);
      assert.equal(by.high, steps.map(scratchpad).join("") + `\\boxed{${value}}`);
      assert.equal(by.tir, `py:print(${p.question.slice(0, -1)})>${value};\\boxed{${value}}`);
      if (by.thinking !== by.high) {
        detours++;
        // every redundant piece is one of the documented shapes, and without them the trace is the lean scratchpad
        assert.equal(leanOf(by.thinking!, steps), by.high, by.thinking);
      }
      for (const sol of p.solutions) assert.ok(verify(p.answer, sol.text).equal, `${sol.mode}: ${sol.text}`);
    }
    assert.ok(detours > 20 && detours < 60, `d${d}: most but not all thinking paths carry redundancy (${detours}/60)`);
  }
});

/** A verbose thinking trace with its redundant pieces removed (a caught wrong result becomes the step's scratchpad). */
function leanOf(trace: string, steps: readonly ArithStep[]): string {
  let t = trace.replace(/^task:[\d+\-*]+;/, "").replace(/^\d+[+-]\d+=-?\d+\? no,\* first;/, "");
  t = t.replace(/check:[\d+\-*=]+ ok;/g, "").replace(/now:[\d+\-*]+;/g, "").replace(/verify:[\d+\-*]+=\d+ ok;/g, "");
  for (const st of steps) t = t.replace(`${st.a}${st.op}${st.b}=${wrongOrRight(t, st)}? no,${st.r};`, scratchpad(st));
  return t;
}
function wrongOrRight(t: string, st: ArithStep): string {
  const m = new RegExp(`${st.a}\\${st.op}${st.b}=(-?\\d+)\\? no,${st.r};`).exec(t);
  return m ? m[1]! : "";
}

test("verbose thinking traces: every redundant piece is true, lengths vary, the lean path is the scratchpad", () => {
  const ratios: number[] = [];
  for (let i = 0; i < 300; i++) {
    const p = generate(21, i, { domains: ["arithmetic"], difficulty: [2, 3], style: "compact", modes: ["thinking", "high"] });
    const by = Object.fromEntries(p.solutions.map((s) => [s.mode, s.text]));
    const w = generateWorked(21, i, { domains: ["arithmetic"], difficulty: [2, 3], style: "compact" });
    const { steps } = evaluateChain(w.compact!);
    assert.equal(leanOf(by.thinking!, steps), by.high, by.thinking);
    // re-verifications and restatements are true statements
    for (const m of by.thinking!.matchAll(/(?:check|verify):([\d+\-*]+)=(\d+) ok;/g)) assert.equal(String(evalFlat(m[1]!)), m[2], by.thinking);
    for (const m of by.thinking!.matchAll(/now:([\d+\-*]+);/g)) assert.equal(String(evalFlat(m[1]!)), p.answer, by.thinking);
    ratios.push(by.thinking!.length / by.high!.length);
  }
  ratios.sort((a, b) => a - b);
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  assert.ok(mean > 1.7, `thinking traces are much longer than the lean path on average (${mean.toFixed(2)}×)`);
  assert.ok(ratios[30]! < 1.2 && ratios[270]! > 2.2, `and their length varies from trace to trace (p10 ${ratios[30]}, p90 ${ratios[270]})`);
  assert.deepEqual(remainingAfterSteps({ operands: [3, 9, 3, 6], ops: ["*", "+", "-"] }), ["27+3-6", "30-6", "24"]);
  assert.deepEqual(remainingAfterSteps({ operands: [2, 7, 3], ops: ["+", "*"] }), ["2+21", "23"]);
});

/** Value of a flat + - * expression with products first. */
function evalFlat(e: string): number {
  const operands = e.split(/[+\-*]/).map(Number);
  const ops = (e.match(/[+\-*]/g) ?? []) as ("+" | "-" | "*")[];
  return evaluateChain({ operands, ops }).value;
}

test("compact scratchpad matches the documented examples", () => {
  const pad = (e: { operands: number[]; ops: ("+" | "-" | "*")[] }): string => evaluateChain(e).steps.map(scratchpad).join("");
  assert.equal(pad({ operands: [3, 9, 3, 6], ops: ["*", "+", "-"] }), "3*9=27;27+3:7+3=10,2+0+1=3,30;30-6:10-6=4,3-0-1=2,24;");
  assert.equal(pad({ operands: [23, 4], ops: ["*"] }), "23*4:3*4=12,2*4+1=9,92;");
  assert.equal(pad({ operands: [23, 14], ops: ["*"] }), "23*14:3*4=12,2*4+1=9,92;3*1=3,2*1=2,23,230;92+230:2+0=2,9+3=12,0+2+1=3,322;");
  assert.equal(pad({ operands: [100, 1], ops: ["-"] }), "100-1:10-1=9,10-0-1=9,1-0-1=0,99;");
});

test("thinking paths are longer than instruct paths, and detours are caught", () => {
  let longer = 0, caught = 0;
  for (let i = 0; i < 200; i++) {
    const p = generate(5, i);
    const by = Object.fromEntries(p.solutions.map((s) => [s.mode, s.text]));
    if (by.thinking!.length > by.instruct!.length) longer++;
    if (/Hmm, wait/.test(by.thinking!)) caught++;
  }
  assert.equal(longer, 200);
  assert.ok(caught >= 10 && caught <= 80, `caught wrong steps in ${caught}/200`);
});

test("difficulty ranges parse", () => {
  assert.deepEqual(parseDifficultyRange("1-5"), [1, 5]);
  assert.deepEqual(parseDifficultyRange("3"), [3, 3]);
  assert.deepEqual(parseDifficultyRange("2..4"), [2, 4]);
  assert.equal(parseDifficultyRange("4-2"), null);
  assert.equal(parseDifficultyRange("0-6"), null);
});

test("tool-integrated code really prints the answer it shows (when python3 is present)", (t) => {
  const probe = spawnSync("python3", ["-c", "print(1)"], { encoding: "utf8" });
  if (probe.status !== 0) { t.skip("python3 not available"); return; }
  const cases: { code: string; out: string }[] = [];
  for (const domain of DOMAINS) for (let d = 1; d <= 5; d++) for (let s = 0; s < 4; s++) {
    const p = generate(2000 + s, d * 31 + s, { domains: [domain], difficulty: [d, d], modes: ["tir"] });
    const m = /```python\n([\s\S]*?)```\n```output\n([\s\S]*?)\n```/.exec(p.solutions[0]!.text);
    assert.ok(m, p.solutions[0]!.text);
    cases.push({ code: m[1]!, out: m[2]! });
  }
  // One interpreter for all cases: each snippet runs in a fresh namespace with stdout captured.
  const script = [
    "import sys, io, json, contextlib",
    "cases = json.load(sys.stdin)",
    "res = []",
    "for c in cases:",
    "    buf = io.StringIO()",
    "    with contextlib.redirect_stdout(buf):",
    "        exec(c, {})",
    "    res.append(buf.getvalue().strip())",
    "print(json.dumps(res))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script], { input: JSON.stringify(cases.map((c) => c.code)), encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const outs = JSON.parse(r.stdout) as string[];
  outs.forEach((o, i) => assert.equal(o, cases[i]!.out, cases[i]!.code));
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBenchmarkAll, benchmarkNames, gsm8kGold, stripLeadingZeros, floatAnswer, defaultDataDir } from "../../src/data/benchmarks.js";
import { validateProblem } from "../../src/data/validate.js";

// Record counts from ../shared/data/README.md.
const EXPECTED: Record<string, number> = { gsm8k: 1319, "gsm8k-train": 7473, math500: 500, aime24: 30, amc23: 40 };

test("every shared benchmark file parses completely into valid Problem records", async () => {
  assert.deepEqual(benchmarkNames(), Object.keys(EXPECTED).sort());
  for (const name of benchmarkNames()) {
    const recs = await loadBenchmarkAll(name);
    assert.equal(recs.length, EXPECTED[name], name);
    const ids = new Set(recs.map((r) => r.id));
    assert.equal(ids.size, recs.length, `${name}: ids are unique`);
    recs.forEach((r, i) => validateProblem(r, { file: name, line: i + 1 }));
  }
});

test("GSM8K: the answer after ####, commas removed", async () => {
  const recs = await loadBenchmarkAll("gsm8k");
  assert.equal(recs[0]!.answer, "18");
  assert.equal(recs[2]!.answer, "70000");
  for (const r of recs) assert.match(r.answer, /^-?\d+(\.\d+)?$/, `${r.id}: ${r.answer}`);
  assert.equal(gsm8kGold("so 1,234 total\n#### 1,234"), "1234");
  assert.equal(gsm8kGold("no marker"), null);
});

test("MATH-500: subject → domain, level → difficulty, answer kept as written", async () => {
  const recs = await loadBenchmarkAll("math500");
  assert.equal(recs[0]!.answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
  assert.equal(recs[0]!.domain, "precalculus");
  assert.equal(recs[0]!.difficulty, 2);
  const domains = new Set(recs.map((r) => r.domain));
  assert.deepEqual([...domains].sort(), ["algebra", "counting-probability", "geometry", "intermediate-algebra", "number-theory", "prealgebra", "precalculus"]);
  const byLevel = [1, 2, 3, 4, 5].map((l) => recs.filter((r) => r.difficulty === l).length);
  assert.deepEqual(byLevel, [43, 90, 105, 128, 134]);
});

test("AIME 2024: zero-padded answers are normalised", async () => {
  const recs = await loadBenchmarkAll("aime24");
  const r = recs.find((x) => x.meta.rawAnswer === "025");
  assert.ok(r);
  assert.equal(r.answer, "25");
  for (const x of recs) assert.match(x.answer, /^(0|[1-9]\d{0,2})$/);
  assert.equal(stripLeadingZeros("000"), "0");
});

test("AMC 2023: float answers become integers", async () => {
  const recs = await loadBenchmarkAll("amc23");
  assert.equal(recs[0]!.answer, "27");
  assert.ok(recs.some((r) => r.answer === "-1"));
  for (const x of recs) assert.doesNotMatch(x.answer, /\.0$/);
  assert.equal(floatAnswer(3159), "3159");
  assert.equal(floatAnswer(0.5), "0.5");
});

test("TRIMER_DATA_DIR overrides the data folder, and a bad record names file and line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-bench-"));
  mkdirSync(join(dir, "gsm8k"));
  writeFileSync(join(dir, "gsm8k", "test.jsonl"), `{"question":"q","answer":"x\\n#### 5"}\n{"question":"q2","answer":"no final line"}\n`);
  const old = process.env.TRIMER_DATA_DIR;
  process.env.TRIMER_DATA_DIR = dir;
  try {
    assert.equal(defaultDataDir(), dir);
    await assert.rejects(loadBenchmarkAll("gsm8k"), /gsm8k\/test\.jsonl:2: field "answer" has no "#### <answer>" line/);
  } finally {
    if (old === undefined) delete process.env.TRIMER_DATA_DIR;
    else process.env.TRIMER_DATA_DIR = old;
  }
  const skipped: { line: number; message: string }[] = [];
  const recs = await loadBenchmarkAll("gsm8k", { dataDir: dir, onBad: "skip", skipped });
  assert.deepEqual(recs.map((r) => r.answer), ["5"]);
  assert.deepEqual(skipped.map((s) => s.line), [2]);
});

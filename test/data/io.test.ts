import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJsonlFile, writeJsonl, JsonlWriter, readJsonlValues } from "../../src/data/jsonl.js";
import { validateProblem, validateSample, validateProblemWithSolutions } from "../../src/data/validate.js";
import { readParquet, writeParquet, PROBLEM_WITH_SOLUTIONS_COLUMNS, SAMPLE_COLUMNS } from "../../src/data/parquet.js";
import { InputError } from "../../src/util/errors.js";
import type { Problem, ProblemWithSolutions, Sample } from "../../src/data/records.js";

const dir = mkdtempSync(join(tmpdir(), "trimer-data-io-"));

const good: Problem = { id: "p1", source: "t", domain: "arithmetic", difficulty: 2, question: "2+2=", answer: "4", meta: { k: [1, "x"] } };

test("JSONL round trip keeps records exactly", async () => {
  const path = join(dir, "rt.jsonl");
  const recs = [good, { ...good, id: "p2", question: "ünïcode ✓ \"quoted\"\nnewline" }];
  await writeJsonl(path, recs);
  const { records, skipped } = await readJsonlFile(path, validateProblem);
  assert.deepEqual(records, recs);
  assert.equal(skipped.length, 0);
});

test("malformed JSONL fails with the file and line number", async () => {
  const path = join(dir, "bad.jsonl");
  writeFileSync(path, `${JSON.stringify(good)}\n\n${JSON.stringify(good)}\n{"id": "p3", oops}\n`);
  await assert.rejects(readJsonlFile(path, validateProblem), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /bad\.jsonl:4: invalid JSON/);
    return true;
  });
});

test("a missing or wrong field is named with its line", async () => {
  const path = join(dir, "field.jsonl");
  const { answer: _a, ...noAnswer } = good;
  writeFileSync(path, `${JSON.stringify(good)}\n${JSON.stringify(noAnswer)}\n${JSON.stringify({ ...good, difficulty: 9 })}\n`);
  await assert.rejects(readJsonlFile(path, validateProblem), /field\.jsonl:2: field "answer" is missing/);
  const r = await readJsonlFile(path, validateProblem, { onBad: "skip" });
  assert.equal(r.records.length, 1);
  assert.deepEqual(r.skipped.map((s) => s.line), [2, 3]);
  assert.match(r.skipped[1]!.message, /field "difficulty" must be an integer 1–5, got 9/);
});

test("skip mode counts bad JSON and over-long lines; fail mode rejects the long line", async () => {
  const path = join(dir, "long.jsonl");
  writeFileSync(path, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, question: "x".repeat(5000) })}\nnot json\n${JSON.stringify(good)}`);
  const r = await readJsonlFile(path, validateProblem, { onBad: "skip", maxLineBytes: 1000 });
  assert.equal(r.records.length, 2, "the last line has no newline and still counts");
  assert.deepEqual(r.skipped.map((s) => s.line), [2, 3]);
  assert.match(r.skipped[0]!.message, /longer than 1000 bytes/);
  await assert.rejects(readJsonlFile(path, validateProblem, { maxLineBytes: 1000 }), /long\.jsonl:2: line longer than 1000 bytes/);
});

test("a line split across read chunks is reassembled (streaming, 1 MiB chunks)", async () => {
  const path = join(dir, "big.jsonl");
  const big = { ...good, question: "y".repeat(1_500_000) };
  await writeJsonl(path, [good, big, good]);
  const lines: number[] = [];
  for await (const { line, value } of readJsonlValues(path)) {
    lines.push(line);
    if (line === 2) assert.equal((value as Problem).question.length, 1_500_000);
  }
  assert.deepEqual(lines, [1, 2, 3]);
});

test("a missing file is an InputError naming it", async () => {
  await assert.rejects(readJsonlFile(join(dir, "nope.jsonl"), validateProblem), /nope\.jsonl: no such file/);
});

test("JsonlWriter writes atomically and resumes from the last complete line", () => {
  const path = join(dir, "w.jsonl");
  const w = JsonlWriter.open(path);
  for (let i = 0; i < 5; i++) w.write({ i });
  w.flush();
  w.abort(); // crash after a checkpoint: only the partial file exists
  assert.equal(existsSync(path), false);
  // a torn last line, as a kill mid-write would leave
  writeFileSync(`${path}.partial`, readFileSync(`${path}.partial`, "utf8") + '{"i": 5, "tor');
  const w2 = JsonlWriter.open(path, { resume: true });
  assert.equal(w2.resumedLines, 5);
  for (let i = 5; i < 8; i++) w2.write({ i });
  w2.close();
  assert.equal(existsSync(`${path}.partial`), false);
  const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { i: number }).i);
  assert.deepEqual(lines, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("Parquet round trip of problems with solutions and of graded samples", async () => {
  const path = join(dir, "p.parquet");
  const recs: ProblemWithSolutions[] = [
    { ...good, solutions: [{ problemId: "p1", mode: "instruct", text: "2+2=4;\\boxed{4}", finalAnswer: "4" }] },
    { ...good, id: "p2", difficulty: 5, meta: {}, solutions: [] },
  ];
  await writeParquet(path, recs, PROBLEM_WITH_SOLUTIONS_COLUMNS);
  const back = await readParquet(path, validateProblemWithSolutions, PROBLEM_WITH_SOLUTIONS_COLUMNS);
  assert.deepEqual(back.records, recs);

  const spath = join(dir, "s.parquet");
  const samples: Sample[] = [
    { problemId: "p1", agent: "a0", text: "\\boxed{4}", extracted: "4", correct: true, tokens: 9, reward: 0.75 },
    { problemId: "p1", agent: "a1", text: "no idea", extracted: null, correct: false, tokens: 7, reward: null },
  ];
  await writeParquet(spath, samples, SAMPLE_COLUMNS);
  assert.deepEqual((await readParquet(spath, validateSample, SAMPLE_COLUMNS)).records, samples);
});

test("a Parquet row that fails validation names the file and row", async () => {
  const path = join(dir, "bad.parquet");
  await writeParquet(path, [good, { ...good, question: "" }], PROBLEM_WITH_SOLUTIONS_COLUMNS);
  await assert.rejects(readParquet(path, validateProblem, PROBLEM_WITH_SOLUTIONS_COLUMNS), /bad\.parquet:2: field "question" must not be empty/);
  const notParquet = join(dir, "x.parquet");
  writeFileSync(notParquet, "hello");
  await assert.rejects(readParquet(notParquet, validateProblem, PROBLEM_WITH_SOLUTIONS_COLUMNS), /x\.parquet: not a readable Parquet file/);
});

// Problem files of any shape, through the real CLI: plain {question, answer}, custom field names, raw GSM8K,
// .jsonl.gz, trimer's own verl export, non-UTF-8 bytes, and the one-line errors when a field is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";
import { toProblem } from "../../src/data/problems-file.js";

const dir = mkdtempSync(join(tmpdir(), "problems-file-"));
const lines = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

test("plain {question, answer} .jsonl.gz → export, with ids, source and answers filled in", async () => {
  const path = join(dir, "plain.jsonl.gz");
  writeFileSync(path, gzipSync(lines([{ question: "What is 2+3?", answer: "5" }, { question: "Half of 9?", answer: 4.5 }])));
  const out = join(dir, "plain-openrlhf.jsonl");
  const r = await runCli(["export", "--format", "openrlhf", "--bench", path, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { label: string; id: string; source: string });
  assert.deepEqual(rows.map((x) => [x.label, x.id, x.source]), [["5", "plain/1", "plain"], ["4.5", "plain/2", "plain"]]);
});

test("any field names with --question-field / --answer-field; without them one line naming the field", async () => {
  const path = join(dir, "custom.jsonl");
  writeFileSync(path, lines([{ problem_text: "What is 6*7?", final: "42" }]));
  const ok = await runCli(["data", "stats", path, "--question-field", "problem_text", "--answer-field", "final"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /1 problems/);
  const bad = await runCli(["export", "--format", "openrlhf", "--bench", path, "--out", join(dir, "x.jsonl")]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.match(bad.stderr, /custom\.jsonl:1: no question: field "question" is missing \(name the field with --question-field; fields here: problem_text, final\)/);
});

test("raw GSM8K (no difficulty; answer is the worked solution) works in data overlap and stats", async () => {
  const train = join(dir, "train.jsonl"), test_ = join(dir, "test.jsonl");
  writeFileSync(train, lines([{ question: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?", answer: "48/2 = <<48/2=24>>24\n48+24 = <<48+24=72>>72\n#### 72" }]));
  writeFileSync(test_, lines([{ question: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?", answer: "#### 72" }]));
  const r = await runCli(["data", "overlap", train, test_]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { exact: number }).exact, 1);
  const p = toProblem({ question: "q", answer: "work\n#### 1,234" }, { file: "gsm8k.jsonl", line: 3 });
  assert.equal(p.answer, "1234");
  assert.equal(p.meta.solution, "work\n#### 1,234");
});

test("trimer's own verl export reads back as problems (prompt messages, ground_truth, trimer/ source)", async () => {
  const pq = join(dir, "aime.parquet");
  assert.equal((await runCli(["export", "--format", "verl", "--bench", "aime24", "--out", pq])).code, 0);
  const r = await runCli(["data", "stats", pq, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"aime24"/);
});

test("non-UTF-8 input warns with the line number; a corrupt .gz is one line", async () => {
  const path = join(dir, "latin1.jsonl");
  writeFileSync(path, Buffer.concat([Buffer.from(lines([{ question: "ok?", answer: "1" }])), Buffer.from('{"question": "caf'), Buffer.from([0xe9]), Buffer.from('?", "answer": "2"}\n')]));
  const r = await runCli(["data", "stats", path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^trimer: warning: .*latin1\.jsonl:2: not valid UTF-8/m);
  const gz = join(dir, "broken.jsonl.gz");
  writeFileSync(gz, Buffer.from("this is not gzip at all"));
  const b = await runCli(["data", "stats", gz]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /^trimer data: .*broken\.jsonl\.gz: not a readable gzip file/);
  assert.equal(b.stderr.trim().split("\n").length, 1, b.stderr);
});

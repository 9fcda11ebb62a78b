import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { writeOpenRLHFJsonl, writeVerlParquet, DEFAULT_INSTRUCTION } from "../../src/data/export.js";
import { loadBenchmarkAll } from "../../src/data/benchmarks.js";
import type { Problem } from "../../src/data/records.js";
import { main as exportMain } from "../../src/cli/export.js";

const problems: Problem[] = [
  { id: "t/1", source: "gsm8k", domain: "arithmetic", difficulty: 2, question: "What is 6·7?", answer: "42", meta: {} },
  { id: "t/2", source: "math500", domain: "Algebra", difficulty: 5, question: "Solve $x^2 = \\frac{1}{4}$, x>0.", answer: "\\frac{1}{2}", meta: { note: "x" } },
];

test("verl parquet: nested columns with verl's schema, read back by a Parquet reader", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-export-"));
  const path = join(dir, "train.parquet");
  assert.equal(await writeVerlParquet(path, problems, { split: "train", systemPrompt: "You are a mathematician." }), 2);
  const file = await asyncBufferFromFile(path);
  const md = parquetMetadata(await file.slice(0));
  // the schema tree: prompt is a LIST of struct<role, content>; reward_model and extra_info are structs
  const tree = parquetSchema(md);
  const shape = (n: typeof tree): unknown => n.children.length
    ? { [n.element.name]: { ...(n.element.converted_type ? { t: n.element.converted_type } : {}), r: n.element.repetition_type, c: n.children.map(shape) } }
    : `${n.element.name}:${n.element.converted_type ?? n.element.type}`;
  assert.deepEqual(tree.children.map(shape), [
    "data_source:UTF8",
    { prompt: { t: "LIST", r: "OPTIONAL", c: [{ list: { r: "REPEATED", c: [{ element: { r: "OPTIONAL", c: ["role:UTF8", "content:UTF8"] } }] } }] } },
    "ability:UTF8",
    { reward_model: { r: "OPTIONAL", c: ["style:UTF8", "ground_truth:UTF8"] } },
    { extra_info: { r: "OPTIONAL", c: ["split:UTF8", "index:INT64", "id:UTF8", "domain:UTF8", "difficulty:INT32", "question:UTF8"] } },
  ]);
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[1], {
    data_source: "trimer/math500",
    prompt: [
      { role: "system", content: "You are a mathematician." },
      { role: "user", content: `Solve $x^2 = \\frac{1}{4}$, x>0.\n\n${DEFAULT_INSTRUCTION}` },
    ],
    ability: "math",
    reward_model: { style: "rule", ground_truth: "\\frac{1}{2}" },
    extra_info: { split: "train", index: 1n, id: "t/2", domain: "Algebra", difficulty: 5, question: "Solve $x^2 = \\frac{1}{4}$, x>0." },
  });
});

test("openrlhf jsonl: prompt messages and label per line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-export-"));
  const path = join(dir, "train.jsonl");
  await writeOpenRLHFJsonl(path, problems, { instruction: "" });
  const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(lines[0], { prompt: [{ role: "user", content: "What is 6·7?" }], label: "42", id: "t/1", source: "gsm8k" });
  await writeOpenRLHFJsonl(path, problems, { chat: false });
  const plain = JSON.parse(readFileSync(path, "utf8").split("\n")[1]!) as { prompt: string };
  assert.equal(plain.prompt, `Solve $x^2 = \\frac{1}{4}$, x>0.\n\n${DEFAULT_INSTRUCTION}`);
});

test("trimer export writes the real aime24 benchmark for verl", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-export-"));
  const out = join(dir, "aime24.parquet");
  const code = await exportMain(["--format", "verl", "--bench", "aime24", "--split", "test", "--out", out]);
  assert.equal(code, 0);
  const gold = await loadBenchmarkAll("aime24");
  const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(out) })) as { reward_model: { ground_truth: string }; extra_info: { id: string; split: string } }[];
  assert.equal(rows.length, gold.length);
  assert.ok(rows.length >= 30);
  rows.forEach((r, i) => {
    assert.equal(r.reward_model.ground_truth, gold[i]!.answer);
    assert.equal(r.extra_info.id, gold[i]!.id);
    assert.equal(r.extra_info.split, "test");
  });
  await assert.rejects(exportMain(["--format", "csv", "--bench", "aime24", "--out", out]), /--format must be verl or openrlhf/);
  await assert.rejects(exportMain(["--format", "verl", "--out", out]), /--bench NAME|FILE is required/);
});

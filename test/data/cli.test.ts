import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/data.js";
import { readJsonlFile } from "../../src/data/jsonl.js";
import { readParquet, PROBLEM_WITH_SOLUTIONS_COLUMNS } from "../../src/data/parquet.js";
import { validateProblemWithSolutions } from "../../src/data/validate.js";
import { UsageError } from "../../src/util/errors.js";

const dir = mkdtempSync(join(tmpdir(), "trimer-data-cli-"));

function quietly<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log, err = console.error;
  console.log = () => {}; console.error = () => {};
  return f().finally(() => { console.log = log; console.error = err; });
}

test("synth --check writes N verified problems; --resume continues a torn partial file to the same bytes", async () => {
  const full = join(dir, "full.jsonl");
  const args = ["--n", "60", "--seed", "4", "--modes", "instruct,thinking,tir", "--difficulty", "2-4", "--quiet"];
  assert.equal(await quietly(() => main(["synth", ...args, "--check", "--out", full])), 0);
  const { records } = await readJsonlFile(full, validateProblemWithSolutions);
  assert.equal(records.length, 60);
  assert.ok(records.every((r) => r.solutions.length === 3 && r.difficulty >= 2 && r.difficulty <= 4));

  const resumed = join(dir, "resumed.jsonl");
  const lines = readFileSync(full, "utf8").split("\n");
  writeFileSync(`${resumed}.partial`, lines.slice(0, 25).join("\n") + "\n" + lines[25]!.slice(0, 40));
  assert.equal(await quietly(() => main(["synth", ...args, "--resume", "--out", resumed])), 0);
  assert.equal(readFileSync(resumed, "utf8"), readFileSync(full, "utf8"));
});

test("synth --split holdout and train files share no question; Parquet output reads back", async () => {
  const train = join(dir, "train.parquet"), hold = join(dir, "hold.jsonl");
  await quietly(() => main(["synth", "--n", "300", "--split", "train", "--holdout-fraction", "0.3", "--modes", "low", "--out", train, "--quiet"]));
  await quietly(() => main(["synth", "--n", "100", "--split", "holdout", "--holdout-fraction", "0.3", "--modes", "low", "--out", hold, "--quiet"]));
  const t = (await readParquet(train, validateProblemWithSolutions, PROBLEM_WITH_SOLUTIONS_COLUMNS)).records;
  const h = (await readJsonlFile(hold, validateProblemWithSolutions)).records;
  assert.equal(t.length, 300);
  assert.equal(h.length, 100);
  assert.ok(t.every((p) => p.meta.split === "train") && h.every((p) => p.meta.split === "holdout"));
  const tq = new Set(t.map((p) => p.question.toLowerCase()));
  assert.equal(h.filter((p) => tq.has(p.question.toLowerCase())).length, 0);
});

test("bad flags are usage errors that name the flag", async () => {
  await assert.rejects(main(["synth", "--n", "5", "--out", join(dir, "x.jsonl"), "--modes", "instruct,verbose"]), (e: Error) => e instanceof UsageError && /--modes: unknown "verbose"/.test(e.message));
  await assert.rejects(main(["synth", "--n", "5", "--out", join(dir, "x.jsonl"), "--difficulty", "0-9"]), /--difficulty must look like/);
  await assert.rejects(main(["stats", "nope.txt"]), /neither a benchmark/);
});

test("stats reports counts per source, domain and difficulty, and skipped lines", async () => {
  const f = join(dir, "mixed.jsonl");
  const p = { id: "a", source: "s", domain: "d", difficulty: 3, question: "q", answer: "1", meta: {} };
  writeFileSync(f, `${JSON.stringify(p)}\n{broken\n${JSON.stringify({ ...p, id: "b", difficulty: 5 })}\n`);
  const out: string[] = [];
  const log = console.log;
  console.log = (s: string) => out.push(s);
  try {
    assert.equal(await main(["stats", f, "--on-bad", "skip", "--json"]), 0);
  } finally {
    console.log = log;
  }
  const r = JSON.parse(out.join("\n")) as Record<string, { total: number; skipped: number; difficulty: Record<string, number> }>;
  assert.equal(r[f]!.total, 2);
  assert.equal(r[f]!.skipped, 1);
  assert.deepEqual(r[f]!.difficulty, { "3": 1, "5": 1 });
  await assert.rejects(main(["stats", f]), /mixed\.jsonl:2: invalid JSON/);
});

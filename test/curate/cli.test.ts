import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/curate.js";
import { UsageError, InputError } from "../../src/util/errors.js";
import { generate } from "../../src/data/synth/index.js";
import { readRecords, collect } from "../../src/data/curate/index.js";

const dir = mkdtempSync(join(tmpdir(), "curate-cli-"));
const input = join(dir, "raw.jsonl");
const robe = "A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?";
const base = Array.from({ length: 40 }, (_, i) => generate(11, i, { modes: [] }));
const lines = [
  ...base.map((p, i) => ({ id: p.id, source: i % 2 ? "a" : "b", domain: p.domain, difficulty: p.difficulty, question: p.question, answer: p.answer, meta: { n: i } })),
  { id: "dup", source: "a", question: `  ${base[0]!.question}  `, answer: base[0]!.answer },
  { id: "robe", source: "a", question: robe, answer: "3" },
  { id: "proof", source: "b", question: "Prove that there are infinitely many primes.", answer: "See proof" },
];
writeFileSync(input, lines.map((o) => JSON.stringify(o)).join("\n") + "\n");

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log, err = process.stderr.write.bind(process.stderr);
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try { return await f(); } finally { console.log = log; process.stderr.write = err; }
}

test("one step from the command line writes its output and report", async () => {
  const out = join(dir, "dedup.jsonl");
  assert.equal(await quiet(() => main(["dedupe", "--in", input, "--out", out])), 0);
  const recs = await collect(readRecords(out));
  assert.equal(recs.length, 42);
  const rep = JSON.parse(readFileSync(`${out}.report.json`, "utf8")) as { recordsIn: number; recordsOut: number; report: { removed: number } };
  assert.deepEqual([rep.recordsIn, rep.recordsOut, rep.report.removed], [43, 42, 1]);
  const out2 = join(dir, "decon.parquet");
  assert.equal(await quiet(() => main(["decontaminate", "--in", input, "--out", out2, "--benchmarks", "gsm8k", "--report", join(dir, "d.json")])), 0);
  const kept = await collect(readRecords(out2));
  assert.equal(kept.length, 42);
  assert.deepEqual(kept[0]!.meta, { n: 0 });
  const d = JSON.parse(readFileSync(join(dir, "d.json"), "utf8")) as { report: { hits: { record: string; item: string }[] } };
  assert.deepEqual(d.report.hits.map((h) => [h.record, h.item]), [["robe", "gsm8k/test/1"]]);
});

test("a pipeline runs its steps in order, writes each step, and skips finished steps on rerun", async () => {
  const config = join(dir, "steps.json");
  writeFileSync(config, JSON.stringify({ steps: [
    { step: "normalize" }, { step: "dedupe" }, { step: "near-dedupe", threshold: 0.9 }, { step: "decontaminate", benchmarks: ["gsm8k"] },
    { step: "filter", drop: ["proof", "multiple-choice"] }, { step: "domain" }, { step: "mix", ratios: { a: 1, b: 1 }, seed: 3 },
  ] }));
  const out = join(dir, "curated.jsonl");
  assert.equal(await quiet(() => main(["pipeline", "--config", config, "--in", input, "--out", out])), 0);
  const rep = JSON.parse(readFileSync(`${out}.report.json`, "utf8")) as { steps: { step: string; recordsIn: number; recordsOut: number; skipped?: boolean }[] };
  assert.deepEqual(rep.steps.map((s) => s.step), ["normalize", "dedupe", "near-dedupe", "decontaminate", "filter", "domain", "mix"]);
  assert.equal(rep.steps[0]!.recordsIn, 43);
  assert.equal(rep.steps[1]!.recordsOut, 42);
  assert.equal(rep.steps[3]!.recordsOut, rep.steps[3]!.recordsIn - 1);
  assert.equal(rep.steps[4]!.recordsOut, rep.steps[4]!.recordsIn - 1);
  const final = await collect(readRecords(out));
  assert.equal(final.length, rep.steps[6]!.recordsOut);
  assert.equal(final.filter((r) => r.source === "a").length, final.filter((r) => r.source === "b").length);
  assert.ok(final.every((r) => typeof (r.meta as Record<string, unknown>).domainLabel === "string"));
  assert.ok(existsSync(join(`${out}.steps`, "03-near-dedupe.jsonl.report.json")));
  assert.equal(await quiet(() => main(["pipeline", "--config", config, "--in", input, "--out", out])), 0);
  const again = JSON.parse(readFileSync(`${out}.report.json`, "utf8")) as typeof rep;
  assert.ok(again.steps.every((s) => s.skipped === true));
  assert.equal(readFileSync(out, "utf8").length > 0, true);
  // a changed input reruns everything
  const changed = join(dir, "raw2.jsonl");
  writeFileSync(changed, readFileSync(input, "utf8"));
  const cfg2 = join(dir, "steps2.json");
  writeFileSync(cfg2, JSON.stringify({ steps: [{ step: "dedupe" }] }));
  const out2 = join(dir, "c2.jsonl");
  await quiet(() => main(["pipeline", "--config", cfg2, "--in", changed, "--out", out2]));
  writeFileSync(changed, readFileSync(input, "utf8") + JSON.stringify({ id: "new", question: "A new problem: 5 + 6?", answer: "11" }) + "\n");
  await quiet(() => main(["pipeline", "--config", cfg2, "--in", changed, "--out", out2]));
  const third = JSON.parse(readFileSync(`${out2}.report.json`, "utf8")) as typeof rep;
  assert.equal(third.steps[0]!.skipped, undefined);
  assert.equal(third.steps[0]!.recordsOut, 43);
});

test("bad flags and configs are errors that name the problem", async () => {
  await assert.rejects(main(["near-dedupe", "--in", input, "--out", join(dir, "x.jsonl"), "--threshold", "high"]), (e: Error) => e instanceof UsageError && /--threshold must be a number/.test(e.message));
  await assert.rejects(main(["frobnicate", "--in", input]), /unknown curate step "frobnicate"/);
  await assert.rejects(main(["pass-rate", "--in", input, "--out", join(dir, "x.jsonl")]), /needs a model/);
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ steps: [{ step: "dedupe" }, { step: "near-dedupe", treshold: 0.8 }] }));
  await assert.rejects(main(["pipeline", "--config", bad, "--in", input, "--out", join(dir, "y.jsonl")]), (e: Error) => e instanceof InputError && /bad\.json step 2: unknown option "treshold"/.test(e.message));
  const badIn = join(dir, "badin.jsonl");
  writeFileSync(badIn, '{"id": "x", "question": "q"}\n[1, 2]\n');
  await assert.rejects(main(["normalize", "--in", badIn, "--out", join(dir, "z.jsonl")]), /badin\.jsonl:2: expected a JSON object, got an array/);
});

// distill.traces = "teacher": the SFT'd teacher writes the distillation traces through trimer generate's job,
// resumably — a rerun of the stage generates nothing twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPipeline } from "../../src/pipeline/run.js";
import { tinyPreset } from "../../src/pipeline/presets.js";

test("trimer run --traces teacher: the teacher's traces are generated once, per problem, and resumable", async () => {
  const out = mkdtempSync(join(tmpdir(), "trimer-traces-"));
  const cfg = tinyPreset();
  cfg.distill.traces = "teacher";
  const quiet = { quiet: true, log: () => {} };
  assert.equal(await runPipeline(cfg, { out, resume: false, stopAfter: "teacher-traces", ...quiet }), null);
  const path = join(out, "teacher-traces", "traces.jsonl");
  const records = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const done = readFileSync(`${path}.done`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(done.length, cfg.distill.teacherTraces.problems, "every problem finished once");
  assert.ok(records.length >= done.length, "at least one attempt per problem is recorded");
  for (const r of records) assert.equal(typeof r.correct, "boolean");

  // Simulate a crash inside the stage: it has no DONE marker, and the trace job resumes from its .done file.
  rmSync(join(out, "teacher-traces", "DONE.json"));
  await runPipeline(cfg, { out, resume: true, stopAfter: "teacher-traces", ...quiet });
  assert.equal(readFileSync(path, "utf8").trim().split("\n").length, records.length, "no trace generated twice");
});

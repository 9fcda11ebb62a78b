// Resumability of `trimer generate`: the CLI in a child process, killed with SIGKILL mid-run against a loopback
// teacher that counts its requests per problem, then rerun with --resume. Plus the file-level rules on torn files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTraceFile, prepareResume, type GenerateFileResult, type TraceRecord } from "../../src/generate/index.js";
import { multiplyModel, multiplyProblems, scriptedSampler, startScriptedServer } from "./teacher.js";

const CLI = join(process.cwd(), "src/cli/main.ts");

/** Runs a child to its end without blocking this process (the teacher server lives here). */
function runChild(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    c.on("close", (status) => resolve({ status, stderr }));
  });
}

function readLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);
}

test("kill -9 mid-run, then --resume: every problem once per slot, finished problems never asked again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-gen-"));
  const server = await startScriptedServer(multiplyModel(), { delayMs: 50 });
  try {
    const problems = multiplyProblems(20);
    const input = join(dir, "problems.jsonl");
    writeFileSync(input, problems.map((p) => JSON.stringify(p)).join("\n") + "\n");
    const out = join(dir, "traces.jsonl");
    const args = ["--import", "tsx", CLI, "generate", "--bench", input, "--url", server.url, "--model", "scripted", "--modes", "high,low", "--tir", "off",
      "--k", "1", "--max-attempts", "2", "--max-tokens", "100", "--concurrency", "2", "--out", out, "--quiet"];

    // Run 1: killed once a few problems are on disk.
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, sig) => r(sig)));
    for (let i = 0; i < 3000 && readLines(`${out}.done`).length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
    const doneBefore = new Set(readLines<{ problemId: string }>(`${out}.done`).map((d) => d.problemId));
    assert.ok(doneBefore.size >= 3 && doneBefore.size < problems.length, `killed after ${doneBefore.size} problems`);
    const firstRun = new Map(server.counter.byQuestion);

    // Without --resume the job refuses to overwrite.
    const refused = await runChild(args);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already exists: pass --resume/);

    // Run 2: resumes to the end.
    const rerun = await runChild([...args, "--resume"]);
    assert.equal(rerun.status, 0, rerun.stderr);

    const records = readLines<TraceRecord>(out);
    const slots = new Map<string, number>();
    for (const r of records) slots.set(`${r.problemId}/${r.mode}`, (slots.get(`${r.problemId}/${r.mode}`) ?? 0) + 1);
    assert.equal(slots.size, problems.length * 2);
    assert.ok([...slots.values()].every((n) => n === 1), "each (problem, mode) slot exactly once");
    assert.equal(readLines(`${out}.done`).length, problems.length);

    let repeated = 0;
    for (const p of problems) {
      const before = firstRun.get(p.question) ?? 0;
      const after = (server.counter.byQuestion.get(p.question) ?? 0) - before;
      if (doneBefore.has(p.id)) assert.equal(after, 0, `${p.id} was finished before the kill but asked again`);
      assert.ok(before + after >= 2, `${p.id}: ${before + after} requests`);
      if (before + after > 2) repeated += before + after - 2;
    }
    // Only requests in flight at the kill (not yet in the response cache) can be paid twice: at most
    // concurrency (2 problems) × 2 modes.
    assert.ok(repeated <= 4, `${repeated} repeated requests`);

    const stats = JSON.parse(readFileSync(`${out}.stats.json`, "utf8")) as GenerateFileResult;
    assert.equal(stats.problems, problems.length);
    assert.equal(stats.skipped, doneBefore.size);
    assert.equal(stats.records, records.length);
    // usage totals cover both runs: one attempt per slot
    assert.equal(stats.usage.high!.attempts + stats.usage.low!.attempts, problems.length * 2);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("prepareResume cuts the records of an unfinished problem and a torn done line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-gen-"));
  try {
    const out = join(dir, "t.jsonl");
    const problems = multiplyProblems(3);
    const s = scriptedSampler(multiplyModel());
    const opts = { modes: ["high"] as const, tir: [false], k: 1, maxAttempts: 1, maxTokens: 100, out };
    await generateTraceFile(s, problems.slice(0, 2), opts);
    const good = readFileSync(out, "utf8");
    // what a kill leaves: half of a third problem's records, and half of its done line
    writeFileSync(out, good + '{"problemId":"mul/2","mode":"high","te');
    writeFileSync(`${out}.done`, readFileSync(`${out}.done`, "utf8") + '{"problemId":"mul/2","rec');
    const state = prepareResume(out);
    assert.deepEqual([...state.done].sort(), ["mul/0", "mul/1"]);
    assert.equal(readFileSync(out, "utf8"), good);
    assert.equal(state.droppedBytes, '{"problemId":"mul/2","mode":"high","te'.length);
    assert.equal(readLines(`${out}.done`).length, 2);

    const r = await generateTraceFile(s, problems, { ...opts, resume: true });
    assert.deepEqual([r.skipped, r.generated, r.records], [2, 1, 3]);
    assert.deepEqual(readLines<TraceRecord>(out).map((x) => x.problemId), ["mul/0", "mul/1", "mul/2"]);
    assert.equal(s.counter.total, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input: duplicate ids and a done file that does not match its traces are named", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-gen-"));
  try {
    const out = join(dir, "t.jsonl");
    const [p] = multiplyProblems(1);
    const opts = { modes: ["high"] as const, tir: [false], k: 1, maxAttempts: 1, maxTokens: 100, out };
    await assert.rejects(generateTraceFile(scriptedSampler(multiplyModel()), [p!, p!], opts), /"mul\/0" appears more than once/);
    writeFileSync(`${out}.done`, '{"problemId":"mul/0","records":1,"end":500,"usage":{}}\n');
    writeFileSync(out, "short\n");
    assert.throws(() => prepareResume(out), /the files do not belong together/);
    writeFileSync(`${out}.done`, "not json\n");
    assert.throws(() => prepareResume(out), /t\.jsonl\.done:1: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

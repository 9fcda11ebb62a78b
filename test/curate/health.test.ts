// Through the real CLI: a curation step that drops most of its input says so loudly, raw GSM8K answers ("… #### 72")
// pass the filter, and a model step whose every request was refused exits 1 with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "curate-health-"));
const raw = join(dir, "gsm8k-train.jsonl");
// Raw GSM8K lines: the worked solution in "answer", the final answer after "####".
writeFileSync(raw, [
  { question: "Natalia sold clips to 48 friends in April and half as many in May. How many altogether?", answer: "In May 48/2 = <<48/2=24>>24.\n48+24 = <<48+24=72>>72\n#### 72" },
  { question: "Weng earns $12 an hour. She did 50 minutes of babysitting. How much did she earn?", answer: "12/60 = $<<12/60=0.2>>0.2 per minute.\n0.2 x 50 = $<<0.2*50=10>>10.\n#### 10" },
  { question: "Betty needs $100 and has half. Her parents give $15, grandparents twice that. How much more?", answer: "She has 100/2 = 50.\n15*2 = 30.\n100-50-15-30 = 5\n#### 5" },
].map((o) => JSON.stringify(o)).join("\n") + "\n");

test("filter keeps raw GSM8K records (their final answer is after ####)", async () => {
  const r = await runCli(["curate", "filter", "--in", raw, "--out", join(dir, "kept.jsonl"), "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 → 3 records/);
  assert.doesNotMatch(r.stderr, /WARNING/);
});

test("a step that drops more than --max-drop-share of its input prints one WARNING line with reasons and a hint", async () => {
  const r = await runCli(["curate", "filter", "--in", raw, "--out", join(dir, "none.jsonl"), "--answer-field", "question", "--quiet"]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /^trimer curate: WARNING: filter dropped 3 of 3 records \(100\.0%, over the 50% --max-drop-share\): text-answer 3 — .*--answer-field/m);
  const low = await runCli(["curate", "filter", "--in", raw, "--out", join(dir, "none2.jsonl"), "--answer-field", "question", "--max-drop-share", "1", "--quiet"]);
  assert.doesNotMatch(low.stderr, /WARNING/);
  const bad = await runCli(["curate", "filter", "--in", raw, "--out", join(dir, "x.jsonl"), "--max-drop-share", "2"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-drop-share must be between 0 and 1/);
});

test("pass-rate whose every request is refused exits 1 with the server's reason, not 'N → N records'", async () => {
  // A server that knows no model: every request is a 404, as with a wrong --model.
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "The model `nope` does not exist", type: "invalid_request_error" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const out = join(dir, "rated.jsonl");
    const r = await runCli(["curate", "pass-rate", "--in", raw, "--out", out, "--url", url, "--model", "nope", "--k", "2", "--quiet"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^trimer curate: pass-rate got no completion for any of the 3 problems it sampled \(first error: .*does not exist.*\) — check the server/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    const rep = JSON.parse(readFileSync(`${out}.report.json`, "utf8")) as { report: { noCompletions: number } };
    assert.equal(rep.report.noCompletions, 3);
  } finally {
    server.close();
  }
});

test("curate reads trimer's own verl export (64-bit integers nested in extra_info) and writes JSONL and Parquet", async () => {
  const pq = join(dir, "verl.parquet");
  const e = await runCli(["export", "--format", "verl", "--bench", "aime24", "--out", pq]);
  assert.equal(e.code, 0, e.stderr);
  for (const out of [join(dir, "verl-norm.jsonl"), join(dir, "verl-norm.parquet")]) {
    const r = await runCli(["curate", "normalize", "--in", pq, "--out", out, "--fields", "data_source", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /BigInt/);
  }
  const first = JSON.parse(readFileSync(join(dir, "verl-norm.jsonl"), "utf8").split("\n")[0]!) as { extra_info: { index: number; split: string } };
  assert.equal(first.extra_info.index, 0);
  assert.equal(first.extra_info.split, "test");
});

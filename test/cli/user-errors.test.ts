// More user mistakes through the real CLI, each answered in one line with a non-zero exit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliResult } from "./run-cli.js";
import { writeFileAtomic } from "../../src/util/atomic.js";

const dir = mkdtempSync(join(tmpdir(), "user-errors-"));

function oneLine(r: CliResult, re: RegExp, code = 2): void {
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.equal(r.code, code, r.stderr);
}

test("grade: a run that grades nothing leaves the previous --out alone; a bad line stops it unless --on-bad skip", async () => {
  const input = join(dir, "g.jsonl"), out = join(dir, "g.out.jsonl");
  writeFileSync(input, [JSON.stringify({ gold: "1", pred: "\\boxed{1}" }), "{torn", JSON.stringify({ gold: "2", pred: "\\boxed{3}" })].join("\n") + "\n");
  writeFileSync(out, "previous results\n");
  // A wrong --gold-field: every line fails.
  // (with --on-bad skip each bad line is reported by number first; the verdict is the last line)
  const none = await runCli(["grade", input, "--gold-field", "answer", "--pred-field", "pred", "--out", out, "--on-bad", "skip", "--quiet"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr.trim().split("\n").pop()!,
    /^trimer grade: no line of .*g\.jsonl could be graded \(3 bad; first: .*g\.jsonl:1: field "answer" is missing\) — check --gold-field \/ --pred-field; .* was left as it was$/);
  assert.equal(readFileSync(out, "utf8"), "previous results\n");
  // Binary input.
  const bin = join(dir, "bin.jsonl");
  writeFileSync(bin, Buffer.from([0, 1, 2, 255, 254, 10, 7, 8, 9]));
  oneLine(await runCli(["grade", bin, "--gold-field", "gold", "--pred-field", "pred", "--out", out, "--quiet"]), /^trimer grade: .*bin\.jsonl:1: not valid JSON.* — fix the line, or pass --on-bad skip/);
  assert.equal(readFileSync(out, "utf8"), "previous results\n");
  // The corrupt line in the middle: the same rule as every other reader (stop, naming file:line)…
  oneLine(await runCli(["grade", input, "--gold-field", "gold", "--pred-field", "pred", "--out", out, "--quiet"]), /^trimer grade: .*g\.jsonl:2: not valid JSON/);
  assert.equal(readFileSync(out, "utf8"), "previous results\n");
  // … or skipped and counted loudly.
  const skip = await runCli(["grade", input, "--gold-field", "gold", "--pred-field", "pred", "--out", out, "--on-bad", "skip", "--quiet"]);
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /^trimer grade: WARNING: 1 of 3 lines were bad and skipped \(first: .*g\.jsonl:2: not valid JSON/m);
  assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 2);
});

test("a temp file left by a killed write is swept by the next write of that file", async () => {
  const target = join(dir, "atomic.json");
  // A dead process's temp file (pid 2^22 + 1 is above Linux's default pid_max) and a live one's (our parent's).
  const dead = join(dir, `.atomic.json.${2 ** 22 + 1}.abc.tmp`), live = join(dir, `.atomic.json.${process.ppid}.def.tmp`);
  writeFileSync(dead, "torn");
  writeFileSync(live, "in progress");
  await writeFileAtomic(target, "{}");
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(live), true);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith(".atomic.json.")), [`.atomic.json.${process.ppid}.def.tmp`]);
});

test("model init with an absurd config: parameter count against memory first, one line", { timeout: 60_000 }, async () => {
  for (const cfg of [{ num_hidden_layers: 1_000_000 }, { intermediate_size: 1e10 }]) {
    const path = join(dir, "cfg.json");
    writeFileSync(path, JSON.stringify({ hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 176, max_position_embeddings: 256, ...cfg }));
    const out = join(dir, `m${Object.keys(cfg)[0]}`);
    const t0 = Date.now();
    oneLine(await runCli(["model", "init", "--config", path, "--out", out], { timeoutMs: 50_000 }), /^trimer model: .*parameters need [\d.]+ GiB as float32, more than the [\d.]+ GiB of memory here — reduce/);
    assert.ok(Date.now() - t0 < 30_000);
    assert.equal(existsSync(join(out, "model.safetensors")), false);
  }
});

test("data synth returns N distinct questions, or says how many exist", async () => {
  const out = join(dir, "h.jsonl");
  const r = await runCli(["data", "synth", "--split", "holdout", "--n", "300", "--out", out, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const qs = readFileSync(out, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { question: string }).question);
  assert.equal(qs.length, 300);
  assert.equal(new Set(qs).size, 300);
  const small = await runCli(["data", "synth", "--split", "holdout", "--n", "300", "--difficulty", "1", "--domains", "arithmetic", "--out", join(dir, "s.jsonl"), "--quiet"]);
  oneLine(small, /^trimer data: only (\d+) distinct holdout questions exist at these settings \(asked for 300\); wrote those \1 to .* — widen/, 1);
  const n = Number(/only (\d+)/.exec(small.stderr)![1]);
  const got = readFileSync(join(dir, "s.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { question: string }).question);
  assert.equal(got.length, n);
  assert.equal(new Set(got).size, n);
});

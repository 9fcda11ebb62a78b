// Every output (eval folder, generate file, curate file, run folder) gets a manifest: version, git commit, the
// command and resolved options, seeds, input hashes, times, machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { runCli } from "./run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";
import type { Manifest } from "../../src/util/manifest.js";

const dir = mkdtempSync(join(tmpdir(), "manifest-"));
const sha = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");

function check(m: Manifest, command: string): void {
  assert.equal(m.status, "ok");
  assert.match(m.trimer.version, /^\d+\.\d+\.\d+/);
  assert.ok(m.trimer.gitCommit === null || /^[0-9a-f]{40}(\+dirty)?$/.test(m.trimer.gitCommit));
  assert.ok(m.command.includes(command));
  assert.ok(Date.parse(m.finishedAt) >= Date.parse(m.startedAt));
  assert.equal(m.machine.cores, cpus().length);
  assert.equal(m.machine.node, process.version);
}

test("eval, generate and curate write manifests with resolved options, seeds and input hashes", { timeout: 120_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(3, { max_position_embeddings: 512 }));
  try {
    const bench = join(dir, "bench.jsonl");
    writeFileSync(bench, [{ question: "1+1=", answer: "2" }, { question: "2+3=", answer: "5" }].map((o) => JSON.stringify(o)).join("\n") + "\n");
    const ev = join(dir, "eval");
    const r = await runCli(["eval", "--bench", bench, "--checkpoint", ckpt.dir, "--k", "2", "--max-tokens", "8", "--seed", "7", "--out", ev, "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(readFileSync(join(ev, "manifest.json"), "utf8")) as Manifest;
    check(m, "eval");
    assert.deepEqual(m.seeds, { sampling: 7 });
    assert.equal((m.options.sampling as { k: number; temperature: number }).k, 2);
    assert.equal((m.options.sampling as { temperature: number }).temperature, 0.6); // a default, resolved
    assert.deepEqual(m.inputs.find((i) => i.path === bench)?.sha256, sha(bench));
    assert.ok(m.inputs.some((i) => i.path === join(ckpt.dir, "model.safetensors") && i.sha256 === sha(join(ckpt.dir, "model.safetensors"))));

    const gen = join(dir, "traces.jsonl");
    const g = await runCli(["generate", "--bench", bench, "--checkpoint", ckpt.dir, "--modes", "low", "--k", "1", "--max-attempts", "1", "--max-tokens", "8", "--out", gen, "--quiet"]);
    assert.equal(g.code, 0, g.stderr);
    const gm = JSON.parse(readFileSync(`${gen}.manifest.json`, "utf8")) as Manifest;
    check(gm, "generate");
    assert.equal(gm.options.maxTokens, 8);
    assert.equal(gm.seeds.sampling, 0);
    assert.equal(gm.inputs[0]!.sha256, sha(bench));

    const cur = join(dir, "curated.jsonl");
    const c = await runCli(["curate", "near-dedupe", "--in", bench, "--out", cur, "--seed", "5", "--quiet"]);
    assert.equal(c.code, 0, c.stderr);
    const cm = JSON.parse(readFileSync(`${cur}.manifest.json`, "utf8")) as Manifest;
    check(cm, "curate");
    assert.equal(cm.inputs[0]!.sha256, sha(bench));
    assert.equal(cm.seeds.seed, 5);
  } finally {
    ckpt.remove();
  }
});

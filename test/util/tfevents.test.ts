// TensorBoard event files: byte-for-byte against records tensorboardX 2.6.5 wrote (golden bytes below, made with
// `SummaryWriter.add_scalar("loss", 0.5, global_step=3, walltime=1000.0)` and ("accuracy", 0.25, 7, 1001.5)), and
// read back by TensorBoard's own EventAccumulator (a Python with `tensorboard`: TRIMER_PEERS_PYTHON or the peers
// venv .ci/run builds from the local mirror; that part skips with the reason where there is none) — for a file
// `trimer model train` wrote through the training runner, and for a resumed one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32c, EVENTS_FILE, fileVersionEvent, maskedCrc32c, scalarEvent, tfRecord, TfEventsWriter } from "../../src/util/tfevents.js";

const ROOT = process.cwd();
const CLI = join(ROOT, "src/cli/main.ts");

const GOLDEN = {
  version: "1800000000000000a37f4b2209bd2146cf6ec5da411a0d627261696e2e4576656e743a3261bd745e",
  versionWallTime: 1796586301.0958092,
  loss: "1a00000000000000129bd82d090000000000408f4010032a0d0a0b0a046c6f7373150000003f9fe822a4",
  accuracy: "1e00000000000000d9dc12320900000000004c8f4010072a110a0f0a086163637572616379150000803eb15447d0",
};

test("CRC-32C and TFRecord framing match the reference values and tensorboardX's bytes", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283); // the CRC-32C check value
  assert.equal(maskedCrc32c(Buffer.alloc(0)), 0xa282ead8);
  assert.equal(tfRecord(fileVersionEvent(GOLDEN.versionWallTime)).toString("hex"), GOLDEN.version);
  assert.equal(tfRecord(scalarEvent(3, 1000, { loss: 0.5 })).toString("hex"), GOLDEN.loss);
  assert.equal(tfRecord(scalarEvent(7, 1001.5, { accuracy: 0.25 })).toString("hex"), GOLDEN.accuracy);
  // Non-finite values are left out (TensorBoard cannot chart them); a large step is a multi-byte varint.
  assert.equal(scalarEvent(3, 1000, { loss: 0.5, kl: Number.NaN }).toString("hex"), scalarEvent(3, 1000, { loss: 0.5 }).toString("hex"));
  assert.match(scalarEvent(300, 0, {}).toString("hex"), /10ac02/);
});

function tensorboardPython(): { python: string } | { skip: string } {
  const candidates = [process.env.TRIMER_PEERS_PYTHON, join(ROOT, ".cache/peers-venv/bin/python")].filter((p): p is string => !!p);
  for (const python of candidates) {
    if (!existsSync(python)) continue;
    if (spawnSync(python, ["-c", "import tensorboard"], { encoding: "utf8" }).status === 0) return { python };
  }
  return { skip: `no Python with tensorboard (set TRIMER_PEERS_PYTHON, or let .ci/run build .cache/peers-venv from the local mirror)` };
}
const py = tensorboardPython();
const skip = "skip" in py ? py.skip : false;
if (skip) console.error(`# tfevents: TensorBoard read-back skipped — ${skip}`);

/** TensorBoard's EventAccumulator over a folder: {tag: [[step, value], …]}. */
function readWithTensorBoard(dir: string): Record<string, [number, number][]> {
  const script = [
    "import json, sys",
    "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator",
    "ea = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0})",
    "ea.Reload()",
    "print(json.dumps({t: [[e.step, e.value] for e in ea.Scalars(t)] for t in ea.Tags()['scalars']}))",
  ].join("\n");
  const r = spawnSync((py as { python: string }).python, ["-c", script, dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, [number, number][]>;
}

const f32 = (x: number): number => Math.fround(x);

test("TensorBoard reads the curves `trimer model train` writes beside train_log.jsonl, and a resumed run's", { skip, timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-tb-"));
  try {
    const ck = join(dir, "ck");
    const cli = (args: string[]): void => {
      const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8", cwd: ROOT });
      assert.equal(r.status, 0, r.stderr);
    };
    cli(["model", "init", "--config", "tiny", "--out", ck]);
    const data = join(dir, "d.txt");
    writeFileSync(data, "12+30=42. 7*6=42. 9-4=5. ".repeat(200));
    cli(["model", "train", "--checkpoint", ck, "--data", data, "--steps", "8", "--ctx", "32", "--batch", "4", "--save-every", "4", "--quiet"]);
    const log = readFileSync(join(ck, "train_log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; loss: number; lr: number });
    assert.equal(log.length, 8);
    assert.ok(existsSync(join(ck, EVENTS_FILE)));
    const tb = readWithTensorBoard(ck);
    assert.ok("loss" in tb && "lr" in tb, `tags: ${Object.keys(tb).join(", ")}`);
    assert.deepEqual(tb.loss, log.map((r) => [r.step, f32(r.loss)]));
    assert.deepEqual(tb.lr, log.map((r) => [r.step, f32(r.lr)]));

    // A resume rewrites the mirror from the journal's kept records: no step twice, none missing.
    cli(["model", "train", "--checkpoint", ck, "--data", data, "--steps", "12", "--ctx", "32", "--batch", "4", "--save-every", "4", "--resume", "--quiet"]);
    const log2 = readFileSync(join(ck, "train_log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.equal(log2.length, 12);
    assert.deepEqual(readWithTensorBoard(ck).loss, log2.map((r) => [r.step, f32(r.loss)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TfEventsWriter: create from kept records, then append; TensorBoard sees exactly those steps", { skip }, () => {
  // (no "tfevents" in the folder name: TensorBoard would take the folder for an event file)
  const dir = mkdtempSync(join(tmpdir(), "trimer-tbw-"));
  try {
    const path = join(dir, EVENTS_FILE);
    const w = TfEventsWriter.create(path, [{ step: 0, reward: 0.1, note: "text is left out" }, { step: 1, reward: 0.3, kl: null }]);
    w.append({ step: 2, reward: 0.7, accuracy: 0.5 });
    w.append({ reward: 0.9 }); // no step field: its index
    const tb = readWithTensorBoard(dir);
    assert.deepEqual(Object.keys(tb).sort(), ["accuracy", "reward"]);
    assert.deepEqual(tb.reward, [[0, f32(0.1)], [1, f32(0.3)], [2, f32(0.7)], [3, f32(0.9)]]);
    assert.deepEqual(tb.accuracy, [[2, 0.5]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

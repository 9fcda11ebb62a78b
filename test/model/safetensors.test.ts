import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from "../../src/model/safetensors.js";

/** A safetensors file from a hand-written header and raw data bytes. */
function fileOf(header: unknown, data: Uint8Array, pad = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) + " ".repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test("write then read round-trips float32 tensors, shapes, order and metadata", async () => {
  const dir = mkdtempSync(join(tmpdir(), "st-"));
  try {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, 4e30, -0, Math.PI]) };
    const b = { shape: [], data: Float32Array.from([7]) };
    const c = { shape: [0, 4], data: new Float32Array(0) };
    await writeSafetensors(join(dir, "x.safetensors"), [["z.a", a], ["b", b], ["c", c]], { format: "pt" });
    const raw = readFileSync(join(dir, "x.safetensors"));
    assert.equal(Number(raw.readBigUInt64LE(0)) % 8, 0, "header padded to 8 bytes");
    const f = await readSafetensors(join(dir, "x.safetensors"));
    assert.deepEqual([...f.tensors.keys()], ["z.a", "b", "c"]);
    assert.deepEqual(f.tensors.get("z.a")!.shape, [2, 3]);
    assert.deepEqual([...f.tensors.get("z.a")!.data], [...a.data]);
    assert.deepEqual(f.tensors.get("b")!.shape, []);
    assert.equal(f.tensors.get("b")!.data[0], 7);
    assert.equal(f.tensors.get("c")!.data.length, 0);
    assert.deepEqual(f.metadata, { format: "pt" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reads the file PyTorch's reference wrote (fixture) with the loss it printed", async () => {
  const f = await readSafetensors("test/fixtures/torch/gqa-untied/expected.safetensors");
  assert.equal(f.tensors.size, 23); // logits, loss, 21 gradients (2 layers x 9 + embed + norm + lm_head)
  assert.deepEqual(f.tensors.get("logits")!.shape, [3, 12, 32]);
  assert.ok(Math.abs(f.tensors.get("loss")!.data[0]! - 4.361175060272217) < 1e-6);
  assert.deepEqual(f.tensors.get("grad.model.layers.1.self_attn.k_proj.weight")!.shape, [8, 16]);
});

test("F16, BF16 and F64 are read into float32", () => {
  const f16 = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x8000]);
  const bf16 = Uint16Array.from([0x3f80, 0xc060, 0x4049]);
  const f64 = Float64Array.from([0.1, -1e300]);
  const data = Buffer.concat([Buffer.from(f16.buffer), Buffer.from(bf16.buffer), Buffer.from(f64.buffer)]);
  const h = {
    h: { dtype: "F16", shape: [7], data_offsets: [0, 14] },
    b: { dtype: "BF16", shape: [3], data_offsets: [14, 20] },
    d: { dtype: "F64", shape: [2], data_offsets: [20, 36] },
  };
  // Offset by one byte inside a larger buffer: the reader must not rely on alignment.
  const bytes = fileOf(h, data);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const f = parseSafetensors(shifted.subarray(1));
  assert.deepEqual([...f.tensors.get("h")!.data], [1, -2, 0.5, 65504, 2 ** -24, Infinity, -0]);
  assert.deepEqual([...f.tensors.get("b")!.data], [1, -3.5, 3.140625]);
  assert.deepEqual([...f.tensors.get("d")!.data], [Math.fround(0.1), -Infinity]);
});

test("bad headers give errors naming the file and the tensor", () => {
  const four = new Uint8Array(16);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(3), /bad\.st: not a safetensors file/],
    [(() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1n << 40n); return b; })(), /exceeds the .*limit/],
    [(() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(100n); return b; })(), /runs past the end of the file/],
    [fileOf("nope", four), /not a JSON object/],
    [Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{bad}")]), /not valid JSON/],
    [fileOf({ w: { dtype: "I8", shape: [4], data_offsets: [0, 4] } }, four), /tensor "w": dtype I8 is not supported/],
    [fileOf({ w: { dtype: "F32", shape: [5], data_offsets: [0, 20] } }, four), /tensor "w": data_offsets \[0, 20\] run past the data/],
    [fileOf({ w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, four), /tensor "w": shape \[3\] of F32 needs 12 bytes but data_offsets span 16/],
    [fileOf({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four), /tensor "w": shape must be/],
    [fileOf({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, v: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, four), /"w" and "v" overlap/],
    [fileOf({ w: { dtype: "F32", shape: [1], data_offsets: [4] } }, four), /tensor "w": data_offsets must be \[begin, end\]/],
    [fileOf({ __metadata__: { a: 1 } }, four), /__metadata__\.a is not a string/],
  ];
  for (const [bytes, re] of cases) assert.throws(() => parseSafetensors(bytes, "bad.st"), (e: Error) => re.test(e.message) && e.message.startsWith("bad.st: "), String(re));
});

test("a missing file is an InputError naming it", async () => {
  await assert.rejects(readSafetensors("/nonexistent/x.safetensors"), /\/nonexistent\/x\.safetensors: cannot read \(ENOENT\)/);
});

test("serialising rejects a shape that disagrees with the data and duplicate names", () => {
  assert.throws(() => serializeSafetensors([["a", { shape: [3], data: new Float32Array(2) }]]), /"a" has shape \[3\] but 2 values/);
  assert.throws(() => serializeSafetensors([["a", { shape: [1], data: new Float32Array(1) }], ["a", { shape: [1], data: new Float32Array(1) }]]), /duplicate/);
});

test("a file written by hand with padding and the reader agree", () => {
  const data = Buffer.from(Float32Array.from([1.5, 2.5]).buffer);
  const f = parseSafetensors(fileOf({ x: { dtype: "F32", shape: [1, 2], data_offsets: [0, 8] } }, data, 5));
  assert.deepEqual([...f.tensors.get("x")!.data], [1.5, 2.5]);
});

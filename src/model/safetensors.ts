// The safetensors format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw data
// (offsets are relative to the end of the header). We read F32, F16, BF16 and F64 into float32 (checkpoints from
// other tools are often half precision) and write F32, which is what the embedded engine computes in.
//
// Files may come from anywhere, so the header is validated before any data is touched: a size limit on the
// header, known dtypes, integer shapes, offsets inside the file that agree with the shape, no overlaps. Every
// error names the file and the tensor.
import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";

/** Structurally the same as `NamedTensor` in ./tensors.ts (kept local so this module stands alone). */
export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, FloatTensor>;
  metadata: Record<string, string>;
}

/** Headers of real checkpoints are a few hundred KB; anything far larger is not a safetensors file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

if (endianness() !== "LE") {
  // Typed arrays use the host byte order and safetensors is little-endian; no big-endian host is in sight.
  throw new Error("safetensors: big-endian hosts are not supported");
}

function product(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

function decode(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  // Copy into a fresh, aligned buffer: the source may sit at any byte offset inside the file buffer.
  // (Not bytes.slice(): on a Buffer that is a view, not a copy.)
  const raw = new Uint8Array(bytes.length);
  raw.set(bytes);
  switch (dtype) {
    case "F32":
      return new Float32Array(raw.buffer, 0, count);
    case "F64":
      return Float32Array.from(new Float64Array(raw.buffer, 0, count));
    case "F16": {
      const src = new Uint16Array(raw.buffer, 0, count);
      const table = halfLookup();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[src[i]!]!;
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32.
      const src = new Uint16Array(raw.buffer, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new Error(`unreachable dtype ${dtype}`);
  }
}

/** Parses a whole safetensors file held in memory. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file = "<buffer>"): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new InputError(`${file}: ${msg}`);
  };
  if (bytes.length < 8) fail(`not a safetensors file (${bytes.length} bytes, shorter than the 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLen);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("utf8"));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  const metadata: Record<string, string> = {};
  for (const [name, meta] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof meta !== "object" || meta === null || Array.isArray(meta)) fail(`__metadata__ is not an object`);
      for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof meta !== "object" || meta === null) fail(`${where}: entry is not an object`);
    const m = meta as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof m.dtype !== "string") fail(`${where}: dtype missing`);
    const dtype = m.dtype as string;
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) fail(`${where}: dtype ${dtype} is not supported (F32, F16, BF16, F64)`);
    if (!Array.isArray(m.shape) || !m.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(m.shape)}`);
    }
    const shape = m.shape as number[];
    const off = m.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      fail(`${where}: data_offsets must be [begin, end], got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen) fail(`${where}: data_offsets [${begin}, ${end}] run past the data (${dataLen} bytes)`);
    const expected = product(shape) * size!;
    if (end - begin !== expected) {
      fail(`${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) fail(`tensors "${prev.name}" and "${cur.name}" overlap`);
  }
  const tensors = new Map<string, FloatTensor>();
  for (const e of entries) {
    const count = product(e.shape);
    const slice = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { shape: [...e.shape], data: decode(slice, e.dtype, count) });
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(bytes, path);
}

/**
 * Serialises float32 tensors, in the map's order, as the chunks of a safetensors file (header, then each tensor's
 * bytes as a view on its data: no copy of the weights).
 */
export function serializeSafetensors(
  tensors: Iterable<[string, FloatTensor]>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new Error(`safetensors: "__metadata__" is reserved and cannot name a tensor`);
    if (name in header) throw new Error(`safetensors: duplicate tensor name "${name}"`);
    if (product(t.shape) !== t.data.length) {
      throw new Error(`safetensors: tensor "${name}" has shape ${JSON.stringify(t.shape)} but ${t.data.length} values`);
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [off, off + bytes.length] };
    blobs.push(bytes);
    off += bytes.length;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (what the reference and the Rust library do).
  const jsonBytes = Buffer.byteLength(json);
  json += " ".repeat((8 - (jsonBytes % 8)) % 8);
  const headerBuf = Buffer.from(json, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBuf.length));
  return [len, headerBuf, ...blobs];
}

/** Writes atomically (temp file + fsync + rename). */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<[string, FloatTensor]>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

// TensorBoard event files (`events.out.tfevents.*`) for training curves, written without TensorFlow: TFRecord
// framing — uint64 length, masked CRC-32C of the length, the payload, masked CRC-32C of the payload, all
// little-endian — around `Event` protocol buffers (tensorflow/core/util/event.proto):
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }   Value { string tag = 1; float simple_value = 2; }
// The first record carries file_version "brain.Event:2"; each later one a step's scalars. TensorBoard reads
// simple_value scalars as it reads tf.summary.scalar's (tested by reading the files back with TensorBoard's own
// EventAccumulator, test/util/tfevents.test.ts).
import { closeSync, fsyncSync, openSync } from "node:fs";
import { writeFileAtomicSync } from "./atomic.js";
import { writeAllSync } from "./journal.js";

// ---------------------------------------------------------------------------------------------------- CRC-32C
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; // Castagnoli, reflected
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add a constant (so a CRC of CRCs is not trivially zero). */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `payload`. */
export function tfRecord(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + payload.length + 4);
  out.writeBigUInt64LE(BigInt(payload.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(payload, 12);
  out.writeUInt32LE(maskedCrc32c(payload), 12 + payload.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------- protobuf
function varint(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: ${n} is not a non-negative safe integer`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

const key = (field: number, wire: number): number[] => varint(field * 8 + wire);

function bytesField(field: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...key(field, 2), ...varint(data.length)]), data]);
}

function doubleField(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([Buffer.from(key(field, 1)), b]);
}

function floatField(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return Buffer.concat([Buffer.from(key(field, 5)), b]);
}

/** An Event with file_version (the first record of every event file). */
export function fileVersionEvent(wallTime: number): Buffer {
  return Buffer.concat([doubleField(1, wallTime), bytesField(3, Buffer.from("brain.Event:2", "utf8"))]);
}

/** An Event holding one step's scalars (non-finite values are left out: TensorBoard cannot chart them). */
export function scalarEvent(step: number, wallTime: number, scalars: Readonly<Record<string, number>>): Buffer {
  const values = Object.entries(scalars)
    .filter(([, v]) => Number.isFinite(v))
    .map(([tag, v]) => bytesField(1, Buffer.concat([bytesField(1, Buffer.from(tag, "utf8")), floatField(2, v)])));
  const summary = Buffer.concat(values);
  return Buffer.concat([doubleField(1, wallTime), Buffer.from([...key(2, 0), ...varint(step)]), bytesField(5, summary)]);
}

// ---------------------------------------------------------------------------------------------------- metrics
/** The scalars of a metrics record: its finite numeric fields, `step` left out (it is the x axis). */
export function scalarsOf(record: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(record)) if (k !== "step" && typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

/** The step of record number `index` in a metrics journal: its `step` field when it has one. */
function stepOf(record: object, index: number): number {
  const s = (record as { step?: unknown }).step;
  return typeof s === "number" && Number.isSafeInteger(s) && s >= 0 ? s : index;
}

/** The TensorBoard mirror of a metrics journal: `<folder of metrics.jsonl>/events.out.tfevents.trimer`. */
export function eventsPathFor(metricsPath: string): string {
  return metricsPath.replace(/[^/\\]*$/, EVENTS_FILE);
}

export const EVENTS_FILE = "events.out.tfevents.trimer";

/**
 * Writes an event file mirroring `records` (atomically: a reader sees the old file or the new one), then keeps it
 * open for appends — one record per training step, as the metrics journal gets its line. A resumed run rewrites
 * the file from the journal's kept records first, so the two always agree.
 */
export class TfEventsWriter {
  private constructor(readonly path: string, private next: number) {}

  static create(path: string, records: readonly object[] = [], wallTime = Date.now() / 1000): TfEventsWriter {
    const parts = [tfRecord(fileVersionEvent(wallTime))];
    records.forEach((r, i) => parts.push(tfRecord(scalarEvent(stepOf(r, i), wallTime, scalarsOf(r)))));
    writeFileAtomicSync(path, Buffer.concat(parts));
    return new TfEventsWriter(path, records.length);
  }

  /** Appends one metrics record (its finite numeric fields) as the next step's scalars. */
  append(record: object, wallTime = Date.now() / 1000): void {
    const data = tfRecord(scalarEvent(stepOf(record, this.next), wallTime, scalarsOf(record)));
    this.next++;
    const fd = openSync(this.path, "a");
    try {
      writeAllSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

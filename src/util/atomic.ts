// Atomic file writes: write to a temp file in the same directory, fsync, then rename over the target, so a
// crash (even kill -9) leaves either the old file or the new one, never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync, rmSync } from "node:fs";
import { open, rename, mkdir, rm } from "node:fs/promises";
import { dirname, basename, join } from "node:path";

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  const fd = openSync(tmp, "w");
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPath(path);
  const fh = await open(tmp, "w");
  try {
    const chunks = typeof data === "string" ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) await fh.write(c);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}

// Reading files the user or a checkpoint hands us: sizes are checked before anything is read (untrusted input never
// exhausts memory), and every error names the file.
import { readFile, stat } from "node:fs/promises";
import { InputError } from "./errors.js";

/** The file's size in bytes; an InputError naming the file when it cannot be read or is larger than `limit`. */
export async function checkedFileSize(path: string, limit: number): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > limit) throw new InputError(`${path}: ${size} bytes exceeds the ${limit}-byte limit`);
  return size;
}

/** A JSON file of at most `limit` bytes, parsed; errors name the file. */
export async function readJsonFile(path: string, limit: number): Promise<unknown> {
  await checkedFileSize(path, limit);
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

// On-disk cache of API responses, keyed by the request, so that an interrupted job resumes without paying twice.
//
// Layout: one file per entry, <dir>/<key[0:2]>/<key>.json, written with writeFileAtomic (temp file, fsync,
// rename). Chosen over an append-only JSONL index because:
//   - a crash (even kill -9) leaves each entry whole or absent — no torn last line to detect and repair;
//   - several processes (parallel eval shards, a resumed job next to a running one) can share one cache without
//     a lock: the worst case is two writers renaming identical content over each other;
//   - a lookup is one open(): nothing is loaded into memory up front, so the cache does not grow the process
//     (an index of 10^6 keys would) and startup does not scan the file;
//   - entries are easy to inspect and prune with ordinary tools.
// The price is one fsync per entry (~milliseconds), negligible next to an API call that takes seconds.
// Two-hex-character shards keep directories at a few thousand files for a million entries.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.js";
import type { JsonObject, JsonValue } from "./openai-map.js";

/** JSON with object keys sorted at every depth: equal requests serialise to equal strings. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`cannot serialise ${value} as JSON`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}

/**
 * The cache key of a request: SHA-256 of the canonical JSON of {path, body, occurrence}. The base URL and the
 * API key are deliberately left out (the same model behind a different proxy or key answers the same request;
 * the key is a secret and must not shape file names). `occurrence` numbers identical requests within one
 * sampling call, so a batch that holds the same prompt twice gets two independent samples, and resuming the same
 * batch maps each to its own entry again.
 */
export function cacheKey(path: string, body: JsonObject, occurrence: number): string {
  return createHash("sha256").update(canonicalJson({ path, body, occurrence })).digest("hex");
}

export interface CacheEntry {
  v: 1;
  path: string;
  request: JsonObject;
  /** The response body exactly as the server sent it, parsed. */
  response: JsonValue;
  createdAt: string;
}

export class ResponseCache {
  /** Entries larger than this are treated as absent (a corrupted or foreign file must not be slurped whole). */
  static readonly maxEntryBytes = 256 * 1024 * 1024;

  constructor(readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The stored response, or undefined when absent, unreadable, or not for this exact request. */
  async get(key: string, path: string, request: JsonObject): Promise<JsonValue | undefined> {
    const f = this.file(key);
    try {
      const s = await stat(f);
      if (s.size > ResponseCache.maxEntryBytes) return undefined;
      const entry = JSON.parse(await readFile(f, "utf8")) as Partial<CacheEntry>;
      // Compare the stored request too: guards against a hand-edited or truncated-then-rewritten entry.
      if (entry.v !== 1 || entry.path !== path || entry.response === undefined) return undefined;
      if (canonicalJson(entry.request as JsonValue) !== canonicalJson(request)) return undefined;
      return entry.response;
    } catch {
      return undefined; // missing or unparsable: a miss; the next successful call overwrites it atomically
    }
  }

  async put(key: string, path: string, request: JsonObject, response: JsonValue): Promise<void> {
    const entry: CacheEntry = { v: 1, path, request, response, createdAt: new Date().toISOString() };
    await writeFileAtomic(this.file(key), JSON.stringify(entry));
  }
}

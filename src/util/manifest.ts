// A manifest beside every output (run, eval, generate, curate): what made it, so a researcher can trust — and
// redo — it later: trimer's version and git commit, the full command and the resolved options, the seeds, a
// SHA-256 of every input file, start and end time, and the machine (cores, memory, Node, OS).
//
// Commands call noteOutput() once they know their output and resolved options; the CLI entry point writes the
// manifests when the command finishes (status "ok" or "failed" with the message), so no command can forget the
// end time.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { cpus, hostname, platform, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "./atomic.js";

export interface OutputNote {
  /** Where the manifest goes: DIR/manifest.json for a folder output, FILE.manifest.json for a file output. */
  output: string;
  kind: "dir" | "file";
  /** The resolved options (defaults filled in). */
  options: Record<string, unknown>;
  seeds?: Record<string, number>;
  /** Input files (hashed) and named inputs such as bundled benchmarks (recorded by name and file). */
  inputs?: string[];
}

export interface Manifest {
  trimer: { version: string; gitCommit: string | null };
  command: string[];
  cwd: string;
  options: Record<string, unknown>;
  seeds: Record<string, number>;
  inputs: { path: string; bytes: number; sha256: string }[];
  startedAt: string;
  finishedAt: string;
  seconds: number;
  status: "ok" | "failed";
  error?: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string; host: string };
}

const notes: OutputNote[] = [];
const startedAt = new Date();

/** Records an output of the running command; its manifest is written when the command ends. */
export function noteOutput(note: OutputNote): void {
  notes.push(note);
}

export function manifestPath(note: Pick<OutputNote, "output" | "kind">): string {
  return note.kind === "dir" ? join(note.output, "manifest.json") : `${note.output}.manifest.json`;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function gitCommit(): string | null {
  if (!existsSync(join(root, ".git"))) return null;
  const r = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8", timeout: 3000 });
  if (r.status !== 0) return null;
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8", timeout: 3000 });
  return r.stdout.trim() + (dirty.status === 0 && dirty.stdout.trim() ? "+dirty" : "");
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

async function hashInputs(paths: readonly string[]): Promise<Manifest["inputs"]> {
  const out: Manifest["inputs"] = [];
  for (const p of paths) {
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      out.push({ path: resolve(p), bytes: st.size, sha256: await sha256File(p) });
    } catch { /* not a file (a benchmark name, a URL): recorded in the options */ }
  }
  return out;
}

export function machine(): Manifest["machine"] {
  const c = cpus();
  return { cores: c.length, cpu: c[0]?.model ?? "unknown", memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, platform: `${platform()} ${release()}`, host: hostname() };
}

/** Writes every noted manifest (called once by the CLI entry point). Never throws: a manifest must not mask the result. */
export async function writeManifests(status: "ok" | "failed", error?: string): Promise<string[]> {
  const written: string[] = [];
  if (!notes.length) return written;
  const finished = new Date();
  const common = {
    trimer: { version: version(), gitCommit: gitCommit() },
    command: process.argv.slice(1),
    cwd: process.cwd(),
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (finished.getTime() - startedAt.getTime()) / 1000,
    status,
    ...(error !== undefined ? { error } : {}),
    machine: machine(),
  };
  for (const n of notes) {
    try {
      const m: Manifest = { ...common, options: n.options, seeds: n.seeds ?? {}, inputs: await hashInputs(n.inputs ?? []) };
      const path = manifestPath(n);
      await writeFileAtomic(path, JSON.stringify(m, null, 2) + "\n");
      written.push(path);
    } catch (e) {
      process.stderr.write(`trimer: warning: could not write the manifest of ${n.output} (${(e as Error).message})\n`);
    }
  }
  return written;
}

// PythonSandbox: the Pyodide backend, the portable fallback (no bubblewrap, other OSes; see process.ts for the
// default). Runs untrusted Python (the code blocks of tool-integrated reasoning) in Pyodide, one program at a time
// per worker, with a wall-clock limit, memory limits and an output limit.
//
//   const sb = await PythonSandbox.create({ workers: 2, timeoutMs: 5000 });
//   const r = await sb.run("print(2**100)");   // { status: "completed", stdout: "1267…376\n", … }
//   await sb.close();
//
// Each worker is a child process (worker.ts). Every program gets a fresh interpreter: after a program the worker is
// killed and replaced by one restored from the first worker's memory snapshot, so nothing a program changes
// (builtins, stdlib classes, ctypes writes into the interpreter, audit hooks, JS buffers it parked) can reach the
// next one; warm spares keep that off the request's path. Memory is accounted at the host: the worker process's
// RSS (wasm heap, V8 heap and JS buffers alike) is sampled while a program runs and the process is killed past
// its cap; inside, the wasm heap is capped too (MemoryError for Python) and V8's heap has its own limit.
// Isolation is layered: a process with an empty environment; Pyodide's in-memory file system only; the JS bridge
// modules blocked in Python; Emscripten's calls that reach the host (system, sockets, getuid, umask) stubbed; and
// the worker's JS global scope stripped (lockdown.ts), so even a program that gets hold of a JS object finds
// nothing that reaches the host.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { AuditReport, DoneMessage, InitRequest, RunRequest, WorkerMessage, WorkerSettings } from "./protocol.js";
import { checkRunArgs, notRun, positiveOption, type CodeSandbox, type RunOptions, type RunResult, type RunStatus } from "./types.js";

export type { AuditReport } from "./protocol.js";
export type { RunOptions, RunResult, RunStatus } from "./types.js";

export interface SandboxOptions {
  /** Warm worker processes, each running one program at a time (default 2). */
  workers?: number;
  /** Default wall-clock limit per program in ms (default 10 000). */
  timeoutMs?: number;
  /** Cap on Python's heap (the wasm memory) per worker, in MiB (default 512). */
  memoryMb?: number;
  /**
   * Cap on a worker process's resident memory, MiB: wasm heap, V8 heap and JS buffers together (default
   * memoryMb + 512). Past it the worker is killed and the program reported "killed". Sampled on Linux (/proc).
   */
  processMemoryMb?: number;
  /** stdout + stderr beyond this many characters are cut and the program is stopped (default 100 000). */
  maxOutputChars?: number;
  /** Accepted for compatibility; a timed-out program's worker is now killed at once. */
  graceMs?: number;
  /** The workers do not keep the Node process alive (a process-wide default sandbox); they end with it. */
  unref?: boolean;
}

interface Job {
  code: string;
  timeoutMs: number;
  ipython: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (r: RunResult) => void;
}

interface Slot {
  proc: ChildProcess;
  audits: ((r: AuditReport) => void)[];
  ready: boolean;
  /** Was ready once (a later exit is a retirement or a crash, not a failed start). */
  started: boolean;
  used: boolean;
  job: ActiveJob | null;
}

interface ActiveJob extends Job {
  id: number;
  started: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timer: NodeJS.Timeout;
  memTimer?: NodeJS.Timeout;
  overMemory: boolean;
}

/** The pyodide npm package's folder (holds the wasm, the stdlib zip and pyodide.mjs). */
function pyodideDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("pyodide/package.json"));
}

/**
 * The child-process entry next to this module: worker.js from dist/, or worker.ts with the tsx loader (tests). A
 * child process, unlike a worker thread (util/worker-entry.ts), takes the loader through --import.
 */
function childEntry(): { file: string; execArgv: string[] } {
  if (!import.meta.url.endsWith(".ts")) return { file: fileURLToPath(new URL("./worker.js", import.meta.url)), execArgv: [] };
  return { file: fileURLToPath(new URL("./worker.ts", import.meta.url)), execArgv: ["--import", import.meta.resolve("tsx")] };
}

function positive(value: number | undefined, name: string, fallback: number, integer: boolean): number {
  return positiveOption("PythonSandbox", value, name, fallback, integer);
}

/** Resident memory of a process in bytes (Linux), or null where it cannot be read. */
function rssOf(pid: number): number | null {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return Number.isFinite(pages) ? pages * 4096 : null;
  } catch {
    return null;
  }
}

const MEMORY_SAMPLE_MS = 20;

export class PythonSandbox implements CodeSandbox {
  readonly backend = "pyodide" as const;
  readonly supportsSessions = false;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private startError: Error | null = null;
  private snapshotPath: string | null = null;
  private readonly workers: number;
  private unref = false;

  private constructor(
    private readonly timeoutMs: number,
    private readonly memoryMb: number,
    private readonly processMemoryMb: number,
    private readonly maxOutputChars: number,
    workers: number,
  ) {
    this.workers = workers;
  }

  /** Starts the workers and resolves once all of them have loaded Pyodide and locked down. */
  static async create(opts: SandboxOptions = {}): Promise<PythonSandbox> {
    const memoryMb = positive(opts.memoryMb, "memoryMb", 512, true);
    const n = positive(opts.workers, "workers", 2, true);
    positive(opts.graceMs, "graceMs", 500, false);
    const sb = new PythonSandbox(
      positive(opts.timeoutMs, "timeoutMs", 10_000, false),
      memoryMb,
      positive(opts.processMemoryMb, "processMemoryMb", memoryMb + 512, true),
      positive(opts.maxOutputChars, "maxOutputChars", 100_000, true),
      n,
    );
    sb.unref = opts.unref === true;
    try {
      // The first worker starts from scratch and hands back a memory snapshot; the others (and every replacement
      // later, one per program) start from that snapshot, several times faster.
      await sb.spawn(true);
      await Promise.all(Array.from({ length: n - 1 }, () => sb.spawn()));
    } catch (e) {
      await sb.close();
      throw e;
    }
    return sb;
  }

  describe(): string {
    return `pyodide backend: CPython in WebAssembly (Pyodide), ${this.workers} worker process${this.workers === 1 ? "" : "es"}, a fresh interpreter ` +
      `per request (restored from a memory snapshot); Python heap ${this.memoryMb} MiB, process ${this.processMemoryMb} MiB, ` +
      `output ${this.maxOutputChars} characters; no sympy/numpy, no sessions`;
  }

  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job).length;
  }

  listSessions(): string[] {
    return [];
  }

  async deleteSession(): Promise<boolean> {
    return false;
  }

  /** Runs one program. Never rejects for anything the program does; rejects only after close(). */
  run(code: string, opts: RunOptions = {}): Promise<RunResult> {
    let timeoutMs: number;
    try {
      timeoutMs = checkRunArgs("PythonSandbox", this.closed, code, opts, this.timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
    if (opts.session !== undefined) return Promise.resolve(notRun("error", "sandbox: sessions need the process backend"));
    if (opts.signal?.aborted) return Promise.resolve(notRun("cancelled", "sandbox: cancelled before it started"));
    return new Promise<RunResult>((resolve) => {
      const job: Job = { code, timeoutMs, ipython: opts.ipython ?? false, resolve };
      if (opts.signal) {
        job.signal = opts.signal;
        job.onAbort = () => this.cancel(job);
        opts.signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Stops every worker. Programs still queued or running resolve as "killed". */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(notRun("killed", "sandbox closed"));
    await Promise.all(this.slots.map((s) => {
      if (s.job) this.finish(s, "killed", "sandbox closed\n");
      return this.stop(s);
    }));
    this.slots.length = 0;
    if (this.snapshotPath) rmSync(dirname(this.snapshotPath), { recursive: true, force: true });
  }

  /**
   * Asks every idle, ready worker to probe its own lock-down from the inside (see lockdown.ts auditLockdown): the
   * proof that the JS scope Python could reach holds nothing dangerous. Busy workers are skipped.
   */
  async audit(): Promise<AuditReport[]> {
    // Workers are replaced after every program: wait (up to a minute) until at least one fresh one is ready.
    for (let waited = 0; waited < 60_000 && !this.closed; waited += 50) {
      if (this.slots.some((s) => s.ready && !s.job && !s.used)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const idle = this.slots.filter((s) => s.ready && !s.job && !s.used);
    return Promise.all(idle.map((s) => new Promise<AuditReport>((resolve) => {
      s.audits.push(resolve);
      s.proc.send({ type: "audit" });
    })));
  }

  /** Number of live workers (for tests and the server's health check). */
  get size(): number {
    return this.slots.length;
  }

  private cancel(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      job.resolve(notRun("cancelled", "sandbox: cancelled while queued"));
      return;
    }
    const slot = this.slots.find((s) => s.job && s.job.resolve === job.resolve);
    if (slot) {
      this.finish(slot, "cancelled", "sandbox: cancelled by the caller\n");
      this.retire(slot);
    }
  }

  private stop(slot: Slot): Promise<void> {
    return new Promise<void>((resolve) => {
      if (slot.proc.exitCode !== null || slot.proc.signalCode !== null) return resolve();
      slot.proc.once("exit", () => resolve());
      slot.proc.kill("SIGKILL");
    });
  }

  private spawn(makeSnapshot = false): Promise<void> {
    const settings: WorkerSettings = { indexDir: pyodideDir(), wasmMemoryMb: this.memoryMb };
    if (this.snapshotPath) settings.snapshotPath = this.snapshotPath;
    else if (makeSnapshot) settings.makeSnapshot = true;
    const entry = childEntry();
    const proc = fork(entry.file, [], {
      execArgv: [
        ...entry.execArgv,
        // Pyodide's JS side needs ~100 MB; Python's heap is in wasm memory, capped separately (lockdown.ts).
        "--max-old-space-size=256", "--max-semi-space-size=16", "--stack-size=4000",
      ],
      env: {}, // the host's secrets never enter the worker
      serialization: "advanced", // structured clone: the snapshot travels as bytes
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const slot: Slot = { proc, audits: [], ready: false, started: false, used: false, job: null };
    this.slots.push(slot);
    // Drain the worker's own stdout/stderr (Python output comes by message); TRIMER_SANDBOX_DEBUG=1 shows them.
    if (process.env.TRIMER_SANDBOX_DEBUG) {
      proc.stdout?.pipe(process.stderr);
      proc.stderr?.pipe(process.stderr);
    } else {
      proc.stdout?.resume();
      proc.stderr?.resume();
    }
    const init: InitRequest = { type: "init", settings };
    proc.send(init);
    if (this.unref) {
      // The worker exits when this process does: its IPC channel closes ("disconnect" in worker.ts).
      proc.unref();
      proc.channel?.unref();
      (proc.stdout as unknown as { unref?: () => void } | null)?.unref?.();
      (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    }
    return new Promise<void>((resolve, reject) => {
      proc.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          slot.ready = true;
          slot.started = true;
          resolve();
          this.dispatch();
        } else if (m.type === "start-error") {
          const err = new Error(`PythonSandbox: a worker failed to start: ${m.message}`);
          this.startError = err;
          reject(err);
          this.retire(slot);
        } else if (m.type === "output") {
          const job = slot.job;
          if (job && job.id === m.id) {
            job[m.stream] += m.text;
            if (m.truncated) job.truncated = true;
          }
        } else if (m.type === "snapshot") {
          // Kept in a private file: every replacement worker (one per program) reads it instead of receiving
          // 30 MB over IPC.
          const dir = mkdtempSync(join(tmpdir(), "trimer-pyodide-"));
          const file = join(dir, "snapshot.bin");
          writeFileSync(file, m.data, { mode: 0o600 });
          this.snapshotPath = file;
        } else if (m.type === "audit") {
          slot.audits.shift()?.(m.report);
        } else if (m.type === "done") {
          this.onDone(slot, m);
        }
      });
      proc.on("error", (e: Error) => {
        if (!slot.started) {
          this.startError = new Error(`PythonSandbox: a worker failed to start: ${e.message}`);
          reject(this.startError);
        }
      });
      proc.on("exit", (code, sig) => {
        if (!slot.started && !this.closed) {
          // Not retried: a worker that cannot start once will not start the next time either.
          this.startError ??= new Error(`PythonSandbox: a worker exited during start-up (${sig ?? `code ${code}`})`);
          reject(this.startError);
        }
        if (slot.job) {
          const job = slot.job;
          const why = job.overMemory
            ? `sandbox: the worker passed its memory cap of ${this.processMemoryMb} MiB and was killed\n`
            : `sandbox: worker exited (${sig ?? `code ${code}`})\n`;
          this.finish(slot, "killed", why);
        }
        this.replace(slot);
      });
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || slot.used) continue;
      const job = this.queue.shift();
      if (!job) return;
      const id = this.nextId++;
      const active: ActiveJob = {
        ...job, id, started: performance.now(), stdout: "", stderr: "", truncated: false, overMemory: false,
        timer: setTimeout(() => this.onTimeout(slot, active), job.timeoutMs),
      };
      slot.job = active;
      slot.used = true;
      const pid = slot.proc.pid;
      if (pid !== undefined && rssOf(pid) !== null) {
        active.memTimer = setInterval(() => {
          const rss = rssOf(pid);
          if (rss !== null && rss > this.processMemoryMb * 1024 * 1024 && slot.job === active) {
            active.overMemory = true;
            slot.proc.kill("SIGKILL");
          }
        }, MEMORY_SAMPLE_MS);
      }
      const req: RunRequest = { type: "run", id, code: job.code, maxOutputChars: this.maxOutputChars, ipython: job.ipython };
      slot.proc.send(req);
    }
    if (this.queue.length && this.slots.length === 0 && this.startError) {
      for (const job of this.queue.splice(0)) job.resolve(notRun("killed", this.startError.message));
    }
  }

  /** Wall-clock limit reached: the worker is killed (it would be replaced after this program anyway). */
  private onTimeout(slot: Slot, job: ActiveJob): void {
    if (slot.job !== job) return;
    this.finish(slot, "timeout", "");
    this.retire(slot);
  }

  private onDone(slot: Slot, m: DoneMessage): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    if (m.truncated) job.truncated = true;
    let status: RunStatus;
    let note = "";
    if (m.outcome === "interrupted") {
      status = "timeout";
    } else if (m.outcome === "output-limit") {
      status = "error";
      note = `sandbox: output exceeded ${this.maxOutputChars} characters; the program was stopped\n`;
    } else {
      status = m.outcome;
    }
    this.finish(slot, status, note);
    // A fresh interpreter for every program: this one has run untrusted code, so it goes.
    this.retire(slot);
  }

  private finish(slot: Slot, status: RunStatus, note: string): void {
    const job = slot.job;
    if (!job) return;
    slot.job = null;
    clearTimeout(job.timer);
    if (job.memTimer) clearInterval(job.memTimer);
    if (job.signal && job.onAbort) job.signal.removeEventListener("abort", job.onAbort);
    const durationMs = performance.now() - job.started;
    let stderr = job.stderr;
    if (status === "timeout") stderr += `sandbox: timed out after ${job.timeoutMs} ms\n`;
    stderr += note;
    if (job.truncated && status !== "error" && !note) {
      stderr += `sandbox: output exceeded ${this.maxOutputChars} characters\n`;
    }
    job.resolve({ status, stdout: job.stdout, stderr, truncated: job.truncated, durationMs });
  }

  /** Kills a worker; its "exit" starts a fresh one in its place. */
  private retire(slot: Slot): void {
    slot.ready = false;
    slot.proc.kill("SIGKILL");
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const answer of slot.audits.splice(0)) answer({ globalsLeft: ["(worker exited before answering)"], probes: [] });
    slot.proc.removeAllListeners("message");
    if (this.closed || this.startError) {
      this.dispatch();
      return;
    }
    this.spawn().catch(() => this.dispatch());
  }
}

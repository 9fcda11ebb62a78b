// PythonSandbox: runs untrusted Python (the code blocks of tool-integrated reasoning) in Pyodide, one program at a
// time per worker thread, with a wall-clock limit, a memory limit and an output limit. A pool of warm workers keeps
// short snippets fast; each program gets a fresh namespace (see runner-py.ts for what is reset between programs).
//
//   const sb = await PythonSandbox.create({ workers: 2, timeoutMs: 5000 });
//   const r = await sb.run("print(2**100)");   // { status: "completed", stdout: "1267…376\n", … }
//   await sb.close();
//
// Isolation is layered: a worker thread with V8 heap limits and an empty environment; Pyodide's in-memory file
// system only; the JS bridge modules blocked in Python; and the worker's JS global scope stripped (lockdown.ts), so
// even a program that gets hold of a JS object finds nothing that reaches the host.
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { AuditReport, DoneMessage, RunRequest, WorkerMessage, WorkerSettings } from "./protocol.js";
import { workerEntry } from "../util/worker-entry.js";

export type { AuditReport } from "./protocol.js";

export interface SandboxOptions {
  /** Warm worker threads, each running one program at a time (default 2). */
  workers?: number;
  /** Default wall-clock limit per program in ms (default 10 000). */
  timeoutMs?: number;
  /** Cap on Python's heap (the wasm memory) per worker, in MiB (default 512). */
  memoryMb?: number;
  /** stdout + stderr beyond this many characters are cut and the program is stopped (default 100 000). */
  maxOutputChars?: number;
  /** After the timeout's interrupt, how long a program may take to stop before its worker is killed (default 500). */
  graceMs?: number;
}

export type RunStatus = "completed" | "timeout" | "error" | "killed";

export interface RunResult {
  /**
   * completed: ran to the end (exit code 0). error: raised an exception, exited non-zero, or was stopped for
   * printing more than maxOutputChars. timeout: passed its wall-clock limit. killed: its worker died (out of JS
   * heap, interpreter failure) and was replaced.
   */
  status: RunStatus;
  stdout: string;
  stderr: string;
  /** Output was cut at maxOutputChars. */
  truncated: boolean;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
}

interface Job {
  code: string;
  timeoutMs: number;
  resolve: (r: RunResult) => void;
}

interface Slot {
  worker: Worker;
  audits: ((r: AuditReport) => void)[];
  interrupt: Int32Array;
  ready: boolean;
  job: ActiveJob | null;
}

interface ActiveJob extends Job {
  id: number;
  started: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  timer: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
}

/** The pyodide npm package's folder (holds the wasm, the stdlib zip and pyodide.mjs). */
function pyodideDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("pyodide/package.json"));
}

function positive(value: number | undefined, name: string, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`PythonSandbox: ${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return value;
}

export class PythonSandbox {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private startError: Error | null = null;
  private snapshot: Uint8Array | null = null;

  private constructor(
    private readonly timeoutMs: number,
    private readonly memoryMb: number,
    private readonly maxOutputChars: number,
    private readonly graceMs: number,
  ) {}

  /** Starts the workers and resolves once all of them have loaded Pyodide and locked down. */
  static async create(opts: SandboxOptions = {}): Promise<PythonSandbox> {
    const sb = new PythonSandbox(
      positive(opts.timeoutMs, "timeoutMs", 10_000, false),
      positive(opts.memoryMb, "memoryMb", 512, true),
      positive(opts.maxOutputChars, "maxOutputChars", 100_000, true),
      positive(opts.graceMs, "graceMs", 500, false),
    );
    const n = positive(opts.workers, "workers", 2, true);
    try {
      // The first worker starts from scratch and hands back a memory snapshot; the others (and every replacement
      // of a killed worker later) start from that snapshot, ~5× faster.
      await sb.spawn(true);
      await Promise.all(Array.from({ length: n - 1 }, () => sb.spawn()));
    } catch (e) {
      await sb.close();
      throw e;
    }
    return sb;
  }

  /** Runs one program. Never rejects for anything the program does; rejects only after close(). */
  run(code: string, opts: RunOptions = {}): Promise<RunResult> {
    if (this.closed) return Promise.reject(new Error("PythonSandbox: run() after close()"));
    if (typeof code !== "string") return Promise.reject(new TypeError("PythonSandbox: code must be a string"));
    let timeoutMs: number;
    try {
      timeoutMs = positive(opts.timeoutMs, "timeoutMs", this.timeoutMs, false);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<RunResult>((resolve) => {
      this.queue.push({ code, timeoutMs, resolve });
      this.dispatch();
    });
  }

  /** Stops every worker. Programs still queued or running resolve as "killed". */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.resolve({ status: "killed", stdout: "", stderr: "sandbox closed\n", truncated: false, durationMs: 0 });
    }
    await Promise.all(this.slots.map((s) => {
      if (s.job) this.finish(s, "killed", "sandbox closed\n");
      return s.worker.terminate();
    }));
    this.slots.length = 0;
  }

  /**
   * Asks every idle, ready worker to probe its own lock-down from the inside (see lockdown.ts auditLockdown): the
   * proof that the JS scope Python could reach holds nothing dangerous. Busy workers are skipped.
   */
  async audit(): Promise<AuditReport[]> {
    const idle = this.slots.filter((s) => s.ready && !s.job);
    return Promise.all(idle.map((s) => new Promise<AuditReport>((resolve) => {
      s.audits.push(resolve);
      s.worker.postMessage({ type: "audit" });
    })));
  }

  /** Number of live workers (for tests and the server's health check). */
  get size(): number {
    return this.slots.length;
  }

  private spawn(makeSnapshot = false): Promise<void> {
    const interrupt = new SharedArrayBuffer(4);
    const settings: WorkerSettings = { indexDir: pyodideDir(), wasmMemoryMb: this.memoryMb, interrupt };
    if (this.snapshot) settings.snapshot = this.snapshot;
    else if (makeSnapshot) settings.makeSnapshot = true;
    const worker = new Worker(workerEntry(import.meta.url, "worker"), {
      workerData: settings,
      env: {}, // an empty copy of process.env: the host's secrets never enter the thread
      stdout: true, // the worker's own stdout/stderr go nowhere (Python output comes by message)
      stderr: true,
      resourceLimits: {
        // Pyodide's JS side needs ~100 MB; Python's heap is in wasm memory, capped separately (lockdown.ts).
        maxOldGenerationSizeMb: 256,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: 8,
      },
    });
    const slot: Slot = { worker, audits: [], interrupt: new Int32Array(interrupt), ready: false, job: null };
    this.slots.push(slot);
    // Drain the piped streams so a chatty worker cannot fill a buffer (TRIMER_SANDBOX_DEBUG=1 shows them).
    if (process.env.TRIMER_SANDBOX_DEBUG) {
      worker.stdout.pipe(process.stderr);
      worker.stderr.pipe(process.stderr);
    } else {
      worker.stdout.resume();
      worker.stderr.resume();
    }
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          slot.ready = true;
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
          this.snapshot = m.data;
        } else if (m.type === "audit") {
          slot.audits.shift()?.(m.report);
        } else if (m.type === "done") {
          this.onDone(slot, m);
        }
      });
      worker.on("error", (e: Error) => {
        // Out of JS heap, a crash inside the thread: the host lives on, the program is reported killed.
        if (!slot.ready) {
          this.startError = new Error(`PythonSandbox: a worker failed to start: ${e.message}`);
          reject(this.startError);
        }
        if (slot.job) this.finish(slot, slot.job.timedOut ? "timeout" : "killed", `sandbox: worker stopped: ${e.message}\n`);
        this.replace(slot);
      });
      worker.on("exit", () => {
        if (!slot.ready) {
          // Not retried: a worker that cannot start once will not start the next time either.
          this.startError = new Error("PythonSandbox: a worker exited during start-up");
          reject(this.startError);
        }
        if (slot.job) this.finish(slot, slot.job.timedOut ? "timeout" : "killed", "sandbox: worker exited\n");
        this.replace(slot);
      });
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      const id = this.nextId++;
      const active: ActiveJob = {
        ...job, id, started: performance.now(), stdout: "", stderr: "", truncated: false, timedOut: false,
        timer: setTimeout(() => this.onTimeout(slot, active), job.timeoutMs),
      };
      slot.job = active;
      Atomics.store(slot.interrupt, 0, 0);
      const req: RunRequest = { type: "run", id, code: job.code, maxOutputChars: this.maxOutputChars };
      slot.worker.postMessage(req);
    }
    if (this.queue.length && this.slots.length === 0 && this.startError) {
      for (const job of this.queue.splice(0)) {
        job.resolve({ status: "killed", stdout: "", stderr: `${this.startError.message}\n`, truncated: false, durationMs: 0 });
      }
    }
  }

  /** Wall-clock limit reached: interrupt Python (SIGINT), and kill the worker if it does not stop in time. */
  private onTimeout(slot: Slot, job: ActiveJob): void {
    if (slot.job !== job) return;
    job.timedOut = true;
    Atomics.store(slot.interrupt, 0, 2);
    job.killTimer = setTimeout(() => {
      if (slot.job !== job) return;
      this.finish(slot, "timeout", "");
      this.retire(slot);
    }, this.graceMs);
  }

  private onDone(slot: Slot, m: DoneMessage): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    if (m.truncated) job.truncated = true;
    let status: RunStatus;
    let note = "";
    if (job.timedOut || m.outcome === "interrupted") {
      status = "timeout";
    } else if (m.outcome === "output-limit") {
      status = "error";
      note = `sandbox: output exceeded ${this.maxOutputChars} characters; the program was stopped\n`;
    } else {
      status = m.outcome;
    }
    this.finish(slot, status, note);
    if (m.fatal) this.retire(slot);
    else this.dispatch();
  }

  private finish(slot: Slot, status: RunStatus, note: string): void {
    const job = slot.job;
    if (!job) return;
    slot.job = null;
    clearTimeout(job.timer);
    if (job.killTimer) clearTimeout(job.killTimer);
    const durationMs = performance.now() - job.started;
    let stderr = job.stderr;
    if (status === "timeout") stderr += `sandbox: timed out after ${job.timeoutMs} ms\n`;
    stderr += note;
    if (job.truncated && status !== "error" && !note) {
      stderr += `sandbox: output exceeded ${this.maxOutputChars} characters\n`;
    }
    job.resolve({ status, stdout: job.stdout, stderr, truncated: job.truncated, durationMs });
  }

  /** Terminates a worker and starts a fresh one in its place. */
  private retire(slot: Slot): void {
    slot.ready = false;
    void slot.worker.terminate();
    this.replace(slot);
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const answer of slot.audits.splice(0)) answer({ globalsLeft: ["(worker exited before answering)"], probes: [] });
    slot.worker.removeAllListeners();
    slot.worker.on("error", () => {}); // a late error from a retired worker is expected and harmless
    if (this.closed || this.startError) {
      this.dispatch();
      return;
    }
    this.spawn().catch(() => this.dispatch());
  }
}

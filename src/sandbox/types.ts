// What every sandbox backend (process.ts: CPython under bubblewrap; index.ts: Pyodide) offers, so that the HTTP
// server, the TIR loop and `trimer generate` can take either.

export type RunStatus = "completed" | "timeout" | "error" | "killed" | "cancelled";

export interface RunResult {
  /**
   * completed: ran to the end (exit code 0). error: raised an exception, exited non-zero, or was stopped for
   * printing more than the output cap. timeout: passed its wall-clock (or CPU) limit. killed: its interpreter died
   * (memory, a signal) and was replaced. cancelled: withdrawn by the caller (opts.signal) before it ended.
   */
  status: RunStatus;
  stdout: string;
  stderr: string;
  /** Output was cut at the output cap. */
  truncated: boolean;
  durationMs: number;
}

export interface RunOptions {
  /** Wall-clock limit for this program, ms (default: the sandbox's). */
  timeoutMs?: number;
  /** Aborting withdraws the program from the queue, or stops it when it already runs (status "cancelled"). */
  signal?: AbortSignal;
  /** IPython mode: the value of a final expression is printed, as in a notebook cell (default false). */
  ipython?: boolean;
  /** Run as a cell of this stateful session (cells of one session share variables); process backend only. */
  session?: string;
}

export type BackendName = "process" | "pyodide";

export interface CodeSandbox {
  readonly backend: BackendName;
  /** One line for logs: the backend, its interpreter and its limits. */
  describe(): string;
  run(code: string, opts?: RunOptions): Promise<RunResult>;
  /** Programs queued or running. */
  readonly pending: number;
  /** Live workers (interpreters ready or busy). */
  readonly size: number;
  /** Stateful sessions alive now (empty for a backend without sessions). */
  listSessions(): string[];
  /** Ends a session; false when there was none of that id. */
  deleteSession(id: string): Promise<boolean>;
  readonly supportsSessions: boolean;
  close(): Promise<void>;
}

/** The result for a program that never ran (closed sandbox, cancelled in the queue, failed start). */
export function notRun(status: RunStatus, why: string): RunResult {
  return { status, stdout: "", stderr: why.endsWith("\n") ? why : `${why}\n`, truncated: false, durationMs: 0 };
}

/** A positive option (an integer where asked), or the fallback when absent; a RangeError names the backend. */
export function positiveOption(backend: string, value: number | undefined, name: string, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${backend}: ${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return value;
}

/** The checks every backend's run() makes before anything else: returns the program's time limit, throws on misuse. */
export function checkRunArgs(backend: string, closed: boolean, code: unknown, opts: RunOptions, defaultTimeoutMs: number): number {
  if (closed) throw new Error(`${backend}: run() after close()`);
  if (typeof code !== "string") throw new TypeError(`${backend}: code must be a string`);
  return positiveOption(backend, opts.timeoutMs, "timeoutMs", defaultTimeoutMs, false);
}

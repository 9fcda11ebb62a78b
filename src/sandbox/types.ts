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

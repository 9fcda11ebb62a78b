// Messages between the sandbox host (index.ts) and a sandbox worker (worker.ts). Plain data only: they cross a
// worker_threads MessagePort by structured clone.

/** Settings fixed for a worker's life, passed as `workerData`. */
export interface WorkerSettings {
  /** Directory holding pyodide.mjs, pyodide.asm.wasm and python_stdlib.zip (the npm package's folder). */
  indexDir: string;
  /** Cap on the WebAssembly memory that holds the whole Python heap, in MiB. */
  wasmMemoryMb: number;
  /**
   * Int32Array view target: the host writes 2 (SIGINT) at index 0 to interrupt the running program (thread mode;
   * a child-process worker makes its own and is killed instead).
   */
  interrupt?: SharedArrayBuffer;
  /**
   * Pyodide memory snapshot taken right after a clean start (before any setup or untrusted code): a worker given
   * one starts in well under a second instead of several. The first worker makes it (`makeSnapshot`).
   */
  snapshot?: Uint8Array;
  /** The same snapshot as a file the host wrote (read before lock-down; cheaper than 30 MB over IPC). */
  snapshotPath?: string;
  makeSnapshot?: boolean;
}

/** Host → child-process worker, first message: its settings. */
export interface InitRequest {
  type: "init";
  settings: WorkerSettings;
}

/** Host → worker: run one program in a fresh namespace. */
export interface RunRequest {
  type: "run";
  id: number;
  code: string;
  /** stdout and stderr together are cut at this many characters and the program is stopped. */
  maxOutputChars: number;
  /** IPython mode: print the repr of a final expression's value. */
  ipython?: boolean;
}

/** Host → worker: report the state of the lock-down (see AuditReport). */
export interface AuditRequest {
  type: "audit";
}

/**
 * What a worker finds when it probes its own lock-down, from the inside, the way escaping code would have to: the
 * globals left beyond the allow-list, and whether each dangerous capability still works.
 */
export interface AuditReport {
  globalsLeft: string[];
  /** Each entry: a capability, and whether trying it succeeded (all must be false). */
  probes: { name: string; works: boolean }[];
}

export interface AuditMessage {
  type: "audit";
  report: AuditReport;
}

/** Worker → host: the snapshot asked for by `makeSnapshot`, sent before "ready". */
export interface SnapshotMessage {
  type: "snapshot";
  data: Uint8Array;
}

/** Worker → host, once after start-up and lock-down. */
export interface ReadyMessage {
  type: "ready";
}

/** Worker → host: a piece of output, sent while the program runs so that a killed program still shows some. */
export interface OutputMessage {
  type: "output";
  id: number;
  stream: "stdout" | "stderr";
  text: string;
  /** This piece ends where the output limit cut it. */
  truncated: boolean;
}

/**
 * Worker → host: the program ended. `interrupted` means the host's interrupt (timeout) stopped it; `outputLimit`
 * means it was stopped for printing too much. `fatal` means the interpreter is no longer usable (the host then
 * replaces the worker).
 */
export interface DoneMessage {
  type: "done";
  id: number;
  outcome: "completed" | "error" | "interrupted" | "output-limit";
  truncated: boolean;
  fatal: boolean;
}

/** Worker → host: start-up failed. */
export interface StartErrorMessage {
  type: "start-error";
  message: string;
}

export type WorkerMessage = SnapshotMessage | AuditMessage | ReadyMessage | OutputMessage | DoneMessage | StartErrorMessage;

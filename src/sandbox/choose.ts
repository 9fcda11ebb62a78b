// Picks and starts a sandbox backend: `--sandbox process|pyodide`, or the default — the process backend where
// bubblewrap and /usr/bin/python3 work, Pyodide otherwise (with the reason, so the user knows what they lost).
import { ProcessSandbox, processBackendAvailable, type ProcessSandboxOptions } from "./process.js";
import type { BackendName, CodeSandbox } from "./types.js";
import { UsageError } from "../util/errors.js";

export interface OpenSandboxOptions {
  workers?: number;
  timeoutMs?: number;
  /** Process backend: address-space cap per program; Pyodide: the Python (wasm) heap cap. MiB. */
  memoryMb?: number;
  maxOutputChars?: number;
  /** Process backend only. */
  process?: Omit<ProcessSandboxOptions, "workers" | "timeoutMs" | "memoryMb" | "maxOutputChars">;
}

let shared: Promise<CodeSandbox> | null = null;

/**
 * The process-wide default sandbox for code that was given none (the TIR loop): the process backend where it runs,
 * else Pyodide; started on first use, two workers, and it does not keep the Node process alive.
 */
export function defaultSandbox(): Promise<CodeSandbox> {
  shared ??= (async () => {
    if (processBackendAvailable().ok) return ProcessSandbox.create({ workers: 2, unref: true });
    const { PythonSandbox } = await import("./index.js");
    return PythonSandbox.create({ workers: 2, unref: true });
  })();
  return shared;
}

export interface OpenedSandbox {
  sandbox: CodeSandbox;
  /** Set when the default fell back to Pyodide: why the process backend was not used. */
  fallbackReason?: string;
}

/** The value of a `--sandbox` flag, checked; undefined = the default. */
export function parseBackend(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (value === "process" || value === "pyodide") return value;
  throw new SandboxChoiceError(`--sandbox must be "process" or "pyodide", got ${JSON.stringify(value)}`);
}

/** A choice that cannot be honoured (an unknown name, or the process backend asked for where it cannot run). */
export class SandboxChoiceError extends UsageError {}

export async function openSandbox(kind: BackendName | undefined, opts: OpenSandboxOptions = {}): Promise<OpenedSandbox> {
  const common = {
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.memoryMb !== undefined ? { memoryMb: opts.memoryMb } : {}),
    ...(opts.maxOutputChars !== undefined ? { maxOutputChars: opts.maxOutputChars } : {}),
  };
  let fallbackReason: string | undefined;
  if (kind !== "pyodide") {
    const avail = processBackendAvailable(opts.process?.python);
    if (avail.ok) return { sandbox: await ProcessSandbox.create({ ...opts.process, ...common }) };
    if (kind === "process") throw new SandboxChoiceError(`--sandbox process: ${avail.why}; or use --sandbox pyodide`);
    fallbackReason = avail.why;
  }
  const { PythonSandbox } = await import("./index.js");
  const sandbox = await PythonSandbox.create(common);
  return fallbackReason ? { sandbox, fallbackReason } : { sandbox };
}

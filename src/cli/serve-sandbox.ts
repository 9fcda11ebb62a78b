// `trimer serve-sandbox`: the Python sandbox as an HTTP server speaking NeMo-Skills' protocol (POST /execute,
// sessions). The process backend (CPython + sympy/numpy under bubblewrap) by default, Pyodide where it cannot run.
//
//   trimer serve-sandbox --port 6000 --workers 4 --token "$TOKEN"
//   curl -s localhost:6000/execute -H "Authorization: Bearer $TOKEN" \
//        -d '{"generated_code": "print(2**10)", "timeout": 5, "language": "ipython"}'
//   → {"process_status":"completed","stdout":"1024\n","stderr":""}
import { parseFlags, numberFlag, type CommandModule } from "./command.js";
import { UsageError } from "../util/errors.js";
import { openSandbox, parseBackend } from "../sandbox/choose.js";
import { createSandboxServer } from "../sandbox/server.js";

const usage = `usage: trimer serve-sandbox [options]

Runs Python for tool-integrated reasoning, over HTTP (NeMo-Skills' protocol):
POST /execute {generated_code, timeout (s), language: "python" | "ipython", session_id?} → {process_status, stdout, stderr};
GET /sessions, DELETE /sessions/<id>. Backends: "process" — /usr/bin/python3 with sympy and numpy under bubblewrap,
a fresh forked interpreter per request (the default where bwrap works); "pyodide" — CPython in WebAssembly, the
portable fallback (no sympy/numpy, no sessions).

options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port N             port (default 6000, as NeMo-Skills' sandbox; 0 picks a free one)
  --token TOKEN        require "Authorization: Bearer TOKEN" (default: $TRIMER_SANDBOX_TOKEN, else none)
  --sandbox KIND       process | pyodide (default: process where available, else pyodide)
  --workers N          warm Python workers, one program each at a time (default 2)
  --max-queue N        programs waiting beyond the running ones; more get 503 + Retry-After (default 32)
  --max-sessions N     live sessions (process backend, default 16)  --session-idle S (default 300)
  --max-timeout S      cap on a request's timeout, seconds (default 60)
  --memory-mb N        memory cap per program, MiB (process: address space, default 1024; pyodide: heap, default 512)
  --max-output N       stdout+stderr characters kept per run; the program is stopped beyond (default 100000)
  --max-body N         request body limit in bytes (default 1048576)`;

export const summary = "serve the Python sandbox over HTTP (NeMo-Skills /execute protocol, sessions)";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, {
    host: { type: "string" },
    port: { type: "string" },
    token: { type: "string" },
    workers: { type: "string" },
    sandbox: { type: "string" },
    "max-queue": { type: "string" },
    "max-sessions": { type: "string" },
    "session-idle": { type: "string" },
    "max-timeout": { type: "string" },
    "memory-mb": { type: "string" },
    "max-output": { type: "string" },
    "max-body": { type: "string" },
  }, usage);
  if (!parsed) return 0;
  const v = parsed.values;
  const host = v.host ?? "127.0.0.1";
  const port = numberFlag(v.port, "port", 6000, true);
  if (port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const positive = (value: string | undefined, name: string, fallback: number, integer: boolean): number => {
    const n = numberFlag(value, name, fallback, integer);
    if (n <= 0) throw new UsageError(`--${name} must be positive, got ${n}`);
    return n;
  };
  const workers = positive(v.workers, "workers", 2, true);
  const maxTimeoutSec = positive(v["max-timeout"], "max-timeout", 60, false);
  const memoryMb = v["memory-mb"] === undefined ? undefined : positive(v["memory-mb"], "memory-mb", 512, true);
  const maxQueue = numberFlag(v["max-queue"], "max-queue", 32, true);
  if (maxQueue < 0) throw new UsageError(`--max-queue must be 0 or more, got ${maxQueue}`);
  const maxSessions = positive(v["max-sessions"], "max-sessions", 16, true);
  const sessionIdleSec = positive(v["session-idle"], "session-idle", 300, false);
  const kind = parseBackend(v.sandbox);
  const maxOutputChars = positive(v["max-output"], "max-output", 100_000, true);
  const maxBodyBytes = positive(v["max-body"], "max-body", 1 << 20, true);
  const token = v.token ?? process.env.TRIMER_SANDBOX_TOKEN;
  if (token !== undefined && token.length === 0) throw new UsageError("--token must not be empty");

  const { sandbox, fallbackReason } = await openSandbox(kind, {
    workers, maxOutputChars, timeoutMs: maxTimeoutSec * 1000, ...(memoryMb !== undefined ? { memoryMb } : {}),
    process: { maxSessions, sessionIdleMs: sessionIdleSec * 1000 },
  });
  if (fallbackReason) console.error(`trimer serve-sandbox: using Pyodide: the process backend is unavailable (${fallbackReason})`);
  console.log(`trimer serve-sandbox: ${sandbox.describe()}`);
  const server = createSandboxServer(sandbox, { token, maxBodyBytes, maxTimeoutSec, maxQueue });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const shown = addr && typeof addr === "object" ? `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}` : String(addr);
  console.log(`trimer serve-sandbox: listening on ${shown} (${sandbox.backend} backend, ${workers} worker${workers === 1 ? "" : "s"}${token ? ", bearer token required" : ""})`);
  if (!token && host !== "127.0.0.1" && host !== "localhost" && host !== "::1") {
    console.error("trimer serve-sandbox: warning: listening beyond loopback without --token");
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await sandbox.close();
  return 0;
}

const command: CommandModule = { summary, main };
export default command;

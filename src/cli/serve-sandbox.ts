// `trimer serve-sandbox`: the Python sandbox as an HTTP server speaking NeMo-Skills' protocol (POST /execute).
//
//   trimer serve-sandbox --port 6000 --workers 4 --token "$TOKEN"
//   curl -s localhost:6000/execute -H "Authorization: Bearer $TOKEN" \
//        -d '{"generated_code": "print(2**10)", "timeout": 5, "language": "ipython"}'
//   → {"process_status":"completed","stdout":"1024\n","stderr":""}
import { parseFlags, numberFlag, type CommandModule } from "./command.js";
import { UsageError } from "../util/errors.js";
import { PythonSandbox } from "../sandbox/index.js";
import { createSandboxServer } from "../sandbox/server.js";

const usage = `usage: trimer serve-sandbox [options]

Runs Python (Pyodide, in locked-down worker threads) for tool-integrated reasoning, over HTTP:
POST /execute {generated_code, timeout (s), language: "python" | "ipython"} → {process_status, stdout, stderr}.

options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port N             port (default 6000, as NeMo-Skills' sandbox; 0 picks a free one)
  --token TOKEN        require "Authorization: Bearer TOKEN" (default: $TRIMER_SANDBOX_TOKEN, else none)
  --workers N          warm Python workers, one program each at a time (default 2)
  --max-timeout S      cap on a request's timeout, seconds (default 60)
  --memory-mb N        Python heap cap per worker, MiB (default 512)
  --max-output N       stdout+stderr characters kept per run; the program is stopped beyond (default 100000)
  --max-body N         request body limit in bytes (default 1048576)`;

export const summary = "serve the Python sandbox over HTTP (NeMo-Skills /execute protocol)";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, {
    host: { type: "string" },
    port: { type: "string" },
    token: { type: "string" },
    workers: { type: "string" },
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
  const memoryMb = positive(v["memory-mb"], "memory-mb", 512, true);
  const maxOutputChars = positive(v["max-output"], "max-output", 100_000, true);
  const maxBodyBytes = positive(v["max-body"], "max-body", 1 << 20, true);
  const token = v.token ?? process.env.TRIMER_SANDBOX_TOKEN;
  if (token !== undefined && token.length === 0) throw new UsageError("--token must not be empty");

  const sandbox = await PythonSandbox.create({ workers, memoryMb, maxOutputChars, timeoutMs: maxTimeoutSec * 1000 });
  const server = createSandboxServer(sandbox, { token, maxBodyBytes, maxTimeoutSec });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const shown = addr && typeof addr === "object" ? `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}` : String(addr);
  console.log(`trimer serve-sandbox: listening on ${shown} (${workers} workers${token ? ", bearer token required" : ""})`);
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

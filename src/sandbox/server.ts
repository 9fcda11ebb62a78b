// An HTTP front for PythonSandbox that speaks NeMo-Skills' sandbox protocol, so NeMo-Skills-style TIR clients (and
// our own) can use it as a drop-in code-execution server:
//
//   POST /execute  {"generated_code": "...", "timeout": 10, "language": "ipython" | "python"}
//     → 200 {"process_status": "completed" | "error" | "timeout", "stdout": "...", "stderr": "..."}
//   GET  /health   → 200 {"status": "healthy", "workers": N}
//
// Field names and process_status values follow NeMo-Skills' local_sandbox_server.py (timeout is in seconds; a timed
// out run's stderr says "Timed out"). Departures, each answered with a clear 400 rather than a silently different
// result: no stateful `session_id` sessions (every request is a fresh namespace), no `std_input`, and only Python
// (`lean4` and other languages are not served). A sandbox kill (worker out of memory) is reported as "error".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { PythonSandbox, RunStatus } from "./index.js";

export interface SandboxServerOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Request bodies beyond this many bytes get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Upper bound for a request's `timeout`, in seconds (default 60). */
  maxTimeoutSec?: number;
  /** `timeout` when a request has none, in seconds (default 10). */
  defaultTimeoutSec?: number;
}

export interface ExecuteRequest {
  generated_code: string;
  timeout: number;
  language: "python" | "ipython";
}

export interface ExecuteResponse {
  process_status: "completed" | "error" | "timeout";
  stdout: string;
  stderr: string;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LANGUAGES = new Set(["python", "ipython", "python3"]);

/** Checks a parsed /execute body; every problem is a 400 naming the field. Pure, for tests. */
export function parseExecuteRequest(body: unknown, defaultTimeoutSec = 10, maxTimeoutSec = 60): ExecuteRequest {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (typeof b.generated_code !== "string") throw new HttpError(400, "field \"generated_code\" must be a string");
  let timeout = defaultTimeoutSec;
  if (b.timeout !== undefined && b.timeout !== null) {
    if (typeof b.timeout !== "number" || !Number.isFinite(b.timeout) || b.timeout <= 0) {
      throw new HttpError(400, "field \"timeout\" must be a positive number of seconds");
    }
    timeout = Math.min(b.timeout, maxTimeoutSec);
  }
  const language = b.language ?? "ipython";
  if (typeof language !== "string" || !LANGUAGES.has(language)) {
    throw new HttpError(400, `field "language" must be "python" or "ipython", got ${JSON.stringify(language)} (only Python is served)`);
  }
  if (typeof b.session_id === "string" && b.session_id !== "") {
    throw new HttpError(400, "field \"session_id\": stateful sessions are not supported; every request runs in a fresh namespace");
  }
  if (typeof b.std_input === "string" && b.std_input !== "") {
    throw new HttpError(400, "field \"std_input\" is not supported (the sandbox has no stdin)");
  }
  return { generated_code: b.generated_code, timeout, language: language === "python" ? "python" : "ipython" };
}

function toProcessStatus(s: RunStatus): ExecuteResponse["process_status"] {
  return s === "completed" ? "completed" : s === "timeout" ? "timeout" : "error";
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(text) };
  if (status >= 400) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `body larger than ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        // Keep reading into nothing (so the 413 can be written), and close the connection after it.
        req.off("data", onData);
        req.resume();
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** An http.Server (not yet listening) that executes requests on `sandbox`. */
export function createSandboxServer(sandbox: PythonSandbox, opts: SandboxServerOptions = {}): Server {
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const maxTimeout = opts.maxTimeoutSec ?? 60;
  const defaultTimeout = opts.defaultTimeoutSec ?? 10;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (opts.token !== undefined && !authorized(req, opts.token)) throw new HttpError(401, "missing or wrong bearer token");
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") {
      if (req.method !== "GET") throw new HttpError(405, "use GET /health");
      send(res, 200, { status: "healthy", workers: sandbox.size });
      return;
    }
    if (path !== "/execute") throw new HttpError(404, `no route ${path} (POST /execute, GET /health)`);
    if (req.method !== "POST") throw new HttpError(405, "use POST /execute");
    const raw = await readBody(req, maxBody);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch (e) {
      throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
    }
    const request = parseExecuteRequest(body, defaultTimeout, maxTimeout);
    const r = await sandbox.run(request.generated_code, { timeoutMs: request.timeout * 1000 });
    const status = toProcessStatus(r.status);
    // NeMo-Skills' server answers a timeout with stderr "Timed out\n"; clients match on it.
    const stderr = status === "timeout" ? `${r.stderr}Timed out\n` : r.stderr;
    const out: ExecuteResponse = { process_status: status, stdout: r.stdout, stderr };
    send(res, 200, out);
  };
  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) send(res, e.status, { error: e.message });
      else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
}

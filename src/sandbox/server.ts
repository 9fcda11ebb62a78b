// An HTTP front for a sandbox backend (process.ts or index.ts) that speaks NeMo-Skills' sandbox protocol, so
// NeMo-Skills-style TIR clients (and our own) can use it as a drop-in code-execution server:
//
//   POST   /execute  {"generated_code": "...", "timeout": 10, "language": "ipython" | "python", "session_id"?: "..."}
//     → 200 {"process_status": "completed" | "error" | "timeout", "stdout": "...", "stderr": "..."}
//   GET    /sessions          → 200 {"sessions": ["id", …]}
//   DELETE /sessions/<id>     → 200 {"deleted": "id"} | 404
//   GET    /health            → 200 {"status": "healthy", "workers": N, "backend": "process" | "pyodide"}
//
// Field names and process_status values follow NeMo-Skills' local_sandbox_server.py and its client (timeout is in
// seconds; a timed out run's stderr says "Timed out"; the client sends a session_id with each ipython cell, and can
// list and delete sessions). IPython mode prints the value of a cell's last expression. Departures, each a clear
// 400 rather than a silently different result: no `std_input`, only Python, and sessions only on a backend that
// has them (the process backend). A sandbox kill (out of memory) is reported as "error".
//
// Load: at most `maxQueue` programs wait beyond the running ones; past that the answer is 503 with Retry-After. A
// client that hangs up has its program withdrawn from the queue, or stopped if it already runs. Header and body
// timeouts bound slow clients.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import type { CodeSandbox, RunStatus } from "./types.js";

export interface SandboxServerOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Request bodies beyond this many bytes get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Upper bound for a request's `timeout`, in seconds (default 60). */
  maxTimeoutSec?: number;
  /** `timeout` when a request has none, in seconds (default 10). */
  defaultTimeoutSec?: number;
  /** Programs allowed to wait for a worker; beyond → 503 with Retry-After (default 32). */
  maxQueue?: number;
  /** Time to receive a request's headers, ms (default 10 000). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (headers and body), ms (default 30 000). */
  requestTimeoutMs?: number;
}

export interface ExecuteRequest {
  generated_code: string;
  timeout: number;
  language: "python" | "ipython";
  session_id?: string;
}

export interface ExecuteResponse {
  process_status: "completed" | "error" | "timeout";
  stdout: string;
  stderr: string;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
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
  if (typeof b.std_input === "string" && b.std_input !== "") {
    throw new HttpError(400, "field \"std_input\" is not supported (the sandbox has no stdin)");
  }
  const out: ExecuteRequest = { generated_code: b.generated_code, timeout, language: language === "ipython" ? "ipython" : "python" };
  if (b.session_id !== undefined && b.session_id !== null && b.session_id !== "") {
    if (typeof b.session_id !== "string" || b.session_id.length > 200) {
      throw new HttpError(400, "field \"session_id\" must be a string of at most 200 characters");
    }
    if (out.language !== "ipython") throw new HttpError(400, "field \"session_id\": stateful sessions are for language \"ipython\" only");
    out.session_id = b.session_id;
  }
  return out;
}

function toProcessStatus(s: RunStatus): ExecuteResponse["process_status"] {
  return s === "completed" ? "completed" : s === "timeout" ? "timeout" : "error";
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra };
  if (status >= 400 && status !== 503) headers.connection = "close";
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
    req.on("close", () => { if (!req.complete) reject(new HttpError(400, "the client went away during the upload")); });
  });
}

function sameToken(given: string, expected: string): boolean {
  // Digests, so the comparison takes the same time whatever the lengths (as the reward and OpenAI servers do).
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

/** The bearer-token check of the other trimer servers: `Authorization: Bearer <token>`, case-insensitive scheme. */
function checkToken(req: IncomingMessage, token: string): void {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (!m || !sameToken(m[1]!.trim(), token)) {
    req.resume();
    throw new HttpError(401, m ? "the bearer token is wrong" : "a bearer token is required (Authorization: Bearer …)", { "www-authenticate": 'Bearer realm="trimer-sandbox"' });
  }
}

/** An http.Server (not yet listening) that executes requests on `sandbox`. */
export function createSandboxServer(sandbox: CodeSandbox, opts: SandboxServerOptions = {}): Server {
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const maxTimeout = opts.maxTimeoutSec ?? 60;
  const defaultTimeout = opts.defaultTimeoutSec ?? 10;
  const maxQueue = opts.maxQueue ?? 32;
  let admitted = 0; // /execute requests inside the sandbox (queued or running)
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (opts.token !== undefined) checkToken(req, opts.token);
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
    if (path === "/health") {
      if (req.method !== "GET") throw new HttpError(405, "use GET /health");
      send(res, 200, { status: "healthy", workers: sandbox.size, backend: sandbox.backend });
      return;
    }
    if (path === "/sessions") {
      if (req.method !== "GET") throw new HttpError(405, "use GET /sessions");
      send(res, 200, { sessions: sandbox.listSessions() });
      return;
    }
    if (path.startsWith("/sessions/")) {
      if (req.method !== "DELETE") throw new HttpError(405, "use DELETE /sessions/<id>");
      const id = decodeURIComponent(path.slice("/sessions/".length));
      if (!(await sandbox.deleteSession(id))) throw new HttpError(404, `no session ${JSON.stringify(id)}`);
      send(res, 200, { deleted: id });
      return;
    }
    if (path !== "/execute") throw new HttpError(404, `no route ${path} (POST /execute, GET /sessions, DELETE /sessions/<id>, GET /health)`);
    if (req.method !== "POST") throw new HttpError(405, "use POST /execute");
    const raw = await readBody(req, maxBody);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch (e) {
      throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
    }
    const request = parseExecuteRequest(body, defaultTimeout, maxTimeout);
    if (request.session_id !== undefined && !sandbox.supportsSessions) {
      throw new HttpError(400, `field "session_id": stateful sessions need the process backend (this server runs ${sandbox.backend}); start serve-sandbox with --sandbox process`);
    }
    // Admission counts what this server put in the sandbox, so a full queue answers at once instead of waiting.
    if (admitted >= sandbox.size + maxQueue) {
      throw new HttpError(503, `busy: ${admitted} programs queued or running; retry`, { "retry-after": "1" });
    }
    admitted++;
    // A client that hangs up no longer wants the answer: withdraw its program, or stop it if it runs.
    const hangUp = new AbortController();
    const onClose = (): void => { if (!res.writableFinished) hangUp.abort(); };
    res.on("close", onClose);
    try {
      const r = await sandbox.run(request.generated_code, {
        timeoutMs: request.timeout * 1000,
        ipython: request.language === "ipython",
        signal: hangUp.signal,
        ...(request.session_id !== undefined ? { session: request.session_id } : {}),
      });
      const status = toProcessStatus(r.status);
      // NeMo-Skills' server answers a timeout with stderr "Timed out\n"; clients match on it.
      const stderr = status === "timeout" ? `${r.stderr}Timed out\n` : r.stderr;
      const out: ExecuteResponse = { process_status: status, stdout: r.stdout, stderr };
      send(res, 200, out);
    } finally {
      admitted--;
      res.off("close", onClose);
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError) send(res, e.status, { error: e.message }, e.headers);
      else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = Math.max(opts.requestTimeoutMs ?? 30_000, server.headersTimeout);
  return server;
}

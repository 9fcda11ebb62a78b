// One HTTP POST with a hard deadline and a size cap, over node:http/https with a keep-alive agent.
//
// Why not fetch (undici) or the `openai` SDK: bench/client measures all three against the same trivial server at
// concurrency 64. node:http with a keep-alive Agent is the fastest of them on Node 20 and lets us own the
// two things the sampler must control exactly: the retry policy (the SDK retries on its own and hides attempts,
// which would make "none lost or duplicated" and the cache harder to reason about) and the per-attempt deadline
// covering connect + headers + the whole body (undici's timeouts are per phase). The SDK stays the reference
// client in the benchmark.
import http from "node:http";
import https from "node:https";

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A transport failure before a complete response arrived: refused, reset, hung up, timed out, too large. */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

export interface HttpClientOptions {
  /** Sockets kept per host; set to the sampler's concurrency so no request waits for a socket. */
  maxSockets: number;
  /** Largest response body accepted (bytes); a bigger one is a TransportError, never buffered whole. */
  maxResponseBytes: number;
}

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly opts: HttpClientOptions) {
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets, scheduling: "lifo" as const };
    this.httpAgent = new http.Agent(agentOpts);
    this.httpsAgent = new https.Agent(agentOpts);
  }

  /** POSTs `body` (already-serialised JSON). Resolves with any status; rejects only with TransportError. */
  post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult> {
    const isHttps = url.protocol === "https:";
    const mod = isHttps ? https : http;
    const payload = Buffer.from(body);
    return new Promise<HttpResult>((resolve, reject) => {
      let settled = false;
      const fail = (msg: string, code: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new TransportError(msg, code));
      };
      const req = mod.request(
        url,
        {
          method: "POST",
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, "content-type": "application/json", "content-length": String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > this.opts.maxResponseBytes) {
              fail(`response body exceeds ${this.opts.maxResponseBytes} bytes`, "ETOOLARGE");
              res.destroy();
              return;
            }
            chunks.push(c);
          });
          res.on("end", () => {
            if (settled) return;
            // A connection closed mid-body still emits "end" on some paths; "aborted"/"error" catch the rest.
            if (!res.complete) return fail("connection closed before the response was complete", "ECONNRESET");
            settled = true;
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("aborted", () => fail("connection closed before the response was complete", "ECONNRESET"));
          res.on("error", (e: NodeJS.ErrnoException) => fail(`response error: ${e.message}`, e.code ?? "ERESPONSE"));
        },
      );
      const timer = setTimeout(() => fail(`no complete response within ${timeoutMs} ms`, "ETIMEDOUT"), timeoutMs);
      req.on("error", (e: NodeJS.ErrnoException) => fail(`${e.code ?? "request error"}: ${e.message}`, e.code ?? "EREQUEST"));
      req.end(payload);
    });
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

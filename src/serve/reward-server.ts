// A rule-based reward server for external RL engines, speaking OpenRLHF's remote reward-model protocol:
//
//   POST /get_reward   {"query": [prompt+response, …], "prompts": [prompt, …], "labels": [gold answer, …]}
//   →                  {"rewards": [r, …], "scores": [s, …], "extra_logs": {"correct": [...], "formatted": [...], …}}
//
// OpenRLHF (--reward.remote_url http://host:port/get_reward --data.label_key answer) sends each micro-batch's decoded
// sequences as `query` — the prompt followed by the response, special tokens included — with the prompts and the
// labels (the dataset field named by --data.label_key). The response is the query minus its prompt. `rewards` feed the
// advantage; `scores` are OpenRLHF's 0–1 values for dynamic filtering (here: correctness); every `extra_logs` entry
// is one number per sample, which OpenRLHF splits per sample like the rewards and logs to wandb.
// verl reaches the same endpoint from a custom reward function (see the README), sending the response alone.
//
// Departures from OpenRLHF's own serve_rm: bearer-token auth (theirs has none, OpenRLHF issue #1317), a size limit
// on the body, a time bound on each request's grading, and GET /health.
import http from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";

/** The grade of one response against its gold answer (the verifier's RewardResult fits). */
export interface Grade {
  reward: number;
  correct: boolean;
  formatted: boolean;
}

export type GradeFn = (response: string, gold: string) => Grade;

export interface RewardServerOptions {
  grade: GradeFn;
  /** Required bearer token; undefined = no auth (only sensible on loopback or a private network). */
  token?: string;
  /** Time bound for grading one request's batch (default 60 000 ms). Samples not graded by then get reward 0. */
  batchTimeoutMs?: number;
  /** Time bound for receiving a request body (default 60 000 ms). */
  bodyTimeoutMs?: number;
  /** Largest request body (default 64 MiB). */
  maxBodyBytes?: number;
  /** Most samples in one request (default 100 000). */
  maxBatch?: number;
  /**
   * Requests admitted at once (grading is serial on the event loop); beyond this → 503 so the client retries. A
   * request is admitted when its body has fully arrived, so stalled uploads never occupy a slot.
   */
  maxPending?: number;
  /** Bodies one client address may be uploading at once (default 16); beyond this → 503 with Retry-After. */
  maxUploadsPerClient?: number;
  /** One line per request (e.g. console.error); default silent. */
  log?: (line: string) => void;
}

export interface RewardRequest {
  query: string[];
  prompts?: string[];
  labels: string[];
}

export interface RewardResponse {
  rewards: number[];
  scores: number[];
  extra_logs: Record<string, number[]>;
}

/** A request the server refuses, with the HTTP status and a message that names the field. */
export class BadRequest extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

function stringArray(x: unknown, field: string): string[] {
  if (!Array.isArray(x)) throw new BadRequest(`"${field}" must be an array of strings`);
  x.forEach((v, i) => {
    if (typeof v !== "string") throw new BadRequest(`"${field}"[${i}] is ${v === null ? "null" : typeof v}, expected a string`);
  });
  return x as string[];
}

/** Validates an OpenRLHF request body. Labels may arrive as numbers (a JSONL label field holding 42): stringified. */
export function parseRewardRequest(body: unknown, maxBatch: number): RewardRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest("body must be a JSON object");
  const b = body as Record<string, unknown>;
  const query = stringArray(b.query, "query");
  if (query.length > maxBatch) throw new BadRequest(`batch of ${query.length} exceeds the limit of ${maxBatch}`, 413);
  if (b.labels === undefined || b.labels === null) {
    throw new BadRequest('"labels" is missing: the gold answers are needed (start OpenRLHF with --data.label_key <field>; older releases: --label_key)');
  }
  if (!Array.isArray(b.labels)) throw new BadRequest('"labels" must be an array');
  const labels = b.labels.map((v: unknown, i: number) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isFinite(v)) return String(v);
    throw new BadRequest(`"labels"[${i}] is ${v === null ? "null" : typeof v}, expected a string`);
  });
  if (labels.length !== query.length) throw new BadRequest(`"labels" has ${labels.length} entries, "query" has ${query.length}`);
  if (b.prompts === undefined || b.prompts === null) return { query, labels };
  const prompts = stringArray(b.prompts, "prompts");
  if (prompts.length !== query.length) throw new BadRequest(`"prompts" has ${prompts.length} entries, "query" has ${query.length}`);
  return { query, prompts, labels };
}

/**
 * The response part of an OpenRLHF query. The query is the decoded prompt+response, which may carry left padding
 * or a BOS token before the prompt, so the prompt is searched for rather than assumed to be a prefix. When the
 * prompt is absent (or not found: a tokenizer that does not round-trip), the whole query is graded — the verifier
 * looks at the final answer, which sits in the response.
 */
export function responseOf(query: string, prompt: string | undefined): { response: string; found: boolean } {
  if (!prompt) return { response: query, found: prompt !== undefined };
  const at = query.indexOf(prompt);
  return at < 0 ? { response: query, found: false } : { response: query.slice(at + prompt.length), found: true };
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Grades a batch serially, yielding to the event loop every ~20 ms so health checks and other connections stay
 * served. Each check is bounded by the verifier itself (~1 s); the batch is bounded by `deadline`: samples not
 * reached by then get reward 0 and are flagged in extra_logs.timed_out — the trainer keeps going (a 5xx would make
 * OpenRLHF resend the same slow batch) and the flag shows up in its logs.
 */
export async function gradeBatch(req: RewardRequest, grade: GradeFn, deadline: number, now: () => number = Date.now): Promise<RewardResponse> {
  const n = req.query.length;
  const out: RewardResponse = {
    rewards: new Array<number>(n).fill(0),
    scores: new Array<number>(n).fill(0),
    extra_logs: {
      correct: new Array<number>(n).fill(0),
      formatted: new Array<number>(n).fill(0),
      timed_out: new Array<number>(n).fill(0),
      prompt_found: new Array<number>(n).fill(0),
      grader_error: new Array<number>(n).fill(0),
    },
  };
  const logs = out.extra_logs as Record<"correct" | "formatted" | "timed_out" | "prompt_found" | "grader_error", number[]>;
  let sliceStart = now();
  for (let i = 0; i < n; i++) {
    if (now() >= deadline) {
      for (let k = i; k < n; k++) logs.timed_out[k] = 1;
      break;
    }
    const { response, found } = responseOf(req.query[i]!, req.prompts?.[i]);
    let g: Grade;
    try {
      g = grade(response, req.labels[i]!);
    } catch {
      // A grader bug on one odd input must not fail the batch (OpenRLHF would resend it, then stop training):
      // that sample scores 0 and is counted in extra_logs.grader_error.
      logs.grader_error[i] = 1;
      continue;
    }
    out.rewards[i] = Number.isFinite(g.reward) ? g.reward : 0;
    out.scores[i] = g.correct ? 1 : 0;
    logs.correct[i] = g.correct ? 1 : 0;
    logs.formatted[i] = g.formatted ? 1 : 0;
    logs.prompt_found[i] = found ? 1 : 0;
    if (now() - sliceStart > 20) {
      await yieldToLoop();
      sliceStart = now();
    }
  }
  return out;
}

function sameToken(given: string, expected: string): boolean {
  // Compare digests so the comparison takes the same time whatever the lengths (no length oracle either).
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** An http.Server (not yet listening) that serves /get_reward and /health. */
export function createRewardServer(opts: RewardServerOptions): http.Server {
  const batchTimeoutMs = opts.batchTimeoutMs ?? 60_000;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const maxBatch = opts.maxBatch ?? 100_000;
  const maxPending = opts.maxPending ?? 64;
  const maxUploadsPerClient = opts.maxUploadsPerClient ?? 16;
  let pending = 0;
  const uploading = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const [url, query] = (req.url ?? "/").split("?", 2) as [string, string | undefined];
    if (req.method === "GET" && url === "/health") return send(res, 200, { ok: true });
    if (url !== "/get_reward") return send(res, 404, { error: `no route ${req.method} ${url}; POST /get_reward` });
    if (req.method !== "POST") return send(res, 405, { error: "use POST" }, { allow: "POST" });
    if (opts.token !== undefined) {
      const auth = req.headers.authorization ?? "";
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      // OpenRLHF's HTTP client sends no headers of its own (only the URL is configurable), so the token may also
      // come as ?token=… in --reward.remote_url. Weaker (URLs end up in logs); the header is preferred when possible.
      const given = m ? m[1]!.trim() : new URLSearchParams(query ?? "").get("token");
      if (given === null || !sameToken(given, opts.token)) {
        req.resume();
        opts.log?.(`get_reward refused (401): ${given === null ? "no token" : "wrong token"} from ${req.socket.remoteAddress ?? "?"}`);
        return send(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="trimer-reward"' });
      }
    }
    // A slot is taken only once the whole body is here: uploads that stall (a slow or hostile client) then hold
    // nothing but their own connection, bounded per client address and by requestTimeout, so they cannot lock
    // every other caller out of grading.
    const client = req.socket.remoteAddress ?? "?";
    const uploadsNow = uploading.get(client) ?? 0;
    if (uploadsNow >= maxUploadsPerClient) {
      req.resume();
      return send(res, 503, { error: `busy: ${uploadsNow} uploads from ${client} in progress, retry` }, { "retry-after": "1", connection: "close" });
    }
    uploading.set(client, uploadsNow + 1);
    let uploadDone = false;
    const endUpload = (): void => {
      if (uploadDone) return;
      uploadDone = true;
      const left = (uploading.get(client) ?? 1) - 1;
      if (left > 0) uploading.set(client, left);
      else uploading.delete(client);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > maxBody) {
        tooLarge = true;
        chunks.length = 0;
        send(res, 413, { error: `body exceeds ${maxBody} bytes` }, { connection: "close" });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("close", endUpload);
    let admitted = false;
    const finish = (): void => { if (admitted) { admitted = false; pending--; } };
    req.on("end", () => {
      endUpload();
      if (tooLarge) return;
      if (pending >= maxPending) return send(res, 503, { error: "busy, retry" }, { "retry-after": "1" });
      pending++;
      admitted = true;
      const started = Date.now(); // the grading bound runs from admission, not from the first byte
      void (async () => {
        try {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch (e) {
            throw new BadRequest(`body is not valid JSON (${(e as Error).message})`);
          }
          const parsed = parseRewardRequest(body, maxBatch);
          const out = await gradeBatch(parsed, opts.grade, started + batchTimeoutMs);
          send(res, 200, out);
          const timedOut = out.extra_logs.timed_out!.reduce((a, b) => a + b, 0);
          const correct = out.scores.reduce((a, b) => a + b, 0);
          opts.log?.(`get_reward n=${parsed.query.length} correct=${correct} ${timedOut ? `timed_out=${timedOut} ` : ""}${Date.now() - started}ms`);
        } catch (e) {
          if (e instanceof BadRequest) {
            send(res, e.status, { error: e.message });
            opts.log?.(`get_reward refused (${e.status}): ${e.message}`);
          } else {
            send(res, 500, { error: "internal error grading the batch" });
            opts.log?.(`get_reward failed: ${(e as Error).stack ?? String(e)}`);
          }
        } finally {
          finish();
        }
      })();
    });
  });
  // Slow or stalled uploads must not hold a connection forever.
  server.requestTimeout = opts.bodyTimeoutMs ?? 60_000;
  server.headersTimeout = Math.min(server.requestTimeout, 30_000);
  return server;
}

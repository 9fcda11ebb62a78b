// The engine's Sampler over any OpenAI-compatible server (OpenAI, vLLM, SGLang, llama.cpp, TGI, DeepSeek …):
// /v1/chat/completions for chat prompts, /v1/completions for raw text. One request per prompt carries all n
// samples. Bounded concurrency, retries with exponential backoff and full jitter on 429 / 5xx / timeouts /
// dropped connections / malformed bodies, a clear error for any other 4xx, and an on-disk response cache so an
// interrupted job resumes without paying twice.
//
//   const s = createOpenAISampler({ baseUrl: "http://localhost:8000/v1", model: "qwen", cacheDir: "runs/cache" });
//   const out = await s.sample([[{ role: "user", content: "1+1?" }]], { n: 4, maxTokens: 512, temperature: 0.7 });
import { HttpClient, TransportError } from "./openai-http.js";
import { ResponseCache, cacheKey, canonicalJson } from "./openai-cache.js";
import { backoffDelay, isRetryableStatus, type BackoffOptions } from "./openai-retry.js";
import { buildRequest, MalformedResponseError, parseResponse, toCompletions, type JsonObject, type JsonValue, type ParseOptions, type RequestShape } from "./openai-map.js";
import type { Completion, Prompt, SampleOptions, Sampler } from "./types.js";

export interface OpenAISamplerOptions {
  /** Up to and including /v1, e.g. "https://api.openai.com/v1" or "http://localhost:8000/v1". */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** "auto" (default): ChatMessage[] → chat completions, string → completions. "chat": strings become a user message. */
  mode?: RequestShape["mode"];
  /** Requests in flight at once, across all concurrent sample() calls (default 16). */
  concurrency?: number;
  /** Further attempts after the first (default 6). */
  maxRetries?: number;
  /** Deadline for one attempt, connect to last byte (default 600 000 ms: long reasoning traces are slow). */
  timeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Response cache folder; omitted = no cache. */
  cacheDir?: string;
  /** Sent as `reasoning_effort` (OpenAI o-series, gpt-oss on vLLM). */
  reasoningEffort?: string;
  /** Extra body fields passed through verbatim (they win over mapped fields). */
  extraBody?: JsonObject;
  /** Extra headers (e.g. OpenRouter's HTTP-Referer). */
  headers?: Record<string, string>;
  reasoning?: ParseOptions["reasoning"];
  /** Largest accepted response body (default 64 MiB). */
  maxResponseBytes?: number;
  /** Random source for jitter (tests pass a seeded one). */
  random?: () => number;
  /**
   * What a prompt that fails for good does to its sample() call. "throw" (default): the call rejects once the
   * requests in flight have finished. "empty": that prompt gets [] and the error is recorded in `failures` — for
   * long jobs where one prompt the server always refuses (e.g. longer than the context) must not sink the rest.
   * A function decides per refusal ("empty" or "throw"); an error it throws rejects the call instead of the
   * refusal (a job that must stop with its own one-line message, e.g. a prompt longer than the context).
   */
  onPromptError?: "throw" | "empty" | ((error: OpenAIRequestError, prompt: Prompt) => "throw" | "empty");
  /** Called before each retry, e.g. to log "429, retrying in 1.2 s". */
  onRetry?: (info: { promptIndex: number; attempt: number; delayMs: number; reason: string }) => void;
}

/** Running totals, for cost accounting and progress lines. */
export interface SamplerUsage {
  requests: number;      // answered by the server (each successful attempt)
  cacheHits: number;     // answered from the cache
  retries: number;       // attempts that failed and were retried
  promptTokens: number;  // from usage, server-answered requests only
  completionTokens: number;
}

/** A request that cannot succeed (non-retryable 4xx) or that failed on every attempt. */
export class OpenAIRequestError extends Error {
  override name = "OpenAIRequestError";
  constructor(message: string, readonly status: number | undefined, readonly promptIndex: number, readonly attempts: number) {
    super(message);
  }
}

/** Settings from flags first, then the environment (TRIMER_* over OPENAI_*). Throws naming what is missing. */
export function resolveOpenAIConfig(flags: { baseUrl?: string; apiKey?: string; model?: string }, env: NodeJS.ProcessEnv = process.env): { baseUrl: string; apiKey?: string; model: string } {
  const baseUrl = flags.baseUrl ?? env.TRIMER_BASE_URL ?? env.OPENAI_BASE_URL;
  const apiKey = flags.apiKey ?? env.TRIMER_API_KEY ?? env.OPENAI_API_KEY;
  const model = flags.model ?? env.TRIMER_MODEL;
  if (!baseUrl) throw new Error("no server URL: pass --url or set TRIMER_BASE_URL / OPENAI_BASE_URL (e.g. http://localhost:8000/v1)");
  if (!model) throw new Error("no model name: pass --model or set TRIMER_MODEL");
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new Error(`base URL "${baseUrl}" is not an http(s) URL`);
  }
  return apiKey ? { baseUrl, apiKey, model } : { baseUrl, model };
}

/** A counting semaphore: at most `limit` holders at once, FIFO. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) { this.active++; return; }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // hand the slot over directly: active stays the same
    else this.active--;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const m = typeof j.error === "string" ? j.error : j.error?.message ?? j.message ?? j.detail;
    if (typeof m === "string") return m.slice(0, 500);
  } catch { /* not JSON */ }
  return body.slice(0, 200).replace(/\s+/g, " ").trim() || "(empty body)";
}

export class OpenAISampler implements Sampler {
  readonly usage: SamplerUsage = { requests: 0, cacheHits: 0, retries: 0, promptTokens: 0, completionTokens: 0 };
  /** Prompts that got [] under onPromptError "empty" (indices are within their sample() call). */
  readonly failures: OpenAIRequestError[] = [];
  private readonly http: HttpClient;
  private readonly cache: ResponseCache | undefined;
  private readonly gate: Semaphore;
  private readonly root: string;
  private readonly headers: Record<string, string>;
  private readonly shape: RequestShape;
  private readonly backoff: BackoffOptions;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private cacheWarned = false;
  /** The server refused n > 1 once (llama.cpp's does): from then on, one request per sample. */
  private oneAtATime = false;

  constructor(private readonly opts: OpenAISamplerOptions) {
    const concurrency = opts.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
    this.http = new HttpClient({ maxSockets: concurrency, maxResponseBytes: opts.maxResponseBytes ?? 64 * 1024 * 1024 });
    this.cache = opts.cacheDir ? new ResponseCache(opts.cacheDir) : undefined;
    this.gate = new Semaphore(concurrency);
    this.root = opts.baseUrl.replace(/\/+$/, "");
    this.headers = { accept: "application/json", ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}), ...opts.headers };
    const extraBody: JsonObject = { ...(opts.reasoningEffort ? { reasoning_effort: opts.reasoningEffort } : {}), ...opts.extraBody };
    this.shape = { model: opts.model, mode: opts.mode ?? "auto", ...(Object.keys(extraBody).length ? { extraBody } : {}) };
    this.backoff = { baseMs: opts.backoff?.baseMs ?? 500, maxMs: opts.backoff?.maxMs ?? 60_000 };
    this.maxRetries = opts.maxRetries ?? 6;
    this.timeoutMs = opts.timeoutMs ?? 600_000;
  }

  /**
   * result[i][j] is completion j of prompt i. If any prompt fails for good, no new requests start, the ones in
   * flight finish (and are cached), then the first failure is thrown — so a rerun pays only for what is left.
   */
  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    const requests = prompts.map((p) => buildRequest(p, opts, this.shape));
    // Cache keys are only computed when there is a cache (hashing every request costs throughput otherwise).
    const seen = new Map<string, number>();
    const keys = this.cache ? requests.map((r) => {
      const c = canonicalJson({ path: r.path, body: r.body });
      const occurrence = seen.get(c) ?? 0;
      seen.set(c, occurrence + 1);
      return cacheKey(r.path, r.body, occurrence);
    }) : [];
    const results: Completion[][] = new Array(prompts.length);
    let firstError: unknown;
    await Promise.all(requests.map(async (req, i) => {
      await this.gate.acquire();
      try {
        if (firstError !== undefined) return;
        results[i] = await this.samples(req.path, req.body, req.endpoint, opts.n ?? 1, keys[i] ?? "", i);
      } catch (e) {
        let decision: "throw" | "empty" = "throw";
        let error = e;
        const policy = this.opts.onPromptError;
        if (e instanceof OpenAIRequestError && policy !== undefined) {
          try {
            decision = typeof policy === "function" ? policy(e, prompts[i]!) : policy;
          } catch (own) {
            error = own;
          }
        }
        if (decision === "empty") {
          results[i] = [];
          this.failures.push(e as OpenAIRequestError);
        } else {
          firstError ??= error;
        }
      } finally {
        this.gate.release();
      }
    }));
    if (firstError !== undefined) throw firstError;
    return results;
  }

  /**
   * n completions of one prompt: one request carrying n, or — when the server refuses n > 1 (a 400/422 that a
   * request with n = 1 does not get) — one request per sample (seeds seed, seed + 1, … when a seed was given).
   */
  private async samples(path: string, body: JsonObject, endpoint: "chat" | "completions", n: number, key: string, promptIndex: number): Promise<Completion[]> {
    if (n > 1 && !this.oneAtATime) {
      try {
        return await this.one(path, body, endpoint, n, key, promptIndex);
      } catch (e) {
        if (!(e instanceof OpenAIRequestError) || (e.status !== 400 && e.status !== 422)) throw e;
        let first: Completion[];
        try {
          first = await this.one(path, this.single(body, 0), endpoint, 1, this.singleKey(path, body, 0), promptIndex);
        } catch {
          throw e; // n = 1 is refused too: the original refusal was about something else
        }
        if (!this.oneAtATime) {
          this.oneAtATime = true;
          console.error(`note: the server refused n = ${n} (${e.message.replace(/^.*refused with /, "")}); sending one request per sample`);
        }
        const rest = await Promise.all(Array.from({ length: n - 1 }, (_, j) => this.one(path, this.single(body, j + 1), endpoint, 1, this.singleKey(path, body, j + 1), promptIndex)));
        return [...first, ...rest.flat()];
      }
    }
    if (n > 1) {
      return (await Promise.all(Array.from({ length: n }, (_, j) => this.one(path, this.single(body, j), endpoint, 1, this.singleKey(path, body, j), promptIndex)))).flat();
    }
    return this.one(path, body, endpoint, n, key, promptIndex);
  }

  /** Sample j of a body as a request of its own: n = 1, and a seed of its own when the body has one. */
  private single(body: JsonObject, j: number): JsonObject {
    const out: JsonObject = { ...body, n: 1 };
    if (typeof body.seed === "number") out.seed = body.seed + j;
    return out;
  }

  private singleKey(path: string, body: JsonObject, j: number): string {
    // Unseeded samples share a body: the occurrence index keeps their cache entries apart.
    return this.cache ? cacheKey(path, this.single(body, j), typeof body.seed === "number" ? 0 : j) : "";
  }

  private async one(path: string, body: JsonObject, endpoint: "chat" | "completions", n: number, key: string, promptIndex: number): Promise<Completion[]> {
    const parseOpts: ParseOptions = { reasoning: this.opts.reasoning ?? "think" };
    if (this.cache) {
      const hit = await this.cache.get(key, path, body);
      if (hit !== undefined) {
        try {
          const out = toCompletions(parseResponse(hit, endpoint, n, parseOpts));
          this.usage.cacheHits++;
          return out;
        } catch { /* a stored body that no longer parses is a miss */ }
      }
    }
    const url = new URL(this.root + path);
    const payload = JSON.stringify(body);
    const random = this.opts.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let status: number | undefined;
      let retryAfter: string | string[] | undefined;
      let retryAfterMs: string | string[] | undefined;
      try {
        const res = await this.http.post(url, payload, this.headers, this.timeoutMs);
        status = res.status;
        if (res.status >= 200 && res.status < 300) {
          let json: JsonValue;
          try {
            json = JSON.parse(res.body) as JsonValue;
          } catch {
            throw new MalformedResponseError(`response body is not JSON: ${res.body.slice(0, 80).replace(/\s+/g, " ")}`);
          }
          const parsed = parseResponse(json, endpoint, n, parseOpts);
          const out = toCompletions(parsed);
          this.usage.requests++;
          this.usage.promptTokens += parsed.promptTokens ?? 0;
          this.usage.completionTokens += out.reduce((s, c) => s + c.completionTokens, 0);
          if (this.cache) {
            // A failed cache write (disk full, read-only folder) must not throw away an answer already paid for:
            // warn once and go on; only resumption loses.
            await this.cache.put(key, path, body, json).catch((e: unknown) => {
              if (!this.cacheWarned) console.error(`warning: response cache write failed (${(e as Error).message}); continuing without caching`);
              this.cacheWarned = true;
            });
          }
          return out;
        }
        reason = `HTTP ${res.status}: ${serverMessage(res.body)}`;
        if (!isRetryableStatus(res.status)) {
          throw new OpenAIRequestError(`${url.pathname} for prompt ${promptIndex} refused with ${reason}`, res.status, promptIndex, attempt + 1);
        }
        retryAfter = res.headers["retry-after"];
        retryAfterMs = res.headers["retry-after-ms"];
      } catch (e) {
        if (e instanceof OpenAIRequestError) throw e;
        // An oversized body would be oversized again: retrying only pays for it twice.
        if (e instanceof TransportError && e.code === "ETOOLARGE") {
          throw new OpenAIRequestError(`${url.pathname} for prompt ${promptIndex}: ${e.message} (raise maxResponseBytes)`, undefined, promptIndex, attempt + 1);
        }
        // Transport failures and malformed bodies are transient more often than not (a restarting server, a
        // proxy's error page, a connection reset mid-body): retry them like a 5xx.
        if (e instanceof TransportError || e instanceof MalformedResponseError) { reason = e.message; status = undefined; }
        else throw e;
      }
      if (attempt >= this.maxRetries) {
        throw new OpenAIRequestError(`${url.pathname} for prompt ${promptIndex} failed after ${attempt + 1} attempts; last: ${reason}`, status, promptIndex, attempt + 1);
      }
      const delayMs = backoffDelay(attempt, this.backoff, random, retryAfter, retryAfterMs);
      this.usage.retries++;
      this.opts.onRetry?.({ promptIndex, attempt: attempt + 1, delayMs, reason });
      await sleep(delayMs);
    }
  }

  /** Closes idle connections so the process can exit promptly. */
  close(): void {
    this.http.close();
  }
}

export function createOpenAISampler(opts: OpenAISamplerOptions): OpenAISampler {
  return new OpenAISampler(opts);
}

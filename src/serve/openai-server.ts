// `trimer serve`'s HTTP side: an OpenAI-compatible server for an embedded-engine checkpoint.
//
//   GET  /v1/models, /v1/models/{id}   the served model
//   POST /v1/chat/completions   n, temperature, top_p, top_k, min_p, penalties, logit_bias, max_tokens, stop, seed,
//                               logprobs/top_logprobs, stream, continue_final_message (openai-protocol.ts)
//   POST /v1/completions        the same for text or token-id prompts (logprobs = k alternatives), echo with
//                               prompt logprobs (max_tokens 0 scores the prompt only), stream too
//   GET  /tokenizer_info, POST /tokenize, POST /detokenize   (also under /v1) the model's tokenizer, as vLLM serves
//                               it: lm-eval's remote tokenizer and NeMo-Skills use them
//   GET  /health
//
// Requests go through a request queue: the ContinuousBatcher (the CLI's; rows join the running batch between
// decode steps) or the whole-batch Batcher. Optional bearer token; limits on body size (413), n and max_tokens
// (400); every 400 names the field.
//
// Streaming: the role chunk goes out at once; with the ContinuousBatcher the text follows as it is decoded, one
// chunk per token (holding back a tail that could still become a stop string or an unfinished UTF-8 character;
// the engine reports each row's tokens every engine tick, so at --steps-per-tick N they arrive N at a time), then
// the finish_reason, optional usage, and `[DONE]`. With the whole-batch Batcher the text is sent token by token
// when the batch finishes.
import http from "node:http";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Completion } from "../engine/types.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { CHECKPOINT_PROMPT } from "../infer/prompts.js";
import type { BatchParams } from "./batcher.js";
import type { JobUpdate } from "./continuous.js";
import type { PromptLogprobs, PromptScorer } from "./prompt-logprobs.js";
import {
  BadRequest, chatLogprobs, parseSamplingRequest, reportedTokens, responseBody, streamPieces, usageOf,
  type Endpoint, type ProtocolLimits, type ResponseMeta, type SamplingRequest,
} from "./openai-protocol.js";

/** What the server submits requests to: Batcher (whole batches) or ContinuousBatcher (updates as decoded). */
export interface RequestQueue {
  readonly waiting: number;
  submit(rows: number[][], params: BatchParams, seed?: number, signal?: AbortSignal, onUpdate?: (u: JobUpdate) => void): Promise<Completion[]>;
}

export interface OpenAIServerOptions {
  batcher: RequestQueue;
  tokenizer: Tokenizer;
  /** The model's context length (prompt + completion). */
  contextLength: number;
  /** Scores prompts for echo + logprobs; without one such requests get a 400. */
  scorer?: PromptScorer;
  /** The name in /v1/models and the one requests must use (default "trimer"). */
  modelName?: string;
  /** Required bearer token; undefined = no auth. */
  token?: string;
  maxN?: number;            // default 16
  maxTokens?: number;       // largest max_tokens, default 4096
  maxPrompts?: number;      // prompts per /v1/completions request, default 256
  maxCompletions?: number;  // prompts × n per request, default 256
  maxStop?: number;         // stop strings per request, default 64
  maxBodyBytes?: number;    // default 4 MiB
  /** Requests waiting in the batcher beyond which new ones get 503 + retry-after (default 1024). */
  maxWaiting?: number;
  /** Receiving one request (headers and body), default 60 000 ms. */
  bodyTimeoutMs?: number;
  /** One line per request, e.g. console.error; default silent. */
  log?: (line: string) => void;
}

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function errorBody(message: string, type: string, param: string | null = null, code: string | null = null): { error: Record<string, string | null> } {
  return { error: { message, type, param, code } };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Reads the body up to `max` bytes; resolves null after answering 413 itself. */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    const tooLarge = (): void => {
      send(res, 413, errorBody(`the request body exceeds ${max} bytes`, "invalid_request_error", null, "request_too_large"), { connection: "close" });
      req.destroy();
      resolve(null);
    };
    if (Number.isFinite(declared) && declared > max) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        return tooLarge();
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on("error", (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

export interface RunningServer {
  /** Base URL up to and including /v1, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  port: number;
  server: http.Server;
  /** Stops accepting, lets requests in flight finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

export function createOpenAIServer(opts: OpenAIServerOptions): http.Server {
  const tok = opts.tokenizer;
  const modelName = opts.modelName ?? "trimer";
  const limits: ProtocolLimits = {
    maxN: opts.maxN ?? 16,
    maxTokens: opts.maxTokens ?? 4096,
    contextLength: opts.contextLength,
    maxStop: opts.maxStop ?? 64,
    maxPrompts: opts.maxPrompts ?? 256,
    maxCompletions: opts.maxCompletions ?? 256,
    modelNames: [modelName],
  };
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxWaiting = opts.maxWaiting ?? 1024;
  const stopIds: ReadonlySet<number> = new Set([tok.eos]);
  const started = Math.floor(Date.now() / 1000);
  const log = opts.log ?? ((): void => {});

  /** The parsed JSON body; undefined after answering 413 itself. */
  async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
    const raw = await readBody(req, res, maxBody);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch (e) {
      throw new BadRequest(`the body is not valid JSON (${(e as Error).message})`);
    }
  }

  const tokenText = (id: number): string => tok.tokenText(id) ?? tok.decode([id]);

  function tokenizerInfo(): Record<string, unknown> {
    return {
      tokenizer_class: "PreTrainedTokenizerFast", bos_token: tokenText(tok.bos), eos_token: tokenText(tok.eos),
      pad_token: tokenText(tok.pad), chat_template: tok.chatTemplate ?? null, model_max_length: opts.contextLength, vocab_size: tok.vocabSize,
    };
  }

  /** vLLM's /tokenize: {prompt, add_special_tokens (default true)} or {messages, add_generation_prompt, continue_final_message}. */
  async function handleTokenize(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readJson(req, res);
    if (body === undefined) return;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest(`the body must be a JSON object`);
    const b = body as Record<string, unknown>;
    if (b.model != null && b.model !== modelName) throw new BadRequest(`the model "${String(b.model)}" does not exist; this server serves "${modelName}"`, 404, "model", "model_not_found");
    const flag = (k: string, dflt: boolean): boolean => {
      if (b[k] == null) return dflt;
      if (typeof b[k] !== "boolean") throw new BadRequest(`"${k}" must be a boolean`, 400, k);
      return b[k] as boolean;
    };
    let tokens: number[];
    if (b.messages !== undefined) {
      // The chat path of parseSamplingRequest renders the messages (and validates them).
      const sr = parseSamplingRequest({ model: modelName, messages: b.messages, max_tokens: 1, add_generation_prompt: flag("add_generation_prompt", true), continue_final_message: flag("continue_final_message", false) }, "chat", tok, { ...limits, contextLength: Number.MAX_SAFE_INTEGER });
      tokens = sr.prompts[0]!;
    } else {
      if (typeof b.prompt !== "string") throw new BadRequest(`"prompt" must be a string (or send "messages")`, 400, "prompt");
      // As Hugging Face tokenizers do, special-token text becomes the special id (the client chose the text).
      tokens = [...(flag("add_special_tokens", true) ? [tok.bos] : []), ...tok.encode(b.prompt, { allowSpecial: true })];
    }
    send(res, 200, { count: tokens.length, max_model_len: opts.contextLength, tokens, token_strs: null });
  }

  async function handleDetokenize(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readJson(req, res);
    if (body === undefined) return;
    const ids = (body as { tokens?: unknown } | null)?.tokens;
    if (!Array.isArray(ids) || !ids.every((t) => typeof t === "number" && Number.isInteger(t) && t >= 0 && t < tok.vocabSize)) {
      throw new BadRequest(`"tokens" must be an array of token ids in [0, ${tok.vocabSize})`, 400, "tokens");
    }
    send(res, 200, { prompt: tok.decode(ids as number[]) });
  }

  async function handleSampling(req: http.IncomingMessage, res: http.ServerResponse, endpoint: Endpoint): Promise<void> {
    const body = await readJson(req, res);
    if (body === undefined) return;
    const sr = parseSamplingRequest(body, endpoint, tok, limits);
    if (sr.echo && sr.logprobs && !opts.scorer) throw new BadRequest(`"echo" with "logprobs" is not available on this server`, 400, "echo");
    if (opts.batcher.waiting >= maxWaiting) {
      send(res, 503, errorBody("the server is busy; retry", "server_error", null, "overloaded"), { "retry-after": "1" });
      return;
    }
    const meta: ResponseMeta = {
      id: `${endpoint === "chat" ? "chatcmpl" : "cmpl"}-${randomBytes(12).toString("hex")}`,
      created: Math.floor(Date.now() / 1000), model: modelName, tok, stopIds,
    };
    const rows: number[][] = [];
    for (const p of sr.prompts) for (let j = 0; j < sr.n; j++) rows.push(p);
    const t0 = Date.now();
    // A client that hangs up before its batch starts does not cost an engine call.
    const hangUp = new AbortController();
    res.on("close", () => { if (!res.writableFinished) hangUp.abort(); });
    if (sr.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      // The role chunk goes out at once, so a client sees the stream open before the batch runs.
      if (endpoint === "chat") {
        for (let i = 0; i < rows.length; i++) writeChunk(res, sr, meta, i, { role: "assistant", content: "" }, null);
      }
      const live = rows.map(() => ({ tokens: [] as number[], logprobs: [] as number[], topLogprobs: [] as { token: number; logprob: number }[][], sentText: "", sentTokens: 0, updates: 0 }));
      const stops = sr.params.stop.filter((x) => x.length > 0);
      // Sends the text decoded so far except a tail that may still change: a trailing U+FFFD (a UTF-8 character
      // split across tokens) or a suffix that begins a stop string.
      const onUpdate = (u: JobUpdate): void => {
        if (u.done || res.destroyed) return; // finished rows are flushed from their completion below
        const r = live[u.row]!;
        r.updates++;
        // One chunk per token, even when a tick reports several.
        u.tokens.forEach((t, k) => {
          r.tokens.push(t);
          r.logprobs.push(u.logprobs[k]!);
          if (u.topLogprobs) r.topLogprobs.push(u.topLogprobs[k]!);
          sendNew(u.row, r);
        });
      };
      const sendNew = (row: number, r: (typeof live)[number]): void => {
        let text = tok.decode(r.tokens, { skipSpecial: true });
        text = text.replace(/\uFFFD+$/, "");
        let hold = 0;
        for (const st of stops) for (let k = Math.min(st.length - 1, text.length); k > hold; k--) if (text.endsWith(st.slice(0, k))) { hold = k; break; }
        text = text.slice(0, text.length - hold);
        if (!text.startsWith(r.sentText) || text.length === r.sentText.length) return;
        const partial: Completion = { text, tokens: r.tokens, logprobs: r.logprobs, topLogprobs: r.topLogprobs, completionTokens: r.tokens.length, finishReason: "length" };
        writeChunk(res, sr, meta, row, { content: text.slice(r.sentText.length) }, null, sr.logprobs ? logprobsFor(sr, partial, r.sentTokens, r.tokens.length) : null);
        r.sentText = text;
        r.sentTokens = r.tokens.length;
      };
      let out: Completion[];
      try {
        out = await opts.batcher.submit(rows, sr.params, sr.seed, hangUp.signal, onUpdate);
        if (live.some((r) => r.updates > 0)) {
          // Incremental: each row's unsent text and logprobs, then its finish.
          out.forEach((c, i) => {
            const r = live[i]!;
            const end = reportedTokens(c, stopIds);
            // The tokens of the row's last tick, one chunk each, their text capped at the final text (a stop string
            // cuts it); whatever text is left goes with the last one.
            let sent = c.text.startsWith(r.sentText) ? r.sentText : c.text;
            for (let t = r.sentTokens; t < end; t++) {
              let piece: string;
              if (t === end - 1) piece = c.text.slice(sent.length);
              else {
                const upTo = tok.decode(c.tokens!.slice(0, t + 1), { skipSpecial: true }).replace(/\uFFFD+$/, "");
                piece = c.text.startsWith(upTo) && upTo.length > sent.length ? upTo.slice(sent.length) : "";
              }
              writeChunk(res, sr, meta, i, { content: piece }, null, sr.logprobs ? logprobsFor(sr, c, t, t + 1) : null);
              sent += piece;
            }
            if (sent.length < c.text.length) writeChunk(res, sr, meta, i, { content: c.text.slice(sent.length) }, null);
            writeChunk(res, sr, meta, i, {}, c.finishReason);
          });
          endStream(res, sr, meta, out);
          log(`${endpoint} stream n=${rows.length} tokens=${usageOf(sr, out).completion_tokens} ${Date.now() - t0}ms`);
          return;
        }
      } catch (e) {
        // Headers are sent: report the failure inside the stream, as OpenAI does.
        res.write(`data: ${JSON.stringify(errorBody(`sampling failed: ${(e as Error).message}`, "server_error"))}\n\n`);
        res.end();
        log(`${endpoint} stream failed: ${(e as Error).message}`);
        return;
      }
      streamCompletions(res, sr, meta, out);
      log(`${endpoint} stream n=${rows.length} tokens=${usageOf(sr, out).completion_tokens} ${Date.now() - t0}ms`);
      return;
    }
    let out: Completion[];
    let scores: PromptLogprobs[] | undefined;
    try {
      // Prompt logprobs (echo) are computed while the rows wait for or go through the batcher.
      const scoring = sr.echo && sr.logprobs ? opts.scorer!.scorePrompts(sr.prompts, sr.params.topLogprobs) : undefined;
      const sampling = sr.params.maxTokens === 0
        ? Promise.resolve(rows.map((p): Completion => ({ text: "", tokens: [], logprobs: [], completionTokens: 0, promptTokens: p.length, finishReason: "length" })))
        : opts.batcher.submit(rows, sr.params, sr.seed, hangUp.signal);
      [out, scores] = await Promise.all([sampling, scoring]);
    } catch (e) {
      if (hangUp.signal.aborted) return log(`${endpoint} withdrawn: the client hung up before sampling`);
      throw e;
    }
    send(res, 200, responseBody(sr, out, meta, scores));
    log(`${endpoint} n=${rows.length} tokens=${usageOf(sr, out).completion_tokens} ${Date.now() - t0}ms`);
  }

  function writeChunk(res: http.ServerResponse, sr: SamplingRequest, meta: ResponseMeta, index: number, delta: Record<string, unknown>, finish: string | null, logprobs: unknown = null): void {
    const chunk = sr.endpoint === "chat"
      ? { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model, choices: [{ index, delta, logprobs, finish_reason: finish }] }
      : { id: meta.id, object: "text_completion", created: meta.created, model: meta.model, choices: [{ index, text: (delta.content as string | undefined) ?? "", logprobs, finish_reason: finish }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  /** The logprobs of tokens [from, to) in the endpoint's stream format. */
  function logprobsFor(sr: SamplingRequest, c: Completion, from: number, to: number): unknown {
    const entries = chatLogprobs(c, tok, from, to);
    if (sr.endpoint === "chat") return { content: entries, refusal: null };
    const offsets: number[] = [];
    let at = 0;
    for (const e of entries) {
      offsets.push(at);
      at += e.token.length;
    }
    return {
      tokens: entries.map((e) => e.token), token_logprobs: entries.map((e) => e.logprob),
      top_logprobs: entries.map((e) => Object.fromEntries(e.top_logprobs.map((a) => [a.token, a.logprob]))), text_offset: offsets,
    };
  }

  function endStream(res: http.ServerResponse, sr: SamplingRequest, meta: ResponseMeta, out: Completion[]): void {
    if (sr.includeUsage) {
      const chunk = { id: meta.id, object: sr.endpoint === "chat" ? "chat.completion.chunk" : "text_completion", created: meta.created, model: meta.model, choices: [], usage: usageOf(sr, out) };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  }

  function streamCompletions(res: http.ServerResponse, sr: SamplingRequest, meta: ResponseMeta, out: Completion[]): void {
    out.forEach((c, i) => {
      const pieces = streamPieces(c, tok, stopIds);
      for (const p of pieces) {
        let lp: unknown = null;
        if (sr.logprobs && p.token !== undefined) {
          const entry = chatLogprobs(c, tok, p.token, p.token + 1);
          lp = sr.endpoint === "chat"
            ? { content: entry, refusal: null }
            : { tokens: [entry[0]!.token], token_logprobs: [entry[0]!.logprob], top_logprobs: [Object.fromEntries(entry[0]!.top_logprobs.map((a) => [a.token, a.logprob]))], text_offset: [0] };
        }
        writeChunk(res, sr, meta, i, { content: p.text }, null, lp);
      }
      writeChunk(res, sr, meta, i, {}, c.finishReason);
    });
    endStream(res, sr, meta, out);
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!.replace(/\/+$/, "") || "/";
    if (req.method === "GET" && path === "/health") return send(res, 200, { ok: true, waiting: opts.batcher.waiting });
    if (opts.token !== undefined) {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
      if (!m || !sameToken(m[1]!.trim(), opts.token)) {
        req.resume();
        log(`refused (401): ${m ? "wrong" : "no"} bearer token from ${req.socket.remoteAddress ?? "?"}`);
        return send(res, 401, errorBody(m ? "the bearer token is wrong" : "a bearer token is required (Authorization: Bearer …)", "invalid_request_error", null, "invalid_api_key"), { "www-authenticate": 'Bearer realm="trimer"' });
      }
    }
    // trimer_prompt: the checkpoint's default prompt, so that `trimer eval --url` asks this model what
    // `trimer eval --checkpoint` asks it (one default prompt, in-process and over HTTP; infer/prompts.ts).
    const modelObject = { id: modelName, object: "model", created: started, owned_by: "trimer", max_model_len: opts.contextLength, trimer_prompt: CHECKPOINT_PROMPT };
    const routes: Record<string, { method: string; run: () => Promise<void> | void }> = {
      "/v1/models": { method: "GET", run: () => send(res, 200, { object: "list", data: [modelObject] }) },
      "/v1/chat/completions": { method: "POST", run: () => handleSampling(req, res, "chat") },
      "/v1/completions": { method: "POST", run: () => handleSampling(req, res, "completions") },
    };
    for (const base of ["", "/v1"]) {
      routes[`${base}/tokenizer_info`] = { method: "GET", run: () => send(res, 200, tokenizerInfo()) };
      routes[`${base}/tokenize`] = { method: "POST", run: () => handleTokenize(req, res) };
      routes[`${base}/detokenize`] = { method: "POST", run: () => handleDetokenize(req, res) };
    }
    let route = routes[path];
    if (!route && path.startsWith("/v1/models/")) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice("/v1/models/".length));
      } catch {
        id = "";
      }
      route = {
        method: "GET",
        run: () => (id === modelName ? send(res, 200, modelObject)
          : send(res, 404, errorBody(`the model "${id}" does not exist; this server serves "${modelName}"`, "invalid_request_error", "model", "model_not_found"))),
      };
    }
    if (!route) {
      req.resume();
      return send(res, 404, errorBody(`no route ${req.method} ${path}; try GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /tokenizer_info, POST /tokenize, POST /detokenize`, "invalid_request_error", null, "not_found"));
    }
    if (req.method !== route.method) {
      req.resume();
      return send(res, 405, errorBody(`${path} takes ${route.method}`, "invalid_request_error"), { allow: route.method });
    }
    Promise.resolve()
      .then(route.run)
      .catch((e: unknown) => {
        if (e instanceof BadRequest) {
          log(`refused (${e.status}): ${e.message}`);
          send(res, e.status, errorBody(e.message, "invalid_request_error", e.param, e.code));
        } else {
          log(`failed: ${(e as Error).stack ?? String(e)}`);
          if (res.headersSent) res.end();
          else send(res, 500, errorBody(`internal error: ${(e as Error).message}`, "server_error"));
        }
      });
  });
  // Slow or stalled uploads must not hold a connection forever.
  server.requestTimeout = opts.bodyTimeoutMs ?? 60_000;
  server.headersTimeout = Math.min(server.requestTimeout, 30_000);
  return server;
}

/** Creates the server and listens; port 0 picks a free port. */
export async function startOpenAIServer(opts: OpenAIServerOptions & { host?: string; port?: number }): Promise<RunningServer> {
  const server = createOpenAIServer(opts);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/v1`,
    port,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

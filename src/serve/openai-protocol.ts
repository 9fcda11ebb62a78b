// The OpenAI wire format for `trimer serve`, as pure functions: request bodies → validated sampling requests
// (a BadRequest names the field that is wrong), and engine completions → response bodies / stream chunks.
// Follows the shapes the official `openai` client parses (chat.completion, chat.completion.chunk,
// text_completion). Unknown fields are ignored, as OpenAI-compatible servers commonly do, so that clients sending
// extra options (user, metadata, …) still work.
import type { ChatMessage, Completion } from "../engine/types.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { BatchParams } from "./batcher.js";

/** A request the server refuses: HTTP status, message naming the field, and the OpenAI error fields. */
export class BadRequest extends Error {
  constructor(message: string, readonly status = 400, readonly param: string | null = null, readonly code: string | null = null) {
    super(message);
    this.name = "BadRequest";
  }
}

export interface ProtocolLimits {
  /** Largest n (default 16). */
  maxN: number;
  /** Largest max_tokens (default 4096). */
  maxTokens: number;
  /** The model's context length (prompt + completion). */
  contextLength: number;
  /** Most stop strings (OpenAI allows 4; default 4). */
  maxStop: number;
  /** Names the server answers to. */
  modelNames: readonly string[];
}

export type Endpoint = "chat" | "completions";

/** A validated request: token rows to sample and how. */
export interface SamplingRequest {
  endpoint: Endpoint;
  model: string;
  /** One entry per prompt (completions may carry several; chat has one). */
  prompts: number[][];
  n: number;
  params: BatchParams;
  seed?: number;
  /** chat: logprobs true; completions: logprobs >= 0 given. */
  logprobs: boolean;
  stream: boolean;
  includeUsage: boolean;
}

type Json = Record<string, unknown>;

const typeName = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function optNumber(b: Json, field: string, lo: number, hi: number, opts: { integer?: boolean; loOpen?: boolean } = {}): number | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new BadRequest(`"${field}" must be a number, got ${typeName(v)}`, 400, field);
  if (opts.integer && !Number.isInteger(v)) throw new BadRequest(`"${field}" must be an integer, got ${v}`, 400, field);
  if ((opts.loOpen ? v <= lo : v < lo) || v > hi) {
    throw new BadRequest(`"${field}" must be in ${opts.loOpen ? "(" : "["}${lo}, ${hi}], got ${v}`, 400, field);
  }
  return v;
}

function optBool(b: Json, field: string): boolean | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new BadRequest(`"${field}" must be a boolean, got ${typeName(v)}`, 400, field);
  return v;
}

function stopList(b: Json, max: number): string[] {
  const v = b.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list)) throw new BadRequest(`"stop" must be a string or an array of strings, got ${typeName(v)}`, 400, "stop");
  if (list.length > max) throw new BadRequest(`"stop" has ${list.length} entries; at most ${max}`, 400, "stop");
  list.forEach((s, i) => {
    if (typeof s !== "string") throw new BadRequest(`"stop"[${i}] must be a string, got ${typeName(s)}`, 400, "stop");
  });
  return (list as string[]).filter((s) => s.length > 0);
}

function messageContent(m: Json, i: number): string {
  const c = m.content;
  if (typeof c === "string") return c;
  // The array form: only text parts (this is a text model).
  if (Array.isArray(c)) {
    return c.map((part: unknown, j) => {
      const p = part as Json;
      if (typeof p !== "object" || p === null || p.type !== "text" || typeof p.text !== "string") {
        throw new BadRequest(`"messages"[${i}].content[${j}] must be {"type": "text", "text": string} (this model reads text only)`, 400, "messages");
      }
      return p.text;
    }).join("");
  }
  throw new BadRequest(`"messages"[${i}].content must be a string or an array of text parts, got ${typeName(c)}`, 400, "messages");
}

function chatMessages(b: Json): ChatMessage[] {
  const ms = b.messages;
  if (!Array.isArray(ms)) throw new BadRequest(`"messages" must be an array, got ${typeName(ms)}`, 400, "messages");
  if (ms.length === 0) throw new BadRequest(`"messages" is empty`, 400, "messages");
  return ms.map((raw: unknown, i): ChatMessage => {
    const m = raw as Json;
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new BadRequest(`"messages"[${i}] must be an object`, 400, "messages");
    // "developer" is OpenAI's newer name for the system role.
    const role = m.role === "developer" ? "system" : m.role;
    if (role !== "system" && role !== "user" && role !== "assistant") {
      throw new BadRequest(`"messages"[${i}].role must be "system", "user" or "assistant", got ${JSON.stringify(m.role)}`, 400, "messages");
    }
    return { role, content: messageContent(m, i) };
  });
}

function completionPrompts(b: Json): string[] {
  const p = b.prompt;
  if (typeof p === "string") return [p];
  if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === "string")) return p as string[];
  if (Array.isArray(p) && p.length === 0) throw new BadRequest(`"prompt" is an empty array`, 400, "prompt");
  throw new BadRequest(`"prompt" must be a string or an array of strings (token-id prompts are not supported), got ${typeName(p)}`, 400, "prompt");
}

/** Validates a parsed JSON body for `endpoint` and encodes its prompt(s) with the model's tokenizer. */
export function parseSamplingRequest(body: unknown, endpoint: Endpoint, tok: Tokenizer, limits: ProtocolLimits): SamplingRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest(`the body must be a JSON object, got ${typeName(body)}`);
  const b = body as Json;
  if (typeof b.model !== "string") throw new BadRequest(`"model" must be a string, got ${typeName(b.model)}`, 400, "model");
  if (!limits.modelNames.includes(b.model)) {
    throw new BadRequest(`the model "${b.model}" does not exist; this server serves ${limits.modelNames.map((n) => `"${n}"`).join(", ")}`, 404, "model", "model_not_found");
  }
  let prompts: number[][];
  if (endpoint === "chat") {
    prompts = [tok.renderChat(chatMessages(b))];
  } else {
    if (b.echo === true) throw new BadRequest(`"echo" is not supported`, 400, "echo");
    if (b.suffix !== undefined && b.suffix !== null) throw new BadRequest(`"suffix" is not supported`, 400, "suffix");
    prompts = completionPrompts(b).map((p) => [tok.bos, ...tok.encode(p)]);
  }
  prompts.forEach((p, i) => {
    if (p.length >= limits.contextLength) {
      throw new BadRequest(`${endpoint === "chat" ? "the messages render to" : `prompt ${i} has`} ${p.length} tokens; the model's context length is ${limits.contextLength} (prompt + completion)`, 400, endpoint === "chat" ? "messages" : "prompt", "context_length_exceeded");
    }
  });
  const n = optNumber(b, "n", 1, limits.maxN, { integer: true }) ?? 1;
  if (n * prompts.length > limits.maxN) throw new BadRequest(`${prompts.length} prompts × n = ${n} is ${n * prompts.length} completions; at most ${limits.maxN}`, 400, "n");
  const temperature = optNumber(b, "temperature", 0, 2) ?? 1;
  const topP = optNumber(b, "top_p", 0, 1, { loOpen: true }) ?? 1;
  // top_k is a vLLM extension; -1 means off there.
  const topKRaw = optNumber(b, "top_k", -1, 1e9, { integer: true });
  const topK = topKRaw === undefined || topKRaw < 0 ? 0 : topKRaw;
  const mtField = endpoint === "chat" && b.max_completion_tokens !== undefined && b.max_completion_tokens !== null ? "max_completion_tokens" : "max_tokens";
  const longest = Math.max(...prompts.map((p) => p.length));
  const maxTokens = optNumber(b, mtField, 1, limits.maxTokens, { integer: true }) ?? Math.max(1, Math.min(limits.maxTokens, limits.contextLength - longest));
  const seedRaw = optNumber(b, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, { integer: true });
  const stop = stopList(b, limits.maxStop);
  let logprobs: boolean;
  let topLogprobs = 0;
  if (endpoint === "chat") {
    logprobs = optBool(b, "logprobs") ?? false;
    const t = optNumber(b, "top_logprobs", 0, 20, { integer: true });
    if (t !== undefined && !logprobs && t > 0) throw new BadRequest(`"top_logprobs" needs "logprobs": true`, 400, "top_logprobs");
    topLogprobs = t ?? 0;
  } else {
    const l = optNumber(b, "logprobs", 0, 5, { integer: true });
    logprobs = l !== undefined;
    topLogprobs = l ?? 0;
  }
  const stream = optBool(b, "stream") ?? false;
  const so = b.stream_options;
  if (so !== undefined && so !== null && (typeof so !== "object" || Array.isArray(so))) throw new BadRequest(`"stream_options" must be an object`, 400, "stream_options");
  const includeUsage = stream && (so as Json | null | undefined)?.include_usage === true;
  return {
    endpoint, model: b.model, prompts, n,
    params: { temperature, topP, topK, maxTokens, stop, topLogprobs },
    // sample.ts seeds with 32-bit values; fold larger seeds in deterministically.
    ...(seedRaw !== undefined ? { seed: ((seedRaw % 0x100000000) + 0x100000000) % 0x100000000 } : {}),
    logprobs, stream, includeUsage,
  };
}

/** The generated tokens that logprobs report: all of them except a trailing stop token (eos) that ended the row. */
export function reportedTokens(c: Completion, stopIds: ReadonlySet<number>): number {
  const t = c.tokens ?? [];
  return c.finishReason === "stop" && t.length > 0 && stopIds.has(t[t.length - 1]!) ? t.length - 1 : t.length;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

const bytesOf = (s: string): number[] => Array.from(Buffer.from(s, "utf8"));

/** Chat-style logprobs entries for tokens [from, to) of a completion. */
export function chatLogprobs(c: Completion, tok: Tokenizer, from: number, to: number): TokenLogprob[] {
  const out: TokenLogprob[] = [];
  for (let t = from; t < to; t++) {
    const s = tok.decode([c.tokens![t]!]);
    out.push({
      token: s, logprob: c.logprobs?.[t] ?? 0, bytes: bytesOf(s),
      top_logprobs: (c.topLogprobs?.[t] ?? []).map((a) => {
        const ts = typeof a.token === "number" ? tok.decode([a.token]) : a.token;
        return { token: ts, logprob: a.logprob, bytes: bytesOf(ts) };
      }),
    });
  }
  return out;
}

function completionLogprobs(c: Completion, tok: Tokenizer, stopIds: ReadonlySet<number>): Json {
  const k = reportedTokens(c, stopIds);
  const entries = chatLogprobs(c, tok, 0, k);
  const offsets: number[] = [];
  let at = 0;
  for (const e of entries) {
    offsets.push(at);
    at += e.token.length;
  }
  return {
    tokens: entries.map((e) => e.token),
    token_logprobs: entries.map((e) => e.logprob),
    top_logprobs: entries.map((e) => Object.fromEntries(e.top_logprobs.map((a) => [a.token, a.logprob]))),
    text_offset: offsets,
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(req: SamplingRequest, completions: Completion[]): Usage {
  const prompt = req.prompts.reduce((s, p) => s + p.length, 0);
  const completion = completions.reduce((s, c) => s + c.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
  tok: Tokenizer;
  /** Token ids that end a row (eos): left out of logprobs like they are left out of the text. */
  stopIds: ReadonlySet<number>;
}

/** completions[i] = choice i (prompt-major: prompt p, sample j → index p * n + j). */
export function responseBody(req: SamplingRequest, completions: Completion[], meta: ResponseMeta): Json {
  const usage = usageOf(req, completions);
  if (req.endpoint === "chat") {
    return {
      id: meta.id, object: "chat.completion", created: meta.created, model: meta.model,
      choices: completions.map((c, i) => ({
        index: i,
        message: { role: "assistant", content: c.text, refusal: null },
        logprobs: req.logprobs ? { content: chatLogprobs(c, meta.tok, 0, reportedTokens(c, meta.stopIds)), refusal: null } : null,
        finish_reason: c.finishReason,
      })),
      usage,
    };
  }
  return {
    id: meta.id, object: "text_completion", created: meta.created, model: meta.model,
    choices: completions.map((c, i) => ({
      index: i, text: c.text, logprobs: req.logprobs ? completionLogprobs(c, meta.tok, meta.stopIds) : null, finish_reason: c.finishReason,
    })),
    usage,
  };
}

/**
 * The pieces a finished completion is streamed in: one per generated token when the per-token decodes
 * concatenate to the text (true for the char tokenizer and for most BPE text), each with the index of its token;
 * otherwise the text in 16-character pieces (a token split inside a UTF-8 sequence decodes to U+FFFD alone).
 */
export function streamPieces(c: Completion, tok: Tokenizer, stopIds: ReadonlySet<number>): { text: string; token?: number }[] {
  const k = reportedTokens(c, stopIds);
  const pieces: { text: string; token?: number }[] = [];
  let joined = "";
  let ok = c.tokens !== undefined;
  for (let t = 0; ok && t < k && joined.length < c.text.length; t++) {
    const s = tok.decode([c.tokens![t]!], { skipSpecial: true });
    joined += s;
    if (!c.text.startsWith(joined) && !joined.startsWith(c.text)) ok = false;
    else pieces.push({ text: s, token: t });
  }
  if (ok && joined.length >= c.text.length) {
    // A stop string cuts the text inside the last token's piece: trim the excess.
    const excess = joined.length - c.text.length;
    if (excess > 0) pieces[pieces.length - 1]!.text = pieces[pieces.length - 1]!.text.slice(0, -excess);
    return pieces.filter((p) => p.text.length > 0 || p.token !== undefined);
  }
  const out: { text: string }[] = [];
  for (let i = 0; i < c.text.length; i += 16) out.push({ text: c.text.slice(i, i + 16) });
  return out;
}

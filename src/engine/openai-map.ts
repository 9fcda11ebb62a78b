// Pure translation between the engine's sampling API (Prompt, SampleOptions, Completion) and the OpenAI wire
// format of /v1/chat/completions and /v1/completions. No I/O here, so every mapping rule is testable on plain
// objects. The shapes follow OpenAI's API reference; vLLM, SGLang, llama.cpp and TGI speak the same dialect.
import type { ChatMessage, Completion, Prompt, SampleOptions } from "./types.js";

export type Endpoint = "chat" | "completions";

/** JSON values that can go into a request body (extraBody must be plain JSON so the cache key is canonical). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface RequestShape {
  model: string;
  /** "auto": chat messages → chat, strings → completions. "chat": strings become one user message. */
  mode: "auto" | "chat" | "completions";
  /** Passed through verbatim (e.g. `reasoning_effort`, vLLM's `repetition_penalty`); wins over mapped fields. */
  extraBody?: JsonObject;
}

export interface WireRequest {
  endpoint: Endpoint;
  /** "/chat/completions" or "/completions", relative to the base URL (which ends in /v1). */
  path: string;
  body: JsonObject;
}

/** Which endpoint a prompt goes to under a mode. */
export function endpointFor(prompt: Prompt, mode: RequestShape["mode"]): Endpoint {
  if (typeof prompt !== "string") {
    if (mode === "completions") throw new Error("chat messages cannot be sent to /v1/completions (mode \"completions\")");
    return "chat";
  }
  return mode === "chat" ? "chat" : "completions";
}

/** Builds the request body for one prompt; `n` completions come back in one response. */
export function buildRequest(prompt: Prompt, opts: SampleOptions, shape: RequestShape): WireRequest {
  const endpoint = endpointFor(prompt, shape.mode);
  const body: JsonObject = { model: shape.model };
  if (endpoint === "chat") {
    const messages: ChatMessage[] = typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
    body.messages = messages.map((m) => ({ role: m.role, content: m.content }));
  } else {
    body.prompt = prompt as string;
  }
  const n = opts.n ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  body.n = n;
  body.temperature = opts.temperature ?? 1;
  if (opts.topP !== undefined) body.top_p = opts.topP;
  // top_k and stop_token_ids are not in OpenAI's API; vLLM and SGLang accept them as extra sampling params.
  // They are sent only when asked for, so a strict server (OpenAI itself) only sees them if the caller wants.
  if (opts.topK) body.top_k = opts.topK;
  if (opts.stopTokens?.length) body.stop_token_ids = [...opts.stopTokens];
  // Chat uses max_completion_tokens on OpenAI (max_tokens is deprecated there and rejected by o-series models),
  // but most self-hosted servers still read max_tokens; sending max_tokens is the portable choice. A caller that
  // needs the new name sets it in extraBody (and may null out max_tokens there).
  body.max_tokens = opts.maxTokens;
  if (opts.stop?.length) body.stop = [...opts.stop];
  if (opts.seed !== undefined) body.seed = opts.seed;
  const wantLogprobs = opts.logprobs || (opts.topLogprobs ?? 0) > 0;
  if (wantLogprobs) {
    if (endpoint === "chat") {
      body.logprobs = true;
      if (opts.topLogprobs) body.top_logprobs = opts.topLogprobs;
    } else {
      // Legacy completions: an integer k returns the sampled token's logprob plus the k most likely ones.
      body.logprobs = opts.topLogprobs ?? 0;
    }
  }
  if (shape.extraBody) for (const [k, v] of Object.entries(shape.extraBody)) body[k] = v;
  return { endpoint, path: endpoint === "chat" ? "/chat/completions" : "/completions", body };
}

/** A response that is not what the protocol promises (a proxy's HTML page, a truncated body, missing fields). */
export class MalformedResponseError extends Error {
  override name = "MalformedResponseError";
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function num(x: unknown): number | undefined {
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

export interface ParsedChoice {
  text: string;
  finishReason: Completion["finishReason"];
  logprobs?: number[];
  topLogprobs?: { token: string; logprob: number }[][];
}

export interface ParsedResponse {
  choices: ParsedChoice[];
  promptTokens?: number;
  completionTokens?: number;
}

export interface ParseOptions {
  /** Reasoning models on vLLM/DeepSeek return the thinking in `reasoning_content` (or `reasoning`): wrap it in
   * <think>…</think> before the answer (default, what distillation wants) or drop it. */
  reasoning?: "think" | "drop";
}

function mapFinish(x: unknown): Completion["finishReason"] {
  // "length" is the only reason that means "cut off"; stop / content_filter / tool_calls / eos all ended the text.
  return x === "length" ? "length" : "stop";
}

function parseChatLogprobs(lp: unknown, where: string): Pick<ParsedChoice, "logprobs" | "topLogprobs"> {
  if (lp === null || lp === undefined) return {};
  if (!isObject(lp) || !Array.isArray(lp.content)) {
    if (isObject(lp) && lp.content === null) return {};
    throw new MalformedResponseError(`${where}.logprobs.content is not an array`);
  }
  const logprobs: number[] = [];
  const top: { token: string; logprob: number }[][] = [];
  let anyTop = false;
  lp.content.forEach((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.token !== "string" || num(t.logprob) === undefined && t.logprob !== null) {
      throw new MalformedResponseError(`${where}.logprobs.content[${i}] lacks token/logprob`);
    }
    // -Infinity is sent as null or a huge negative by some servers; keep -Infinity for null.
    logprobs.push(num(t.logprob) ?? -Infinity);
    const alts: { token: string; logprob: number }[] = [];
    if (Array.isArray(t.top_logprobs)) {
      anyTop = anyTop || t.top_logprobs.length > 0;
      for (const a of t.top_logprobs) {
        if (isObject(a) && typeof a.token === "string") alts.push({ token: a.token, logprob: num(a.logprob) ?? -Infinity });
      }
    }
    top.push(alts);
  });
  return anyTop ? { logprobs, topLogprobs: top } : { logprobs };
}

function parseCompletionLogprobs(lp: unknown, where: string): Pick<ParsedChoice, "logprobs" | "topLogprobs"> {
  if (lp === null || lp === undefined) return {};
  if (!isObject(lp) || !Array.isArray(lp.token_logprobs)) throw new MalformedResponseError(`${where}.logprobs.token_logprobs is not an array`);
  // The first token of an echoed prompt has a null logprob; generated tokens always have one.
  const logprobs = lp.token_logprobs.map((x: unknown) => num(x) ?? -Infinity);
  if (!Array.isArray(lp.top_logprobs)) return { logprobs };
  let anyTop = false;
  const top = lp.top_logprobs.map((m: unknown) => {
    if (!isObject(m)) return [];
    const alts = Object.entries(m).map(([token, v]) => ({ token, logprob: num(v) ?? -Infinity }));
    alts.sort((a, b) => b.logprob - a.logprob);
    anyTop = anyTop || alts.length > 0;
    return alts;
  });
  return anyTop ? { logprobs, topLogprobs: top } : { logprobs };
}

/** Validates and extracts a response body; throws MalformedResponseError naming the bad field. */
export function parseResponse(json: unknown, endpoint: Endpoint, expectedN: number, opts: ParseOptions = {}): ParsedResponse {
  if (!isObject(json)) throw new MalformedResponseError("response body is not a JSON object");
  if (!Array.isArray(json.choices)) throw new MalformedResponseError("response has no choices array");
  if (json.choices.length !== expectedN) {
    throw new MalformedResponseError(`response has ${json.choices.length} choices, expected n = ${expectedN}`);
  }
  // Servers return choices with an `index`; order by it so completion j is always choice j.
  const raw = json.choices.map((c: unknown, pos: number) => ({ c, idx: isObject(c) && Number.isInteger(c.index) ? (c.index as number) : pos }));
  raw.sort((a, b) => a.idx - b.idx);
  const choices = raw.map(({ c }, i): ParsedChoice => {
    const where = `choices[${i}]`;
    if (!isObject(c)) throw new MalformedResponseError(`${where} is not an object`);
    let text: string;
    let lp: Pick<ParsedChoice, "logprobs" | "topLogprobs">;
    if (endpoint === "chat") {
      const m = c.message;
      if (!isObject(m)) throw new MalformedResponseError(`${where}.message is missing`);
      if (m.content !== null && m.content !== undefined && typeof m.content !== "string") {
        throw new MalformedResponseError(`${where}.message.content is not a string`);
      }
      text = (m.content as string | null | undefined) ?? "";
      const reasoning = typeof m.reasoning_content === "string" ? m.reasoning_content : typeof m.reasoning === "string" ? m.reasoning : "";
      if (reasoning && (opts.reasoning ?? "think") === "think") text = `<think>\n${reasoning}\n</think>\n\n${text}`;
      lp = parseChatLogprobs(c.logprobs, where);
    } else {
      if (typeof c.text !== "string") throw new MalformedResponseError(`${where}.text is not a string`);
      text = c.text;
      lp = parseCompletionLogprobs(c.logprobs, where);
    }
    return { text, finishReason: mapFinish(c.finish_reason), ...lp };
  });
  const usage = isObject(json.usage) ? json.usage : undefined;
  return { choices, promptTokens: num(usage?.prompt_tokens), completionTokens: num(usage?.completion_tokens) };
}

/**
 * Splits a response's completion-token count over its choices. OpenAI reports usage per request, not per choice,
 * so with n > 1 the per-choice count must be derived:
 *   1. a choice with logprobs has exactly one entry per generated token — that count is exact;
 *   2. the rest share what usage has left, in proportion to their text length (longer text, more tokens), with
 *      largest-remainder rounding so the per-choice counts add up to usage exactly;
 *   3. without usage, ~4 characters per token (an estimate; marked nowhere else, so prefer servers with usage).
 */
export function splitCompletionTokens(choices: ParsedChoice[], total: number | undefined): number[] {
  const out = choices.map((c) => (c.logprobs ? c.logprobs.length : -1));
  const rest = out.map((v, i) => (v < 0 ? i : -1)).filter((i) => i >= 0);
  if (rest.length === 0) return out;
  if (total === undefined) {
    for (const i of rest) out[i] = Math.ceil(choices[i]!.text.length / 4);
    return out;
  }
  const known = out.reduce((s, v) => (v > 0 ? s + v : s), 0);
  const left = Math.max(0, total - known);
  const weights = rest.map((i) => Math.max(1, choices[i]!.text.length));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (left * w) / wsum);
  const floors = exact.map(Math.floor);
  let remaining = left - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, k) => ({ k, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.k - b.k);
  for (const { k } of order) {
    if (remaining <= 0) break;
    floors[k]!++;
    remaining--;
  }
  rest.forEach((i, k) => { out[i] = floors[k]!; });
  return out;
}

/** The engine's Completion records for one parsed response. */
export function toCompletions(parsed: ParsedResponse): Completion[] {
  const counts = splitCompletionTokens(parsed.choices, parsed.completionTokens);
  return parsed.choices.map((c, j) => {
    const out: Completion = { text: c.text, completionTokens: counts[j]!, finishReason: c.finishReason };
    if (parsed.promptTokens !== undefined) out.promptTokens = parsed.promptTokens;
    if (c.logprobs) out.logprobs = c.logprobs;
    if (c.topLogprobs) out.topLogprobs = c.topLogprobs;
    return out;
  });
}

/**
 * `--extra-body JSON`: a JSON object whose fields go into every request body verbatim (vLLM's sampling extras,
 * chat_template_kwargs, …). Throws naming the problem.
 */
export function parseExtraBody(text: string, flag = "--extra-body"): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${flag} is not valid JSON (${(e as Error).message}); e.g. ${flag} '{"min_p": 0.05, "chat_template_kwargs": {"enable_thinking": false}}'`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${flag} must be a JSON object, e.g. '{"top_k": 20}'`);
  for (const k of ["model", "messages", "prompt", "stream"]) if (k in v) throw new Error(`${flag} must not set "${k}" (trimer sets it)`);
  return v as JsonObject;
}

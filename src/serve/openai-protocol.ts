// The OpenAI wire format for `trimer serve`, as pure functions: request bodies → validated sampling requests
// (a BadRequest names the field that is wrong), and engine completions → response bodies / stream chunks.
// Follows the shapes the official `openai` client parses (chat.completion, chat.completion.chunk,
// text_completion), and the vLLM extensions that evaluation harnesses send (prompts as token ids, echo with prompt
// logprobs, top_k, min_p, repetition_penalty, stop_token_ids, min_tokens, continue_final_message). A parameter this
// server does not implement (response_format, tools, guided decoding, …) or does not know is refused with a 400
// naming it, rather than ignored: a client asking for JSON output or beam search must not get something else with
// a 200. Fields that change nothing here (user, metadata, store, …) are accepted.
import type { ChatMessage, Completion } from "../engine/types.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { LogitsParams } from "../model/logits-process.js";
import type { BatchParams } from "./batcher.js";
import type { PromptLogprobs } from "./prompt-logprobs.js";

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
  /** Most stop strings (OpenAI allows 4, vLLM has no cap; lm-eval sends 5 for some tasks). Default 64. */
  maxStop: number;
  /** Most prompts in one /v1/completions request (lm-eval batches 20 or more). Default 256. */
  maxPrompts?: number;
  /** Most completions (prompts × n) in one request. Default 256. */
  maxCompletions?: number;
  /** Names the server answers to. */
  modelNames: readonly string[];
}

/** Longest stop string, in characters. */
const MAX_STOP_CHARS = 1024;
/** Most logit_bias / stop_token_ids entries. */
const MAX_ID_LIST = 4096;
/** Most top logprobs per position (OpenAI: 20 for chat, 5 for completions; vLLM: 20). */
const MAX_TOP_LOGPROBS = 20;

export type Endpoint = "chat" | "completions";

/** A validated request: token rows to sample and how. */
export interface SamplingRequest {
  endpoint: Endpoint;
  model: string;
  /** One entry per prompt (completions may carry several; chat has one). */
  prompts: number[][];
  /**
   * completions with echo: each prompt's text as echoed (the text sent, or the decoded ids), and how many leading
   * ids the server added (the bos of a text prompt: no width in the echoed text).
   */
  echo?: { texts: string[]; added: number[] };
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
    if (s.length > MAX_STOP_CHARS) throw new BadRequest(`"stop"[${i}] has ${s.length} characters; at most ${MAX_STOP_CHARS}`, 400, "stop");
  });
  return [...new Set((list as string[]).filter((s) => s.length > 0))];
}

/** A list of token ids, each in [0, vocab). */
function idList(v: unknown, field: string, vocab: number, max: number): number[] {
  if (!Array.isArray(v)) throw new BadRequest(`"${field}" must be an array of token ids, got ${typeName(v)}`, 400, field);
  if (v.length > max) throw new BadRequest(`"${field}" has ${v.length} entries; at most ${max}`, 400, field);
  v.forEach((t, i) => {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t >= vocab) {
      throw new BadRequest(`"${field}"[${i}] must be a token id in [0, ${vocab}), got ${JSON.stringify(t)}`, 400, field);
    }
  });
  return v as number[];
}

// Parameters by what this server does with them. Anything not listed is refused as unknown.
/** Accepted and without effect here (bookkeeping fields, or options whose only value is what this server does). */
const IGNORED = new Set(["user", "metadata", "store", "service_tier", "request_id", "priority", "spaces_between_special_tokens", "stream_options"]);
/** Implemented by both endpoints. */
const COMMON = new Set([
  "model", "n", "temperature", "top_p", "top_k", "max_tokens", "stop", "seed", "stream", "logprobs", "min_p",
  "repetition_penalty", "presence_penalty", "frequency_penalty", "logit_bias", "stop_token_ids", "min_tokens",
  "skip_special_tokens", "ignore_eos", "include_stop_str_in_output", "best_of",
]);
const CHAT_ONLY = new Set(["messages", "max_completion_tokens", "top_logprobs", "add_generation_prompt", "continue_final_message",
  "response_format", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call", "modalities", "chat_template_kwargs", "echo"]);
const COMPLETIONS_ONLY = new Set(["prompt", "echo", "suffix"]);
/** Known and not implemented: a 400 says so (with why, where it helps). */
const REFUSED: Record<string, string> = {
  guided_json: "guided decoding is not supported", guided_regex: "guided decoding is not supported",
  guided_choice: "guided decoding is not supported", guided_grammar: "guided decoding is not supported",
  guided_decoding_backend: "guided decoding is not supported", structured_outputs: "structured outputs are not supported",
  use_beam_search: "beam search is not supported", length_penalty: "beam search is not supported",
  prompt_logprobs: "use \"echo\": true with \"logprobs\" on /v1/completions for prompt logprobs",
  truncate_prompt_tokens: "prompts are never truncated; send a shorter prompt", audio: "this model reads and writes text only",
  prediction: "predicted outputs are not supported", web_search_options: "web search is not supported",
  reasoning_effort: "this model has no reasoning-effort setting", return_tokens_as_token_ids: "not supported",
  chat_template: "the model's own chat template is always used", documents: "not supported", tool_choice_required: "not supported",
};

function checkParameters(b: Json, endpoint: Endpoint): void {
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined || v === null) continue;
    if (IGNORED.has(k) || COMMON.has(k)) continue;
    if (endpoint === "chat" ? CHAT_ONLY.has(k) : COMPLETIONS_ONLY.has(k)) continue;
    const why = REFUSED[k];
    if (why) throw new BadRequest(`"${k}" is not supported: ${why}`, 400, k, "unsupported_parameter");
    const other = endpoint === "chat" ? COMPLETIONS_ONLY.has(k) : CHAT_ONLY.has(k);
    throw new BadRequest(other
      ? `"${k}" is not a parameter of ${endpoint === "chat" ? "/v1/chat/completions" : "/v1/completions"}`
      : `unknown parameter "${k}"`, 400, k, "unsupported_parameter");
  }
  // Values that would ask for something this server does not do.
  const refuse = (k: string, why: string): never => { throw new BadRequest(`"${k}" is not supported: ${why}`, 400, k, "unsupported_parameter"); };
  const rf = b.response_format as Json | undefined | null;
  if (rf != null && !(typeof rf === "object" && rf.type === "text")) refuse("response_format", "only {\"type\": \"text\"} (no JSON mode or schemas)");
  if (Array.isArray(b.tools) ? b.tools.length > 0 : b.tools != null) refuse("tools", "this model does not call tools");
  if (b.tool_choice != null && b.tool_choice !== "none") refuse("tool_choice", "this model does not call tools");
  if (b.functions != null && !(Array.isArray(b.functions) && b.functions.length === 0)) refuse("functions", "this model does not call functions");
  if (b.function_call != null && b.function_call !== "none") refuse("function_call", "this model does not call functions");
  if (b.parallel_tool_calls === true) refuse("parallel_tool_calls", "this model does not call tools");
  if (b.modalities != null && !(Array.isArray(b.modalities) && b.modalities.every((m) => m === "text"))) refuse("modalities", "text only");
  const ctk = b.chat_template_kwargs;
  if (ctk != null && !(typeof ctk === "object" && !Array.isArray(ctk) && Object.keys(ctk).length === 0)) refuse("chat_template_kwargs", "the chat template takes no extra variables here");
  if (endpoint === "chat" && b.echo === true) refuse("echo", "echo is available on /v1/completions");
  if (b.skip_special_tokens === false) refuse("skip_special_tokens", "special tokens are always left out of the text");
  if (b.ignore_eos === true) refuse("ignore_eos", "generation always stops at eos");
  if (b.include_stop_str_in_output === true) refuse("include_stop_str_in_output", "the stop string is always cut from the text");
  if (typeof b.suffix === "string" ? b.suffix.length > 0 : b.suffix != null) refuse("suffix", "insertion (fill-in-the-middle) is not supported");
  if (b.best_of != null && b.best_of !== 1 && b.best_of !== (b.n ?? 1)) refuse("best_of", "best_of must equal n (no server-side reranking)");
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

/** A /v1/completions prompt: text (bos is added), or token ids (used exactly as sent, as vLLM does). */
type CompletionPrompt = { text: string } | { ids: number[] };

function completionPrompts(b: Json, vocab: number): CompletionPrompt[] {
  const p = b.prompt;
  const isIds = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((t) => typeof t === "number");
  const ids = (x: unknown[], field: string): number[] => idList(x, field, vocab, Number.MAX_SAFE_INTEGER);
  if (typeof p === "string") return [{ text: p }];
  if (Array.isArray(p) && p.length === 0) throw new BadRequest(`"prompt" is an empty array`, 400, "prompt");
  if (isIds(p)) return [{ ids: ids(p, "prompt") }];
  if (Array.isArray(p) && p.every((x) => typeof x === "string")) return (p as string[]).map((text) => ({ text }));
  if (Array.isArray(p) && p.every((x) => Array.isArray(x))) {
    return (p as unknown[][]).map((x, i) => {
      if (x.length === 0) throw new BadRequest(`"prompt"[${i}] is an empty list of token ids`, 400, "prompt");
      return { ids: ids(x, `prompt[${i}]`) };
    });
  }
  throw new BadRequest(`"prompt" must be a string, an array of strings, an array of token ids or an array of arrays of token ids, got ${typeName(p)}`, 400, "prompt");
}

function logitBias(b: Json, vocab: number): [number, number][] | undefined {
  const v = b.logit_bias;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new BadRequest(`"logit_bias" must be an object of token id → bias, got ${typeName(v)}`, 400, "logit_bias");
  const entries = Object.entries(v as Json);
  if (entries.length > MAX_ID_LIST) throw new BadRequest(`"logit_bias" has ${entries.length} entries; at most ${MAX_ID_LIST}`, 400, "logit_bias");
  return entries.map(([k, x]): [number, number] => {
    const id = Number(k);
    if (!/^\d+$/.test(k) || id >= vocab) throw new BadRequest(`"logit_bias" key ${JSON.stringify(k)} is not a token id in [0, ${vocab})`, 400, "logit_bias");
    if (typeof x !== "number" || !Number.isFinite(x) || x < -100 || x > 100) throw new BadRequest(`"logit_bias"[${k}] must be a number in [-100, 100], got ${JSON.stringify(x)}`, 400, "logit_bias");
    return [id, x];
  });
}

/** Validates a parsed JSON body for `endpoint` and encodes its prompt(s) with the model's tokenizer. */
export function parseSamplingRequest(body: unknown, endpoint: Endpoint, tok: Tokenizer, limits: ProtocolLimits): SamplingRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest(`the body must be a JSON object, got ${typeName(body)}`);
  const b = body as Json;
  if (typeof b.model !== "string") throw new BadRequest(`"model" must be a string, got ${typeName(b.model)}`, 400, "model");
  if (!limits.modelNames.includes(b.model)) {
    throw new BadRequest(`the model "${b.model}" does not exist; this server serves ${limits.modelNames.map((n) => `"${n}"`).join(", ")}`, 404, "model", "model_not_found");
  }
  checkParameters(b, endpoint);
  const maxPrompts = limits.maxPrompts ?? 256;
  const maxCompletions = limits.maxCompletions ?? 256;
  let prompts: number[][];
  let echo: SamplingRequest["echo"];
  if (endpoint === "chat") {
    const addGen = optBool(b, "add_generation_prompt") ?? true;
    const cont = optBool(b, "continue_final_message") ?? false;
    if (cont && optBool(b, "add_generation_prompt") === true) {
      throw new BadRequest(`"continue_final_message" and "add_generation_prompt" cannot both be true`, 400, "continue_final_message");
    }
    const messages = chatMessages(b);
    if (cont && messages[messages.length - 1]!.role !== "assistant") {
      throw new BadRequest(`"continue_final_message" needs the last message to be the assistant's`, 400, "continue_final_message");
    }
    try {
      prompts = [tok.renderChat(messages, { addGenerationPrompt: addGen, continueFinalMessage: cont })];
    } catch (e) {
      throw new BadRequest(`the messages cannot be rendered with the model's chat template: ${(e as Error).message}`, 400, "messages");
    }
  } else {
    const list = completionPrompts(b, tok.vocabSize);
    if (list.length > maxPrompts) throw new BadRequest(`"prompt" has ${list.length} prompts; at most ${maxPrompts} per request`, 400, "prompt");
    prompts = list.map((p) => ("ids" in p ? p.ids : [tok.bos, ...tok.encode(p.text)]));
    if (optBool(b, "echo") === true) {
      echo = { texts: list.map((p) => ("ids" in p ? tok.decode(p.ids, { skipSpecial: true }) : p.text)), added: list.map((p) => ("ids" in p ? 0 : 1)) };
    }
  }
  const n = optNumber(b, "n", 1, limits.maxN, { integer: true }) ?? 1;
  if (n * prompts.length > maxCompletions) throw new BadRequest(`${prompts.length} prompts × n = ${n} is ${n * prompts.length} completions; at most ${maxCompletions}`, 400, "n");
  const temperature = optNumber(b, "temperature", 0, 2) ?? 1;
  const topP = optNumber(b, "top_p", 0, 1, { loOpen: true }) ?? 1;
  // top_k is a vLLM extension; -1 means off there.
  const topKRaw = optNumber(b, "top_k", -1, 1e9, { integer: true });
  const topK = topKRaw === undefined || topKRaw < 0 ? 0 : topKRaw;
  const mtField = endpoint === "chat" && b.max_completion_tokens !== undefined && b.max_completion_tokens !== null ? "max_completion_tokens" : "max_tokens";
  const longest = Math.max(...prompts.map((p) => p.length));
  // max_tokens 0 only makes sense with echo (score the prompt, generate nothing).
  const mtRaw = optNumber(b, mtField, echo ? 0 : 1, limits.maxTokens, { integer: true });
  const ctx = limits.contextLength;
  prompts.forEach((p, i) => {
    // A prompt that is only scored (echo, max_tokens 0) may fill the context; one that generates must leave room.
    const room = echo && mtRaw === 0 ? ctx + 1 : ctx;
    if (p.length >= room) {
      throw new BadRequest(`${endpoint === "chat" ? "the messages render to" : `prompt ${i} has`} ${p.length} tokens; the model's context length is ${ctx} (prompt + completion)`, 400, endpoint === "chat" ? "messages" : "prompt", "context_length_exceeded");
    }
    if (mtRaw !== undefined && p.length + mtRaw > ctx) {
      throw new BadRequest(`${endpoint === "chat" ? "the messages render to" : `prompt ${i} has`} ${p.length} tokens and ${mtField} is ${mtRaw}: ${p.length + mtRaw} tokens exceed the model's context length of ${ctx}`, 400, mtField, "context_length_exceeded");
    }
  });
  const maxTokens = mtRaw ?? Math.max(1, Math.min(limits.maxTokens, ctx - longest));
  const seedRaw = optNumber(b, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, { integer: true });
  const stop = stopList(b, limits.maxStop);
  let logprobs: boolean;
  let topLogprobs = 0;
  if (endpoint === "chat") {
    logprobs = optBool(b, "logprobs") ?? false;
    const t = optNumber(b, "top_logprobs", 0, MAX_TOP_LOGPROBS, { integer: true });
    if (t !== undefined && !logprobs && t > 0) throw new BadRequest(`"top_logprobs" needs "logprobs": true`, 400, "top_logprobs");
    topLogprobs = t ?? 0;
  } else {
    const l = optNumber(b, "logprobs", 0, MAX_TOP_LOGPROBS, { integer: true });
    logprobs = l !== undefined;
    topLogprobs = l ?? 0;
  }
  const stream = optBool(b, "stream") ?? false;
  if (stream && echo) throw new BadRequest(`"echo" with "stream" is not supported; send the request without "stream"`, 400, "echo");
  const so = b.stream_options;
  if (so !== undefined && so !== null && (typeof so !== "object" || Array.isArray(so))) throw new BadRequest(`"stream_options" must be an object`, 400, "stream_options");
  const includeUsage = stream && (so as Json | null | undefined)?.include_usage === true;
  // Sampling adjustments (model/logits-process.ts).
  const lp: LogitsParams = {};
  const minP = optNumber(b, "min_p", 0, 1);
  if (minP) lp.minP = minP;
  const rep = optNumber(b, "repetition_penalty", 0, 100, { loOpen: true });
  if (rep !== undefined && rep !== 1) lp.repetitionPenalty = rep;
  const pres = optNumber(b, "presence_penalty", -2, 2);
  if (pres) lp.presencePenalty = pres;
  const freq = optNumber(b, "frequency_penalty", -2, 2);
  if (freq) lp.frequencyPenalty = freq;
  const bias = logitBias(b, tok.vocabSize);
  if (bias?.length) lp.logitBias = bias;
  const stopTokenIds = b.stop_token_ids == null ? [] : idList(b.stop_token_ids, "stop_token_ids", tok.vocabSize, MAX_ID_LIST);
  const minTokens = optNumber(b, "min_tokens", 0, limits.maxTokens, { integer: true });
  if (minTokens) {
    if (minTokens > maxTokens) throw new BadRequest(`"min_tokens" (${minTokens}) exceeds ${mtField} (${maxTokens})`, 400, "min_tokens");
    lp.minTokens = minTokens;
    lp.minTokensStop = [tok.eos, ...stopTokenIds];
  }
  const params: BatchParams = { temperature, topP, topK, maxTokens, stop, topLogprobs };
  if (Object.keys(lp).length) params.logits = lp;
  if (stopTokenIds.length) params.stopTokenIds = [...new Set(stopTokenIds)];
  return {
    endpoint, model: b.model, prompts, ...(echo ? { echo } : {}), n,
    params,
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

/** An echoed prompt: its ids, their scores (null when logprobs were not asked for) and the ids the server added. */
export interface EchoedPrompt {
  ids: number[];
  scores: PromptLogprobs | null;
  added: number;
}

/**
 * Legacy completions logprobs: tokens, token_logprobs, top_logprobs (a token → logprob object that, as OpenAI's,
 * also holds the chosen token) and text_offset (each token's start in the choice's text). With echo, the prompt's
 * tokens come first, the first one with null logprobs (nothing precedes it); ids the server added (a text prompt's
 * bos) take no width in the text.
 */
function completionLogprobs(c: Completion, tok: Tokenizer, stopIds: ReadonlySet<number>, echo?: EchoedPrompt): Json {
  const tokens: string[] = [], lps: (number | null)[] = [], tops: (Record<string, number> | null)[] = [], offsets: number[] = [];
  let at = 0;
  const add = (s: string, lp: number | null, top: Record<string, number> | null, width: number): void => {
    tokens.push(s); lps.push(lp); tops.push(top); offsets.push(at);
    at += width;
  };
  const topObject = (alts: { token: string; logprob: number }[], chosen: string, lp: number): Record<string, number> => {
    // Distinct ids can share a string (byte-fallback tokens of a split character all read U+FFFD): the most
    // likely keeps the key, except that the chosen token's own logprob always stands under its string.
    const o: Record<string, number> = {};
    for (const a of alts) if (!(a.token in o)) o[a.token] = a.logprob;
    o[chosen] = lp;
    return o;
  };
  if (echo) {
    echo.ids.forEach((id, t) => {
      const s = tok.decode([id]);
      const width = t < echo.added ? 0 : tok.decode([id], { skipSpecial: true }).length;
      if (t === 0 || !echo.scores) return add(s, null, null, width);
      const lp = echo.scores.logprobs[t - 1]!;
      const alts = echo.scores.top[t - 1]!.map((a) => ({ token: tok.decode([a.token]), logprob: a.logprob }));
      add(s, lp, topObject(alts, s, lp), width);
    });
  }
  for (const e of chatLogprobs(c, tok, 0, reportedTokens(c, stopIds))) add(e.token, e.logprob, topObject(e.top_logprobs, e.token, e.logprob), e.token.length);
  return { tokens, token_logprobs: lps, top_logprobs: tops, text_offset: offsets };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(req: SamplingRequest, completions: Completion[]): Usage {
  // A request that only scores its prompts (echo, max_tokens 0) still counts them.
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

/**
 * completions[i] = choice i (prompt-major: prompt p, sample j → index p * n + j). `scores[p]`: prompt p's logprobs
 * (echo with logprobs).
 */
export function responseBody(req: SamplingRequest, completions: Completion[], meta: ResponseMeta, scores?: PromptLogprobs[]): Json {
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
    choices: completions.map((c, i) => {
      const p = Math.floor(i / req.n);
      const echo: EchoedPrompt | undefined = req.echo ? { ids: req.prompts[p]!, scores: scores?.[p] ?? null, added: req.echo.added[p]! } : undefined;
      return {
        index: i, text: req.echo ? req.echo.texts[p]! + c.text : c.text,
        logprobs: req.logprobs ? completionLogprobs(c, meta.tok, meta.stopIds, echo) : null, finish_reason: c.finishReason,
      };
    }),
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

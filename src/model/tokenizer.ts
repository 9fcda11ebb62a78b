// Tokenizers for the embedded engine. The default is a character-level vocabulary for math text: every digit is
// its own token (so the model sees place value the same way in every number, which BPE vocabularies break up
// unevenly), plus letters, punctuation and the characters LaTeX uses, and single-id special tokens for the chat
// roles and the think / answer markers. Real models bring a Hugging Face tokenizer.json (./hf-tokenizer.ts);
// `tokenizerFromJSON` accepts either.
//
// Unknown characters: new vocabularies carry 256 byte-fallback tokens <0x00>..<0xFF> after the characters (as
// SentencePiece-style Llama tokenizers do), so any UTF-8 text encodes (a character outside the vocabulary becomes
// its UTF-8 bytes) and round-trips; llama.cpp's tokenizer aborts on a character it cannot encode otherwise.
// Vocabularies saved before that (no "byte_fallback") keep their ids and map unknown characters to <unk>.
// "\r\n" is normalised to "\n" before encoding.
//
// On disk a checkpoint stores this vocabulary as a standard Hugging Face tokenizer.json (./hf-format.ts: BPE with no
// merges over the same characters, specials as added tokens); the old `trimer-char` file still loads.
//
// Special tokens: the text "<think>" is encoded as the single special id only when the caller passes
// `allowSpecial: true` (text the pipeline wrote itself). By default it is spelled out character by character, so
// untrusted text (a problem statement, a model's output fed back in) cannot inject a role switch or an eos.
import type { ChatMessage } from "./types.js";
import { charTokenizerFromHF } from "./hf-format.js";
import { hfTokenizerFromJSON, isHFTokenizerJSON, type HFTokenizerJSON, type HFTokenizerOptions } from "./hf-tokenizer.js";

export interface EncodeOptions {
  /** Recognise special-token text (e.g. "<think>") as the special id. Off by default: see the header. */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens instead of rendering their text. */
  skipSpecial?: boolean;
}

export interface ChatOptions {
  /** End with the assistant role token, ready to generate (default true). */
  addGenerationPrompt?: boolean;
  /** Passed to encode for message contents (default false: contents are untrusted). */
  allowSpecial?: boolean;
  /**
   * End inside the final (assistant) message, without its turn terminator, so that generation continues it
   * (vLLM's / transformers' continue_final_message). Implies no generation prompt.
   */
  continueFinalMessage?: boolean;
}

/** Where each message's content lies in a rendered chat: tokens[start, end) (end excludes the turn terminator). */
export interface ChatSpan {
  role: ChatMessage["role"];
  start: number;
  end: number;
}

export interface Tokenizer {
  readonly vocabSize: number;
  /** The Jinja chat template renderChat follows (tokenizer_config.json's chat_template), when the model has one. */
  readonly chatTemplate: string | undefined;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: number[], opts?: DecodeOptions): string;
  /** Id of a special token by its text ("<think>", "<|user|>", ...), undefined when the vocabulary lacks it. */
  tokenId(special: string): number | undefined;
  /** A token's vocabulary entry ("<pad>", "a", "<0x0A>"), whatever decode() renders for it; undefined when out of range. */
  tokenText(id: number): string | undefined;
  /** Renders chat messages with role tokens, ending with the assistant turn opener (ready to generate). */
  renderChat(messages: ChatMessage[], opts?: ChatOptions): number[];
  /** renderChat plus the span of each message's content (for loss masks: train on assistant spans only). */
  renderChatSpans(messages: ChatMessage[], opts?: ChatOptions): { tokens: number[]; spans: ChatSpan[] };
  toJSON(): TokenizerJSON;
}

/** The serialisable form of trimer's character-level tokenizer. */
export interface CharTokenizerJSON {
  type: "trimer-char";
  version: 1;
  /** Special tokens, ids 0..special.length-1 in this order. */
  special: string[];
  /** Single characters (code points), ids special.length.. in this order. */
  chars: string[];
  /** 256 byte tokens <0x00>..<0xFF> follow the characters; unknown characters encode as their UTF-8 bytes. */
  byte_fallback?: boolean;
}

export type TokenizerJSON = CharTokenizerJSON | HFTokenizerJSON;

export const SPECIAL_TOKENS = [
  "<pad>", "<bos>", "<eos>", "<unk>",
  "<|system|>", "<|user|>", "<|assistant|>",
  "<think>", "</think>", "<answer>", "</answer>",
] as const;

/** Math symbols beyond ASCII that appear in problem statements often enough to deserve an id. */
const EXTRA_CHARS = ["×", "÷", "−", "±", "≤", "≥", "≠", "≈", "∞", "π", "√", "·", "°"];

function defaultChars(): string[] {
  const chars = ["\n", "\t"];
  for (let c = 0x20; c <= 0x7e; c++) chars.push(String.fromCharCode(c));
  return [...chars, ...EXTRA_CHARS];
}

const MAX_ENCODE_CHARS = 64 * 1024 * 1024; // a hard limit on input size: larger text is a caller bug

/** "<0x0A>": the byte-fallback token of one byte, as SentencePiece and Hugging Face name it. */
export function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * The Jinja chat template equivalent to CharTokenizer.renderChat (written to tokenizer_config.json so that
 * transformers' apply_chat_template, vLLM and lm-eval render trimer's chat format themselves).
 */
export const CHAR_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}" +
  "{% if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('roles are system, user and assistant') }}{% endif %}" +
  "{{ '<|' + message['role'] + '|>' + message['content'] + eos_token }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
const ROLE_TOKEN: Record<ChatMessage["role"], string> = {
  system: "<|system|>",
  user: "<|user|>",
  assistant: "<|assistant|>",
};

class CharTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly chatTemplate = CHAR_CHAT_TEMPLATE;
  private readonly unk: number;
  private readonly pieces: string[];
  /** Id of byte 0's token when the vocabulary has byte fallback (ids byte0..byte0+255), else -1. */
  private readonly byte0: number;
  private readonly charId = new Map<string, number>();
  private readonly specialId = new Map<string, number>();
  private readonly nSpecial: number;

  constructor(private readonly json: CharTokenizerJSON) {
    this.pieces = [...json.special, ...json.chars];
    this.byte0 = json.byte_fallback ? this.pieces.length : -1;
    if (json.byte_fallback) for (let b = 0; b < 256; b++) this.pieces.push(byteToken(b));
    this.vocabSize = this.pieces.length;
    this.nSpecial = json.special.length;
    json.special.forEach((s, i) => {
      if (this.specialId.has(s)) throw new Error(`tokenizer: special token ${JSON.stringify(s)} is listed twice`);
      this.specialId.set(s, i);
    });
    json.chars.forEach((c, i) => {
      if ([...c].length !== 1) throw new Error(`tokenizer: chars[${i}] = ${JSON.stringify(c)} is not a single character`);
      if (this.charId.has(c)) throw new Error(`tokenizer: character ${JSON.stringify(c)} is listed twice`);
      this.charId.set(c, this.nSpecial + i);
    });
    const need = (s: string): number => {
      const id = this.specialId.get(s);
      if (id === undefined) throw new Error(`tokenizer: the special token ${s} is missing`);
      return id;
    };
    this.pad = need("<pad>");
    this.bos = need("<bos>");
    this.eos = need("<eos>");
    this.unk = need("<unk>");
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (text.length > MAX_ENCODE_CHARS) throw new Error(`tokenizer: text of ${text.length} characters exceeds the ${MAX_ENCODE_CHARS} limit`);
    const src = text.includes("\r\n") ? text.replace(/\r\n/g, "\n") : text;
    const out: number[] = [];
    const specials = opts.allowSpecial ? [...this.specialId.entries()] : [];
    let i = 0;
    while (i < src.length) {
      if (specials.length && src.charCodeAt(i) === 0x3c /* < */) {
        let matched = false;
        for (const [s, id] of specials) {
          if (src.startsWith(s, i)) {
            out.push(id);
            i += s.length;
            matched = true;
            break;
          }
        }
        if (matched) continue;
      }
      const cp = src.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const id = this.charId.get(ch);
      if (id !== undefined) out.push(id);
      else if (this.byte0 >= 0) for (const b of utf8.encode(ch)) out.push(this.byte0 + b);
      else out.push(this.unk);
      i += ch.length;
    }
    return out;
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    let s = "";
    let bytes: number[] = [];
    // Consecutive byte tokens decode together (a character's UTF-8 sequence spans several); an incomplete or
    // invalid sequence becomes U+FFFD, as in Hugging Face's ByteFallback decoder.
    const flush = (): void => {
      if (bytes.length) s += utf8Decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const piece = this.pieces[id];
      if (piece === undefined) throw new Error(`tokenizer: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      if (this.byte0 >= 0 && id >= this.byte0) {
        bytes.push(id - this.byte0);
        continue;
      }
      flush();
      // <pad> never renders: it fills batch rows and is not text.
      if (id < this.nSpecial && (opts.skipSpecial || id === this.pad)) continue;
      s += piece;
    }
    flush();
    return s;
  }

  tokenId(special: string): number | undefined {
    return this.specialId.get(special);
  }

  tokenText(id: number): string | undefined {
    return this.pieces[id];
  }

  renderChat(messages: ChatMessage[], opts: ChatOptions = {}): number[] {
    return this.renderChatSpans(messages, opts).tokens;
  }

  /** <bos> then per message: role token, content, <eos>; then <|assistant|> when generation follows. */
  renderChatSpans(messages: ChatMessage[], opts: ChatOptions = {}): { tokens: number[]; spans: ChatSpan[] } {
    const tokens = [this.bos];
    const spans: ChatSpan[] = [];
    const cont = opts.continueFinalMessage === true;
    if (cont && messages[messages.length - 1]?.role !== "assistant") throw new Error("continue_final_message needs a final assistant message");
    for (const m of messages) {
      const role = this.specialId.get(ROLE_TOKEN[m.role]);
      if (role === undefined) throw new Error(`tokenizer: no role token for "${m.role}"`);
      tokens.push(role);
      const start = tokens.length;
      for (const id of this.encode(m.content, { allowSpecial: opts.allowSpecial })) tokens.push(id);
      spans.push({ role: m.role, start, end: tokens.length });
      tokens.push(this.eos);
    }
    if (cont) tokens.pop();
    else if (opts.addGenerationPrompt ?? true) tokens.push(this.specialId.get(ROLE_TOKEN.assistant)!);
    return { tokens, spans };
  }

  toJSON(): CharTokenizerJSON {
    const out: CharTokenizerJSON = { type: "trimer-char", version: 1, special: [...this.json.special], chars: [...this.json.chars] };
    if (this.json.byte_fallback) out.byte_fallback = true;
    return out;
  }
}

/**
 * The default char-level vocabulary for the embedded pipeline: 121 ids (digits one token each) plus 256
 * byte-fallback ids; `byteFallback: false` gives the 121-id vocabulary of checkpoints saved before byte fallback.
 */
export function mathTokenizer(opts: { byteFallback?: boolean } = {}): Tokenizer {
  const json: CharTokenizerJSON = { type: "trimer-char", version: 1, special: [...SPECIAL_TOKENS], chars: defaultChars() };
  if (opts.byteFallback ?? true) json.byte_fallback = true;
  return new CharTokenizer(json);
}

function isCharTokenizerJSON(json: unknown): json is CharTokenizerJSON {
  return typeof json === "object" && json !== null && (json as { type?: unknown }).type === "trimer-char";
}

/**
 * Our format (`type: "trimer-char"`) or a Hugging Face tokenizer.json. `where` names the source in errors; `hf`
 * overrides the special ids of a HF file (config.json's bos/eos/pad_token_id).
 */
export function tokenizerFromJSON(json: TokenizerJSON | unknown, where = "tokenizer.json", hf: HFTokenizerOptions = {}): Tokenizer {
  // A standard tokenizer.json that trimer wrote for its character vocabulary reads back as that vocabulary.
  const own = isHFTokenizerJSON(json) ? charTokenizerFromHF(json) : null;
  if (own) json = own;
  if (isCharTokenizerJSON(json)) {
    const j = json as Partial<CharTokenizerJSON>;
    if (j.version !== 1) throw new Error(`${where}: unsupported trimer-char version ${JSON.stringify(j.version)}`);
    if (!Array.isArray(j.special) || !j.special.every((s) => typeof s === "string")) throw new Error(`${where}: "special" must be a list of strings`);
    if (!Array.isArray(j.chars) || !j.chars.every((s) => typeof s === "string")) throw new Error(`${where}: "chars" must be a list of strings`);
    if (j.byte_fallback !== undefined && typeof j.byte_fallback !== "boolean") throw new Error(`${where}: "byte_fallback" must be a boolean`);
    try {
      return new CharTokenizer({ type: "trimer-char", version: 1, special: j.special, chars: j.chars, ...(j.byte_fallback ? { byte_fallback: true } : {}) });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }
  if (isHFTokenizerJSON(json)) return hfTokenizerFromJSON(json, where, hf);
  throw new Error(`${where}: neither a trimer tokenizer ("type": "trimer-char") nor a Hugging Face tokenizer.json ("model")`);
}

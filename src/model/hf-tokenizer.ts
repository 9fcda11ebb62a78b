// Hugging Face tokenizer.json for real models: the BPE model with either
//  - byte-level pre-tokenisation and decoding (GPT-2, Llama-3, Qwen: bytes mapped to printable characters, a
//    regex split first), or
//  - SentencePiece-style BPE (Llama-2, Mistral: spaces become "▁", characters outside the vocabulary fall back to
//    <0xXX> byte tokens),
// plus added / special tokens. Written here rather than taken from npm: @huggingface/transformers pulls
// onnxruntime (fails `npm ci` offline), and Hugging Face's pure-JS port (@huggingface/tokenizers 0.2) always turns
// special-token text into special ids — untrusted text (a problem statement, a model's output fed back) could
// then inject an eos or a role switch. We use that port only as an independent oracle in
// test/model/hf-tokenizer.test.ts (ids and decoded text agree on random texts).
//
// Departures from the Rust library, all documented where they happen: encode() never applies the
// post-processor (bos is added by renderChat, like the char tokenizer); added tokens match on the raw text
// (`normalized` and `single_word` are ignored); Oniguruma regexes are translated to JS ((?i:...) groups are
// expanded, possessive quantifiers become greedy); BPE dropout is ignored (inference).
import type { ChatMessage } from "./types.js";
import { ChatTemplate, chatTemplateOf } from "./chat-template.js";
import type { ChatOptions, ChatSpan, DecodeOptions, EncodeOptions, Tokenizer } from "./tokenizer.js";

/** The parts of tokenizer.json we read. Everything else is kept as is and written back by toJSON(). */
export interface HFTokenizerJSON {
  model: {
    type?: string;
    vocab: Record<string, number>;
    merges: (string | [string, string])[];
    unk_token?: string | null;
    byte_fallback?: boolean;
    fuse_unk?: boolean;
    ignore_merges?: boolean;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    [k: string]: unknown;
  };
  added_tokens?: HFAddedToken[];
  normalizer?: HFComponent | null;
  pre_tokenizer?: HFComponent | null;
  post_processor?: HFComponent | null;
  decoder?: HFComponent | null;
  /**
   * trimer: tokenizer_config.json's content (chat_template, special token names), kept with the tokenizer in
   * memory. checkpoint.ts writes it to its own file and leaves it out of tokenizer.json.
   */
  trimer_tokenizer_config?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface HFAddedToken {
  id: number;
  content: string;
  special?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
  normalized?: boolean;
}

/** A normalizer / pre-tokenizer / decoder / post-processor entry: `type` plus its fields. */
export interface HFComponent {
  type: string;
  [k: string]: unknown;
}

export interface HFTokenizerOptions {
  /** Override the special ids (e.g. from config.json's bos_token_id / eos_token_id / pad_token_id). */
  bos?: number;
  eos?: number;
  pad?: number;
}

export function isHFTokenizerJSON(json: unknown): json is HFTokenizerJSON {
  return typeof json === "object" && json !== null && typeof (json as { model?: unknown }).model === "object";
}

const MAX_ENCODE_CHARS = 64 * 1024 * 1024;

// ------------------------------------------------------------------------------------------- byte-level mapping
// GPT-2's table: the 188 printable bytes map to themselves, the other 68 to U+0100.. in order, so that every byte
// string becomes a string of visible characters that a BPE vocabulary can hold.
const BYTE_TO_CHAR: string[] = [];
const CHAR_TO_BYTE = new Map<string, number>();
{
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    const ch = String.fromCodePoint(printable ? b : 256 + extra++);
    BYTE_TO_CHAR[b] = ch;
    CHAR_TO_BYTE.set(ch, b);
  }
}
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

function byteLevelEncode(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) out += BYTE_TO_CHAR[b];
  return out;
}

function byteLevelDecode(s: string): string {
  const bytes: number[] = [];
  for (const ch of s) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
    else for (const x of utf8.encode(ch)) bytes.push(x); // e.g. an added token's text: not byte-mapped
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

// GPT-2's pre-tokenisation regex (ByteLevel with use_regex).
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Oniguruma → JS. Handles what tokenizer.json patterns use: `(?i:...)` groups (JS before ES2025 has no inline
 * modifiers; letters inside are expanded to [xX]) and possessive quantifiers (`?+`, `++`, `*+`: made greedy,
 * which can only differ on pathological backtracking inputs).
 */
export function translateRegex(src: string): RegExp {
  let out = "";
  let inClass = false;
  let ciDepth = -1; // group depth at which a (?i: group opened
  let depth = 0;
  let afterQuantifier = false; // the previous token was a quantifier: a "+" now makes it possessive
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      // An escape, including a whole \p{...} property (its braces are not a quantifier).
      let esc = c + (src[i + 1] ?? "");
      i++;
      if ((src[i] === "p" || src[i] === "P") && src[i + 1] === "{") {
        const close = src.indexOf("}", i);
        if (close < 0) throw new Error(`cannot translate the regex ${JSON.stringify(src)} (unterminated \\p{)`);
        esc = "\\" + src.slice(i, close + 1);
        i = close;
      }
      out += esc;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += ciDepth >= 0 && /[a-zA-Z]/.test(c) ? c.toLowerCase() + c.toUpperCase() : c;
      continue;
    }
    if (c === "+" && afterQuantifier) { afterQuantifier = false; continue; } // possessive → greedy
    if (c === "?" && afterQuantifier) { out += c; afterQuantifier = false; continue; } // lazy modifier
    afterQuantifier = false;
    if (c === "[") { inClass = true; out += c; continue; }
    if (c === "(") {
      depth++;
      if (src.startsWith("(?i:", i)) {
        if (ciDepth < 0) ciDepth = depth;
        out += "(?:";
        i += 3;
        continue;
      }
      out += c;
      continue;
    }
    if (c === ")") {
      if (depth === ciDepth) ciDepth = -1;
      depth--;
      out += c;
      continue;
    }
    if (c === "?" || c === "*" || c === "+") {
      out += c;
      afterQuantifier = true;
      continue;
    }
    if (c === "{") {
      const m = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        afterQuantifier = true;
        continue;
      }
    }
    if (ciDepth >= 0 && /[a-zA-Z]/.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, "gu");
  } catch (e) {
    throw new Error(`cannot translate the regex ${JSON.stringify(src)} (${(e as Error).message})`);
  }
}

function patternOf(p: unknown, where: string): RegExp {
  const o = p as { String?: string; Regex?: string } | undefined;
  if (o && typeof o.String === "string") return new RegExp(o.String.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gu");
  if (o && typeof o.Regex === "string") return translateRegex(o.Regex);
  throw new Error(`${where}: pattern must be {"String": ...} or {"Regex": ...}`);
}

// ------------------------------------------------------------------------------------------------- normalizers
type Normalizer = (s: string) => string;

function buildNormalizer(c: HFComponent | null | undefined, where: string): Normalizer {
  if (!c) return (s) => s;
  switch (c.type) {
    case "Sequence": {
      const parts = ((c.normalizers as HFComponent[] | undefined) ?? []).map((n, i) => buildNormalizer(n, `${where}.normalizers[${i}]`));
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case "NFC": case "NFD": case "NFKC": case "NFKD": {
      const form = c.type;
      return (s) => s.normalize(form);
    }
    case "Lowercase":
      return (s) => s.toLowerCase();
    case "Prepend": {
      const p = String(c.prepend ?? "");
      return (s) => (s.length ? p + s : s);
    }
    case "Replace": {
      const re = patternOf(c.pattern, where);
      const content = String(c.content ?? "");
      return (s) => s.replace(re, () => content);
    }
    case "Strip": {
      const left = c.strip_left !== false, right = c.strip_right !== false;
      return (s) => (left && right ? s.trim() : left ? s.trimStart() : right ? s.trimEnd() : s);
    }
    default:
      throw new Error(`${where}: normalizer type "${c.type}" is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------- pre-tokenizers
/** Splits pieces into smaller pieces; `first` is true for the text's first segment (Metaspace "first"). */
type PreTokenizer = (pieces: string[], first: boolean) => string[];

type SplitBehavior = "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

function splitWith(s: string, re: RegExp, behavior: SplitBehavior, invert: boolean): string[] {
  const segs: { text: string; match: boolean }[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > last) segs.push({ text: s.slice(last, m.index), match: invert });
    segs.push({ text: m[0], match: !invert });
    last = m.index + m[0].length;
  }
  if (last < s.length) segs.push({ text: s.slice(last), match: invert });
  const out: string[] = [];
  switch (behavior) {
    case "Removed":
      for (const g of segs) if (!g.match) out.push(g.text);
      return out;
    case "Isolated":
      return segs.map((g) => g.text);
    case "Contiguous":
      for (let i = 0; i < segs.length; i++) {
        if (i > 0 && segs[i]!.match && segs[i - 1]!.match) out[out.length - 1] += segs[i]!.text;
        else out.push(segs[i]!.text);
      }
      return out;
    case "MergedWithPrevious":
      for (const g of segs) {
        if (g.match && out.length) out[out.length - 1] += g.text;
        else out.push(g.text);
      }
      return out;
    case "MergedWithNext": {
      let carry = "";
      for (const g of segs) {
        if (g.match) carry += g.text;
        else { out.push(carry + g.text); carry = ""; }
      }
      if (carry) out.push(carry);
      return out;
    }
  }
}

function buildPreTokenizer(c: HFComponent | null | undefined, where: string): { fn: PreTokenizer; byteLevel: boolean } {
  if (!c) return { fn: (p) => p, byteLevel: false };
  switch (c.type) {
    case "Sequence": {
      const parts = ((c.pretokenizers as HFComponent[] | undefined) ?? []).map((n, i) => buildPreTokenizer(n, `${where}.pretokenizers[${i}]`));
      return { fn: (p, first) => parts.reduce((acc, f) => f.fn(acc, first), p), byteLevel: parts.some((x) => x.byteLevel) };
    }
    case "ByteLevel": {
      const addPrefix = c.add_prefix_space === true;
      const re = c.use_regex === false ? null : translateRegex(GPT2_PATTERN);
      // Like the Rust library, the prefix space goes on every piece it is given (usually the whole segment).
      const fn: PreTokenizer = (pieces) => {
        const out: string[] = [];
        pieces.forEach((p) => {
          const text = addPrefix && !p.startsWith(" ") ? ` ${p}` : p;
          for (const q of re ? splitWith(text, re, "Isolated", false) : [text]) out.push(byteLevelEncode(q));
        });
        return out;
      };
      return { fn, byteLevel: true };
    }
    case "Split": {
      const re = patternOf(c.pattern, where);
      const behavior = (c.behavior as SplitBehavior | undefined) ?? "Isolated";
      if (!["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"].includes(behavior)) {
        throw new Error(`${where}: Split behavior "${behavior}" is not supported`);
      }
      const invert = c.invert === true;
      return { fn: (pieces) => pieces.flatMap((p) => splitWith(p, re, behavior, invert)), byteLevel: false };
    }
    case "Metaspace": {
      const rep = String(c.replacement ?? "▁");
      // Older files say add_prefix_space: bool, newer ones prepend_scheme: always | first | never.
      const scheme = (c.prepend_scheme as string | undefined) ?? (c.add_prefix_space === false ? "never" : "always");
      const split = c.split !== false;
      const fn: PreTokenizer = (pieces, first) =>
        pieces.flatMap((p, i) => {
          let s = p.replace(/ /g, rep);
          const prepend = scheme === "always" || (scheme === "first" && first && i === 0);
          if (prepend && !s.startsWith(rep)) s = rep + s;
          if (!split) return [s];
          return splitWith(s, new RegExp(rep.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gu"), "MergedWithNext", false);
        });
      return { fn, byteLevel: false };
    }
    case "Digits": {
      const re = c.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      return { fn: (pieces) => pieces.flatMap((p) => splitWith(p, re, "Isolated", false)), byteLevel: false };
    }
    case "Whitespace":
      return { fn: (pieces) => pieces.flatMap((p) => p.match(/\w+|[^\w\s]+/gu) ?? []), byteLevel: false };
    case "WhitespaceSplit":
      return { fn: (pieces) => pieces.flatMap((p) => p.split(/\s+/u).filter((x) => x.length > 0)), byteLevel: false };
    case "Punctuation": {
      const behavior = (c.behavior as SplitBehavior | undefined) ?? "Isolated";
      return { fn: (pieces) => pieces.flatMap((p) => splitWith(p, /\p{P}/gu, behavior, false)), byteLevel: false };
    }
    default:
      throw new Error(`${where}: pre-tokenizer type "${c.type}" is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------------- decoders
type Decoder = (tokens: string[]) => string[];

function buildDecoder(c: HFComponent | null | undefined, where: string): Decoder {
  if (!c) return (t) => t;
  switch (c.type) {
    case "Sequence": {
      const parts = ((c.decoders as HFComponent[] | undefined) ?? []).map((n, i) => buildDecoder(n, `${where}.decoders[${i}]`));
      return (t) => parts.reduce((acc, f) => f(acc), t);
    }
    case "ByteLevel":
      // Decode the bytes of the whole run at once: a multi-byte character may span tokens.
      return (t) => [byteLevelDecode(t.join(""))];
    case "Replace": {
      const re = patternOf(c.pattern, where);
      const content = String(c.content ?? "");
      return (t) => t.map((s) => s.replace(re, () => content));
    }
    case "ByteFallback":
      return (t) => {
        const out: string[] = [];
        let bytes: number[] = [];
        const flush = (): void => {
          if (bytes.length) out.push(utf8Decoder.decode(new Uint8Array(bytes)));
          bytes = [];
        };
        for (const s of t) {
          const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(s);
          if (m) bytes.push(parseInt(m[1]!, 16));
          else { flush(); out.push(s); }
        }
        flush();
        return out;
      };
    case "Fuse":
      return (t) => [t.join("")];
    case "Strip": {
      const content = String(c.content ?? " ");
      const start = Number(c.start ?? 0), stop = Number(c.stop ?? 0);
      return (t) =>
        t.map((s) => {
          let a = 0, b = s.length;
          for (let k = 0; k < start && s.startsWith(content, a); k++) a += content.length;
          for (let k = 0; k < stop && b - content.length >= a && s.slice(b - content.length, b) === content; k++) b -= content.length;
          return s.slice(a, b);
        });
    }
    case "Metaspace": {
      const rep = String(c.replacement ?? "▁");
      const scheme = (c.prepend_scheme as string | undefined) ?? (c.add_prefix_space === false ? "never" : "always");
      return (t) =>
        t.map((s, i) => {
          const r = s.split(rep).join(" ");
          return i === 0 && scheme !== "never" && r.startsWith(" ") ? r.slice(1) : r;
        });
    }
    default:
      throw new Error(`${where}: decoder type "${c.type}" is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------------- BPE model
/** A binary min-heap of merge candidates ordered by (rank, position). */
class CandidateHeap {
  private items: { rank: number; pos: number; left: number; right: number }[] = [];
  get size(): number { return this.items.length; }
  private less(a: number, b: number): boolean {
    const x = this.items[a]!, y = this.items[b]!;
    return x.rank < y.rank || (x.rank === y.rank && x.pos < y.pos);
  }
  push(item: { rank: number; pos: number; left: number; right: number }): void {
    const it = this.items;
    it.push(item);
    let i = it.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [it[i], it[p]] = [it[p]!, it[i]!];
      i = p;
    }
  }
  pop(): { rank: number; pos: number; left: number; right: number } {
    const it = this.items;
    const top = it[0]!;
    const last = it.pop()!;
    if (it.length) {
      it[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < it.length && this.less(l, m)) m = l;
        if (r < it.length && this.less(r, m)) m = r;
        if (m === i) break;
        [it[i], it[m]] = [it[m]!, it[i]!];
        i = m;
      }
    }
    return top;
  }
}

class BPE {
  readonly vocab = new Map<string, number>();
  private readonly merges = new Map<number, { rank: number; id: number }>();
  private readonly stride: number;
  private readonly unk: number | undefined;
  private readonly byteFallback: boolean;
  private readonly fuseUnk: boolean;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, number[]>();

  constructor(m: HFTokenizerJSON["model"], where: string) {
    if (m.type !== undefined && m.type !== "BPE") throw new Error(`${where}: model type "${m.type}" is not supported (BPE only)`);
    if (typeof m.vocab !== "object" || m.vocab === null) throw new Error(`${where}: model.vocab must be an object`);
    if (!Array.isArray(m.merges)) throw new Error(`${where}: model.merges must be a list`);
    if (m.continuing_subword_prefix || m.end_of_word_suffix) {
      throw new Error(`${where}: continuing_subword_prefix / end_of_word_suffix are not supported`);
    }
    let maxId = 0;
    for (const [tok, id] of Object.entries(m.vocab)) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`${where}: model.vocab[${JSON.stringify(tok)}] = ${JSON.stringify(id)} is not a valid id`);
      this.vocab.set(tok, id);
      maxId = Math.max(maxId, id);
    }
    this.stride = maxId + 1;
    m.merges.forEach((entry, rank) => {
      const pair = typeof entry === "string" ? splitMerge(entry) : entry;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
        throw new Error(`${where}: model.merges[${rank}] = ${JSON.stringify(entry)} is not a pair`);
      }
      const a = this.vocab.get(pair[0]), b = this.vocab.get(pair[1]), ab = this.vocab.get(pair[0] + pair[1]);
      if (a === undefined || b === undefined || ab === undefined) {
        throw new Error(`${where}: model.merges[${rank}] = ${JSON.stringify(entry)} uses a token that is not in the vocabulary`);
      }
      const key = a * this.stride + b;
      if (!this.merges.has(key)) this.merges.set(key, { rank, id: ab });
    });
    this.unk = m.unk_token != null ? this.vocab.get(m.unk_token) : undefined;
    this.byteFallback = m.byte_fallback === true;
    this.fuseUnk = m.fuse_unk === true;
    this.ignoreMerges = m.ignore_merges === true;
  }

  /** Token ids of one pre-tokenised piece. */
  encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.merge(word);
    if (this.cache.size > 50_000) this.cache.clear(); // bounded memory on long, varied inputs
    this.cache.set(word, ids);
    return ids;
  }

  private merge(word: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    // Initial symbols: characters, or their UTF-8 bytes as <0xXX> (byte_fallback), or unk.
    const sym: number[] = [];
    let lastUnk = false;
    for (const ch of word) {
      const id = this.vocab.get(ch);
      if (id !== undefined) { sym.push(id); lastUnk = false; continue; }
      if (this.byteFallback) {
        const bytes = [...utf8.encode(ch)].map((b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`));
        if (bytes.every((b) => b !== undefined)) { sym.push(...(bytes as number[])); lastUnk = false; continue; }
      }
      if (this.unk === undefined) throw new Error(`tokenizer: character ${JSON.stringify(ch)} is not in the vocabulary and there is no unk_token`);
      if (!(this.fuseUnk && lastUnk)) sym.push(this.unk);
      lastUnk = true;
    }
    // Merge by rank with a heap over a linked list: O(n log n), so one very long piece (SentencePiece-style files
    // have no pre-tokeniser, so a whole line is one piece) cannot stall the process.
    const n = sym.length;
    const next = new Int32Array(n), prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
    const heap = new CandidateHeap();
    const consider = (i: number): void => {
      const j = next[i]!;
      if (j < 0) return;
      const m = this.merges.get(sym[i]! * this.stride + sym[j]!);
      if (m) heap.push({ rank: m.rank, pos: i, left: sym[i]!, right: sym[j]! });
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.size) {
      const c = heap.pop();
      const i = c.pos, j = next[i]!;
      // Stale candidate: one side was merged away or changed since it was queued.
      if (!alive[i] || j < 0 || sym[i] !== c.left || sym[j] !== c.right) continue;
      sym[i] = this.merges.get(c.left * this.stride + c.right)!.id;
      alive[j] = 0;
      next[i] = next[j]!;
      if (next[j]! >= 0) prev[next[j]!] = i;
      if (prev[i]! >= 0) consider(prev[i]!);
      consider(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

/** "a b" → ["a", "b"]. The legacy string form cannot hold tokens with spaces; split at the first one. */
function splitMerge(s: string): [string, string] | null {
  const k = s.indexOf(" ", 1);
  return k < 0 ? null : [s.slice(0, k), s.slice(k + 1)];
}

// ------------------------------------------------------------------------------------------------ the tokenizer
class HFTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  private readonly bpe: BPE;
  private readonly normalize: Normalizer;
  private readonly preTokenize: PreTokenizer;
  private readonly decoder: Decoder;
  private readonly idToToken: string[] = [];
  private readonly added = new Map<string, HFAddedToken>();
  private readonly specialIds = new Set<number>();
  private readonly addedAll: RegExp | null;
  private readonly addedPlain: RegExp | null;
  private readonly template: ChatTemplate | null;

  constructor(private readonly json: HFTokenizerJSON, where: string, opts: HFTokenizerOptions) {
    this.bpe = new BPE(json.model, `${where}: model`);
    this.normalize = buildNormalizer(json.normalizer, `${where}: normalizer`);
    this.preTokenize = buildPreTokenizer(json.pre_tokenizer, `${where}: pre_tokenizer`).fn;
    this.decoder = buildDecoder(json.decoder, `${where}: decoder`);
    for (const [tok, id] of this.bpe.vocab) this.idToToken[id] = tok;
    for (const [i, t] of (json.added_tokens ?? []).entries()) {
      if (typeof t?.content !== "string" || !Number.isInteger(t.id) || t.id < 0) {
        throw new Error(`${where}: added_tokens[${i}] needs an integer "id" and a string "content"`);
      }
      this.added.set(t.content, t);
      this.idToToken[t.id] = t.content;
      if (t.special) this.specialIds.add(t.id);
    }
    this.vocabSize = this.idToToken.length;
    const alternation = (tokens: HFAddedToken[]): RegExp | null => {
      if (!tokens.length) return null;
      const sorted = [...tokens].sort((a, b) => b.content.length - a.content.length);
      return new RegExp(sorted.map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gu");
    };
    const all = [...this.added.values()].filter((t) => t.content.length > 0);
    this.addedAll = alternation(all);
    this.addedPlain = alternation(all.filter((t) => !t.special));

    const find = (names: string[]): number | undefined => {
      for (const n of names) {
        const id = this.tokenId(n);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const templateBos = templateFirstSpecial(json.post_processor);
    const bos = opts.bos ?? (templateBos !== undefined ? this.tokenId(templateBos) : undefined) ??
      find(["<|begin_of_text|>", "<s>", "<bos>", "<|endoftext|>"]);
    const eos = opts.eos ?? find(["<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>"]);
    const pad = opts.pad ?? find(["<pad>", "<|pad|>", "<|finetune_right_pad_id|>"]) ?? eos;
    if (bos === undefined || eos === undefined || pad === undefined) {
      throw new Error(`${where}: cannot tell the bos / eos tokens (none of the usual names is in the vocabulary); pass their ids`);
    }
    this.bos = bos; this.eos = eos; this.pad = pad;
    const source = chatTemplateOf(json.trimer_tokenizer_config);
    this.template = source !== undefined ? new ChatTemplate(source, `${where}: tokenizer_config.json chat_template`) : null;
  }

  get chatTemplate(): string | undefined {
    return this.template?.source;
  }

  /** tokenizer_config.json's name for a special token ("bos_token": "<s>" or {"content": "<s>"}), else the id's text. */
  private specialText(key: string, id: number): string {
    const v = this.json.trimer_tokenizer_config?.[key];
    if (typeof v === "string") return v;
    if (typeof v === "object" && v !== null && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
    return this.idToToken[id] ?? "";
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (text.length > MAX_ENCODE_CHARS) throw new Error(`tokenizer: text of ${text.length} characters exceeds the ${MAX_ENCODE_CHARS} limit`);
    const out: number[] = [];
    const re = opts.allowSpecial ? this.addedAll : this.addedPlain;
    let last = 0;
    let first = true;
    const plain = (s: string): void => {
      if (!s) return;
      const pieces = this.preTokenize([this.normalize(s)], first);
      first = false;
      for (const p of pieces) if (p) for (const id of this.bpe.encodeWord(p)) out.push(id);
    };
    if (re) {
      re.lastIndex = 0;
      for (const m of text.matchAll(re)) {
        const tok = this.added.get(m[0])!;
        let before = text.slice(last, m.index);
        let after = m.index + m[0].length;
        if (tok.lstrip) before = before.trimEnd();
        if (tok.rstrip) while (after < text.length && /\s/u.test(text[after]!)) after++;
        plain(before);
        first = false;
        out.push(tok.id);
        last = after;
      }
    }
    plain(text.slice(last));
    return out;
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    // Like the Rust library: every token's text (added tokens included, special ones unless skipped) goes through
    // the decoder as one list, so Strip / Metaspace act on the first token of the whole output only.
    const tokens: string[] = [];
    for (const id of ids) {
      const tok = this.idToToken[id];
      if (tok === undefined) throw new Error(`tokenizer: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      if (opts.skipSpecial && this.specialIds.has(id)) continue;
      tokens.push(tok);
    }
    return this.decoder(tokens).join("");
  }

  tokenText(id: number): string | undefined {
    return this.idToToken[id];
  }

  tokenId(special: string): number | undefined {
    return this.added.get(special)?.id ?? this.bpe.vocab.get(special);
  }

  renderChat(messages: ChatMessage[], opts: ChatOptions = {}): number[] {
    return this.renderChatSpans(messages, opts).tokens;
  }

  /**
   * With a chat template (tokenizer_config.json), the model's own: see chat-template.ts. Without one (a bare
   * tokenizer.json), the common formats are recognised by their marker tokens: ChatML (Qwen) or Llama-3 headers;
   * otherwise "Role: content" lines after bos.
   */
  renderChatSpans(messages: ChatMessage[], opts: ChatOptions = {}): { tokens: number[]; spans: ChatSpan[] } {
    const tokens: number[] = [];
    const spans: ChatSpan[] = [];
    const tpl = (s: string): void => { for (const id of this.encode(s, { allowSpecial: true })) tokens.push(id); };
    const content = (m: ChatMessage, text = m.content): void => {
      const start = tokens.length;
      for (const id of this.encode(text, { allowSpecial: opts.allowSpecial })) tokens.push(id);
      spans.push({ role: m.role, start, end: tokens.length });
    };
    const cont = opts.continueFinalMessage === true;
    if (cont && messages[messages.length - 1]?.role !== "assistant") throw new Error("continue_final_message needs a final assistant message");
    const gen = !cont && (opts.addGenerationPrompt ?? true);
    if (this.template) {
      const segs = this.template.segments(messages, {
        bos_token: this.specialText("bos_token", this.bos), eos_token: this.specialText("eos_token", this.eos), add_generation_prompt: gen,
      });
      // continue_final_message: stop right after the final message's content (as transformers does).
      const last = messages.length - 1;
      const end = cont ? segs.findLastIndex((g) => g.message === last) : segs.length - 1;
      if (cont && end < 0) throw new Error("continue_final_message: the chat template does not render the final message's content");
      for (const g of segs.slice(0, end + 1)) {
        if (g.message !== undefined) content(messages[g.message]!, g.text);
        else tpl(g.text);
      }
      return { tokens, spans };
    }
    if (this.tokenId("<|im_start|>") !== undefined && this.tokenId("<|im_end|>") !== undefined) {
      messages.forEach((m, i) => { tpl(`<|im_start|>${m.role}\n`); content(m); if (!(cont && i === messages.length - 1)) tpl("<|im_end|>\n"); });
      if (gen) tpl("<|im_start|>assistant\n");
    } else if (this.tokenId("<|start_header_id|>") !== undefined && this.tokenId("<|eot_id|>") !== undefined) {
      tokens.push(this.bos);
      messages.forEach((m, i) => { tpl(`<|start_header_id|>${m.role}<|end_header_id|>\n\n`); content(m); if (!(cont && i === messages.length - 1)) tpl("<|eot_id|>"); });
      if (gen) tpl("<|start_header_id|>assistant<|end_header_id|>\n\n");
    } else {
      tokens.push(this.bos);
      const name = { system: "System", user: "User", assistant: "Assistant" } as const;
      messages.forEach((m, i) => { tpl(`${name[m.role]}: `); content(m); if (!(cont && i === messages.length - 1)) tpl("\n"); });
      if (gen) tpl("Assistant:");
    }
    return { tokens, spans };
  }

  toJSON(): HFTokenizerJSON {
    return this.json;
  }
}

/** The first special token of a TemplateProcessing post-processor's "single" template (Llama's "<s>"). */
function templateFirstSpecial(c: HFComponent | null | undefined): string | undefined {
  if (!c) return undefined;
  if (c.type === "Sequence") {
    for (const p of (c.processors as HFComponent[] | undefined) ?? []) {
      const t = templateFirstSpecial(p);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (c.type !== "TemplateProcessing" || !Array.isArray(c.single)) return undefined;
  const first = c.single[0] as { SpecialToken?: { id?: string } } | undefined;
  return first?.SpecialToken?.id;
}

export function hfTokenizerFromJSON(json: HFTokenizerJSON, where = "tokenizer.json", opts: HFTokenizerOptions = {}): Tokenizer {
  return new HFTokenizer(json, where, opts);
}

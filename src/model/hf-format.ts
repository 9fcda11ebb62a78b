// trimer's character vocabulary as standard Hugging Face tokenizer files, and back.
//
// tokenizer.json is a BPE model with no merges over the same characters (so every character is one token with the
// same id), the special tokens as added tokens, byte fallback when the vocabulary has it, "\r\n" → "\n" as a
// Replace normalizer, a TemplateProcessing post-processor that puts <bos> first (HF tokenizers add it when asked
// for special tokens; trimer's completion prompts are [bos, ...encode(text)]), and ByteFallback + Fuse decoding.
// tokenizer_config.json names the special tokens and carries the Jinja chat template equivalent to renderChat;
// special_tokens_map.json and generation_config.json are what transformers, vLLM and lm-eval look for beside it.
//
// Reading back: a tokenizer.json with exactly that shape is turned back into trimer's own form, so a checkpoint's
// ids and behaviour (specials spelled out in untrusted text, <pad> never rendered) do not depend on which of the
// two files it was saved with.
import type { HFAddedToken, HFTokenizerJSON } from "./hf-tokenizer.js";
import { CHAR_CHAT_TEMPLATE, byteToken, type CharTokenizerJSON } from "./tokenizer.js";

/** The four files (besides tokenizer.json's object) a checkpoint writes for its tokenizer. */
export interface HFTokenizerFiles {
  tokenizer: HFTokenizerJSON;
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
}

const NAMES = { bos_token: "<bos>", eos_token: "<eos>", unk_token: "<unk>", pad_token: "<pad>" } as const;

function addedToken(id: number, content: string): HFAddedToken & Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The standard files for a trimer-char vocabulary. `contextLength` goes to tokenizer_config's model_max_length. */
export function charTokenizerToHF(json: CharTokenizerJSON, contextLength?: number): HFTokenizerFiles {
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const s of json.special) vocab[s] = id++;
  for (const c of json.chars) vocab[c] = id++;
  if (json.byte_fallback) for (let b = 0; b < 256; b++) vocab[byteToken(b)] = id++;
  const bos = json.special.indexOf(NAMES.bos_token);
  const tokenizer: HFTokenizerJSON = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: json.special.map((s, i) => addedToken(i, s)),
    normalizer: { type: "Replace", pattern: { String: "\r\n" }, content: "\n" },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: NAMES.bos_token, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: NAMES.bos_token, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: NAMES.bos_token, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [NAMES.bos_token]: { id: NAMES.bos_token, ids: [bos], tokens: [NAMES.bos_token] } },
    },
    decoder: { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] },
    model: {
      type: "BPE", dropout: null, unk_token: NAMES.unk_token, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: json.byte_fallback === true, ignore_merges: false, vocab, merges: [],
    },
  };
  const addedDecoder: Record<string, unknown> = {};
  json.special.forEach((s, i) => {
    const { id: _id, ...rest } = addedToken(i, s);
    addedDecoder[String(i)] = rest;
  });
  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: "PreTrainedTokenizerFast",
    ...NAMES,
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: contextLength ?? 1_000_000_000,
    padding_side: "left",
    added_tokens_decoder: addedDecoder,
    // The chat roles and markers, so that HF tools keep them whole (they already are added tokens).
    additional_special_tokens: json.special.filter((s) => !(Object.values(NAMES) as string[]).includes(s)),
    chat_template: CHAR_CHAT_TEMPLATE,
  };
  const specialTokensMap: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(NAMES).map(([k, v]) => [k, { content: v, lstrip: false, normalized: false, rstrip: false, single_word: false }])),
    additional_special_tokens: tokenizerConfig.additional_special_tokens,
  };
  const idOf = (s: string): number => json.special.indexOf(s);
  const generationConfig = { bos_token_id: idOf(NAMES.bos_token), eos_token_id: idOf(NAMES.eos_token), pad_token_id: idOf(NAMES.pad_token) };
  return { tokenizer, tokenizerConfig, specialTokensMap, generationConfig };
}

/**
 * trimer's vocabulary back from a tokenizer.json written by charTokenizerToHF (or one of the same shape); null
 * when the file is any other tokenizer.
 */
export function charTokenizerFromHF(json: HFTokenizerJSON): CharTokenizerJSON | null {
  const m = json.model;
  if ((m.type !== undefined && m.type !== "BPE") || !Array.isArray(m.merges) || m.merges.length !== 0) return null;
  if (json.pre_tokenizer != null || m.continuing_subword_prefix || m.end_of_word_suffix || m.unk_token !== NAMES.unk_token) return null;
  const n = json.normalizer;
  if (n != null && !(n.type === "Replace" && (n.pattern as { String?: unknown } | undefined)?.String === "\r\n" && n.content === "\n")) return null;
  const added = json.added_tokens ?? [];
  if (added.length === 0 || !added.every((t, i) => t.id === i && t.special === true && typeof t.content === "string")) return null;
  const special = added.map((t) => t.content);
  for (const s of Object.values(NAMES)) if (!special.includes(s)) return null;
  const byId: string[] = [];
  for (const [tok, id] of Object.entries(m.vocab)) {
    if (!Number.isInteger(id) || id < 0 || byId[id] !== undefined) return null;
    byId[id] = tok;
  }
  const byteFallback = m.byte_fallback === true;
  const nChars = byId.length - special.length - (byteFallback ? 256 : 0);
  if (nChars < 0) return null;
  for (let i = 0; i < special.length; i++) if (byId[i] !== special[i]) return null;
  const chars: string[] = [];
  for (let i = 0; i < nChars; i++) {
    const c = byId[special.length + i];
    if (c === undefined || [...c].length !== 1) return null;
    chars.push(c);
  }
  if (byteFallback) {
    for (let b = 0; b < 256; b++) if (byId[special.length + nChars + b] !== byteToken(b)) return null;
  }
  const out: CharTokenizerJSON = { type: "trimer-char", version: 1, special, chars };
  if (byteFallback) out.byte_fallback = true;
  return out;
}

// Turning (prompt, completion) text pairs into engine Datums: tokens = [bos] + prompt + completion + [eos], with
// per-target weights from the reasoning-weighted mask (prompt tokens, reasoning tokens, the final-answer span).
// Shared by pre-training, SFT, distillation and the reward model, so every stage sees one text format.
import type { Datum } from "../engine/types.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { answerCharSpan, reasoningWeights, type MaskWeights } from "./distill/masking.js";

export interface TextPair {
  prompt: string;
  completion: string;
}

/** Tokens of a prompt as the sampler sees it: bos + prompt (no eos). The training sequences start the same way. */
export function promptTokens(tok: Tokenizer, prompt: string): number[] {
  return [tok.bos, ...tok.encode(prompt)];
}

/**
 * One training sequence. Weights: `mask` decides the prompt / reasoning / answer weights (defaults: prompt 0,
 * reasoning 1, answer 1 — plain SFT); the eos target counts as reasoning so the model learns to stop.
 * `maxTokens` truncates from the right (the loss then never sees the eos, which is correct for a cut sequence).
 */
export function textDatum(tok: Tokenizer, pair: TextPair, mask: Partial<MaskWeights> = {}, maxTokens = Infinity): Datum {
  const p = promptTokens(tok, pair.prompt);
  const c = tok.encode(pair.completion);
  let tokens = [...p, ...c, tok.eos];
  const span = answerCharSpan(pair.completion);
  const answer = span
    ? { start: p.length + tok.encode(pair.completion.slice(0, span.start)).length, end: p.length + tok.encode(pair.completion.slice(0, span.end)).length }
    : undefined;
  const weights = { promptWeight: 0, reasoningWeight: 1, answerWeight: 1, ...mask };
  let w = reasoningWeights(tokens.length, { promptLength: p.length, ...(answer ? { answer } : {}) }, weights);
  if (tokens.length > maxTokens) {
    tokens = tokens.slice(0, maxTokens);
    w = w.slice(0, maxTokens - 1);
  }
  return { tokens, weights: w };
}

/** A plain-text sequence for pre-training: every target weighs 1. */
export function plainDatum(tok: Tokenizer, text: string, maxTokens = Infinity): Datum {
  let tokens = [tok.bos, ...tok.encode(text), tok.eos];
  if (tokens.length > maxTokens) tokens = tokens.slice(0, maxTokens);
  return { tokens, weights: new Array<number>(tokens.length - 1).fill(1) };
}

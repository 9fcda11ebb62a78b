// TriMER's "reasoning-focused weighted masking": per-token loss weights that put the problem statement at (by
// default) zero, the reasoning at 1 and the final answer above it. The paper says only that reasoning steps get
// "greater emphasis ... rather than problem statements"; the answer weight (default 2) and the explicit answer
// span are our reading of "answers kept precise" at α ≈ 0.5, and all three weights are configurable.
//
// Weights live on target positions (Datum.weights[t] weighs the prediction of tokens[t + 1]), so a token's class
// decides the weight of the position that predicts it.
import { InputError } from "../../util/errors.js";

export interface MaskWeights {
  /** Problem / prompt tokens (default 0: not trained on). */
  promptWeight: number;
  /** Solution / reasoning tokens, including the closing eos (default 1). */
  reasoningWeight: number;
  /** Tokens of the final answer span (default 2). */
  answerWeight: number;
}

export const DEFAULT_MASK_WEIGHTS: Readonly<MaskWeights> = Object.freeze({ promptWeight: 0, reasoningWeight: 1, answerWeight: 2 });

/** Token spans of one training sequence, as token indices into Datum.tokens. */
export interface SequenceSpans {
  /** tokens[0, promptLength) are the prompt (problem statement, chat template, ...). */
  promptLength: number;
  /** tokens[start, end) are the final answer; absent when the solution has no recognisable answer. */
  answer?: { start: number; end: number };
}

/**
 * Per-target-position weights (length tokens - 1) for a sequence of `tokens` tokens: the position predicting token
 * k gets answerWeight when k is in the answer span, promptWeight when k < promptLength, reasoningWeight otherwise.
 * The answer span wins over the prompt if they overlap (it should not; the span is trusted as given).
 */
export function reasoningWeights(tokens: number, spans: SequenceSpans, weights: Partial<MaskWeights> = {}): number[] {
  const w = { ...DEFAULT_MASK_WEIGHTS, ...weights };
  for (const key of ["promptWeight", "reasoningWeight", "answerWeight"] as const) {
    if (!(w[key] >= 0) || !Number.isFinite(w[key])) throw new InputError(`masking: ${key} must be a finite number ≥ 0, got ${w[key]}`);
  }
  if (!Number.isInteger(tokens) || tokens < 1) throw new InputError(`masking: sequence length must be an integer ≥ 1, got ${tokens}`);
  const { promptLength, answer } = spans;
  if (!Number.isInteger(promptLength) || promptLength < 0 || promptLength > tokens) {
    throw new InputError(`masking: promptLength ${promptLength} is outside [0, ${tokens}]`);
  }
  if (answer && !(Number.isInteger(answer.start) && Number.isInteger(answer.end) && 0 <= answer.start && answer.start <= answer.end && answer.end <= tokens)) {
    throw new InputError(`masking: answer span [${answer.start}, ${answer.end}) is not inside [0, ${tokens})`);
  }
  const out = new Array<number>(tokens - 1);
  for (let k = 1; k < tokens; k++) {
    out[k - 1] = answer && k >= answer.start && k < answer.end ? w.answerWeight : k < promptLength ? w.promptWeight : w.reasoningWeight;
  }
  return out;
}

/** Texts longer than this are searched only in their last MAX_SEARCH_CHARS characters (answers come last). */
const MAX_SEARCH_CHARS = 200_000;

/**
 * Character span [start, end) of the final answer in a solution text: the content of the last
 * `<answer>...</answer>` block when there is one (the embedded tokenizer's answer markers, markers excluded),
 * otherwise the last `\boxed{...}` including the `\boxed{` `}` wrapper (the braces must balance). null when
 * neither is present. Linear time; only the last MAX_SEARCH_CHARS characters are searched.
 */
export function answerCharSpan(text: string): { start: number; end: number } | null {
  const base = Math.max(0, text.length - MAX_SEARCH_CHARS);
  const s = base > 0 ? text.slice(base) : text;
  const close = s.lastIndexOf("</answer>");
  if (close >= 0) {
    const open = s.lastIndexOf("<answer>", close);
    if (open >= 0) return { start: base + open + "<answer>".length, end: base + close };
  }
  // Match every brace once with a stack (linear time, whatever the nesting), then take the last \boxed{ whose
  // opening brace is closed. A scan forward from each \boxed would be quadratic on text like "\boxed{\boxed{...".
  const match = new Int32Array(s.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) { i++; continue; } // an escaped brace (\{ or \}) does not count
    if (c === 0x7b /* { */) stack.push(i);
    else if (c === 0x7d /* } */ && stack.length) match[stack.pop()!] = i;
  }
  const boxed = "\\boxed{";
  for (let at = s.lastIndexOf(boxed); at >= 0; at = at > 0 ? s.lastIndexOf(boxed, at - 1) : -1) {
    const close = match[at + boxed.length - 1]!;
    if (close >= 0) return { start: base + at, end: base + close + 1 };
  }
  return null;
}

/**
 * Token span [start, end) covering the characters [charStart, charEnd) of the text made by concatenating
 * `pieces` (each token decoded on its own): every token that overlaps the character span. An empty character
 * span gives an empty token span at the token containing charStart.
 */
export function tokenSpanOfChars(pieces: readonly string[], charStart: number, charEnd: number): { start: number; end: number } {
  if (!(0 <= charStart && charStart <= charEnd)) throw new InputError(`masking: character span [${charStart}, ${charEnd}) is invalid`);
  let pos = 0;
  let start = -1;
  let end = -1;
  for (let k = 0; k < pieces.length; k++) {
    const next = pos + pieces[k]!.length;
    if (start < 0 && next > charStart) start = k;
    if (next >= charEnd && start >= 0) { end = charEnd === charStart ? start : k + 1; break; }
    pos = next;
  }
  if (start < 0 || end < 0) throw new InputError(`masking: character span [${charStart}, ${charEnd}) is past the end of the text (${pos} characters)`);
  return { start, end };
}

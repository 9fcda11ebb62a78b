// The sampling adjustments OpenAI-compatible servers accept beyond temperature / top-p / top-k, as a
// processLogits hook for sample.ts. The parameters are plain data (they cross to the engine worker thread); the
// hook is built where the row is admitted. Semantics follow vLLM's (which the harnesses that send them target):
//   logit_bias          added to the logit of each listed id (OpenAI: -100..100)
//   min_tokens          the stop ids are masked until that many tokens were generated
//   repetition_penalty  ids seen in the prompt or the output: a positive logit is divided by it, a negative one
//                       multiplied (CTRL / transformers / vLLM)
//   frequency_penalty   subtracted once per occurrence of the id in the output (OpenAI)
//   presence_penalty    subtracted once if the id occurs in the output (OpenAI)
//   min_p               after temperature, ids with p < min_p · p_max are removed
// Reported logprobs are those of the raw model (sample.ts), as in vLLM's default.
import type { TokenSampleOptions } from "./sample.js";

export interface LogitsParams {
  minP?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** [id, bias] pairs. */
  logitBias?: [number, number][];
  /** With minTokensStop: those ids cannot be drawn before this many tokens were generated. */
  minTokens?: number;
  minTokensStop?: number[];
}

/** True when the parameters change nothing (no hook needed). */
function isNoop(p: LogitsParams): boolean {
  return !(p.minP && p.minP > 0) && (p.repetitionPenalty ?? 1) === 1 && !p.presencePenalty && !p.frequencyPenalty &&
    !(p.logitBias && p.logitBias.length) && !(p.minTokens && p.minTokens > 0 && p.minTokensStop?.length);
}

/** The processLogits hook for `p` at `temperature` (0 = greedy), or undefined when there is nothing to do. */
export function logitsProcessor(p: LogitsParams | undefined, temperature: number): TokenSampleOptions["processLogits"] {
  if (!p || isNoop(p)) return undefined;
  const bias = p.logitBias ?? [];
  const rep = p.repetitionPenalty ?? 1;
  const pres = p.presencePenalty ?? 0, freq = p.frequencyPenalty ?? 0;
  const minP = p.minP ?? 0;
  return (logits, prompt, generated) => {
    const V = logits.length;
    for (const [id, b] of bias) if (id >= 0 && id < V) logits[id]! += b;
    if (p.minTokens && generated.length < p.minTokens) for (const id of p.minTokensStop ?? []) if (id >= 0 && id < V) logits[id] = -Infinity;
    if (rep !== 1) {
      const seen = new Set<number>();
      for (const t of prompt) seen.add(t);
      for (const t of generated) seen.add(t);
      for (const t of seen) {
        if (t < 0 || t >= V) continue;
        const l = logits[t]!;
        logits[t] = l > 0 ? l / rep : l * rep;
      }
    }
    if (pres !== 0 || freq !== 0) {
      const count = new Map<number, number>();
      for (const t of generated) count.set(t, (count.get(t) ?? 0) + 1);
      for (const [t, c] of count) if (t >= 0 && t < V) logits[t]! -= freq * c + pres;
    }
    if (minP > 0 && temperature > 0) {
      let mx = -Infinity;
      for (let j = 0; j < V; j++) if (logits[j]! > mx) mx = logits[j]!;
      // p_j / p_max = exp((l_j - l_max) / T) < min_p  ⇔  l_j < l_max + T · ln(min_p)
      const cut = mx + temperature * Math.log(minP);
      for (let j = 0; j < V; j++) if (logits[j]! < cut) logits[j] = -Infinity;
    }
  };
}

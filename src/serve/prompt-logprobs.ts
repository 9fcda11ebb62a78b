// Log-probabilities of a prompt's own tokens (the `echo` + `logprobs` of /v1/completions, which lm-eval's
// loglikelihood requests read): one forward pass over the prompt, position t's logits scoring token t + 1. The
// distribution is the one sampling uses (the tokenizer's real vocabulary, untempered), so a prompt token's logprob
// and its top_logprobs entry agree, and a generated token scored later as part of a prompt gets the logprob it had
// when it was sampled.
import type { Transformer } from "../model/transformer.js";
import { logSoftmaxAt, topIndices } from "../model/sample.js";

export interface PromptLogprobs {
  /** logprobs[t - 1] = log p(row[t] | row[0..t-1]) for t = 1..len-1 (the first token has none). */
  logprobs: number[];
  /** The k most likely ids at each of those positions (empty lists when k = 0). */
  top: { token: number; logprob: number }[][];
}

/** What the server asks to score prompts: in-process, or the engine worker thread. */
export interface PromptScorer {
  scorePrompts(rows: number[][], topK: number): Promise<PromptLogprobs[]>;
}

/** Scores each row in its own forward pass (memory: one row's [len, V] logits at a time). */
export function scorePrompts(model: Transformer, rows: number[][], vocabLimit: number, topK: number): PromptLogprobs[] {
  const V = model.config.vocab_size;
  const limit = Math.min(V, vocabLimit);
  return rows.map((row) => {
    const out: PromptLogprobs = { logprobs: [], top: [] };
    if (row.length < 2) return out;
    const logits = model.forward([row.slice(0, -1)])[0]!;
    for (let t = 1; t < row.length; t++) {
      const l = logits.subarray((t - 1) * V, (t - 1) * V + limit);
      out.logprobs.push(row[t]! < limit ? logSoftmaxAt(l, row[t]!) : -Infinity);
      if (topK > 0) {
        let mx = -Infinity;
        for (let j = 0; j < l.length; j++) if (l[j]! > mx) mx = l[j]!;
        let s = 0;
        for (let j = 0; j < l.length; j++) s += Math.exp(l[j]! - mx);
        const lse = mx + Math.log(s);
        out.top.push(topIndices(l, Math.min(topK, l.length)).map((j) => ({ token: j, logprob: l[j]! - lse })));
      } else out.top.push([]);
    }
    return out;
  });
}

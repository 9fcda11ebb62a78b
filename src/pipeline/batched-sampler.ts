// One decode batch for many concurrent sample() calls on the embedded engine. Rejection sampling (the teacher-traces
// stage, through src/generate) asks one problem at a time, and LocalEngine.sampler() decodes each call alone: at
// the miniature's sizes a step over one row costs about as much as a step over dozens, so the stage ran at one row
// per step. This sampler gathers the calls made in the same turn of the event loop (the job's concurrent problems)
// into one DecodeSession, each call's rows with its own options and seed. Row i of a call draws from
// mixSeed(seed, i) as in sampleTokens and a row's budget depends only on its own prompt and maxTokens
// (model/sample.ts), so every call gets exactly what LocalEngine.sampler() gives it — batching changes speed only.
import type { LocalEngine } from "../engine/local.js";
import type { Completion, Prompt, SampleOptions, Sampler } from "../engine/types.js";
import { logitsProcessor } from "../model/logits-process.js";
import { DecodeSession, type TokenCompletion, type TokenSampleOptions } from "../model/sample.js";

interface Call {
  rows: number[][];
  prompts: number;
  opts: SampleOptions;
  seed: number;
  resolve: (c: Completion[][]) => void;
  reject: (e: unknown) => void;
}

export interface BatchedSamplerStats {
  /** Decode sessions run, calls served, and the most rows decoded together. */
  sessions: number;
  calls: number;
  largestBatch: number;
}

export function batchedSampler(engine: Pick<LocalEngine, "model" | "tokenizer" | "encodePrompt" | "sampler">, maxRows = 256): Sampler & { stats: BatchedSamplerStats } {
  const tok = engine.tokenizer;
  const ctx = engine.model.config.max_position_embeddings;
  const stats: BatchedSamplerStats = { sessions: 0, calls: 0, largestBatch: 0 };
  let queue: Call[] = [];
  let scheduled = false;

  const tokenOptions = (o: SampleOptions, seed: number): TokenSampleOptions => ({
    maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, topK: o.topK,
    stopTokens: [tok.eos, ...(o.stopTokens ?? [])], stopStrings: o.stop, decode: (ids) => tok.decode(ids, { skipSpecial: true }),
    seed, topLogprobs: o.topLogprobs, vocabLimit: tok.vocabSize, processLogits: logitsProcessor(o.logitsParams, o.temperature ?? 1),
  });

  const completion = (c: TokenCompletion, o: SampleOptions, promptTokens: number): Completion => ({
    text: c.text, tokens: c.tokens, logprobs: o.logprobs || o.topLogprobs ? c.logprobs : undefined, topLogprobs: c.topLogprobs,
    completionTokens: c.completionTokens, promptTokens, finishReason: c.finishReason,
  });

  /** Decodes `calls` (at most maxRows rows together, unless one call alone has more) in one session. */
  const decode = (calls: Call[]): void => {
    let need = 0, rows = 0;
    for (const c of calls) {
      rows += c.rows.length;
      for (const r of c.rows) need = Math.max(need, r.length + c.opts.maxTokens);
    }
    const session = new DecodeSession(engine.model, rows, Math.min(ctx, need));
    const ids = session.addGroups(calls.map((c) => ({ prompts: c.rows, opts: tokenOptions(c.opts, c.seed) })));
    const done = new Map<number, TokenCompletion>();
    while (session.active > 0) for (const e of session.step()) if (e.done) done.set(e.id, e.done);
    stats.sessions++;
    stats.largestBatch = Math.max(stats.largestBatch, rows);
    calls.forEach((c, ci) => {
      const n = c.rows.length / c.prompts;
      const out: Completion[][] = [];
      for (let i = 0; i < c.prompts; i++) out.push(ids[ci]!.slice(i * n, (i + 1) * n).map((id, j) => completion(done.get(id)!, c.opts, c.rows[i * n + j]!.length)));
      c.resolve(out);
    });
  };

  const flush = (): void => {
    scheduled = false;
    const calls = queue;
    queue = [];
    for (let i = 0; i < calls.length;) {
      const group: Call[] = [];
      let rows = 0;
      while (i < calls.length && (group.length === 0 || rows + calls[i]!.rows.length <= maxRows)) {
        rows += calls[i]!.rows.length;
        group.push(calls[i++]!);
      }
      try {
        decode(group);
      } catch (e) {
        for (const c of group) c.reject(e);
      }
    }
  };

  return {
    stats,
    // async: the engine's own sampler throws synchronously on bad input; here that is a rejected promise.
    async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
      const n = opts.n ?? 1;
      // What LocalEngine.sampleTokens does itself for these (its checks and messages, and the empty completions).
      if (opts.maxTokens === 0 || prompts.length === 0 || !Number.isInteger(n) || n < 1) return engine.sampler().sample(prompts, opts);
      const encoded = prompts.map((p) => engine.encodePrompt(p));
      // A prompt the context cannot hold fails alone, with the engine's own message, not the calls batched with it.
      if (encoded.some((ids) => ids.length === 0 || ids.length >= ctx)) return engine.sampler().sample(prompts, opts);
      stats.calls++;
      const rows: number[][] = [];
      for (const ids of encoded) for (let j = 0; j < n; j++) rows.push(ids);
      const seed = opts.seed ?? Math.floor(Math.random() * 0x100000000);
      return new Promise((resolve, reject) => {
        queue.push({ rows, prompts: prompts.length, opts, seed, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

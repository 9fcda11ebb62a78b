// The embedded engine: the Trainer API (engine/types.ts) over trimer's own transformer, in-process.
// forwardBackward runs one packed forward, hands the logits (or scalar scores) to the loss functions in
// model/losses.ts, and backpropagates their gradients; gradients accumulate until optimStep (AdamW).

import type {
  Completion, Datum, LossSpec, OptimOptions, Prompt, SampleOptions, Sampler, StepStats, TeacherTargets, Trainer,
} from "./types.js";
import type { ModelConfig } from "../model/config.js";
import { validateConfig } from "../model/config.js";
import { Transformer, packRows } from "../model/transformer.js";
import { adamwStep, newAdamWState, type AdamWState } from "../model/optim.js";
import { sampleTokens, topIndices } from "../model/sample.js";
import { checkBatch, pairwiseLoss, targetLogprobs, tokenLoss } from "../model/losses.js";
import { logitsProcessor } from "../model/logits-process.js";
import { checkpointTokenizer, loadCheckpoint, saveCheckpoint } from "../model/checkpoint.js";
import type { Tokenizer } from "../model/tokenizer.js";
import type { TensorMap } from "../model/tensors.js";
import { InputError } from "../util/errors.js";

export class LocalEngine implements Trainer {
  readonly model: Transformer;
  readonly tokenizer: Tokenizer;
  private adam: AdamWState;
  /** Batches accumulated since the last optimStep (for stats only). */
  private pending = 0;

  constructor(model: Transformer, tokenizer: Tokenizer, optimizer?: AdamWState) {
    if (tokenizer.vocabSize > model.config.vocab_size) {
      throw new InputError(`the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.config.vocab_size}`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.adam = optimizer ?? newAdamWState(model.config);
  }

  /** A freshly initialised model (seeded). The tokenizer's bos/eos/pad ids are recorded in the config. */
  static create(config: ModelConfig, tokenizer: Tokenizer, seed: number): LocalEngine {
    const c: ModelConfig = { bos_token_id: tokenizer.bos, eos_token_id: tokenizer.eos, pad_token_id: tokenizer.pad, ...config };
    validateConfig(c);
    return new LocalEngine(Transformer.init(c, seed), tokenizer);
  }

  /** Loads a checkpoint folder (model, tokenizer and, when present, optimizer state to resume training). */
  static async load(dir: string): Promise<LocalEngine> {
    const ck = await loadCheckpoint(dir);
    const model = new Transformer(ck.config, ck.tensors);
    const opt = ck.optimizer ? { step: ck.optimizer.step, m: ck.optimizer.m, v: ck.optimizer.v } : undefined;
    return new LocalEngine(model, checkpointTokenizer(ck), opt);
  }

  /** Writes model, tokenizer and optimizer state (atomically, via model/checkpoint). */
  async save(dir: string): Promise<void> {
    await saveCheckpoint(dir, {
      config: this.model.config,
      tensors: this.model.parameters(),
      tokenizer: this.tokenizer.toJSON(),
      optimizer: { step: this.adam.step, m: this.adam.m, v: this.adam.v },
    });
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.adam.step;
  }

  async forwardBackward(batch: Datum[], loss: LossSpec): Promise<StepStats> {
    checkBatch(batch, this.tokenizer.vocabSize, { minTokens: 2 });
    if (loss.type === "pairwise") {
      if (!this.model.config.score_head) throw new InputError("pairwise loss needs a model with a score head (config.score_head: true)");
      if (batch.length % 2 !== 0) throw new InputError(`pairwise loss: the batch has ${batch.length} data; expected pairs (chosen, rejected)`);
      const st = this.model.forwardPacked(packRows(batch.map((d) => d.tokens), this.model.config.vocab_size), { keep: true, head: false });
      const out = pairwiseLoss(st.scores!);
      this.model.backward(st, null, out.dscores);
      this.pending++;
      return { loss: out.loss, tokens: batch.length, metrics: out.metrics };
    }
    const V = this.model.config.vocab_size;
    const st = this.model.forwardPacked(packRows(batch.map((d) => d.tokens), V), { keep: true, head: true });
    // The losses see target positions only: the last position of each row predicts nothing.
    const logits = st.rowLogits.map((l, i) => l.subarray(0, (batch[i]!.tokens.length - 1) * V));
    this.maskPadding(logits);
    // In place: the gradients overwrite the logits (workspace the next forward reuses), instead of a fresh
    // logits-sized array per step (12.7 MB at the mini GRPO shape, ~15 ms of page faults and zeroing per step).
    const out = tokenLoss(loss, batch, logits, V, { inPlace: true });
    this.model.backward(st, out.dlogits);
    this.pending++;
    return { loss: out.loss, tokens: out.tokens, metrics: out.metrics };
  }

  async optimStep(opt: OptimOptions): Promise<StepStats> {
    const r = adamwStep(this.model.parameters(), this.model.gradients(), this.adam, opt);
    const accumulated = this.pending;
    this.pending = 0;
    return { loss: 0, tokens: 0, metrics: { gradNorm: r.gradNorm, clipScale: r.clipScale, lr: opt.lr, step: this.adam.step, accumulated } };
  }

  async logprobs(batch: Datum[], opts: { temperature?: number } = {}): Promise<Float32Array[]> {
    checkBatch(batch, this.tokenizer.vocabSize, { minTokens: 2 });
    return targetLogprobs(batch, this.targetLogits(batch), this.model.config.vocab_size, opts.temperature ?? 1);
  }

  async distribution(batch: Datum[], opts: { topK?: number } = {}): Promise<TeacherTargets[]> {
    checkBatch(batch, this.tokenizer.vocabSize, { minTokens: 2 });
    const V = this.model.config.vocab_size;
    const k = opts.topK ?? 0;
    if (!Number.isInteger(k) || k < 0) throw new InputError(`distribution: topK must be an integer >= 0, got ${opts.topK}`);
    const logits = this.targetLogits(batch);
    if (k === 0) return logits.map((l) => ({ kind: "logits" as const, vocab: V, logits: l }));
    const kk = Math.min(k, this.tokenizer.vocabSize);
    return logits.map((l) => {
      const n = l.length / V;
      const ids = new Int32Array(n * kk), lps = new Float32Array(n * kk);
      for (let t = 0; t < n; t++) {
        const row = l.subarray(t * V, (t + 1) * V);
        let mx = -Infinity;
        for (let j = 0; j < V; j++) if (row[j]! > mx) mx = row[j]!;
        let s = 0;
        for (let j = 0; j < V; j++) s += Math.exp(row[j]! - mx);
        const lse = mx + Math.log(s);
        topIndices(row, kk).forEach((j, r) => {
          ids[t * kk + r] = j;
          lps[t * kk + r] = row[j]! - lse;
        });
      }
      return { kind: "topk" as const, k: kk, ids, logprobs: lps };
    });
  }

  async scores(batch: Datum[]): Promise<Float32Array> {
    checkBatch(batch, this.model.config.vocab_size, { minTokens: 2 });
    if (!this.model.config.score_head) throw new InputError("scores need a model with a score head (config.score_head: true)");
    return this.model.scores(batch.map((d) => d.tokens));
  }

  sampler(): Sampler {
    return { sample: (prompts, opts) => Promise.resolve(this.sampleSync(prompts, opts)) };
  }

  /** Token prompts (already encoded, bos included) -> completions; the Sampler takes text or chat prompts. */
  sampleTokens(prompts: number[][], opts: SampleOptions): Completion[][] {
    const n = opts.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new InputError(`sample: n must be an integer >= 1, got ${opts.n}`);
    // Every prompt is repeated n times and all copies decode in one batch.
    const rows: number[][] = [];
    for (const p of prompts) for (let j = 0; j < n; j++) rows.push(p);
    const tok = this.tokenizer;
    const res = sampleTokens(this.model, rows, {
      maxTokens: opts.maxTokens,
      temperature: opts.temperature,
      topP: opts.topP,
      topK: opts.topK,
      stopTokens: [tok.eos, ...(opts.stopTokens ?? [])],
      stopStrings: opts.stop,
      decode: (ids) => tok.decode(ids, { skipSpecial: true }),
      seed: opts.seed,
      topLogprobs: opts.topLogprobs,
      vocabLimit: tok.vocabSize,
      processLogits: logitsProcessor(opts.logitsParams, opts.temperature ?? 1),
    });
    return prompts.map((p, i) =>
      res.slice(i * n, (i + 1) * n).map((c): Completion => ({
        text: c.text,
        tokens: c.tokens,
        logprobs: opts.logprobs || opts.topLogprobs ? c.logprobs : undefined,
        topLogprobs: c.topLogprobs,
        completionTokens: c.completionTokens,
        promptTokens: p.length,
        finishReason: c.finishReason,
      })),
    );
  }

  /** The tokens the sampler feeds the model for a prompt: bos + text, or the rendered chat. */
  encodePrompt(p: Prompt): number[] {
    const tok = this.tokenizer;
    return typeof p === "string" ? [tok.bos, ...tok.encode(p)] : tok.renderChat(p);
  }

  /** Positions the model can attend over (prompt + completion). */
  get contextLength(): number {
    return this.model.config.max_position_embeddings;
  }

  private sampleSync(prompts: Prompt[], opts: SampleOptions): Completion[][] {
    return this.sampleTokens(prompts.map((p) => this.encodePrompt(p)), opts);
  }

  /** Logits at the target positions of every datum ([(len - 1) * V] each, padding ids masked), no gradients. */
  private targetLogits(batch: Datum[]): Float32Array[] {
    const V = this.model.config.vocab_size;
    const st = this.model.forwardPacked(packRows(batch.map((d) => d.tokens), V), { keep: false, head: true });
    const logits = st.rowLogits.map((l, i) => l.slice(0, (batch[i]!.tokens.length - 1) * V));
    this.maskPadding(logits);
    return logits;
  }

  /**
   * A vocab_size padded past the tokenizer (e.g. 377 ids padded to 384 for the kernels): the padding ids get logit
   * -Infinity, so probability 0 in every loss, log-probability and distribution, as in sampling (which never draws
   * them). Otherwise GRPO's training log-probs would normalise over ids its sampler excluded, and the ratio
   * pi/pi_old would start below 1 instead of at 1.
   */
  private maskPadding(rows: Float32Array[]): void {
    const V = this.model.config.vocab_size, L = this.tokenizer.vocabSize;
    if (L >= V) return;
    for (const r of rows) for (let off = 0; off < r.length; off += V) r.fill(-Infinity, off + L, off + V);
  }

  /** The optimizer state (moments and step), e.g. for inspection. */
  optimizerState(): { step: number; m: TensorMap; v: TensorMap } {
    return this.adam;
  }
}

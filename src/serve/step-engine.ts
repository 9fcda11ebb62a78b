// The engine side of continuous batching: one long-lived DecodeSession driven by "ticks". A tick drops the rows of
// withdrawn requests, admits new rows (their prompts go through the next decode step with the running rows), then decodes a few steps for every active row and reports each
// row's new tokens (and its completion when it finished). The engine loop (engine-worker.ts, or backends.ts
// in-process) runs ticks back to back while any row is active, folding in whatever the batcher sent meanwhile; the
// messages are plain data so the same code serves both.
import type { LocalEngine } from "../engine/local.js";
import type { Completion } from "../engine/types.js";
import { logitsProcessor } from "../model/logits-process.js";
import { DecodeSession, type TokenCompletion, type TokenSampleOptions } from "../model/sample.js";
import type { BatchParams } from "./batcher.js";

/** The rows of one request, admitted together: row i draws from mixSeed(seed, i), as in sampleTokens. */
export interface AdmitGroup {
  /** The batcher's names for the rows (unique while the row lives). */
  handles: number[];
  rows: number[][];
  params: BatchParams;
  seed: number;
  /**
   * false: report only the rows' completions, not their tokens as they come (nobody streams them; at 32 rows the
   * per-tick token updates were most of what crossed the thread boundary). Default true.
   */
  stream?: boolean;
}

export interface TickRequest {
  drop: number[];
  add: AdmitGroup[];
  /** Most decode steps in this tick; it also ends as soon as a row finishes (its slot can take a new row). */
  maxSteps: number;
}

/** What one row did during a tick. */
export interface RowUpdate {
  handle: number;
  tokens: number[];
  logprobs: number[];
  topLogprobs?: { token: number; logprob: number }[][];
  /** Set when the row finished during this tick. */
  done?: Completion;
}

export interface TickResult {
  updates: RowUpdate[];
  /** Decode steps run. */
  steps: number;
  /** Σ over those steps of the rows decoded (rowSteps / steps = mean batch). */
  rowSteps: number;
  /** Rows admitted by this tick. */
  admitted?: number;
  /** Engine time spent admitting rows (bookkeeping: their prompts are decoded inside the next step) and decoding, ms. */
  admitMs?: number;
  decodeMs?: number;
}

/** Session capacity grows in these position steps so that slightly longer requests do not each regrow the cache. */
const CAP_STEP = 64;

export class StepEngine {
  private session: DecodeSession | null = null;
  private readonly idOf = new Map<number, number>();
  private readonly handleOf = new Map<number, { handle: number; promptTokens: number; stream: boolean }>();
  private readonly ctx: number;

  constructor(private readonly engine: Pick<LocalEngine, "model" | "tokenizer">) {
    this.ctx = engine.model.config.max_position_embeddings;
  }

  private tokenOptions(p: BatchParams, seed: number): TokenSampleOptions {
    const tok = this.engine.tokenizer;
    return {
      maxTokens: p.maxTokens, temperature: p.temperature, topP: p.topP, topK: p.topK, stopTokens: [tok.eos, ...(p.stopTokenIds ?? [])],
      stopStrings: p.stop.length ? p.stop : undefined, decode: (ids) => tok.decode(ids, { skipSpecial: true }), seed,
      topLogprobs: p.topLogprobs || undefined, vocabLimit: tok.vocabSize,
      processLogits: logitsProcessor(p.logits, p.temperature),
    };
  }

  /** Rows decoding now. */
  get active(): number {
    return this.idOf.size;
  }

  /** The batcher's handles of the rows decoding now. */
  handles(): number[] {
    return [...this.idOf.keys()];
  }

  /** Forgets every row (after an error the session's state is not trusted). */
  reset(): void {
    this.session = null;
    this.idOf.clear();
    this.handleOf.clear();
  }

  tick(req: TickRequest): TickResult {
    for (const h of req.drop) {
      const id = this.idOf.get(h);
      if (id === undefined) continue;
      this.session?.remove(id);
      this.idOf.delete(h);
      this.handleOf.delete(id);
    }
    const updates = new Map<number, RowUpdate>();
    const finished: RowUpdate[] = [];
    const admitted = req.add.filter((g) => {
      if (g.params.maxTokens > 0) return true;
      // Nothing to decode: answer at once (the session needs maxTokens >= 1).
      g.handles.forEach((h, i) => finished.push({ handle: h, tokens: [], logprobs: [], done: { text: "", tokens: [], logprobs: [], completionTokens: 0, promptTokens: g.rows[i]!.length, finishReason: "length" } }));
      return false;
    });
    const t0 = performance.now();
    if (admitted.length) {
      let rows = this.session?.active ?? 0, need = 0;
      for (const g of admitted) {
        rows += g.rows.length;
        for (const r of g.rows) need = Math.max(need, r.length + g.params.maxTokens);
      }
      const cap = Math.min(this.ctx, Math.ceil(need / CAP_STEP) * CAP_STEP);
      if (!this.session) this.session = new DecodeSession(this.engine.model, rows, cap);
      else this.session.reserve(rows, cap);
      const ids = this.session.addGroups(admitted.map((g) => ({ prompts: g.rows, opts: this.tokenOptions(g.params, g.seed) })));
      admitted.forEach((g, gi) => ids[gi]!.forEach((id, i) => {
        this.idOf.set(g.handles[i]!, id);
        this.handleOf.set(id, { handle: g.handles[i]!, promptTokens: g.rows[i]!.length, stream: g.stream ?? true });
      }));
    }
    const t1 = performance.now();
    let steps = 0, rowSteps = 0;
    const s = this.session;
    while (s && s.active > 0 && steps < req.maxSteps) {
      const events = s.step();
      steps++;
      rowSteps += events.length;
      let anyDone = false;
      for (const e of events) {
        const h = this.handleOf.get(e.id)!;
        if (!h.stream && !e.done) continue;
        let u = updates.get(h.handle);
        if (!u) {
          u = { handle: h.handle, tokens: [], logprobs: [] };
          updates.set(h.handle, u);
        }
        if (h.stream) {
          u.tokens.push(e.token);
          u.logprobs.push(e.logprob);
          if (e.topLogprobs) (u.topLogprobs ??= []).push(e.topLogprobs);
        }
        if (e.done) {
          anyDone = true;
          u.done = toCompletion(e.done, h.promptTokens);
          this.idOf.delete(h.handle);
          this.handleOf.delete(e.id);
        }
      }
      if (anyDone) break;
    }
    return { updates: [...finished, ...updates.values()], steps, rowSteps, admitted: admitted.reduce((n, g) => n + g.rows.length, 0), admitMs: t1 - t0, decodeMs: performance.now() - t1 };
  }
}

function toCompletion(c: TokenCompletion, promptTokens: number): Completion {
  return {
    text: c.text, tokens: c.tokens, logprobs: c.logprobs, topLogprobs: c.topLogprobs, completionTokens: c.completionTokens,
    promptTokens, finishReason: c.finishReason,
  };
}

/** What the engine loop reports: a tick's result, or a failed tick (its rows are gone: the session was reset). */
export type TickOutcome =
  | { type: "tick-result"; result: TickResult }
  | { type: "tick-error"; handles: number[]; name: string; message: string };

/** Rows to admit and rows to drop, folded into the next tick. */
export interface TickInput {
  add: AdmitGroup[];
  drop: number[];
}

/**
 * Runs ticks with everything the batcher sent since the last one. The caller (the worker's loop, or the in-process
 * backend's setImmediate chain) calls runOnce() while hasWork, so the engine never waits for the HTTP thread to plan
 * the next tick: finished rows, admissions and withdrawals reach it whenever they come, between two ticks.
 */
export class TickLoop {
  private add: AdmitGroup[] = [];
  private drop: number[] = [];

  constructor(private readonly steps: StepEngine, private readonly maxSteps: number, private readonly emit: (o: TickOutcome) => void) {
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new Error(`maxSteps must be a positive integer, got ${maxSteps}`);
  }

  push(input: TickInput): void {
    for (const g of input.add) this.add.push(g);
    for (const h of input.drop) this.drop.push(h);
  }

  get hasWork(): boolean {
    return this.add.length > 0 || this.drop.length > 0 || this.steps.active > 0;
  }

  runOnce(): void {
    const req: TickRequest = { add: this.add, drop: this.drop, maxSteps: this.maxSteps };
    this.add = [];
    this.drop = [];
    let result: TickResult;
    try {
      result = this.steps.tick(req);
    } catch (e) {
      // After a failure the session's state is not trusted: every row it held (and those this tick admitted) fails.
      const handles = new Set([...this.steps.handles(), ...req.add.flatMap((g) => g.handles)]);
      this.steps.reset();
      const err = e instanceof Error ? e : new Error(String(e));
      this.emit({ type: "tick-error", handles: [...handles], name: err.name, message: err.message });
      return;
    }
    this.emit({ type: "tick-result", result });
  }
}

// Batching concurrent requests into the engine's batched sampler. Each request becomes a job of token rows (its
// prompt repeated n times); when the engine is idle, the batcher takes every waiting job whose sampling parameters
// can share one sampleTokens call, up to `maxBatch` rows, and runs them together.
//
// Why group by parameters instead of per-row parameters: model/sample.ts takes one temperature / top-p / top-k /
// max_tokens / stop set for the whole batch (and src/model is not ours to change), so only requests with equal
// parameters share a call. Requests that carry a `seed` always run alone: sample.ts seeds row i with
// mixSeed(seed, i), so a seeded request reproduces only when its rows sit at indices 0..n-1 of their own call.
// Unseeded batches draw a fresh random seed per call.
//
// Scheduling: jobs that arrive while the engine is busy wait for it and go in the next call. When the engine is
// idle, the oldest job waits a short window for company, ending early once "the crowd" is queued: the most jobs
// that were in flight at once (queued or decoding) during the previous cycle. Closed-loop clients come back
// together after their answers, so at concurrency 1 nobody waits and at 32 the batch fills up instead of splitting
// into halves that then alternate forever. The window is half the previous engine call's duration,
// clamped to [windowMs, maxWindowMs]: waiting 10 ms to double a 100 ms batch pays; waiting 10 ms on a 2 ms call does
// not. FIFO: the oldest job always leads the next batch, so no parameter set starves.
import type { Completion, SampleOptions } from "../engine/types.js";
import type { LogitsParams } from "../model/logits-process.js";

/** Per-call sampling parameters shared by every row of a batch. */
export interface BatchParams {
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  stop: string[];
  /** Top alternatives per position (0 = none); logprobs of the sampled tokens are always returned. */
  topLogprobs: number;
  /** Penalties, logit bias, min-p, min_tokens (model/logits-process.ts); absent = none. */
  logits?: LogitsParams;
  /** More ids that end a row besides eos (vLLM's stop_token_ids). */
  stopTokenIds?: number[];
}

/** What the batcher drives: the embedded engine in-process or in a worker thread. One completion per row. */
export interface SampleBackend {
  sampleRows(rows: number[][], opts: SampleOptions): Promise<Completion[]>;
}

export interface BatcherOptions {
  /** Most rows (sequences) in one engine call (default 32). A single job larger than this runs alone. */
  maxBatch?: number;
  /** Shortest gathering window of an idle engine, in ms (default 2; 0 = one event-loop turn). */
  windowMs?: number;
  /** Longest gathering window, in ms (default 50). */
  maxWindowMs?: number;
}

export interface BatcherStats {
  /** Engine calls made. */
  calls: number;
  /** Jobs (requests) answered. */
  jobs: number;
  /** Rows (completions) sampled. */
  rows: number;
  /** Largest number of rows in one call. */
  largestCall: number;
  /** Milliseconds the engine spent in calls (compare with wall time for utilisation). */
  busyMs: number;
}

interface Job {
  rows: number[][];
  params: BatchParams;
  key: string;
  seed: number | undefined;
  resolve: (c: Completion[]) => void;
  reject: (e: unknown) => void;
}

export function paramsKey(p: BatchParams): string {
  return JSON.stringify([p.temperature, p.topP, p.topK, p.maxTokens, p.stop, p.topLogprobs, p.logits ?? null, p.stopTokenIds ?? null]);
}

export class Batcher {
  readonly stats: BatcherStats = { calls: 0, jobs: 0, rows: 0, largestCall: 0, busyMs: 0 };
  private readonly queue: Job[] = [];
  private busy = false;
  private timer: { kind: "timeout"; handle: NodeJS.Timeout } | { kind: "immediate"; handle: NodeJS.Immediate } | null = null;
  /** Jobs submitted and not yet answered (queued or in the running call). */
  private inFlight = 0;
  /** Most jobs in flight at once since the last call started. */
  private peak = 0;
  /** How many queued jobs end the gathering window early (the previous cycle's peak; Infinity at first). */
  private crowd = Infinity;
  private lastCallMs = 0;
  private readonly maxBatch: number;
  private readonly windowMs: number;
  private readonly maxWindowMs: number;

  constructor(private readonly backend: SampleBackend, opts: BatcherOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 32;
    this.windowMs = opts.windowMs ?? 2;
    this.maxWindowMs = Math.max(this.windowMs, opts.maxWindowMs ?? 50);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
    if (!(this.windowMs >= 0)) throw new Error(`windowMs must be >= 0, got ${opts.windowMs}`);
  }

  /** Jobs waiting (not yet in an engine call). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Samples one completion per row; resolves when the job's engine call finishes. `signal` (e.g. the client hung
   * up) withdraws the job while it is still queued; once its engine call has started it runs to the end.
   */
  submit(rows: number[][], params: BatchParams, seed?: number, signal?: AbortSignal): Promise<Completion[]> {
    if (rows.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(new Error("the request was withdrawn before sampling"));
    return new Promise<Completion[]>((resolve, reject) => {
      this.inFlight++;
      this.peak = Math.max(this.peak, this.inFlight);
      const onAbort = (): void => {
        const at = this.queue.indexOf(job);
        if (at < 0) return; // already in an engine call
        this.queue.splice(at, 1);
        job.reject(new Error("the request was withdrawn before sampling"));
      };
      const done = (): void => {
        this.inFlight--;
        signal?.removeEventListener("abort", onAbort);
      };
      const job: Job = {
        rows, params, key: paramsKey(params), seed,
        resolve: (c) => { done(); resolve(c); },
        reject: (e) => { done(); reject(e); },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      this.schedule();
    });
  }

  private queuedRows(): number {
    let r = 0;
    for (const j of this.queue) r += j.rows.length;
    return r;
  }

  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    const full = this.queue.length >= this.crowd || this.queuedRows() >= this.maxBatch;
    if (this.timer !== null) {
      if (!full || this.timer.kind === "immediate") return;
      // The crowd is here: stop waiting.
      clearTimeout(this.timer.handle);
      this.timer = null;
    }
    const go = (): void => {
      this.timer = null;
      void this.runOne();
    };
    const window = Math.min(this.maxWindowMs, Math.max(this.windowMs, this.lastCallMs / 2));
    this.timer = window > 0 && !full
      ? { kind: "timeout", handle: setTimeout(go, window) }
      : { kind: "immediate", handle: setImmediate(go) };
  }

  /** The oldest job plus every later unseeded job with the same parameters that still fits. */
  private take(): Job[] {
    const first = this.queue.shift()!;
    const batch = [first];
    if (first.seed !== undefined) return batch;
    let rows = first.rows.length;
    for (let i = 0; i < this.queue.length && rows < this.maxBatch; ) {
      const j = this.queue[i]!;
      if (j.seed === undefined && j.key === first.key && rows + j.rows.length <= this.maxBatch) {
        batch.push(j);
        rows += j.rows.length;
        this.queue.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  private async runOne(): Promise<void> {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    const batch = this.take();
    this.crowd = this.peak;
    this.peak = this.inFlight;
    const t0 = performance.now();
    const rows = batch.flatMap((j) => j.rows);
    const p = batch[0]!.params;
    const seed = batch[0]!.seed ?? Math.floor(Math.random() * 0x100000000);
    this.stats.calls++;
    this.stats.rows += rows.length;
    this.stats.largestCall = Math.max(this.stats.largestCall, rows.length);
    try {
      const out = await this.backend.sampleRows(rows, {
        n: 1, temperature: p.temperature, topP: p.topP, topK: p.topK, maxTokens: p.maxTokens,
        stop: p.stop.length ? p.stop : undefined, logprobs: true, topLogprobs: p.topLogprobs || undefined, seed,
        ...(p.logits ? { logitsParams: p.logits } : {}), ...(p.stopTokenIds?.length ? { stopTokens: p.stopTokenIds } : {}),
      });
      if (out.length !== rows.length) throw new Error(`engine returned ${out.length} completions for ${rows.length} rows`);
      let at = 0;
      for (const j of batch) {
        j.resolve(out.slice(at, at + j.rows.length));
        at += j.rows.length;
        this.stats.jobs++;
      }
    } catch (e) {
      for (const j of batch) j.reject(e);
    } finally {
      this.lastCallMs = performance.now() - t0;
      this.stats.busyMs += this.lastCallMs;
      this.busy = false;
      this.schedule();
    }
  }
}

// Continuous batching for `trimer serve`: the engine runs "ticks" (step-engine.ts) back to back while any request
// is decoding or waiting. Each tick admits waiting requests into free rows of the running batch (FIFO, up to
// `maxBatch` rows), decodes a few steps for every active row, and hands each request its new tokens as they come
// (streaming) and its completions when all its rows finished. Unlike Batcher (batcher.ts), a request arriving while
// others decode joins them at the next tick instead of waiting for the whole batch to end, and rows with different
// sampling parameters or seeds share the batch (model/sample.ts's DecodeSession samples each row with its own).
//
// A tick ends after `stepsPerTick` steps or as soon as a row finishes, so a finished row's slot is refilled at
// once and streaming chunks arrive every few tokens; more steps per tick would only save message overhead.
import type { Completion } from "../engine/types.js";
import type { BatchParams, BatcherStats } from "./batcher.js";
import type { AdmitGroup, RowUpdate, TickRequest, TickResult } from "./step-engine.js";

/** What drives the engine: a StepEngine in-process or in the worker thread. */
export interface StepBackend {
  tick(req: TickRequest): Promise<TickResult>;
  /** Forgets every row (after a failed tick). */
  reset(): Promise<void>;
}

/** New tokens of one row of a request (row = index into the request's rows). */
export interface JobUpdate {
  row: number;
  tokens: number[];
  logprobs: number[];
  topLogprobs?: { token: number; logprob: number }[][];
  /** The row's completion, when it finished with this update. */
  done?: Completion;
}

export interface ContinuousBatcherOptions {
  /** Most rows decoding at once (default 32). A single request with more rows runs once the batch is empty. */
  maxBatch?: number;
  /** Most decode steps per engine tick (default 8). */
  stepsPerTick?: number;
}

interface Job {
  rows: number[][];
  params: BatchParams;
  seed: number;
  handles: number[];
  results: (Completion | undefined)[];
  left: number;
  onUpdate?: (u: JobUpdate) => void;
  resolve: (c: Completion[]) => void;
  reject: (e: unknown) => void;
}

export class ContinuousBatcher {
  /** calls = engine ticks; rows = rows admitted; largestCall = most rows decoding at once. */
  readonly stats: BatcherStats = { calls: 0, jobs: 0, rows: 0, largestCall: 0, busyMs: 0 };
  /** Ticks that admitted rows (each costs a prefill); decode steps run; Σ rows over those steps. */
  readonly engineStats = { admissions: 0, steps: 0, rowSteps: 0 };
  private readonly queue: Job[] = [];
  /** Active rows: handle -> its job and row index. */
  private readonly active = new Map<number, { job: Job; row: number }>();
  private readonly drops: number[] = [];
  private nextHandle = 1;
  private running = false;
  private readonly maxBatch: number;
  private readonly stepsPerTick: number;

  constructor(private readonly backend: StepBackend, opts: ContinuousBatcherOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 32;
    this.stepsPerTick = opts.stepsPerTick ?? 8;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
    if (!Number.isInteger(this.stepsPerTick) || this.stepsPerTick < 1) throw new Error(`stepsPerTick must be a positive integer, got ${opts.stepsPerTick}`);
  }

  /** Requests waiting for rows (not yet decoding). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Samples one completion per row; `onUpdate` sees every row's tokens as they are decoded. `signal` (the client
   * hung up) withdraws the request: from the queue, or from the running batch at the next tick.
   */
  submit(rows: number[][], params: BatchParams, seed?: number, signal?: AbortSignal, onUpdate?: (u: JobUpdate) => void): Promise<Completion[]> {
    if (rows.length === 0) return Promise.resolve([]);
    const withdrawn = (): Error => new Error("the request was withdrawn before sampling");
    if (signal?.aborted) return Promise.reject(withdrawn());
    return new Promise<Completion[]>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.queue.indexOf(job);
        if (at >= 0) this.queue.splice(at, 1);
        else {
          for (const h of job.handles) {
            if (this.active.delete(h)) this.drops.push(h);
          }
        }
        job.reject(withdrawn());
      };
      let settled = false;
      const job: Job = {
        rows, params, seed: seed ?? Math.floor(Math.random() * 0x100000000), handles: [], results: rows.map(() => undefined), left: rows.length, onUpdate,
        resolve: (c) => { if (settled) return; settled = true; signal?.removeEventListener("abort", onAbort); resolve(c); },
        reject: (e) => { if (settled) return; settled = true; signal?.removeEventListener("abort", onAbort); reject(e); },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      if (!this.running) {
        this.running = true;
        // One event-loop turn lets requests sent together start together.
        setImmediate(() => void this.loop());
      }
    });
  }

  /** Waiting requests that fit the free rows, oldest first (a request never overtakes an older one). */
  private admit(): AdmitGroup[] {
    const groups: AdmitGroup[] = [];
    while (this.queue.length) {
      const job = this.queue[0]!;
      const free = this.maxBatch - this.active.size;
      if (job.rows.length > free && this.active.size > 0) break;
      this.queue.shift();
      job.handles = job.rows.map((_, row) => {
        const h = this.nextHandle++;
        this.active.set(h, { job, row });
        return h;
      });
      groups.push({ handles: job.handles, rows: job.rows, params: job.params, seed: job.seed });
      this.stats.rows += job.rows.length;
      if (job.rows.length > free) break; // an oversized request runs alone
    }
    return groups;
  }

  /** Plans and sends the next tick (admissions, withdrawals); null when there is nothing to do. */
  private send(): { result: Promise<TickResult>; t0: number } | null {
    if (this.queue.length === 0 && this.active.size === 0 && this.drops.length === 0) return null;
    const add = this.admit();
    const drop = this.drops.splice(0);
    this.stats.calls++;
    if (add.length) this.engineStats.admissions++;
    this.stats.largestCall = Math.max(this.stats.largestCall, this.active.size);
    return { result: this.backend.tick({ add, drop, maxSteps: this.stepsPerTick }), t0: performance.now() };
  }

  private async loop(): Promise<void> {
    try {
      let pending = this.send();
      while (pending) {
        let res: TickResult;
        const t0 = pending.t0;
        try {
          res = await pending.result;
        } catch (e) {
          this.stats.busyMs += performance.now() - t0;
          this.failAll(e);
          await this.backend.reset().catch(() => {});
          pending = this.send();
          continue;
        }
        this.stats.busyMs += performance.now() - t0;
        this.engineStats.steps += res.steps;
        this.engineStats.rowSteps += res.rowSteps;
        // Finished rows free their slots before the next tick is planned, and the next tick is sent before this
        // one's answers are handed out: the engine decodes while this thread writes responses and streams.
        const got = res.updates.map((u) => ({ u, a: this.active.get(u.handle) }));
        for (const { u, a } of got) if (a && u.done) this.active.delete(u.handle);
        pending = this.send();
        for (const { u, a } of got) if (a) this.deliver(a.job, a.row, u);
      }
    } finally {
      this.running = false;
    }
  }

  private deliver(job: Job, row: number, u: RowUpdate): void {
    try {
      job.onUpdate?.({ row, tokens: u.tokens, logprobs: u.logprobs, topLogprobs: u.topLogprobs, done: u.done });
    } catch {
      // A listener's failure (e.g. a closed socket) must not stop the engine loop.
    }
    if (!u.done) return;
    job.results[row] = u.done;
    if (--job.left === 0) {
      this.stats.jobs++;
      job.resolve(job.results as Completion[]);
    }
  }

  /** Rejects every request decoding or admitted (the engine failed); waiting requests stay queued. */
  private failAll(e: unknown): void {
    const jobs = new Set<Job>();
    for (const a of this.active.values()) jobs.add(a.job);
    this.active.clear();
    this.drops.length = 0;
    for (const j of jobs) j.reject(e);
  }
}

// Continuous batching for `trimer serve`. The engine loop (step-engine.ts's TickLoop, in the worker thread or
// in-process) runs "ticks" back to back while any row decodes: each tick folds in the rows this batcher admitted and
// withdrew since the last one, decodes a few steps for every active row, and reports each row's new tokens. This
// side keeps the FIFO queue and the row budget (`maxBatch`): when a tick's result says rows finished, their slots go
// to waiting requests at once, and the engine picks them up at its next tick boundary without ever waiting for
// this thread (which is busy with HTTP and JSON) to plan a tick. Unlike Batcher (batcher.ts), a request arriving
// while others decode joins them instead of waiting for the whole batch to end, and rows with different sampling
// parameters or seeds share the batch (model/sample.ts's DecodeSession samples each row with its own).
//
// A tick ends after `stepsPerTick` steps or as soon as a row finishes, so a finished row's slot is refilled at
// once and streaming chunks arrive every few tokens; more steps per tick would only save message overhead.
import type { Completion } from "../engine/types.js";
import type { BatchParams, BatcherStats } from "./batcher.js";
import type { AdmitGroup, RowUpdate, TickInput, TickResult } from "./step-engine.js";

/** Where tick results and failures go. `handles` "all": the engine is gone (every row failed). */
export interface StepListener {
  result(r: TickResult): void;
  failed(handles: number[] | "all", error: Error): void;
}

/** The engine loop, in-process or in the worker thread. */
export interface StepBackend {
  /** Starts the loop for this batcher (once): every tick's result and every failure go to `listener`. */
  connect(listener: StepListener, opts: { maxSteps: number }): void;
  /** Rows to admit and to drop; the loop folds them into its next tick (and starts ticking if it was idle). */
  send(input: TickInput): void;
}

/** New tokens of one row of a request (row = index into the request's rows); only requests with onUpdate get them. */
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
  /** calls = engine ticks; rows = rows admitted; largestCall = most rows decoding at once; busyMs = engine time. */
  readonly stats: BatcherStats = { calls: 0, jobs: 0, rows: 0, largestCall: 0, busyMs: 0 };
  /** Ticks that admitted rows; decode steps run; Σ rows over those steps; engine ms. */
  readonly engineStats = { admissions: 0, steps: 0, rowSteps: 0, admitMs: 0, decodeMs: 0 };
  private readonly queue: Job[] = [];
  /** Rows admitted and not yet reported done: handle -> its job and row index. */
  private readonly active = new Map<number, { job: Job; row: number }>();
  private readonly drops: number[] = [];
  private nextHandle = 1;
  private flushScheduled = false;
  private readonly maxBatch: number;
  private readonly stepsPerTick: number;

  constructor(private readonly backend: StepBackend, opts: ContinuousBatcherOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 32;
    this.stepsPerTick = opts.stepsPerTick ?? 8;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
    if (!Number.isInteger(this.stepsPerTick) || this.stepsPerTick < 1) throw new Error(`stepsPerTick must be a positive integer, got ${opts.stepsPerTick}`);
    backend.connect({ result: (r) => this.onResult(r), failed: (h, e) => this.onFailed(h, e) }, { maxSteps: this.stepsPerTick });
  }

  /** Requests waiting for rows (not yet decoding). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Samples one completion per row; `onUpdate` sees every row's tokens as they are decoded. `signal` (the client
   * hung up) withdraws the request: from the queue, or from the running batch at the engine's next tick.
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
          this.scheduleFlush();
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
      this.scheduleFlush();
    });
  }

  /** One event-loop turn lets requests sent together be admitted together (one tick, one fused step). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends the engine what changed: waiting requests that fit the free rows, and withdrawn rows. */
  private flush(): void {
    const add = this.admit();
    const drop = this.drops.splice(0);
    if (add.length === 0 && drop.length === 0) return;
    this.stats.largestCall = Math.max(this.stats.largestCall, this.active.size);
    this.backend.send({ add, drop });
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
      groups.push({ handles: job.handles, rows: job.rows, params: job.params, seed: job.seed, stream: job.onUpdate !== undefined });
      this.stats.rows += job.rows.length;
      if (job.rows.length > free) break; // an oversized request runs alone
    }
    return groups;
  }

  private onResult(res: TickResult): void {
    this.stats.calls++;
    const ms = (res.admitMs ?? 0) + (res.decodeMs ?? 0);
    this.stats.busyMs += ms;
    this.engineStats.steps += res.steps;
    this.engineStats.rowSteps += res.rowSteps;
    this.engineStats.admitMs += res.admitMs ?? 0;
    this.engineStats.decodeMs += res.decodeMs ?? 0;
    if (res.admitted) this.engineStats.admissions++;
    // Finished rows free their slots and waiting requests take them before any answer is written: the engine
    // gets its next rows while this thread serialises responses.
    const got = res.updates.map((u) => ({ u, a: this.active.get(u.handle) }));
    for (const { u, a } of got) if (a && u.done) this.active.delete(u.handle);
    this.flush();
    for (const { u, a } of got) if (a) this.deliver(a.job, a.row, u);
  }

  private deliver(job: Job, row: number, u: RowUpdate): void {
    try {
      job.onUpdate?.({ row, tokens: u.tokens, logprobs: u.logprobs, topLogprobs: u.topLogprobs, done: u.done });
    } catch {
      // A listener's failure (e.g. a closed socket) must not stop the batcher.
    }
    if (!u.done) return;
    job.results[row] = u.done;
    if (--job.left === 0) {
      this.stats.jobs++;
      job.resolve(job.results as Completion[]);
    }
  }

  /** Rejects the requests whose rows failed (the engine reset its session); waiting requests stay queued. */
  private onFailed(handles: number[] | "all", e: Error): void {
    const jobs = new Set<Job>();
    for (const h of handles === "all" ? [...this.active.keys()] : handles) {
      const a = this.active.get(h);
      if (a) jobs.add(a.job);
    }
    for (const j of jobs) {
      // Rows of the same request that the engine still decodes (none after a reset) are withdrawn too.
      for (const h of j.handles) if (this.active.delete(h) && handles !== "all" && !handles.includes(h)) this.drops.push(h);
      j.reject(e);
    }
    this.flush();
  }
}

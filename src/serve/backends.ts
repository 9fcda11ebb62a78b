// The two ways `trimer serve` drives the embedded engine behind the batcher:
//   - in-process: whole-batch calls and continuous-batching ticks run on the event loop. Simple and what tests use
//     (they can record every tick), but the HTTP server answers nothing while a call or a tick decodes.
//   - worker thread (the CLI's default): the model lives in a worker whose engine loop runs ticks back to back; the
//     event loop only parses requests, admits them and writes responses, so the two never wait for each other.
import { Worker } from "node:worker_threads";
import type { LocalEngine } from "../engine/local.js";
import type { Completion, SampleOptions } from "../engine/types.js";
import type { SampleBackend } from "./batcher.js";
import type { StepBackend, StepListener } from "./continuous.js";
import type { WorkerReply, WorkerRequest } from "./engine-worker.js";
import { scorePrompts, type PromptLogprobs, type PromptScorer } from "./prompt-logprobs.js";
import { StepEngine, TickLoop, type TickInput } from "./step-engine.js";
import { workerEntry } from "../util/worker-entry.js";

/** Scores prompts on the calling thread. */
export function inProcessScorer(engine: Pick<LocalEngine, "model" | "tokenizer">): PromptScorer {
  return { scorePrompts: async (rows, topK) => scorePrompts(engine.model, rows, engine.tokenizer.vocabSize, topK) };
}

/** Runs sampleTokens on the calling thread. */
export function inProcessBackend(engine: Pick<LocalEngine, "sampleTokens">): SampleBackend {
  return {
    sampleRows: async (rows, opts) => engine.sampleTokens(rows, { ...opts, n: 1 }).map((c) => c[0]!),
  };
}

/**
 * Runs the continuous-batching loop on the calling thread (the HTTP server waits while a tick decodes). Each tick
 * runs in the next check phase, after pending I/O, so that answers go out and new requests are read between ticks.
 */
export function inProcessStepBackend(engine: Pick<LocalEngine, "model" | "tokenizer">): StepBackend {
  const steps = new StepEngine(engine);
  let loop: TickLoop | null = null;
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!loop?.hasWork) return;
      loop.runOnce();
      if (loop.hasWork) schedule();
    });
  };
  return {
    connect(listener, opts) {
      if (loop) throw new Error("this step backend is already connected to a batcher");
      loop = new TickLoop(steps, opts.maxSteps, (o) => {
        if (o.type === "tick-result") listener.result(o.result);
        else listener.failed(o.handles, Object.assign(new Error(o.message), { name: o.name }));
      });
    },
    send(input) {
      if (!loop) throw new Error("connect() the step backend first");
      loop.push(input);
      schedule();
    },
  };
}

/** A checkpoint loaded in a worker thread: whole-batch calls by id, and the continuous-batching loop. */
export class WorkerBackend implements SampleBackend, StepBackend, PromptScorer {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (c: Completion[]) => void; reject: (e: Error) => void }>();
  private readonly scoring = new Map<number, { resolve: (r: PromptLogprobs[]) => void; reject: (e: Error) => void }>();
  private listener: StepListener | null = null;
  private readonly ready: Promise<void>;
  private failed: Error | null = null;

  private constructor(dir: string) {
    this.worker = new Worker(workerEntry(import.meta.url, "engine-worker"), { workerData: { dir } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (m: WorkerReply) => {
        if (m.type === "ready") return resolve();
        if (m.type === "load-error") return reject(Object.assign(new Error(m.message), { name: m.name }));
        if (m.type === "tick-result") return this.listener?.result(m.result);
        if (m.type === "tick-error") return this.listener?.failed(m.handles, Object.assign(new Error(m.message), { name: m.name }));
        if (m.type === "scored" || (m.type === "error" && this.scoring.has(m.id))) {
          const q = this.scoring.get(m.id);
          this.scoring.delete(m.id);
          if (m.type === "scored") q?.resolve(m.results);
          else q?.reject(Object.assign(new Error(m.message), { name: m.name }));
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === "result") p.resolve(m.completions);
        else p.reject(Object.assign(new Error(m.message), { name: m.name }));
      });
      this.worker.on("error", (e) => {
        this.failed = e;
        reject(e);
        for (const p of [...this.pending.values(), ...this.scoring.values()]) p.reject(e);
        this.pending.clear();
        this.scoring.clear();
        this.listener?.failed("all", e);
      });
      this.worker.on("exit", (code) => {
        const e = new Error(`the engine worker exited (code ${code})`);
        this.failed ??= e;
        reject(e);
        for (const p of [...this.pending.values(), ...this.scoring.values()]) p.reject(e);
        this.pending.clear();
        this.scoring.clear();
        this.listener?.failed("all", this.failed);
      });
    });
  }

  /** Starts the worker and waits until it has loaded the checkpoint (load errors reject here). */
  static async start(dir: string): Promise<WorkerBackend> {
    const b = new WorkerBackend(dir);
    try {
      await b.ready;
    } catch (e) {
      await b.close();
      throw e;
    }
    return b;
  }

  private call(req: Extract<WorkerRequest, { id: number }>): Promise<Completion[]> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<Completion[]>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req);
    });
  }

  sampleRows(rows: number[][], opts: SampleOptions): Promise<Completion[]> {
    return this.call({ id: this.nextId++, rows, opts });
  }

  scorePrompts(rows: number[][], topK: number): Promise<PromptLogprobs[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<PromptLogprobs[]>((resolve, reject) => {
      this.scoring.set(id, { resolve, reject });
      this.worker.postMessage({ type: "score", id, rows, topK } satisfies WorkerRequest);
    });
  }

  connect(listener: StepListener, opts: { maxSteps: number }): void {
    if (this.listener) throw new Error("this step backend is already connected to a batcher");
    this.listener = listener;
    this.worker.postMessage({ type: "connect", maxSteps: opts.maxSteps } satisfies WorkerRequest);
  }

  send(input: TickInput): void {
    const failed = this.failed;
    if (failed) {
      // The worker is gone: the admitted rows fail (a microtask later, as a tick's failure would).
      const handles = input.add.flatMap((g) => g.handles);
      queueMicrotask(() => this.listener?.failed(handles, failed));
      return;
    }
    this.worker.postMessage({ type: "tick-input", input } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

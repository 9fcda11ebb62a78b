// The two ways `trimer serve` drives the embedded engine behind the batcher:
//   - in-process: sampleTokens runs on the event loop. Simple and what tests use (they can count calls), but the
//     HTTP server does not answer anything while a batch decodes (sample.ts has no step-wise API to yield from).
//   - worker thread (the CLI's default): the model lives in a worker; the event loop only parses requests and
//     writes responses, so it stays responsive and gathers the next batch while the current one decodes.
import { Worker } from "node:worker_threads";
import type { LocalEngine } from "../engine/local.js";
import type { Completion, SampleOptions } from "../engine/types.js";
import type { SampleBackend } from "./batcher.js";
import type { StepBackend } from "./continuous.js";
import type { WorkerReply, WorkerRequest } from "./engine-worker.js";
import { StepEngine, type TickRequest, type TickResult } from "./step-engine.js";

/** Runs sampleTokens on the calling thread. */
export function inProcessBackend(engine: Pick<LocalEngine, "sampleTokens">): SampleBackend {
  return {
    sampleRows: async (rows, opts) => engine.sampleTokens(rows, { ...opts, n: 1 }).map((c) => c[0]!),
  };
}

/**
 * Runs continuous-batching ticks on the calling thread (the HTTP server waits while a tick decodes). A tick starts
 * in the next check phase, after pending I/O, so that answers go out and new requests are read between ticks.
 */
export function inProcessStepBackend(engine: Pick<LocalEngine, "model" | "tokenizer">): StepBackend {
  const steps = new StepEngine(engine);
  return {
    tick: (req) => new Promise<TickResult>((resolve, reject) => setImmediate(() => {
      try {
        resolve(steps.tick(req));
      } catch (e) {
        reject(e);
      }
    })),
    reset: async () => steps.reset(),
  };
}

/**
 * The worker entry next to this module: engine-worker.js from dist/. From source (tests, under tsx) it is a .ts
 * file and tsx's --import hook does not reach worker threads on Node 20, so a one-line bootstrap registers tsx in
 * the thread first.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("./engine-worker.js", import.meta.url);
  const target = new URL("./engine-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** A checkpoint loaded in a worker thread; one engine call at a time (the batcher never overlaps calls). */
export class WorkerBackend implements SampleBackend, StepBackend {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (c: Completion[] | TickResult) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;
  private failed: Error | null = null;

  private constructor(dir: string) {
    this.worker = new Worker(workerEntry(), { workerData: { dir } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (m: WorkerReply) => {
        if (m.type === "ready") return resolve();
        if (m.type === "load-error") return reject(Object.assign(new Error(m.message), { name: m.name }));
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === "result") p.resolve(m.completions);
        else if (m.type === "tick-result") p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.message), { name: m.name }));
      });
      this.worker.on("error", (e) => {
        this.failed = e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.worker.on("exit", (code) => {
        const e = new Error(`the engine worker exited (code ${code})`);
        this.failed ??= e;
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
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

  private call<T extends Completion[] | TickResult>(req: WorkerRequest): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req.id, { resolve: resolve as (c: Completion[] | TickResult) => void, reject });
      this.worker.postMessage(req);
    });
  }

  sampleRows(rows: number[][], opts: SampleOptions): Promise<Completion[]> {
    return this.call<Completion[]>({ id: this.nextId++, rows, opts });
  }

  tick(tick: TickRequest): Promise<TickResult> {
    return this.call<TickResult>({ type: "tick", id: this.nextId++, tick });
  }

  async reset(): Promise<void> {
    await this.call<TickResult>({ type: "reset", id: this.nextId++ });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

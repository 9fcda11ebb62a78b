// Verifying many answers on several cores: a pool of worker threads, each running the (pure, thread-safe)
// verifier on batches. Results come back in input order and are identical to calling verify() in this thread.
// The worker entry (worker.js, or worker.ts from source) is util/worker-entry.ts's.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import type { Verdict, VerifyOptions } from "./index.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";
import { workerEntry } from "../util/worker-entry.js";

export interface VerifyJob {
  gold: string;
  pred: string;
}

export interface PoolOptions {
  /** Worker threads (default: available cores − 1, at least 1). */
  threads?: number;
  /** Pairs per message (default 64): large enough to amortise messaging, small enough to balance load. */
  batchSize?: number;
}

export class VerifierPool {
  private readonly workers: Worker[] = [];
  private readonly batchSize: number;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: Verdict[]) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(opts: PoolOptions = {}) {
    const n = Math.max(1, Math.floor(opts.threads ?? Math.max(1, availableParallelism() - 1)));
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 64));
    for (let i = 0; i < n; i++) {
      const w = new Worker(workerEntry(import.meta.url, "worker"));
      w.on("message", (r: WorkerReply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        p.resolve(r.verdicts);
      });
      w.on("error", (e) => this.failAll(e));
      w.on("exit", (code) => {
        if (!this.closed && code !== 0) this.failAll(new Error(`verifier worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** verify(gold, pred, opts) for every job, in order, spread over the workers. */
  async verifyMany(jobs: readonly VerifyJob[], opts: VerifyOptions = {}): Promise<Verdict[]> {
    if (this.closed) throw new Error("VerifierPool is closed");
    const batches: Promise<Verdict[]>[] = [];
    for (let i = 0, k = 0; i < jobs.length; i += this.batchSize, k++) {
      const id = this.nextId++;
      const worker = this.workers[k % this.workers.length]!;
      const req: WorkerRequest = { id, jobs: jobs.slice(i, i + this.batchSize).map((j) => ({ gold: j.gold, pred: j.pred })), opts };
      batches.push(
        new Promise<Verdict[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage(req);
        }),
      );
    }
    return (await Promise.all(batches)).flat();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

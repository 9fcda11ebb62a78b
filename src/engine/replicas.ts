// One Sampler over several replicas of the same model (a fleet of inference servers): each prompt goes to the
// next healthy replica (round robin); a prompt whose replica fails is retried on another one, and the failed
// replica is rested for a while before it gets work again. Every prompt is its own request with the call's
// options (seed included), exactly as a single server would receive it, so the completions do not depend on which
// replica served them — the result equals a single run's when the replicas serve the same weights.
import type { Completion, Prompt, SampleOptions, Sampler } from "./types.js";

export interface Replica {
  name: string;
  sampler: Sampler;
}

export interface ReplicaOptions {
  /** How long a replica that failed gets no new work (default 30 s). */
  restMs?: number;
  /** Called when a replica fails and is rested (e.g. to log it). */
  onRest?: (replica: string, reason: string) => void;
  /** Errors that are the request's own fault (a prompt the model refuses): rethrown, no replica rested. */
  isRequestError?: (e: unknown) => boolean;
  now?: () => number;
}

/** A request the server refused for its own content (HTTP 400, 404 model, 413, 422): another replica would too. */
export function requestFault(e: unknown): boolean {
  const status = (e as { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class ReplicaSampler implements Sampler {
  private next = 0;
  private readonly restedUntil: number[];
  readonly served: number[];

  constructor(private readonly replicas: readonly Replica[], private readonly opts: ReplicaOptions = {}) {
    if (replicas.length === 0) throw new Error("ReplicaSampler needs at least one replica");
    this.restedUntil = replicas.map(() => 0);
    this.served = replicas.map(() => 0);
  }

  /** The next replica to try, skipping rested ones and those in `tried`; -1 when none is left. */
  private pick(tried: ReadonlySet<number>): number {
    const now = (this.opts.now ?? Date.now)();
    const n = this.replicas.length;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      if (!tried.has(i) && this.restedUntil[i]! <= now) {
        this.next = (i + 1) % n;
        return i;
      }
    }
    // Every untried replica is resting: try the one whose rest ends first rather than failing the job.
    let best = -1;
    for (let i = 0; i < n; i++) if (!tried.has(i) && (best < 0 || this.restedUntil[i]! < this.restedUntil[best]!)) best = i;
    return best;
  }

  private async one(prompt: Prompt, opts: SampleOptions): Promise<Completion[]> {
    const tried = new Set<number>();
    let last: unknown;
    for (;;) {
      const i = this.pick(tried);
      if (i < 0) throw last;
      tried.add(i);
      try {
        const out = (await this.replicas[i]!.sampler.sample([prompt], opts))[0] ?? [];
        this.served[i]!++;
        return out;
      } catch (e) {
        if ((this.opts.isRequestError ?? requestFault)(e)) throw e;
        last = e;
        this.restedUntil[i] = (this.opts.now ?? Date.now)() + (this.opts.restMs ?? 30_000);
        this.opts.onRest?.(this.replicas[i]!.name, e instanceof Error ? e.message : String(e));
      }
    }
  }

  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    return Promise.all(prompts.map((p) => this.one(p, opts)));
  }
}

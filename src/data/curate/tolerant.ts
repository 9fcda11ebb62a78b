// A Sampler wrapper for long curation jobs on the embedded engine: one prompt the engine refuses (longer than the
// model's context, typically a judge prompt with a long solution) must not sink the run. When a call fails, each
// prompt is retried alone; the ones that still fail get no completions (pass-rate counts them under noCompletions,
// the judge as "empty") and their errors are kept. Until some prompt has succeeded, a failure is taken to mean the
// engine itself is broken and is thrown. (The OpenAI sampler has the same policy built in: onPromptError "empty".)
// `handled` sees each failing prompt first: it returns true for a failure the job accounts for itself (a prompt
// longer than the context under --skip-long: counted there, not a failure) and may throw to stop the job.
import type { Completion, Prompt, SampleOptions, Sampler } from "../../engine/types.js";

export class TolerantSampler implements Sampler {
  readonly failures: { message: string }[] = [];
  private succeeded = 0;
  constructor(
    private readonly inner: Sampler,
    private readonly onFailure?: (message: string) => void,
    private readonly handled?: (error: unknown, prompt: Prompt) => boolean,
  ) {}

  async sample(prompts: Prompt[], opts: SampleOptions): Promise<Completion[][]> {
    try {
      const out = await this.inner.sample(prompts, opts);
      this.succeeded += prompts.length;
      return out;
    } catch (batchError) {
      if (prompts.length === 1) {
        if (this.handled?.(batchError, prompts[0]!)) return [[]];
        if (this.succeeded === 0) throw batchError;
      }
    }
    const out: Completion[][] = [];
    const errors: unknown[] = [];
    for (const p of prompts) {
      try {
        out.push((await this.inner.sample([p], opts))[0] ?? []);
        this.succeeded++;
      } catch (e) {
        if (!this.handled?.(e, p)) errors.push(e);
        out.push([]);
      }
    }
    if (errors.length === 0) return out;
    if (this.succeeded === 0) throw errors[0];
    for (const e of errors) {
      const message = e instanceof Error ? e.message : String(e);
      this.failures.push({ message });
      this.onFailure?.(message);
    }
    return out;
  }
}

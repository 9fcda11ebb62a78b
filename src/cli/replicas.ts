// The sampler for --url: one OpenAI-compatible server, or a comma-separated list of replicas of the same model
// (engine/replicas.ts: requests spread, a failed replica rested and its requests retried on the others). Every
// command that talks to servers (eval, generate, curate, solve) opens its samplers here, so all share one
// replica pool behaviour.
import { createOpenAISampler, type OpenAISamplerOptions } from "../engine/openai.js";
import { ReplicaSampler } from "../engine/replicas.js";
import type { Sampler } from "../engine/types.js";
import { UsageError } from "../util/errors.js";
import { preflight } from "./preflight.js";

/** The URLs of a --url value: "http://a/v1,http://b/v1" → two replicas. */
export function replicaUrls(baseUrl: string): string[] {
  return baseUrl.split(",").map((u) => u.trim()).filter(Boolean);
}

/**
 * The replicas that can be reached. One server: checked (preflight; unreachable is an error). Several: each
 * checked, an unreachable one left out with a notice; none reachable is an error.
 */
export async function liveReplicas(opts: Pick<OpenAISamplerOptions, "baseUrl" | "model" | "apiKey">, command: string): Promise<string[]> {
  const urls = replicaUrls(opts.baseUrl);
  if (urls.length <= 1) {
    await preflight(opts);
    return urls.length ? urls : [opts.baseUrl];
  }
  const up: string[] = [];
  for (const u of urls) {
    try {
      await preflight({ ...opts, baseUrl: u });
      up.push(u);
    } catch (e) {
      process.stderr.write(`trimer ${command}: replica ${u} left out: ${(e as Error).message}\n`);
    }
  }
  if (!up.length) throw new UsageError(`none of the ${urls.length} --url replicas can be reached — start the servers or fix --url`);
  return up;
}

/** A sampler with close() (the HTTP agents of its servers). */
export type ClosableSampler = Sampler & { close(): void };

/**
 * The sampler over already-checked replicas (liveReplicas). One: a plain OpenAI sampler with `opts`. Several:
 * each asked with few retries of its own — a dead replica should hand its requests to the others quickly rather
 * than back off for 24 s.
 */
export function samplerOver(urls: readonly string[], opts: OpenAISamplerOptions, command: string): ClosableSampler {
  if (urls.length <= 1) return createOpenAISampler({ ...opts, baseUrl: urls[0] ?? opts.baseUrl });
  const { onPromptError: _keep, ...inner } = opts;
  const replicas = urls.map((u) => ({ name: u, sampler: createOpenAISampler({ ...inner, baseUrl: u, maxRetries: 1, backoff: { baseMs: 200, maxMs: 1000 } }) }));
  const pool = new ReplicaSampler(replicas, {
    onRest: (name, reason) => process.stderr.write(`trimer ${command}: replica ${name} failed (${reason.slice(0, 160)}); resting it, its requests go to the others\n`),
  });
  return Object.assign(pool, { close: () => { for (const r of replicas) r.sampler.close(); } });
}

/** liveReplicas then samplerOver: the sampler of a --url value. */
export async function serverSampler(opts: OpenAISamplerOptions, command: string): Promise<ClosableSampler> {
  return samplerOver(await liveReplicas(opts, command), opts, command);
}

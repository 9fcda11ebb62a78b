// The sampler for --url: one OpenAI-compatible server, or a comma-separated list of replicas of the same model
// (engine/replicas.ts: requests spread, a failed replica rested and its requests retried on the others).
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
 * One server: checked (preflight) and returned as is. Several: each checked (an unreachable one is left out with a
 * notice; none reachable is an error), each asked with few retries of its own — a dead replica should hand its
 * requests to the others quickly rather than back off for 24 s.
 */
export async function serverSampler(opts: OpenAISamplerOptions, command: string): Promise<Sampler> {
  const urls = replicaUrls(opts.baseUrl);
  if (urls.length <= 1) {
    await preflight(opts);
    return createOpenAISampler(opts);
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
  const { onPromptError: _keep, ...inner } = opts;
  return new ReplicaSampler(up.map((u) => ({ name: u, sampler: createOpenAISampler({ ...inner, baseUrl: u, maxRetries: 1, backoff: { baseMs: 200, maxMs: 1000 } }) })), {
    onRest: (name, reason) => process.stderr.write(`trimer ${command}: replica ${name} failed (${reason.slice(0, 160)}); resting it, its requests go to the others\n`),
  });
}

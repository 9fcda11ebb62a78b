// Opening "a checkpoint dir or a URL" as a Sampler, for commands that work on any engine (`trimer solve`,
// `trimer eval`). A checkpoint with a score head opens as a reward model in train/reward-model/score.ts.
import { LocalEngine } from "./local.js";
import { createOpenAISampler } from "./openai.js";
import type { Sampler } from "./types.js";
import type { JsonObject } from "./openai-map.js";
import { InputError, UsageError } from "../util/errors.js";

export interface SamplerSpec {
  /** A trimer checkpoint folder (embedded engine). */
  checkpoint?: string;
  /** An OpenAI-compatible base URL up to /v1. */
  url?: string;
  /** The remote model name (required with url). */
  model?: string;
  apiKey?: string;
  /** Remote only: requests in flight at once (default 16). */
  concurrency?: number;
  /** Remote only: response cache folder. */
  cacheDir?: string;
  /** Remote only: fields added to every request body. */
  extraBody?: JsonObject;
}

export interface OpenedSampler {
  sampler: Sampler;
  kind: "local" | "remote";
  /** The embedded engine, for a local checkpoint. */
  engine?: LocalEngine;
  close(): Promise<void>;
}

/** Exactly one of checkpoint / url. Errors name the flag that is missing or wrong. */
export async function openSampler(spec: SamplerSpec): Promise<OpenedSampler> {
  if (spec.checkpoint !== undefined && spec.url !== undefined) throw new UsageError("give a checkpoint or a URL, not both");
  if (spec.checkpoint !== undefined) {
    const engine = await LocalEngine.load(spec.checkpoint);
    if (engine.config.score_head) throw new InputError(`${spec.checkpoint}: this checkpoint is a reward model (score head); it cannot generate text`);
    return { sampler: engine.sampler(), kind: "local", engine, close: async () => {} };
  }
  if (spec.url !== undefined) {
    try {
      const u = new URL(spec.url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw new UsageError(`"${spec.url}" is not an http(s) URL (e.g. http://localhost:8000/v1)`);
    }
    if (!spec.model) throw new UsageError("a URL needs a model name (the name the server serves)");
    const sampler = createOpenAISampler({
      baseUrl: spec.url, model: spec.model, ...(spec.apiKey ? { apiKey: spec.apiKey } : {}),
      ...(spec.concurrency ? { concurrency: spec.concurrency } : {}), ...(spec.cacheDir ? { cacheDir: spec.cacheDir } : {}),
      ...(spec.extraBody ? { extraBody: spec.extraBody } : {}),
    });
    return { sampler, kind: "remote", close: async () => {} };
  }
  throw new UsageError("give a checkpoint folder or a URL");
}

// Shared by the serve tests: a tiny random model saved to a temp folder, and a trimer serve on loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEngine } from "../../src/engine/local.js";
import type { ModelConfig } from "../../src/model/config.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import { Batcher, type SampleBackend } from "../../src/serve/batcher.js";
import { inProcessBackend } from "../../src/serve/backends.js";
import { startOpenAIServer, type OpenAIServerOptions, type RunningServer } from "../../src/serve/openai-server.js";

export const tok = mathTokenizer();

export const tinyConfig: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 64, max_position_embeddings: 128, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};

export function tinyEngine(seed = 7, config: Partial<ModelConfig> = {}): LocalEngine {
  return LocalEngine.create({ ...tinyConfig, ...config }, tok, seed);
}

/** Saves `engine` to a fresh temp folder; returns the folder and a cleanup. */
export async function savedCheckpoint(engine: LocalEngine): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "trimer-serve-"));
  await engine.save(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A backend that counts engine calls (and the rows of each). */
export function countingBackend(inner: SampleBackend): SampleBackend & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    sampleRows: (rows, opts) => {
      calls.push(rows.length);
      return inner.sampleRows(rows, opts);
    },
  };
}

export interface TestServer extends RunningServer {
  engine: LocalEngine;
  backend: SampleBackend & { calls: number[] };
  batcher: Batcher;
}

export async function startTestServer(opts: Partial<Omit<OpenAIServerOptions, "batcher">> & { batcher?: Batcher; maxBatch?: number; windowMs?: number; engine?: LocalEngine } = {}): Promise<TestServer> {
  const engine = opts.engine ?? tinyEngine();
  const backend = countingBackend(inProcessBackend(engine));
  const batcher = opts.batcher ?? new Batcher(backend, { maxBatch: opts.maxBatch ?? 32, windowMs: opts.windowMs ?? 0 });
  const running = await startOpenAIServer({
    batcher, tokenizer: engine.tokenizer, contextLength: engine.config.max_position_embeddings, modelName: "tiny",
    port: 0, ...opts,
  });
  return { ...running, engine, backend, batcher };
}

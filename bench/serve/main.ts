// `npm run bench serve -- --rounds=4 --max-tokens=64 [--in-process]`
// trimer serve's generated tokens/s at concurrency 1, 8 and 32 (the official `openai` client, real HTTP on
// loopback, /v1/completions, max_tokens 64, temperature 1) against the engine's own batched sampler
// (LocalEngine.sampleTokens with the same batch sizes and prompts) measured in the same run.
//   serve:  c client loops, each sending `rounds` requests one after another; tokens/s = Σ usage.completion_tokens
//           / wall time of the whole burst (so batching gaps, HTTP and JSON all count).
//   direct: `rounds` calls of sampleTokens with c prompts; tokens/s = Σ completion tokens / total time.
// Model: d 128, 4 layers, 4 heads, MLP 512, context 256, trimer's char vocabulary, random weights (a random model
// stops at eos at random: both sides sample the same distribution, so generated lengths are comparable).
// The server runs as the CLI runs it: the engine in a worker thread (--in-process: on the HTTP thread instead).
// Goal (the issue): serve >= 80% of direct at concurrency 32.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { Batcher } from "../../src/serve/batcher.js";
import { openServedModel } from "../../src/serve/host.js";
import { startOpenAIServer } from "../../src/serve/openai-server.js";

function flag(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
}
const ROUNDS = flag("rounds", 4);
const MAX_TOKENS = flag("max-tokens", 64);
const IN_PROCESS = process.argv.includes("--in-process");
const CONCURRENCY = [1, 8, 32];

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
  intermediate_size: 512, max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
const engine = LocalEngine.create(config, tok, 1);
const question = (i: number): string => `${(i * 37) % 100}*${(i * 11) % 10}+${(i * 7) % 13}-${i % 9}=`;

function direct(c: number): { tokensPerS: number; tokens: number; seconds: number } {
  let tokens = 0;
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    const prompts = Array.from({ length: c }, (_, i) => [tok.bos, ...tok.encode(question(r * c + i))]);
    const out = engine.sampleTokens(prompts, { maxTokens: MAX_TOKENS, temperature: 1, seed: r });
    for (const p of out) tokens += p[0]!.completionTokens;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tokensPerS: tokens / seconds, tokens, seconds };
}

async function served(client: OpenAI, c: number, batcher: Batcher): Promise<{ tokensPerS: number; tokens: number; seconds: number; calls: number; meanBatch: number }> {
  let tokens = 0;
  const calls0 = batcher.stats.calls, rows0 = batcher.stats.rows;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async (_, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      const res = await client.completions.create({ model: "bench", prompt: question(r * c + i), max_tokens: MAX_TOKENS, temperature: 1 });
      tokens += res.usage!.completion_tokens;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const calls = batcher.stats.calls - calls0;
  return { tokensPerS: tokens / seconds, tokens, seconds, calls, meanBatch: (batcher.stats.rows - rows0) / calls };
}

const dir = mkdtempSync(join(tmpdir(), "trimer-bench-serve-"));
try {
  await engine.save(dir);
  const model = await openServedModel(dir, { inProcess: IN_PROCESS });
  const batcher = new Batcher(model.backend, { maxBatch: 32 });
  const server = await startOpenAIServer({ batcher, tokenizer: model.tokenizer, contextLength: model.contextLength, modelName: "bench", port: 0 });
  const client = new OpenAI({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
  console.log(`model d=${config.hidden_size} L=${config.num_hidden_layers} ctx=${config.max_position_embeddings}; max_tokens ${MAX_TOKENS}, ${ROUNDS} rounds; engine ${IN_PROCESS ? "in-process" : "in a worker thread"}`);
  // Warm-up: JIT both paths once.
  direct(4);
  await served(client, 4, batcher);
  console.log("concurrency  direct tok/s  serve tok/s  ratio   engine calls  mean rows/call");
  for (const c of CONCURRENCY) {
    const d = direct(c);
    const s = await served(client, c, batcher);
    console.log(`${String(c).padStart(11)}  ${d.tokensPerS.toFixed(0).padStart(12)}  ${s.tokensPerS.toFixed(0).padStart(11)}  ${(s.tokensPerS / d.tokensPerS).toFixed(2).padStart(5)}  ${String(s.calls).padStart(12)}  ${s.meanBatch.toFixed(1).padStart(14)}`);
  }
  console.log("goal: serve/direct >= 0.80 at concurrency 32");
  await server.close();
  await model.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

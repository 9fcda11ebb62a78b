// `npm run bench generate -- [--problems=16] [--max-tokens=64] [--concurrency=8]`
// Trace-generation throughput of `trimer generate`'s library (generateTraces), in two pairs measured in one run:
//   1. real model: `trimer serve` (openai sampler over loopback HTTP, engine in a worker thread, requests batched)
//      vs the embedded engine's sampler called directly (LocalEngine.sampler(), in-process, one call per prompt).
//      Model: d 128, 4 layers, context 512, char vocabulary, random weights (never correct, so every slot spends
//      its whole attempt budget: a fixed amount of work on both sides). Synthetic problems, modes high/medium/low,
//      no tools, k 1, max attempts 2.
//   2. scripted teacher (test/generate/teacher.ts: answers instantly): the same teacher behind a loopback
//      /v1/completions server vs in-process, without and with tool-integrated reasoning (the default sandbox runs one code
//      block per TIR trace) — the pipeline's own overhead per trace (HTTP, JSON, verifier, sandbox).
// Reported: attempts (generated traces, kept or not) per second, generated tokens/s, and the served/direct ratio;
// each figure is the median of --repeat runs (default 3).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEngine } from "../../src/engine/local.js";
import { createOpenAISampler } from "../../src/engine/openai.js";
import type { Sampler } from "../../src/engine/types.js";
import { generateTraces, type GenerateOptions, type ProblemTraces } from "../../src/generate/index.js";
import { generate as synth } from "../../src/data/synth/index.js";
import type { Problem } from "../../src/data/records.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { Batcher } from "../../src/serve/batcher.js";
import { openServedModel } from "../../src/serve/host.js";
import { startOpenAIServer } from "../../src/serve/openai-server.js";
import { openSandbox } from "../../src/sandbox/choose.js";
import { multiplyModel, multiplyProblems, scriptedSampler, startScriptedServer } from "../../test/generate/teacher.js";

function flag(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
}
const PROBLEMS = flag("problems", 16);
const MAX_TOKENS = flag("max-tokens", 64);
const CONCURRENCY = flag("concurrency", 8);
const REPEAT = flag("repeat", 3);

interface Run { traces: number; tokens: number; seconds: number }

/** The median run (by time) of REPEAT runs: the machine is shared, single runs are noisy. */
async function median(run: () => Promise<Run>): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await run());
  runs.sort((a, b) => a.seconds - b.seconds);
  return runs[Math.floor(runs.length / 2)]!;
}

async function measure(sampler: Sampler, problems: Problem[], opts: GenerateOptions): Promise<Run> {
  // Counts every attempt (kept or not), so the work is fixed whatever the balance drops.
  let traces = 0, tokens = 0;
  const onProblem = (r: ProblemTraces): void => {
    for (const b of Object.values(r.usage)) { traces += b.attempts; tokens += b.completionTokens; }
  };
  const t0 = performance.now();
  for await (const _ of generateTraces(sampler, problems, { ...opts, onProblem })) { /* records counted in onProblem */ }
  return { traces, tokens, seconds: (performance.now() - t0) / 1000 };
}

const row = (name: string, r: Run, ref?: Run): string =>
  `${name.padEnd(34)} ${String(r.traces).padStart(6)} ${r.seconds.toFixed(2).padStart(8)} ${(r.traces / r.seconds).toFixed(1).padStart(9)} ${(r.tokens / r.seconds).toFixed(0).padStart(9)}${ref ? `   ×${((r.traces / r.seconds) / (ref.traces / ref.seconds)).toFixed(2)} vs direct` : ""}`;
const header = `${"".padEnd(34)} ${"tries".padStart(6)} ${"seconds".padStart(8)} ${"tries/s".padStart(9)} ${"tok/s".padStart(9)}`;

// 1. trimer serve vs the embedded sampler.
const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
  intermediate_size: 512, max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
const engine = LocalEngine.create(config, tok, 1);
const problems: Problem[] = Array.from({ length: PROBLEMS }, (_, i) => {
  const { solutions: _s, ...p } = synth(3, i, { modes: [], domains: ["arithmetic"], style: "compact" });
  return p;
});
const real: GenerateOptions = { modes: ["high", "medium", "low"], tir: [false], k: 1, maxAttempts: 2, maxTokens: MAX_TOKENS, temperature: 1, concurrency: CONCURRENCY, seed: 1 };
const dir = mkdtempSync(join(tmpdir(), "trimer-bench-generate-"));
try {
  await engine.save(dir);
  const model = await openServedModel(dir);
  const batcher = new Batcher(model.backend, { maxBatch: 32 });
  const server = await startOpenAIServer({ batcher, tokenizer: model.tokenizer, contextLength: model.contextLength, modelName: "bench", port: 0 });
  // Retries on: an idle keep-alive socket closed by the server between runs resets on reuse (ECONNRESET).
  const served = createOpenAISampler({ baseUrl: server.url, model: "bench", concurrency: 32, maxRetries: 3 });
  console.log(`model d=${config.hidden_size} L=${config.num_hidden_layers} ctx=${config.max_position_embeddings}; ${PROBLEMS} problems × 3 modes × ≤2 attempts, max_tokens ${MAX_TOKENS}, ${CONCURRENCY} problems in flight; median of ${REPEAT}`);
  await measure(engine.sampler(), problems.slice(0, 2), real); // warm-up (JIT)
  await measure(served, problems.slice(0, 2), real);
  console.log(header);
  const d = await median(() => measure(engine.sampler(), problems, real));
  console.log(row("embedded sampler, direct", d));
  const s = await median(() => measure(served, problems, real));
  console.log(row("trimer serve (HTTP, batched)", s, d));
  // Every generate request carries a seed (reproducible attempts, cache keys), and the serve batcher runs seeded
  // requests alone: so no batching across requests happens here.
  console.log(`serve engine calls ${batcher.stats.calls}, mean rows per call ${(batcher.stats.rows / batcher.stats.calls).toFixed(1)}; client retries ${served.usage.retries}`);
  served.close();
  await server.close();
  await model.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// 2. The scripted teacher: pipeline overhead, HTTP vs in-process, without and with tools.
const { sandbox } = await openSandbox(undefined, { workers: 2 }); // the default backend, as `trimer generate` picks it
const tirLabel = `, TIR (${sandbox.backend})`;
const scripted = await startScriptedServer(multiplyModel());
const http = createOpenAISampler({ baseUrl: scripted.url, model: "scripted", concurrency: 32, maxRetries: 0 });
try {
  const mp = multiplyProblems(PROBLEMS * 4);
  console.log(`\nscripted teacher: ${mp.length} problems × 3 modes, k 1, ${CONCURRENCY} problems in flight`);
  console.log(header);
  for (const tir of [false, true]) {
    const opts: GenerateOptions = { modes: ["high", "medium", "low"], tir: [tir], k: 1, maxAttempts: 1, maxTokens: 500, concurrency: CONCURRENCY, sandbox };
    await measure(scriptedSampler(multiplyModel()), mp.slice(0, 4), opts); // warm-up
    const a = await median(() => measure(scriptedSampler(multiplyModel()), mp, opts));
    console.log(row(`in-process${tir ? tirLabel : ""}`, a));
    const b = await median(() => measure(http, mp, opts));
    console.log(row(`loopback HTTP${tir ? tirLabel : ""}`, b, a));
  }
} finally {
  http.close();
  await scripted.close();
  await sandbox.close();
}

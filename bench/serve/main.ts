// `npm run bench serve -- --rounds=12 --repeats=3 --max-tokens=64 [--in-process] [--inline-clients] [--whole-batch] [--steps-per-tick=8]`
// trimer serve's generated tokens/s at concurrency 1, 8 and 32 (the official `openai` client, real HTTP on
// loopback, /v1/completions, max_tokens 64, temperature 1) against the engine's own batched sampler
// (LocalEngine.sampleTokens with the same batch sizes and prompts) measured in the same run.
//   serve:  c client loops, each sending `rounds` requests one after another; tokens/s = Σ usage.completion_tokens
//           / wall time of the whole burst (so batching gaps, HTTP and JSON all count).
//   direct: `rounds` calls of sampleTokens with c prompts; tokens/s = Σ completion tokens / total time.
// Model: d 128, 4 layers, 4 heads, MLP 512, context 256, trimer's char vocabulary, random weights (a random model
// stops at eos at random: both sides sample the same distribution, so generated lengths are comparable).
// The server runs as the CLI runs it: continuous batching (--whole-batch: the older scheduler, each batch decodes to
// the end), the engine in a worker thread (--in-process: on the HTTP thread instead).
// The clients run in a child process (as real clients would: their JSON and HTTP work is not the server's);
// --inline-clients runs them on the server's own event loop instead (a harsher figure: client cost counts too).
// Goal (the issue): serve >= 80% of direct at concurrency 32.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { Batcher } from "../../src/serve/batcher.js";
import { ContinuousBatcher } from "../../src/serve/continuous.js";
import { openServedModel } from "../../src/serve/host.js";
import { startOpenAIServer } from "../../src/serve/openai-server.js";

function flag(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
}
const ROUNDS = flag("rounds", 12);
const MAX_TOKENS = flag("max-tokens", 64);
const IN_PROCESS = process.argv.includes("--in-process");
const INLINE_CLIENTS = process.argv.includes("--inline-clients");
const REPEATS = flag("repeats", 3);
const WHOLE_BATCH = process.argv.includes("--whole-batch");
const STEPS_PER_TICK = flag("steps-per-tick", 8);
const CONCURRENCY = [1, 8, 32];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
  intermediate_size: 512, max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
// Created in the parent only: the client child must not load the engine (its kernel threads keep a process alive).
let engine: LocalEngine;
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

/** The client loops: c concurrent loops of `ROUNDS` sequential requests. */
async function clientBurst(client: OpenAI, c: number): Promise<{ tokens: number; seconds: number }> {
  let tokens = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async (_, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      const res = await client.completions.create({ model: "bench", prompt: question(r * c + i), max_tokens: MAX_TOKENS, temperature: 1 });
      tokens += res.usage!.completion_tokens;
    }
  }));
  return { tokens, seconds: (performance.now() - t0) / 1000 };
}

/** Runs clientBurst in a child process (this file with --client=URL,c), after a warm-up request there. */
function childBurst(url: string, c: number): Promise<{ tokens: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), `--client=${url},${c}`, `--rounds=${ROUNDS}`, `--max-tokens=${MAX_TOKENS}`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`client process exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!) as { tokens: number; seconds: number });
    });
  });
}

/** Mean rows per engine call (whole-batch) or per decode step (continuous). */
function rowsAndCalls(batcher: Batcher | ContinuousBatcher): [number, number] {
  return batcher instanceof ContinuousBatcher ? [batcher.engineStats.rowSteps, batcher.engineStats.steps] : [batcher.stats.rows, batcher.stats.calls];
}

async function served(client: OpenAI, c: number, batcher: Batcher | ContinuousBatcher, url: string): Promise<{ tokensPerS: number; tokens: number; seconds: number; calls: number; meanBatch: number; busy: number }> {
  let tokens = 0;
  const calls0 = batcher.stats.calls, busy0 = batcher.stats.busyMs;
  const [rows0, units0] = rowsAndCalls(batcher);
  const burst = INLINE_CLIENTS ? await clientBurst(client, c) : await childBurst(url, c);
  tokens = burst.tokens;
  const seconds = burst.seconds;
  const calls = batcher.stats.calls - calls0;
  const [rows1, units1] = rowsAndCalls(batcher);
  return { tokensPerS: tokens / seconds, tokens, seconds, calls, meanBatch: (rows1 - rows0) / (units1 - units0), busy: (batcher.stats.busyMs - busy0) / 1000 / seconds };
}

const clientArg = process.argv.find((a) => a.startsWith("--client="));
if (clientArg) {
  // Child mode: only the client loops.
  const [url, c] = clientArg.slice("--client=".length).split(",") as [string, string];
  const client = new OpenAI({ baseURL: url, apiKey: "x", maxRetries: 0 });
  try {
    await client.completions.create({ model: "bench", prompt: "1+1=", max_tokens: 4 }); // warm-up (JIT, connection)
    console.log(JSON.stringify(await clientBurst(client, Number(c))));
    process.exit(0);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}

engine = LocalEngine.create(config, tok, 1);
const dir = mkdtempSync(join(tmpdir(), "trimer-bench-serve-"));
try {
  await engine.save(dir);
  const model = await openServedModel(dir, { inProcess: IN_PROCESS });
  const batcher = WHOLE_BATCH ? new Batcher(model.backend, { maxBatch: 32 }) : new ContinuousBatcher(model.stepBackend, { maxBatch: 32, stepsPerTick: STEPS_PER_TICK });
  const server = await startOpenAIServer({ batcher, tokenizer: model.tokenizer, contextLength: model.contextLength, modelName: "bench", port: 0 });
  const client = new OpenAI({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
  console.log(`model d=${config.hidden_size} L=${config.num_hidden_layers} ctx=${config.max_position_embeddings}; max_tokens ${MAX_TOKENS}, ${ROUNDS} rounds; ${WHOLE_BATCH ? "whole-batch" : "continuous"} batching, engine ${IN_PROCESS ? "in-process" : "in a worker thread"}; clients ${INLINE_CLIENTS ? "on the server's event loop" : "in a child process"}`);
  // Warm-up: JIT both paths once.
  direct(4);
  await served(client, 4, batcher, server.url);
  console.log(`concurrency  direct tok/s  serve tok/s  ratio   engine calls  mean rows/${WHOLE_BATCH ? "call" : "step"}  engine busy   (medians of ${REPEATS} alternating pairs)`);
  for (const c of CONCURRENCY) {
    // Direct and serve alternate, so load from other processes on the machine hits both sides alike.
    const ds: number[] = [], ss: number[] = [], ratios: number[] = [];
    let last: Awaited<ReturnType<typeof served>> | undefined;
    for (let k = 0; k < REPEATS; k++) {
      const d = direct(c);
      const sv = await served(client, c, batcher, server.url);
      ds.push(d.tokensPerS);
      ss.push(sv.tokensPerS);
      ratios.push(sv.tokensPerS / d.tokensPerS);
      last = sv;
    }
    console.log(`${String(c).padStart(11)}  ${median(ds).toFixed(0).padStart(12)}  ${median(ss).toFixed(0).padStart(11)}  ${median(ratios).toFixed(2).padStart(5)}  ${String(last!.calls).padStart(12)}  ${last!.meanBatch.toFixed(1).padStart(14)}  ${(100 * last!.busy).toFixed(0).padStart(10)}%`);
  }
  console.log("goal: serve/direct >= 0.80 at concurrency 32");
  await server.close();
  await model.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

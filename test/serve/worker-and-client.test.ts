// The worker-thread backend (what the CLI uses) and the engine's own OpenAI sampler client against trimer serve.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { Batcher } from "../../src/serve/batcher.js";
import { openServedModel, type ServedModel } from "../../src/serve/host.js";
import { startOpenAIServer, type RunningServer } from "../../src/serve/openai-server.js";
import { createOpenAISampler } from "../../src/engine/openai.js";
import { savedCheckpoint, tinyEngine, tok } from "./helpers.js";

// Wider and longer than the other tests' model so that one decode lasts long enough to overlap an HTTP request.
const engine = tinyEngine(13, { hidden_size: 64, max_position_embeddings: 256 });
let ckpt: { dir: string; remove(): void };
let model: ServedModel;
let running: RunningServer;
let batcher: Batcher;
// The batching test holds the engine busy with a gate so that its requests provably queue together: how HTTP
// requests that trickle in are grouped depends on timing (the batcher's crowd heuristic), and a test that relied on
// six requests landing within one engine call failed about one run in ten.
let gate: Promise<void> = Promise.resolve();

before(async () => {
  ckpt = await savedCheckpoint(engine);
  model = await openServedModel(ckpt.dir);
  const backend = model.backend;
  batcher = new Batcher({ sampleRows: async (rows, opts) => { await gate; return backend.sampleRows(rows, opts); } });
  running = await startOpenAIServer({ batcher, tokenizer: model.tokenizer, contextLength: model.contextLength, modelName: "w", port: 0 });
});
after(async () => {
  await running.close();
  await model.close();
  ckpt.remove();
});

test("worker backend: seeded completions equal the in-process engine's, concurrent requests batch", async () => {
  const client = new OpenAI({ baseURL: running.url, apiKey: "x", maxRetries: 0 });
  const r = await client.completions.create({ model: "w", prompt: "6*7=", max_tokens: 20, n: 2, seed: 17 });
  const ref = engine.sampleTokens([[tok.bos, ...tok.encode("6*7=")]], { n: 2, seed: 17, maxTokens: 20 })[0]!;
  assert.deepEqual(r.choices.map((c) => c.text), ref.map((c) => c.text));

  // Hold the engine in a call, queue six requests with equal parameters behind it, then let it go: the six must
  // share one engine call, and each must get its own answer.
  let open!: () => void;
  gate = new Promise<void>((r) => { open = r; });
  const before = batcher.stats.calls;
  const blocker = client.completions.create({ model: "w", prompt: "9=", max_tokens: 4, temperature: 1 });
  while (batcher.stats.calls === before) await new Promise((r) => setTimeout(r, 1));
  const prompts = Array.from({ length: 6 }, (_, i) => `${i}=`);
  const pending = Promise.all(prompts.map((prompt) => client.completions.create({ model: "w", prompt, max_tokens: 8, temperature: 0 })));
  while (batcher.waiting < 6) await new Promise((r) => setTimeout(r, 1));
  open();
  const [rs] = await Promise.all([pending, blocker]);
  gate = Promise.resolve();
  assert.equal(batcher.stats.calls - before, 2, "the blocker's call, then one call for the six queued requests");
  const alone = engine.sampleTokens(prompts.map((p) => [tok.bos, ...tok.encode(p)]), { n: 1, maxTokens: 8, temperature: 0 });
  assert.deepEqual(rs.map((r) => r.choices[0]!.text), alone.map((c) => c[0]!.text));
});

test("the server answers /v1/models while the worker decodes", async () => {
  const client = new OpenAI({ baseURL: running.url, apiKey: "x", maxRetries: 0 });
  const calls = batcher.stats.calls;
  let slowDone = false;
  const slow = client.completions.create({ model: "w", prompt: "1", max_tokens: 250, n: 16, temperature: 1 }).then((r) => { slowDone = true; return r; });
  // Wait until the batcher has handed the request to the worker, then ask for something else.
  while (batcher.stats.calls === calls) await new Promise((r) => setTimeout(r, 1));
  const t = await client.models.list();
  assert.equal(t.data[0]!.id, "w");
  assert.equal(slowDone, false, "the models request should be answered while the batch decodes");
  assert.equal((await slow).choices.length, 16);
});

test("a missing checkpoint is a clear error", async () => {
  await assert.rejects(openServedModel("/nonexistent/ckpt"), /config\.json: cannot read/);
});

test("src/engine/openai.ts's sampler against trimer serve: text and chat prompts, n, seeds, token counts", async () => {
  const s = createOpenAISampler({ baseUrl: running.url, model: "w", maxRetries: 0 });
  const out = await s.sample(["2+2=", [{ role: "user", content: "2+2?" }]], { n: 3, maxTokens: 12, temperature: 1, seed: 4 });
  assert.equal(out.length, 2);
  assert.equal(out[0]!.length, 3);
  assert.equal(out[1]!.length, 3);
  const ref = engine.sampleTokens([[tok.bos, ...tok.encode("2+2=")]], { n: 3, seed: 4, maxTokens: 12, temperature: 1 })[0]!;
  assert.deepEqual(out[0]!.map((c) => c.text), ref.map((c) => c.text));
  assert.equal(out[0]!.reduce((a, c) => a + c.completionTokens, 0), ref.reduce((a, c) => a + c.completionTokens, 0));
  const chatRef = engine.sampleTokens([tok.renderChat([{ role: "user", content: "2+2?" }])], { n: 3, seed: 4, maxTokens: 12, temperature: 1 })[0]!;
  assert.deepEqual(out[1]!.map((c) => c.text), chatRef.map((c) => c.text));
});

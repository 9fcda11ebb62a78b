// The teacher-traces stage's batched sampler: concurrent calls decoded in one session must give exactly what the
// engine's own sampler gives each call alone (seeds, n, limits, stops, temperatures, logprobs), and a call that
// cannot run fails alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { batchedSampler } from "../../src/pipeline/batched-sampler.js";
import { createEngine, newTokenizer } from "../../src/pipeline/engines.js";
import { tinyPreset } from "../../src/pipeline/presets.js";
import type { SampleOptions } from "../../src/engine/types.js";

test("batchedSampler: concurrent calls share one decode session and each gets what it gets alone", async () => {
  const engine = createEngine(tinyPreset().teacher, newTokenizer(), 7);
  const calls: { prompts: string[]; opts: SampleOptions }[] = [
    { prompts: ["3*9+3-6="], opts: { n: 3, maxTokens: 20, temperature: 0.7, topP: 0.95, seed: 11 } },
    { prompts: ["7-3=", "2+7*3="], opts: { n: 2, maxTokens: 9, temperature: 1, seed: 12, logprobs: true } },
    { prompts: ["8*7-9+4="], opts: { maxTokens: 30, temperature: 0, seed: 13 } },
    { prompts: ["1+1="], opts: { n: 4, maxTokens: 25, temperature: 1.3, topK: 5, seed: 14, stop: ["3"] } },
    { prompts: ["9*9="], opts: { maxTokens: 40, temperature: 0.9, seed: 15, topLogprobs: 2 } },
  ];
  const alone = [];
  for (const c of calls) alone.push(await engine.sampler().sample(c.prompts, c.opts));
  const batched = batchedSampler(engine);
  const together = await Promise.all(calls.map((c) => batched.sample(c.prompts, c.opts)));
  assert.deepEqual(together, alone);
  assert.equal(batched.stats.sessions, 1, "one decode session for all the calls");
  assert.equal(batched.stats.largestBatch, 3 + 4 + 1 + 4 + 1);
  // Rows finished at different times (stops and limits), so the comparison covers a batch that shrinks.
  assert.ok(new Set(together.flat(2).map((c) => c.completionTokens)).size > 2);
  // A cap on rows per session splits the calls, with the same results.
  const small = batchedSampler(engine, 4);
  assert.deepEqual(await Promise.all(calls.map((c) => small.sample(c.prompts, c.opts))), alone);
  assert.ok(small.stats.sessions >= 4);
});

test("batchedSampler: a prompt longer than the context fails its own call only, with the engine's message", async () => {
  const engine = createEngine(tinyPreset().teacher, newTokenizer(), 7);
  const batched = batchedSampler(engine);
  const long = "1+".repeat(200) + "1=";
  const [bad, good] = await Promise.allSettled([
    batched.sample([long], { maxTokens: 5, seed: 1 }),
    batched.sample(["2+2="], { maxTokens: 5, seed: 2 }),
  ]);
  assert.equal(bad.status, "rejected");
  assert.match(String((bad as PromiseRejectedResult).reason), /context/);
  assert.equal(good.status, "fulfilled");
  assert.deepEqual((good as PromiseFulfilledResult<unknown>).value, await engine.sampler().sample(["2+2="], { maxTokens: 5, seed: 2 }));
});

// Continuous batching: requests join a running batch between decode steps, stream as they decode, and seeded
// requests reproduce the engine's sampleTokens whatever shares their batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ContinuousBatcher, type StepBackend } from "../../src/serve/continuous.js";
import { inProcessStepBackend } from "../../src/serve/backends.js";
import { openServedModel } from "../../src/serve/host.js";
import { startOpenAIServer } from "../../src/serve/openai-server.js";
import type { TickInput, TickResult } from "../../src/serve/step-engine.js";
import type { BatchParams } from "../../src/serve/batcher.js";
import type { Completion } from "../../src/engine/types.js";
import { savedCheckpoint, tinyEngine, tok } from "./helpers.js";

const P = (over: Partial<BatchParams> = {}): BatchParams => ({ temperature: 1, topP: 1, topK: 0, maxTokens: 24, stop: [], topLogprobs: 0, ...over });
const enc = (s: string): number[] => [tok.bos, ...tok.encode(s)];

type Recording = StepBackend & {
  /** Every tick's rows admitted and steps run. */
  ticks: { add: number; steps: number }[];
  /** Every input the batcher sent (admissions and withdrawals). */
  inputs: TickInput[];
  /** Every tick's result. */
  results: TickResult[];
  /** Called after the batcher has handled each tick's result. */
  afterTick?: () => void;
};

/** An in-process step backend that records every tick and every input the batcher sends. */
function recording(engine = tinyEngine(7)): Recording {
  const inner = inProcessStepBackend(engine);
  const rec: Recording = {
    ticks: [],
    inputs: [],
    results: [],
    connect(listener, opts) {
      inner.connect({
        result: (r) => {
          rec.ticks.push({ add: r.admitted ?? 0, steps: r.steps });
          rec.results.push(r);
          listener.result(r);
          rec.afterTick?.();
        },
        failed: (h, e) => listener.failed(h, e),
      }, opts);
    },
    send(input) {
      rec.inputs.push(input);
      inner.send(input);
    },
  };
  return rec;
}

test("a request arriving while another decodes joins the running batch (fewer decode steps than one after the other)", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const b = new ContinuousBatcher(be, { stepsPerTick: 2 });
  let second: Promise<Completion[]> | undefined;
  // The second request is sent after the first request's first tick, i.e. while it is decoding.
  be.afterTick = () => {
    if (second) return;
    second = b.submit([enc("9-4=")], P({ temperature: 0.8 }), 5);
  };
  const first = await b.submit([enc("3*9+3-6=")], P(), 3);
  const [secondOut] = await second!;
  const sequentialSteps = first[0]!.completionTokens + secondOut!.completionTokens;
  // Preconditions of this seed: both decode several steps, and the first was still running when the second came.
  assert.ok(first[0]!.completionTokens > 4 && secondOut!.completionTokens > 2, `lengths ${first[0]!.completionTokens}, ${secondOut!.completionTokens}`);
  assert.deepEqual(be.ticks.slice(0, 2).map((t) => t.add), [1, 1], "the second request was admitted at the next tick");
  assert.ok(b.engineStats.steps < sequentialSteps, `decode steps ${b.engineStats.steps} vs ${sequentialSteps} one after the other`);
  assert.equal(b.engineStats.admissions, 2);
  // Joining the batch changed nothing in the results: both equal the engine's own seeded sampler.
  assert.deepEqual(first[0]!.tokens, engine.sampleTokens([enc("3*9+3-6=")], { maxTokens: 24, seed: 3 })[0]![0]!.tokens);
  assert.deepEqual(secondOut!.tokens, engine.sampleTokens([enc("9-4=")], { maxTokens: 24, seed: 5, temperature: 0.8 })[0]![0]!.tokens);
});

test("seeded requests with different parameters share a batch and still equal sampleTokens with their seed", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const b = new ContinuousBatcher(be, { maxBatch: 8 });
  const reqs = [
    { rows: [enc("1+1="), enc("1+1="), enc("1+1=")], p: P({ topP: 0.8, topLogprobs: 2 }), seed: 42 },
    { rows: [enc("7*8=")], p: P({ temperature: 0.5, topK: 5, maxTokens: 10 }), seed: 9 },
    { rows: [enc("2+2=")], p: P({ stop: ["0"] }), seed: 1 },
  ];
  const outs = await Promise.all(reqs.map((r) => b.submit(r.rows, r.p, r.seed)));
  assert.equal(be.ticks[0]!.add, 5, "all three requests in one admission");
  reqs.forEach((r, i) => {
    const want = engine.sampleTokens([r.rows[0]!], {
      n: r.rows.length, seed: r.seed, maxTokens: r.p.maxTokens, temperature: r.p.temperature, topP: r.p.topP, topK: r.p.topK,
      stop: r.p.stop.length ? r.p.stop : undefined, logprobs: true, topLogprobs: r.p.topLogprobs || undefined,
    })[0]!;
    assert.deepEqual(outs[i], want, `request ${i}`);
  });
});

test("streaming: chunks arrive while the request is still decoding and concatenate to the non-streamed text", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const batcher = new ContinuousBatcher(be, { stepsPerTick: 2 });
  const running = await startOpenAIServer({ batcher, tokenizer: engine.tokenizer, contextLength: engine.config.max_position_embeddings, modelName: "tiny", port: 0 });
  try {
    const client = new OpenAI({ baseURL: running.url, apiKey: "x", maxRetries: 0 });
    const messages = [{ role: "user" as const, content: "Compute 9-4." }];
    const whole = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30, seed: 21, n: 2, logprobs: true });
    be.ticks.length = 0;
    const stream = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30, seed: 21, n: 2, logprobs: true, stream: true, stream_options: { include_usage: true } });
    const text = ["", ""];
    const lps: number[][] = [[], []];
    const ticksAtContent: number[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.delta.content) {
          text[c.index] += c.delta.content;
          ticksAtContent.push(be.ticks.length);
        }
        for (const e of c.logprobs?.content ?? []) lps[c.index]!.push(e.logprob);
      }
    }
    const ticks = be.ticks.length;
    assert.ok(ticks > 2, `the request took ${ticks} ticks`);
    assert.ok(ticksAtContent[0]! < ticks, `first content after tick ${ticksAtContent[0]} of ${ticks}`);
    assert.ok(ticksAtContent.filter((t) => t < ticks).length >= 2, "several chunks before the end");
    assert.deepEqual(text, whole.choices.map((c) => c.message.content));
    assert.deepEqual(lps, whole.choices.map((c) => c.logprobs!.content!.map((e) => e.logprob)));
    assert.deepEqual(usage, whole.usage);
  } finally {
    await running.close();
  }
});

test("stream text never shows a stop string, even one completed across ticks", async () => {
  const engine = tinyEngine(7);
  const batcher = new ContinuousBatcher(inProcessStepBackend(engine), { stepsPerTick: 1 });
  const running = await startOpenAIServer({ batcher, tokenizer: engine.tokenizer, contextLength: engine.config.max_position_embeddings, modelName: "tiny", port: 0 });
  try {
    const client = new OpenAI({ baseURL: running.url, apiKey: "x", maxRetries: 0 });
    const free = await client.completions.create({ model: "tiny", prompt: "8*8=", max_tokens: 30, seed: 4 });
    const full = free.choices[0]!.text;
    assert.ok(full.length >= 6, `text ${JSON.stringify(full)}`);
    const stop = full.slice(3, 5);
    const stream = await client.completions.create({ model: "tiny", prompt: "8*8=", max_tokens: 30, seed: 4, stop: [stop], stream: true });
    const seen: string[] = [];
    for await (const chunk of stream) seen.push(chunk.choices[0]?.text ?? "");
    assert.equal(seen.join(""), full.slice(0, full.indexOf(stop)));
  } finally {
    await running.close();
  }
});

test("worker thread: continuous batching gives the in-process engine's seeded completions", async () => {
  const engine = tinyEngine(13);
  const ckpt = await savedCheckpoint(engine);
  const model = await openServedModel(ckpt.dir);
  try {
    const b = new ContinuousBatcher(model.stepBackend, { stepsPerTick: 3 });
    const [a, c] = await Promise.all([b.submit([enc("6*7="), enc("6*7=")], P({ maxTokens: 20 }), 17), b.submit([enc("1=")], P({ temperature: 0 }))]);
    const ref = engine.sampleTokens([enc("6*7=")], { n: 2, seed: 17, maxTokens: 20, logprobs: true });
    assert.deepEqual(a, ref[0]);
    assert.deepEqual(c!.map((x) => x.tokens), engine.sampleTokens([enc("1=")], { maxTokens: 24, temperature: 0 })[0]!.map((x) => x.tokens));
  } finally {
    await model.close();
    ckpt.remove();
  }
});

test("a request withdrawn while decoding leaves the batch at the next tick; the others finish unchanged", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const b = new ContinuousBatcher(be, { stepsPerTick: 1 });
  const hangUp = new AbortController();
  be.afterTick = () => hangUp.abort();
  const gone = b.submit([enc("3*9+3-6="), enc("3*9+3-6=")], P(), 3, hangUp.signal);
  const kept = b.submit([enc("9-4=")], P(), 5);
  await assert.rejects(gone, /withdrawn/);
  const [out] = await kept;
  const drops = be.inputs.filter((i) => i.drop.length > 0);
  assert.deepEqual(drops.map((i) => i.drop.length), [2], "both rows of the withdrawn request were dropped, once");
  assert.deepEqual(out!.tokens, engine.sampleTokens([enc("9-4=")], { maxTokens: 24, seed: 5 })[0]![0]!.tokens);
});

test("an engine failure fails the rows it held (the session is reset); later requests still run", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const b = new ContinuousBatcher(be, { stepsPerTick: 1 });
  let bad: Promise<Completion[]> | undefined;
  be.afterTick = () => {
    // A prompt as long as the context makes the admitting tick throw inside the engine (the HTTP server refuses
    // such prompts before they get here; the batcher alone does not).
    bad ??= b.submit([Array.from({ length: engine.config.max_position_embeddings }, () => tok.bos)], P(), 1);
  };
  const decoding = b.submit([enc("3*9+3-6=")], P(), 3);
  await assert.rejects(decoding, /prompt 0 has 128 tokens/);
  await assert.rejects(bad!, /prompt 0 has 128 tokens/);
  be.afterTick = undefined;
  const [after] = await b.submit([enc("9-4=")], P(), 5);
  assert.deepEqual(after!.tokens, engine.sampleTokens([enc("9-4=")], { maxTokens: 24, seed: 5 })[0]![0]!.tokens);
  assert.equal(b.waiting, 0);
});

test("tokens cross from the engine as they decode only for requests that stream; the others get their completion", async () => {
  const engine = tinyEngine(7);
  const be = recording(engine);
  const b = new ContinuousBatcher(be, { stepsPerTick: 2 });
  const seen: number[] = [];
  const [streamed, plain] = await Promise.all([
    b.submit([enc("3*9+3-6=")], P(), 3, undefined, (u) => seen.push(...u.tokens)),
    b.submit([enc("9-4=")], P(), 5),
  ]);
  const handles = be.inputs.flatMap((i) => i.add).map((g) => ({ h: g.handles[0]!, stream: g.stream }));
  assert.deepEqual(handles.map((x) => x.stream), [true, false]);
  const updatesOf = (h: number) => be.results.flatMap((r) => r.updates.filter((u) => u.handle === h));
  const s = updatesOf(handles[0]!.h), p = updatesOf(handles[1]!.h);
  assert.ok(s.length > 2 && s.slice(0, -1).every((u) => !u.done && u.tokens.length > 0), "the streamed row reports its tokens every tick");
  assert.deepEqual(seen, streamed[0]!.tokens);
  assert.equal(p.length, 1, "the other row crosses once, finished");
  assert.deepEqual(p[0]!.tokens, []);
  assert.deepEqual(plain[0], engine.sampleTokens([enc("9-4=")], { maxTokens: 24, seed: 5, logprobs: true })[0]![0]);
});

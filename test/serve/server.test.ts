// `trimer serve` over real HTTP on loopback, driven by the official `openai` client (v6). The model is a tiny random
// one: its text is gibberish, so the tests check the protocol and compare against the engine called directly.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startTestServer, tok, type TestServer } from "./helpers.js";

let srv: TestServer;
let client: OpenAI;

before(async () => {
  srv = await startTestServer({ maxN: 8, maxTokens: 64 });
  client = new OpenAI({ baseURL: srv.url, apiKey: "unused", maxRetries: 0 });
});
after(async () => {
  await srv.close();
});

/** What the engine gives for one prompt sampled directly (the reference for seeded requests). */
function direct(prompt: number[], opts: { n: number; seed: number; maxTokens: number; temperature?: number; topP?: number; stop?: string[] }) {
  return srv.engine.sampleTokens([prompt], { ...opts, logprobs: true })[0]!;
}

test("/v1/models lists the served model", async () => {
  const page = await client.models.list();
  assert.deepEqual(page.data.map((m) => m.id), ["tiny"]);
  assert.equal(page.data[0]!.object, "model");
});

test("chat completion: seeded output equals the engine's own sample, usage adds up", async () => {
  const messages = [{ role: "user" as const, content: "What is 2+3?" }];
  const r = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 24, temperature: 0.9, seed: 11 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices.length, 1);
  const ref = direct(tok.renderChat(messages), { n: 1, seed: 11, maxTokens: 24, temperature: 0.9 })[0]!;
  assert.equal(r.choices[0]!.message.content, ref.text);
  assert.equal(r.choices[0]!.message.role, "assistant");
  assert.equal(r.choices[0]!.finish_reason, ref.finishReason);
  assert.equal(r.usage!.prompt_tokens, tok.renderChat(messages).length);
  assert.equal(r.usage!.completion_tokens, ref.completionTokens);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
});

test("seed reproducibility: same seed → same completions; another seed → different ones", async () => {
  const body = { model: "tiny", prompt: "12+30=", max_tokens: 32, n: 3, temperature: 1, seed: 5 };
  const a = await client.completions.create(body);
  const b = await client.completions.create(body);
  const c = await client.completions.create({ ...body, seed: 6 });
  assert.deepEqual(a.choices.map((x) => x.text), b.choices.map((x) => x.text));
  assert.notDeepEqual(a.choices.map((x) => x.text), c.choices.map((x) => x.text));
});

test("completions with n > 1: n choices indexed 0..n-1, equal to the engine's n samples", async () => {
  const r = await client.completions.create({ model: "tiny", prompt: "7*8=", max_tokens: 20, n: 4, seed: 3, temperature: 1 });
  assert.equal(r.object, "text_completion");
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2, 3]);
  const ref = direct([tok.bos, ...tok.encode("7*8=")], { n: 4, seed: 3, maxTokens: 20, temperature: 1 });
  assert.deepEqual(r.choices.map((c) => c.text), ref.map((c) => c.text));
  assert.equal(r.usage!.completion_tokens, ref.reduce((s, c) => s + c.completionTokens, 0));
  assert.equal(r.usage!.prompt_tokens, 1 + tok.encode("7*8=").length);
});

test("streaming chat: role chunk, content deltas that concatenate to the non-streamed text, finish, usage", async () => {
  const messages = [{ role: "user" as const, content: "Compute 9-4." }];
  const whole = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30, seed: 21, n: 2 });
  const stream = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 30, seed: 21, n: 2, stream: true, stream_options: { include_usage: true } });
  const text = ["", ""];
  const finish: (string | null)[] = [null, null];
  const roles: string[] = [];
  let usage: OpenAI.CompletionUsage | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, "chat.completion.chunk");
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta.role) roles.push(c.delta.role);
      text[c.index] += c.delta.content ?? "";
      if (c.finish_reason) finish[c.index] = c.finish_reason;
    }
  }
  assert.deepEqual(roles, ["assistant", "assistant"]);
  assert.deepEqual(text, whole.choices.map((c) => c.message.content));
  assert.deepEqual(finish, whole.choices.map((c) => c.finish_reason));
  assert.deepEqual(usage, whole.usage);
  assert.ok(chunks > 4, `expected token-by-token chunks, got ${chunks}`);
});

test("streaming completions parse with the client too", async () => {
  const whole = await client.completions.create({ model: "tiny", prompt: "5+5=", max_tokens: 16, seed: 2 });
  const stream = await client.completions.create({ model: "tiny", prompt: "5+5=", max_tokens: 16, seed: 2, stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
  assert.equal(text, whole.choices[0]!.text);
});

test("chat logprobs: one entry per generated token (eos left out), with top_logprobs sorted", async () => {
  const messages = [{ role: "user" as const, content: "1+1" }];
  const r = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 16, seed: 4, logprobs: true, top_logprobs: 3 });
  const ref = direct(tok.renderChat(messages), { n: 1, seed: 4, maxTokens: 16 })[0]!;
  const content = r.choices[0]!.logprobs!.content!;
  const expected = ref.finishReason === "stop" && ref.tokens!.at(-1) === tok.eos ? ref.tokens!.length - 1 : ref.tokens!.length;
  assert.equal(content.length, expected);
  content.forEach((e, t) => {
    assert.ok(Math.abs(e.logprob - ref.logprobs![t]!) < 1e-6);
    assert.equal(e.token, tok.decode([ref.tokens![t]!]));
    assert.equal(e.top_logprobs.length, 3);
    assert.ok(e.top_logprobs[0]!.logprob >= e.top_logprobs[1]!.logprob && e.top_logprobs[1]!.logprob >= e.top_logprobs[2]!.logprob);
    assert.ok(e.logprob <= e.top_logprobs[0]!.logprob + 1e-9);
  });
});

test("completions logprobs: tokens, token_logprobs, top_logprobs maps, text offsets", async () => {
  const r = await client.completions.create({ model: "tiny", prompt: "3*3=", max_tokens: 12, seed: 8, logprobs: 2 });
  const lp = r.choices[0]!.logprobs!;
  assert.equal(lp.tokens!.length, lp.token_logprobs!.length);
  assert.equal(lp.top_logprobs!.length, lp.tokens!.length);
  // The 2 most likely plus the chosen token when it is not among them (as OpenAI's legacy completions do).
  for (const m of lp.top_logprobs!) assert.equal(Object.keys(m).length <= 3 && Object.keys(m).length >= 1, true);
  lp.tokens!.forEach((t, i) => assert.equal(lp.top_logprobs![i]![t], lp.token_logprobs![i]));
  assert.ok(lp.token_logprobs!.every((x) => x <= 0));
  assert.deepEqual(lp.text_offset!.slice(0, 2), [0, lp.tokens![0]!.length].slice(0, Math.min(2, lp.tokens!.length)));
});

test("stop: the text ends before the first stop string, finish_reason stop", async () => {
  // Find a character the seeded sample produces, then ask again with it as the stop string.
  const body = { model: "tiny", prompt: "4+4=", max_tokens: 40, seed: 9, temperature: 1 };
  const free = (await client.completions.create(body)).choices[0]!.text;
  assert.ok(free.length >= 3, `sample too short to test stop: ${JSON.stringify(free)}`);
  const stopChar = free[2]!;
  const cut = free.slice(0, free.indexOf(stopChar));
  const r = await client.completions.create({ ...body, stop: [stopChar] });
  assert.equal(r.choices[0]!.text, cut);
  assert.equal(r.choices[0]!.finish_reason, "stop");
});

test("auth: wrong or missing bearer token → 401", async () => {
  const guarded = await startTestServer({ token: "s3cret" });
  try {
    const bad = new OpenAI({ baseURL: guarded.url, apiKey: "nope", maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401 && /wrong/.test(e.message));
    const res = await fetch(`${guarded.url}/models`);
    assert.equal(res.status, 401);
    const good = new OpenAI({ baseURL: guarded.url, apiKey: "s3cret", maxRetries: 0 });
    const r = await good.completions.create({ model: "tiny", prompt: "1=", max_tokens: 4 });
    assert.equal(r.choices.length, 1);
  } finally {
    await guarded.close();
  }
});

test("validation: 400s say which field is wrong", async () => {
  const bad = async (body: Record<string, unknown>, endpoint: "chat" | "completions", pattern: RegExp, status = 400): Promise<void> => {
    const call = endpoint === "chat"
      ? client.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      : client.completions.create(body as unknown as OpenAI.CompletionCreateParamsNonStreaming);
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.equal(e.status, status);
      assert.match(e.message, pattern);
      return true;
    });
  };
  const msgs = [{ role: "user", content: "hi" }];
  await bad({ model: "tiny", messages: msgs, temperature: -1 }, "chat", /"temperature" must be in \[0, 2\], got -1/);
  await bad({ model: "tiny", messages: msgs, n: 9 }, "chat", /"n" must be in \[1, 8\]/);
  await bad({ model: "tiny", messages: msgs, max_tokens: 65 }, "chat", /"max_tokens" must be in \[1, 64\]/);
  await bad({ model: "tiny", messages: msgs, top_p: 0 }, "chat", /"top_p"/);
  await bad({ model: "tiny", messages: [] }, "chat", /"messages" is empty/);
  await bad({ model: "tiny", messages: [{ role: "tool", content: "x" }] }, "chat", /"messages"\[0\]\.role/);
  await bad({ model: "tiny" }, "chat", /"messages" must be an array/);
  await bad({ model: "tiny", messages: msgs, stop: Array.from({ length: 65 }, (_, i) => `s${i}`) }, "chat", /"stop" has 65 entries; at most 64/);
  await bad({ model: "tiny", messages: msgs, seed: 1.5 }, "chat", /"seed" must be an integer/);
  await bad({ model: "other", messages: msgs }, "chat", /model "other" does not exist/, 404);
  await bad({ model: "tiny", prompt: 42 }, "completions", /"prompt" must be a string/);
  await bad({ model: "tiny", prompt: "x".repeat(200) }, "completions", /context length is 128/);
  await bad({ model: "tiny", prompt: "1", logprobs: 21 }, "completions", /"logprobs" must be in \[0, 20\]/);
  const res = await fetch(`${srv.url}/completions`, { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /not valid JSON/);
});

test("body size: a body over the limit → 413", async () => {
  const small = await startTestServer({ maxBodyBytes: 4096 });
  try {
    const c = new OpenAI({ baseURL: small.url, apiKey: "x", maxRetries: 0 });
    await assert.rejects(c.completions.create({ model: "tiny", prompt: "1".repeat(50_000), max_tokens: 4 }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.equal(e.status, 413);
      assert.match(e.message, /exceeds 4096 bytes/);
      return true;
    });
    assert.equal(small.backend.calls.length, 0);
  } finally {
    await small.close();
  }
});

test("concurrency: simultaneous requests are batched into fewer engine calls, answers stay per request", async () => {
  // A 50 ms gathering window: loopback clients connect well within it.
  const own = await startTestServer({ maxBatch: 32, windowMs: 50 });
  try {
    const c = new OpenAI({ baseURL: own.url, apiKey: "x", maxRetries: 0 });
    const prompts = Array.from({ length: 10 }, (_, i) => `${i}+${i}=`);
    const rs = await Promise.all(prompts.map((p) => c.completions.create({ model: "tiny", prompt: p, max_tokens: 16, temperature: 0 })));
    assert.equal(rs.length, 10);
    assert.ok(own.backend.calls.length < prompts.length, `engine calls ${own.backend.calls.length} for ${prompts.length} requests`);
    assert.ok(Math.max(...own.backend.calls) > 1);
    // Greedy decoding does not depend on the batch: each answer equals the prompt's own greedy sample.
    rs.forEach((r, i) => {
      const ref = own.engine.sampleTokens([[tok.bos, ...tok.encode(prompts[i]!)]], { maxTokens: 16, temperature: 0 })[0]![0]!;
      assert.equal(r.choices[0]!.text, ref.text);
      assert.equal(r.usage!.prompt_tokens, 1 + tok.encode(prompts[i]!).length);
    });
  } finally {
    await own.close();
  }
});

test("unknown route → 404, wrong method → 405", async () => {
  assert.equal((await fetch(`${srv.url}/embeddings`, { method: "POST", body: "{}" })).status, 404);
  assert.equal((await fetch(`${srv.url}/chat/completions`)).status, 405);
});

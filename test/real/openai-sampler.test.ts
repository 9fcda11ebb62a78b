import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAISampler, OpenAIRequestError, resolveOpenAIConfig, type OpenAISamplerOptions } from "../../src/engine/openai.js";
import { createRng } from "../../src/util/rng.js";
import { expectedText, startFaultServer, type Fault } from "./fault-server.js";

const fast = (url: string, extra: Partial<OpenAISamplerOptions> = {}): OpenAISamplerOptions => ({
  baseUrl: url, apiKey: "sk-test", model: "m", concurrency: 8, maxRetries: 6, timeoutMs: 300,
  backoff: { baseMs: 1, maxMs: 5 }, random: createRng(1).next, ...extra,
});

test("every request ends answered, none lost or duplicated, under 429/5xx/timeouts/malformed/drops", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url, { concurrency: 6 }));
  try {
    const rng = createRng(2024);
    const kinds: Fault[] = ["429", "500", "503", "timeout", "malformed", "drop", "dropbody", "wrongn"];
    const prompts: string[] = [];
    for (let i = 0; i < 40; i++) {
      const faults = Array.from({ length: rng.int(0, 4) }, () => rng.pick(kinds));
      prompts.push(`p${i} [faults:${[...faults, "ok"].join(",")}]`);
    }
    const out = await s.sample(prompts, { n: 3, maxTokens: 16, temperature: 0.7 });
    assert.equal(out.length, prompts.length);
    prompts.forEach((p, i) => {
      assert.deepEqual(out[i]!.map((c) => c.text), [0, 1, 2].map((j) => expectedText(p, j)), `prompt ${i}`);
      assert.deepEqual(out[i]!.map((c) => c.finishReason), ["stop", "length", "stop"]);
      // usage says 30 tokens for 3 choices; split by text length, summing back to usage exactly
      assert.equal(out[i]!.reduce((a, c) => a + c.completionTokens, 0), 30);
      assert.equal(out[i]![0]!.promptTokens, 7);
      // exactly one successful answer per prompt, after exactly (faults + 1) attempts
      assert.equal(srv.answered.get(p), 1);
      assert.equal(srv.attempts.get(p), p.split(",").length);
    });
    const faultsTotal = prompts.reduce((a, p) => a + p.split(",").length - 1, 0);
    assert.equal(s.usage.retries, faultsTotal);
    assert.equal(s.usage.requests, prompts.length);
    assert.ok(srv.authHeaders.every((h) => h === "Bearer sk-test"));
    assert.ok(srv.maxInFlight() <= 6, `at most 6 requests in flight, saw ${srv.maxInFlight()}`);
    assert.ok(srv.maxInFlight() >= 2, "requests ran concurrently");
  } finally {
    s.close();
    await srv.close();
  }
});

test("a non-retryable 4xx is a clear error at once; other prompts still complete", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url));
  try {
    const prompts = ["a", "b [faults:400]", "c [faults:500,ok]"];
    await assert.rejects(s.sample(prompts, { maxTokens: 8 }), (e: unknown) => {
      assert.ok(e instanceof OpenAIRequestError);
      assert.equal(e.status, 400);
      assert.equal(e.promptIndex, 1);
      assert.equal(e.attempts, 1);
      assert.match(e.message, /HTTP 400: bad request: max_tokens is too large/);
      return true;
    });
    assert.equal(srv.attempts.get("b [faults:400]"), 1);
    assert.equal(srv.answered.get("a"), 1);
    assert.equal(srv.answered.get("c [faults:500,ok]"), 1);
  } finally {
    s.close();
    await srv.close();
  }
});

test("onPromptError \"empty\": a refused prompt gets [] and is recorded; the rest are answered", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url, { onPromptError: "empty" }));
  try {
    const out = await s.sample(["a", "b [faults:400]", "c"], { maxTokens: 8 });
    assert.deepEqual(out.map((o) => o.map((c) => c.text)), [[expectedText("a", 0)], [], [expectedText("c", 0)]]);
    assert.equal(s.failures.length, 1);
    assert.equal(s.failures[0]!.promptIndex, 1);
    assert.equal(s.failures[0]!.status, 400);
  } finally {
    s.close();
    await srv.close();
  }
});

test("retries are bounded: a prompt that always fails reports its attempts and last reason", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url, { maxRetries: 2, timeoutMs: 100 }));
  try {
    await assert.rejects(s.sample(["x [faults:503,429,timeout]"], { maxTokens: 8 }), (e: unknown) => {
      assert.ok(e instanceof OpenAIRequestError);
      assert.equal(e.attempts, 3);
      assert.match(e.message, /failed after 3 attempts; last: no complete response within 100 ms/);
      return true;
    });
    assert.equal(srv.attempts.get("x [faults:503,429,timeout]"), 3);
  } finally {
    s.close();
    await srv.close();
  }
});

test("an oversized response is refused once, without retries", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url, { maxResponseBytes: 100_000 }));
  try {
    await assert.rejects(s.sample(["big [faults:huge]"], { maxTokens: 8 }), /exceeds 100000 bytes \(raise maxResponseBytes\)/);
    assert.equal(srv.attempts.get("big [faults:huge]"), 1);
  } finally {
    s.close();
    await srv.close();
  }
});

test("the cache makes a rerun free and an interrupted job pays only for what is left", async () => {
  const srv = await startFaultServer();
  const dir = mkdtempSync(join(tmpdir(), "trimer-cache-"));
  const opts = { n: 2, maxTokens: 8, temperature: 1, seed: 5 };
  try {
    // first run: prompt 2 is refused (like an interrupted job); 0, 1 and the duplicate of 0 get cached
    const s1 = createOpenAISampler(fast(srv.url, { cacheDir: dir }));
    await assert.rejects(s1.sample(["q0", "q1", "q2 [faults:401,ok]", "q0"], opts), OpenAIRequestError);
    s1.close();
    assert.equal(srv.answered.get("q0"), 2); // the same prompt twice in a batch: two independent requests
    const shards = readdirSync(dir);
    assert.ok(shards.length >= 1 && shards.every((d) => /^[0-9a-f]{2}$/.test(d)));
    // resume: only the failed prompt goes to the server
    const before = srv.bodies.length;
    const s2 = createOpenAISampler(fast(srv.url, { cacheDir: dir }));
    const out = await s2.sample(["q0", "q1", "q2 [faults:401,ok]", "q0"], opts);
    s2.close();
    assert.equal(srv.bodies.length - before, 1);
    assert.equal(s2.usage.cacheHits, 3);
    assert.equal(out[2]![1]!.text, expectedText("q2 [faults:401,ok]", 1));
    // a torn or corrupted entry is a miss, re-fetched and rewritten whole
    const shard = readdirSync(dir).sort()[0]!;
    const entry = join(dir, shard, readdirSync(join(dir, shard))[0]!);
    writeFileSync(entry, readFileSync(entry, "utf8").slice(0, 40));
    const s4 = createOpenAISampler(fast(srv.url, { cacheDir: dir }));
    const again = await s4.sample(["q0", "q1", "q2 [faults:401,ok]", "q0"], opts);
    s4.close();
    assert.equal(s4.usage.cacheHits, 3);
    assert.deepEqual(again, out);
    assert.ok(JSON.parse(readFileSync(entry, "utf8")).response);
    // a different seed is a different request: not served from the cache
    const q1Before = srv.answered.get("q1")!;
    const s3 = createOpenAISampler(fast(srv.url, { cacheDir: dir }));
    await s3.sample(["q1"], { ...opts, seed: 6 });
    s3.close();
    assert.equal(s3.usage.cacheHits, 0);
    assert.equal(srv.answered.get("q1"), q1Before + 1);
    assert.ok(readdirSync(dir).every((d) => readdirSync(join(dir, d)).every((f) => f.endsWith(".json"))), "no temp files left");
  } finally {
    await srv.close();
  }
});

test("request mapping: chat vs completions, sampling fields, logprobs, reasoning_effort, extraBody", async () => {
  const srv = await startFaultServer();
  const s = createOpenAISampler(fast(srv.url, { reasoningEffort: "high", extraBody: { repetition_penalty: 1.1 } }));
  try {
    await s.sample([[{ role: "system", content: "be brief" }, { role: "user", content: "hi" }], "raw"], {
      n: 2, maxTokens: 32, temperature: 0.6, topP: 0.95, stop: ["</s>"], seed: 3, logprobs: true, topLogprobs: 2,
    });
    const chat = srv.bodies.find((b) => "messages" in b)!;
    const comp = srv.bodies.find((b) => "prompt" in b)!;
    assert.deepEqual(chat, {
      model: "m", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }], n: 2,
      temperature: 0.6, top_p: 0.95, max_tokens: 32, stop: ["</s>"], seed: 3, logprobs: true, top_logprobs: 2,
      reasoning_effort: "high", repetition_penalty: 1.1,
    });
    assert.equal(comp.prompt, "raw");
    assert.equal(comp.logprobs, 2);
    // mode "chat" sends a string prompt as one user message
    const c = createOpenAISampler(fast(srv.url, { mode: "chat" }));
    await c.sample(["solo"], { maxTokens: 4 });
    c.close();
    assert.deepEqual(srv.bodies.at(-1)!.messages, [{ role: "user", content: "solo" }]);
  } finally {
    s.close();
    await srv.close();
  }
});

test("configuration comes from flags, then TRIMER_*, then OPENAI_*; missing pieces are named", () => {
  const env = { OPENAI_BASE_URL: "http://o/v1", OPENAI_API_KEY: "k1", TRIMER_API_KEY: "k2", TRIMER_MODEL: "tm" };
  assert.deepEqual(resolveOpenAIConfig({}, env), { baseUrl: "http://o/v1", apiKey: "k2", model: "tm" });
  assert.deepEqual(resolveOpenAIConfig({ baseUrl: "https://x/v1", model: "f" }, env), { baseUrl: "https://x/v1", apiKey: "k2", model: "f" });
  assert.throws(() => resolveOpenAIConfig({}, {}), /TRIMER_BASE_URL/);
  assert.throws(() => resolveOpenAIConfig({ baseUrl: "http://h/v1" }, {}), /TRIMER_MODEL/);
  assert.throws(() => resolveOpenAIConfig({ baseUrl: "ftp://h", model: "m" }, {}), /not an http/);
});

test("onPromptError as a function: decides per refusal, and an error it throws rejects the call", async () => {
  const srv = await startFaultServer();
  const seen: string[] = [];
  const s = createOpenAISampler(fast(srv.url, { onPromptError: (e, p) => { seen.push(`${String(p)}:${e.status}`); return "empty"; } }));
  const stop = createOpenAISampler(fast(srv.url, { onPromptError: () => { throw new RangeError("stop the job here"); } }));
  try {
    const out = await s.sample(["a", "b [faults:400]"], { maxTokens: 8 });
    assert.deepEqual(out.map((o) => o.length), [1, 0]);
    assert.deepEqual(seen, ["b [faults:400]:400"]);
    await assert.rejects(stop.sample(["a", "c [faults:400]"], { maxTokens: 8 }), (e: unknown) => e instanceof RangeError && e.message === "stop the job here");
  } finally {
    s.close();
    stop.close();
    await srv.close();
  }
});

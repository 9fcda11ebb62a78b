// A server that refuses n > 1 (llama.cpp's answers 400 "Only one completion choice is allowed"): the sampler falls
// back to one request per sample instead of failing; --extra-body fields reach the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createOpenAISampler } from "../../src/engine/openai.js";
import { parseExtraBody } from "../../src/engine/openai-map.js";

async function llamaLike(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const b = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(b);
      res.setHeader("content-type", "application/json");
      if ((b.n as number) > 1) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: { code: 400, message: "Only one completion choice is allowed", type: "invalid_request_error" } }));
        return;
      }
      if (b.prompt === "bad") {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: { message: "the prompt is bad" } }));
        return;
      }
      res.end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [{ index: 0, text: `seed=${String(b.seed)}`, finish_reason: "stop", logprobs: null }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

test("a server that refuses n > 1 gets one request per sample (seeds seed, seed+1, …); later prompts go straight to n = 1", async () => {
  const srv = await llamaLike();
  const s = createOpenAISampler({ baseUrl: srv.url, model: "m", maxRetries: 0, extraBody: parseExtraBody('{"min_p": 0.05, "chat_template_kwargs": {"enable_thinking": false}}') });
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: unknown) => { errors.push(String(m)); };
  try {
    const out = await s.sample(["a"], { n: 3, maxTokens: 4, seed: 10 });
    assert.deepEqual(out[0]!.map((c) => c.text), ["seed=10", "seed=11", "seed=12"]);
    assert.equal(srv.bodies.length, 4); // the refused n = 3, then three n = 1
    assert.equal(srv.bodies[1]!.min_p, 0.05);
    assert.deepEqual(srv.bodies[1]!.chat_template_kwargs, { enable_thinking: false });
    const before = srv.bodies.length;
    const again = await s.sample(["b", "c"], { n: 2, maxTokens: 4, seed: 1 });
    assert.deepEqual(again.map((r) => r.length), [2, 2]);
    assert.equal(srv.bodies.length - before, 4);
    assert.ok(srv.bodies.slice(before).every((b) => b.n === 1));
    assert.equal(errors.filter((e) => /refused n = 3.*one request per sample/.test(e)).length, 1);
    // A refusal that is not about n still fails, with the server's message.
    await assert.rejects(s.sample(["bad"], { n: 2, maxTokens: 4 }), /the prompt is bad/);
  } finally {
    console.error = orig;
    s.close();
    await srv.close();
  }
});

test("--extra-body must be a JSON object that does not set what trimer sets", () => {
  assert.deepEqual(parseExtraBody('{"top_k": 20}'), { top_k: 20 });
  assert.throws(() => parseExtraBody("{nope"), /--extra-body is not valid JSON/);
  assert.throws(() => parseExtraBody("[1]"), /must be a JSON object/);
  assert.throws(() => parseExtraBody('{"model": "x"}'), /must not set "model"/);
});

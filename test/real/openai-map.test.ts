import { test } from "node:test";
import assert from "node:assert/strict";
import { MalformedResponseError, parseResponse, splitCompletionTokens, toCompletions } from "../../src/engine/openai-map.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../../src/engine/openai-retry.js";
import { cacheKey, canonicalJson } from "../../src/engine/openai-cache.js";

test("chat logprobs and top_logprobs map to token strings; token counts come from logprobs", () => {
  const body = {
    choices: [{
      index: 0, finish_reason: "length",
      message: { role: "assistant", content: "4", reasoning_content: "2+2" },
      logprobs: { content: [
        { token: "4", logprob: -0.1, top_logprobs: [{ token: "4", logprob: -0.1 }, { token: "5", logprob: -2.5 }] },
        { token: ".", logprob: -0.3, top_logprobs: [{ token: ".", logprob: -0.3 }] },
      ] },
    }],
    usage: { prompt_tokens: 12, completion_tokens: 9 },
  };
  const [c] = toCompletions(parseResponse(body, "chat", 1));
  assert.equal(c!.text, "<think>\n2+2\n</think>\n\n4");
  assert.deepEqual(c!.logprobs, [-0.1, -0.3]);
  assert.deepEqual(c!.topLogprobs, [[{ token: "4", logprob: -0.1 }, { token: "5", logprob: -2.5 }], [{ token: ".", logprob: -0.3 }]]);
  assert.equal(c!.completionTokens, 2);
  assert.equal(c!.promptTokens, 12);
  assert.equal(c!.finishReason, "length");
  assert.equal(toCompletions(parseResponse(body, "chat", 1, { reasoning: "drop" }))[0]!.text, "4");
});

test("legacy completions logprobs: top_logprobs maps sorted by probability", () => {
  const body = { choices: [{ index: 0, text: " 7", finish_reason: "stop", logprobs: { tokens: [" 7"], token_logprobs: [-0.2], top_logprobs: [{ " 8": -3, " 7": -0.2 }] } }] };
  const [c] = toCompletions(parseResponse(body, "completions", 1));
  assert.deepEqual(c!.topLogprobs, [[{ token: " 7", logprob: -0.2 }, { token: " 8", logprob: -3 }]]);
  assert.equal(c!.completionTokens, 1);
  assert.equal(c!.promptTokens, undefined);
});

test("usage is split over n choices by text length and sums back exactly", () => {
  const ch = (text: string) => ({ text, finishReason: "stop" as const });
  assert.deepEqual(splitCompletionTokens([ch("aaaa"), ch("aaaaaaaaaaaa")], 16), [4, 12]);
  const split = splitCompletionTokens([ch("a"), ch("bb"), ch("ccc")], 10);
  assert.equal(split.reduce((a, b) => a + b, 0), 10);
  assert.deepEqual(split, [2, 3, 5]);
  // a choice with logprobs is counted exactly; the rest share what is left
  assert.deepEqual(splitCompletionTokens([{ ...ch("xx"), logprobs: [-1, -1, -1] }, ch("yy")], 10), [3, 7]);
  // no usage: ~4 characters per token
  assert.deepEqual(splitCompletionTokens([ch("abcdefghi")], undefined), [3]);
});

test("malformed bodies name the problem", () => {
  assert.throws(() => parseResponse("<html>", "chat", 1), MalformedResponseError);
  assert.throws(() => parseResponse({ choices: [] }, "chat", 1), /0 choices, expected n = 1/);
  assert.throws(() => parseResponse({ choices: [{ index: 0 }] }, "chat", 1), /choices\[0\]\.message is missing/);
  assert.throws(() => parseResponse({ choices: [{ index: 0, text: 5 }] }, "completions", 1), /choices\[0\]\.text is not a string/);
});

test("retry policy: which statuses, full-jitter bounds, Retry-After honoured and capped", () => {
  for (const s of [408, 409, 429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.ok(!isRetryableStatus(s), String(s));
  const o = { baseMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(0, o, () => 0.999999), 100);
  assert.equal(backoffDelay(3, o, () => 0.5), 400);
  assert.equal(backoffDelay(10, o, () => 0.999999), 1000);
  assert.equal(backoffDelay(0, o, () => 0, "2"), 1000); // 2 s asked, capped at maxMs
  assert.equal(backoffDelay(0, o, () => 0, undefined, "250"), 250);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", undefined, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")), 5000);
  assert.equal(parseRetryAfter("soon"), undefined);
});

test("cache keys ignore key order but not content, and number duplicates", () => {
  assert.equal(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] }), '{"a":[{"x":1,"y":2}],"b":1}');
  const k = cacheKey("/chat/completions", { model: "m", n: 1 }, 0);
  assert.equal(k, cacheKey("/chat/completions", { n: 1, model: "m" }, 0));
  assert.notEqual(k, cacheKey("/chat/completions", { model: "m", n: 2 }, 0));
  assert.notEqual(k, cacheKey("/chat/completions", { model: "m", n: 1 }, 1));
  assert.notEqual(k, cacheKey("/completions", { model: "m", n: 1 }, 0));
});

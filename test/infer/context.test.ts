// Prompts longer than the context: the up-front check and its one line, left truncation (bos kept, room left to
// answer), the skipping sampler, and which server errors count as a context overflow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPromptLengths, guardedSampler, isContextOverflow, longPromptPolicy, newLongPromptCount, truncateTokens, truncatingSampler, type TokenEngine } from "../../src/infer/context.js";
import { OpenAIRequestError } from "../../src/engine/openai.js";
import type { Completion, Prompt } from "../../src/engine/types.js";

/** One token per character after a bos of 1; the "model" answers with the length of what it was given. */
function fakeEngine(context: number): TokenEngine & { seen: number[][] } {
  const seen: number[][] = [];
  return {
    seen,
    contextLength: context,
    encodePrompt: (p: Prompt) => [1, ...[...(typeof p === "string" ? p : p.map((m) => m.content).join(""))].map((c) => c.charCodeAt(0))],
    sampleTokens: (prompts: number[][]): Completion[][] => prompts.map((t) => { seen.push(t); return [{ text: String(t.length), completionTokens: 1, finishReason: "stop" as const }]; }),
  };
}

test("checkPromptLengths: the one line under the default policy; counted ids otherwise", () => {
  const e = fakeEngine(10);
  const units = ["short", "a much longer prompt", "x", "another long prompt!"].map((q, i) => ({ id: `p${i}`, prompts: [q] }));
  assert.throws(() => checkPromptLengths(e, units, newLongPromptCount("fail", 10)), {
    name: "UsageError",
    message: "2 of 4 prompts exceed the model's context (10 tokens) — pass --skip-long to skip them (counted) or --truncate-long to cut them from the left (counted), or use a model with a longer context",
  });
  const count = newLongPromptCount("skip", 10);
  assert.deepEqual([...checkPromptLengths(e, units, count)], ["p1", "p3"]);
  assert.deepEqual([count.skipped, count.truncated, count.ids], [2, 0, ["p1", "p3"]]);
  // A prompt that leaves exactly one position to generate fits; one that fills the context does not.
  assert.equal(checkPromptLengths(e, [{ id: "a", prompts: ["123456789".slice(0, 8)] }], newLongPromptCount("fail", 10)).size, 0);
  assert.throws(() => checkPromptLengths(e, [{ id: "a", prompts: ["123456789"] }], newLongPromptCount("fail", 10)));
  assert.throws(() => longPromptPolicy(true, true), { message: "give --skip-long or --truncate-long, not both" });
});

test("truncateTokens keeps bos and the prompt's end, and leaves min(max tokens, context/4) to answer", () => {
  const t = [1, ...Array.from({ length: 30 }, (_, i) => 100 + i)];
  assert.deepEqual(truncateTokens(t.slice(0, 5), 20, 8, 1), t.slice(0, 5));
  const cut = truncateTokens(t, 20, 100, 1);
  assert.equal(cut.length, 15);
  assert.deepEqual(cut, [1, ...t.slice(-14)]);
  assert.equal(truncateTokens(t, 20, 2, 1).length, 18);
  assert.deepEqual(truncateTokens([5, 6, 7, 8], 3, 1, 1), [7, 8]);
});

test("truncatingSampler and guardedSampler: long prompts cut, or answered with no completions and reported", async () => {
  const e = fakeEngine(12);
  const out = await truncatingSampler(e, 1).sample(["ok", "a prompt far longer than twelve"], { maxTokens: 3 });
  assert.deepEqual(out.map((c) => c[0]!.text), ["3", "9"]);
  const long: Prompt[] = [];
  const g = await guardedSampler(fakeEngine(12), "skip", (p) => long.push(p), 1).sample(["ok", "a prompt far longer than twelve", "fine"], { maxTokens: 3 });
  assert.deepEqual(g.map((c) => c.map((x) => x.text)), [["3"], [], ["5"]]);
  assert.deepEqual(long, ["a prompt far longer than twelve"]);
});

test("isContextOverflow: a 400 (or 413) naming the context, from trimer serve, vLLM or OpenAI; nothing else", () => {
  const err = (status: number | undefined, msg: string): OpenAIRequestError => new OpenAIRequestError(msg, status, 0, 1);
  assert.ok(isContextOverflow(err(400, "HTTP 400: prompt 0 has 300 tokens; the model's context length is 256 (prompt + completion)")));
  assert.ok(isContextOverflow(err(400, "HTTP 400: This model's maximum context length is 2048 tokens. However, you requested 3000 tokens")));
  assert.ok(isContextOverflow(err(400, "HTTP 400: context_length_exceeded")));
  assert.ok(!isContextOverflow(err(400, "HTTP 400: temperature must be ≥ 0")));
  assert.ok(!isContextOverflow(err(404, "HTTP 404: the model's context length is 10")));
  assert.ok(!isContextOverflow(err(undefined, "connection refused")));
  assert.ok(!isContextOverflow("context length"));
});

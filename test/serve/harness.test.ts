// What evaluation harnesses (lm-eval's local-completions, NeMo-Skills) and vLLM clients rely on, checked over HTTP
// against a tiny random model. The interop suite (npm run interop) repeats the important ones with the real clients.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { LocalEngine } from "../../src/engine/local.js";
import { ContinuousBatcher } from "../../src/serve/continuous.js";
import { inProcessScorer, inProcessStepBackend } from "../../src/serve/backends.js";
import { scorePrompts } from "../../src/serve/prompt-logprobs.js";
import { startOpenAIServer } from "../../src/serve/openai-server.js";
import { StepEngine } from "../../src/serve/step-engine.js";
import type { ChatMessage } from "../../src/engine/types.js";
import { tinyConfig, tok } from "./helpers.js";

// A vocabulary padded past the tokenizer's (as `trimer model init` pads to a multiple of 8): the padded ids must
// not leak into any reported distribution.
const engine = LocalEngine.create({ ...tinyConfig, vocab_size: tok.vocabSize + 7 }, tok, 11);
const batcher = new ContinuousBatcher(inProcessStepBackend(engine), { maxBatch: 32, stepsPerTick: 8 });
const srv = await startOpenAIServer({
  batcher, tokenizer: tok, contextLength: tinyConfig.max_position_embeddings, modelName: "tiny", port: 0, scorer: inProcessScorer(engine),
});
after(() => srv.close());
const root = srv.url.replace(/\/v1$/, "");

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function post(path: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${srv.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Json };
}

test("the sampled token's logprob equals its own top_logprobs entry (one distribution, the real vocabulary)", async () => {
  // By id, on the engine path the server uses (strings cannot tell a character from its byte-fallback twin).
  const steps = new StepEngine(engine);
  const params = { temperature: 1, topP: 1, topK: 20, maxTokens: 24, stop: [], topLogprobs: 20 };
  const res = steps.tick({ drop: [], add: [{ handles: [1, 2], rows: [[tok.bos, ...tok.encode("2+2=")], [tok.bos]], params, seed: 5 }], maxSteps: 100 });
  let checked = 0;
  for (const u of res.updates) {
    u.tokens.forEach((t, k) => {
      const top = u.topLogprobs![k]!;
      assert.ok(top.every((a) => a.token < tok.vocabSize), "a padded id among the alternatives");
      const mine = top.find((a) => a.token === t);
      if (mine) { assert.equal(mine.logprob, u.logprobs[k]); checked++; }
      assert.ok(top.reduce((s, a) => s + Math.exp(a.logprob), 0) <= 1 + 1e-9);
    });
  }
  assert.ok(checked > 0);
  // Over HTTP: the logprobs are over the same distribution (every top list sums to at most 1, greedy = top-1).
  const { json } = await post("/chat/completions", { model: "tiny", messages: [{ role: "user", content: "2+2?" }], max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 20 });
  for (const e of json.choices[0].logprobs.content as { logprob: number; top_logprobs: { logprob: number }[] }[]) {
    assert.equal(e.logprob, e.top_logprobs[0]!.logprob);
  }
});

test("echo + logprobs: prompt tokens first (first logprob null), equal to in-process scoring; max_tokens 0 scores only", async () => {
  const ids = [tok.bos, ...tok.encode("12+30=42")];
  const { status, json } = await post("/completions", { model: "tiny", prompt: [ids, ids.slice(0, 5)], echo: true, max_tokens: 0, logprobs: 1, temperature: 0 });
  assert.equal(status, 200);
  const want = scorePrompts(engine.model, [ids, ids.slice(0, 5)], tok.vocabSize, 1);
  json.choices.forEach((c: Json, p: number) => {
    const row = p === 0 ? ids : ids.slice(0, 5);
    assert.equal(c.text, tok.decode(row, { skipSpecial: true }));
    assert.equal(c.logprobs.tokens.length, row.length);
    assert.equal(c.logprobs.token_logprobs[0], null);
    assert.equal(c.logprobs.top_logprobs[0], null);
    assert.deepEqual(c.logprobs.token_logprobs.slice(1), want[p]!.logprobs);
    // The greedy check lm-eval makes: a token is greedy when its logprob is the top-1 logprob.
    c.logprobs.token_logprobs.slice(1).forEach((lp: number, t: number) => {
      const best = Math.max(...(Object.values(c.logprobs.top_logprobs[t + 1]) as number[]));
      assert.equal(lp === best, want[p]!.top[t]![0]!.token === row[t + 1]);
    });
    // text_offset indexes the choice's text: the bos renders no text; then one character per token.
    assert.deepEqual(c.logprobs.text_offset.slice(0, 3), [0, 0, 1]);
  });
  // In-process training logprobs agree too (LocalEngine.logprobs on the same tokens; padded ids have tiny mass).
  const train = await engine.logprobs([{ tokens: ids, weights: ids.slice(1).map(() => 1) }]);
  train[0]!.forEach((lp, t) => assert.ok(Math.abs(lp - want[0]!.logprobs[t]!) < 0.1));
  // lm-eval's loglikelihood request: max_tokens 1 with echo → prompt logprobs then one generated token.
  const one = await post("/completions", { model: "tiny", prompt: [ids], echo: true, max_tokens: 1, logprobs: 1, temperature: 0, seed: 1234 });
  const lp = one.json.choices[0].logprobs;
  assert.equal(lp.tokens.length, ids.length + 1);
  assert.deepEqual(lp.token_logprobs.slice(1, ids.length), want[0]!.logprobs);
  assert.ok(one.json.choices[0].text.startsWith(tok.decode(ids, { skipSpecial: true })));
  // A text prompt gets bos added; its echo is the text as sent.
  const text = await post("/completions", { model: "tiny", prompt: "7*6=", echo: true, max_tokens: 0, logprobs: 0 });
  assert.equal(text.json.choices[0].text, "7*6=");
  assert.deepEqual(text.json.choices[0].logprobs.text_offset, [0, 0, 1, 2, 3]);
  // max_tokens 0 without echo, or echo with stream, is refused.
  assert.equal((await post("/completions", { model: "tiny", prompt: "1", max_tokens: 0 })).status, 400);
  assert.match((await post("/completions", { model: "tiny", prompt: "1", echo: true, stream: true })).json.error.message, /"echo" with "stream"/);
});

test("token-id prompts are used as sent (no bos added); ids outside the vocabulary are a 400", async () => {
  const ids = tok.encode("5+5=");
  const a = await post("/completions", { model: "tiny", prompt: ids, max_tokens: 8, temperature: 0 });
  const direct = engine.sampleTokens([ids], { maxTokens: 8, temperature: 0 })[0]![0]!;
  assert.equal(a.json.choices[0].text, direct.text);
  assert.equal(a.json.usage.prompt_tokens, ids.length);
  const b = await post("/completions", { model: "tiny", prompt: [ids, [tok.bos, ...ids]], max_tokens: 8, temperature: 0 });
  assert.equal(b.json.choices.length, 2);
  assert.equal(b.json.choices[0].text, direct.text);
  const bad = await post("/completions", { model: "tiny", prompt: [1, 2, tok.vocabSize], max_tokens: 2 });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /prompt.*token id in \[0, 377\)/);
  assert.equal((await post("/completions", { model: "tiny", prompt: [[1], []], max_tokens: 2 })).status, 400);
});

test("tokenizer endpoints (vLLM's, which lm-eval's remote tokenizer probes) and /v1/models/{id}", async () => {
  const info = (await (await fetch(`${root}/tokenizer_info`)).json()) as Json;
  assert.deepEqual([info.bos_token, info.eos_token, info.pad_token], ["<bos>", "<eos>", "<pad>"]);
  assert.equal(info.chat_template, tok.chatTemplate);
  assert.equal(info.model_max_length, tinyConfig.max_position_embeddings);
  const t = await (await fetch(`${root}/tokenize`, { method: "POST", body: JSON.stringify({ prompt: "<eos>1+1", add_special_tokens: false }) })).json() as Json;
  assert.deepEqual(t.tokens, [tok.eos, ...tok.encode("1+1")]);
  assert.equal(t.count, 4);
  const withBos = await post("/tokenize", { prompt: "1" });
  assert.deepEqual(withBos.json.tokens, [tok.bos, ...tok.encode("1")]);
  const chat = await post("/tokenize", { messages: [{ role: "user", content: "hi" }] });
  assert.deepEqual(chat.json.tokens, tok.renderChat([{ role: "user", content: "hi" }]));
  const d = await (await fetch(`${root}/detokenize`, { method: "POST", body: JSON.stringify({ tokens: tok.encode("x€y") }) })).json() as Json;
  assert.equal(d.prompt, "x€y");
  assert.equal((await post("/detokenize", { tokens: [-1] })).status, 400);
  const m = await fetch(`${srv.url}/models/tiny`);
  assert.equal(m.status, 200);
  assert.equal(((await m.json()) as Json).id, "tiny");
  assert.equal((await fetch(`${srv.url}/models/other`)).status, 404);
});

test("limits real clients need: 5+ stop strings, 20+ prompts per request; prompt + max_tokens beyond the context → 400", async () => {
  const stops = ["\n\n", "Problem:", "</s>", "<|im_end|>", "Question:", "Q:"];
  const prompts = Array.from({ length: 24 }, (_, i) => `${i}+1=`);
  const r = await post("/completions", { model: "tiny", prompt: prompts, stop: stops, max_tokens: 4, temperature: 0 });
  assert.equal(r.status, 200);
  assert.equal(r.json.choices.length, 24);
  const over = await post("/completions", { model: "tiny", prompt: "1+1=", max_tokens: 125 });
  assert.equal(over.status, 400);
  assert.equal(over.json.error.code, "context_length_exceeded");
  assert.equal(over.json.error.param, "max_tokens");
  assert.match(over.json.error.message, /5 tokens and max_tokens is 125: 130 tokens exceed the model's context length of 128/);
  assert.equal((await post("/completions", { model: "tiny", prompt: "1+1=", max_tokens: 123 })).status, 200);
  assert.equal((await post("/completions", { model: "tiny", prompt: Array.from({ length: 257 }, () => "1"), max_tokens: 1 })).status, 400);
});

test("parameters not implemented are refused by name; unknown ones too; bookkeeping fields are accepted", async () => {
  const msgs = [{ role: "user", content: "hi" }];
  for (const [k, v] of [["response_format", { type: "json_object" }], ["tools", [{ type: "function", function: { name: "f" } }]], ["tool_choice", "auto"],
    ["guided_json", {}], ["use_beam_search", true], ["frobnicate", 1], ["prompt", "x"], ["chat_template_kwargs", { enable_thinking: false }]] as const) {
    const r = await post("/chat/completions", { model: "tiny", messages: msgs, max_tokens: 2, [k]: v });
    assert.equal(r.status, 400, k);
    assert.equal(r.json.error.param, k);
    assert.match(r.json.error.message, new RegExp(`"${k}"`));
  }
  const ok = await post("/chat/completions", { model: "tiny", messages: msgs, max_tokens: 2, user: "u", metadata: { a: "b" }, response_format: { type: "text" }, tools: [], tool_choice: "none" });
  assert.equal(ok.status, 200);
  assert.equal((await post("/completions", { model: "tiny", prompt: "1", max_tokens: 2, suffix: "x" })).json.error.param, "suffix");
});

test("logit_bias, min_p, penalties, stop_token_ids, min_tokens change sampling as specified", async () => {
  // A prompt whose greedy continuation does not end at once (the model is random).
  let base = { model: "tiny", prompt: "", max_tokens: 6, temperature: 0 };
  for (const prompt of ["3+4=", "12", "x", "a+b", "9*9=", "(", "q"]) {
    base = { ...base, prompt };
    if ((await post("/completions", base)).json.usage.completion_tokens >= 2) break;
  }
  const seven = tok.encode("7")[0]!;
  const forced = await post("/completions", { ...base, logit_bias: { [seven]: 100 } });
  assert.equal(forced.json.choices[0].text, "777777");
  const greedy = (await post("/completions", { ...base, logprobs: 0 })).json.choices[0];
  const firstTok = greedy.logprobs.tokens[0] as string;
  const firstId = tok.encode(firstTok, { allowSpecial: true })[0]!;
  const banned = await post("/completions", { ...base, logprobs: 0, logit_bias: { [firstId]: -100 } });
  assert.notEqual(banned.json.choices[0].logprobs.tokens[0], firstTok);
  // A strong repetition penalty never repeats a token at temperature 0 when alternatives are as likely.
  // (By id on the engine: the server passes the same parameters through.)
  const prompt = [tok.bos, ...tok.encode(base.prompt)];
  const rep = engine.sampleTokens([prompt], { maxTokens: 10, temperature: 0, logitsParams: { logitBias: [[seven, 5]], repetitionPenalty: 100 } })[0]![0]!;
  assert.equal(new Set(rep.tokens).size, rep.tokens!.length);
  const plain = engine.sampleTokens([prompt], { maxTokens: 10, temperature: 0, logitsParams: { logitBias: [[seven, 5]] } })[0]![0]!;
  assert.deepEqual(plain.tokens, Array(10).fill(seven));
  const served = await post("/completions", { ...base, max_tokens: 10, logit_bias: { [seven]: 5 }, repetition_penalty: 100 });
  assert.equal(served.json.choices[0].text, rep.text);
  const freq = await post("/completions", { ...base, logit_bias: { [seven]: 3 }, frequency_penalty: 2 });
  assert.notEqual(freq.json.choices[0].text, "777777");
  // min_p = 1 keeps only the most likely token: sampling at any temperature is greedy.
  for (const seed of [1, 2, 3]) {
    const r = await post("/completions", { ...base, temperature: 1.5, min_p: 1, seed });
    assert.equal(r.json.choices[0].text, greedy.text);
  }
  const stopped = await post("/completions", { ...base, logit_bias: { [seven]: 100 }, stop_token_ids: [seven] });
  assert.equal(stopped.json.choices[0].text, "");
  assert.equal(stopped.json.choices[0].finish_reason, "stop");
  const eosFirst = await post("/completions", { ...base, logit_bias: { [tok.eos]: 100 } });
  assert.equal(eosFirst.json.usage.completion_tokens, 1);
  const minTok = await post("/completions", { ...base, logit_bias: { [tok.eos]: 100 }, min_tokens: 3 });
  assert.equal(minTok.json.usage.completion_tokens, 4);
  for (const [k, v] of [["min_p", 2], ["repetition_penalty", 0], ["presence_penalty", 3], ["logit_bias", { x: 1 }], ["logit_bias", { 1: 101 }], ["stop_token_ids", [tok.vocabSize]]] as const) {
    const r = await post("/completions", { ...base, [k]: v });
    assert.equal(r.status, 400, `${k}=${JSON.stringify(v)}`);
    assert.equal(r.json.error.param, k);
  }
});

test("continue_final_message continues the assistant's text; add_generation_prompt false renders no opener", async () => {
  const msgs: ChatMessage[] = [{ role: "user", content: "2+2?" }, { role: "assistant", content: "The answer is" }];
  const r = await post("/chat/completions", { model: "tiny", messages: msgs, max_tokens: 5, temperature: 0, continue_final_message: true, add_generation_prompt: false });
  assert.equal(r.status, 200);
  const want = engine.sampleTokens([tok.renderChat(msgs, { continueFinalMessage: true })], { maxTokens: 5, temperature: 0 })[0]![0]!;
  assert.equal(r.json.choices[0].message.content, want.text);
  assert.equal(r.json.usage.prompt_tokens, tok.renderChat(msgs, { addGenerationPrompt: false }).length - 1);
  assert.equal((await post("/chat/completions", { model: "tiny", messages: msgs.slice(0, 1), continue_final_message: true, add_generation_prompt: false })).status, 400);
});

test("streaming sends one chunk per token by default (the engine reports 8 per tick)", async () => {
  const res = await fetch(`${srv.url}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "1+1=", max_tokens: 20, temperature: 0, stream: true, logprobs: 0, logit_bias: { [tok.encode("7")[0]!]: 100 } }) });
  const text = await res.text();
  const chunks = text.split("\n\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)) as Json);
  const withText = chunks.filter((c) => c.choices[0]?.logprobs?.tokens?.length);
  const all = withText.flatMap((c) => c.choices[0].logprobs.tokens as string[]);
  assert.equal(all.join(""), "7".repeat(20));
  assert.ok(withText.every((c) => c.choices[0].logprobs.tokens.length === 1), "a chunk carried several tokens");
});

// Pass-rate filtering against `trimer serve` on loopback: a tiny model trained here to answer three problems (asked as
// a chat message holding the bare question — the step's `prompt` option; a model this small cannot tell apart
// questions that differ in a few characters at the end of the long default instruction) is served over HTTP and
// sampled through the OpenAI-compatible client. The three problems it knows reach pass rate 1 and are dropped
// (≥ 0.8, Nemotron); the two it never saw stay, with pass rate 0.
// Greedy sampling (temperature 0) makes the pass rates exactly 0 or 1, so the counts are exact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import { OpenAISampler } from "../../src/engine/openai.js";
import { passRateStep } from "../../src/data/curate/passrate.js";
import { collect, fromArray, type CurateRecord } from "../../src/data/curate/record.js";
import { supervisedLoop } from "../../src/train/sft.js";
import { runSteps } from "../../src/train/runner.js";
import { startTestServer } from "../serve/helpers.js";

const known = [{ id: "k1", question: "3+4=", answer: "7" }, { id: "k2", question: "2*4=", answer: "8" }, { id: "k3", question: "9-8=", answer: "1" }];
const unseen = [{ id: "u1", question: "5+5=", answer: "10" }, { id: "u2", question: "6*6=", answer: "36" }];

test("curate pass-rate through trimer serve: problems the model solves are dropped, the others kept", async () => {
  const tok = mathTokenizer();
  const engine = LocalEngine.create({
    vocab_size: tok.vocabSize, hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    intermediate_size: 96, max_position_embeddings: 192, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
  }, tok, 11);
  // Pass-rate asks as a chat (a user message), so the model learns the chat rendering of each question.
  const data = known.map((p) => {
    const prompt = tok.renderChat([{ role: "user", content: p.question }]);
    const tokens = [...prompt, ...tok.encode(`\\boxed{${p.answer}}`), tok.eos];
    return { tokens, weights: tokens.slice(1).map((_, t) => (t + 1 >= prompt.length ? 1 : 0)) };
  });
  await runSteps(engine, supervisedLoop({ label: "overfit", steps: 300, lr: () => 3e-3, maxGradNorm: 1 }, engine, () => data), { quiet: true });

  const srv = await startTestServer({ engine, maxN: 8, maxTokens: 32 });
  try {
    const sampler = new OpenAISampler({ baseUrl: srv.url, model: "tiny", maxRetries: 0 });
    const run = passRateStep(fromArray([...known, ...unseen] as CurateRecord[]), { sampler, k: 4, temperature: 0, maxTokens: 16, threshold: 0.8, prompt: (q) => q });
    const kept = await collect(run.records);
    const report = run.report();
    assert.deepEqual(kept.map((r) => r.id), ["u1", "u2"]);
    assert.equal(report.removed, 3);
    assert.equal(report.kept, 2);
    for (const r of kept) assert.equal((r.meta as { passRate: number }).passRate, 0);
    assert.ok(srv.backend.calls.length > 0, "the engine behind the server did the sampling");
  } finally {
    await srv.close();
  }
});

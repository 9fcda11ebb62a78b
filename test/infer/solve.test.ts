// trimer solve's core: multi-agent sampling, the reflection round, selection by reward model or vote.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatMessage, Completion, Prompt, SampleOptions, Sampler } from "../../src/engine/types.js";
import { LocalEngine } from "../../src/engine/local.js";
import { openSampler } from "../../src/engine/open.js";
import { openRewardModel, scoreTexts } from "../../src/train/reward-model/score.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import { agentTable } from "../../src/infer/agents.js";
import { parseAgentTable, solve } from "../../src/infer/solve.js";
import { reflectionMessages } from "../../src/infer/reflect.js";

/** A sampler whose answer depends on the agent (by temperature) and the round (a chat prompt with 3+ messages is a reflection). */
function scripted(answers: Record<number, string>, revised?: Record<number, string>): Sampler & { calls: { prompts: Prompt[]; opts: SampleOptions }[] } {
  const calls: { prompts: Prompt[]; opts: SampleOptions }[] = [];
  return {
    calls,
    sample: async (prompts, opts) => {
      calls.push({ prompts, opts });
      return prompts.map((p) => {
        const reflecting = Array.isArray(p) && p.length >= 3;
        const a = (reflecting ? revised : answers)![opts.temperature!]!;
        const text = `work for T=${opts.temperature}. \\boxed{${a}}`;
        return [{ text, completionTokens: 10 + Math.round(opts.temperature! * 10), finishReason: "stop" } as Completion];
      });
    },
  };
}

const agents = agentTable(4, 64); // temperatures 0.2, 0.4, 0.6, 0.8

test("majority: the most frequent answer wins; per-agent answers, tokens and the total are reported", async () => {
  const s = scripted({ 0.2: "5", 0.4: "4", 0.6: "4", 0.8: "1/2" });
  const r = await solve(s, "What is 2+2?", { agents, promptFormat: "chat", instruction: "Box it." });
  assert.equal(r.method, "majority");
  assert.equal(r.answer, "4");
  assert.equal(r.chosen, 1);
  assert.deepEqual(r.agents.map((a) => a.answer), ["5", "4", "4", "1/2"]);
  assert.deepEqual(r.agents.map((a) => a.tokens), [12, 14, 16, 18]);
  assert.equal(r.totalTokens, 60);
  // One call per agent, each with its own (temperature, top-p) and the chat prompt carrying the instruction.
  assert.deepEqual(s.calls.map((c) => [c.opts.temperature, c.opts.topP]), agents.map((a) => [a.temperature, a.topP]));
  assert.deepEqual(s.calls[0]!.prompts[0], [{ role: "user", content: "What is 2+2?\nBox it." }]);
});

test("completion format sends the raw question", async () => {
  const s = scripted({ 0.2: "1", 0.4: "1", 0.6: "1", 0.8: "1" });
  await solve(s, "3*9+3-6=", { agents, promptFormat: "completion" });
  assert.equal(s.calls[0]!.prompts[0], "3*9+3-6=");
});

test("reward selection picks the highest score; weighted vote lets two mid scores beat one high", async () => {
  const s = scripted({ 0.2: "7", 0.4: "8", 0.6: "8", 0.8: "9" });
  const byAnswer: Record<string, number> = { "7": 0.1, "8": 1.5, "9": 3 };
  const rm = { score: async (_p: string[], c: string[]) => c.map((t) => byAnswer[/boxed\{(\d+)\}/.exec(t)![1]!]!) };
  const r = await solve(s, "q", { agents, promptFormat: "chat", rewardModel: rm });
  assert.equal(r.method, "reward");
  assert.equal(r.answer, "9");
  assert.deepEqual(r.agents.map((a) => a.score), [0.1, 1.5, 1.5, 3]);
  const w = await solve(s, "q", { agents, promptFormat: "chat", rewardModel: rm, select: "weighted" });
  assert.equal(w.answer, "8"); // sigmoid(1.5)*2 = 1.64 > sigmoid(3) = 0.95
});

test("reward / weighted selection without a reward model is refused", async () => {
  await assert.rejects(solve(scripted({}), "q", { agents, promptFormat: "chat", select: "reward" }), /needs a reward model/);
});

test("reflection: each agent sees its own solution and the others' answers; the revised answers are the candidates", async () => {
  const s = scripted({ 0.2: "5", 0.4: "4", 0.6: "4", 0.8: "6" }, { 0.2: "4", 0.4: "4", 0.6: "4", 0.8: "6" });
  const r = await solve(s, "What is 2+2?", { agents, promptFormat: "chat", reflect: true });
  assert.equal(s.calls.length, 8);
  const reflection = s.calls[4]!.prompts[0] as ChatMessage[];
  assert.equal(reflection.length, 3);
  assert.equal(reflection[0]!.content, "What is 2+2?");
  assert.equal(reflection[1]!.role, "assistant");
  assert.match(reflection[1]!.content, /\\boxed\{5\}/);
  assert.match(reflection[2]!.content, /Agent 1: 4\n- Agent 2: 4\n- Agent 3: 6/);
  assert.match(reflection[2]!.content, /\\boxed\{\}/);
  assert.deepEqual(r.agents.map((a) => a.firstRound!.answer), ["5", "4", "4", "6"]);
  assert.deepEqual(r.agents.map((a) => a.answer), ["4", "4", "4", "6"]);
  assert.deepEqual(r.agents.map((a) => a.tokens), [24, 28, 32, 36]);
  assert.equal(r.answer, "4");
  assert.equal(r.chosen, 0);
});

test("reflection is refused for completion-format prompts", async () => {
  await assert.rejects(solve(scripted({}), "1+1=", { agents, promptFormat: "completion", reflect: true }), /needs the chat prompt format/);
});

test("reflection prompt quotes a long solution by its end only", () => {
  const long = "x".repeat(20_000) + "\\boxed{3}";
  const m = reflectionMessages([{ role: "user", content: "q" }], { ownSolution: long, otherAnswers: [null] });
  assert.ok(m[1]!.content.length < 8_100);
  assert.ok(m[1]!.content.endsWith("\\boxed{3}"));
  assert.match(m[2]!.content, /Agent 1: \(no final answer\)/);
});

test("agent table: parsed from TEMPERATURE:TOP_P pairs, bad entries named", () => {
  assert.deepEqual(parseAgentTable("0.2:0.85, 0.4:0.9", 100), [{ temperature: 0.2, topP: 0.85, maxTokens: 100 }, { temperature: 0.4, topP: 0.9, maxTokens: 100 }]);
  assert.throws(() => parseAgentTable("0.2:0.85,hot", 10), /entry 2 "hot" is not TEMPERATURE:TOP_P/);
  assert.throws(() => parseAgentTable("0.2:1.5", 10), /top-p 1.5 is not in \(0, 1\]/);
  assert.throws(() => parseAgentTable("", 10), /empty/);
});

test("end to end on tiny local checkpoints: policy via openSampler, reward model with a score head", async () => {
  const tok = mathTokenizer();
  const config: ModelConfig = {
    vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    intermediate_size: 64, max_position_embeddings: 96, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
  };
  const dir = mkdtempSync(join(tmpdir(), "trimer-solve-"));
  try {
    await LocalEngine.create(config, tok, 3).save(join(dir, "policy"));
    const rmEngine = LocalEngine.create({ ...config, score_head: true }, tok, 4);
    await rmEngine.save(join(dir, "rm"));
    const opened = await openSampler({ checkpoint: join(dir, "policy") });
    assert.equal(opened.kind, "local");
    const rm = await openRewardModel(join(dir, "rm"));
    const r = await solve(opened.sampler, "3*9+3-6=", { agents, promptFormat: "completion", rewardModel: rm, seed: 1 });
    // The chosen candidate is the argmax of the reward model's own scores (computed here independently).
    const expect = await scoreTexts(rmEngine, tok, r.agents.map((a) => ({ prompt: "3*9+3-6=", completion: a.text })), 96);
    assert.deepEqual(r.agents.map((a) => a.score), expect);
    const best = expect.indexOf(Math.max(...expect));
    assert.equal(r.chosen, best);
    assert.equal(r.totalTokens, r.agents.reduce((s, a) => s + a.tokens, 0));
    assert.ok(r.agents.every((a) => a.tokens >= 1 && a.tokens <= 64));
    await assert.rejects(openRewardModel(join(dir, "policy")), /not a reward model/);
    await assert.rejects(openSampler({ checkpoint: join(dir, "rm") }), /reward model \(score head\)/);
    await opened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

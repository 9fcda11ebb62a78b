// GRPO's PPO passes (ppoEpochs μ, miniBatches) on a real tiny model: with one optimizer step per batch the step is
// exactly the on-policy step (ratio 1, no clip); with μ > 1 the later passes are scored against the policy before
// the first one, so the ratio leaves 1 and the clip acts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalEngine } from "../../src/engine/local.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import type { ModelConfig } from "../../src/model/config.js";
import type { Datum } from "../../src/engine/types.js";
import { completionDatum, grpoLoop, grpoStep, splitBatch, type GrpoConfig, type GrpoDeps } from "../../src/train/grpo/grpo.js";
import { groupAdvantages } from "../../src/train/grpo/advantages.js";
import { textDatum } from "../../src/train/examples.js";
import { trimerReward } from "../../src/verify/reward.js";
import { targetLogprobs } from "../../src/model/losses.js";

const tok = mathTokenizer();
const config: ModelConfig = {
  vocab_size: tok.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 64, max_position_embeddings: 48, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true,
};
const problems = [
  { prompt: "2+3=", answer: "5" },
  { prompt: "4+4=", answer: "8" },
  { prompt: "7-2=", answer: "5" },
];

/**
 * A policy that answers each prompt right about half the time: trained on the right answer and a wrong one in equal
 * measure, so its samples' rewards vary within every group (the step has advantages to act on).
 */
async function policy(): Promise<LocalEngine> {
  const e = LocalEngine.create(config, tok, 11);
  const data: Datum[] = problems.flatMap((p) => [
    textDatum(tok, { prompt: p.prompt, completion: `\\boxed{${p.answer}}` }),
    textDatum(tok, { prompt: p.prompt, completion: `\\boxed{${Number(p.answer) + 1}}` }),
  ]);
  for (let s = 0; s < 40; s++) {
    await e.forwardBackward(data, { type: "cross_entropy" });
    await e.optimStep({ lr: 1e-2, maxGradNorm: 1 });
  }
  return e;
}

const base: GrpoConfig = {
  steps: 1, groupSize: 8, temperature: 0.7, topP: 1, lr: () => 2e-2, maxTokens: () => 12, clip: 0.2,
  aggregation: "sequence", beta: 0, advantageScaling: "std", maxGradNorm: 1, seed: 3, lossTemperature: "sampling",
};
const deps = (e: LocalEngine): GrpoDeps => ({ policy: e, tokenizer: tok, problems: () => problems });

function weights(e: LocalEngine): Float32Array[] {
  return [...e.model.parameters().values()].map((p) => Float32Array.from(p.data));
}

test("ppoEpochs 1 (and the fields' absence) is the on-policy step bit for bit: one forwardBackward without p_old, one optimStep", async () => {
  for (const lossTemperature of ["sampling", 1] as const) {
    const cfg = { ...base, lossTemperature };
    const a = await policy(), b = await policy(), c = await policy();
    const la = await grpoStep(cfg, deps(a), 0);
    const lb = await grpoStep({ ...cfg, ppoEpochs: 1, miniBatches: 1 }, deps(b), 0);
    // The same step written out by hand (the code before μ existed).
    const groups = await c.sampler().sample(problems.map((p) => p.prompt), {
      n: cfg.groupSize, temperature: cfg.temperature, topP: cfg.topP, maxTokens: 12, logprobs: true, seed: (cfg.seed * 1_000_003) >>> 0,
    });
    const rewards = problems.map((p, i) => groups[i]!.map((s) => trimerReward(s.text, p.answer).reward));
    const { advantages } = groupAdvantages(rewards);
    const batch: Datum[] = [];
    problems.forEach((p, i) => groups[i]!.forEach((s, j) => {
      const adv = advantages[i]![j]!;
      if (adv === 0) return;
      const d = completionDatum(tok, p.prompt, s);
      d.advantages = new Array<number>(d.tokens.length - 1).fill(adv);
      if (lossTemperature === 1) {
        const old = new Array<number>(d.tokens.length - 1).fill(0);
        s.logprobs!.forEach((lp, k) => { old[old.length - s.logprobs!.length + k] = lp; });
        d.oldLogprobs = old;
      }
      batch.push(d);
    }));
    assert.ok(batch.length >= 4, `the policy's groups must have reward variance (got ${batch.length} data)`);
    const st = await c.forwardBackward(batch, {
      type: "policy_gradient", clip: 0.2, aggregation: "sequence", constant: 12, beta: 0, ...(lossTemperature === 1 ? {} : { temperature: 0.7 }),
    });
    await c.optimStep({ lr: 2e-2, maxGradNorm: 1 });
    const [wa, wb, wc] = [weights(a), weights(b), weights(c)];
    wa.forEach((w, k) => {
      assert.deepEqual(w, wb[k], `tensor ${k}: ppoEpochs 1 differs from the default`);
      assert.deepEqual(w, wc[k], `tensor ${k}: the step differs from the hand-written on-policy step`);
    });
    assert.equal(la.loss, st.loss);
    assert.equal(la.optimSteps, 1);
    assert.equal(lb.loss, la.loss);
    if (lossTemperature === "sampling") {
      assert.equal(la.clipFraction, 0);
      assert.equal(la.ratioMean, 1);
    }
  }
});

test("ppoEpochs > 1: the ratio leaves 1 and the clip acts on the later passes; more passes clip more", async () => {
  const logs = [];
  for (const ppoEpochs of [1, 2, 4]) {
    const e = await policy();
    logs.push(await grpoStep({ ...base, ppoEpochs }, deps(e), 0));
  }
  const [one, two, four] = logs as [typeof logs[0], typeof logs[0], typeof logs[0]];
  assert.equal(one.clipFraction, 0);
  assert.equal(two.optimSteps, 2);
  assert.equal(four.optimSteps, 4);
  // The samples (and so the rewards) are the same in every run: only the optimisation differs.
  assert.equal(two.meanReward, one.meanReward);
  assert.equal(four.meanReward, one.meanReward);
  assert.notEqual(two.ratioMean, 1);
  assert.ok(two.clipFraction > 0, `clip fraction with μ = 2: ${two.clipFraction}`);
  assert.ok(four.clipFraction > two.clipFraction, `μ = 4 clips ${four.clipFraction}, μ = 2 ${two.clipFraction}`);
  // The first pass is on-policy (p_old is this policy at the loss temperature), so its entropy is the μ = 1 step's.
  assert.ok(Math.abs(two.entropy - one.entropy) < 1e-9, `${two.entropy} vs ${one.entropy}`);
});

test("mini-batches: one optimizer step each per pass, the first pass's later mini-batches already off-policy", async () => {
  const e = await policy();
  const log = await grpoStep({ ...base, ppoEpochs: 1, miniBatches: 3 }, deps(e), 0);
  assert.equal(log.optimSteps, 3);
  assert.notEqual(log.ratioMean, 1);
  const e2 = await policy();
  const log2 = await grpoStep({ ...base, ppoEpochs: 2, miniBatches: 2 }, deps(e2), 0);
  assert.equal(log2.optimSteps, 4);
  assert.ok(log2.clipFraction > 0);
});

test("p_old for several passes is scored at the loss temperature (the sampler's log-probabilities are untempered)", async () => {
  const e = await policy();
  const d = textDatum(tok, { prompt: "2+3=", completion: "\\boxed{5}" });
  const [t1] = await e.logprobs([d]);
  const [t07] = await e.logprobs([d], { temperature: 0.7 });
  const [def] = await e.logprobs([d]);
  assert.deepEqual(def, t1);
  // By hand from the distribution's full logits: log softmax(z / 0.7) at each target.
  const [dist] = await e.distribution([d]);
  const logits = (dist as { logits: Float32Array }).logits;
  const V = tok.vocabSize;
  for (let t = 0; t < d.tokens.length - 1; t++) {
    const row = Array.from(logits.subarray(t * V, (t + 1) * V), (z) => z / 0.7);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    assert.ok(Math.abs(t07![t]! - (row[d.tokens[t + 1]!]! - lse)) < 1e-4, `position ${t}`);
  }
  assert.ok(t07!.some((x, t) => Math.abs(x - t1![t]!) > 1e-3), "tempered and untempered log-probabilities must differ");
  assert.throws(() => targetLogprobs([d], [logits], V, 0), /temperature must be a positive number/);
});

test("ppoEpochs / miniBatches must be integers ≥ 1, named", () => {
  const e = LocalEngine.create(config, tok, 1);
  assert.throws(() => grpoLoop({ ...base, ppoEpochs: 0 }, deps(e)), /ppoEpochs must be an integer ≥ 1, got 0/);
  assert.throws(() => grpoLoop({ ...base, miniBatches: 1.5 }, deps(e)), /miniBatches must be an integer ≥ 1, got 1.5/);
});

test("splitBatch: contiguous near-equal parts, never an empty one", () => {
  assert.deepEqual(splitBatch([1, 2, 3, 4, 5], 2), [[1, 2, 3], [4, 5]]);
  assert.deepEqual(splitBatch([1, 2], 4), [[1], [2]]);
  assert.deepEqual(splitBatch([1, 2, 3], 1), [[1, 2, 3]]);
});

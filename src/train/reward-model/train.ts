// Training the preference reward model: a transformer with a scalar head, Bradley–Terry loss on (chosen, rejected)
// pairs: −log σ(s(chosen) − s(rejected)). Held-out pairs (from problems never used for training pairs) give the
// pairwise accuracy the pipeline reports.
import type { Datum, Trainer } from "../../engine/types.js";
import { pairCredit } from "../../model/losses.js";
import type { Tokenizer } from "../../model/tokenizer.js";
import { textDatum } from "../examples.js";
import type { StepLoop } from "../runner.js";
import { supervisedLoop, type SupervisedRecord } from "../sft.js";
import type { PreferencePair } from "./pairs.js";
import { createRng, mixSeed } from "../../util/rng.js";

export interface RewardModelConfig {
  steps: number;
  pairsPerStep: number;
  lr(step: number): number;
  maxTokens: number;
  maxGradNorm?: number;
  weightDecay?: number;
  seed: number;
}

/** The two datums of a pair, chosen first (the engine's pairwise loss reads pairs at 2i, 2i+1). */
export function pairDatums(tok: Tokenizer, pair: PreferencePair, maxTokens: number): [Datum, Datum] {
  return [
    textDatum(tok, { prompt: pair.prompt, completion: pair.chosen }, {}, maxTokens),
    textDatum(tok, { prompt: pair.prompt, completion: pair.rejected }, {}, maxTokens),
  ];
}

/** Bradley–Terry steps: each draws `pairsPerStep` training pairs (with replacement, seeded by the step). */
export function rewardModelLoop(cfg: RewardModelConfig, rm: Trainer, tok: Tokenizer, pairs: readonly PreferencePair[]): StepLoop<SupervisedRecord> {
  if (pairs.length === 0) throw new Error("reward model: no (correct, incorrect) pairs to train on");
  return supervisedLoop({
    label: "reward model", steps: cfg.steps, lr: cfg.lr, maxGradNorm: cfg.maxGradNorm, weightDecay: cfg.weightDecay,
    loss: () => ({ type: "pairwise" }),
  }, rm, (step) => {
    const rng = createRng(mixSeed(cfg.seed, step));
    const batch: Datum[] = [];
    for (let i = 0; i < cfg.pairsPerStep; i++) batch.push(...pairDatums(tok, pairs[rng.int(0, pairs.length - 1)]!, cfg.maxTokens));
    return batch;
  });
}

/** Share of pairs whose chosen solution scores higher (ties count half: model/losses.ts pairCredit). */
export async function pairwiseAccuracy(rm: Trainer, tok: Tokenizer, pairs: readonly PreferencePair[], maxTokens: number, chunk = 64): Promise<number> {
  if (!rm.scores) throw new Error("reward model: this engine has no scalar head (scores)");
  if (pairs.length === 0) return NaN;
  let wins = 0;
  for (let i = 0; i < pairs.length; i += chunk) {
    const part = pairs.slice(i, i + chunk);
    const s = await rm.scores(part.flatMap((p) => pairDatums(tok, p, maxTokens)));
    for (let k = 0; k < part.length; k++) {
      wins += pairCredit(s[2 * k]! - s[2 * k + 1]!);
    }
  }
  return wins / pairs.length;
}

// Scoring text with a trained reward model: (prompt, completion) pairs are tokenized the way the reward model was
// trained on them (train/examples.ts), then scored by its scalar head.
import { LocalEngine } from "../../engine/local.js";
import type { Trainer } from "../../engine/types.js";
import type { Tokenizer } from "../../model/tokenizer.js";
import { InputError } from "../../util/errors.js";
import { textDatum } from "../examples.js";

/** Scores (prompt, completion) texts with the reward model, in chunks. */
export async function scoreTexts(rm: Trainer, tok: Tokenizer, items: { prompt: string; completion: string }[], maxTokens: number, chunk = 64): Promise<number[]> {
  if (!rm.scores) throw new Error("reward model: this engine has no scalar head (scores)");
  const out: number[] = [];
  for (let i = 0; i < items.length; i += chunk) {
    const s = await rm.scores(items.slice(i, i + chunk).map((it) => textDatum(tok, it, {}, maxTokens)));
    out.push(...s);
  }
  return out;
}

/** Scores (prompt, completion) pairs; higher = better. The eval runner's RewardModel has this shape. */
export interface TextRewardModel {
  score(prompts: string[], completions: string[]): Promise<number[]>;
}

/** A checkpoint with a score head (config.score_head: true) as a reward model; texts beyond its context are cut. */
export async function openRewardModel(dir: string): Promise<TextRewardModel> {
  const rm = await LocalEngine.load(dir);
  if (!rm.config.score_head) throw new InputError(`${dir}: not a reward model (config.json has no "score_head": true)`);
  const maxTokens = rm.config.max_position_embeddings;
  return {
    score: async (prompts, completions) => {
      if (prompts.length !== completions.length) throw new Error(`reward model: ${prompts.length} prompts but ${completions.length} completions`);
      return scoreTexts(rm, rm.tokenizer, prompts.map((p, i) => ({ prompt: p, completion: completions[i]! })), maxTokens);
    },
  };
}

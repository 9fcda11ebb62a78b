// TriMER's rule reward (their eq. 3): `formatReward` (0.2) when the output has the expected format — a parseable
// \boxed{} final answer — and `correctReward` (1.0) when the answer is correct. A correct answer scores 1.0, not
// 1.2: the format bonus only applies to wrong answers, so correctness always dominates (our reading of eq. 3,
// which lists the two cases separately). Plus a plain 0/1 correctness reward.
// The last-number fallback stays off here unless the caller turns it on (a truncated scratchpad that ends on the
// right number must not earn the reward).
import { verifyPrepared, prepareGold, parseAnswer, type ExtractRule, type PreparedGold, type VerifyOptions } from "./index.js";

export interface RewardOptions extends VerifyOptions {
  /** Reward for a well-formatted but wrong answer (default 0.2). */
  formatReward?: number;
  /** Reward for a correct answer (default 1.0). */
  correctReward?: number;
  /** The format bonus needs a \boxed{} answer (default true); false: any extracted answer that parses counts. */
  requireBoxed?: boolean;
}

export interface RewardResult {
  reward: number;
  correct: boolean;
  formatted: boolean;
  extracted: string | null;
  rule: ExtractRule | null;
}

export function trimerReward(completion: string, gold: string, opts: RewardOptions = {}): RewardResult {
  return trimerRewardPrepared(completion, prepareGold(gold, opts), opts);
}

/** trimerReward against a gold parsed once (prepareGold): a GRPO group of G samples parses its gold once. */
export function trimerRewardPrepared(completion: string, gold: PreparedGold, opts: RewardOptions = {}): RewardResult {
  const formatReward = opts.formatReward ?? 0.2;
  const correctReward = opts.correctReward ?? 1.0;
  const requireBoxed = opts.requireBoxed ?? true;
  const v = verifyPrepared(gold, completion, opts);
  const formatted = v.extracted !== null && (!requireBoxed || v.rule === "boxed") && parseAnswer(v.extracted, opts) !== null;
  const reward = v.equal ? correctReward : formatted ? formatReward : 0;
  return { reward, correct: v.equal, formatted, extracted: v.extracted, rule: v.rule };
}

export function correctnessReward(completion: string, gold: string, opts: VerifyOptions = {}): RewardResult {
  const v = verifyPrepared(prepareGold(gold, opts), completion, opts);
  return { reward: v.equal ? 1 : 0, correct: v.equal, formatted: v.extracted !== null, extracted: v.extracted, rule: v.rule };
}

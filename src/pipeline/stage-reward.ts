// TriMER stage 3, part 1: the preference reward model. The GRPO policy solves training problems several times;
// the verifier grades the solutions; (correct, incorrect) pairs of the same problem train a scalar-head model
// with the Bradley–Terry loss; pairs from other problems measure its pairwise accuracy.
import { join } from "node:path";
import type { LocalEngine } from "../engine/local.js";
import type { Completion } from "../engine/types.js";
import { makePairs, type GradedSolution, type PreferencePair } from "../train/reward-model/pairs.js";
import { pairwiseAccuracy, rewardModelLoop } from "../train/reward-model/train.js";
import { trimerReward } from "../verify/reward.js";
import { JsonlAppender, readJsonLines } from "../util/journal.js";
import { STREAMS } from "./corpus.js";
import { withScoreHead } from "./engines.js";
import { phasePaths, runPhase } from "./phase.js";
import { GRADE, grpoProblems, lrFn, phaseOptions, type StageContext } from "./stages.js";

export interface RewardModelResult {
  trainPairs: number;
  heldoutPairs: number;
  pairwiseAccuracy: number;
  policySampleAccuracy: number;
  /** Training pairs whose chosen side is a reference solution (the policy never solved that problem). */
  referencePairs: number;
}

/** Policy samples for the reward model, graded; cached in samples-<which>.jsonl so a resume does not resample. */
async function gradedSamples(ctx: StageContext, policy: LocalEngine, which: "train" | "heldout"): Promise<GradedSolution[]> {
  const rm = ctx.cfg.rewardModel;
  const path = join(ctx.art.dir("reward-model"), `samples-${which}.jsonl`);
  const cached = readJsonLines(path) as unknown as GradedSolution[];
  const n = which === "train" ? rm.trainProblems : rm.heldoutProblems;
  if (cached.length > 0 && new Set(cached.map((c) => c.problemId)).size === n) return cached;
  const stream = which === "train" ? STREAMS.rmTrain : STREAMS.rmHeldout;
  const problems = grpoProblems(ctx, 0, n, stream, ctx.cfg.data.trainDifficulties);
  const out: GradedSolution[] = [];
  const chunk = 32;
  for (let i = 0; i < problems.length; i += chunk) {
    const part = problems.slice(i, i + chunk);
    const res: Completion[][] = part.map(() => []);
    const temps = rm.temperatures;
    for (let t = 0; t < temps.length; t++) {
      const n = Math.floor(rm.samplesPerProblem / temps.length) + (t < rm.samplesPerProblem % temps.length ? 1 : 0);
      if (n === 0) continue;
      const out = await policy.sampler().sample(part.map((p) => p.prompt), {
        n, temperature: temps[t]!, topP: 1, maxTokens: rm.maxTokens, seed: ctx.cfg.seed + i + 7919 * t + (which === "train" ? 0 : 1_000_000),
      });
      out.forEach((cs, k) => res[k]!.push(...cs));
    }
    part.forEach((p, k) => {
      const graded: GradedSolution[] = res[k]!.map((c) => ({
        problemId: `${which}-${i + k}`, prompt: p.prompt, text: c.text, correct: trimerReward(c.text, p.answer, GRADE).correct, origin: "policy",
      }));
      // A problem the policy never solved still yields pairs: its reference solution is the chosen side (labelled,
      // and counted in the report). Pairs otherwise come from the policy's own samples only.
      if (!graded.some((g) => g.correct) && p.reference) {
        graded.push({ problemId: `${which}-${i + k}`, prompt: p.prompt, text: p.reference, correct: true, origin: "reference" });
      }
      out.push(...graded);
    });
  }
  const app = new JsonlAppender(path);
  app.truncateTo(() => false);
  for (const s of out) app.append(s);
  return out;
}

export async function rewardModelStage(ctx: StageContext, policy: LocalEngine): Promise<{ rm: LocalEngine; result: RewardModelResult }> {
  const rmCfg = ctx.cfg.rewardModel;
  const train = await gradedSamples(ctx, policy, "train");
  const heldout = await gradedSamples(ctx, policy, "heldout");
  const trainPairs: PreferencePair[] = makePairs(train, rmCfg.maxPairsPerProblem, ctx.cfg.seed);
  const heldoutPairs: PreferencePair[] = makePairs(heldout, rmCfg.maxPairsPerProblem, ctx.cfg.seed + 1);
  const p = phasePaths(ctx.art, "reward-model", "train");
  if (trainPairs.length === 0) throw new Error("reward model: the policy's samples gave no (correct, incorrect) pairs (always right or always wrong); raise rewardModel.trainProblems or the sampling temperature");
  const rm = await runPhase(p, () => withScoreHead(policy, ctx.cfg.seed), (engine) =>
    rewardModelLoop({
      steps: rmCfg.steps, pairsPerStep: rmCfg.pairsPerStep, lr: lrFn(rmCfg.lr, rmCfg.steps), maxTokens: rmCfg.maxTokens + 64,
      maxGradNorm: 1, seed: ctx.cfg.seed,
    }, engine, ctx.tok, trainPairs),
    phaseOptions(ctx),
  );
  const acc = heldoutPairs.length ? await pairwiseAccuracy(rm, ctx.tok, heldoutPairs, rmCfg.maxTokens + 64) : NaN;
  const all = [...train, ...heldout];
  return {
    rm,
    result: {
      trainPairs: trainPairs.length,
      heldoutPairs: heldoutPairs.length,
      pairwiseAccuracy: acc,
      policySampleAccuracy: all.filter((s) => s.correct && s.origin !== "reference").length / Math.max(1, all.filter((s) => s.origin !== "reference").length),
      referencePairs: trainPairs.filter((pr) => train.some((s) => s.origin === "reference" && s.text === pr.chosen && s.prompt === pr.prompt)).length,
    },
  };
}

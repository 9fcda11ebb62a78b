// JT-Math's dual path in miniature: from the same pre-trained base as the distilled ("thinking") student, an
// "instruct" student fine-tuned on the concise path — one fact per operation, no scratchpad, no redundancy
// (`3*9=27;27+3=30;30-6=24;\boxed{24}`). Evaluated beside the thinking student, per difficulty, it shows the
// trade-off the paper's two models make: fewer tokens against the accuracy the long path buys on harder rungs.
import type { LocalEngine } from "../engine/local.js";
import type { Datum } from "../engine/types.js";
import { supervisedLoop } from "../train/sft.js";
import { textDatum } from "../train/examples.js";
import { problemAt, solutionText, STREAMS } from "./corpus.js";
import { phasePaths, runPhase } from "./phase.js";
import { lrFn, phaseOptions, type StageContext } from "./stages.js";

export async function instructStage(ctx: StageContext, studentBase: LocalEngine): Promise<LocalEngine> {
  const { cfg, tok } = ctx;
  const s = cfg.instruct;
  const p = phasePaths(ctx.art, "instruct", "sft");
  const batch = (step: number): Datum[] => Array.from({ length: s.batch }, (_, i) => {
    const q = problemAt(cfg.seed, STREAMS.instruct, step * 1024 + i, "train", cfg.data.trainDifficulties, ["instruct"]);
    return textDatum(tok, { prompt: q.question, completion: solutionText(q, "instruct") }, {}, s.maxTokens);
  });
  return runPhase(p, () => studentBase, (engine) =>
    supervisedLoop({ label: "instruct sft", steps: s.steps, lr: lrFn(s.lr, s.steps), maxGradNorm: 1 }, engine, batch),
    phaseOptions(ctx),
  );
}

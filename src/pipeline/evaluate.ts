// Evaluation of `trimer run` on the held-out synthetic set (never trained on, never tuned on): every row of the
// ablation table, each written to OUT/evaluate/rows/<name>.json as soon as it is measured, so a resumed run skips
// finished rows; per-sample records go to OUT/evaluate/samples-<name>.jsonl.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Completion, Sampler } from "../engine/types.js";
import type { LocalEngine } from "../engine/local.js";
import { agentTable } from "../infer/agents.js";
import { sampleAgents, selectAcrossAgents, type AgentRun } from "../infer/multi-agent.js";
import { scoreTexts } from "../train/reward-model/score.js";
import { trimerReward } from "../verify/reward.js";
import { answersEqual } from "../verify/index.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { JsonlAppender } from "../util/journal.js";
import type { ProblemWithSolutions } from "../data/records.js";
import { GRADE, type StageContext } from "./stages.js";

export interface Row {
  name: string;
  accuracy: number;
  /** Generated tokens per problem (for multi-agent rows: all agents together, the real cost). */
  meanTokens: number;
  problems: number;
  samplesPerProblem: number;
  extra?: Record<string, number>;
}

/** A measured result kept in OUT/evaluate/rows/<name>.json: computed once, read back on resume. */
export async function cached<T>(ctx: StageContext, name: string, make: () => Promise<T>): Promise<T> {
  const p = join(ctx.art.dir("evaluate", "rows"), `${name}.json`);
  if (existsSync(p)) return JSON.parse(readFileSync(p, "utf8")) as T;
  const value = await make();
  writeFileAtomicSync(p, JSON.stringify(value, null, 2) + "\n");
  return value;
}

/** Samples `samples` completions per problem and grades them: accuracy = mean over samples (pass@1). */
export async function evalSampler(
  ctx: StageContext,
  name: string,
  sampler: Sampler,
  problems: ProblemWithSolutions[],
  opts: { temperature: number; topP: number; samples: number; maxTokens: number; seed: number },
): Promise<{ row: Row; completions: Completion[][] }> {
  const completions: Completion[][] = [];
  const chunk = 64;
  for (let i = 0; i < problems.length; i += chunk) {
    const part = problems.slice(i, i + chunk);
    completions.push(...await sampler.sample(part.map((p) => p.question), {
      n: opts.samples, temperature: opts.temperature, topP: opts.topP, maxTokens: opts.maxTokens, seed: opts.seed + i,
    }));
  }
  const out = new JsonlAppender(join(ctx.art.dir("evaluate"), `samples-${name}.jsonl`));
  out.truncateTo(() => false);
  let correct = 0, tokens = 0, n = 0;
  const byDifficulty = new Map<number, { c: number; n: number }>();
  problems.forEach((p, i) => completions[i]!.forEach((c, j) => {
    const r = trimerReward(c.text, p.answer, GRADE);
    n++;
    tokens += c.completionTokens;
    if (r.correct) correct++;
    const b = byDifficulty.get(p.difficulty ?? 0) ?? { c: 0, n: 0 };
    b.n++; if (r.correct) b.c++;
    byDifficulty.set(p.difficulty ?? 0, b);
    out.append({ problemId: p.id, sample: j, question: p.question, answer: p.answer, completion: c.text, extracted: r.extracted, correct: r.correct, tokens: c.completionTokens, finishReason: c.finishReason });
  }));
  const extra: Record<string, number> = { ...perDifficulty(problems, completions), rDifficultyTokens: difficultyTokenCorrelation(problems, completions) };
  for (const [d, b] of [...byDifficulty].sort((a, b) => a[0] - b[0])) extra[`accuracy_d${d}`] = b.c / b.n;
  return {
    row: { name, accuracy: correct / n, meanTokens: tokens / problems.length / opts.samples, problems: problems.length, samplesPerProblem: opts.samples, extra },
    completions,
  };
}

/**
 * Per difficulty d: mean generated tokens (tokens_d), and with several samples per problem pass@k (passk_d: share of
 * problems with at least one correct sample) and the share of problems whose pass rate lies in [0.4, 0.8]
 * (room_d: where voting and reranking have something to act on; always-solved and never-solved problems have none).
 */
export function perDifficulty(problems: readonly ProblemWithSolutions[], completions: readonly Completion[][]): Record<string, number> {
  const by = new Map<number, { n: number; tokens: number; samples: number; pass: number; room: number }>();
  problems.forEach((p, i) => {
    const d = p.difficulty ?? 0;
    const b = by.get(d) ?? { n: 0, tokens: 0, samples: 0, pass: 0, room: 0 };
    const cs = completions[i]!;
    const right = cs.filter((c) => trimerReward(c.text, p.answer, GRADE).correct).length;
    b.n++;
    b.samples += cs.length;
    b.tokens += cs.reduce((t, c) => t + c.completionTokens, 0);
    if (right > 0) b.pass++;
    const rate = cs.length ? right / cs.length : 0;
    if (rate >= 0.4 && rate <= 0.8) b.room++;
    by.set(d, b);
  });
  const out: Record<string, number> = {};
  for (const [d, b] of [...by].sort((x, y) => x[0] - y[0])) {
    out[`tokens_d${d}`] = b.samples ? b.tokens / b.samples : 0;
    if (b.samples > b.n) {
      out[`passk_d${d}`] = b.pass / b.n;
      out[`room_d${d}`] = b.room / b.n;
    }
  }
  return out;
}

/** Pearson correlation between a problem's difficulty and its generated tokens, over samples (TriMER: r = 0.72). */
export function difficultyTokenCorrelation(problems: readonly ProblemWithSolutions[], completions: readonly Completion[][]): number {
  const xs: number[] = [], ys: number[] = [];
  problems.forEach((p, i) => completions[i]!.forEach((c) => { xs.push(p.difficulty ?? 0); ys.push(c.completionTokens); }));
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i]! - mx) * (ys[i]! - my); sxx += (xs[i]! - mx) ** 2; syy += (ys[i]! - my) ** 2; }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

export interface MultiAgentResult {
  rows: Row[];
  /** rm@k, majority@k, weighted@k and majority-rm@k (absent in reports written before it) for k = 1..max agents. */
  scaling: { agents: number; rerank: number; majority: number; weighted: number; majorityRm?: number; tokens: number }[];
}

/** TriMER stage 3: the agents' table on the GRPO policy, reranked by the reward model, and the votes. */
export async function multiAgentEval(ctx: StageContext, policy: LocalEngine, rm: LocalEngine, problems: ProblemWithSolutions[]): Promise<MultiAgentResult> {
  const cfg = ctx.cfg.agents;
  const table = agentTable(cfg.max, cfg.maxTokens);
  const agents = cfg.sampling ? table.map((a) => ({ ...a, temperature: cfg.sampling!.temperature, topP: cfg.sampling!.topP })) : table;
  const runs: AgentRun[] = await sampleAgents(policy.sampler(), problems.map((p) => p.question), agents, ctx.cfg.seed + 77);
  const scores: number[][] = [];
  for (const run of runs) {
    scores.push(await scoreTexts(rm, ctx.tok, run.completions.map((c, i) => ({ prompt: problems[i]!.question, completion: c.text })), cfg.maxTokens + 64));
  }
  const accuracyOf = (answers: (string | null)[]): number =>
    answers.reduce((a, ans, i) => a + (ans !== null && answersEqual(problems[i]!.answer, ans, GRADE) ? 1 : 0), 0) / problems.length;
  const out = new JsonlAppender(join(ctx.art.dir("evaluate"), "samples-agents.jsonl"));
  out.truncateTo(() => false);
  runs.forEach((run, a) => run.completions.forEach((c, i) => out.append({
    problemId: problems[i]!.id, agent: a, temperature: run.agent.temperature, topP: run.agent.topP, completion: c.text,
    score: scores[a]![i], correct: trimerReward(c.text, problems[i]!.answer, GRADE).correct, tokens: c.completionTokens,
  })));
  const scaling: MultiAgentResult["scaling"] = [];
  for (let k = 1; k <= agents.length; k++) {
    const rerank = selectAcrossAgents(runs, k, "reward", scores, GRADE).map((s) => s.answer);
    const majority = selectAcrossAgents(runs, k, "majority", undefined, GRADE).map((s) => s.answer);
    const weighted = selectAcrossAgents(runs, k, "weighted", scores, GRADE).map((s) => s.answer);
    const majorityRm = selectAcrossAgents(runs, k, "majority-rm", scores, GRADE).map((s) => s.answer);
    const tokens = runs.slice(0, k).reduce((t, r) => t + r.completions.reduce((u, c) => u + c.completionTokens, 0), 0) / problems.length;
    scaling.push({ agents: k, rerank: accuracyOf(rerank), majority: accuracyOf(majority), weighted: accuracyOf(weighted), majorityRm: accuracyOf(majorityRm), tokens });
  }
  const at4 = scaling[Math.min(4, scaling.length) - 1]!;
  const rows: Row[] = [
    { name: "agents4-rerank", accuracy: at4.rerank, meanTokens: at4.tokens, problems: problems.length, samplesPerProblem: 4 },
    { name: "agents4-majority", accuracy: at4.majority, meanTokens: at4.tokens, problems: problems.length, samplesPerProblem: 4 },
    { name: "agents4-weighted", accuracy: at4.weighted, meanTokens: at4.tokens, problems: problems.length, samplesPerProblem: 4 },
  ];
  return { rows, scaling };
}

/** Greedy decoding is deterministic, so the output under a lower limit is a prefix of the output under the
 *  highest: one run at the highest limit gives the whole sweep (correct at L ⇔ correct and finished within L). */
export function tokenLimitSweep(problems: ProblemWithSolutions[], greedy: Completion[][], limits: number[]): { limit: number; accuracy: number; meanTokens: number }[] {
  return limits.map((limit) => {
    let correct = 0, tokens = 0;
    problems.forEach((p, i) => {
      const c = greedy[i]![0]!;
      tokens += Math.min(c.completionTokens, limit);
      if (c.completionTokens <= limit && c.finishReason === "stop" && trimerReward(c.text, p.answer, GRADE).correct) correct++;
    });
    return { limit, accuracy: correct / problems.length, meanTokens: tokens / problems.length };
  });
}

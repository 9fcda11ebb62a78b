// The ablation table of `trimer run`, as Markdown and JSON (OUT/report.md, OUT/report.json).
import type { Row, MultiAgentResult } from "./evaluate.js";
import type { BetaProbe } from "./beta.js";
import type { RewardModelResult } from "./stage-reward.js";

export interface Report {
  preset: string;
  seed: number;
  holdoutProblems: number;
  rows: Row[];
  greedy: Row[];
  /** Greedy accuracy on the dev split: what the presets were tuned on (never the held-out set). */
  dev: Row[];
  scaling: MultiAgentResult["scaling"];
  tokenSweep: { limit: number; accuracy: number; meanTokens: number }[];
  rewardModel: RewardModelResult;
  beta: BetaProbe[];
  stageSeconds: Record<string, number>;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a");
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "n/a");

const LABELS: Record<string, string> = {
  base: "base (student after pre-training, answering directly)",
  distilled: "distilled",
  grpo: "GRPO (one sample, T 0.7)",
  "agents4-rerank": "4 agents + reward-model rerank",
  "agents4-majority": "4 agents, majority vote",
  "agents4-weighted": "4 agents, reward-weighted vote",
};

export function renderMarkdown(r: Report): string {
  const L: string[] = [];
  L.push(`# trimer run — preset \`${r.preset}\`, seed ${r.seed}`, "");
  L.push(`Held-out synthetic set: ${r.holdoutProblems} problems never seen in training. Single-sample rows are pass@1`);
  L.push("averaged over several samples per problem; agent rows count all agents' tokens (the real cost).", "");
  L.push("| configuration | accuracy | mean tokens |", "|---|---|---|");
  for (const row of r.rows) L.push(`| ${LABELS[row.name] ?? row.name} | ${pct(row.accuracy)} | ${num(row.meanTokens)} |`);
  L.push("", "Greedy decoding (one sample, T 0):", "", "| model | accuracy | mean tokens |", "|---|---|---|");
  for (const row of r.greedy) L.push(`| ${row.name} | ${pct(row.accuracy)} | ${num(row.meanTokens)} |`);
  if (r.dev.length) {
    L.push("", "Dev split (greedy; the set presets were tuned on — disjoint from the held-out set):", "", "| model | accuracy | mean tokens |", "|---|---|---|");
    for (const row of r.dev) L.push(`| ${row.name} | ${pct(row.accuracy)} | ${num(row.meanTokens)} |`);
  }
  L.push("", "Agent scaling (GRPO policy, TriMER's agent table; reward-model rerank vs votes):", "");
  L.push("| agents | rerank | majority | weighted vote | tokens / problem |", "|---|---|---|---|---|");
  for (const s of r.scaling) L.push(`| ${s.agents} | ${pct(s.rerank)} | ${pct(s.majority)} | ${pct(s.weighted)} | ${num(s.tokens)} |`);
  L.push("", "Token-limit sweep (GRPO policy, greedy):", "", "| max tokens | accuracy | mean tokens |", "|---|---|---|");
  for (const s of r.tokenSweep) L.push(`| ${s.limit} | ${pct(s.accuracy)} | ${num(s.meanTokens)} |`);
  const rm = r.rewardModel;
  L.push("", `Reward model: pairwise accuracy ${pct(rm.pairwiseAccuracy)} on ${rm.heldoutPairs} held-out pairs (trained on ${rm.trainPairs} pairs, ${rm.referencePairs} of them with a reference solution as the chosen side; policy samples ${pct(rm.policySampleAccuracy)} correct).`);
  if (r.beta.length) {
    L.push("", "GRPO β = 0 vs β > 0 (same steps, separate processes):", "", "| β | model state (MB) | peak RSS (MB) | mean step (s) |", "|---|---|---|---|");
    for (const b of r.beta) L.push(`| ${b.beta} | ${b.modelStateMb.toFixed(2)} | ${num(b.peakRssMb)} | ${b.meanStepSeconds.toFixed(3)} |`);
  }
  L.push("", "Stage times (s): " + Object.entries(r.stageSeconds).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", "), "");
  return L.join("\n");
}

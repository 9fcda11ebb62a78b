// The ablation table of `trimer run`, as Markdown and JSON (OUT/report.md, OUT/report.json).
import type { Row, MultiAgentResult } from "./evaluate.js";
import type { BetaProbe } from "./beta.js";
import type { RewardModelResult } from "./stage-reward.js";
import type { GrpoWindow } from "./grpo-summary.js";

/** The charts written beside report.md (report-charts.ts draws them). */
export const CHART_FILES = { scatter: "accuracy-tokens.svg", sweep: "token-sweep.svg" } as const;

export interface Report {
  preset: string;
  seed: number;
  holdoutProblems: number;
  rows: Row[];
  greedy: Row[];
  /** Greedy accuracy on the dev split: what the presets were tuned on (never the held-out set). */
  dev: Row[];
  scaling: MultiAgentResult["scaling"];
  /** The agents' sampling when all share one (config agents.sampling); absent or null: TriMER's agent table. */
  agentSampling?: { temperature: number; topP: number } | null;
  tokenSweep: { limit: number; accuracy: number; meanTokens: number }[];
  /** The same sweep for the distilled model (absent in reports written before it existed). */
  distilledTokenSweep?: { limit: number; accuracy: number; meanTokens: number }[];
  rewardModel: RewardModelResult;
  /** GRPO's training metrics by windows of steps (absent in reports written before it existed). */
  grpoCurve?: GrpoWindow[];
  beta: BetaProbe[];
  stageSeconds: Record<string, number>;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a");
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "n/a");

const LABELS: Record<string, string> = {
  base: "base (student after pre-training, answering directly)",
  instruct: "instruct student (JT-Math's concise path, same base)",
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
  L.push(...directions(r), ...dualPath(r), ...votingRoom(r), ...correlations(r), ...curve(r));
  const how = r.agentSampling ? `every agent at T ${r.agentSampling.temperature}, top-p ${r.agentSampling.topP}` : "TriMER's agent table";
  L.push("", `Agent scaling (GRPO policy, ${how}; reward-model rerank vs votes):`, "");
  // The majority-rm column (majority, ties to the reward model) from the first report that measured it.
  const mrm = r.scaling.some((s) => s.majorityRm !== undefined);
  L.push(`| agents | rerank | majority | weighted vote |${mrm ? " majority, RM breaks ties |" : ""} tokens / problem |`, `|---|---|---|---|${mrm ? "---|" : ""}---|`);
  for (const s of r.scaling) L.push(`| ${s.agents} | ${pct(s.rerank)} | ${pct(s.majority)} | ${pct(s.weighted)} |${mrm ? ` ${pct(s.majorityRm ?? NaN)} |` : ""} ${num(s.tokens)} |`);
  const ds = r.distilledTokenSweep ?? [];
  L.push("", "Token-limit sweep (greedy; a sample counts only if it finished within the limit):", "", "| max tokens | distilled accuracy | distilled tokens | GRPO accuracy | GRPO tokens |", "|---|---|---|---|---|");
  for (const s of r.tokenSweep) {
    const d = ds.find((x) => x.limit === s.limit);
    L.push(`| ${s.limit} | ${d ? pct(d.accuracy) : "n/a"} | ${d ? num(d.meanTokens) : "n/a"} | ${pct(s.accuracy)} | ${num(s.meanTokens)} |`);
  }
  const rm = r.rewardModel;
  L.push("", `Reward model: pairwise accuracy ${pct(rm.pairwiseAccuracy)} on ${rm.heldoutPairs} held-out pairs (trained on ${rm.trainPairs} pairs, ${rm.referencePairs} of them with a reference solution as the chosen side; policy samples ${pct(rm.policySampleAccuracy)} correct).`);
  if (r.beta.length) {
    L.push("", "GRPO β = 0 vs β > 0 (same steps, separate processes):", "", "| β | model state (MB) | peak RSS (MB) | mean step (s) |", "|---|---|---|---|");
    for (const b of r.beta) L.push(`| ${b.beta} | ${b.modelStateMb.toFixed(2)} | ${num(b.peakRssMb)} | ${b.meanStepSeconds.toFixed(3)} |`);
  }
  L.push("", `![accuracy vs tokens of every configuration](${CHART_FILES.scatter})`, "", `![token-limit sweep](${CHART_FILES.sweep})`);
  L.push("", "Stage times (s): " + Object.entries(r.stageSeconds).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", "), "");
  return L.join("\n");
}

/** The difficulties present in a row's per-difficulty figures, ascending. */
function difficultiesOf(rows: readonly Row[]): number[] {
  const ds = new Set<number>();
  for (const row of rows) for (const k of Object.keys(row.extra ?? {})) {
    const m = /^accuracy_d(\d+)$/.exec(k);
    if (m) ds.add(Number(m[1]));
  }
  return [...ds].sort((a, b) => a - b);
}

const x = (row: Row | undefined, key: string): number => row?.extra?.[key] ?? NaN;

/** JT-Math's dual path: the instruct and thinking students (and the GRPO policy) per difficulty, greedy. */
function dualPath(r: Report): string[] {
  const get = (n: string): Row | undefined => r.greedy.find((g) => g.name === `${n}-greedy` || g.name === n);
  const ins = get("instruct"), th = get("distilled"), gr = get("grpo");
  if (!ins || !th) return [];
  const L = ["", "Dual path (JT-Math): instruct vs thinking student from the same base, and the GRPO policy (greedy, held-out):", ""];
  L.push("| difficulty | instruct accuracy | instruct tokens | thinking accuracy | thinking tokens | GRPO accuracy | GRPO tokens |", "|---|---|---|---|---|---|---|");
  for (const d of difficultiesOf([ins, th])) {
    L.push(`| ${d} | ${pct(x(ins, `accuracy_d${d}`))} | ${num(x(ins, `tokens_d${d}`))} | ${pct(x(th, `accuracy_d${d}`))} | ${num(x(th, `tokens_d${d}`))} | ${pct(x(gr, `accuracy_d${d}`))} | ${num(x(gr, `tokens_d${d}`))} |`);
  }
  return L;
}

/** pass@1 vs pass@k per difficulty for the sampled rows: the room voting and reranking have. */
function votingRoom(r: Report): string[] {
  const rows = r.rows.filter((row) => row.samplesPerProblem > 1 && row.extra && Object.keys(row.extra).some((k) => k.startsWith("passk_d")));
  if (!rows.length) return [];
  const L = ["", "Room for voting (T 0.7, held-out): pass@1, pass@k over the samples, and the share of problems solved 40–80% of the time:", ""];
  L.push("| model | difficulty | pass@1 | pass@k | problems at 40–80% |", "|---|---|---|---|---|");
  for (const row of rows) for (const d of difficultiesOf([row])) {
    L.push(`| ${row.name} | ${d} | ${pct(x(row, `accuracy_d${d}`))} | ${pct(x(row, `passk_d${d}`))} (k ${row.samplesPerProblem}) | ${pct(x(row, `room_d${d}`))} |`);
  }
  return L;
}

/** Difficulty–token correlation (TriMER: r = 0.72 after GRPO), before and after GRPO. */
function correlations(r: Report): string[] {
  const all = [...r.rows, ...r.greedy].filter((row) => Number.isFinite(row.extra?.rDifficultyTokens ?? NaN));
  if (!all.length) return [];
  const L = ["", "Difficulty–token correlation (Pearson r over samples, held-out):", "", "| model | r |", "|---|---|"];
  for (const row of all) L.push(`| ${row.name} | ${row.extra!.rDifficultyTokens!.toFixed(2)} |`);
  return L;
}

/** GRPO's training curve: the length pressure at work (and the context step), from the per-step metrics. */
function curve(r: Report): string[] {
  if (!r.grpoCurve?.length) return [];
  const L = ["", "GRPO training (its own samples, T of the stage; windows of steps):", ""];
  // The clip column only where PPO passes made the clip act (one on-policy step per batch: 0 throughout).
  const clip = r.grpoCurve.some((w) => (w.clipFraction ?? 0) > 0);
  L.push(`| steps | limit | accuracy | mean tokens | truncated | zero-variance groups | entropy |${clip ? " clipped |" : ""}`, `|---|---|---|---|---|---|---|${clip ? "---|" : ""}`);
  for (const w of r.grpoCurve) L.push(`| ${w.fromStep}–${w.toStep} | ${w.maxTokens} | ${pct(w.accuracy)} | ${num(w.meanResponseTokens)} | ${pct(w.truncatedFraction)} | ${pct(w.zeroVarianceFraction)} | ${w.entropy.toFixed(3)} |${clip ? ` ${pct(w.clipFraction ?? 0)} |` : ""}`);
  return L;
}

/** The paper's directions, each stated as holding or not on this run (the issue's acceptance checks). */
export function directionChecks(r: Report): { claim: string; holds: boolean; detail: string }[] {
  const row = (rows: readonly Row[], n: string): Row | undefined => rows.find((x) => x.name === n);
  const out: { claim: string; holds: boolean; detail: string }[] = [];
  for (const [label, rows, d, g] of [["sampled", r.rows, "distilled", "grpo"], ["greedy", r.greedy, "distilled-greedy", "grpo-greedy"]] as const) {
    const dr = row(rows, d), gr = row(rows, g);
    if (!dr || !gr) continue;
    const ratio = gr.meanTokens / dr.meanTokens;
    out.push({ claim: `GRPO tokens ≤ 0.5× distilled (${label})`, holds: ratio <= 0.5, detail: `${num(dr.meanTokens)} → ${num(gr.meanTokens)} (${ratio.toFixed(2)}×)` });
    out.push({ claim: `GRPO accuracy ≥ distilled (${label})`, holds: gr.accuracy >= dr.accuracy, detail: `${pct(dr.accuracy)} → ${pct(gr.accuracy)}` });
  }
  const at = (k: number) => r.scaling.find((s) => s.agents === k);
  const a1 = at(1), a4 = at(4), a8 = at(8);
  if (a1 && a4 && a8) {
    for (const rule of ["majority", "weighted", "rerank", "majorityRm"] as const) {
      if (a1[rule] === undefined || a4[rule] === undefined || a8[rule] === undefined) continue;
      const g14 = a4[rule]! - a1[rule]!, g48 = a8[rule]! - a4[rule]!;
      out.push({ claim: `agents: gain 1→4 > gain 4→8 > 0 (${rule === "majorityRm" ? "majority-rm" : rule})`, holds: g14 > g48 && g48 > 0, detail: `${pct(a1[rule]!)} → ${pct(a4[rule]!)} → ${pct(a8[rule]!)}` });
    }
  }
  return out;
}

function directions(r: Report): string[] {
  const checks = directionChecks(r);
  if (!checks.length) return [];
  const L = ["", "The paper's directions on this run (held-out):", "", "| direction | holds | figures |", "|---|---|---|"];
  for (const c of checks) L.push(`| ${c.claim} | ${c.holds ? "yes" : "no"} | ${c.detail} |`);
  return L;
}

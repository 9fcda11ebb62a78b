// `trimer solve`: multi-agent solving of one question on a local checkpoint or an OpenAI-compatible server
// (TriMER stage 3): agents sample with TriMER's (temperature, top-p) table, an optional reflection round, then
// selection by a reward model (a local score-head checkpoint) or by majority / weighted vote.
//
//   trimer solve "3*9+3-6=" --checkpoint runs/mini/models/grpo --reward-model runs/mini/models/reward-model
//   trimer solve "What is the sum of the first 10 primes?" --url http://localhost:8000/v1 --model qwen --agents 8 --reflect
import { readFileSync } from "node:fs";
import { openSampler } from "../engine/open.js";
import { serverSampler } from "./replicas.js";
import { openRewardModel } from "../train/reward-model/score.js";
import { promptFromFlags } from "../infer/prompts.js";
import { LOCAL_PROMPT, servedPromptDefault } from "./served-prompt.js";
import { CHECKPOINT_FLAGS, FORMAT_IS_PROMPT_FORMAT, PROMPT_FLAGS, PROMPT_HELP, SERVER_FLAGS, SERVER_HELP, urlFlag } from "./vocab.js";
import { agentTable, MAX_AGENTS } from "../infer/agents.js";
import { needsScores, SELECTION_METHODS, type SelectionMethod } from "../infer/select.js";
import { agentOutcomes, parseAgentTable, solve, type SolveResult } from "../infer/solve.js";
import { inShard, parseShard } from "../util/shard.js";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import type { Sampler } from "../engine/types.js";
import { extraBodyOf, numberFlag, parseFlags, type CommandModule } from "./command.js";

const USAGE = `usage: trimer solve "QUESTION" (--checkpoint DIR | --url URL --model NAME) [options]
       (QUESTION "-" reads it from stdin)

model (one of):
  --checkpoint DIR      a trimer checkpoint (embedded engine)
${SERVER_HELP}
agents:
  --agents N            the first N agents of TriMER's table (default 4, at most ${MAX_AGENTS})
  --agent-table T:P,... your own table instead, e.g. "0.2:0.85,0.4:0.9,0.6:0.92"
  --max-tokens N        new tokens per solution (default 4096)
  --seed S              (default 0)
  --reflect             a reflection round: each agent sees the others' answers and may revise (chat prompts only)
prompt (the same rule and defaults as trimer eval):
${PROMPT_HELP}
selection:
  --reward-model DIR    a trimer reward-model checkpoint (score head) to score the candidates
  --select M            reward | majority | weighted | majority-rm (majority, ties to the reward model's pick)
                        (default: reward with --reward-model, else majority)
output:
  --json                one JSON object (answer, chosen agent, per-agent results, tokens)
  --out FILE.json       also write that JSON object to FILE
scale-out:
  --shard I/N --out PART.json   run agents I, I+N, … of the table only (seeded by their places); then
                        \`trimer merge --out FILE.json PART.json...\` selects over all agents as one run does
Old spellings still accepted, with a notice: --model DIR for a checkpoint folder (--checkpoint), --api-model (--model).`;

const OPTIONS = {
  ...CHECKPOINT_FLAGS,
  ...SERVER_FLAGS,
  agents: { type: "string" },
  "agent-table": { type: "string" },
  "max-tokens": { type: "string" },
  seed: { type: "string" },
  ...PROMPT_FLAGS,
  reflect: { type: "boolean" },
  "reward-model": { type: "string" },
  select: { type: "string" },
  json: { type: "boolean" },
  out: { type: "string" },
  shard: { type: "string" },
} as const;

const MAX_QUESTION_BYTES = 1024 * 1024;

function readQuestion(arg: string): string {
  if (arg !== "-") return arg;
  const buf = readFileSync(0);
  if (buf.length > MAX_QUESTION_BYTES) throw new InputError(`the question on stdin has ${buf.length} bytes; at most ${MAX_QUESTION_BYTES}`);
  return buf.toString("utf8").trim();
}

const oneLine = (s: string | null, width: number): string => {
  if (s === null) return "–";
  const t = s.replace(/\s+/g, " ");
  return t.length > width ? `${t.slice(0, width - 1)}…` : t;
};

function printResult(r: SolveResult): void {
  console.log(`answer: ${r.answer ?? "(none found)"}   (agent ${r.chosen + 1}, by ${r.method})`);
  console.log("");
  const rows = r.agents.map((a, i) => [
    `${i === r.chosen ? "*" : " "}${i + 1}`, a.agent.temperature.toFixed(2), a.agent.topP.toFixed(3),
    oneLine(a.answer, 24), a.score === undefined ? "–" : a.score.toFixed(3), String(a.tokens),
    ...(a.firstRound ? [oneLine(a.firstRound.answer, 16)] : []),
  ]);
  const head = ["agent", "temp", "top-p", "answer", "score", "tokens", ...(r.agents[0]?.firstRound ? ["before reflection"] : [])];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmt = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c]!)).join("  ").trimEnd();
  console.log(fmt(head));
  for (const row of rows) console.log(fmt(row));
  console.log("");
  console.log(`total tokens: ${r.totalTokens} (generated, all agents${r.agents[0]?.firstRound ? " and both rounds" : ""})`);
  console.log(`answer clusters: ${r.clusters.map((c) => `${oneLine(c.answer, 16)} ×${c.votes.toFixed(c.votes % 1 ? 2 : 0)}`).join(", ") || "none"}`);
  console.log("");
  console.log(`chosen solution (agent ${r.chosen + 1}):`);
  console.log(r.text);
}

export const summary = "solve one question with several sampling agents, reranked by a reward model or a vote";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, OPTIONS, USAGE, true, { aliases: FORMAT_IS_PROMPT_FORMAT });
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError(`give exactly one question (quote it), got ${parsed.positionals.length}\n\n${USAGE}`);
  const question = readQuestion(parsed.positionals[0]!);
  if (question.trim() === "") throw new UsageError("the question is empty");
  const url = urlFlag(v.url);
  if ((v.checkpoint === undefined) === (url === undefined)) {
    const hint = v.checkpoint === undefined && v.model !== undefined ? ` ("${v.model}" is not a checkpoint folder: --model names a server's model)` : "";
    throw new UsageError(`give --checkpoint DIR or --url URL --model NAME (one of them)${hint}\n\n${USAGE}`);
  }
  if (url !== undefined && !v.model) throw new UsageError("--url needs --model NAME (the server's model name; GET <url>/models lists them)");
  const maxTokens = numberFlag(v["max-tokens"], "max-tokens", 4096, true);
  if (maxTokens < 1) throw new UsageError(`--max-tokens must be >= 1, got ${maxTokens}`);
  if (v.agents !== undefined && v["agent-table"] !== undefined) throw new UsageError("give --agents or --agent-table, not both");
  let agents;
  try {
    agents = v["agent-table"] !== undefined ? parseAgentTable(v["agent-table"], maxTokens) : agentTable(numberFlag(v.agents, "agents", 4, true), maxTokens);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const apiKey = v["api-key"] ?? process.env.TRIMER_API_KEY ?? process.env.OPENAI_API_KEY;
  const promptDefault = url === undefined ? LOCAL_PROMPT : await servedPromptDefault(url, v.model!, apiKey);
  const prompt = promptFromFlags({
    ...(v["prompt-format"] !== undefined ? { format: v["prompt-format"] } : {}),
    ...(v.system !== undefined ? { system: v.system } : {}),
    ...(v.template !== undefined ? { template: v.template } : {}),
    ...(v.instruction !== undefined ? { instruction: v.instruction } : {}),
  }, promptDefault);
  const format = prompt.format;
  if (v.reflect && format !== "chat") {
    throw new UsageError("--reflect needs chat prompts (--prompt-format chat): completion-format models (the embedded miniatures) are not instructed, so a reflection round is not meaningful for them");
  }
  const select = v.select as SelectionMethod | undefined;
  if (select !== undefined && !SELECTION_METHODS.includes(select)) throw new UsageError(`--select must be one of ${SELECTION_METHODS.join(", ")}, got "${select}"`);
  if (select !== undefined && needsScores(select) && !v["reward-model"]) throw new UsageError(`--select ${select} needs --reward-model DIR`);
  const seed = numberFlag(v.seed, "seed", 0, true);

  const shard = v.shard !== undefined ? parseShard(v.shard) : undefined;
  if (shard && !v.out) throw new UsageError("--shard needs --out PART.json (the part's agents, for trimer merge)");
  if (shard && v.reflect) throw new UsageError("--reflect cannot be sharded: the reflection round shows each agent all the others' answers");
  if (shard && shard.count > agents.length) throw new UsageError(`--shard ${v.shard}: only ${agents.length} agents to split`);
  const rewardModel = v["reward-model"] ? await openRewardModel(v["reward-model"]) : undefined;
  if (v.out) {
    const { noteOutput } = await import("../util/manifest.js");
    noteOutput({ output: v.out, kind: "file", options: { ...v, question, agents, format, seed }, seeds: { sampling: seed },
      inputs: [v.checkpoint, v["reward-model"]].filter((d): d is string => typeof d === "string").flatMap((d) => [`${d}/model.safetensors`, `${d}/config.json`]) });
  }
  let opened: { sampler: Sampler; close(): Promise<void> | void };
  if (url !== undefined) {
    // One server, or replicas of one model (--url a,b,c): the agents' requests spread over them.
    const sampler = await serverSampler({ baseUrl: url, model: v.model!, ...(apiKey ? { apiKey } : {}), ...extraBodyOf(v["extra-body"]) }, "solve");
    opened = { sampler, close: () => sampler.close() };
  } else {
    opened = await openSampler({ checkpoint: v.checkpoint! });
  }
  try {
    const solveOpts = {
      agents, promptFormat: format, prompt, seed, select, reflect: v.reflect ?? false,
      ...(rewardModel ? { rewardModel } : {}),
    };
    if (shard) {
      // This part's agents only, at their places in the table (their seeds follow the places).
      const indices = agents.map((_, i) => i).filter((i) => inShard(i, shard));
      const outcomes = await agentOutcomes(opened.sampler, question, { ...solveOpts, agents: indices.map((i) => agents[i]!) }, indices);
      const method = select ?? (rewardModel ? "reward" : "majority");
      const { writeSolvePart } = await import("../infer/solve-shard.js");
      await writeSolvePart(v.out!, {
        shard, question, method, agents: agents.length, outcomes: outcomes.map((outcome, j) => ({ index: indices[j]!, outcome })),
        settings: { agents, format, prompt, seed, rewardModel: v["reward-model"] ?? null },
      });
      console.log(`solve shard ${v.shard!}: ${indices.length} of ${agents.length} agents in ${v.out!}; \`trimer merge --out FILE PART...\` selects over all of them`);
      return 0;
    }
    const result = await solve(opened.sampler, question, solveOpts);
    if (v.out) await writeFileAtomic(v.out, JSON.stringify(result, null, 2) + "\n");
    if (v.json) console.log(JSON.stringify(result, null, 2));
    else printResult(result);
  } finally {
    await opened.close();
  }
  return 0;
}

const mod: CommandModule = { summary, main };
export default mod;

// `trimer solve`: multi-agent solving of one question on a local checkpoint or an OpenAI-compatible server
// (TriMER stage 3): agents sample with TriMER's (temperature, top-p) table, an optional reflection round, then
// selection by a reward model (a local score-head checkpoint) or by majority / weighted vote.
//
//   trimer solve "3*9+3-6=" --model runs/mini/grpo --reward-model runs/mini/rm
//   trimer solve "What is the sum of the first 10 primes?" --url http://localhost:8000/v1 --api-model qwen --agents 8 --reflect
import { readFileSync } from "node:fs";
import { openSampler } from "../engine/open.js";
import { openRewardModel } from "../train/reward-model/score.js";
import { BOXED_INSTRUCTION } from "../infer/prompts.js";
import { agentTable, MAX_AGENTS } from "../infer/agents.js";
import { SELECTION_METHODS, type SelectionMethod } from "../infer/select.js";
import { parseAgentTable, solve, type PromptFormat, type SolveResult } from "../infer/solve.js";
import { InputError, UsageError } from "../util/errors.js";
import { extraBodyOf, numberFlag, parseFlags, type CommandModule } from "./command.js";

const USAGE = `usage: trimer solve "QUESTION" (--model DIR | --url URL --api-model NAME) [options]
       (QUESTION "-" reads it from stdin)

engine:
  --model DIR            a trimer checkpoint (completion prompts: the raw question, as the pipeline trains)
  --url URL              an OpenAI-compatible server up to /v1 (chat prompts with the boxed-answer instruction)
  --api-model NAME       the server's model name     --api-key K (default $TRIMER_API_KEY / $OPENAI_API_KEY)
  --extra-body JSON      fields added to every request body (e.g. '{"min_p": 0.05}')
agents:
  --agents N             the first N agents of TriMER's table (default 4, at most ${MAX_AGENTS})
  --agent-table T:P,...  your own table instead, e.g. "0.2:0.85,0.4:0.9,0.6:0.92"
  --max-tokens N         new tokens per solution (default 4096)
  --seed S               (default 0)
  --prompt-format F      chat | completion (default: completion for --model, chat for --url)
  --instruction TEXT     appended to the question in chat format (default: the boxed-answer instruction)
  --system TEXT          a system message (chat format)
  --reflect              a reflection round: each agent sees the others' answers and may revise (chat format only)
selection:
  --reward-model DIR     a trimer reward-model checkpoint (score head) to score the candidates
  --select M             reward | majority | weighted (default: reward with --reward-model, else majority)
output:
  --json                 one JSON object (answer, chosen agent, per-agent results, tokens)`;

const OPTIONS = {
  model: { type: "string" },
  url: { type: "string" },
  "api-model": { type: "string" },
  "api-key": { type: "string" },
  "extra-body": { type: "string" },
  agents: { type: "string" },
  "agent-table": { type: "string" },
  "max-tokens": { type: "string" },
  seed: { type: "string" },
  "prompt-format": { type: "string" },
  instruction: { type: "string" },
  system: { type: "string" },
  reflect: { type: "boolean" },
  "reward-model": { type: "string" },
  select: { type: "string" },
  json: { type: "boolean" },
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
  const parsed = parseFlags(argv, OPTIONS, USAGE, true);
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError(`give exactly one question (quote it), got ${parsed.positionals.length}\n\n${USAGE}`);
  const question = readQuestion(parsed.positionals[0]!);
  if (question.trim() === "") throw new UsageError("the question is empty");
  if ((v.model === undefined) === (v.url === undefined)) throw new UsageError(`give --model DIR or --url URL (one of them)\n\n${USAGE}`);
  if (v.url !== undefined && !v["api-model"]) throw new UsageError("--url needs --api-model NAME (the server's model name)");
  const maxTokens = numberFlag(v["max-tokens"], "max-tokens", 4096, true);
  if (maxTokens < 1) throw new UsageError(`--max-tokens must be >= 1, got ${maxTokens}`);
  if (v.agents !== undefined && v["agent-table"] !== undefined) throw new UsageError("give --agents or --agent-table, not both");
  let agents;
  try {
    agents = v["agent-table"] !== undefined ? parseAgentTable(v["agent-table"], maxTokens) : agentTable(numberFlag(v.agents, "agents", 4, true), maxTokens);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const format = (v["prompt-format"] ?? (v.model !== undefined ? "completion" : "chat")) as PromptFormat;
  if (format !== "chat" && format !== "completion") throw new UsageError(`--prompt-format must be chat or completion, got "${format}"`);
  if (v.reflect && format !== "chat") {
    throw new UsageError("--reflect needs chat prompts (--prompt-format chat): completion-format models (the embedded miniatures) are not instructed, so a reflection round is not meaningful for them");
  }
  const select = v.select as SelectionMethod | undefined;
  if (select !== undefined && !SELECTION_METHODS.includes(select)) throw new UsageError(`--select must be one of ${SELECTION_METHODS.join(", ")}, got "${select}"`);
  if ((select === "reward" || select === "weighted") && !v["reward-model"]) throw new UsageError(`--select ${select} needs --reward-model DIR`);
  const seed = numberFlag(v.seed, "seed", 0, true);

  if (v.url !== undefined) {
    const apiKey = v["api-key"] ?? process.env.TRIMER_API_KEY ?? process.env.OPENAI_API_KEY;
    await (await import("./preflight.js")).preflight({ baseUrl: v.url, model: v["api-model"]!, ...(apiKey ? { apiKey } : {}) });
  }
  const rewardModel = v["reward-model"] ? await openRewardModel(v["reward-model"]) : undefined;
  const opened = await openSampler({
    ...(v.model !== undefined ? { checkpoint: v.model } : { url: v.url, model: v["api-model"] }),
    ...(v.url !== undefined ? { apiKey: v["api-key"] ?? process.env.TRIMER_API_KEY ?? process.env.OPENAI_API_KEY, ...extraBodyOf(v["extra-body"]) } : {}),
  });
  try {
    const result = await solve(opened.sampler, question, {
      agents, promptFormat: format, seed, select, reflect: v.reflect ?? false,
      ...(format === "chat" ? { instruction: v.instruction ?? BOXED_INSTRUCTION } : {}),
      ...(v.system ? { system: v.system } : {}),
      ...(rewardModel ? { rewardModel } : {}),
    });
    if (v.json) console.log(JSON.stringify(result, null, 2));
    else printResult(result);
  } finally {
    await opened.close();
  }
  return 0;
}

const mod: CommandModule = { summary, main };
export default mod;

// `trimer solve` as a function: multi-agent solving of one question on any Sampler (TriMER stage 3).
//   1. every agent samples the question once with its own (temperature, top-p) — TriMER's table by default;
//   2. optionally, a reflection round (reflect.ts): each agent re-checks given the others' answers; the revised
//      solutions are the candidates;
//   3. a reward model scores the candidates when one is given, and one is selected: by reward (TriMER), or by
//      majority / reward-weighted vote over verified-equivalent answers (infer/select.ts).
import type { ChatMessage, Prompt, Sampler } from "../engine/types.js";
import { extractAnswer } from "../verify/index.js";
import { buildPrompt, CHECKPOINT_PROMPT, DEFAULT_CHAT_TEMPLATE, type PromptOptions } from "./prompts.js";
import { InputError } from "../util/errors.js";
import type { AgentConfig } from "./agents.js";
import { sampleAgents } from "./multi-agent.js";
import { reflectionRound } from "./reflect.js";
import { needsScores, selectCandidate, type AnswerCluster, type SelectionMethod } from "./select.js";

export type PromptFormat = "chat" | "completion";

export interface SolveOptions {
  agents: readonly AgentConfig[];
  /** completion: the raw question (how the embedded pipeline trains); chat: a user message with the instruction. */
  promptFormat: PromptFormat;
  /** The whole prompt recipe (the CLI's promptFromFlags); wins over promptFormat / instruction / system. */
  prompt?: PromptOptions;
  /** Chat only: appended to the question (default: none; the CLI passes the boxed-answer instruction). */
  instruction?: string;
  system?: string;
  /** Default: "reward" with a reward model, else "majority". */
  select?: SelectionMethod;
  /** Scores (prompt, completion) pairs; prompts are the raw question. */
  rewardModel?: { score(prompts: string[], completions: string[]): Promise<number[]> };
  reflect?: boolean;
  seed?: number;
  stop?: string[];
}

export interface AgentOutcome {
  agent: AgentConfig;
  /** The candidate: the revised solution after reflection, else the first-round solution. */
  text: string;
  answer: string | null;
  score?: number;
  /** Generated tokens of this agent, all rounds. */
  tokens: number;
  /** With reflection: the first-round solution and its answer. */
  firstRound?: { text: string; answer: string | null; tokens: number };
}

export interface SolveResult {
  question: string;
  method: SelectionMethod;
  /** Index of the chosen agent. */
  chosen: number;
  answer: string | null;
  text: string;
  agents: AgentOutcome[];
  clusters: AnswerCluster[];
  /** Generated tokens over all agents and rounds. */
  totalTokens: number;
}

/** The prompt of SolveOptions without `prompt`, built by the one prompt builder (infer/prompts.ts). */
export function solvePrompt(question: string, format: PromptFormat, instruction?: string, system?: string): Prompt {
  if (format === "completion") return buildPrompt(question, { ...CHECKPOINT_PROMPT, fewShot: [] });
  return buildPrompt(question, { format: "chat", template: DEFAULT_CHAT_TEMPLATE, instruction: instruction ?? "", fewShot: [], ...(system ? { system } : {}) });
}

const answerOf = (text: string): string | null => extractAnswer(text)?.answer ?? null;

export async function solve(sampler: Sampler, question: string, opts: SolveOptions): Promise<SolveResult> {
  if (question.trim() === "") throw new InputError("solve: the question is empty");
  if (opts.agents.length === 0) throw new InputError("solve: no agents");
  const method = opts.select ?? (opts.rewardModel ? "reward" : "majority");
  if (needsScores(method) && !opts.rewardModel) {
    throw new InputError(`solve: selection "${method}" needs a reward model`);
  }
  if (opts.reflect && (opts.prompt?.format ?? opts.promptFormat) !== "chat") {
    throw new InputError("solve: the reflection round needs the chat prompt format (completion-format models are not instructed; see infer/reflect.ts)");
  }
  const outcomes = await agentOutcomes(sampler, question, opts);
  return selectOutcome(question, outcomes, method);
}

/**
 * Steps 1–3 without the selection: each agent's candidate (and score). `indices` are the agents' places in the
 * whole table when `opts.agents` is a part of it (solve --shard): the seeds follow the places, so the part samples
 * what those agents sample in a whole run.
 */
export async function agentOutcomes(sampler: Sampler, question: string, opts: SolveOptions, indices?: readonly number[]): Promise<AgentOutcome[]> {
  const seed = opts.seed ?? 0;
  const prompt = opts.prompt ? buildPrompt(question, opts.prompt) : solvePrompt(question, opts.promptFormat, opts.instruction, opts.system);
  const runs = await sampleAgents(sampler, [prompt], opts.agents, seed, opts.stop, indices);
  const first = runs.map((r) => r.completions[0]!);
  let outcomes: AgentOutcome[] = first.map((c, a) => ({ agent: opts.agents[a]!, text: c.text, answer: answerOf(c.text), tokens: c.completionTokens }));
  if (opts.reflect) {
    const revised = await reflectionRound(sampler, prompt as ChatMessage[], opts.agents, outcomes.map((o) => o.text), outcomes.map((o) => o.answer), seed);
    outcomes = outcomes.map((o, a) => {
      const c = revised[a]!;
      return { agent: o.agent, text: c.text, answer: answerOf(c.text), tokens: o.tokens + c.completionTokens, firstRound: { text: o.text, answer: o.answer, tokens: o.tokens } };
    });
  }
  if (opts.rewardModel) {
    const scores = await opts.rewardModel.score(outcomes.map(() => question), outcomes.map((o) => o.text));
    if (scores.length !== outcomes.length) throw new Error(`reward model returned ${scores.length} scores for ${outcomes.length} candidates`);
    outcomes.forEach((o, i) => { o.score = scores[i]!; });
  }
  return outcomes;
}

/** Step 4: the selection over all agents' outcomes (a whole run, or the merged parts of a sharded one). */
export function selectOutcome(question: string, outcomes: AgentOutcome[], method: SelectionMethod): SolveResult {
  const sel = selectCandidate(outcomes.map((o) => ({ text: o.text, answer: o.answer, ...(o.score !== undefined ? { score: o.score } : {}) })), method);
  return {
    question, method, chosen: sel.index, answer: sel.answer, text: outcomes[sel.index]!.text, agents: outcomes, clusters: sel.clusters,
    totalTokens: outcomes.reduce((s, o) => s + o.tokens, 0),
  };
}

/** "0.2:0.85,0.4:0.9" → agents with those (temperature, top-p), each with `maxTokens`. */
export function parseAgentTable(spec: string, maxTokens: number): AgentConfig[] {
  const items = spec.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new InputError(`agent table "${spec}" is empty; expected e.g. "0.2:0.85,0.4:0.9"`);
  return items.map((item, i) => {
    const m = /^([0-9]*\.?[0-9]+):([0-9]*\.?[0-9]+)$/.exec(item);
    if (!m) throw new InputError(`agent table entry ${i + 1} "${item}" is not TEMPERATURE:TOP_P (e.g. 0.6:0.92)`);
    const temperature = Number(m[1]), topP = Number(m[2]);
    if (temperature > 2) throw new InputError(`agent table entry ${i + 1}: temperature ${temperature} is above 2`);
    if (!(topP > 0 && topP <= 1)) throw new InputError(`agent table entry ${i + 1}: top-p ${topP} is not in (0, 1]`);
    return { temperature, topP, maxTokens };
  });
}

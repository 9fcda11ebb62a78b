// The optional self-reflection / cross-verification round of `trimer solve`: after the first round each agent sees
// the question, its own solution and the other agents' final answers, and is asked to re-check its work and give
// a final \boxed{} answer (it may revise). The revised solutions become the candidates.
//
// Not in TriMER (its agents sample independently and a reward model picks); this is the "multi-agent debate"
// style round the issue asks for as an option. It is meaningful for chat models only: the embedded miniature
// models are trained on bare completion prompts ("3*9+3-6=") and have never seen an instruction, so solve refuses
// --reflect with the completion format instead of producing noise.
import type { ChatMessage, Completion, Sampler } from "../engine/types.js";
import type { AgentConfig } from "./agents.js";

/** Longest own solution quoted back (characters, keeping the end where the answer is): bounds the prompt size. */
export const MAX_QUOTED_SOLUTION = 8_000;

export interface ReflectionInput {
  /** The agent's own first-round solution. */
  ownSolution: string;
  /** The other agents' final answers (null = no answer found), in agent order. */
  otherAnswers: (string | null)[];
  /** Appended to the instruction (default: the boxed-answer instruction is built in). */
  instruction?: string;
}

function quote(text: string): string {
  return text.length <= MAX_QUOTED_SOLUTION ? text : `[…]${text.slice(text.length - MAX_QUOTED_SOLUTION)}`;
}

/** The reflection conversation for one agent: its first turn replayed, then the others' answers and the request. */
export function reflectionMessages(firstTurn: ChatMessage[], input: ReflectionInput): ChatMessage[] {
  const others = input.otherAnswers.length === 0
    ? "No other agent answered."
    : input.otherAnswers.map((a, i) => `- Agent ${i + 1}: ${a === null ? "(no final answer)" : a}`).join("\n");
  const ask = [
    "Other agents solved the same problem independently. Their final answers:",
    others,
    "",
    "Re-check your solution step by step. Where the answers disagree, find which is right; revise your answer if you",
    "find a mistake, otherwise keep it. Finish with your final answer within \\boxed{}.",
    ...(input.instruction ? ["", input.instruction] : []),
  ].join("\n");
  return [...firstTurn, { role: "assistant", content: quote(input.ownSolution) }, { role: "user", content: ask }];
}

/**
 * Runs the round: agent a samples its own reflection prompt with its own (temperature, top-p). One sampler call per
 * agent (the prompts differ), seeds distinct from the first round's.
 */
export async function reflectionRound(
  sampler: Sampler,
  firstTurn: ChatMessage[],
  agents: readonly AgentConfig[],
  solutions: readonly string[],
  answers: readonly (string | null)[],
  seed: number,
  instruction?: string,
): Promise<Completion[]> {
  const out: Completion[] = [];
  for (let a = 0; a < agents.length; a++) {
    const agent = agents[a]!;
    const messages = reflectionMessages(firstTurn, {
      ownSolution: solutions[a]!,
      otherAnswers: answers.filter((_, j) => j !== a),
      ...(instruction ? { instruction } : {}),
    });
    const res = await sampler.sample([messages], {
      n: 1, temperature: agent.temperature, topP: agent.topP, maxTokens: agent.maxTokens,
      seed: (seed * 7919 + a * 104729 + 15485863) >>> 0,
    });
    out.push(res[0]![0]!);
  }
  return out;
}

// The prompt of each reasoning mode, with and without tool-integrated reasoning. Nemotron-Math asks its teacher
// (gpt-oss) for three reasoning depths through the server's `reasoning_effort`; a teacher that has no such switch
// gets the depth from the instruction instead, so both are used: the instruction always, reasoning_effort where the
// caller's sampler sends it (see samplerFor in job.ts).
import type { Prompt } from "../engine/types.js";
import { buildPrompt, type PromptOptions } from "../infer/prompts.js";
import type { Problem } from "../data/records.js";

export const REASONING_MODES = ["high", "medium", "low"] as const;
export type ReasoningMode = (typeof REASONING_MODES)[number];

export function isReasoningMode(s: string): s is ReasoningMode {
  return (REASONING_MODES as readonly string[]).includes(s);
}

export const MODE_INSTRUCTIONS: Record<ReasoningMode, string> = {
  high: "Think through the problem in depth: consider more than one approach, verify each step, and check the result before you answer. Put your final answer within \\boxed{}.",
  medium: "Reason step by step at a moderate level of detail, then put your final answer within \\boxed{}.",
  low: "Answer concisely with minimal reasoning. Put your final answer within \\boxed{}.",
};

export const TOOL_INSTRUCTION =
  "You may write Python code in ```python blocks; its output will be shown to you in ```output blocks. Use code for calculations and checks, then state the answer.";

export type PromptFormat = "chat" | "completion";

/** The prompt for one problem in one mode. */
export type PromptBuilder = (problem: Problem, mode: ReasoningMode, tir: boolean) => Prompt;

/** The default prompts: the evaluation prompt shape (infer/prompts.ts) with the mode's instruction. */
export function modePrompt(format: PromptFormat = "completion"): PromptBuilder {
  return (problem, mode, tir) => {
    const opts: PromptOptions = {
      format,
      template: format === "chat" ? "{question}\n{instruction}" : "Problem: {question}\n{instruction}\nSolution:",
      instruction: tir ? `${MODE_INSTRUCTIONS[mode]} ${TOOL_INSTRUCTION}` : MODE_INSTRUCTIONS[mode],
      fewShot: [],
    };
    const p = buildPrompt(problem.question, opts);
    // Completion style: the solution starts after a space, as in the eval prompts and the synthetic SFT data.
    return typeof p === "string" ? `${p} ` : p;
  };
}

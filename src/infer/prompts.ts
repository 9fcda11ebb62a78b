// Prompts for evaluation: chat messages or one completion-style string, with an optional system prompt, a template
// around the question, optional few-shot examples, and by default the boxed-answer instruction that Qwen2.5-Math
// and DeepSeek-R1 evaluations use (the verifier looks for the last \boxed{…}).
import type { ChatMessage, Prompt } from "../engine/types.js";
import { UsageError } from "../util/errors.js";

export const BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}.";

export interface FewShotExample {
  question: string;
  /** The worked solution shown as the model's answer (should end with \boxed{answer}). */
  solution: string;
}

export interface PromptOptions {
  format: "chat" | "completion";
  /** Chat: a system message. Completion: a preamble line before everything else. */
  system?: string;
  /**
   * Text around the question: must contain {question}; {instruction} marks where the instruction goes. A template
   * without {instruction} gets the instruction appended on its own line (pass instruction "" to have none).
   */
  template: string;
  instruction: string;
  fewShot: FewShotExample[];
}

export const DEFAULT_CHAT_TEMPLATE = "{question}\n{instruction}";
export const DEFAULT_COMPLETION_TEMPLATE = "Problem: {question}\n{instruction}\nSolution:";

export function defaultPromptOptions(format: "chat" | "completion" = "chat"): PromptOptions {
  return {
    format,
    template: format === "chat" ? DEFAULT_CHAT_TEMPLATE : DEFAULT_COMPLETION_TEMPLATE,
    instruction: BOXED_INSTRUCTION,
    fewShot: [],
  };
}

/** Throws a UsageError when the template cannot hold a question. */
export function checkTemplate(template: string): void {
  if (!template.includes("{question}")) throw new UsageError(`the prompt template must contain {question}, got ${JSON.stringify(template)}`);
}

/** The template with the question and the instruction filled in (split/join: no `$` surprises of String.replace). */
export function renderTemplate(template: string, question: string, instruction: string): string {
  let t = template;
  if (!t.includes("{instruction}") && instruction !== "") t = `${t}\n{instruction}`;
  // Fill the instruction first, so a question that happens to contain "{instruction}" is left as written.
  return t.split("{instruction}").join(instruction).split("{question}").join(question).trimEnd();
}

export function buildPrompt(question: string, opts: PromptOptions): Prompt {
  checkTemplate(opts.template);
  const user = (q: string): string => renderTemplate(opts.template, q, opts.instruction);
  if (opts.format === "chat") {
    const messages: ChatMessage[] = [];
    if (opts.system) messages.push({ role: "system", content: opts.system });
    for (const ex of opts.fewShot) {
      messages.push({ role: "user", content: user(ex.question) });
      messages.push({ role: "assistant", content: ex.solution });
    }
    messages.push({ role: "user", content: user(question) });
    return messages;
  }
  const parts: string[] = [];
  if (opts.system) parts.push(opts.system);
  for (const ex of opts.fewShot) parts.push(`${user(ex.question)} ${ex.solution}`);
  parts.push(user(question));
  return parts.join("\n\n");
}

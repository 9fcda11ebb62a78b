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
   * without {instruction} gets a non-empty instruction appended on its own line (promptFromFlags clears the
   * default instruction for a user's template without the slot, so only an explicit --instruction is appended).
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

/**
 * The prompt a trimer checkpoint is asked with by default, in-process (`--checkpoint`) and through `trimer serve`
 * (which advertises it in /v1/models as `trimer_prompt`, so that `eval --url` asks the same thing): the bare question,
 * completion style — how the embedded pipeline trains.
 */
export const CHECKPOINT_PROMPT: Readonly<Pick<PromptOptions, "format" | "template" | "instruction">> = { format: "completion", template: "{question}", instruction: "" };

/** The prompt flags of a command (eval, solve): each optional; absent ones keep the model's default. */
export interface PromptFlags {
  format?: string;
  system?: string;
  template?: string;
  instruction?: string;
  fewShot?: FewShotExample[];
}

/**
 * The one rule for turning prompt flags into a prompt, shared by every command that asks a model a question.
 * `modelDefault` is the model's own prompt (CHECKPOINT_PROMPT for a trimer checkpoint, local or served; chat with
 * the boxed-answer instruction for other servers). A --prompt-format other than the default's starts from that
 * format's generic default. A --template is the user's whole text: without an {instruction} slot, and with no
 * --instruction, nothing is added to it (`--template '{question}'` sends the bare question).
 */
export function promptFromFlags(flags: PromptFlags, modelDefault: Pick<PromptOptions, "format" | "template" | "instruction">): PromptOptions {
  const format = flags.format ?? modelDefault.format;
  if (format !== "chat" && format !== "completion") throw new UsageError(`--prompt-format must be chat or completion, got "${format}"`);
  const prompt: PromptOptions = format === modelDefault.format ? { ...modelDefault, fewShot: [] } : defaultPromptOptions(format);
  if (flags.template !== undefined) {
    prompt.template = flags.template.replace(/\\n/g, "\n");
    checkTemplate(prompt.template);
    if (!prompt.template.includes("{instruction}") && flags.instruction === undefined) prompt.instruction = "";
  }
  if (flags.instruction !== undefined) prompt.instruction = flags.instruction;
  if (flags.system !== undefined) prompt.system = flags.system;
  if (flags.fewShot) prompt.fewShot = flags.fewShot;
  return prompt;
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

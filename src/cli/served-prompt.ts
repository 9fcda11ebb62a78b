// The default prompt of a model behind --url. A trimer server (`trimer serve`) says in /v1/models which prompt its
// checkpoint is asked with (`trimer_prompt`: the bare question, completion style), so `eval --url` and
// `solve --url` ask it exactly what `--checkpoint` asks in-process; any other server gets the chat prompt with the
// boxed-answer instruction, as Qwen2.5-Math and DeepSeek-R1 evaluations do.
import { BOXED_INSTRUCTION, DEFAULT_CHAT_TEMPLATE, CHECKPOINT_PROMPT, type PromptOptions } from "../infer/prompts.js";

export type PromptDefault = Pick<PromptOptions, "format" | "template" | "instruction">;

export const SERVER_PROMPT: PromptDefault = { format: "chat", template: DEFAULT_CHAT_TEMPLATE, instruction: BOXED_INSTRUCTION };

/** The checkpoint default of a local model (eval, solve --checkpoint). */
export const LOCAL_PROMPT: PromptDefault = CHECKPOINT_PROMPT;

function valid(p: unknown): p is PromptDefault {
  const o = p as Partial<PromptDefault> | null;
  return !!o && (o.format === "chat" || o.format === "completion") && typeof o.template === "string" && o.template.includes("{question}") && typeof o.instruction === "string";
}

/**
 * Asks the (first) server for the model's entry in GET /models. No answer, no entry, or no valid trimer_prompt:
 * SERVER_PROMPT. Never throws: reachability is the preflight's job, and a job should not fail over a default.
 */
export async function servedPromptDefault(baseUrl: string, model: string, apiKey?: string, timeoutMs = 5_000): Promise<PromptDefault> {
  const first = baseUrl.split(",")[0]!.trim().replace(/\/+$/, "");
  try {
    const res = await fetch(`${first}/models`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return SERVER_PROMPT;
    const body = (await res.json()) as { data?: { id?: unknown; trimer_prompt?: unknown }[] };
    const entry = Array.isArray(body.data) ? body.data.find((m) => m.id === model) : undefined;
    if (entry && valid(entry.trimer_prompt)) {
      const { format, template, instruction } = entry.trimer_prompt;
      return { format, template, instruction };
    }
  } catch {
    // fall through: the default for any server
  }
  return SERVER_PROMPT;
}

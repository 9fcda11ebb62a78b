// Prompts longer than the model's context. A model with a short context (a 128-token miniature on GSM8K) cannot
// take every prompt of a benchmark; rather than a stack trace at the first one, every command that samples from a
// checkpoint checks all its prompts up front and, by default, stops with one line saying how many are too long and
// what to do:
//   --skip-long      those problems are not sampled; they are counted in the output and its manifest;
//   --truncate-long  those prompts are cut from the left (the question's end and the instruction stay), counted.
// A prompt is too long when it leaves no room to generate: tokens ≥ context (model/sample.ts refuses it). A cut
// prompt keeps its last (context − room) tokens, room = min(max tokens, ⌊context/4⌋), behind the bos token.
// Over HTTP the server's tokenizer decides: a 400 "context length" answer counts the same way (isContextOverflow),
// per prompt; truncation needs the tokenizer, so over HTTP --truncate-long is refused.
import type { Completion, Prompt, SampleOptions, Sampler } from "../engine/types.js";
import { UsageError } from "../util/errors.js";

export type LongPromptPolicy = "fail" | "skip" | "truncate";

/** What happened to prompts too long for the context, for the output and the manifest. */
export interface LongPromptCount {
  policy: LongPromptPolicy;
  /** The model's context, when known (a checkpoint). */
  context: number | null;
  skipped: number;
  truncated: number;
  /** Problem ids (first 100) of the skipped or truncated prompts. */
  ids: string[];
}

/** The policy of --skip-long / --truncate-long (both: a UsageError). */
export function longPromptPolicy(skip: boolean | undefined, truncate: boolean | undefined): LongPromptPolicy {
  if (skip && truncate) throw new UsageError("give --skip-long or --truncate-long, not both");
  return skip ? "skip" : truncate ? "truncate" : "fail";
}

export function newLongPromptCount(policy: LongPromptPolicy, context: number | null): LongPromptCount {
  return { policy, context, skipped: 0, truncated: 0, ids: [] };
}

/** The one line of the default policy. */
export function tooLongMessage(over: number, total: number, context: number, unit = "prompts"): string {
  return `${over} of ${total} ${unit} exceed the model's context (${context} tokens) — pass --skip-long to skip them (counted) or --truncate-long to cut them from the left (counted), or use a model with a longer context`;
}

/** The engine a checkpoint opens as (engine/local.ts LocalEngine): what the guard needs of it. */
export interface TokenEngine {
  encodePrompt(p: Prompt): number[];
  readonly contextLength: number;
  sampleTokens(prompts: number[][], opts: SampleOptions): Completion[][];
}

export function promptTooLong(engine: TokenEngine, p: Prompt): boolean {
  return engine.encodePrompt(p).length >= engine.contextLength;
}

/**
 * Checks every unit's prompts up front. `units` are (id, its prompts); a unit is too long when any of its prompts
 * is. Under "fail" with some too long, throws the one line; otherwise returns the ids of the long units and counts
 * them into `count` (skipped or truncated).
 */
export function checkPromptLengths(engine: TokenEngine, units: readonly { id: string; prompts: readonly Prompt[] }[], count: LongPromptCount, unit = "prompts"): Set<string> {
  const long = new Set<string>();
  for (const u of units) if (u.prompts.some((p) => promptTooLong(engine, p))) long.add(u.id);
  if (long.size === 0) return long;
  if (count.policy === "fail") throw new UsageError(tooLongMessage(long.size, units.length, engine.contextLength, unit));
  for (const id of long) noteLong(count, id);
  return long;
}

/** Counts one skipped or truncated unit. */
export function noteLong(count: LongPromptCount, id: string): void {
  if (count.policy === "truncate") count.truncated++;
  else count.skipped++;
  if (count.ids.length < 100) count.ids.push(id);
}

/** The prompt's tokens cut from the left to fit (unchanged when it fits): bos kept in front. */
export function truncateTokens(tokens: readonly number[], context: number, maxTokens: number | undefined, bos: number | undefined): number[] {
  if (tokens.length < context) return [...tokens];
  const room = Math.max(1, Math.min(maxTokens ?? context, Math.floor(context / 4)));
  const keep = Math.max(1, context - room);
  if (bos !== undefined && tokens[0] === bos) return [bos, ...tokens.slice(tokens.length - (keep - 1))];
  return tokens.slice(tokens.length - keep);
}

/** A sampler over the embedded engine that cuts too-long prompts from the left (truncateTokens) instead of failing. */
export function truncatingSampler(engine: TokenEngine, bos?: number): Sampler {
  return {
    sample: (prompts, opts) => Promise.resolve(engine.sampleTokens(prompts.map((p) => truncateTokens(engine.encodePrompt(p), engine.contextLength, opts.maxTokens, bos)), opts)),
  };
}

/**
 * A sampler over the embedded engine for streaming jobs (curation): a too-long prompt gets no completions under
 * "skip" (the job counts it like any prompt without completions) and is cut under "truncate"; `onLong` sees each.
 */
export function guardedSampler(engine: TokenEngine, policy: Exclude<LongPromptPolicy, "fail">, onLong: (p: Prompt) => void, bos?: number): Sampler {
  const cut = truncatingSampler(engine, bos);
  return {
    async sample(prompts, opts) {
      const long = prompts.map((p) => promptTooLong(engine, p));
      long.forEach((l, i) => { if (l) onLong(prompts[i]!); });
      if (policy === "truncate") return cut.sample(prompts, opts);
      const keep = prompts.filter((_, i) => !long[i]);
      const got = keep.length ? engine.sampleTokens(keep.map((p) => engine.encodePrompt(p)), opts) : [];
      let j = 0;
      return long.map((l) => (l ? [] : got[j++]!));
    },
  };
}

/** A server's refusal of a prompt as longer than its context (HTTP 400 with a context-length message). */
export function isContextOverflow(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const status = (e as { status?: unknown }).status;
  if (status !== 400 && status !== 413) return false;
  return /context[_ ]length|maximum context|context window|context_length_exceeded|too many tokens|exceeds? the model'?s? (maximum )?context/i.test(e.message);
}

/** The one line when a server refused a prompt for its length and no policy was given. */
export function serverTooLongMessage(id: string, e: Error): string {
  return `the server refused the prompt of ${id} as longer than its context (${e.message.replace(/\s+/g, " ").slice(0, 200)}) — pass --skip-long to skip such prompts (counted), or lower --max-tokens`;
}

/**
 * checkPromptLengths for a stream of prompts too large to hold (a curation input): counts the too-long ones in one
 * pass; under "fail" with some, throws the one line. Returns how many were too long (the job's sampler then skips
 * or cuts them as they come: guardedSampler).
 */
export async function countLongPrompts(engine: TokenEngine, prompts: AsyncIterable<Prompt>, policy: LongPromptPolicy): Promise<{ over: number; total: number }> {
  let over = 0, total = 0;
  for await (const p of prompts) {
    total++;
    if (promptTooLong(engine, p)) over++;
  }
  if (over && policy === "fail") throw new UsageError(tooLongMessage(over, total, engine.contextLength));
  return { over, total };
}

/**
 * For streaming jobs over HTTP (curation), where prompts cannot be checked up front (the server's tokenizer decides):
 * true when `e` is the server refusing `prompt` as longer than its context and the policy is "skip" (counted — the
 * prompt then gets no completions); under "fail" it throws the one line; false for every other error.
 */
export function serverOverflowHandler(count: LongPromptCount): (e: unknown, prompt: Prompt) => boolean {
  return (e, prompt) => {
    if (!isContextOverflow(e)) return false;
    if (count.policy !== "skip") throw new UsageError(serverTooLongMessage(promptLabel(prompt), e as Error));
    count.skipped++;
    return true;
  };
}

/** A prompt named by its last message's opening words, for one-line messages. */
function promptLabel(p: Prompt): string {
  const text = (typeof p === "string" ? p : p[p.length - 1]?.content ?? "").replace(/\s+/g, " ").trim();
  return `"${text.length > 60 ? `${text.slice(0, 57)}...` : text}"`;
}

// Tool-integrated reasoning (Nemotron-Math's TIR): the model writes a code block, generation stops at the block's
// end, a sandbox runs the code, its output is appended as an output block, and generation continues from the
// accumulated text — until the model stops on its own, a limit is reached, or the token budget is spent. The final
// answer is left to the verifier (extractAnswer / verify), which reads the whole trace.
//
// Protocol (markdown syntax, the default; it is what Nemotron-Math's and most open TIR models' traces look like):
//
//   …reasoning…
//   ```python
//   print(2**10)
//   ```                 ← sampling stops here (stop string "```\n": a closing fence, not an opening "```python\n")
//   ```output
//   1024
//   ```                 ← appended by this loop; sampling resumes after it
//   …more reasoning… \boxed{1024}
//
// How the stop is told apart: the stop string "```\n" also ends a bare opening fence ("```\n" with no language)
// and the Sampler API does not say which stop string (or EOS) ended a completion. So the segment generated since
// the last output block is inspected: an odd number of fences means a block was open and has just been closed
// (a python block → run it; another language → put the fence back and continue); an even number means the model
// stopped by itself (EOS), which is where the trace ends. The one case this misreads — a bare "```" opening fence
// — ends the trace early; the trace then usually lacks an answer and is rejected, never mis-labelled.
//
// Continuation: the next call's prompt is the original prompt plus everything generated so far. A text prompt
// (completion style, /v1/completions or the embedded engine) is simply extended. A chat prompt gets the text as a
// final assistant message; the server must continue that message rather than open a new turn (vLLM and SGLang:
// `continue_final_message: true, add_generation_prompt: false` in the body — pass a `continueSampler` configured
// with them). The embedded engine closes every chat message with <eos>, so use text prompts with it.
//
// The compact syntax is the miniature's: `py:print(3*9+3-6)>24;\boxed{24}` (data/synth's `tir` mode): the code
// runs from "py:" to ">", the output follows the ">" and ends with ";".
import type { ChatMessage, Prompt, SampleOptions, Sampler } from "../engine/types.js";
import { defaultSandbox } from "../sandbox/choose.js";

/** What a sandbox gives back for one program (ProcessSandbox.run's and PythonSandbox.run's results satisfy it). */
export interface CodeResult {
  status: "completed" | "timeout" | "error" | "killed" | "cancelled";
  stdout: string;
  stderr: string;
  truncated?: boolean;
  durationMs?: number;
}

/** Anything that runs a program: ProcessSandbox (the default), PythonSandbox (Pyodide), or a remote sandbox client. */
export interface CodeRunner {
  run(code: string): Promise<CodeResult>;
}

/** What a stopped segment means. */
export type SegmentEnd =
  | { kind: "code"; code: string; /** text to append before the output (the fence the stop string removed) */ close: string }
  | { kind: "continue"; text: string }
  | { kind: "end" };

/** How code blocks and their outputs are written in a trace. */
export interface ToolSyntax {
  readonly name: string;
  /** Stop strings that end a code block (passed to the sampler). */
  readonly stop: readonly string[];
  /**
   * Reads `segment` (the text generated since the last output block) that ended with finish reason "stop":
   * a just-closed code block, a stop string that was not the end of a code block, or the model's own end.
   */
  classify(segment: string): SegmentEnd;
  /** The output block appended after a closed code block. */
  renderOutput(output: string): string;
}

const FENCE = "```";
const PYTHON_LANGS = new Set(["python", "py", "python3"]);

function countOccurrences(s: string, sub: string): number {
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

/** ```python … ``` blocks, ```output … ``` results. */
export const MARKDOWN_SYNTAX: ToolSyntax = {
  name: "markdown",
  stop: ["```\n"],
  classify(segment) {
    if (countOccurrences(segment, FENCE) % 2 === 0) return { kind: "end" };
    const open = segment.lastIndexOf(FENCE);
    const nl = segment.indexOf("\n", open);
    const info = (nl < 0 ? segment.slice(open + 3) : segment.slice(open + 3, nl)).trim().toLowerCase();
    if (!PYTHON_LANGS.has(info) || nl < 0) return { kind: "continue", text: "```\n" };
    return { kind: "code", code: segment.slice(nl + 1), close: "```\n" };
  },
  renderOutput(output) {
    // A program that prints a fence would otherwise end the output block early and confuse fence counting:
    // break fences in the output with a zero-width space.
    const safe = output.split(FENCE).join("`\u200b``");
    return `${FENCE}output\n${safe}${safe.endsWith("\n") || safe === "" ? "" : "\n"}${FENCE}\n`;
  },
};

/** The miniature's compact form: `py:<code>><output>;`. */
export const COMPACT_SYNTAX: ToolSyntax = {
  name: "compact",
  stop: [">"],
  classify(segment) {
    // Without an open py: block the stop was the model's own end. (A ">" in prose would also end the trace
    // there; the miniature's compact traces have none outside py: blocks.)
    const open = segment.lastIndexOf("py:");
    if (open < 0) return { kind: "end" };
    return { kind: "code", code: segment.slice(open + 3), close: "" };
  },
  renderOutput(output) {
    return `>${output.trim().replace(/[;\n]+/g, " ")};`;
  },
};

export interface ToolOptions {
  /**
   * Runs the code blocks. Default: the process-wide default sandbox (src/sandbox/choose.ts) — the process backend,
   * CPython with sympy and numpy under bubblewrap, where it runs; Pyodide otherwise.
   */
  sandbox?: CodeRunner;
  /** Code blocks run per solution; a block beyond this gets an output saying so and generation goes on (default 8). */
  maxToolCalls?: number;
  /** Characters of one output block (stdout, then stderr) kept; the rest is cut with a marker (default 2000). */
  maxOutputChars?: number;
  /** New tokens across all calls of one solution. */
  maxTokens: number;
  syntax?: ToolSyntax;
  /** Sampler for continuation calls (default: the first one); see the header for chat prompts. */
  continueSampler?: Sampler;
  /** Passed to every call (temperature, topP, seed …); the seed is varied per call so continuations differ. */
  sampling?: Omit<SampleOptions, "n" | "maxTokens" | "stop">;
  /** More stop strings, beside the syntax's. */
  stop?: string[];
}

export interface ToolTrace {
  /** Everything after the prompt: the model's text with the output blocks in place. */
  text: string;
  toolCalls: number;
  /** Sampler calls made (1 + one per continued block, or more when a stop was not a code block's end). */
  calls: number;
  completionTokens: number;
  /** Prompt tokens as reported by the sampler, summed over calls (each continuation re-sends the prefix). */
  promptTokens: number;
  /** Calls whose sampler did not report prompt tokens (their prompt tokens are missing from promptTokens). */
  promptTokensUnknown: number;
  /** Wall time spent in the sandbox. */
  sandboxMs: number;
  /** Statuses of the tool calls, in order. */
  toolStatuses: CodeResult["status"][];
  /** "stop": the model ended; "length": token budget spent. */
  finishReason: "stop" | "length";
}

/** The prompt for a continuation: the original plus the text so far. */
export function continuePrompt(prompt: Prompt, soFar: string): Prompt {
  if (typeof prompt === "string") return prompt + soFar;
  if (soFar === "") return prompt;
  const messages: ChatMessage[] = [...prompt, { role: "assistant", content: soFar }];
  return messages;
}

/** stdout then stderr, cut to `max` characters (with a marker saying how much was cut). */
export function formatToolOutput(r: CodeResult, max: number): string {
  let out = r.stdout;
  if (r.stderr) out += (out && !out.endsWith("\n") ? "\n" : "") + r.stderr;
  if (r.status === "timeout") out += (out && !out.endsWith("\n") ? "\n" : "") + "TimeoutError: the program ran past its time limit";
  if (r.status === "killed") out += (out && !out.endsWith("\n") ? "\n" : "") + "the program was stopped (memory or interpreter failure)";
  if (out.length > max) out = `${out.slice(0, max)}\n… (${out.length - max} more characters cut)`;
  else if (r.truncated) out += "\n… (output cut)";
  return out;
}

/**
 * Solves one prompt with tool calls. Pure over its sampler and sandbox: the same scripted sampler gives the same
 * trace. Never throws for anything the model writes (bad code is an error output block); sampler and sandbox
 * failures propagate.
 */
export async function solveWithTools(sampler: Sampler, prompt: Prompt, opts: ToolOptions): Promise<ToolTrace> {
  const syntax = opts.syntax ?? MARKDOWN_SYNTAX;
  const maxToolCalls = opts.maxToolCalls ?? 8;
  const maxOutputChars = opts.maxOutputChars ?? 2000;
  const stop = [...syntax.stop, ...(opts.stop ?? [])];
  const trace: ToolTrace = {
    text: "", toolCalls: 0, calls: 0, completionTokens: 0, promptTokens: 0, promptTokensUnknown: 0, sandboxMs: 0, toolStatuses: [], finishReason: "stop",
  };
  // Where the current segment (text since the last output block) starts; fences are counted within it only.
  let segmentStart = 0;
  // Each loop iteration makes one call; a runaway (a model that keeps emitting stray fences) is bounded by the
  // token budget, and by this cap on calls for a model that emits empty completions.
  const maxCalls = 4 * (maxToolCalls + 1) + 16;
  while (trace.calls < maxCalls) {
    const remaining = opts.maxTokens - trace.completionTokens;
    if (remaining <= 0) { trace.finishReason = "length"; break; }
    const s = trace.calls === 0 ? sampler : opts.continueSampler ?? sampler;
    const sampling: SampleOptions = { ...opts.sampling, n: 1, maxTokens: remaining, stop };
    if (opts.sampling?.seed !== undefined) sampling.seed = (opts.sampling.seed + trace.calls * 7919) >>> 0;
    const [[c] = []] = await s.sample([continuePrompt(prompt, trace.text)], sampling);
    trace.calls++;
    if (!c) throw new Error("tir: the sampler returned no completion");
    trace.completionTokens += c.completionTokens;
    if (c.promptTokens === undefined) trace.promptTokensUnknown++;
    else trace.promptTokens += c.promptTokens;
    trace.text += c.text;
    if (c.finishReason === "length") { trace.finishReason = "length"; break; }
    const end = syntax.classify(trace.text.slice(segmentStart));
    if (end.kind === "end") break;
    if (end.kind === "continue") { trace.text += end.text; continue; }
    trace.text += end.close;
    let output: string;
    if (trace.toolCalls >= maxToolCalls) {
      output = `tool call limit reached (${maxToolCalls}); continue without code`;
    } else {
      const t0 = Date.now();
      const runner = opts.sandbox ?? (await defaultSandbox());
      const r = await runner.run(end.code);
      trace.sandboxMs += r.durationMs ?? Date.now() - t0;
      trace.toolCalls++;
      trace.toolStatuses.push(r.status);
      output = formatToolOutput(r, maxOutputChars);
    }
    trace.text += syntax.renderOutput(output);
    segmentStart = trace.text.length;
  }
  return trace;
}

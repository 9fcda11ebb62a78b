// The one command-line vocabulary every trimer command speaks. Commands spread these option tables into their own
// (so a flag means the same thing, with the same type, everywhere) and parseFlags (command.ts) rewrites the old
// spellings to the new ones with a one-line notice on stderr:
//
//   --checkpoint DIR         a local trimer checkpoint folder (embedded engine)
//   --url URL                an OpenAI-compatible server up to /v1; several replicas of one model: repeat --url or
//                            give a comma-separated list
//   --model NAME             the server's model name (serve: the name it serves under)
//   --api-key KEY            the server's key
//   --bench NAME|FILE        a benchmark from the shared data folder, or a problem file (.jsonl, .jsonl.gz, .parquet)
//   --prompt-format F        chat | completion (export's and model export's --format is the *file* format)
//   --out PATH  --seed S  --n N (how many to make)  --k N (samples per problem)  --limit N (first N inputs)
//
// Old spelling → new one. Global aliases apply to every command whose table has the new flag and not the old one;
// command-specific ones are passed to parseFlags by the command (e.g. generate's --in, data overlap's --n).
// `--model DIR` (a checkpoint folder in serve, solve and model, before) collides with the new `--model NAME`: a
// value that is an existing checkpoint folder keeps working, with the notice (modelFolderAlias).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../util/errors.js";

export type FlagTable = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string; default?: string | boolean | string[] | boolean[] }>;

/** --url (repeatable; comma lists too), --model, --api-key, --extra-body. */
export const SERVER_FLAGS = {
  url: { type: "string", multiple: true },
  model: { type: "string" },
  "api-key": { type: "string" },
  "extra-body": { type: "string" },
} as const;

/** --checkpoint DIR. */
export const CHECKPOINT_FLAGS = {
  checkpoint: { type: "string" },
} as const;

/** --bench NAME|FILE and the flags that say how to read it. */
export const BENCH_FLAGS = {
  bench: { type: "string" },
  "data-dir": { type: "string" },
  "question-field": { type: "string" },
  "answer-field": { type: "string" },
  limit: { type: "string" },
} as const;

/** How a question becomes a prompt (infer/prompts.ts: promptFromFlags). */
export const PROMPT_FLAGS = {
  "prompt-format": { type: "string" },
  system: { type: "string" },
  template: { type: "string" },
  instruction: { type: "string" },
} as const;

export const SERVER_HELP = `  --url URL             an OpenAI-compatible server up to /v1 (e.g. http://localhost:8000/v1); several replicas of
                        one model: repeat --url or give a comma-separated list (requests spread, a failed replica is
                        rested and its requests retried on the others); default $TRIMER_BASE_URL / $OPENAI_BASE_URL
  --model NAME          the server's model name (default $TRIMER_MODEL)
  --api-key KEY         (default $TRIMER_API_KEY / $OPENAI_API_KEY)
  --extra-body JSON     fields added to every request body (e.g. '{"min_p": 0.05}', vLLM's chat_template_kwargs)`;

export const BENCH_HELP = `  --bench NAME|FILE     a benchmark (gsm8k, gsm8k-train, math500, aime24, amc23 from --data-dir) or a problem file
                        (.jsonl, .jsonl.gz, .parquet: trimer records, plain {question, answer} lines, raw GSM8K, verl rows)
  --question-field F --answer-field F   the fields of a problem file (default question, answer)
  --data-dir DIR        folder of the shared benchmark files (default $TRIMER_DATA_DIR or ../shared/data)
  --limit N             first N problems only`;

export const PROMPT_HELP = `  --prompt-format F     chat | completion (default: the model's own — a trimer checkpoint, local or through
                        trimer serve, is prompted with the bare question as the pipeline trains; other servers: chat)
  --system TEXT         a system message (completion: a first paragraph)
  --template TEXT       the user text, with {question} and optionally {instruction} (where the instruction goes);
                        without {instruction} it gets none — \`--template '{question}'\` sends the bare question —
                        unless --instruction is given (then appended on its own line)
  --instruction TEXT    the instruction (default: the boxed-answer instruction for chat; "" for none)`;

export interface Alias {
  /** The flag it now is (no leading dashes). */
  to: string;
}

/** Old spellings every command accepts where it has the new flag. */
export const GLOBAL_ALIASES: Readonly<Record<string, Alias>> = {
  "base-url": { to: "url" },
  "api-model": { to: "model" },
  benchmark: { to: "bench" },
};

/** Old meanings of flags that a command keeps as aliases (passed to parseFlags by that command). */
export const FORMAT_IS_PROMPT_FORMAT: Readonly<Record<string, Alias>> = { format: { to: "prompt-format" } };
export const IN_IS_BENCH: Readonly<Record<string, Alias>> = { in: { to: "bench" } };

/** Spellings no command may define as its own (test/cli/vocab.test.ts walks every table). */
export const RETIRED_FLAGS = ["base-url", "api-model", "benchmark", "served-model-name", "cache-dir"] as const;

/** A folder holding a checkpoint (config.json) — what `--model DIR` meant in serve, solve and model, before. */
export function isCheckpointFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && existsSync(join(path, "config.json"));
  } catch {
    return false;
  }
}

/**
 * The --url values of a command (repeated and/or comma-separated) as one comma-separated list, or undefined; each
 * must be an http(s) URL (a UsageError names the one that is not).
 */
export function urlFlag(v: unknown): string | undefined {
  const list = (Array.isArray(v) ? v : typeof v === "string" ? [v] : []) as string[];
  const urls = list.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  for (const u of urls) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`--url "${u}" is not an http(s) URL — give the server's address up to /v1, e.g. http://localhost:8000/v1`);
  }
  return urls.length ? urls.join(",") : undefined;
}

// `trimer verify --gold X --pred Y [--json]`: is the model output Y a correct answer to gold X?
// Prints the verdict, the extracted answer and the rule that found it. Exit code 0 either way (2 on bad usage).
// `trimer verify --jsonl`: the same for a stream — JSON requests on stdin, one verdict per line on stdout, so any
// language can call the verifier at full speed without HTTP.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseFlags, numberFlag } from "./command.js";
import { UsageError, InputError } from "../util/errors.js";
import { prepareGold, verify, verifyPrepared, type PreparedGold, type Verdict, type VerifyOptions } from "../verify/index.js";

const USAGE = `usage: trimer verify --gold ANSWER (--pred TEXT | --pred-file FILE) [options]
       trimer verify --jsonl [options] < requests.jsonl > verdicts.jsonl

Extracts the final answer from the prediction (\\boxed{}, #### N, "the answer is", $…$ …) and compares it with
the gold answer (exact rationals, decimals as roundings, symbolic equality, sets, intervals …). A prediction or a
gold that is itself a bare answer ("\\frac{14}{3}") is compared as it is.

options:
  --gold ANSWER          the reference answer (LaTeX or plain text; a sentence or a solution is extracted from)
  --pred TEXT            the model output (free text)
  --pred-file FILE       read the model output from FILE ("-" for stdin)
  --json                 print the verdict as JSON
  --jsonl                stream mode: read one JSON request per line on stdin, {"gold": …, "pred": …} plus any
                         of the options below in camelCase ("relTol", "lastNumberFallback", "allBoxes", "timeoutMs",
                         "allowIntervalForInequality") and an "id" that is echoed back; write one verdict per line
                         (a bad line gets {"error": …} in its place, so output line N always answers input line N)
  --timeout-ms N         time budget of one check (default 1000); over it the verdict is "timeout", never "equal"
  --strict               the defaults (kept for scripts that pass it): no last-number fallback

options that loosen the check (each accepts answers the defaults refuse):
  --all-boxes            join every \\boxed{} of the output into one answer (default: the last group of adjacent
                         boxes; a multi-part gold may take its parts from the last boxes)
  --rel-tol X            precision asked of an approximate decimal (default 1e-6): a decimal with k digits matches
                         when it is the exact value rounded at k digits and 0.5·10^-k ≤ X·max(1, |value|). Larger X
                         accepts coarser roundings (0.01: 0.33 for 1/3); exact values never use it
  --interval-for-inequality  a gold interval also accepts an inequality ("(2, ∞)" ← "x > 2"); by default only a gold
                         inequality accepts an interval
  --last-number          an output with no boxed answer, no answer phrase, no stated value and no math span is
                         read by its last number, and a number after the last math span wins over the spans (a
                         guess: never inside a word, nor when the output stops inside \\boxed{, nor when its tail
                         lists more than 6 different numbers). Off by default, as in the library and the rewards
Old spelling still accepted, with a notice: --no-last-number (--strict).`;

export const summary = "check one model output (or a JSONL stream of them) against a gold answer";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    {
      gold: { type: "string" },
      pred: { type: "string" },
      "pred-file": { type: "string" },
      json: { type: "boolean" },
      jsonl: { type: "boolean" },
      ...VERIFY_FLAGS,
    },
    USAGE,
    false,
    VERIFY_ALIASES,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const opts = optionsFromFlags(v);
  if (v.jsonl) {
    if (v.gold !== undefined || v.pred !== undefined || v["pred-file"] !== undefined) throw new UsageError(`--jsonl reads gold and pred from stdin; drop --gold/--pred/--pred-file\n\n${USAGE}`);
    await streamJsonl(process.stdin, (s) => process.stdout.write(s), opts);
    return 0;
  }
  if (v.gold === undefined) throw new UsageError(`--gold is required\n\n${USAGE}`);
  if ((v.pred === undefined) === (v["pred-file"] === undefined)) throw new UsageError(`give exactly one of --pred and --pred-file\n\n${USAGE}`);
  let pred = v.pred;
  if (pred === undefined) {
    const file = v["pred-file"]!;
    try {
      pred = readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (e) {
      throw new InputError(`cannot read --pred-file ${file}: ${(e as Error).message}`);
    }
  }
  const verdict = verify(v.gold, pred, opts);
  if (v.json) {
    console.log(JSON.stringify(verdict));
  } else {
    console.log(verdict.equal ? "equal" : "not equal");
    console.log(`extracted: ${verdict.extracted ?? "(none)"}`);
    console.log(`rule: ${verdict.rule ?? "(none)"}`);
    if (verdict.missing) console.log(`missing: ${verdict.missing}`);
    if (verdict.status !== "equal" && verdict.status !== "not_equal") console.log(`status: ${verdict.status}${verdict.reason ? ` (${verdict.reason})` : ""}`);
  }
  return 0;
}

/** Longest request line read (a corrupt stream must not exhaust memory): 16 MiB. */
const MAX_REQUEST_CHARS = 16 * 1024 * 1024;

/** Request keys that set verifier options, with the type each must have. */
const REQUEST_OPTIONS: Record<string, "boolean" | "number"> = {
  allBoxes: "boolean",
  lastNumberFallback: "boolean",
  timeoutMs: "number",
  relTol: "number",
  allowIntervalForInequality: "boolean",
  maxChars: "number",
};

/** One request line → its verdict line (JSON text, no newline). Never throws: a bad line becomes {"error": …}. */
export function answerRequest(line: string, lineNo: number, defaults: VerifyOptions, cache: { gold: string; key: string; prepared: PreparedGold } | null): { out: string; cache: typeof cache } {
  const fail = (msg: string, id?: unknown) => ({ out: JSON.stringify({ ...(id !== undefined ? { id } : {}), error: `line ${lineNo}: ${msg}` }), cache });
  if (line.length > MAX_REQUEST_CHARS) return fail(`longer than ${MAX_REQUEST_CHARS} characters`);
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (req === null || typeof req !== "object" || Array.isArray(req)) return fail("not a JSON object");
  const r = req as Record<string, unknown>;
  const id = r.id;
  const gold = typeof r.gold === "number" ? String(r.gold) : r.gold;
  const pred = typeof r.pred === "number" ? String(r.pred) : r.pred;
  if (typeof gold !== "string") return fail(`"gold" is ${gold === undefined ? "missing" : "not a string or number"}`, id);
  if (typeof pred !== "string") return fail(`"pred" is ${pred === undefined ? "missing" : "not a string or number"}`, id);
  const opts: Record<string, unknown> = { ...defaults };
  for (const [k, want] of Object.entries(REQUEST_OPTIONS)) {
    if (r[k] === undefined) continue;
    if (typeof r[k] !== want || (want === "number" && !Number.isFinite(r[k]))) return fail(`"${k}" must be a ${want}`, id);
    opts[k] = r[k];
  }
  if ((opts.timeoutMs as number | undefined) !== undefined && !((opts.timeoutMs as number) > 0 && (opts.timeoutMs as number) <= 60_000)) return fail(`"timeoutMs" must be in (0, 60000]`, id);
  if ((opts.relTol as number | undefined) !== undefined && !((opts.relTol as number) >= 0)) return fail(`"relTol" must not be negative`, id);
  const o = opts as VerifyOptions;
  // A stream usually repeats its gold (several samples per problem): parse it once while it repeats.
  const key = JSON.stringify([o.relTol, o.timeoutMs, o.maxChars]);
  const prepared = cache !== null && cache.gold === gold && cache.key === key ? cache.prepared : prepareGold(gold, o);
  const v: Verdict = verifyPrepared(prepared, pred, o);
  return { out: JSON.stringify(id !== undefined ? { id, ...v } : v), cache: { gold, key, prepared } };
}

/** Reads JSONL requests from `input` and writes one verdict line per request line (blank lines are skipped). */
export async function streamJsonl(input: NodeJS.ReadableStream, write: (s: string) => boolean | void, defaults: VerifyOptions): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let cache: { gold: string; key: string; prepared: PreparedGold } | null = null;
  let lineNo = 0;
  let buf = "";
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === "") continue;
    const r = answerRequest(line, lineNo, defaults, cache);
    cache = r.cache;
    buf += r.out + "\n";
    // Small batches of lines per write: one write per verdict would cost more than the verdict.
    if (buf.length >= 16_384) {
      if (write(buf) === false) await new Promise<void>((res) => process.stdout.once("drain", () => res()));
      buf = "";
    }
    // A caller that waits for each answer before sending the next request must get it now.
    if (rlPaused(rl)) {
      write(buf);
      buf = "";
    }
  }
  if (buf) write(buf);
}

/** Whether no further input is buffered (the writer is waiting for our answer): flush then. */
function rlPaused(rl: ReturnType<typeof createInterface>): boolean {
  const input = (rl as unknown as { input?: { readableLength?: number } }).input;
  return (input?.readableLength ?? 0) === 0;
}

/** --no-last-number is the older spelling of --strict (a notice names the new one). */
export const VERIFY_ALIASES = { aliases: { "no-last-number": { to: "strict" } } } as const;

/** The verifier's flags, shared by `verify` and `grade` (parseArgs declarations). */
export const VERIFY_FLAGS = {
  "all-boxes": { type: "boolean" },
  strict: { type: "boolean" },
  "last-number": { type: "boolean" },
  "timeout-ms": { type: "string" },
  "rel-tol": { type: "string" },
  "interval-for-inequality": { type: "boolean" },
} as const;

/** Verifier options from the flags shared by `verify` and `grade`. */
export function optionsFromFlags(v: {
  "all-boxes"?: boolean;
  strict?: boolean;
  "last-number"?: boolean;
  "timeout-ms"?: string;
  "rel-tol"?: string;
  "interval-for-inequality"?: boolean;
}): VerifyOptions {
  const timeoutMs = numberFlag(v["timeout-ms"], "timeout-ms", 1000);
  const relTol = numberFlag(v["rel-tol"], "rel-tol", 1e-6);
  if (timeoutMs <= 0) throw new UsageError("--timeout-ms must be positive");
  if (relTol < 0) throw new UsageError("--rel-tol must not be negative");
  if (v["last-number"] && v.strict) throw new UsageError("--last-number loosens the check that --strict asks for: give one of them");
  return {
    allBoxes: v["all-boxes"] ?? false,
    // Off unless asked for: the fallback guesses. --strict (and --no-last-number, its older spelling, rewritten to it
    // by parseFlags) says the default.
    lastNumberFallback: v["last-number"] ?? false,
    timeoutMs,
    relTol,
    allowIntervalForInequality: v["interval-for-inequality"] ?? false,
  };
}


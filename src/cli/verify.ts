// `trimer verify --gold X --pred Y [--json]`: is the model output Y a correct answer to gold X?
// Prints the verdict, the extracted answer and the rule that found it. Exit code 0 either way (2 on bad usage).
import { readFileSync } from "node:fs";
import { parseFlags, numberFlag } from "./command.js";
import { UsageError, InputError } from "../util/errors.js";
import { verify, type VerifyOptions } from "../verify/index.js";

const USAGE = `usage: trimer verify --gold ANSWER (--pred TEXT | --pred-file FILE) [options]

Extracts the final answer from the prediction (\\boxed{}, #### N, "the answer is", $…$, last number …) and
compares it with the gold answer (exact rationals, numeric tolerance, symbolic equality, sets, intervals …).

options:
  --gold ANSWER          the reference answer (LaTeX or plain text)
  --pred TEXT            the model output (free text)
  --pred-file FILE       read the model output from FILE ("-" for stdin)
  --json                 print the verdict as JSON
  --all-boxes            multi-part answers: join every \\boxed{} instead of taking the last
  --no-last-number       do not fall back to the last number in the text
  --timeout-ms N         time budget of the check (default 1000)
  --rel-tol X            relative tolerance of numeric comparison (default 1e-6)
  --interval-for-inequality  also let a gold interval accept a predicted inequality`;

export const summary = "check one model output against a gold answer";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    {
      gold: { type: "string" },
      pred: { type: "string" },
      "pred-file": { type: "string" },
      json: { type: "boolean" },
      ...VERIFY_FLAGS,
    },
    USAGE,
  );
  if (!parsed) return 0;
  const v = parsed.values;
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
  const opts = optionsFromFlags(v);
  const verdict = verify(v.gold, pred, opts);
  if (v.json) {
    console.log(JSON.stringify(verdict));
  } else {
    console.log(verdict.equal ? "equal" : "not equal");
    console.log(`extracted: ${verdict.extracted ?? "(none)"}`);
    console.log(`rule: ${verdict.rule ?? "(none)"}`);
    if (verdict.status !== "equal" && verdict.status !== "not_equal") console.log(`status: ${verdict.status}${verdict.reason ? ` (${verdict.reason})` : ""}`);
  }
  return 0;
}

/** The verifier's flags, shared by `verify` and `grade` (parseArgs declarations). */
export const VERIFY_FLAGS = {
  "all-boxes": { type: "boolean" },
  "no-last-number": { type: "boolean" },
  "timeout-ms": { type: "string" },
  "rel-tol": { type: "string" },
  "interval-for-inequality": { type: "boolean" },
} as const;

/** Verifier options from the flags shared by `verify` and `grade`. */
export function optionsFromFlags(v: {
  "all-boxes"?: boolean;
  "no-last-number"?: boolean;
  "timeout-ms"?: string;
  "rel-tol"?: string;
  "interval-for-inequality"?: boolean;
}): VerifyOptions {
  const timeoutMs = numberFlag(v["timeout-ms"], "timeout-ms", 1000);
  const relTol = numberFlag(v["rel-tol"], "rel-tol", 1e-6);
  if (timeoutMs <= 0) throw new UsageError("--timeout-ms must be positive");
  if (relTol < 0) throw new UsageError("--rel-tol must not be negative");
  return {
    allBoxes: v["all-boxes"] ?? false,
    lastNumberFallback: !(v["no-last-number"] ?? false),
    timeoutMs,
    relTol,
    allowIntervalForInequality: v["interval-for-inequality"] ?? false,
  };
}

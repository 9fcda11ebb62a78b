// `trimer grade FILE.jsonl --gold-field G --pred-field P [--out FILE]`: grades every line of a JSONL file.
// Streams the input line by line, shows progress,
// writes one result per line (the input fields + `correct`, `extracted`, `rule`, `status`) atomically, and prints a
// summary: counts, accuracy, and accuracy by extraction rule. Bad lines follow the rule of every trimer command
// that reads records: the first one stops the run naming file:line (default), or with --on-bad skip they are
// skipped, reported by number and counted in a closing WARNING. A run that graded nothing never touches --out.
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseFlags, numberFlag, type CommandModule } from "./command.js";
import { optionsFromFlags, VERIFY_ALIASES, VERIFY_FLAGS } from "./verify.js";
import { UsageError, InputError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { progress } from "../util/progress.js";
import { extractAnswer, verify, type Verdict, type VerifyOptions } from "../verify/index.js";
import { VerifierPool } from "../verify/pool.js";

const USAGE = `usage: trimer grade FILE.jsonl --gold-field G --pred-field P [--out OUT.jsonl] [options]

Grades the model output in field P of every line against the gold answer in field G. A field holding a list of
outputs (several samples per problem) is graded element by element.

options:
  --gold-field G         field with the gold answer (a string or a number)
  --pred-field P         field with the model output (free text), or a list of them
  --gold-extract         the gold field is a worked solution: extract its final answer first (e.g. GSM8K "#### N")
  --out FILE             write the graded lines here (atomically: the file appears complete or not at all;
                         left untouched when nothing could be graded)
  --on-bad fail|skip     a bad line (not JSON, a missing field) stops the run (default), or is skipped and counted
  --quiet                no progress output
  --threads N            verify on N worker threads (default 1: in this thread)
  --strict, --timeout-ms N                          as in trimer verify
  --all-boxes, --rel-tol X, --interval-for-inequality, --last-number
                         loosen the check, as in trimer verify (see its --help)

The summary gives the accuracy of the verdicts written (strict unless --last-number), the strict accuracy (no
last-number fallback) and the flexible one (with it) side by side, and counts outputs with no answer, outputs cut
off inside their \\boxed{ (truncated), and unknown / timeout verdicts apart.
Old spelling still accepted, with a notice: --no-last-number (--strict).`;

export const summary = "grade a JSONL file of model outputs against gold answers";

/** Lines longer than this are reported as bad instead of parsed (a corrupt file must not exhaust memory). */
const MAX_LINE_CHARS = 64 * 1024 * 1024;
/** Report at most this many bad lines individually; the rest are counted. */
const MAX_REPORTED_BAD = 20;

export interface GradeSummary {
  lines: number;
  badLines: number;
  graded: number;
  correct: number;
  /** Correct without the last-number fallback. */
  correctStrict: number;
  /** Correct with the last-number fallback. */
  correctFlexible: number;
  noAnswer: number;
  truncated: number;
  byRule: Record<string, { graded: number; correct: number }>;
  byStatus: Record<string, number>;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    {
      "gold-field": { type: "string" },
      "pred-field": { type: "string" },
      "gold-extract": { type: "boolean" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      threads: { type: "string" },
      "on-bad": { type: "string" },
      ...VERIFY_FLAGS,
    },
    USAGE,
    true,
    VERIFY_ALIASES,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError(`give exactly one input FILE.jsonl\n\n${USAGE}`);
  const goldField = v["gold-field"];
  const predField = v["pred-field"];
  if (!goldField || !predField) throw new UsageError(`--gold-field and --pred-field are required\n\n${USAGE}`);
  const file = parsed.positionals[0]!;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const opts = optionsFromFlags(v);
  const threads = numberFlag(v.threads, "threads", 1, true);
  if (threads < 1) throw new UsageError("--threads must be at least 1");
  const onBad = v["on-bad"] ?? "fail";
  if (onBad !== "fail" && onBad !== "skip") throw new UsageError(`--on-bad must be fail or skip, got "${onBad}"`);
  const { summary: s, output, firstBad } = await gradeFile(file, size, { goldField, predField, goldExtract: v["gold-extract"] ?? false, opts, quiet: v.quiet ?? false, keepOutput: v.out !== undefined, threads, onBad });
  if (s.graded === 0 && s.badLines > 0) {
    // Every line failed (binary input, a wrong --gold-field): the previous --out stays as it was.
    throw new InputError(`no line of ${file} could be graded (${s.badLines} bad; first: ${firstBad}) — check --gold-field / --pred-field${v.out !== undefined ? `; ${v.out} was left as it was` : ""}`);
  }
  if (v.out !== undefined) await writeFileAtomic(v.out, output);
  console.log(formatSummary(s, v.out));
  if (s.badLines > 0) process.stderr.write(`trimer grade: WARNING: ${s.badLines} of ${s.lines} lines were bad and skipped (first: ${firstBad})\n`);
  return 0;
}

interface GradeSettings {
  goldField: string;
  predField: string;
  goldExtract: boolean;
  opts: VerifyOptions;
  quiet: boolean;
  keepOutput: boolean;
  threads: number;
  onBad: "fail" | "skip";
}

/** One parsed input line, waiting for its verdicts. */
interface Pending {
  obj: Record<string, unknown>;
  gold: string;
  preds: string[];
  single: boolean;
}

/** Lines graded together: one batch of work for the worker pool (and the unit of progress output). */
const CHUNK_LINES = 256;

async function gradeFile(file: string, size: number, g: GradeSettings): Promise<{ summary: GradeSummary; output: Buffer[]; firstBad: string | undefined }> {
  const s: GradeSummary = { lines: 0, badLines: 0, graded: 0, correct: 0, correctStrict: 0, correctFlexible: 0, noAnswer: 0, truncated: 0, byRule: {}, byStatus: {} };
  const output: Buffer[] = [];
  const bar = progress(`grade ${file}`, size, { silent: g.quiet });
  const pool = g.threads > 1 ? new VerifierPool({ threads: g.threads }) : null;
  let firstBad: string | undefined;
  const bad = (lineNo: number, why: string): void => {
    if (g.onBad === "fail") throw new InputError(`${file}:${lineNo}: ${why} — fix the line, or pass --on-bad skip to skip and count bad lines`);
    firstBad ??= `${file}:${lineNo}: ${why}`;
    s.badLines++;
    if (s.badLines <= MAX_REPORTED_BAD) process.stderr.write(`${file}:${lineNo}: ${why} (line skipped)\n`);
    else if (s.badLines === MAX_REPORTED_BAD + 1) process.stderr.write(`${file}: more bad lines; counting them silently\n`);
  };
  let chunk: Pending[] = [];
  let chunkBytes = 0;
  const flush = async (): Promise<void> => {
    const jobs = chunk.flatMap((c) => c.preds.map((pred) => ({ gold: c.gold, pred })));
    const verdicts = pool ? await pool.verifyMany(jobs, g.opts) : jobs.map((j) => verify(j.gold, j.pred, g.opts));
    // The other reading (with the fallback when it was off, without it when on), for the strict and flexible
    // figures: only outputs the fallback can change (no strong rule answered them) are verified again.
    const other = { ...g.opts, lastNumberFallback: !(g.opts.lastNumberFallback ?? false) };
    const again = verdicts.flatMap((vd, i) => (fallbackMayChange(vd) ? [i] : []));
    const redone = pool ? await pool.verifyMany(again.map((i) => jobs[i]!), other) : again.map((i) => verify(jobs[i]!.gold, jobs[i]!.pred, other));
    const others = verdicts.slice();
    again.forEach((i, j) => (others[i] = redone[j]!));
    const flexible = g.opts.lastNumberFallback ? verdicts : others;
    const strict = g.opts.lastNumberFallback ? others : verdicts;
    let k = 0;
    for (const c of chunk) {
      const vs = verdicts.slice(k, k + c.preds.length);
      record(s, vs, strict.slice(k, k + c.preds.length), flexible.slice(k, k + c.preds.length));
      k += c.preds.length;
      if (g.keepOutput) output.push(Buffer.from(JSON.stringify(resultLine(c, vs)) + "\n"));
    }
    bar.tick(chunkBytes, s.graded ? `acc ${((100 * s.correct) / s.graded).toFixed(1)}%` : undefined);
    chunk = [];
    chunkBytes = 0;
  };
  try {
    const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of rl) {
      lineNo++;
      chunkBytes += Buffer.byteLength(line) + 1;
      const p = parseLine(line, lineNo, g, bad);
      if (p === "blank") continue;
      s.lines++;
      if (p === null) continue;
      chunk.push(p);
      if (chunk.length >= CHUNK_LINES) await flush();
    }
    await flush();
  } finally {
    await pool?.close();
  }
  bar.done(`${s.graded} graded`);
  return { summary: s, output, firstBad };
}

/** A line → its gold answer and predictions, or null (reported as bad), or "blank". */
function parseLine(line: string, lineNo: number, g: GradeSettings, bad: (lineNo: number, why: string) => void): Pending | null | "blank" {
  if (line.trim() === "") return "blank";
  if (line.length > MAX_LINE_CHARS) {
    bad(lineNo, `line longer than ${MAX_LINE_CHARS} characters`);
    return null;
  }
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (e) {
    bad(lineNo, `not valid JSON: ${(e as Error).message}`);
    return null;
  }
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
    bad(lineNo, "not a JSON object");
    return null;
  }
  const obj = rec as Record<string, unknown>;
  const goldRaw = obj[g.goldField];
  if (typeof goldRaw !== "string" && typeof goldRaw !== "number") {
    bad(lineNo, `field "${g.goldField}" is ${goldRaw === undefined ? "missing" : "not a string or number"}`);
    return null;
  }
  let gold = String(goldRaw);
  if (g.goldExtract) {
    const ex = extractAnswer(gold, g.opts);
    if (!ex) {
      bad(lineNo, `no final answer found in field "${g.goldField}"`);
      return null;
    }
    gold = ex.answer;
  }
  const predRaw = obj[g.predField];
  const preds = Array.isArray(predRaw) ? predRaw : [predRaw];
  if (preds.length === 0 || preds.some((p) => typeof p !== "string" && typeof p !== "number")) {
    bad(lineNo, `field "${g.predField}" is ${predRaw === undefined ? "missing" : "not a string, number or list of them"}`);
    return null;
  }
  return { obj, gold, preds: preds.map(String), single: !Array.isArray(predRaw) };
}

/** Rules the last-number fallback never overrides (it runs only when none of them answered). */
const FALLBACK_PROOF = new Set<Verdict["rule"]>(["bare", "boxed", "gsm8k", "final_answer", "answer_is", "final_statement"]);

function fallbackMayChange(vd: Verdict): boolean {
  return !FALLBACK_PROOF.has(vd.rule) && vd.missing !== "truncated" && vd.status !== "timeout";
}

function record(s: GradeSummary, verdicts: Verdict[], strict: Verdict[], flexible: Verdict[]): void {
  verdicts.forEach((vd, i) => {
    s.graded++;
    if (vd.equal) s.correct++;
    if (strict[i]!.equal) s.correctStrict++;
    if (flexible[i]!.equal) s.correctFlexible++;
    if (vd.missing === "no_answer") s.noAnswer++;
    if (vd.missing === "truncated") s.truncated++;
    const r = (s.byRule[vd.rule ?? "none"] ??= { graded: 0, correct: 0 });
    r.graded++;
    if (vd.equal) r.correct++;
    s.byStatus[vd.status] = (s.byStatus[vd.status] ?? 0) + 1;
  });
}

/** The input fields plus the verdict; list-valued when the prediction field was a list. */
function resultLine(c: Pending, vs: Verdict[]): Record<string, unknown> {
  const pick = <T>(f: (v: Verdict) => T): T | T[] => (c.single ? f(vs[0]!) : vs.map(f));
  return { ...c.obj, correct: pick((v) => v.equal), extracted: pick((v) => v.extracted), rule: pick((v) => v.rule), status: pick((v) => v.status) };
}

function pct(a: number, b: number): string {
  return b ? `${((100 * a) / b).toFixed(1)}%` : "-";
}

export function formatSummary(s: GradeSummary, out?: string): string {
  const lines = [
    `lines: ${s.lines} (${s.badLines} bad, skipped)`,
    `graded: ${s.graded}   correct: ${s.correct}   accuracy: ${pct(s.correct, s.graded)}   strict (no last-number fallback): ${pct(s.correctStrict, s.graded)}   flexible (with it): ${pct(s.correctFlexible, s.graded)}`,
    `no answer: ${s.noAnswer}   truncated inside \\boxed{: ${s.truncated}   unknown: ${s.byStatus.unknown ?? 0}   timeout: ${s.byStatus.timeout ?? 0}`,
    `status: ${Object.entries(s.byStatus).map(([k, n]) => `${k} ${n}`).join(", ") || "-"}`,
    "by rule:",
    ...Object.entries(s.byRule)
      .sort((a, b) => b[1].graded - a[1].graded)
      .map(([rule, r]) => `  ${rule.padEnd(13)} ${String(r.graded).padStart(7)} graded  ${String(r.correct).padStart(7)} correct  ${pct(r.correct, r.graded).padStart(6)}`),
  ];
  if (out) lines.push(`wrote ${out}`);
  return lines.join("\n");
}

const _typecheck: CommandModule = { summary, main };
void _typecheck;

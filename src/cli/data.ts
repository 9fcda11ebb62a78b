// `trimer data`: look at problem sets and generate the synthetic curriculum.
//   trimer data stats [gsm8k|math500|aime24|amc23|gsm8k-train|FILE.jsonl|FILE.parquet ...]   counts per source/domain/difficulty
//   trimer data synth --n 10000 --seed 1 --modes instruct,thinking --difficulty 1-5 --out data/synth.jsonl
//   trimer data overlap TRAIN.jsonl HOLDOUT.jsonl [--ngram 13]                                exact + n-gram overlap
import { extname } from "node:path";
import { parseFlags, numberFlag, type CommandModule } from "./command.js";
import { UsageError } from "../util/errors.js";
import { progress } from "../util/progress.js";
import { BENCHMARKS, benchmarkNames, loadBenchmark } from "../data/benchmarks.js";
import { JsonlWriter, type BadLine } from "../data/jsonl.js";
import { writeParquet, PROBLEM_WITH_SOLUTIONS_COLUMNS } from "../data/parquet.js";
import { readProblems, type ProblemFieldOptions } from "../data/problems-file.js";
import { isSolutionMode, SOLUTION_MODES, type Problem, type ProblemWithSolutions, type SolutionMode } from "../data/records.js";
import { DOMAINS, generateWorked, withSolutions, isDomain, parseDifficultyRange, type DomainName, type SynthOptions } from "../data/synth/index.js";
import { overlapReport, splitOf } from "../data/synth/split.js";

export const summary = "math data: benchmark/file stats, synthetic curriculum generation, train/holdout overlap";

const USAGE = `usage: trimer data <stats|synth|overlap> [options]

  trimer data stats [NAME|FILE ...]      counts per source, domain and difficulty (--bench NAME|FILE, repeatable, is the same)
      NAME: ${benchmarkNames().join(", ")} (default: all); FILE: .jsonl, .jsonl.gz or .parquet: trimer
      records, plain {question, answer} lines, raw GSM8K, verl rows (--question-field / --answer-field name others)
      --data-dir DIR       benchmark folder (default $TRIMER_DATA_DIR or ../shared/data)
      --on-bad fail|skip   bad lines stop the run (default) or are skipped and counted
      --json               print the counts as JSON

  trimer data synth --n N --out FILE [options]
      --seed S             run seed (default 1); problem i of seed S is always the same problem
      --modes LIST         comma list of ${SOLUTION_MODES.join(", ")} (default: all)
      --difficulty R       1-5, 3, 2..4 (default 1-5)
      --domains LIST       comma list of ${DOMAINS.join(", ")} (default: all)
      --style S            verbose | compact (compact = the digit-level arithmetic notation; arithmetic only)
      --split S            all | train | holdout (default all); split by a hash of the question text
      --holdout-fraction F fraction of the question space held out (default 0.1)
      --allow-repeats      let a question come back (default: N distinct questions, or an error saying how many exist)
      --check              verify every solution's final answer against the exact value (slower)
      --resume             continue an interrupted JSONL run from FILE.partial
      --quiet              no progress output

  trimer data overlap TRAIN HOLDOUT [--ngram 13]   exact and n-gram overlap of question texts (names or files as for stats)
      Old spelling still accepted, with a notice: --n (--ngram; --n counts what a command makes, as in synth)`;

async function* problemsOf(input: string, opts: { dataDir?: string; onBad: "fail" | "skip"; skipped: BadLine[]; fields?: ProblemFieldOptions }): AsyncGenerator<Problem> {
  if (BENCHMARKS[input]) {
    yield* loadBenchmark(input, { dataDir: opts.dataDir, onBad: opts.onBad, skipped: opts.skipped });
    return;
  }
  const ext = extname(input.replace(/\.gz$/i, "")).toLowerCase();
  if (ext === ".parquet" || ext === ".jsonl" || ext === ".json" || ext === ".ndjson") {
    // Any problem file: trimer records, plain {question, answer}, raw GSM8K, verl rows (data/problems-file.ts).
    yield* readProblems(input, { onBad: opts.onBad, skipped: opts.skipped, ...opts.fields });
    return;
  }
  throw new UsageError(`"${input}" is neither a benchmark (${benchmarkNames().join(", ")}) nor a .jsonl/.jsonl.gz/.parquet file`);
}

const FIELD_FLAGS = { "question-field": { type: "string" }, "answer-field": { type: "string" } } as const;

function fieldOptions(v: { "question-field"?: string; "answer-field"?: string }): ProblemFieldOptions {
  return { ...(v["question-field"] ? { questionField: v["question-field"] } : {}), ...(v["answer-field"] ? { answerField: v["answer-field"] } : {}) };
}

function onBadFlag(v: string | undefined): "fail" | "skip" {
  if (v === undefined || v === "fail" || v === "skip") return v ?? "fail";
  throw new UsageError(`--on-bad must be "fail" or "skip", got "${v}"`);
}

function table(title: string, counts: Map<string, number>, total: number): string[] {
  const keys = [...counts.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const w = Math.max(title.length, ...keys.map((k) => k.length));
  return [`  ${title}`, ...keys.map((k) => `    ${k.padEnd(w)}  ${String(counts.get(k)).padStart(7)}  ${((100 * counts.get(k)!) / total).toFixed(1).padStart(5)}%`)];
}

async function stats(argv: string[]): Promise<number> {
  const f = parseFlags(argv, { bench: { type: "string", multiple: true }, "data-dir": { type: "string" }, "on-bad": { type: "string" }, json: { type: "boolean" }, ...FIELD_FLAGS }, USAGE, true);
  if (!f) return 0;
  const onBad = onBadFlag(f.values["on-bad"]);
  const named = [...(f.values.bench ?? []), ...f.positionals];
  const inputs = named.length ? named : benchmarkNames();
  const result: Record<string, unknown> = {};
  for (const input of inputs) {
    const skipped: BadLine[] = [];
    const bySource = new Map<string, number>(), byDomain = new Map<string, number>(), byDifficulty = new Map<string, number>();
    const byMode = new Map<string, number>();
    let total = 0;
    const inc = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };
    for await (const p of problemsOf(input, { dataDir: f.values["data-dir"], onBad, skipped, fields: fieldOptions(f.values) })) {
      total++;
      inc(bySource, p.source); inc(byDomain, p.domain); inc(byDifficulty, String(p.difficulty));
      for (const s of (p as Partial<ProblemWithSolutions>).solutions ?? []) inc(byMode, s.mode);
    }
    if (f.values.json) {
      result[input] = { total, skipped: skipped.length, source: Object.fromEntries(bySource), domain: Object.fromEntries(byDomain), difficulty: Object.fromEntries(byDifficulty), ...(byMode.size ? { modes: Object.fromEntries(byMode) } : {}) };
      continue;
    }
    const lines = [`${input}: ${total} problems${skipped.length ? `, ${skipped.length} bad lines skipped` : ""}`];
    if (total > 0) {
      lines.push(...table("source", bySource, total), ...table("domain", byDomain, total), ...table("difficulty", byDifficulty, total));
      if (byMode.size) lines.push(...table("solution mode (per problem)", byMode, total));
    }
    for (const s of skipped.slice(0, 5)) lines.push(`  skipped line ${s.line}: ${s.message}`);
    if (skipped.length > 5) lines.push(`  … ${skipped.length - 5} more skipped lines`);
    console.log(lines.join("\n") + "\n");
  }
  if (f.values.json) console.log(JSON.stringify(result, null, 2));
  return 0;
}

function listFlag<T extends string>(v: string | undefined, name: string, ok: (s: string) => s is T, known: readonly string[]): T[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(",").map((s) => s.trim()).filter(Boolean);
  for (const it of items) if (!ok(it)) throw new UsageError(`--${name}: unknown "${it}" (known: ${known.join(", ")})`);
  if (items.length === 0) throw new UsageError(`--${name} is empty`);
  return items as T[];
}

async function synth(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    n: { type: "string" }, seed: { type: "string" }, modes: { type: "string" }, difficulty: { type: "string" },
    domains: { type: "string" }, style: { type: "string" }, split: { type: "string" }, "holdout-fraction": { type: "string" }, "allow-repeats": { type: "boolean" },
    out: { type: "string" }, check: { type: "boolean" }, resume: { type: "boolean" }, quiet: { type: "boolean" },
  }, USAGE);
  if (!f) return 0;
  const v = f.values;
  if (v.n === undefined) throw new UsageError(`--n is required\n\n${USAGE}`);
  if (!v.out) throw new UsageError(`--out is required\n\n${USAGE}`);
  const n = numberFlag(v.n, "n", 0, true);
  if (n < 1) throw new UsageError("--n must be at least 1");
  const seed = numberFlag(v.seed, "seed", 1, true);
  const difficulty = v.difficulty === undefined ? ([1, 5] as [number, number]) : parseDifficultyRange(v.difficulty);
  if (!difficulty) throw new UsageError(`--difficulty must look like 1-5, 3 or 2..4 within 1–5, got "${v.difficulty}"`);
  const modes = listFlag<SolutionMode>(v.modes, "modes", isSolutionMode, SOLUTION_MODES);
  const domains = listFlag<DomainName>(v.domains, "domains", isDomain, DOMAINS);
  const style = v.style ?? "verbose";
  if (style !== "verbose" && style !== "compact") throw new UsageError(`--style must be verbose or compact, got "${style}"`);
  const split = v.split ?? "all";
  if (split !== "all" && split !== "train" && split !== "holdout") throw new UsageError(`--split must be all, train or holdout, got "${split}"`);
  const frac = numberFlag(v["holdout-fraction"], "holdout-fraction", 0.1);
  if (!(frac > 0 && frac < 1)) throw new UsageError("--holdout-fraction must be between 0 and 1");
  const opts: SynthOptions = { difficulty, style, ...(modes ? { modes } : {}), ...(domains ? { domains } : {}) };
  const parquet = extname(v.out).toLowerCase() === ".parquet";
  if (parquet && v.resume) throw new UsageError("--resume works with JSONL output only (Parquet is written once, at the end)");

  let verifyFn: ((gold: string, text: string) => { equal: boolean }) | null = null;
  if (v.check) verifyFn = (await import("../verify/index.js")).verify;

  const writer = parquet ? null : JsonlWriter.open(v.out, { resume: Boolean(v.resume) });
  const rows: ProblemWithSolutions[] = [];
  const start = writer?.resumedLines ?? 0;
  const bar = progress("synth", n, { silent: Boolean(v.quiet) });
  let stop = false;
  const onSig = (): void => { stop = true; };
  process.once("SIGINT", onSig);
  let failures = 0, made = 0, index = 0, kept = 0;
  // Distinct questions: the generator draws from a finite space (small at low difficulty, and a tenth of it in the
  // holdout split), so the same question comes back; --n 300 means 300 different problems. When the space runs
  // out (no new question in `patience` draws), the run says how many exist rather than returning fewer silently.
  const seen = new Set<string>();
  const patience = Math.max(20_000, 50 * n);
  let lastNew = 0, exhausted = false;
  const t0 = performance.now();
  try {
    bar.update(start);
    while (kept < n && !stop) {
      const i = index++;
      if (!v["allow-repeats"] && i - lastNew > patience) { exhausted = true; break; }
      const w = generateWorked(seed, i, opts);
      const side = splitOf(w.question, frac);
      if (split !== "all" && side !== split) continue;
      if (!v["allow-repeats"]) {
        if (seen.has(w.question)) continue;
        seen.add(w.question);
        lastNew = i;
      }
      kept++;
      if (kept <= start) continue; // already in the resumed file (generation is deterministic)
      const p = withSolutions(w, seed, i, opts);
      p.meta.split = side;
      if (verifyFn) {
        for (const s of p.solutions) {
          if (!verifyFn(p.answer, s.text).equal) {
            failures++;
            if (failures <= 5) console.error(`check failed: ${p.id} ${s.mode}: gold ${p.answer}\n${s.text}`);
          }
        }
      }
      if (writer) writer.write(p);
      else rows.push(p);
      made++;
      if ((made & 1023) === 0) {
        bar.update(kept);
        await new Promise<void>((r) => setImmediate(r)); // let a pending SIGINT reach its handler
      }
    }
  } finally {
    process.removeListener("SIGINT", onSig);
  }
  if (stop) {
    writer?.abort(true);
    bar.done("interrupted");
    console.error(`interrupted after ${kept} problems; rerun with --resume to continue (${writer?.partialPath ?? ""})`);
    return 130;
  }
  if (writer) writer.close();
  else await writeParquet(v.out, rows, PROBLEM_WITH_SOLUTIONS_COLUMNS);
  const secs = (performance.now() - t0) / 1000;
  bar.done();
  if (exhausted) {
    console.error(`trimer data: only ${kept} distinct ${split === "all" ? "" : `${split} `}questions exist at these settings (asked for ${n}); wrote those ${kept} to ${v.out} — widen --difficulty / --domains / --modes${split === "holdout" ? " or raise --holdout-fraction" : ""}, lower --n, or pass --allow-repeats`);
    return 1;
  }
  console.error(`wrote ${n} problems to ${v.out} (${made} new, ${start} resumed) in ${secs.toFixed(2)} s` +
    (verifyFn ? `; check: ${failures} of ${made * (modes?.length ?? SOLUTION_MODES.length)} solutions failed` : ""));
  return failures ? 1 : 0;
}

async function overlap(argv: string[]): Promise<number> {
  const f = parseFlags(argv, { ngram: { type: "string" }, "on-bad": { type: "string" }, ...FIELD_FLAGS }, USAGE, true, { aliases: { n: { to: "ngram" } } });
  if (!f) return 0;
  if (f.positionals.length !== 2) throw new UsageError(`overlap needs TRAIN and HOLDOUT\n\n${USAGE}`);
  const onBad = onBadFlag(f.values["on-bad"]);
  const gram = numberFlag(f.values.ngram, "ngram", 13, true);
  const load = async (input: string): Promise<Problem[]> => {
    const out: Problem[] = [];
    for await (const p of problemsOf(input, { onBad, skipped: [], fields: fieldOptions(f.values) })) out.push(p);
    return out;
  };
  const r = overlapReport(await load(f.positionals[0]!), await load(f.positionals[1]!), gram);
  console.log(JSON.stringify(r, null, 2));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "stats": return stats(rest);
    case "synth": return synth(rest);
    case "overlap": return overlap(rest);
    case undefined: case "--help": case "-h": console.log(USAGE); return sub ? 0 : 2;
    default: throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  }
}

const mod: CommandModule = { summary, main };
export default mod;

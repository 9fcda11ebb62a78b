// `trimer eval`: run a benchmark against a model and report accuracy, pass@k, maj@k, rm@k, tokens, breakdowns,
// a token-limit sweep and bootstrap intervals (OUT/samples.jsonl, OUT/summary.json, OUT/report.html); or, with
// --score, score a file of given completions (no sampling) and compare its own labels with our verifier.
//
//   trimer eval --bench math500 --url http://localhost:8000/v1 --model qwen --k 8 --out runs/eval-math500
//   trimer eval --score ../shared/data/qwen_rm_maj_example/math_cot_100.jsonl --out runs/score-qwen
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { resolveOpenAIConfig } from "../engine/openai.js";
import { openSampler } from "../engine/open.js";
import { openRewardModel } from "../train/reward-model/score.js";
import { replicaUrls, serverSampler } from "./replicas.js";
import { noteOutput } from "../util/manifest.js";
import { runEval, type EvalRunSummary } from "../eval/runner.js";
import { loadEvalProblems } from "../eval/problems.js";
import { benchmarkPath } from "../data/benchmarks.js";
import { buildPrompt, promptFromFlags, type FewShotExample, type PromptOptions } from "../infer/prompts.js";
import { checkPromptLengths, longPromptPolicy, newLongPromptCount, truncatingSampler, type LongPromptCount } from "../infer/context.js";
import type { LocalEngine } from "../engine/local.js";
import { LOCAL_PROMPT, servedPromptDefault, type PromptDefault } from "./served-prompt.js";
import { BENCH_FLAGS, BENCH_HELP, CHECKPOINT_FLAGS, FORMAT_IS_PROMPT_FORMAT, PROMPT_FLAGS, PROMPT_HELP, SERVER_FLAGS, SERVER_HELP, urlFlag } from "./vocab.js";
import { renderReport, type ReportTable } from "../eval/report-html.js";
import { QWEN_FIELDS, readScoreFile, scoreProblems, type ScoreSummary } from "../eval/score-file.js";
import { verifierGrader } from "../eval/verifier-grader.js";
import type { EvalSummary } from "../eval/metrics.js";
import type { Sampler } from "../engine/types.js";
import { writeFileAtomicSync } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { parseShard } from "../util/shard.js";
import { extraBodyOf, numberFlag, parseFlags, type CommandModule } from "./command.js";

const USAGE = `usage: trimer eval --bench NAME|FILE (--checkpoint DIR | --url URL --model NAME) [options] [--out DIR]
       trimer eval --score FILE.jsonl [--out DIR]

benchmark:
${BENCH_HELP}
  --id-field F --domain-field F --level-field F   optional fields of a problem file
model (one of):
  --checkpoint DIR      a trimer checkpoint (embedded engine)
${SERVER_HELP}
  --concurrency N       requests in flight (default 16)
  --skip-long           skip problems whose prompt is longer than the model's context (counted; by default the run
                        stops up front, naming how many); --truncate-long cuts them from the left instead (--checkpoint)
  --reward-model DIR    a trimer reward-model checkpoint (score head): adds rm@k
sampling:
  --k N (default 8)  --temperature T (default 0.6)  --top-p P (default 0.95)  --max-tokens N (default 4096)
  --seed S (default 0)  --stop STR (repeatable)  --batch N problems per sampler call (default 16)
prompt (the same default for --checkpoint and for --url of \`trimer serve --checkpoint\` of it):
${PROMPT_HELP}
  --few-shot FILE.jsonl (fields question, solution)
report:
  --ks 1,2,4,8          ks for pass@k / maj@k / rm@k (default powers of two up to k)
  --token-limits 512,1024,...   token limits of the sweep (default eighths of --max-tokens)
  --bootstrap N (default 1000)  --out DIR (default runs/eval-<bench>)  --quiet
--score FILE: --question-field (default question) and --answer-field (default gt) name its fields.
scale-out:
  --shard I/N           evaluate part I of N (whole --batch blocks of problems: block b goes to shard b mod N + 1);
                        then \`trimer merge --out DIR SHARD_DIR...\` gives the single run's samples and summary

A rerun with the same --out continues: finished (problem, sample) pairs are read back, not sampled again.
Old spellings still accepted, with a notice: --base-url (--url), --benchmark (--bench), --format (--prompt-format).`;

const OPTIONS = {
  ...BENCH_FLAGS,
  score: { type: "string" },
  "id-field": { type: "string" },
  "domain-field": { type: "string" },
  "level-field": { type: "string" },
  ...CHECKPOINT_FLAGS,
  ...SERVER_FLAGS,
  concurrency: { type: "string" },
  "reward-model": { type: "string" },
  k: { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  "max-tokens": { type: "string" },
  seed: { type: "string" },
  stop: { type: "string", multiple: true },
  batch: { type: "string" },
  ...PROMPT_FLAGS,
  "few-shot": { type: "string" },
  ks: { type: "string" },
  "token-limits": { type: "string" },
  bootstrap: { type: "string" },
  out: { type: "string" },
  quiet: { type: "boolean" },
  shard: { type: "string" },
  "skip-long": { type: "boolean" },
  "truncate-long": { type: "boolean" },
} as const;

function intList(v: string | undefined, name: string): number[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--${name} must be a comma-separated list of positive integers, got "${v}"`);
  return xs;
}

function readFewShot(path: string): FewShotExample[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError(`${path}: cannot read the few-shot file`);
  }
  const out: FewShotExample[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let o: { question?: unknown; solution?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      throw new InputError(`${path}:${i + 1}: not valid JSON`);
    }
    if (typeof o.question !== "string" || typeof o.solution !== "string") throw new InputError(`${path}:${i + 1}: fields "question" and "solution" must be strings`);
    out.push({ question: o.question, solution: o.solution });
  });
  return out;
}

const pct = (v: number | null | undefined): string => (typeof v === "number" && Number.isFinite(v) ? (100 * v).toFixed(1) : "–");

function printSummary(s: EvalSummary): void {
  const ci = (e: { low: number; high: number }): string => `[${pct(e.low)}, ${pct(e.high)}]`;
  console.log(`problems ${s.problems} × ${s.samplesPerProblem} samples`);
  console.log(`accuracy (pass@1)  ${pct(s.accuracy.value)}%  95% CI ${ci(s.accuracy)}`);
  for (const r of s.atK) {
    const parts = [`pass@${r.k} ${pct(r.passAtK.value)} ${ci(r.passAtK)}`, `maj@${r.k} ${pct(r.majAtK.value)} ${ci(r.majAtK)}`];
    if (r.rmAtK) parts.push(`rm@${r.k} ${pct(r.rmAtK.value)} ${ci(r.rmAtK)}`);
    console.log(`  ${parts.join("   ")}`);
  }
  if (s.tokens) console.log(`tokens: mean ${s.tokens.mean.toFixed(1)}, median ${s.tokens.median}`);
}

async function scoreMode(v: Record<string, unknown>): Promise<number> {
  const file = v.score as string;
  const out = (v.out as string | undefined) ?? join("runs", `score-${basename(file).replace(/\.jsonl$/, "")}`);
  const grader = verifierGrader();
  const fields = { ...QWEN_FIELDS };
  if (typeof v["question-field"] === "string") fields.question = v["question-field"];
  if (typeof v["answer-field"] === "string") fields.gold = v["answer-field"];
  const problems = readScoreFile(file, grader, fields);
  const bootstrap = { iterations: numberFlag(v.bootstrap as string | undefined, "bootstrap", 1000, true) };
  const s = scoreProblems(file, problems, grader, bootstrap);
  const samples = problems.flatMap((p) => p.samples.map((x, j) => JSON.stringify({
    problemId: p.id, sample: j, gold: p.gold, filePred: x.filePred, fileLabel: x.fileLabel, extracted: x.extracted, correct: x.correct, reward: x.rmScore,
  })));
  writeFileAtomicSync(join(out, "samples.jsonl"), samples.join("\n") + "\n");
  writeFileAtomicSync(join(out, "summary.json"), JSON.stringify(s, null, 2) + "\n");
  writeFileAtomicSync(join(out, "report.html"), renderReport({
    title: `Scoring ${basename(file)}`,
    summary: s.verifier,
    settings: [["file", file], ["problems", String(s.problems)], ["samples per problem", String(s.samplesPerProblem)], ["charts and summary", "our verifier's grading and grouping"]],
    tables: scoreTables(s),
    notes: scoreNotes(s),
  }));
  const n = s.samplesPerProblem;
  console.log(`${file}: ${s.problems} problems × ${n} completions`);
  console.log(`${"view".padEnd(40)} pass@1   maj@${n}   rm@${n}`);
  for (const h of s.headline) console.log(`${h.view.padEnd(40)} ${pct(h.passAt1).padStart(6)}  ${pct(h.majAtN).padStart(6)}  ${pct(h.rmAtN).padStart(6)}`);
  for (const line of scoreNotes(s)) console.log(line);
  console.log(`wrote ${join(out, "summary.json")}, ${join(out, "samples.jsonl")}, ${join(out, "report.html")}`);
  return 0;
}

function scoreTables(s: ScoreSummary): ReportTable[] {
  const n = s.samplesPerProblem;
  const tables: ReportTable[] = [{
    caption: "File labels vs our verifier",
    columns: ["view", "pass@1 %", `maj@${n} %`, `rm@${n} %`],
    rows: s.headline.map((h) => [h.view, pct(h.passAt1), pct(h.majAtN), pct(h.rmAtN)]),
  }];
  if (s.disagreements.length) {
    tables.push({
      caption: `Samples where the file's label and our verifier disagree (${s.disagreements.length}${s.disagreements.length > 100 ? ", first 100 shown" : ""})`,
      columns: ["problem", "sample", "gold", "file's pred", "file label", "our extracted", "ours"],
      rows: s.disagreements.slice(0, 100).map((d) => [d.problemId, d.sample, d.gold, d.filePred ?? "–", String(d.fileLabel), d.extracted ?? "–", String(d.correct)]),
    });
  }
  return tables;
}

function scoreNotes(s: ScoreSummary): string[] {
  const notes: string[] = [];
  const n = s.samplesPerProblem;
  if (s.groupingChanges.length) {
    notes.push(`Grouping votes by verified equivalence instead of exact string changes maj@${n} on ${s.groupingChanges.length} problem(s): ` +
      s.groupingChanges.map((g) => `${g.problemId} (${g.exactString} → ${g.verifierClusters})`).join(", ") + ".");
  } else if (s.labels) {
    notes.push(`Grouping votes by verified equivalence instead of exact string changes no maj@${n} outcome.`);
  }
  const fileTrue = s.disagreements.filter((d) => d.fileLabel).length;
  const fileFalse = s.disagreements.length - fileTrue;
  if (s.labels) notes.push(`Our verifier disagrees with the file's labels on ${s.disagreements.length} of ${s.problems * n} samples: ${fileFalse} the file marks wrong and we mark right, ${fileTrue} the file marks right and we mark wrong.`);
  return notes;
}

/** The file behind a --bench name (hashed into the manifest), or the argument itself when it is a file. */
function benchFile(bench: string, dataDir: string | undefined): string {
  try {
    return benchmarkPath(bench, dataDir);
  } catch {
    return bench;
  }
}

async function benchMode(v: Record<string, unknown>): Promise<number> {
  const bench = v.bench as string;
  const fields = {
    question: (v["question-field"] as string | undefined) ?? "question",
    answer: (v["answer-field"] as string | undefined) ?? "answer",
    ...(typeof v["id-field"] === "string" ? { id: v["id-field"] } : {}),
    ...(typeof v["domain-field"] === "string" ? { domain: v["domain-field"] } : {}),
    ...(typeof v["level-field"] === "string" ? { level: v["level-field"] } : {}),
  };
  let problems = await loadEvalProblems(bench, fields, v["data-dir"] as string | undefined);
  const limit = numberFlag(v.limit as string | undefined, "limit", 0, true);
  if (limit > 0) problems = problems.slice(0, limit);

  const local = typeof v.checkpoint === "string";
  const url = urlFlag(v.url);
  if (local && url !== undefined) throw new UsageError("give --checkpoint or --url, not both");
  const shard = typeof v.shard === "string" ? parseShard(v.shard) : undefined;
  const policy = longPromptPolicy(v["skip-long"] === true, v["truncate-long"] === true);
  if (!local && policy === "truncate") throw new UsageError("--truncate-long needs --checkpoint (it cuts prompts with the model's tokenizer); with a server, use --skip-long");
  let sampler: Sampler;
  let modelLabel: string;
  let promptDefault: PromptDefault;
  let engine: LocalEngine | undefined;
  if (local) {
    engine = (await openSampler({ checkpoint: v.checkpoint as string })).engine!;
    sampler = engine.sampler();
    modelLabel = `checkpoint ${v.checkpoint as string}`;
    promptDefault = LOCAL_PROMPT;
  } else {
    let cfg: ReturnType<typeof resolveOpenAIConfig>;
    try {
      cfg = resolveOpenAIConfig({ baseUrl: url, apiKey: v["api-key"] as string | undefined, model: v.model as string | undefined });
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (or pass --checkpoint DIR)`);
    }
    const concurrency = numberFlag(v.concurrency as string | undefined, "concurrency", 16, true);
    const urls = replicaUrls(cfg.baseUrl);
    sampler = await serverSampler({ ...cfg, concurrency, ...extraBodyOf(v["extra-body"] as string | undefined) }, "eval");
    modelLabel = `${urls.length > 1 ? "replicas" : cfg.baseUrl} ${cfg.model}`;
    promptDefault = await servedPromptDefault(cfg.baseUrl, cfg.model, cfg.apiKey);
  }
  const prompt: PromptOptions = promptFromFlags({
    ...(typeof v["prompt-format"] === "string" ? { format: v["prompt-format"] } : {}),
    ...(typeof v.system === "string" ? { system: v.system } : {}),
    ...(typeof v.template === "string" ? { template: v.template } : {}),
    ...(typeof v.instruction === "string" ? { instruction: v.instruction } : {}),
    ...(typeof v["few-shot"] === "string" ? { fewShot: readFewShot(v["few-shot"]) } : {}),
  }, promptDefault);
  const long: { count: LongPromptCount; skip: Set<string>; truncated: Set<string> } = { count: newLongPromptCount(policy, engine?.contextLength ?? null), skip: new Set(), truncated: new Set() };
  if (engine) {
    // Every prompt checked before the first is sampled: too long ones stop the run in one line, or are skipped or
    // cut when asked (infer/context.ts), counted in the summary and the manifest.
    const tooLong = checkPromptLengths(engine, problems.map((p) => ({ id: p.id, prompts: [buildPrompt(p.question, prompt)] })), long.count);
    if (policy === "skip") long.skip = tooLong;
    if (policy === "truncate") long.truncated = tooLong;
    if (policy === "truncate" && tooLong.size) sampler = truncatingSampler(engine, engine.tokenizer.bos);
  }
  const rewardModel = typeof v["reward-model"] === "string" ? await openRewardModel(v["reward-model"]) : undefined;
  const k = numberFlag(v.k as string | undefined, "k", 8, true);
  const maxTokens = numberFlag(v["max-tokens"] as string | undefined, "max-tokens", 4096, true);
  const out = (v.out as string | undefined) ?? join("runs", `eval-${basename(bench).replace(/\.(jsonl(\.gz)?|parquet)$/, "")}`);
  const ks = intList(v.ks as string | undefined, "ks");
  const tokenLimits = intList(v["token-limits"] as string | undefined, "token-limits");
  const sampling = {
    k,
    temperature: numberFlag(v.temperature as string | undefined, "temperature", 0.6),
    topP: numberFlag(v["top-p"] as string | undefined, "top-p", 0.95),
    maxTokens,
    seed: numberFlag(v.seed as string | undefined, "seed", 0, true),
    ...(Array.isArray(v.stop) ? { stop: v.stop as string[] } : {}),
  };
  noteOutput({ output: out, kind: "dir", options: { ...v, bench, model: modelLabel, problems: problems.length, sampling, prompt, longPrompts: long.count }, seeds: { sampling: sampling.seed },
    inputs: [benchFile(bench, v["data-dir"] as string | undefined), ...(typeof v.checkpoint === "string" ? [join(v.checkpoint, "model.safetensors"), join(v.checkpoint, "config.json")] : [])] });
  const result = await runEval({
    bench,
    model: modelLabel,
    problems,
    sampler,
    ...(rewardModel ? { rewardModel } : {}),
    grader: verifierGrader(),
    prompt,
    sampling,
    outDir: out,
    batchProblems: numberFlag(v.batch as string | undefined, "batch", 16, true),
    summary: { ...(ks ? { ks } : {}), ...(tokenLimits ? { tokenLimits } : {}), bootstrap: { iterations: numberFlag(v.bootstrap as string | undefined, "bootstrap", 1000, true) } },
    progress: { silent: v.quiet === true },
    ...(shard ? { shard } : {}),
    longPrompts: long,
  });
  writeFileAtomicSync(join(out, "report.html"), renderReport({ title: `trimer eval: ${bench}`, summary: result.summary, settings: runSettings(result.summary) }));
  console.log(`${bench}: sampled ${result.sampled}, reused ${result.reused}${result.tornTail ? " (a torn last line from an interrupted run was dropped)" : ""}`);
  printSummary(result.summary);
  const lp = result.summary.longPrompts;
  if (lp?.skipped) console.log(`skipped ${lp.skipped} problem(s) whose prompt is longer than the model's context${lp.context ? ` (${lp.context} tokens)` : ""}; the figures leave them out`);
  if (lp?.truncated) console.log(`cut ${lp.truncated} prompt(s) longer than the model's context (${lp.context} tokens) from the left`);
  if (shard) console.log(`shard ${v.shard as string}: when every shard is done, \`trimer merge --out DIR SHARD_DIR...\` gives the whole run`);
  console.log(`wrote ${join(out, "samples.jsonl")}, ${join(out, "summary.json")}, ${join(out, "report.html")}`);
  return 0;
}

export function runSettings(s: EvalRunSummary): [string, string][] {
  return [
    ["benchmark", s.bench],
    ["model", s.model],
    ["samples per problem (k)", String(s.sampling.k)],
    ["temperature / top-p", `${s.sampling.temperature} / ${s.sampling.topP}`],
    ["max tokens", String(s.sampling.maxTokens)],
    ["seed", String(s.sampling.seed)],
    ["prompt", `${s.prompt.format}; template ${JSON.stringify(s.prompt.template)}; ${s.prompt.fewShot.length} few-shot`],
  ];
}

const command: CommandModule = {
  summary: "evaluate a model on a benchmark (accuracy, pass@k, maj@k, rm@k, tokens, HTML report), or score given completions",
  async main(argv) {
    const parsed = parseFlags(argv, OPTIONS, USAGE, false, { aliases: FORMAT_IS_PROMPT_FORMAT });
    if (!parsed) return 0;
    const v = parsed.values as Record<string, unknown>;
    if (typeof v.score === "string" && typeof v.bench === "string") throw new UsageError("give either --bench (sample and grade) or --score (grade given completions), not both");
    if (typeof v.score === "string") return scoreMode(v);
    if (typeof v.bench === "string") return benchMode(v);
    throw new UsageError(`--bench or --score is required\n\n${USAGE}`);
  },
};

export const { summary, main } = command;
export default command;

// `trimer generate`: teacher traces (Nemotron-Math) in high / medium / low reasoning modes, each with and without
// tool-integrated reasoning, rejection-sampled against the verifier, balanced across modes, resumable per problem.
//
//   trimer generate --bench gsm8k --url http://localhost:8000/v1 --model gpt-oss --modes high,medium,low --tir both \
//     --k 2 --max-attempts 8 --out runs/traces.jsonl
//   trimer generate --synth 100 --checkpoint runs/tiny/teacher --tool-syntax compact --out runs/tiny/traces.jsonl
import type { Sampler } from "../engine/types.js";
import type { ClosableSampler } from "./replicas.js";
import type { Problem } from "../data/records.js";
import { REASONING_MODES, isReasoningMode, modePrompt, type ReasoningMode } from "../generate/prompts.js";
import { bucketKey, toolSyntax, type Usage } from "../generate/job.js";
import { estimateCost, generateTraceFile } from "../generate/file.js";
import { progress } from "../util/progress.js";
import { InputError, UsageError } from "../util/errors.js";
import { inShard, parseShard } from "../util/shard.js";
import { longPromptPolicy, newLongPromptCount, type LongPromptCount } from "../infer/context.js";
import { extraBodyOf, numberFlag, parseFlags, type CommandModule } from "./command.js";
import { benchFile, loadBenchProblems } from "./bench.js";
import { BENCH_FLAGS, BENCH_HELP, CHECKPOINT_FLAGS, FORMAT_IS_PROMPT_FORMAT, IN_IS_BENCH, PROMPT_FLAGS, SERVER_FLAGS, SERVER_HELP, urlFlag } from "./vocab.js";

const USAGE = `usage: trimer generate (--bench NAME|FILE | --synth N) (--checkpoint DIR | --url URL --model NAME) --out FILE.jsonl [options]

problems:
${BENCH_HELP}
  --synth N             N synthetic problems instead (--synth-seed S, default 1)
teacher (one of):
  --checkpoint DIR      a trimer checkpoint (embedded engine; use --prompt-format completion)
${SERVER_HELP}
  --reasoning-effort    also send reasoning_effort = the mode (gpt-oss, o-series); servers that reject it: leave off
  --skip-long           skip problems whose prompt is longer than the model's context (counted in FILE.stats.json;
                        by default the job stops up front, naming how many); --truncate-long cuts them from the left
  --prompt-format chat|completion   prompt style (default completion; chat continues TIR traces with vLLM's
                        continue_final_message)
  --cache DIR           response cache of the server sampler (default <out>.cache; "none" for no cache)
traces:
  --modes high,medium,low   (default all three)
  --tir both|on|off     with / without tool-integrated reasoning (default both)
  --k N                 correct traces wanted per problem, mode and variant (default 2)
  --max-attempts N      attempts at most per problem, mode and variant (default 8)
  --max-tokens N        new tokens per trace, all TIR calls together (default 4096)
  --temperature T (default 0.7)  --top-p P  --seed S (default 0)  --stop STR (repeatable)
  --balance per-problem|off   keep as many correct traces in every mode as the weakest mode (default per-problem)
  --drop-incorrect      do not keep incorrect traces (kept by default, labelled correct: false)
tools:
  --tool-syntax markdown|compact   \`\`\`python blocks (default) or the miniature's py:…>…;
  --max-tool-calls N (default 8)  --max-output-chars N (default 2000)  --sandbox-timeout MS (default 10000)
  --sandbox-workers N (default 2)  --sandbox process|pyodide (default: process — CPython with sympy and numpy
                        under bubblewrap — where available, else pyodide)
job:
  --out FILE.jsonl      traces; FILE.done (finished problems) and FILE.stats.json beside it
  --resume              continue a job (finished problems are skipped, a half-written one is redone)
  --concurrency N       problems in flight (default 8); requests in flight: --requests N (default 16)
  --price-in P --price-out P   price per million prompt / completion tokens, for the cost estimate
  --quiet
scale-out:
  --shard I/N           generate for part I of N of the problems (problem at position p goes to shard p mod N + 1);
                        then \`trimer merge --out FILE.jsonl PART.jsonl...\` gives the single job's file
Old spellings still accepted, with a notice: --in (--bench), --base-url (--url), --format (--prompt-format).`;

const OPTIONS = {
  ...BENCH_FLAGS,
  synth: { type: "string" },
  "synth-seed": { type: "string" },
  ...SERVER_FLAGS,
  "reasoning-effort": { type: "boolean" },
  ...CHECKPOINT_FLAGS,
  "prompt-format": PROMPT_FLAGS["prompt-format"],
  cache: { type: "string" },
  modes: { type: "string" },
  tir: { type: "string" },
  k: { type: "string" },
  "max-attempts": { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "top-p": { type: "string" },
  seed: { type: "string" },
  stop: { type: "string", multiple: true },
  balance: { type: "string" },
  "drop-incorrect": { type: "boolean" },
  "tool-syntax": { type: "string" },
  "max-tool-calls": { type: "string" },
  "max-output-chars": { type: "string" },
  "sandbox-timeout": { type: "string" },
  "sandbox-workers": { type: "string" },
  sandbox: { type: "string" },
  out: { type: "string" },
  resume: { type: "boolean" },
  concurrency: { type: "string" },
  requests: { type: "string" },
  "price-in": { type: "string" },
  "price-out": { type: "string" },
  quiet: { type: "boolean" },
  shard: { type: "string" },
  "skip-long": { type: "boolean" },
  "truncate-long": { type: "boolean" },
} as const;

async function loadProblems(v: { "question-field"?: string; "answer-field"?: string; bench?: string; synth?: string; "synth-seed"?: string; "data-dir"?: string; limit?: string }): Promise<Problem[]> {
  const sources = [v.bench, v.synth].filter((x) => x !== undefined);
  if (sources.length !== 1) throw new UsageError(`give exactly one of --bench, --synth\n\n${USAGE}`);
  let problems: Problem[];
  if (v.bench !== undefined) {
    problems = await loadBenchProblems(v.bench, { dataDir: v["data-dir"], questionField: v["question-field"], answerField: v["answer-field"] });
  } else {
    const n = numberFlag(v.synth, "synth", 0, true);
    if (n < 1) throw new UsageError("--synth must be at least 1");
    const seed = numberFlag(v["synth-seed"], "synth-seed", 1, true);
    const { generate } = await import("../data/synth/index.js");
    problems = Array.from({ length: n }, (_, i) => {
      const { solutions: _s, ...p } = generate(seed, i, { modes: [] });
      return p;
    });
  }
  if (v.limit !== undefined) problems = problems.slice(0, numberFlag(v.limit, "limit", 0, true));
  if (problems.length === 0) throw new InputError("no problems to generate traces for");
  return problems;
}

function parseModes(s: string | undefined): ReasoningMode[] {
  if (s === undefined) return [...REASONING_MODES];
  const modes = s.split(",").map((x) => x.trim()).filter(Boolean);
  for (const m of modes) if (!isReasoningMode(m)) throw new UsageError(`--modes: unknown mode "${m}" (high, medium, low)`);
  if (modes.length === 0) throw new UsageError("--modes is empty");
  return [...new Set(modes)] as ReasoningMode[];
}

function parseTir(s: string | undefined): boolean[] {
  switch (s ?? "both") {
    case "both": return [false, true];
    case "on": return [true];
    case "off": return [false];
    default: throw new UsageError(`--tir must be both, on or off, got "${s}"`);
  }
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function usageTable(usage: Usage, modes: readonly ReasoningMode[], tirs: readonly boolean[]): string[] {
  const lines = [`${"bucket".padEnd(12)} ${"attempts".padStart(8)} ${"correct".padStart(8)} ${"kept".padStart(6)} ${"balanced".padStart(8)} ${"tok in".padStart(12)} ${"tok out".padStart(12)} ${"out/try".padStart(8)} ${"tools".padStart(6)} ${"sandbox".padStart(8)}`];
  for (const tir of tirs) for (const m of modes) {
    const b = usage[bucketKey(m, tir)];
    if (!b) continue;
    const rate = b.attempts ? `${((100 * b.correct) / b.attempts).toFixed(0)}%` : "–";
    lines.push(`${bucketKey(m, tir).padEnd(12)} ${String(b.attempts).padStart(8)} ${rate.padStart(8)} ${String(b.kept).padStart(6)} ${String(-b.droppedForBalance).padStart(8)} ${fmtInt(b.promptTokens).padStart(12)} ${fmtInt(b.completionTokens).padStart(12)} ${(b.attempts ? (b.completionTokens / b.attempts).toFixed(0) : "–").padStart(8)} ${String(b.toolCalls).padStart(6)} ${`${(b.sandboxMs / 1000).toFixed(1)}s`.padStart(8)}`);
  }
  return lines;
}

export const summary = "teacher traces in high/medium/low modes, with and without tool-integrated reasoning (rejection-sampled, resumable)";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, OPTIONS, USAGE, false, { aliases: { ...IN_IS_BENCH, ...FORMAT_IS_PROMPT_FORMAT } });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.out) throw new UsageError(`--out is required\n\n${USAGE}`);
  const out = v.out;
  const modes = parseModes(v.modes);
  const tirs = parseTir(v.tir);
  const format = v["prompt-format"] ?? "completion";
  if (format !== "chat" && format !== "completion") throw new UsageError(`--prompt-format must be chat or completion, got "${format}"`);
  const balance = v.balance ?? "per-problem";
  if (balance !== "per-problem" && balance !== "off") throw new UsageError(`--balance must be per-problem or off, got "${balance}"`);
  let syntax;
  try { syntax = toolSyntax(v["tool-syntax"] ?? "markdown"); } catch (e) { throw new UsageError(`--tool-syntax: ${(e as Error).message}`); }
  const k = numberFlag(v.k, "k", 2, true);
  const maxAttempts = numberFlag(v["max-attempts"], "max-attempts", 8, true);
  if (k < 1) throw new UsageError("--k must be at least 1");
  if (maxAttempts < k) throw new UsageError(`--max-attempts (${maxAttempts}) must be at least --k (${k})`);
  const maxTokens = numberFlag(v["max-tokens"], "max-tokens", 4096, true);
  if (maxTokens < 1) throw new UsageError("--max-tokens must be at least 1");
  const concurrency = numberFlag(v.concurrency, "concurrency", 8, true);
  const requests = numberFlag(v.requests, "requests", 16, true);
  if (concurrency < 1 || requests < 1) throw new UsageError("--concurrency and --requests must be at least 1");
  const priceIn = numberFlag(v["price-in"], "price-in", 0);
  const priceOut = numberFlag(v["price-out"], "price-out", 0);
  const shard = v.shard !== undefined ? parseShard(v.shard) : undefined;
  const policy = longPromptPolicy(v["skip-long"], v["truncate-long"]);
  const longCount = newLongPromptCount(policy, null); // filled in as prompts are found too long; in the manifest

  const problems = await loadProblems(v);
  const { noteOutput } = await import("../util/manifest.js");
  noteOutput({
    output: out, kind: "file",
    options: { ...v, modes, tir: tirs, format, balance, k, maxAttempts, maxTokens, concurrency, requests, problems: problems.length,
      temperature: numberFlag(v.temperature, "temperature", 0.7), seed: numberFlag(v.seed, "seed", 0, true), longPrompts: longCount },
    seeds: { sampling: numberFlag(v.seed, "seed", 0, true), ...(v.synth !== undefined ? { synth: numberFlag(v["synth-seed"], "synth-seed", 1, true) } : {}) },
    inputs: [v.bench !== undefined ? benchFile(v.bench, v["data-dir"]) : undefined, v.checkpoint ? `${v.checkpoint}/model.safetensors` : undefined].filter((x): x is string => typeof x === "string"),
  });

  // The teacher.
  let sampler: Sampler;
  let samplerFor: ((m: ReasoningMode) => Sampler) | undefined;
  let continueSamplerFor: ((m: ReasoningMode) => Sampler) | undefined;
  const remotes: ClosableSampler[] = [];
  const long: { count: LongPromptCount; skip: Set<string> } = { count: longCount, skip: new Set() };
  if (v.checkpoint !== undefined) {
    if (v.url ?? v.model) throw new UsageError("give either --checkpoint or --url/--model, not both");
    if (format === "chat" && tirs.includes(true)) throw new UsageError("the embedded engine cannot continue a chat message: use --prompt-format completion with --checkpoint and TIR");
    const { LocalEngine } = await import("../engine/local.js");
    const engine = await LocalEngine.load(v.checkpoint);
    // Every problem's prompts (one per mode and variant) checked before the first is sampled (infer/context.ts).
    const { checkPromptLengths, truncatingSampler } = await import("../infer/context.js");
    const build = modePrompt(format);
    longCount.context = engine.contextLength;
    const tooLong = checkPromptLengths(engine, problems.map((p) => ({ id: p.id, prompts: tirs.flatMap((tir) => modes.map((m) => build(p, m, tir))) })), longCount);
    if (policy === "skip") long.skip = tooLong;
    sampler = policy === "truncate" && tooLong.size ? truncatingSampler(engine, engine.tokenizer.bos) : engine.sampler();
  } else {
    if (policy === "truncate") throw new UsageError("--truncate-long needs --checkpoint (it cuts prompts with the model's tokenizer); with a server, use --skip-long");
    const { resolveOpenAIConfig } = await import("../engine/openai.js");
    const url = urlFlag(v.url);
    let cfg;
    try {
      cfg = resolveOpenAIConfig({ baseUrl: url, apiKey: v["api-key"], model: v.model });
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (or pass --checkpoint DIR)`);
    }
    // One server or several replicas of the teacher (--url a,b,c): requests spread, a failed replica rested.
    const { liveReplicas, samplerOver } = await import("./replicas.js");
    const urls = await liveReplicas(cfg, "generate");
    const cacheDir = v.cache === "none" ? undefined : v.cache ?? `${out}.cache`;
    const extra = extraBodyOf(v["extra-body"]).extraBody ?? {};
    const make = (mode: ReasoningMode | undefined, continuation: boolean): ClosableSampler => {
      const body = { ...extra, ...(continuation ? { continue_final_message: true, add_generation_prompt: false } : {}) };
      const s = samplerOver(urls, {
        ...cfg,
        concurrency: requests,
        ...(cacheDir ? { cacheDir } : {}),
        ...(mode && v["reasoning-effort"] ? { reasoningEffort: mode } : {}),
        ...(Object.keys(body).length ? { extraBody: body } : {}),
      }, "generate");
      remotes.push(s);
      return s;
    };
    sampler = make(undefined, false);
    if (v["reasoning-effort"]) {
      const per = new Map(modes.map((m) => [m, make(m, false)] as const));
      samplerFor = (m) => per.get(m)!;
    }
    if (format === "chat" && tirs.includes(true)) {
      const per = new Map(modes.map((m) => [m, make(m, true)] as const));
      continueSamplerFor = (m) => per.get(m)!;
    }
  }

  const { openSandbox, parseBackend } = await import("../sandbox/choose.js");
  const backend = parseBackend(v.sandbox); // checked even when no TIR variant needs it
  let sandbox: import("../sandbox/types.js").CodeSandbox | undefined;
  if (tirs.includes(true)) {
    const opened = await openSandbox(backend, {
      workers: numberFlag(v["sandbox-workers"], "sandbox-workers", 2, true),
      timeoutMs: numberFlag(v["sandbox-timeout"], "sandbox-timeout", 10_000, true),
    });
    sandbox = opened.sandbox;
    if (opened.fallbackReason) console.error(`generate: using the Pyodide sandbox: the process backend is unavailable (${opened.fallbackReason})`);
    if (!v.quiet) console.error(`generate: sandbox: ${sandbox.describe()}`);
  }

  const bar = progress("generate", shard ? problems.filter((_, i) => inShard(i, shard)).length : problems.length, { silent: v.quiet ?? false });
  try {
    const result = await generateTraceFile(sampler, problems, {
      out, resume: v.resume ?? false, ...(shard ? { shard } : {}), longPrompts: long, modes, tir: tirs, k, maxAttempts, maxTokens,
      temperature: numberFlag(v.temperature, "temperature", 0.7),
      ...(v["top-p"] !== undefined ? { topP: numberFlag(v["top-p"], "top-p", 1) } : {}),
      seed: numberFlag(v.seed, "seed", 0, true),
      concurrency, balance, keepIncorrect: !v["drop-incorrect"],
      prompt: modePrompt(format),
      ...(samplerFor ? { samplerFor } : {}),
      ...(continueSamplerFor ? { continueSamplerFor } : {}),
      ...(sandbox ? { sandbox } : {}),
      syntax,
      maxToolCalls: numberFlag(v["max-tool-calls"], "max-tool-calls", 8, true),
      maxOutputChars: numberFlag(v["max-output-chars"], "max-output-chars", 2000, true),
      ...(v.stop?.length ? { stop: v.stop } : {}),
      onProblem: (_r, t) => {
        let tin = 0, tout = 0;
        for (const b of Object.values(t.usage)) { tin += b.promptTokens; tout += b.completionTokens; }
        bar.update(t.problems, `${t.records} traces, ${fmtInt(tin)} tok in, ${fmtInt(tout)} tok out`);
      },
    });
    bar.done();
    if (!v.quiet) {
      if (result.skipped) console.log(`resumed: ${result.skipped} problems were already done${result.droppedBytes ? `, ${result.droppedBytes} bytes of an unfinished problem dropped` : ""}`);
      console.log(`${result.problems} problems (${result.generated} generated now), ${result.records} traces in ${out}`);
      const lp = result.longPrompts;
      if (lp?.skipped) console.log(`skipped ${lp.skipped} problem(s) whose prompt is longer than the model's context${lp.context ? ` (${lp.context} tokens)` : ""}`);
      if (lp?.truncated) console.log(`cut the prompts of ${lp.truncated} problem(s) longer than the model's context (${lp.context} tokens) from the left`);
      for (const line of usageTable(result.usage, modes, tirs)) console.log(line);
      let unknown = 0;
      for (const b of Object.values(result.usage)) unknown += b.promptTokensUnknown;
      if (unknown) console.log(`note: ${unknown} calls did not report prompt tokens; "tok in" leaves them out`);
      if (priceIn || priceOut) console.log(`estimated cost: ${estimateCost(result.usage, priceIn, priceOut).toFixed(4)} (at ${priceIn} in / ${priceOut} out per million tokens)`);
    }
  } finally {
    bar.done();
    await sandbox?.close();
    for (const r of remotes) r.close();
  }
  return 0;
}

const mod: CommandModule = { summary, main };
export default mod;

// `trimer curate`: data curation steps over JSONL / Parquet, each writing its output and a JSON report.
//   trimer curate near-dedupe --in data.jsonl --out dedup.jsonl --threshold 0.8
//   trimer curate pipeline --config steps.json --in raw.jsonl --out curated.jsonl
import type { ParseArgsConfig } from "node:util";
import { readFileSync } from "node:fs";
import { extraBodyOf, parseFlags, numberFlag, type CommandModule } from "./command.js";
import { UsageError } from "../util/errors.js";
import { progress } from "../util/progress.js";
import type { Prompt, Sampler } from "../engine/types.js";
import { countLongPrompts, guardedSampler, longPromptPolicy, newLongPromptCount, serverOverflowHandler, type LongPromptCount } from "../infer/context.js";
import { STEP_SCHEMAS, validateSpec, type StepSpec } from "../data/curate/steps.js";
import { readPipelineConfig, runPipeline, runStep } from "../data/curate/pipeline.js";
import { writeFileAtomic } from "../util/atomic.js";
import { dropWarnings, totalFailure, DEFAULT_MAX_DROP_SHARE } from "../data/curate/health.js";
import type { StepResult } from "../data/curate/pipeline.js";
import { noteOutput } from "../util/manifest.js";
import { CHECKPOINT_FLAGS, SERVER_FLAGS, SERVER_HELP, urlFlag } from "./vocab.js";

const CURATE_ALIASES = { "cache-dir": { to: "cache" } } as const;
import { parseShard } from "../util/shard.js";
import { SHARDABLE_STEPS } from "../data/curate/shard.js";

/** The seeds a step's options carry (near-dedupe's hash seed, mix's sampling seed …), for the manifest. */
function seedsOf(spec: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(spec)) if (/seed/i.test(k) && typeof x === "number") out[k] = x;
  return out;
}

export const summary = "curate problem data: normalise, dedupe, near-dedupe, decontaminate, filter, label, mix, pass-rate, judge";

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const MODEL_FLAGS = `model (pass-rate, judge, domain --method llm), one of:
  --checkpoint DIR      a trimer checkpoint, run in-process
${SERVER_HELP}
  --concurrency N       requests in flight (default 16); --cache DIR response cache; --reasoning-effort low|medium|high
  --skip-long           prompts longer than the model's context get no completions, counted (pass-rate: the record
                        is kept unrated; judge: the verdict is unknown); by default the step stops in one line —
                        with --checkpoint up front (pass-rate, judge), naming how many; over HTTP at the server's
                        refusal. --truncate-long (--checkpoint) cuts them from the left instead (counted)

A step that drops more than --max-drop-share of its input (default ${DEFAULT_MAX_DROP_SHARE}) prints a WARNING with the reasons;
a model step whose every problem got no completion exits 1 with the first error.`;

function usage(): string {
  const steps = Object.entries(STEP_SCHEMAS).map(([name, s]) => {
    const opts = Object.entries(s.options).map(([k, o]) => `      --${kebab(k)}${o.type === "boolean" ? "" : " " + o.type.toUpperCase()}`.padEnd(34) + o.help);
    return [`  ${name.padEnd(14)} ${s.summary}`, ...opts].join("\n");
  });
  return `usage: trimer curate <step> --in FILE [--in FILE ...] --out FILE [--report FILE.json] [options]
       trimer curate pipeline --config steps.json --in FILE --out FILE [--work-dir DIR] [--report FILE.json]

Files are .jsonl or .parquet; records keep every field, results go under meta (passRate, judge, domainLabel, …).
The report defaults to OUT.report.json. A pipeline writes each step's output and report to --work-dir
(default OUT.steps/) and, when rerun, skips the steps already done; pass-rate resumes per problem.
Pipeline config: {"steps": [{"step": "normalize"}, {"step": "near-dedupe", "threshold": 0.8}, …]}
(option names as below in camelCase).

steps:
${steps.join("\n")}

${MODEL_FLAGS}
  --quiet               no progress lines

scale-out (pass-rate, judge):
  --shard I/N           rate part I of N of the records (blocks of --batch-size records by position over the
                        inputs: block b goes to shard b mod N + 1); \`trimer merge --out FILE PART...\` puts the
                        parts' records back in input order and sums their reports
Old spellings still accepted, with a notice: --base-url (--url), --cache-dir (--cache).`;
}

const COMMON = {
  in: { type: "string", multiple: true },
  out: { type: "string" },
  report: { type: "string" },
  ...SERVER_FLAGS,
  ...CHECKPOINT_FLAGS,
  concurrency: { type: "string" },
  cache: { type: "string" },
  "reasoning-effort": { type: "string" },
  "max-drop-share": { type: "string" },
  "skip-long": { type: "boolean" },
  "truncate-long": { type: "boolean" },
  shard: { type: "string" },
  quiet: { type: "boolean" },
} as const;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The sampler's first refused request, for the message when a whole step got nothing. */
function firstFailure(s: Sampler | undefined): string | undefined {
  const f = (s as { failures?: { message: string }[] } | undefined)?.failures?.[0];
  return f?.message;
}

/** Prints the loud warnings; returns the exit code (1 when a model step failed for every problem). */
function checkHealth(results: readonly StepResult[], v: Values, sampler: Sampler | undefined): number {
  const share = numberFlag(v["max-drop-share"] as string | undefined, "max-drop-share", DEFAULT_MAX_DROP_SHARE);
  if (share < 0 || share > 1) throw new UsageError(`--max-drop-share must be between 0 and 1, got ${share}`);
  for (const w of dropWarnings(results, share)) process.stderr.write(`trimer curate: ${w}\n`);
  for (const r of results) {
    const why = totalFailure(r, firstFailure(sampler));
    if (why) {
      process.stderr.write(`trimer curate: ${why} — check the server (--url with /v1, --model, --api-key) or --checkpoint; the output kept the records unrated\n`);
      return 1;
    }
  }
  return 0;
}

/** How a checkpoint's sampler treats prompts longer than its context (pass-rate: checked up front, counted). */
type LongGuard = (engine: import("../engine/local.js").LocalEngine) => Promise<Sampler>;

/**
 * The step's sampler, made on first use. Prompts longer than the context: on a checkpoint the guard checks them up
 * front; over HTTP the server's refusal of one (isContextOverflow) stops the step in one line, or under --skip-long
 * leaves that problem without completions, counted in `long`. Any other refusal of one prompt gives it no
 * completions (a long job must not sink on one bad prompt; the health check reports a step that got nothing).
 */
function samplerFactory(v: Values, long: LongPromptCount, guard?: LongGuard): (() => Promise<Sampler>) & { made?: Sampler } {
  let made: Promise<Sampler> | null = null;
  const make = (): Promise<Sampler> => {
    made ??= (async () => {
      if (typeof v.checkpoint === "string") {
        const { LocalEngine } = await import("../engine/local.js");
        const { TolerantSampler } = await import("../data/curate/tolerant.js");
        const quiet = v.quiet === true;
        const engine = await LocalEngine.load(v.checkpoint);
        return new TolerantSampler(guard ? await guard(engine) : engine.sampler(), (m) => { if (!quiet) process.stderr.write(`curate: a prompt got no completions: ${m}\n`); });
      }
      if (v["truncate-long"] === true) throw new UsageError("--truncate-long needs --checkpoint (it cuts prompts with the model's tokenizer); with a server, use --skip-long");
      const { resolveOpenAIConfig } = await import("../engine/openai.js");
      const url = urlFlag(v.url);
      let cfg: { baseUrl: string; apiKey?: string; model: string };
      try {
        cfg = resolveOpenAIConfig({ baseUrl: url, apiKey: v["api-key"] as string | undefined, model: v.model as string | undefined });
      } catch (e) {
        throw new UsageError(`this step needs a model: ${(e as Error).message}; or pass --checkpoint DIR`);
      }
      const { serverSampler, replicaUrls } = await import("./replicas.js");
      const base = {
        ...cfg,
        concurrency: numberFlag(v.concurrency as string | undefined, "concurrency", 16, true),
        ...(typeof v.cache === "string" ? { cacheDir: v.cache } : {}),
        ...(typeof v["reasoning-effort"] === "string" ? { reasoningEffort: v["reasoning-effort"] } : {}),
        ...extraBodyOf(v["extra-body"] as string | undefined),
      };
      const overflow = serverOverflowHandler(long);
      if (replicaUrls(cfg.baseUrl).length > 1) {
        // Several replicas: a prompt every replica refuses gets no completions (counted), as with one server.
        const { TolerantSampler } = await import("../data/curate/tolerant.js");
        return new TolerantSampler(await serverSampler(base, "curate"), undefined, overflow);
      }
      return serverSampler({ ...base, onPromptError: (e, p) => { overflow(e, p); return "empty"; } }, "curate");
    })();
    void made.then((s) => { factory.made = s; }, () => undefined);
    return made;
  };
  const factory = make as typeof make & { made?: Sampler };
  return factory;
}

/**
 * pass-rate or judge on a checkpoint: every prompt is checked before the first is sampled — by default too long ones
 * stop the step in one line; --skip-long leaves them without completions (pass-rate: the record unrated; judge: the
 * verdict unknown, "no completion"), --truncate-long cuts them (infer/context.ts), counted in `long`.
 */
function longGuard(step: string, inputs: readonly string[], long: LongPromptCount, spec: StepSpec): LongGuard | undefined {
  if (step !== "pass-rate" && step !== "judge") return undefined;
  return async (engine) => {
    const { readRecords } = await import("../data/curate/io.js");
    const { lowModePrompt } = await import("../data/curate/passrate.js");
    const { judgePromptsOf } = await import("../data/curate/judge.js");
    const { textField } = await import("../data/curate/record.js");
    const solutionField = typeof spec.solutionField === "string" ? spec.solutionField : undefined;
    async function* prompts(): AsyncGenerator<Prompt> {
      for (const f of inputs) {
        for await (const rec of readRecords(f)) {
          if (step === "pass-rate") yield [{ role: "user", content: lowModePrompt(textField(rec, "question")) }];
          else for (const content of judgePromptsOf(rec, solutionField ? { solutionField } : {})) yield [{ role: "user", content }];
        }
      }
    }
    long.context = engine.contextLength;
    const { over } = await countLongPrompts(engine, prompts(), long.policy);
    if (!over || long.policy === "fail") return engine.sampler();
    return guardedSampler(engine, long.policy, () => {
      if (long.policy === "truncate") long.truncated++;
      else long.skipped++;
    }, engine.tokenizer.bos);
  };
}

/** What happened to the prompts longer than the context, in one line (the step's and the pipeline's summary). */
function longLine(step: string, long: LongPromptCount): string {
  const ctx = long.context === null ? "the model's context" : `the model's context (${long.context} tokens)`;
  if (long.truncated) return `${long.truncated} prompt(s) longer than ${ctx} were cut from the left`;
  if (step === "pass-rate") return `${long.skipped} problem(s) whose prompt is longer than ${ctx} were not sampled: kept unrated (meta.passRate null)`;
  if (step === "judge") return `${long.skipped} solution(s) whose judge prompt is longer than ${ctx} got no verdict (unknown, "no completion")`;
  return `${long.skipped} prompt(s) longer than ${ctx} got no completion`;
}

function requireIo(v: Values): { inputs: string[]; out: string } {
  const inputs = (v.in as string[] | undefined) ?? [];
  if (inputs.length === 0) throw new UsageError(`--in FILE is required\n\n${usage()}`);
  if (typeof v.out !== "string") throw new UsageError(`--out FILE is required\n\n${usage()}`);
  return { inputs, out: v.out };
}

/** Step flags (kebab-case, as strings) → a spec checked like a config file's. */
function specFromFlags(step: string, v: Values): StepSpec {
  const schema = STEP_SCHEMAS[step]!;
  const raw: Record<string, unknown> = { step };
  for (const [key, opt] of Object.entries(schema.options)) {
    const val = v[kebab(key)];
    if (val === undefined) continue;
    if (opt.type === "boolean") raw[key] = val === true;
    else if (opt.type === "number" || opt.type === "integer") raw[key] = numberFlag(val as string, kebab(key), 0, opt.type === "integer");
    else raw[key] = val;
  }
  try {
    return validateSpec(raw, `curate ${step}`);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/option "([^"]+)"/, (_m, k: string) => `--${kebab(k)}`));
  }
}

export async function main(argv: string[]): Promise<number> {
  const [step, ...rest] = argv;
  if (!step || step === "--help" || step === "-h" || step === "help") {
    console.log(usage());
    return step ? 0 : 2;
  }
  const log = (quiet: boolean) => (line: string): void => { if (!quiet) process.stderr.write(`curate: ${line}\n`); };

  if (step === "pipeline") {
    const parsed = parseFlags(rest, { ...COMMON, config: { type: "string" }, "work-dir": { type: "string" } } satisfies NonNullable<ParseArgsConfig["options"]>, usage(), false, { aliases: CURATE_ALIASES });
    if (!parsed) return 0;
    const v = parsed.values as Values;
    const { inputs, out } = requireIo(v);
    if (v.shard !== undefined) throw new UsageError("--shard applies to one step (curate pass-rate or judge), not to a pipeline — run that step sharded on its own");
    if (typeof v.config !== "string") throw new UsageError(`--config steps.json is required\n\n${usage()}`);
    const specs = readPipelineConfig(v.config);
    const long = newLongPromptCount(longPromptPolicy(v["skip-long"] === true, v["truncate-long"] === true), null);
    const sampler = samplerFactory(v, long);
    noteOutput({ output: out, kind: "file", options: { ...v, steps: specs }, inputs: [...inputs, v.config] });
    const report = await runPipeline({
      specs, inputs, output: out, ...(typeof v["work-dir"] === "string" ? { workDir: v["work-dir"] } : {}),
      ctx: { sampler }, log: log(v.quiet === true),
    });
    const reportPath = typeof v.report === "string" ? v.report : `${out}.report.json`;
    await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const first = report.steps[0], last = report.steps[report.steps.length - 1];
    if (long.skipped + long.truncated > 0) console.log(`curate pipeline: ${longLine("pipeline", long)}`);
    console.log(`curate pipeline: ${first?.recordsIn ?? 0} → ${last?.recordsOut ?? 0} records in ${report.steps.length} steps; ${out}, report ${reportPath}`);
    // Each step's full report (with its reasons) sits beside its output.
    const full = report.steps.map((st) => {
      try {
        return JSON.parse(readFileSync(`${st.output}.report.json`, "utf8")) as StepResult;
      } catch {
        return { ...st, report: {} };
      }
    });
    return checkHealth(full.map((f, i) => ({ ...f, skipped: report.steps[i]!.skipped })), v, sampler.made);
  }

  const schema = STEP_SCHEMAS[step];
  if (!schema) throw new UsageError(`unknown curate step "${step}" (known: ${Object.keys(STEP_SCHEMAS).join(", ")}, pipeline)`);
  const stepFlags: Record<string, { type: "string" | "boolean" }> = {};
  for (const [key, opt] of Object.entries(schema.options)) stepFlags[kebab(key)] = { type: opt.type === "boolean" ? "boolean" : "string" };
  const parsed = parseFlags(rest, { ...COMMON, ...stepFlags }, usage(), false, { aliases: CURATE_ALIASES });
  if (!parsed) return 0;
  const v = parsed.values as Values;
  const { inputs, out } = requireIo(v);
  const spec = specFromFlags(step, v);
  const quiet = v.quiet === true;
  const shard = typeof v.shard === "string" ? parseShard(v.shard) : undefined;
  if (shard && !(SHARDABLE_STEPS as readonly string[]).includes(step)) throw new UsageError(`--shard applies to ${SHARDABLE_STEPS.join(" and ")} (steps that rate each record on its own), not to ${step}`);
  const bar = quiet ? null : progress(`curate ${step}`, 0);
  const policy = longPromptPolicy(v["skip-long"] === true, v["truncate-long"] === true);
  const long = newLongPromptCount(policy, null);
  const sampler = samplerFactory(v, long, longGuard(step, inputs, long, spec));
  noteOutput({ output: out, kind: "file", options: { ...v, step: spec, ...(STEP_SCHEMAS[step]!.needsSampler ? { longPrompts: long } : {}) }, seeds: seedsOf(spec), inputs });
  const result = await runStep(spec, inputs, out, typeof v.report === "string" ? v.report : undefined, {
    sampler,
    onRecord: bar ? (n) => { if (n % 1000 === 0) bar.update(n); } : undefined,
  }, shard);
  bar?.done();
  if (long.skipped + long.truncated > 0) {
    // Counted in the step's report too, beside its other counts.
    const reportPath = typeof v.report === "string" ? v.report : `${out}.report.json`;
    const rep = JSON.parse(readFileSync(reportPath, "utf8")) as StepResult;
    await writeFileAtomic(reportPath, `${JSON.stringify({ ...rep, report: { ...rep.report, longPrompts: long } }, null, 2)}\n`);
    console.log(`curate ${step}: ${longLine(step, long)}`);
  }
  console.log(`curate ${step}: ${result.recordsIn} → ${result.recordsOut} records in ${result.seconds.toFixed(1)} s; ${out}, report ${typeof v.report === "string" ? v.report : `${out}.report.json`}`);
  return checkHealth([result], v, sampler.made);
}

const mod: CommandModule = { summary, main };
export default mod;

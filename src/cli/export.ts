// `trimer export`: problems → a dataset for an external RL engine.
//   trimer export --format verl --bench gsm8k --out gsm8k-test.parquet
//   trimer export --format openrlhf --bench problems.jsonl --out train.jsonl
import { numberFlag, parseFlags } from "./command.js";
import { isBenchmarkName, loadBenchProblems } from "./bench.js";
import { BENCH_FLAGS, BENCH_HELP, IN_IS_BENCH } from "./vocab.js";
import { UsageError } from "../util/errors.js";
import { writeOpenRLHFJsonl, writeVerlParquet, DEFAULT_INSTRUCTION } from "../data/export.js";
import { benchmarkInfo } from "../data/benchmarks.js";

const usage = `usage: trimer export --format verl|openrlhf --bench NAME|FILE --out FILE [options]

Writes problems as an RL dataset:
  verl      Parquet: data_source, prompt (chat messages), ability, reward_model {style, ground_truth}, extra_info;
            grade with integrations/trimer_verl_reward.py (custom_reward_function.path=…)
  openrlhf  JSONL: {"prompt": [messages], "label": answer, ...}; train with
            --input_key prompt --label_key label --apply_chat_template

options:
${BENCH_HELP}
                        (gsm8k, math500, aime24, amc23 are TEST splits, for evaluation; gsm8k-train is GSM8K's
                        training split)
  --format F           verl | openrlhf: the dataset's format
  --out FILE           output file (written atomically)
  --split NAME         verl extra_info.split (default: the benchmark's split; train for a file)
  --data-source NAME   verl data_source for every row (default: trimer/<each problem's source>, a name none of
                       verl's built-in scorers claims, so only trimer's reward file grades it)
  --instruction TEXT   appended to each question (default: "${DEFAULT_INSTRUCTION}"; "" for none)
  --system TEXT        a system message before the question
  --plain              openrlhf: prompt as plain text instead of messages
Old spellings still accepted, with a notice: --in FILE (--bench FILE), --benchmark (--bench).`;

export const summary = "export problems as a verl (Parquet) or OpenRLHF (JSONL) RL dataset";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    format: { type: "string" },
    ...BENCH_FLAGS,
    out: { type: "string" },
    split: { type: "string" },
    "data-source": { type: "string" },
    instruction: { type: "string" },
    system: { type: "string" },
    plain: { type: "boolean" },
  }, usage, false, { aliases: IN_IS_BENCH });
  if (!f) return 0;
  const v = f.values;
  if (v.format !== "verl" && v.format !== "openrlhf") throw new UsageError(`--format must be verl or openrlhf, got ${v.format === undefined ? "nothing" : `"${v.format}"`}\n\n${usage}`);
  if (!v.out) throw new UsageError(`--out is required\n\n${usage}`);
  const bench = v.bench;
  if (bench === undefined) throw new UsageError(`--bench NAME|FILE is required\n\n${usage}`);
  let problems = await loadBenchProblems(bench, { dataDir: v["data-dir"], questionField: v["question-field"], answerField: v["answer-field"] });
  if (v.limit !== undefined) problems = problems.slice(0, numberFlag(v.limit, "limit", 0, true));
  const info = isBenchmarkName(bench) ? benchmarkInfo(bench) : undefined;
  const split = v.split ?? info?.split;
  const prompt = { ...(v.instruction !== undefined ? { instruction: v.instruction } : {}), ...(v.system ? { systemPrompt: v.system } : {}) };
  const n = v.format === "verl"
    ? await writeVerlParquet(v.out, problems, { ...prompt, ...(split ? { split } : {}), ...(v["data-source"] ? { dataSource: v["data-source"] } : {}) })
    : await writeOpenRLHFJsonl(v.out, problems, { ...prompt, chat: !v.plain });
  // Name the split: a test benchmark exported as training data is the mistake this line is there to catch.
  console.error(`wrote ${n} ${v.format} rows to ${v.out}${info ? ` from ${bench}: ${info.describe} — the ${info.split.toUpperCase()} split${info.split === "test" ? " (for evaluation; train on other data)" : ""}` : ""}`);
  return 0;
}


// `trimer export`: problems → a dataset for an external RL engine.
//   trimer export --format verl --bench gsm8k --out gsm8k-test.parquet
//   trimer export --format openrlhf --in problems.jsonl --out train.jsonl
import { parseFlags } from "./command.js";
import { UsageError } from "../util/errors.js";
import { writeOpenRLHFJsonl, writeVerlParquet, DEFAULT_INSTRUCTION } from "../data/export.js";
import { readProblemsAll, type ProblemFieldOptions } from "../data/problems-file.js";
import { loadBenchmarkAll, benchmarkInfo } from "../data/benchmarks.js";
import type { Problem } from "../data/records.js";

const usage = `usage: trimer export --format verl|openrlhf (--in FILE | --bench NAME) --out FILE [options]

Writes problems as an RL dataset:
  verl      Parquet: data_source, prompt (chat messages), ability, reward_model {style, ground_truth}, extra_info;
            grade with integrations/trimer_verl_reward.py (custom_reward_function.path=…)
  openrlhf  JSONL: {"prompt": [messages], "label": answer, ...}; train with
            --input_key prompt --label_key label --apply_chat_template

options:
  --in FILE            problems (.jsonl, .jsonl.gz or .parquet): trimer records, plain {question, answer} lines,
                       raw GSM8K, verl rows
  --question-field F   the field holding the question (default question)
  --answer-field F     the field holding the final answer (default answer)
  --bench NAME         a bundled benchmark instead (gsm8k and math500 … are TEST splits, for evaluation; gsm8k-train
                       is GSM8K's training split); --data-dir to locate it (--benchmark is the same flag)
  --data-dir DIR       where benchmark files live (default: TRIMER_DATA_DIR or ../shared/data)
  --out FILE           output file (written atomically)
  --split NAME         verl extra_info.split (default: the benchmark's split; train for --in)
  --data-source NAME   verl data_source for every row (default: trimer/<each problem's source>, a name none of
                       verl's built-in scorers claims, so only trimer's reward file grades it)
  --instruction TEXT   appended to each question (default: "${DEFAULT_INSTRUCTION}"; "" for none)
  --system TEXT        a system message before the question
  --plain              openrlhf: prompt as plain text instead of messages`;

async function loadProblems(inPath: string | undefined, benchmark: string | undefined, dataDir: string | undefined, fields: ProblemFieldOptions): Promise<Problem[]> {
  if ((inPath === undefined) === (benchmark === undefined)) throw new UsageError(`give exactly one of --in or --bench\n\n${usage}`);
  if (benchmark !== undefined) return loadBenchmarkAll(benchmark, dataDir !== undefined ? { dataDir } : {});
  return readProblemsAll(inPath!, fields);
}

export const summary = "export problems as a verl (Parquet) or OpenRLHF (JSONL) RL dataset";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    format: { type: "string" },
    in: { type: "string" },
    benchmark: { type: "string" },
    bench: { type: "string" },
    "data-dir": { type: "string" },
    out: { type: "string" },
    split: { type: "string" },
    "data-source": { type: "string" },
    instruction: { type: "string" },
    system: { type: "string" },
    plain: { type: "boolean" },
    "question-field": { type: "string" },
    "answer-field": { type: "string" },
  }, usage);
  if (!f) return 0;
  const v = f.values;
  if (v.format !== "verl" && v.format !== "openrlhf") throw new UsageError(`--format must be verl or openrlhf, got ${v.format === undefined ? "nothing" : `"${v.format}"`}\n\n${usage}`);
  if (!v.out) throw new UsageError(`--out is required\n\n${usage}`);
  if (v.bench !== undefined && v.benchmark !== undefined && v.bench !== v.benchmark) throw new UsageError("give --bench once (--benchmark is the same flag)");
  const bench = v.bench ?? v.benchmark;
  const fields = { ...(v["question-field"] ? { questionField: v["question-field"] } : {}), ...(v["answer-field"] ? { answerField: v["answer-field"] } : {}) };
  const problems = await loadProblems(v.in, bench, v["data-dir"], fields);
  const info = bench !== undefined ? benchmarkInfo(bench) : undefined;
  const split = v.split ?? info?.split;
  const prompt = { ...(v.instruction !== undefined ? { instruction: v.instruction } : {}), ...(v.system ? { systemPrompt: v.system } : {}) };
  const n = v.format === "verl"
    ? await writeVerlParquet(v.out, problems, { ...prompt, ...(split ? { split } : {}), ...(v["data-source"] ? { dataSource: v["data-source"] } : {}) })
    : await writeOpenRLHFJsonl(v.out, problems, { ...prompt, chat: !v.plain });
  // Name the split: a test benchmark exported as training data is the mistake this line is there to catch.
  console.error(`wrote ${n} ${v.format} rows to ${v.out}${info ? ` from ${bench}: ${info.describe} — the ${info.split.toUpperCase()} split${info.split === "test" ? " (for evaluation; train on other data)" : ""}` : ""}`);
  return 0;
}


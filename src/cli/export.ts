// `trimer export`: problems → a dataset for an external RL engine.
//   trimer export --format verl --benchmark gsm8k --split test --out gsm8k-test.parquet
//   trimer export --format openrlhf --in problems.jsonl --out train.jsonl
import { parseFlags } from "./command.js";
import { UsageError } from "../util/errors.js";
import { writeOpenRLHFJsonl, writeVerlParquet, DEFAULT_INSTRUCTION } from "../data/export.js";
import { readJsonlFile } from "../data/jsonl.js";
import { readParquet, PROBLEM_COLUMNS } from "../data/parquet.js";
import { validateProblem } from "../data/validate.js";
import { loadBenchmarkAll } from "../data/benchmarks.js";
import type { Problem } from "../data/records.js";

const usage = `usage: trimer export --format verl|openrlhf (--in FILE | --benchmark NAME) --out FILE [options]

Writes problems as an RL dataset:
  verl      Parquet: data_source, prompt (chat messages), ability, reward_model {style, ground_truth}, extra_info
  openrlhf  JSONL: {"prompt": [messages], "label": answer, ...}; train with
            --input_key prompt --label_key label --apply_chat_template

options:
  --in FILE            Problem records (.jsonl or .parquet)
  --benchmark NAME     a bundled benchmark instead (gsm8k, math500, aime24, amc23 …); --data-dir to locate it
  --data-dir DIR       where benchmark files live (default: TRIMER_DATA_DIR or ../shared/data)
  --out FILE           output file (written atomically)
  --split NAME         verl extra_info.split (default train)
  --data-source NAME   verl data_source for every row (default: each problem's source)
  --instruction TEXT   appended to each question (default: "${DEFAULT_INSTRUCTION}"; "" for none)
  --system TEXT        a system message before the question
  --plain              openrlhf: prompt as plain text instead of messages`;

async function loadProblems(inPath: string | undefined, benchmark: string | undefined, dataDir: string | undefined): Promise<Problem[]> {
  if ((inPath === undefined) === (benchmark === undefined)) throw new UsageError(`give exactly one of --in or --benchmark\n\n${usage}`);
  if (benchmark !== undefined) return loadBenchmarkAll(benchmark, dataDir !== undefined ? { dataDir } : {});
  const path = inPath!;
  if (path.endsWith(".parquet")) return (await readParquet(path, validateProblem, PROBLEM_COLUMNS)).records;
  return (await readJsonlFile(path, validateProblem)).records;
}

export const summary = "export problems as a verl (Parquet) or OpenRLHF (JSONL) RL dataset";

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    format: { type: "string" },
    in: { type: "string" },
    benchmark: { type: "string" },
    "data-dir": { type: "string" },
    out: { type: "string" },
    split: { type: "string" },
    "data-source": { type: "string" },
    instruction: { type: "string" },
    system: { type: "string" },
    plain: { type: "boolean" },
  }, usage);
  if (!f) return 0;
  const v = f.values;
  if (v.format !== "verl" && v.format !== "openrlhf") throw new UsageError(`--format must be verl or openrlhf, got ${v.format === undefined ? "nothing" : `"${v.format}"`}\n\n${usage}`);
  if (!v.out) throw new UsageError(`--out is required\n\n${usage}`);
  const problems = await loadProblems(v.in, v.benchmark, v["data-dir"]);
  const prompt = { ...(v.instruction !== undefined ? { instruction: v.instruction } : {}), ...(v.system ? { systemPrompt: v.system } : {}) };
  const n = v.format === "verl"
    ? await writeVerlParquet(v.out, problems, { ...prompt, ...(v.split ? { split: v.split } : {}), ...(v["data-source"] ? { dataSource: v["data-source"] } : {}) })
    : await writeOpenRLHFJsonl(v.out, problems, { ...prompt, chat: !v.plain });
  console.error(`wrote ${n} ${v.format} rows to ${v.out}`);
  return 0;
}


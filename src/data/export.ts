// Export Problem records for external RL engines:
//   verl:     Parquet in verl's RL dataset schema — data_source, prompt (chat messages), ability,
//             reward_model {style: "rule", ground_truth}, extra_info {split, index, id, …} — with real nested
//             columns (prompt: list<struct<role, content>>, reward_model / extra_info: struct), as verl's own
//             preprocessing scripts write them through pandas/pyarrow.
//   openrlhf: JSONL lines {"prompt": [...messages] | "text", "label": gold, …}, read by OpenRLHF with
//             --input_key prompt --label_key label (and --apply_chat_template for the message form).
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from "hyparquet-writer";
import { writeFileAtomic } from "../util/atomic.js";
import type { ChatMessage } from "../engine/types.js";
import type { Problem } from "./records.js";

/** What the model is told besides the question: TriMER's reward needs the answer in \boxed{}. */
export const DEFAULT_INSTRUCTION = "Let's think step by step and output the final answer within \\boxed{}.";

export interface PromptOptions {
  /** Appended to the question after a blank line ("" = none). */
  instruction?: string;
  /** An optional system message before the user turn. */
  systemPrompt?: string;
}

export function promptMessages(p: Problem, opts: PromptOptions = {}): ChatMessage[] {
  const instruction = opts.instruction ?? DEFAULT_INSTRUCTION;
  const user = instruction ? `${p.question}\n\n${instruction}` : p.question;
  return [...(opts.systemPrompt ? [{ role: "system" as const, content: opts.systemPrompt }] : []), { role: "user", content: user }];
}

/** Prefix of the default verl data_source: see VerlOptions.dataSource. */
export const VERL_SOURCE_PREFIX = "trimer/";

export interface VerlRow {
  data_source: string;
  prompt: ChatMessage[];
  ability: string;
  reward_model: { style: "rule"; ground_truth: string };
  extra_info: { split: string; index: bigint; id: string; domain: string; difficulty: number; question: string };
}

export interface VerlOptions extends PromptOptions {
  /** extra_info.split (default "train"). */
  split?: string;
  /** `ability` (default "math"). */
  ability?: string;
  /**
   * Overrides data_source (default: "trimer/<the problem's source>"). verl routes its built-in scorers by
   * data_source ("openai/gsm8k" → a "####" rule, "aime*" → math_dapo …); the "trimer/" prefix matches none of them,
   * so rows reach trimer's reward (integrations/trimer_verl_reward.py) or verl stops with NotImplementedError —
   * never a silent grading by another rule.
   */
  dataSource?: string;
}

export function toVerlRows(problems: readonly Problem[], opts: VerlOptions = {}): VerlRow[] {
  return problems.map((p, i) => ({
    data_source: opts.dataSource ?? `${VERL_SOURCE_PREFIX}${p.source}`,
    prompt: promptMessages(p, opts),
    ability: opts.ability ?? "math",
    reward_model: { style: "rule", ground_truth: p.answer },
    extra_info: { split: opts.split ?? "train", index: BigInt(i), id: p.id, domain: p.domain, difficulty: p.difficulty, question: p.question },
  }));
}

const str = (name: string): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" });

/**
 * The Parquet schema pyarrow writes for verl's DataFrame: every field OPTIONAL (pandas columns are nullable) and
 * the list in the standard three-level LIST form (<list> (LIST) { repeated group list { element } }), which
 * pyarrow, DuckDB, Spark and hyparquet all read as list<struct<role, content>>.
 */
export const VERL_SCHEMA: SchemaElement[] = [
  { name: "schema", num_children: 5 },
  str("data_source"),
  { name: "prompt", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
  str("role"),
  str("content"),
  str("ability"),
  { name: "reward_model", repetition_type: "OPTIONAL", num_children: 2 },
  str("style"),
  str("ground_truth"),
  { name: "extra_info", repetition_type: "OPTIONAL", num_children: 6 },
  str("split"),
  { name: "index", type: "INT64", repetition_type: "OPTIONAL" },
  str("id"),
  str("domain"),
  { name: "difficulty", type: "INT32", repetition_type: "OPTIONAL" },
  str("question"),
];

export function verlParquetBuffer(rows: readonly VerlRow[]): ArrayBuffer {
  const col = <K extends keyof VerlRow>(name: K): ColumnSource => ({ name, data: rows.map((r) => r[name]) });
  return parquetWriteBuffer({
    columnData: [col("data_source"), col("prompt"), col("ability"), col("reward_model"), col("extra_info")],
    schema: VERL_SCHEMA,
    createdBy: "trimer export",
  });
}

export async function writeVerlParquet(path: string, problems: readonly Problem[], opts: VerlOptions = {}): Promise<number> {
  const rows = toVerlRows(problems, opts);
  await writeFileAtomic(path, new Uint8Array(verlParquetBuffer(rows)));
  return rows.length;
}

export interface OpenRLHFRow {
  /** Chat messages (use --apply_chat_template) or plain text. */
  prompt: ChatMessage[] | string;
  /** The gold answer, passed to the reward server as `labels` (--label_key label). */
  label: string;
  id: string;
  source: string;
}

export interface OpenRLHFOptions extends PromptOptions {
  /** true (default): `prompt` is a message list; false: the user text alone (no chat template). */
  chat?: boolean;
}

export function toOpenRLHFRows(problems: readonly Problem[], opts: OpenRLHFOptions = {}): OpenRLHFRow[] {
  return problems.map((p) => {
    const messages = promptMessages(p, opts);
    const prompt = (opts.chat ?? true) ? messages : messages.map((m) => m.content).join("\n\n");
    return { prompt, label: p.answer, id: p.id, source: p.source };
  });
}

export async function writeOpenRLHFJsonl(path: string, problems: readonly Problem[], opts: OpenRLHFOptions = {}): Promise<number> {
  const rows = toOpenRLHFRows(problems, opts);
  await writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
  return rows.length;
}

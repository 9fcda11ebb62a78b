// Problems from whatever file a user has: trimer's own Problem records, plain {question, answer} lines, any field
// names (--question-field, --answer-field), raw GSM8K ("… #### 72" answers), verl rows (prompt messages +
// reward_model.ground_truth), as .jsonl, .jsonl.gz or .parquet. Missing bookkeeping fields are filled (id from the
// file and line, source from the file name, difficulty 3 = unknown) so every command can take such files.
import { basename, extname } from "node:path";
import { InputError } from "../util/errors.js";
import { readJsonl, type BadLine } from "./jsonl.js";
import { readParquet } from "./parquet.js";
import { gsm8kGold } from "./benchmarks.js";
import type { JsonValue, Problem } from "./records.js";
import type { Where } from "./validate.js";

export interface ProblemFieldOptions {
  /** Field holding the question (default: question, else problem, else a verl row's prompt). */
  questionField?: string;
  /** Field holding the final answer (default: answer, else a verl row's reward_model.ground_truth). */
  answerField?: string;
}

export interface ReadProblemsOptions extends ProblemFieldOptions {
  onBad?: "fail" | "skip";
  skipped?: BadLine[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** "data/gsm8k.train.jsonl.gz" → "gsm8k.train". */
export function fileLabel(path: string): string {
  return basename(path).replace(/\.gz$/i, "").replace(/\.(jsonl|ndjson|json|parquet)$/i, "");
}

function answerText(v: unknown): string | null {
  if (typeof v === "string") return v.trim() === "" ? null : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** A record of any shape → a Problem, or an InputError naming file, line and field. */
export function toProblem(value: unknown, where: Where, opts: ProblemFieldOptions = {}): Problem {
  if (!isObj(value)) throw new InputError(`${where.file}:${where.line}: expected a JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  const o = value;
  const reward = isObj(o.reward_model) ? o.reward_model : undefined;
  const extra = isObj(o.extra_info) ? o.extra_info : undefined;

  let question: unknown;
  if (opts.questionField !== undefined) question = o[opts.questionField];
  else if (typeof o.question === "string") question = o.question;
  else if (typeof o.problem === "string") question = o.problem;
  else if (typeof extra?.question === "string") question = extra.question;
  else if (Array.isArray(o.prompt)) question = [...o.prompt].reverse().find((m) => isObj(m) && m.role === "user" && typeof m.content === "string")?.content;
  else if (typeof o.prompt === "string") question = o.prompt;
  const qName = opts.questionField ?? "question";
  if (typeof question !== "string" || question.trim() === "") {
    throw new InputError(`${where.file}:${where.line}: no question: field "${qName}" is ${question === undefined ? "missing" : "not a non-empty string"} (name the field with --question-field; fields here: ${Object.keys(o).slice(0, 12).join(", ")})`);
  }

  let rawAnswer: unknown;
  if (opts.answerField !== undefined) rawAnswer = o[opts.answerField];
  else if (o.answer !== undefined) rawAnswer = o.answer;
  else if (reward?.ground_truth !== undefined) rawAnswer = reward.ground_truth;
  else if (o.label !== undefined) rawAnswer = o.label;
  const aName = opts.answerField ?? "answer";
  let answer = answerText(rawAnswer);
  if (answer === null) {
    throw new InputError(`${where.file}:${where.line}: no answer: field "${aName}" is ${rawAnswer === undefined ? "missing" : "not a non-empty string or number"} (name the field with --answer-field; fields here: ${Object.keys(o).slice(0, 12).join(", ")})`);
  }
  const meta: Record<string, JsonValue> = isObj(o.meta) ? { ...(o.meta as Record<string, JsonValue>) } : {};
  // A worked GSM8K solution: the gold is what follows "####"; the solution is kept.
  if (/(^|\n)\s*####/.test(answer)) {
    const gold = gsm8kGold(answer);
    if (gold !== null) { meta.solution = answer; answer = gold; }
  }
  const d = o.difficulty;
  const difficulty = typeof d === "number" && Number.isInteger(d) && d >= 1 && d <= 5 ? d : 3;
  const label = fileLabel(where.file);
  const id = typeof o.id === "string" && o.id !== "" ? o.id : typeof o.id === "number" ? `${label}/${o.id}` : typeof extra?.id === "string" ? extra.id : `${label}/${where.line}`;
  const source = typeof o.source === "string" && o.source !== "" ? o.source
    : typeof o.data_source === "string" && o.data_source !== "" ? o.data_source.replace(/^trimer\//, "") : label;
  const domain = typeof o.domain === "string" && o.domain !== "" ? o.domain : typeof extra?.domain === "string" ? extra.domain : "unknown";
  return { id, source, domain, difficulty, question, answer, meta };
}

/** Streams the problems of a .jsonl / .jsonl.gz / .parquet file of any of the shapes above. */
export async function* readProblems(path: string, opts: ReadProblemsOptions = {}): AsyncGenerator<Problem> {
  const validate = (v: unknown, w: Where): Problem => toProblem(v, w, opts);
  if (extname(path).toLowerCase() === ".parquet") {
    const r = await readParquet(path, validate, [{ name: "meta", type: "JSON_TEXT" }], { ...(opts.onBad ? { onBad: opts.onBad } : {}) });
    opts.skipped?.push(...r.skipped);
    yield* r.records;
    return;
  }
  yield* readJsonl(path, validate, { ...(opts.onBad ? { onBad: opts.onBad } : {}), ...(opts.skipped ? { skipped: opts.skipped } : {}) });
}

export async function readProblemsAll(path: string, opts: ReadProblemsOptions = {}): Promise<Problem[]> {
  const out: Problem[] = [];
  for await (const p of readProblems(path, opts)) out.push(p);
  return out;
}

// Validation of untrusted records: each check names the file, the line (or row) and the field, so a bad line in a
// 100,000-line file can be found and fixed. Pure functions from `unknown` to a typed record or an InputError.
import { InputError } from "../util/errors.js";
import {
  isSolutionMode,
  type JsonValue,
  type Problem,
  type ProblemWithSolutions,
  type Sample,
  type Solution,
} from "./records.js";

/** Where a value came from, for messages: "data/x.jsonl:17". */
export interface Where {
  file: string;
  line: number;
}

export type Validator<T> = (value: unknown, where: Where) => T;

function at(where: Where, field: string, problem: string): InputError {
  return new InputError(`${where.file}:${where.line}: field "${field}" ${problem}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asObject(v: unknown, where: Where): Record<string, unknown> {
  if (!isObject(v)) throw new InputError(`${where.file}:${where.line}: expected a JSON object, got ${Array.isArray(v) ? "an array" : v === null ? "null" : typeof v}`);
  return v;
}

function str(o: Record<string, unknown>, field: string, where: Where, nonEmpty = true): string {
  const v = o[field];
  if (v === undefined) throw at(where, field, "is missing");
  if (typeof v !== "string") throw at(where, field, `must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
  if (nonEmpty && v.trim() === "") throw at(where, field, "must not be empty");
  return v;
}

function num(o: Record<string, unknown>, field: string, where: Where): number {
  const v = o[field];
  if (v === undefined) throw at(where, field, "is missing");
  if (typeof v !== "number" || !Number.isFinite(v)) throw at(where, field, `must be a finite number, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

export const validateProblem: Validator<Problem> = (value, where) => {
  const o = asObject(value, where);
  const difficulty = num(o, "difficulty", where);
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 5) throw at(where, "difficulty", `must be an integer 1–5, got ${difficulty}`);
  const meta = o.meta === undefined ? {} : o.meta;
  if (!isObject(meta)) throw at(where, "meta", "must be an object");
  return {
    id: str(o, "id", where),
    source: str(o, "source", where),
    domain: str(o, "domain", where),
    difficulty,
    question: str(o, "question", where),
    answer: str(o, "answer", where),
    meta: meta as Record<string, JsonValue>,
  };
};

export const validateSolution: Validator<Solution> = (value, where) => {
  const o = asObject(value, where);
  const mode = str(o, "mode", where);
  if (!isSolutionMode(mode)) throw at(where, "mode", `must be one of instruct, thinking, high, medium, low, tir; got "${mode}"`);
  return { problemId: str(o, "problemId", where), mode, text: str(o, "text", where), finalAnswer: str(o, "finalAnswer", where) };
};

export const validateProblemWithSolutions: Validator<ProblemWithSolutions> = (value, where) => {
  const p = validateProblem(value, where);
  const raw = (value as Record<string, unknown>).solutions;
  if (raw === undefined) return { ...p, solutions: [] };
  if (!Array.isArray(raw)) throw at(where, "solutions", "must be an array");
  const solutions = raw.map((s, i) => {
    try {
      return validateSolution(s, where);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message.replace(/field "/, `field "solutions[${i}].`));
      throw e;
    }
  });
  return { ...p, solutions };
};

export const validateSample: Validator<Sample> = (value, where) => {
  const o = asObject(value, where);
  const extracted = o.extracted ?? null;
  if (extracted !== null && typeof extracted !== "string") throw at(where, "extracted", "must be a string or null");
  if (typeof o.correct !== "boolean") throw at(where, "correct", o.correct === undefined ? "is missing" : "must be true or false");
  const tokens = num(o, "tokens", where);
  if (!Number.isInteger(tokens) || tokens < 0) throw at(where, "tokens", `must be a non-negative integer, got ${tokens}`);
  const reward = o.reward ?? null;
  if (reward !== null && (typeof reward !== "number" || !Number.isFinite(reward))) throw at(where, "reward", "must be a finite number or null");
  return {
    problemId: str(o, "problemId", where),
    agent: str(o, "agent", where),
    text: str(o, "text", where, false),
    extracted,
    correct: o.correct,
    tokens,
    reward,
  };
};

// The records every stage exchanges: a Problem (question + canonical answer), a Solution (one written solution of a
// problem in one mode) and a graded Sample (a model's attempt, checked by the verifier). Plain JSON-able objects, so
// they travel as JSONL lines or Parquet rows unchanged.

/** Any JSON value (the type of free-form `meta`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Problem {
  /** Unique within its source, e.g. "gsm8k/test/17" or "synth/1/42". */
  id: string;
  /** Where it came from: "gsm8k", "math500", "aime24", "amc23", "synth", or a file's own label. */
  source: string;
  /** Subject area, e.g. "arithmetic", "number-theory", "Algebra" (MATH subjects are kept as written). */
  domain: string;
  /** 1 (easiest) … 5 (hardest); benchmarks without levels use a fixed value documented in their loader. */
  difficulty: number;
  question: string;
  /** The gold answer as a canonical string: the form the verifier compares against ("27", "3/4", "\\frac{\\pi}{2}"). */
  answer: string;
  meta: Record<string, JsonValue>;
}

/**
 * How a solution is written. JT-Math distils from a concise `instruct` path and a long `thinking` path;
 * Nemotron-Math from `high` / `medium` / `low` reasoning depth, with or without tool-integrated reasoning (`tir`).
 */
export const SOLUTION_MODES = ["instruct", "thinking", "high", "medium", "low", "tir"] as const;
export type SolutionMode = (typeof SOLUTION_MODES)[number];

export function isSolutionMode(s: string): s is SolutionMode {
  return (SOLUTION_MODES as readonly string[]).includes(s);
}

export interface Solution {
  problemId: string;
  mode: SolutionMode;
  text: string;
  /** The answer the text ends with (inside its final \boxed{…}), as written. */
  finalAnswer: string;
}

/** One model attempt at a problem, graded. */
export interface Sample {
  problemId: string;
  /** Which sampling configuration / agent produced it (e.g. "t0.7-k40", "agent-2"). */
  agent: string;
  text: string;
  /** The answer the verifier extracted from `text`, or null when it found none. */
  extracted: string | null;
  correct: boolean;
  /** Generated tokens (the length measure for token-efficiency figures). */
  tokens: number;
  /** A reward model's score, when one was computed. */
  reward: number | null;
}

/** A generated problem with its solutions: the line format of `trimer data synth`. */
export interface ProblemWithSolutions extends Problem {
  solutions: Solution[];
}

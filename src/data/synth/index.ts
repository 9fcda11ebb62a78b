// The synthetic curriculum: a registry of domain generators and `generate(seed, index, opts)`, which is a pure
// function of its arguments — problem `index` of run `seed` is the same problem on every machine, whichever other
// indices or modes are generated, so a job can stop and resume anywhere and workers can split the index range.
import { createRng, mixSeed } from "../../util/rng.js";
import { SOLUTION_MODES, type ProblemWithSolutions, type SolutionMode } from "../records.js";
import { generateArithmetic } from "./arithmetic.js";
import { generateCounting } from "./counting.js";
import { generateEquations } from "./equations.js";
import { generateFractions } from "./fractions.js";
import { generateGeometry } from "./geometry.js";
import { generateNumberTheory } from "./number-theory.js";
import { str } from "./rational.js";
import { generateSequences } from "./sequences.js";
import { generateWordProblem } from "./word-problems.js";
import { DOMAINS, type DomainName, type Generator, type Style, type Worked } from "./worked.js";
import { boxedAnswer, writeSolution } from "./writers.js";

export { DOMAINS, type DomainName, type Style, type Worked } from "./worked.js";
export { boxedAnswer, writeSolution } from "./writers.js";

export const GENERATORS: Record<DomainName, Generator> = {
  arithmetic: generateArithmetic,
  fractions: generateFractions,
  equations: generateEquations,
  "number-theory": generateNumberTheory,
  counting: generateCounting,
  sequences: generateSequences,
  geometry: generateGeometry,
  "word-problems": generateWordProblem,
};

export interface SynthOptions {
  /** Domains to draw from, uniformly (default: all). */
  domains?: readonly DomainName[];
  /** Inclusive difficulty range, 1–5 (default [1, 5]), drawn uniformly. */
  difficulty?: readonly [number, number];
  /** Solution modes to write (default: all six). */
  modes?: readonly SolutionMode[];
  /** "compact" applies to arithmetic only; other domains are always verbose (default "verbose"). */
  style?: Style;
}

export function isDomain(s: string): s is DomainName {
  return (DOMAINS as readonly string[]).includes(s);
}

/** The worked problem at (seed, index), before any solution is written. */
export function generateWorked(seed: number, index: number, opts: SynthOptions = {}): Worked {
  const rng = createRng(mixSeed(seed, index));
  const domains = opts.domains && opts.domains.length ? opts.domains : DOMAINS;
  const [lo, hi] = opts.difficulty ?? [1, 5];
  const domain = domains.length === 1 ? domains[0]! : rng.pick(domains);
  const difficulty = lo === hi ? lo : rng.int(lo, hi);
  return GENERATORS[domain](rng, difficulty, { style: opts.style ?? "verbose" });
}

/** Each mode's randomness comes from its own seed, so the text of a mode does not depend on which others are asked. */
function modeSeed(seed: number, index: number, mode: SolutionMode): number {
  return mixSeed(seed, index, 7919 + SOLUTION_MODES.indexOf(mode));
}

/** Problem `index` of run `seed`, with its solutions in the requested modes. */
export function generate(seed: number, index: number, opts: SynthOptions = {}): ProblemWithSolutions {
  return withSolutions(generateWorked(seed, index, opts), seed, index, opts);
}

/** The record for an already generated worked problem (lets a caller filter on the question before writing). */
export function withSolutions(w: Worked, seed: number, index: number, opts: SynthOptions = {}): ProblemWithSolutions {
  const id = `synth/${seed}/${index}`;
  const finalAnswer = boxedAnswer(w);
  const modes = opts.modes ?? SOLUTION_MODES;
  return {
    id,
    source: "synth",
    domain: w.domain,
    difficulty: w.difficulty,
    question: w.question,
    // the answer in the form the question asks for: "88.03" where the box holds a decimal, else "15/2", "-3"
    answer: w.boxed ?? str(w.answer),
    meta: { kind: w.kind, style: w.compact ? "compact" : "verbose", seed, index, ...(w.meta ?? {}) },
    solutions: modes.map((mode) => ({ problemId: id, mode, text: writeSolution(w, mode, modeSeed(seed, index, mode)), finalAnswer })),
  };
}

/** Parses "3", "1-5", "2..4" into an inclusive range within 1–5, or null when it is not one. */
export function parseDifficultyRange(s: string): [number, number] | null {
  const m = /^\s*([1-5])\s*(?:(?:-|\.\.)\s*([1-5]))?\s*$/.exec(s);
  if (!m) return null;
  const lo = Number(m[1]), hi = m[2] ? Number(m[2]) : lo;
  return lo <= hi ? [lo, hi] : null;
}

// The per-difficulty figures of `trimer run`'s evaluation: tokens, pass@k, the share of problems with room for
// voting, and the difficulty–token correlation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { difficultyTokenCorrelation, perDifficulty } from "../../src/pipeline/evaluate.js";
import type { Completion } from "../../src/engine/types.js";
import type { ProblemWithSolutions } from "../../src/data/records.js";

const prob = (id: string, difficulty: number, answer: string): ProblemWithSolutions =>
  ({ id, source: "test", domain: "arithmetic", difficulty, question: `${id}=`, answer, solutions: [] }) as unknown as ProblemWithSolutions;
const c = (answer: string, tokens: number): Completion => ({ text: `\\boxed{${answer}}`, completionTokens: tokens, finishReason: "stop" });

test("perDifficulty: tokens, pass@k and the 40–80% share per difficulty", () => {
  const problems = [prob("a", 2, "5"), prob("b", 2, "7"), prob("c", 3, "9")];
  const completions = [
    [c("5", 10), c("4", 20), c("5", 30), c("6", 40), c("5", 10)], // 3/5 right: in [0.4, 0.8]
    [c("1", 10), c("1", 10), c("1", 10), c("1", 10), c("1", 10)], // never right
    [c("9", 50), c("9", 50), c("9", 50), c("9", 50), c("9", 50)], // always right
  ];
  const s = perDifficulty(problems, completions);
  assert.equal(s.tokens_d2, (110 + 50) / 10);
  assert.equal(s.passk_d2, 0.5);
  assert.equal(s.room_d2, 0.5);
  assert.equal(s.tokens_d3, 50);
  assert.equal(s.passk_d3, 1);
  assert.equal(s.room_d3, 0);
  // One sample per problem: no pass@k, no room figures.
  const greedy = perDifficulty(problems, completions.map((cs) => [cs[0]!]));
  assert.deepEqual(Object.keys(greedy).sort(), ["tokens_d2", "tokens_d3"]);
});

test("difficultyTokenCorrelation: Pearson r over samples; NaN when either side is constant", () => {
  const problems = [prob("a", 1, "1"), prob("b", 2, "1"), prob("c", 3, "1")];
  assert.ok(Math.abs(difficultyTokenCorrelation(problems, [[c("1", 10)], [c("1", 20)], [c("1", 30)]]) - 1) < 1e-12);
  assert.ok(Math.abs(difficultyTokenCorrelation(problems, [[c("1", 30)], [c("1", 20)], [c("1", 10)]]) + 1) < 1e-12);
  const r = difficultyTokenCorrelation(problems, [[c("1", 10), c("1", 30)], [c("1", 20)], [c("1", 40)]]);
  // x = 1, 1, 2, 3; y = 10, 30, 20, 40 → r = 25 / sqrt(2.75 · 500) ≈ 0.674
  assert.ok(Math.abs(r - 25 / Math.sqrt(2.75 * 500)) < 1e-12, `${r}`);
  assert.ok(Number.isNaN(difficultyTokenCorrelation(problems, [[c("1", 5)], [c("1", 5)], [c("1", 5)]])));
});

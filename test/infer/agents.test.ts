import { test } from "node:test";
import assert from "node:assert/strict";
import { agentTable, TRIMER_AGENTS, MAX_AGENTS } from "../../src/infer/agents.js";

test("the first four agents are the paper's table; 5..8 follow the documented extension", () => {
  assert.deepEqual(agentTable(4).map((a) => [a.temperature, a.topP]), [[0.2, 0.85], [0.4, 0.9], [0.6, 0.92], [0.8, 0.95]]);
  assert.deepEqual(agentTable(4), TRIMER_AGENTS);
  assert.deepEqual(agentTable(8).slice(4).map((a) => [a.temperature, a.topP]), [[1.0, 0.97], [0.3, 0.875], [0.5, 0.91], [0.7, 0.935]]);
  assert.equal(MAX_AGENTS, 8);
  assert.equal(agentTable(2, 512)[1]!.maxTokens, 512);
  // Every (temperature, top-p) pair is distinct.
  assert.equal(new Set(agentTable(8).map((a) => `${a.temperature}/${a.topP}`)).size, 8);
  assert.throws(() => agentTable(9), /count must be an integer in \[1, 8\]/);
  assert.throws(() => agentTable(0), /count/);
});

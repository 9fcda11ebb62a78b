// `trimer solve` end to end: --url against a trimer serve on loopback (chat format, reflection, --json), and flag errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../src/cli/solve.js";
import { startTestServer, tinyEngine } from "../serve/helpers.js";
import type { SolveResult } from "../../src/infer/solve.js";

async function captured(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    return { code: await run(), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("solve --url with --reflect --json: 3 agents × 2 rounds through trimer serve", async () => {
  // The reflection prompt (instruction, own solution, others' answers) needs a longer context than 128.
  const srv = await startTestServer({ engine: tinyEngine(7, { max_position_embeddings: 768 }) });
  try {
    const { code, out } = await captured(() => main(["What is 2+2?", "--url", srv.url, "--model", "tiny", "--agent-table", "0.2:0.85,0.6:0.92,1:1", "--max-tokens", "12", "--prompt-format", "chat", "--reflect", "--json"]));
    assert.equal(code, 0);
    const r = JSON.parse(out) as SolveResult;
    assert.equal(r.agents.length, 3);
    assert.deepEqual(r.agents.map((a) => a.agent.temperature), [0.2, 0.6, 1]);
    assert.ok(r.agents.every((a) => a.firstRound !== undefined && a.tokens >= a.firstRound.tokens));
    assert.equal(r.totalTokens, r.agents.reduce((s, a) => s + a.tokens, 0));
    assert.equal(r.method, "majority");
    // 3 first-round requests + 3 reflection requests reached the engine.
    assert.equal(srv.batcher.stats.jobs, 6);
  } finally {
    await srv.close();
  }
});

test("solve prints the answer line, the per-agent table and the total", async () => {
  const srv = await startTestServer();
  try {
    const { out } = await captured(() => main(["1+1=", "--url", srv.url, "--model", "tiny", "--agents", "2", "--max-tokens", "6", "--prompt-format", "completion"]));
    assert.match(out, /^answer: .*\(agent \d, by majority\)/);
    assert.match(out, /agent\s+temp\s+top-p\s+answer\s+score\s+tokens/);
    assert.match(out, /total tokens: \d+ \(generated, all agents\)/);
  } finally {
    await srv.close();
  }
});

test("solve flag errors name the problem", async () => {
  await assert.rejects(main(["q"]), /give --checkpoint DIR or --url URL --model NAME/);
  await assert.rejects(main(["q", "--model", "no-such-folder"]), /"no-such-folder" is not a checkpoint folder: --model names a server's model/);
  await assert.rejects(main(["q", "--url", "http://127.0.0.1:1/v1"]), /--url needs --model NAME/);
  await assert.rejects(main(["q", "--checkpoint", "x", "--reflect"]), /--reflect needs chat prompts/);
  await assert.rejects(main(["q", "--checkpoint", "x", "--select", "reward"]), /--select reward needs --reward-model/);
  await assert.rejects(main(["q", "--checkpoint", "x", "--agents", "9"]), /count must be an integer in \[1, 8\]/);
  await assert.rejects(main(["q", "--checkpoint", "x", "--agent-table", "0.2"]), /not TEMPERATURE:TOP_P/);
});

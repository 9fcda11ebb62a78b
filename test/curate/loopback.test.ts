// pass-rate and judge through the real CLI path: --base-url to an OpenAI-compatible server on loopback (a scripted
// stand-in here; `trimer serve` speaks the same protocol), so flags, src/engine/openai.ts and the step meet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/curate.js";
import { readRecords, collect } from "../../src/data/curate/index.js";

interface ChatBody { messages: { content: string }[]; n?: number }

/** Problem "what is a + b" is answered correctly in `right` of n choices where right = a (0…n); judge prompts get a verdict by id parity. */
function reply(body: ChatBody): string[] {
  const text = body.messages[body.messages.length - 1]!.content;
  const n = body.n ?? 1;
  if (text.startsWith("You are checking")) {
    const ok = /\\boxed\{(\d+)\}/.exec(text)?.[1];
    const ref = /## Reference answer\n(.+)/.exec(text)?.[1];
    return [ok === ref ? "**Yes**, the answer matches.\nReasoning: valid" : '{"correct": false}'];
  }
  const m = /what is (\d+) \+ (\d+)/.exec(text)!;
  const a = Number(m[1]), b = Number(m[2]);
  return Array.from({ length: n }, (_, j) => (j < a ? `${a} + ${b} = ${a + b}, so \\boxed{${a + b}}` : `\\boxed{${a + b + 1}}`));
}

test("pass-rate and judge against an OpenAI-compatible server on loopback", async () => {
  let requests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = "";
    req.on("data", (c: Buffer) => { data += c.toString(); });
    req.on("end", () => {
      requests++;
      const body = JSON.parse(data) as ChatBody;
      const texts = reply(body);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "x", object: "chat.completion", model: "m", choices: texts.map((t, index) => ({ index, message: { role: "assistant", content: t }, finish_reason: "stop" })), usage: { prompt_tokens: 10, completion_tokens: 5 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  try {
    const dir = mkdtempSync(join(tmpdir(), "curate-loop-"));
    const input = join(dir, "in.jsonl");
    // a = 0..4 correct of k = 4 → pass rates 0, .25, .5, .75, 1
    writeFileSync(input, [0, 1, 2, 3, 4].map((a) => JSON.stringify({ id: `q${a}`, question: `what is ${a} + 10?`, answer: String(a + 10), solution: a % 2 ? `\\boxed{${a + 10}}` : `\\boxed{${a}}` })).join("\n") + "\n");
    const out = join(dir, "pr.jsonl");
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(await main(["pass-rate", "--in", input, "--out", out, "--url", url, "--model", "m", "--k", "4", "--quiet"]), 0);
      const recs = await collect(readRecords(out));
      assert.deepEqual(recs.map((r) => [r.id, (r.meta as Record<string, number>).passRate]), [["q0", 0], ["q1", 0.25], ["q2", 0.5], ["q3", 0.75]]);
      const judged = join(dir, "j.jsonl");
      assert.equal(await main(["judge", "--in", out, "--out", judged, "--url", url, "--model", "m", "--quiet"]), 0);
      const rep = JSON.parse(readFileSync(`${judged}.report.json`, "utf8")) as { report: { judged: number; incorrect: number; rejectionRate: number } };
      assert.deepEqual([rep.report.judged, rep.report.incorrect, rep.report.rejectionRate], [4, 2, 0.5]);
      assert.deepEqual((await collect(readRecords(judged))).map((r) => [r.id, (r.meta as Record<string, unknown>).judge]), [["q1", { verdict: "correct", reasoningValid: true }], ["q3", { verdict: "correct", reasoningValid: true }]]);
    } finally {
      console.log = log;
    }
    assert.equal(requests, 5 + 4);
  } finally {
    server.close();
  }
});

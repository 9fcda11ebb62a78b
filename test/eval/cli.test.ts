import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { loadBenchmarkAll } from "../../src/data/benchmarks.js";
import { main } from "../../src/cli/eval.js";

/**
 * `trimer eval --bench` end to end against a scripted OpenAI-compatible server on localhost: it answers the first
 * AIME problem correctly and the others with 1, so the CLI, the OpenAI sampler, the runner, the verifier and the
 * report are exercised together. A second run must not send a single request.
 */
test("trimer eval --bench aime24 against an OpenAI-compatible server writes samples, summary and report, and resumes", async () => {
  const problems = (await loadBenchmarkAll("aime24")).slice(0, 3);
  let requests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // GET /v1/models (eval asks for the model's default prompt): a server that lists no models.
    if (req.method === "GET") { res.writeHead(404).end(); return; }
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString("utf8"); });
    req.on("end", () => {
      requests++;
      const r = JSON.parse(body) as { messages: { role: string; content: string }[]; n?: number };
      const user = r.messages[r.messages.length - 1]!.content;
      const i = problems.findIndex((p) => user.includes(p.question));
      const answer = i === 0 ? problems[0]!.answer : "1";
      const n = r.n ?? 1;
      const choices = Array.from({ length: n }, (_, j) => ({ index: j, message: { role: "assistant", content: `Reasoning ${j}.\nFinal: \\boxed{${answer}}` }, finish_reason: "stop" }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "x", object: "chat.completion", choices, usage: { prompt_tokens: 50, completion_tokens: 12 * n } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const out = join(mkdtempSync(join(tmpdir(), "trimer-eval-cli-")), "run");
  const argv = ["--bench", "aime24", "--limit", "3", "--k", "2", "--temperature", "0.7", "--url", `http://127.0.0.1:${port}/v1`,
    "--model", "fake", "--api-key", "none", "--max-tokens", "64", "--bootstrap", "50", "--out", out, "--quiet"];
  try {
    assert.equal(await main(argv), 0);
    assert.equal(requests, 3, "one request per problem carries both samples");
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { accuracy: { value: number }; atK: { k: number; majAtK: { value: number } }[]; tokens: { mean: number } };
    assert.equal(summary.accuracy.value, 1 / 3);
    assert.equal(summary.atK.find((x) => x.k === 2)!.majAtK.value, 1 / 3);
    assert.equal(summary.tokens.mean, 12);
    assert.equal(readFileSync(join(out, "samples.jsonl"), "utf8").trimEnd().split("\n").length, 6);
    assert.ok(existsSync(join(out, "report.html")));
    assert.equal(await main(argv), 0);
    assert.equal(requests, 3, "the rerun found every sample done");
    // Same folder, different settings: refused with the reason.
    await assert.rejects(main([...argv.slice(0, -3), "--max-tokens", "128", "--out", out]), /maxTokens differ/);
    await assert.rejects(main(["--bench", "nope"]), /neither a known benchmark/);
  } finally {
    server.close();
  }
});

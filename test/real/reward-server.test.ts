import { test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createRewardServer, gradeBatch, parseRewardRequest, responseOf, type RewardServerOptions } from "../../src/serve/reward-server.js";
import { trimerReward } from "../../src/verify/reward.js";

async function listen(opts: Partial<RewardServerOptions> = {}): Promise<{ url: string; server: Server }> {
  const server = createRewardServer({ grade: (r, g) => trimerReward(r, g), ...opts });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (s: Server): Promise<void> => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); });

// OpenRLHF's request exactly: the decoded sequences (chat template, prompt, response, end token), the prompts as
// rendered by the template, and the labels from --label_key.
const prompt = (q: string): string => `<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`;
const openrlhfBody = {
  query: [
    `<|endoftext|><|endoftext|>${prompt("What is 6*7?")}6 times 7 is \\boxed{42}.<|im_end|>`,
    `${prompt("What is 1/2+1/4?")}Adding, \\boxed{0.75}<|im_end|>`,
    `${prompt("What is 2+2?")}The answer is \\boxed{5}.<|im_end|>`,
    `${prompt("What is 3+3?")}I think it's six.<|im_end|>`,
  ],
  prompts: [prompt("What is 6*7?"), prompt("What is 1/2+1/4?"), prompt("What is 2+2?"), prompt("What is 3+3?")],
  labels: ["42", "\\frac{3}{4}", "4", "6"],
};

test("serves OpenRLHF's exact request shape with TriMER's 1.0 / 0.2 / 0 reward", async () => {
  const { url, server } = await listen();
  try {
    const res = await fetch(`${url}/get_reward`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(openrlhfBody) });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { rewards: number[]; scores: number[]; extra_logs: Record<string, number[]> };
    assert.deepEqual(j.rewards, [1, 1, 0.2, 0]);
    assert.deepEqual(j.scores, [1, 1, 0, 0]);
    assert.deepEqual(j.extra_logs.correct, [1, 1, 0, 0]);
    assert.deepEqual(j.extra_logs.formatted, [1, 1, 1, 0]);
    assert.deepEqual(j.extra_logs.timed_out, [0, 0, 0, 0]);
    assert.deepEqual(j.extra_logs.prompt_found, [1, 1, 1, 1]);
    assert.deepEqual(j.extra_logs.grader_error, [0, 0, 0, 0]);
    // every extra_logs entry is per sample, as OpenRLHF splits them like the rewards
    for (const v of Object.values(j.extra_logs)) assert.equal(v.length, 4);
  } finally {
    await close(server);
  }
});

test("with a token: 401 without or with a wrong one, 200 with the right one", async () => {
  const { url, server } = await listen({ token: "s3cret" });
  try {
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/get_reward`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(openrlhfBody) });
    const none = await post({});
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    assert.equal((await post({ authorization: "Bearer nope" })).status, 401);
    assert.equal((await post({ authorization: "Basic czNjcmV0" })).status, 401);
    const ok = await post({ authorization: "Bearer s3cret" });
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { rewards: number[] }).rewards, [1, 1, 0.2, 0]);
    // OpenRLHF can only configure a URL: ?token= works too
    const viaUrl = await fetch(`${url}/get_reward?token=s3cret`, { method: "POST", body: JSON.stringify(openrlhfBody) });
    assert.equal(viaUrl.status, 200);
    assert.equal((await fetch(`${url}/get_reward?token=wrong`, { method: "POST", body: JSON.stringify(openrlhfBody) })).status, 401);
    // health needs no token
    assert.equal((await fetch(`${url}/health`)).status, 200);
  } finally {
    await close(server);
  }
});

test("bad requests get 4xx naming the field; oversized bodies 413", async () => {
  const { url, server } = await listen({ maxBodyBytes: 2000 });
  try {
    const post = async (body: string) => {
      const r = await fetch(`${url}/get_reward`, { method: "POST", body });
      return { status: r.status, error: ((await r.json()) as { error: string }).error };
    };
    const notJson = await post("{nope");
    assert.equal(notJson.status, 400);
    assert.match(notJson.error, /not valid JSON/);
    assert.match((await post(JSON.stringify({ query: ["a"] }))).error, /labels" is missing.*--label_key/);
    assert.match((await post(JSON.stringify({ query: ["a", 3], labels: ["1", "2"] }))).error, /"query"\[1\] is number/);
    assert.match((await post(JSON.stringify({ query: ["a"], labels: ["1"], prompts: [] }))).error, /"prompts" has 0 entries, "query" has 1/);
    const big = await post(JSON.stringify({ query: ["x".repeat(5000)], labels: ["1"] }));
    assert.equal(big.status, 413);
    const notFound = await fetch(`${url}/other`, { method: "POST", body: "{}" });
    assert.equal(notFound.status, 404);
  } finally {
    await close(server);
  }
});

test("the batch time bound: samples past the deadline get 0 and are flagged", async () => {
  let t = 0;
  const clock = () => t;
  const slowGrade = (r: string, g: string) => { t += 10; return trimerReward(r, g); };
  const req = parseRewardRequest({ query: ["\\boxed{1}", "\\boxed{1}", "\\boxed{1}", "\\boxed{1}"], labels: ["1", "1", "1", "1"] }, 10);
  const out = await gradeBatch(req, slowGrade, 25, clock);
  assert.deepEqual(out.rewards, [1, 1, 1, 0]);
  assert.deepEqual(out.extra_logs.timed_out, [0, 0, 0, 1]);
});

test("a grader that throws on one sample costs that sample only", async () => {
  const grade = (r: string, g: string) => { if (r.includes("boom")) throw new Error("grader bug"); return trimerReward(r, g); };
  const out = await gradeBatch(parseRewardRequest({ query: ["\\boxed{2}", "boom", "\\boxed{3}"], labels: ["2", "2", "2"] }, 10), grade, Infinity);
  assert.deepEqual(out.rewards, [1, 0, 0.2]);
  assert.deepEqual(out.extra_logs.grader_error, [0, 1, 0]);
});

test("the response is the query minus its prompt, wherever the prompt starts", () => {
  assert.deepEqual(responseOf("<pad>PROMPT answer", "PROMPT"), { response: " answer", found: true });
  assert.deepEqual(responseOf("answer only", undefined), { response: "answer only", found: false });
  assert.deepEqual(responseOf("re-tokenised prompt answer", "PROMPT"), { response: "re-tokenised prompt answer", found: false });
  // numeric labels (a JSONL label field holding 42) are accepted as text
  assert.deepEqual(parseRewardRequest({ query: ["q"], labels: [42] }, 10).labels, ["42"]);
});

test("stalled uploads take no admission slot: a full-body caller is served while maxPending uploads hang", async () => {
  const { connect } = await import("node:net");
  const { url, server } = await listen({ maxPending: 2, maxUploadsPerClient: 64 });
  const port = (server.address() as AddressInfo).port;
  // Four clients announce a large body and send a few bytes of it, then stall (before the fix each held a slot).
  const stalled = await Promise.all(Array.from({ length: 4 }, () => new Promise<import("node:net").Socket>((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(`POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query": [`);
      resolve(s);
    });
    s.on("error", () => {});
  })));
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const res = await fetch(`${url}/get_reward`, { method: "POST", body: JSON.stringify(openrlhfBody) });
  assert.equal(res.status, 200, "a caller with a complete body is served despite the stalled uploads");
  assert.ok(Date.now() - t0 < 5000);
  const body = (await res.json()) as { rewards: number[] };
  assert.equal(body.rewards.length, 4);
  for (const s of stalled) s.destroy();
  await close(server);
});

test("one client's concurrent uploads are capped: beyond maxUploadsPerClient it gets 503 with Retry-After", async () => {
  const { connect } = await import("node:net");
  const { url, server } = await listen({ maxUploadsPerClient: 2 });
  const port = (server.address() as AddressInfo).port;
  const stalled = await Promise.all(Array.from({ length: 2 }, () => new Promise<import("node:net").Socket>((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(`POST /get_reward HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{`);
      resolve(s);
    });
    s.on("error", () => {});
  })));
  await new Promise((r) => setTimeout(r, 100));
  const res = await fetch(`${url}/get_reward`, { method: "POST", body: JSON.stringify(openrlhfBody) });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "1");
  for (const s of stalled) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const ok = await fetch(`${url}/get_reward`, { method: "POST", body: JSON.stringify(openrlhfBody) });
  assert.equal(ok.status, 200, "the slots come back when the stalled uploads go away");
  await close(server);
});

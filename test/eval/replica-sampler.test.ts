import { test } from "node:test";
import assert from "node:assert/strict";
import { ReplicaSampler } from "../../src/engine/replicas.js";
import type { Completion, Prompt, SampleOptions, Sampler } from "../../src/engine/types.js";

const done = (text: string): Completion => ({ text, completionTokens: 1, finishReason: "stop" } as Completion);

function replica(name: string, behave: (p: Prompt) => "ok" | Error): Sampler & { calls: number } {
  const s = {
    calls: 0,
    async sample(prompts: Prompt[], _o: SampleOptions): Promise<Completion[][]> {
      s.calls++;
      const r = behave(prompts[0]!);
      if (r instanceof Error) throw r;
      return [[done(`${name}:${String(prompts[0])}`)]];
    },
  };
  return s;
}

test("spreads prompts round robin, rests a failed replica and retries its prompt elsewhere", async () => {
  let now = 0;
  const a = replica("a", () => "ok"), b = replica("b", () => new Error("ECONNREFUSED")), c = replica("c", () => "ok");
  const rested: string[] = [];
  const rs = new ReplicaSampler([{ name: "a", sampler: a }, { name: "b", sampler: b }, { name: "c", sampler: c }], { restMs: 1000, now: () => now, onRest: (n) => rested.push(n) });
  const out = await rs.sample(["1", "2", "3", "4", "5", "6"], { maxTokens: 4 });
  assert.equal(out.length, 6);
  assert.ok(out.every((o) => /^(a|c):/.test(o[0]!.text)));
  // Prompts go out at once, so b got its round-robin share (2 of 6) before its first failure was known.
  assert.equal(b.calls, 2);
  assert.ok(rested.every((n) => n === "b") && rested.length === 2);
  await rs.sample(["7", "8", "9"], { maxTokens: 4 });
  assert.equal(b.calls, 2, "a rested replica gets no new work");
  now = 2000; // the rest is over: b is tried again
  await rs.sample(["10", "11", "12"], { maxTokens: 4 });
  assert.equal(b.calls, 3);
});

test("a request's own fault (HTTP 400) is not retried elsewhere; every replica down is an error", async () => {
  const bad = Object.assign(new Error("prompt too long"), { status: 400 });
  const a = replica("a", () => bad), b = replica("b", () => "ok");
  const rs = new ReplicaSampler([{ name: "a", sampler: a }, { name: "b", sampler: b }]);
  await assert.rejects(rs.sample(["x"], { maxTokens: 4 }), /prompt too long/);
  assert.equal(b.calls, 0);
  const down = new ReplicaSampler([{ name: "a", sampler: replica("a", () => new Error("down a")) }, { name: "b", sampler: replica("b", () => new Error("down b")) }]);
  await assert.rejects(down.sample(["x"], { maxTokens: 4 }), /down/);
});

// The tool-integrated reasoning loop, with a real sandbox running the code blocks: the default backend (the process
// backend where bubblewrap runs, Pyodide elsewhere), as `trimer generate` picks it; one sandbox for the file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { openSandbox } from "../../src/sandbox/choose.js";
import type { CodeSandbox } from "../../src/sandbox/types.js";
import { COMPACT_SYNTAX, MARKDOWN_SYNTAX, continuePrompt, formatToolOutput, solveWithTools } from "../../src/infer/tir.js";
import { createOpenAISampler } from "../../src/engine/openai.js";
import { generateTraces, type TraceRecord } from "../../src/generate/index.js";
import { verify } from "../../src/verify/index.js";
import { multiplyModel, multiplyProblems, scriptedSampler, startScriptedServer, type Model } from "./teacher.js";

let sandbox: CodeSandbox;
before(async () => { sandbox = (await openSandbox(undefined, { workers: 1, timeoutMs: 5000 })).sandbox; });
after(async () => { await sandbox.close(); });

describe("markdown syntax", () => {
  test("a closed python block is code to run", () => {
    assert.deepEqual(MARKDOWN_SYNTAX.classify("Compute:\n```python\nx = 2\nprint(x**5)\n"), { kind: "code", code: "x = 2\nprint(x**5)\n", close: "```\n" });
    assert.deepEqual(MARKDOWN_SYNTAX.classify("```py\nprint(1)\n").kind, "code");
  });
  test("a closed block in another language is put back and generation continues", () => {
    assert.deepEqual(MARKDOWN_SYNTAX.classify("See:\n```latex\nx^2\n"), { kind: "continue", text: "```\n" });
  });
  test("no open fence means the model ended by itself", () => {
    assert.deepEqual(MARKDOWN_SYNTAX.classify("So the answer is \\boxed{3}."), { kind: "end" });
    assert.deepEqual(MARKDOWN_SYNTAX.classify("```latex\nx\n```\nthen \\boxed{3}"), { kind: "end" });
  });
  test("an output that prints a fence cannot close the output block", () => {
    const block = MARKDOWN_SYNTAX.renderOutput("a```b\n");
    assert.equal(block.split("```").length - 1, 2);
    assert.ok(block.startsWith("```output\na`"));
  });
});

describe("compact syntax", () => {
  test("py: … > is code; anything else stopped is the end", () => {
    assert.deepEqual(COMPACT_SYNTAX.classify("py:print(3*9+3-6)"), { kind: "code", code: "print(3*9+3-6)", close: "" });
    assert.deepEqual(COMPACT_SYNTAX.classify("\\boxed{24}"), { kind: "end" });
    assert.equal(COMPACT_SYNTAX.renderOutput("24\n"), ">24;");
  });
});

test("formatToolOutput joins stdout and stderr and cuts long output with a marker", () => {
  assert.equal(formatToolOutput({ status: "error", stdout: "1\n", stderr: "ValueError: x\n" }, 100), "1\nValueError: x\n");
  const long = formatToolOutput({ status: "completed", stdout: "y".repeat(250), stderr: "" }, 100);
  assert.equal(long, `${"y".repeat(100)}\n… (150 more characters cut)`);
  assert.match(formatToolOutput({ status: "timeout", stdout: "", stderr: "" }, 100), /TimeoutError/);
});

test("continuePrompt extends text prompts and adds an assistant message to chat prompts", () => {
  assert.equal(continuePrompt("Q: 1+1\nA:", " two"), "Q: 1+1\nA: two");
  assert.deepEqual(continuePrompt([{ role: "user", content: "1+1" }], "two"), [{ role: "user", content: "1+1" }, { role: "assistant", content: "two" }]);
});

describe("solveWithTools with the default sandbox", () => {
  const prompt = "Problem: What is 17*23?\nYou may write Python code in ```python blocks; its output will be shown to you in ```output blocks.\nSolution: ";

  test("stops at the closing fence, runs the code, appends the output and continues to the answer", async () => {
    const s = scriptedSampler(multiplyModel());
    const t = await solveWithTools(s, prompt, { sandbox, maxTokens: 1000 });
    assert.equal(t.text, "Let me compute it.\n```python\nprint(17*23)\n```\n```output\n391\n```\nThe program printed 391, so the answer is \\boxed{391}.");
    assert.equal(t.toolCalls, 1);
    assert.equal(t.calls, 2);
    assert.deepEqual(t.toolStatuses, ["completed"]);
    assert.equal(t.finishReason, "stop");
    // the second call's prompt is the first prompt plus the text so far, output block included
    assert.equal(s.prompts[1], prompt + "Let me compute it.\n```python\nprint(17*23)\n```\n```output\n391\n```\n");
    assert.equal(t.completionTokens, "Let me compute it.\n```python\nprint(17*23)\n".length + "The program printed 391, so the answer is \\boxed{391}.".length);
    assert.equal(t.promptTokens, s.prompts[0]!.length + s.prompts[1]!.length);
    assert.equal(verify("391", t.text).equal, true);
  });

  test("an error in the code becomes the output block and the trace goes on", async () => {
    const model: Model = (p) => (p.includes("```output\n")
      ? { text: "Division failed, so by hand: \\boxed{0}" }
      : { text: "```python\nprint(1/0)\n```\n" });
    const t = await solveWithTools(scriptedSampler(model), prompt, { sandbox, maxTokens: 1000 });
    assert.deepEqual(t.toolStatuses, ["error"]);
    assert.match(t.text, /```output\n[^`]*ZeroDivisionError[^`]*```\nDivision failed/);
  });

  test("tool calls beyond the limit are not run, and the token budget ends a model that never stops coding", async () => {
    let n = 0;
    const model: Model = () => ({ text: `step ${n++}\n\`\`\`python\nprint(${n})\n\`\`\`\n` });
    const s = scriptedSampler(model);
    const t = await solveWithTools(s, prompt, { sandbox, maxTokens: 120, maxToolCalls: 2 });
    assert.equal(t.toolCalls, 2);
    assert.match(t.text, /```output\ntool call limit reached \(2\); continue without code\n```/);
    assert.equal(t.finishReason, "length");
    assert.ok(t.completionTokens <= 120);
  });

  test("long output is cut to maxOutputChars", async () => {
    const model: Model = (p) => (p.includes("```output\n") ? { text: "\\boxed{1}" } : { text: "```python\nprint('z' * 5000)\n```\n" });
    const t = await solveWithTools(scriptedSampler(model), prompt, { sandbox, maxTokens: 1000, maxOutputChars: 50 });
    assert.match(t.text, new RegExp(`\`\`\`output\\n${"z".repeat(50)}\\n… \\(4951 more characters cut\\)\\n\`\`\``));
  });

  test("a closed block in another language is put back and generation goes on to the python block", async () => {
    const intended = "Setup:\n```latex\nx^2\n```\nNow code:\n```python\nprint(2**5)\n```\nrest";
    const model: Model = (p) => {
      if (p.includes("```output\n")) return { text: "\\boxed{32}" };
      const sofar = p.slice(p.indexOf("Solution: ") + "Solution: ".length);
      return { text: intended.slice(sofar.length) };
    };
    const s = scriptedSampler(model);
    const t = await solveWithTools(s, prompt, { sandbox, maxTokens: 1000 });
    assert.equal(t.text, "Setup:\n```latex\nx^2\n```\nNow code:\n```python\nprint(2**5)\n```\n```output\n32\n```\n\\boxed{32}");
    assert.deepEqual([t.calls, t.toolCalls], [3, 1]);
  });

  test("chat prompts continue as a final assistant message through the continuation sampler", async () => {
    const seen: unknown[] = [];
    const first = scriptedSampler(multiplyModel());
    const chat = [{ role: "user" as const, content: prompt }];
    const cont = {
      sample: (ps: Parameters<typeof first.sample>[0], o: Parameters<typeof first.sample>[1]) => {
        seen.push(ps[0]);
        const msgs = ps[0] as { role: string; content: string }[];
        return first.sample([msgs.map((m) => m.content).join("")], o);
      },
    };
    const flat = { sample: (ps: Parameters<typeof first.sample>[0], o: Parameters<typeof first.sample>[1]) => first.sample([(ps[0] as { content: string }[])[0]!.content], o) };
    const t = await solveWithTools(flat, chat, { sandbox, maxTokens: 1000, continueSampler: cont });
    assert.equal(t.calls, 2);
    assert.deepEqual(seen, [[...chat, { role: "assistant", content: "Let me compute it.\n```python\nprint(17*23)\n```\n```output\n391\n```\n" }]]);
    assert.match(t.text, /\\boxed\{391\}/);
  });

  test("the compact syntax of the miniature: py:print(…)>out;", async () => {
    const model: Model = (p) => {
      const m = /py:print\(([^)]*)\)>(-?\d+);$/.exec(p);
      return m ? { text: `\\boxed{${m[2]}}` } : { text: "py:print(3*9+3-6)>99;\\boxed{99}" };
    };
    const s = scriptedSampler(model);
    const t = await solveWithTools(s, "3*9+3-6= ", { sandbox, maxTokens: 100, syntax: COMPACT_SYNTAX });
    // the model's own guess after ">" is never seen: generation stopped at ">" and the sandbox's 24 was appended
    assert.equal(t.text, "py:print(3*9+3-6)>24;\\boxed{24}");
  });
});

describe("generateTraces with TIR", () => {
  test("against a loopback /v1/completions server, with and without tools", async () => {
    const server = await startScriptedServer(multiplyModel());
    const sampler = createOpenAISampler({ baseUrl: server.url, model: "scripted", maxRetries: 0 });
    try {
      const problems = multiplyProblems(3);
      const out: TraceRecord[] = [];
      for await (const r of generateTraces(sampler, problems, { modes: ["high", "low"], tir: [false, true], k: 1, maxAttempts: 2, maxTokens: 500, sandbox, concurrency: 2 })) out.push(r);
      // one correct trace per (problem, mode, variant); every one right on the first attempt
      assert.equal(out.length, 3 * 2 * 2);
      assert.ok(out.every((r) => r.correct && r.attempt === 0));
      for (const r of out.filter((x) => x.tir)) {
        assert.equal(r.toolCalls, 1);
        assert.equal(r.calls, 2);
        assert.match(r.text, /```output\n\d+\n```/);
      }
      for (const r of out.filter((x) => !x.tir)) {
        assert.equal(r.toolCalls, 0);
        assert.doesNotMatch(r.text, /```/);
      }
      // a problem's records are consecutive
      const order = out.map((r) => r.problemId).filter((id, i, a) => i === 0 || a[i - 1] !== id);
      assert.equal(order.length, 3);
      // requests: per problem 2 modes × (1 plain + 2 TIR calls)
      assert.equal(server.counter.total, 3 * 2 * 3);
      assert.equal(sampler.usage.requests, 18);
    } finally {
      sampler.close();
      await server.close();
    }
  });
});

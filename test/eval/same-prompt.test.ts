// One default prompt in-process and over HTTP: `eval --checkpoint X` and `eval --url <trimer serve of X>` ask the
// model the same thing and, decoding greedily, get the same completions and verdicts (the 84.5% vs 3.6%
// came from the two paths' different default prompts). Through the real CLI, with a tiny checkpoint trained here
// by `trimer model train` to box a digit, so the verdicts are a mix of right and wrong rather than all wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";
import { promptFromFlags, CHECKPOINT_PROMPT, BOXED_INSTRUCTION } from "../../src/infer/prompts.js";
import { SERVER_PROMPT } from "../../src/cli/served-prompt.js";

const CLI = join(process.cwd(), "src/cli/main.ts");

interface Row { problemId: string; prompt: unknown; completion: string; correct: boolean }
const rows = (dir: string): Row[] => readFileSync(join(dir, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row).sort((a, b) => a.problemId.localeCompare(b.problemId));

test("eval --checkpoint X and eval --url <trimer serve of X>: same prompts, completions and verdicts by default", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-same-prompt-"));
  let serve: ChildProcess | undefined;
  try {
    const ck = join(dir, "ck");
    const cli = (args: string[]): void => {
      const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    };
    cli(["model", "init", "--config", "tiny", "--out", ck]);
    const data = join(dir, "train.jsonl");
    writeFileSync(data, Array.from({ length: 64 }, (_, i) => JSON.stringify({ prompt: `Q${i}: what is ${i % 5}+${(i * 3) % 5}? A:`, completion: ` \\boxed{${(i % 5) + ((i * 3) % 5)}}` })).join("\n") + "\n");
    cli(["model", "train", "--checkpoint", ck, "--data", data, "--steps", "60", "--lr", "3e-3", "--quiet"]);
    const bench = join(dir, "bench.jsonl");
    writeFileSync(bench, Array.from({ length: 12 }, (_, i) => JSON.stringify({ question: `Q${i}: what is ${i % 5}+${(i * 3) % 5}? A:`, answer: String((i % 5) + ((i * 3) % 5)) })).join("\n") + "\n");

    serve = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--checkpoint", ck, "--port", "0", "--model", "tiny-boxed", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      serve!.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /at (http:\/\/\S+\/v1)/.exec(out);
        if (m) resolve(m[1]!);
      });
      serve!.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
    });

    const common = ["--bench", bench, "--k", "1", "--temperature", "0", "--max-tokens", "12", "--quiet"];
    const local = await runCli(["eval", ...common, "--checkpoint", ck, "--out", join(dir, "local")]);
    assert.equal(local.code, 0, local.stderr);
    const http = await runCli(["eval", ...common, "--url", url, "--model", "tiny-boxed", "--out", join(dir, "http")]);
    assert.equal(http.code, 0, http.stderr);

    const a = rows(join(dir, "local")), b = rows(join(dir, "http"));
    assert.equal(a.length, 12);
    assert.deepEqual(b.map((r) => r.prompt), a.map((r) => r.prompt), "the same prompts");
    assert.equal(a[0]!.prompt, "Q0: what is 0+0? A:", "a trimer checkpoint is asked the bare question");
    assert.deepEqual(b.map((r) => r.completion), a.map((r) => r.completion), "the same greedy completions");
    assert.deepEqual(b.map((r) => r.correct), a.map((r) => r.correct), "the same per-problem verdicts");
    const right = a.filter((r) => r.correct).length;
    assert.ok(right > 0 && right < a.length, `a mix of right and wrong answers (${right} of ${a.length} right)`);
    const acc = (s: string): string => /accuracy \(pass@1\)\s+(\S+)/.exec(s)![1]!;
    assert.equal(acc(http.stdout), acc(local.stdout));

    // The prompt flags follow one rule on both paths: chat with the default instruction when asked for…
    const chat = await runCli(["eval", ...common, "--url", url, "--model", "tiny-boxed", "--prompt-format", "chat", "--limit", "1", "--out", join(dir, "chat")]);
    assert.equal(chat.code, 0, chat.stderr);
    assert.deepEqual(rows(join(dir, "chat"))[0]!.prompt, [{ role: "user", content: `Q0: what is 0+0? A:\n${BOXED_INSTRUCTION}` }]);
    // … and `--template '{question}'` appends nothing.
    const bare = await runCli(["eval", ...common, "--url", url, "--model", "tiny-boxed", "--prompt-format", "chat", "--template", "{question}", "--limit", "1", "--out", join(dir, "bare")]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.deepEqual(rows(join(dir, "bare"))[0]!.prompt, [{ role: "user", content: "Q0: what is 0+0? A:" }]);
  } finally {
    serve?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("promptFromFlags: one rule for the template, the instruction and the format", () => {
  // A trimer checkpoint's default: the bare question, completion style.
  assert.deepEqual(promptFromFlags({}, CHECKPOINT_PROMPT), { ...CHECKPOINT_PROMPT, fewShot: [] });
  // Another server's default: chat with the boxed-answer instruction.
  assert.deepEqual(promptFromFlags({}, SERVER_PROMPT), { ...SERVER_PROMPT, fewShot: [] });
  // A template without {instruction} drops the default instruction; with --instruction it is appended.
  assert.equal(promptFromFlags({ template: "{question}" }, SERVER_PROMPT).instruction, "");
  assert.equal(promptFromFlags({ template: "Q: {question}", instruction: "Box it." }, SERVER_PROMPT).instruction, "Box it.");
  assert.equal(promptFromFlags({ template: "{question}\\n{instruction}" }, SERVER_PROMPT).template, "{question}\n{instruction}", "\\n in a flag is a newline");
  // Asking a checkpoint for chat starts from chat's generic default.
  assert.equal(promptFromFlags({ format: "chat" }, CHECKPOINT_PROMPT).instruction, BOXED_INSTRUCTION);
  assert.throws(() => promptFromFlags({ format: "xml" }, SERVER_PROMPT), /--prompt-format must be chat or completion/);
  assert.throws(() => promptFromFlags({ template: "no slot" }, SERVER_PROMPT), /must contain \{question\}/);
});

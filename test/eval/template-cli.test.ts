// `--template '{question}'` sends the question as written: no default instruction appended behind the user's back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";

const firstPrompt = (dir: string): unknown => (JSON.parse(readFileSync(join(dir, "samples.jsonl"), "utf8").split("\n")[0]!) as { prompt: unknown }).prompt;

test("a template without {instruction} gets no instruction unless --instruction is given", { timeout: 120_000 }, async () => {
  const ckpt = await savedCheckpoint(tinyEngine(2));
  const dir = mkdtempSync(join(tmpdir(), "trimer-template-"));
  try {
    const bench = join(dir, "b.jsonl");
    writeFileSync(bench, JSON.stringify({ question: "1+1=", answer: "2" }) + "\n");
    const run = async (name: string, extra: string[]): Promise<unknown> => {
      const r = await runCli(["eval", "--bench", bench, "--checkpoint", ckpt.dir, "--prompt-format", "chat", "--k", "1", "--max-tokens", "4", "--out", join(dir, name), "--quiet", ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return firstPrompt(join(dir, name));
    };
    assert.deepEqual(await run("bare", ["--template", "{question}"]), [{ role: "user", content: "1+1=" }]);
    assert.deepEqual(await run("slot", ["--template", "Q: {question}\n{instruction}", "--instruction", "Box it."]), [{ role: "user", content: "Q: 1+1=\nBox it." }]);
    assert.deepEqual(await run("given", ["--template", "Q: {question}", "--instruction", "Box it."]), [{ role: "user", content: "Q: 1+1=\nBox it." }]);
    const dflt = await run("default", []) as { content: string }[];
    assert.match(dflt[0]!.content, /^1\+1=\n.*\\boxed/);
  } finally {
    ckpt.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

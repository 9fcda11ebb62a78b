// End to end: `trimer model init → train → sample` through the command module's main(), on a tiny model in a
// temp folder, plus resume: 6 steps, then 6 more resumed, give the same weights as 12 steps in one go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, recordDatum, recordData, windowData } from "../../src/cli/model.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import { readSafetensors } from "../../src/model/safetensors.js";

const TINY = { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 32,
  max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false };

/** Runs main(argv), returning its exit code and what it printed to stdout. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.map(String).join(" ")); };
  try {
    const code = await main(argv);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

function setup(): { dir: string; config: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), "model-cli-"));
  const config = join(dir, "tiny.json");
  writeFileSync(config, JSON.stringify(TINY));
  const data = join(dir, "sums.txt");
  let text = "";
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) text += `${a}+${b}=${a + b}\n`;
  writeFileSync(data, text);
  return { dir, config, data };
}

test("init → train → sample: loss falls, checkpoints are HF-style, sampling is reproducible", async () => {
  const { dir, config, data } = setup();
  try {
    const m = join(dir, "m");
    const init = await run(["init", "--config", config, "--out", m, "--seed", "3"]);
    assert.equal(init.code, 0);
    // 121 characters and specials + 256 byte-fallback ids, rounded up to 384.
    assert.match(init.out, /wrote .*: 14,640 parameters \(d 16, 1 layers, 2 heads \/ 1 kv, vocab 384/);
    await assert.rejects(main(["init", "--config", config, "--out", m]), /already holds a model/);

    const trained = await run(["train", "--checkpoint", m, "--data", data, "--steps", "40", "--batch", "8", "--ctx", "24", "--lr", "1e-2", "--quiet"]);
    assert.equal(trained.code, 0);
    assert.match(trained.out, /done at step 40: loss/);
    const log = readFileSync(join(m, "train_log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.equal(log.length, 40);
    const first = log[0]!.loss;
    const last = log.slice(-5).reduce((s, r) => s + r.loss, 0) / 5;
    assert.ok(first > 4 && last < first - 1.5, `loss should fall from ~ln(384): first ${first}, last five ${last}`);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "trainer_state.json"]) assert.ok(existsSync(join(m, f)), f);
    assert.equal(JSON.parse(readFileSync(join(m, "trainer_state.json"), "utf8")).step, 40);

    const greedy = await run(["sample", "--checkpoint", m, "--prompt", "3+4=", "--temperature", "0", "--max-tokens", "6", "--json"]);
    const g = JSON.parse(greedy.out) as { text: string; tokens: number[]; logprobs: number[]; completionTokens: number };
    assert.equal(g.completionTokens, g.tokens.length);
    assert.equal(g.logprobs.length, g.tokens.length);
    assert.ok(g.logprobs.every((lp) => lp <= 0));
    const a = await run(["sample", "--checkpoint", m, "--prompt", "3+4=", "--n", "3", "--seed", "7", "--max-tokens", "8"]);
    const b = await run(["sample", "--checkpoint", m, "--prompt", "3+4=", "--n", "3", "--seed", "7", "--max-tokens", "8"]);
    assert.equal(a.out, b.out);
    assert.equal(a.out.match(/^--- \d/gm)?.length, 3);
    const stopped = await run(["sample", "--checkpoint", m, "--prompt", "1+1=", "--temperature", "0", "--max-tokens", "20", "--stop", "\n", "--json"]);
    assert.ok(!JSON.parse(stopped.out).text.includes("\n"));

    const exported = await run(["export", "--format", "gguf", "--checkpoint", m, "--out", join(dir, "m.gguf")]);
    assert.equal(exported.code, 0);
    assert.match(exported.out, /wrote .*m\.gguf: .* MB GGUF \(float32, 1 layers, vocab 384\)/);
    assert.equal(readFileSync(join(dir, "m.gguf")).subarray(0, 4).toString("ascii"), "GGUF");
    await assert.rejects(main(["export", "--format", "onnx", "--checkpoint", m, "--out", join(dir, "x")]), /--format gguf is required/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resume: 6 steps + 6 resumed steps give exactly the weights of 12 steps", async () => {
  const { dir, config, data } = setup();
  try {
    const common = ["--data", data, "--batch", "4", "--ctx", "16", "--lr", "5e-3", "--schedule", "constant", "--warmup", "0", "--quiet"];
    for (const name of ["a", "b"]) await run(["init", "--config", config, "--out", join(dir, name), "--seed", "1"]);
    await run(["train", "--checkpoint", join(dir, "a"), "--steps", "12", ...common]);
    await run(["train", "--checkpoint", join(dir, "b"), "--steps", "6", ...common]);
    await run(["train", "--checkpoint", join(dir, "b"), "--steps", "12", "--resume", ...common]);
    const steps = readFileSync(join(dir, "b", "train_log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const wa = (await readSafetensors(join(dir, "a", "model.safetensors"))).tensors;
    const wb = (await readSafetensors(join(dir, "b", "model.safetensors"))).tensors;
    for (const [n, t] of wa) assert.deepEqual(wb.get(n)!.data, t.data, n);
    const again = await run(["train", "--checkpoint", join(dir, "b"), "--steps", "12", "--resume", ...common]);
    assert.equal(again.code, 0); // already at step 12: nothing to do
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad flags and bad data are reported clearly", async () => {
  const { dir, config } = setup();
  try {
    const m = join(dir, "m");
    await run(["init", "--config", config, "--out", m]);
    await assert.rejects(main(["init", "--config", "huge", "--out", join(dir, "x")]), /--config must be one of tiny, small or a \.json file/);
    await assert.rejects(main(["train", "--checkpoint", m, "--data", join(dir, "none.txt"), "--steps", "2", "--quiet"]), /none\.txt: cannot read \(ENOENT\)/);
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `{"text": "1+1=2"}\n{"prompt": "2+2="}\n`);
    await assert.rejects(main(["train", "--checkpoint", m, "--data", bad, "--steps", "2", "--quiet"]), /bad\.jsonl:2: field "completion" must be a string/);
    await assert.rejects(main(["train", "--checkpoint", m, "--data", bad, "--steps", "2", "--ctx", "999"]), /--ctx must be in \[2, 32\]/);
    await assert.rejects(main(["train", "--checkpoint", m, "--data", bad, "--steps", "2", "--resume"]), /has no trainer_state\.json/);
    await assert.rejects(main(["sample", "--checkpoint", m, "--prompt", "1", "--top-p", "0"]), /topP must be in \(0, 1\]/);
    await assert.rejects(main(["frobnicate"]), /unknown subcommand "frobnicate"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("JSONL records become rows with the prompt masked; an epoch visits every record once", async () => {
  const tok = mathTokenizer();
  const qa = recordDatum(tok, { question: "1+1?", answer: "2" }, 64, "f:1");
  assert.deepEqual(qa.tokens, [tok.bos, ...tok.encode("1+1?"), ...tok.encode("2"), tok.eos]);
  // targets: 4 prompt characters predicted from bos.. get weight 0; "2" and eos weigh 1
  assert.deepEqual(qa.weights, [0, 0, 0, 0, 1, 1]);
  const chat = recordDatum(tok, { messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }] }, 64, "f:2");
  const user = tok.tokenId("<|user|>")!, asst = tok.tokenId("<|assistant|>")!;
  assert.deepEqual(chat.tokens, [tok.bos, user, ...tok.encode("hi"), tok.eos, asst, ...tok.encode("yo"), tok.eos]);
  // trained targets: "y", "o" and the closing eos (predicted from asst, "y", "o")
  assert.deepEqual(chat.weights, [0, 0, 0, 0, 0, 1, 1, 1]);
  const text = recordDatum(tok, { text: "abcdef" }, 4, "f:3");
  assert.equal(text.tokens.length, 4);
  assert.throws(() => recordDatum(tok, { messages: [{ role: "bot", content: "x" }] }, 64, "f:4"), /f:4: messages\[0\] must be/);
  assert.throws(() => recordDatum(tok, [1], 64, "f:5"), /f:5: expected a JSON object/);

  const rows = Array.from({ length: 10 }, (_, i) => ({ tokens: [1, i + 3], weights: [1] }));
  const data = recordData(rows, 5);
  const epoch = [0, 1, 2, 3, 4].flatMap((s) => data.batch(s, 2).map((d) => d.tokens[1]));
  assert.deepEqual([...epoch].sort((a, b) => a! - b!), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(data.batch(3, 2), recordData(rows, 5).batch(3, 2)); // a pure function of (seed, step)
  const win = windowData([...Array(100).keys()], 8, 1).batch(0, 3);
  for (const r of win) {
    assert.equal(r.tokens.length, 8);
    assert.deepEqual(r.tokens, r.tokens.map((_, i) => r.tokens[0]! + i)); // contiguous windows of the stream
  }
});

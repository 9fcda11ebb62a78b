import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, copyFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveCheckpoint, loadCheckpoint, checkpointTokenizer, configFromHF, type Checkpoint } from "../../src/model/checkpoint.js";
import { parameterShapes, zerosLike, type TensorMap } from "../../src/model/tensors.js";
import { mathTokenizer } from "../../src/model/tokenizer.js";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors.js";
import { createRng } from "../../src/util/rng.js";
import type { ModelConfig } from "../../src/model/config.js";

const config: ModelConfig = {
  vocab_size: 384, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 40, max_position_embeddings: 64, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false,
};

function randomTensors(c: ModelConfig, seed: number): TensorMap {
  const rng = createRng(seed);
  const m = zerosLike(c);
  for (const t of m.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return m;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ckpt-"));
}

function sameTensors(a: TensorMap, b: TensorMap): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [n, t] of a) {
    assert.deepEqual(b.get(n)!.shape, t.shape, n);
    assert.deepEqual(b.get(n)!.data, t.data, n);
  }
}

test("save then load round-trips config, weights, tokenizer and optimizer state; HF-style files", async () => {
  const dir = tmp();
  try {
    const ckpt: Checkpoint = {
      config, tensors: randomTensors(config, 1), tokenizer: mathTokenizer().toJSON(),
      optimizer: { step: 42, m: randomTensors(config, 2), v: randomTensors(config, 3), lr: 1e-3, dataCursor: 17 },
    };
    await saveCheckpoint(dir, ckpt);
    assert.deepEqual(readdirSync(dir).sort(), ["config.json", "generation_config.json", "model.safetensors", "optimizer.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "trainer_state.json"]);
    const hf = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    assert.deepEqual(hf.architectures, ["LlamaForCausalLM"]);
    assert.equal(hf.model_type, "llama");
    assert.equal(hf.torch_dtype, "float32");
    assert.equal(hf.num_key_value_heads, 2);
    assert.deepEqual([hf.bos_token_id, hf.eos_token_id, hf.pad_token_id], [1, 2, 0]); // filled from the tokenizer
    const st = await readSafetensors(join(dir, "model.safetensors"));
    assert.deepEqual([...st.tensors.keys()], parameterShapes(config).map((p) => p.name));
    assert.ok([...st.tensors.keys()].includes("model.layers.1.self_attn.q_proj.weight"));

    const back = await loadCheckpoint(dir);
    assert.deepEqual(back.config, { ...config, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
    sameTensors(ckpt.tensors, back.tensors);
    assert.deepEqual(back.tokenizer, ckpt.tokenizer);
    assert.equal(checkpointTokenizer(back).encode("12+3=15").length, 7);
    assert.equal(back.optimizer!.step, 42);
    assert.equal(back.optimizer!.lr, 1e-3);
    assert.equal(back.optimizer!.dataCursor, 17);
    sameTensors(ckpt.optimizer!.m, back.optimizer!.m);
    sameTensors(ckpt.optimizer!.v, back.optimizer!.v);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tensors given in any order are stored in canonical order; a tied model has no lm_head", async () => {
  const dir = tmp();
  try {
    const tied = { ...config, tie_word_embeddings: true, score_head: true };
    const t = randomTensors(tied, 4);
    const reversed: TensorMap = new Map([...t.entries()].reverse());
    await saveCheckpoint(dir, { config: tied, tensors: reversed, tokenizer: mathTokenizer().toJSON() });
    const back = await loadCheckpoint(dir);
    assert.ok(!back.tensors.has("lm_head.weight"));
    assert.deepEqual(back.tensors.get("score.weight")!.shape, [1, 16]);
    sameTensors(t, back.tensors);
    assert.equal(back.config.score_head, true);
    assert.equal(back.optimizer, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loads the model PyTorch's reference wrote (config.json from torch_llama.py init)", async () => {
  const ckpt = await loadCheckpoint("test/fixtures/torch/gqa-untied");
  assert.equal(ckpt.config.num_key_value_heads, 2);
  assert.equal(ckpt.config.rope_theta, 1000);
  assert.deepEqual(ckpt.tensors.get("model.layers.0.self_attn.k_proj.weight")!.shape, [8, 16]);
  assert.ok(ckpt.tensors.has("lm_head.weight"));
  assert.equal(checkpointTokenizer(ckpt).vocabSize, 31);
});

test("a folder mixing two saves (interrupted save) is refused rather than resumed", async () => {
  const a = tmp(), b = tmp();
  try {
    const base = { config, tokenizer: mathTokenizer().toJSON() };
    await saveCheckpoint(a, { ...base, tensors: randomTensors(config, 5), optimizer: { step: 1, m: zerosLike(config), v: zerosLike(config) } });
    await saveCheckpoint(b, { ...base, tensors: randomTensors(config, 6), optimizer: { step: 2, m: zerosLike(config), v: zerosLike(config) } });
    copyFileSync(join(a, "optimizer.safetensors"), join(b, "optimizer.safetensors"));
    await assert.rejects(loadCheckpoint(b), /come from different saves/);
    // saving again over the same folder is fine and leaves no temp files behind
    await saveCheckpoint(a, { ...base, tensors: randomTensors(config, 7), optimizer: { step: 3, m: zerosLike(config), v: zerosLike(config) } });
    assert.equal((await loadCheckpoint(a)).optimizer!.step, 3);
    assert.equal(readdirSync(a).filter((f) => f.endsWith(".tmp")).length, 0);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test("bad checkpoints name the file and the tensor or field", async () => {
  const dir = tmp();
  try {
    await saveCheckpoint(dir, { config, tensors: randomTensors(config, 8), tokenizer: mathTokenizer().toJSON() });
    const st = await readSafetensors(join(dir, "model.safetensors"));
    const bad = new Map(st.tensors);
    bad.set("model.layers.0.mlp.up_proj.weight", { shape: [16, 40], data: new Float32Array(640) });
    await writeSafetensors(join(dir, "model.safetensors"), bad);
    await assert.rejects(loadCheckpoint(dir), /model\.safetensors: tensor model\.layers\.0\.mlp\.up_proj\.weight has shape \[16, 40\], expected \[40, 16\]/);
    bad.delete("model.layers.0.mlp.up_proj.weight");
    await writeSafetensors(join(dir, "model.safetensors"), bad);
    await assert.rejects(loadCheckpoint(dir), /missing tensor model\.layers\.0\.mlp\.up_proj\.weight/);
    const hf = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...hf, num_key_value_heads: 3 }));
    await assert.rejects(loadCheckpoint(dir), /config\.json: num_attention_heads 4 is not divisible by num_key_value_heads 3/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...hf, vocab_size: 100 }));
    await assert.rejects(loadCheckpoint(dir), /tensor model\.embed_tokens\.weight has shape \[384, 16\], expected \[100, 16\]/);
    writeFileSync(join(dir, "config.json"), "{");
    await assert.rejects(loadCheckpoint(dir), /config\.json: invalid JSON/);
    await assert.rejects(loadCheckpoint(join(dir, "nope")), /nope\/config\.json: cannot read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("configFromHF fills HF defaults and refuses what the model does not implement", () => {
  const c = configFromHF({ model_type: "llama", vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, eos_token_id: [7, 9] });
  assert.equal(c.num_key_value_heads, 2);
  assert.equal(c.rms_norm_eps, 1e-6);
  assert.equal(c.rope_theta, 10000);
  assert.equal(c.tie_word_embeddings, false);
  assert.equal(c.eos_token_id, 7);
  const base = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };
  assert.throws(() => configFromHF({ ...base, rope_scaling: { type: "linear", factor: 2 } }), /rope_scaling is not supported/);
  assert.throws(() => configFromHF({ ...base, model_type: "gpt2" }), /model_type "gpt2" is not a Llama-style model/);
  assert.throws(() => configFromHF({ ...base, hidden_act: "gelu" }), /hidden_act "gelu"/);
  assert.throws(() => configFromHF({ ...base, attention_bias: true }), /biases/);
  assert.throws(() => configFromHF({ ...base, head_dim: 8 }), /head_dim 8 differs/);
  assert.throws(() => configFromHF({ ...base, hidden_size: "8" }), /hidden_size must be a positive integer/);
});

test("sharded HF checkpoints (model.safetensors.index.json) load; shard names cannot leave the folder", async () => {
  const dir = tmp();
  try {
    const t = randomTensors(config, 9);
    const entries = [...t.entries()];
    const half = Math.floor(entries.length / 2);
    await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), entries.slice(0, half));
    await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), entries.slice(half));
    const weight_map: Record<string, string> = {};
    entries.forEach(([n], i) => (weight_map[n] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"));
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map }));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "llama", ...config }));
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(mathTokenizer().toJSON()));
    sameTensors(t, (await loadCheckpoint(dir)).tensors);
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { x: "../etc/passwd" } }));
    await assert.rejects(loadCheckpoint(dir), /shard name "\.\.\/etc\/passwd" must be a plain file name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Hugging Face tokenizer.json travels through the checkpoint unchanged; config.json's ids take precedence", async () => {
  const dir = tmp();
  try {
    const vocab: Record<string, number> = { "<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, a: 4, b: 5, "▁a": 6 };
    const hfJson = {
      version: "1.0",
      added_tokens: [{ id: 0, content: "<unk>", special: true }, { id: 1, content: "<s>", special: true }, { id: 2, content: "</s>", special: true }, { id: 7, content: "<pad>", special: true }],
      normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
      pre_tokenizer: null, post_processor: null,
      decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
      model: { type: "BPE", vocab, merges: ["▁ a"], unk_token: "<unk>" },
    };
    const small = { ...config, vocab_size: 8 };
    await saveCheckpoint(dir, { config: small, tensors: randomTensors(small, 10), tokenizer: hfJson });
    const back = await loadCheckpoint(dir);
    assert.deepEqual(back.tokenizer, hfJson);
    assert.deepEqual([back.config.bos_token_id, back.config.eos_token_id, back.config.pad_token_id], [1, 2, 7]);
    const tok = checkpointTokenizer(back);
    assert.deepEqual(tok.encode("a b"), [6, 3, 5]);
    assert.equal(tok.decode([6, 3, 5]), "a b");
    const hf = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...hf, eos_token_id: 7 }));
    assert.equal(checkpointTokenizer(await loadCheckpoint(dir)).eos, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

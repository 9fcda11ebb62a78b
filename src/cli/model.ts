// `trimer model init | train | sample`: create an embedded model, train it on a text or JSONL file, sample from it.
//
//   trimer model init   --config tiny --out runs/m
//   trimer model train  --checkpoint runs/m --data ../shared/data/gsm8k/train.jsonl --steps 300 --batch 16 --ctx 256 --lr 3e-3
//   trimer model sample --checkpoint runs/m --prompt "Natalia sold clips" --max-tokens 64 --temperature 0
//
// Training is plain next-token cross-entropy: train/sft.ts's supervised step, run by train/runner.ts like every
// training stage of `trimer run`.
// Batches are a pure function of (seed, step) — random windows of a .txt file, or an epoch-wise shuffle of JSONL
// records — so a resumed run draws exactly the batches the uninterrupted run would have drawn, and nothing about
// the data needs to be checkpointed beyond the step.
import { readFile, access } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { CommandModule } from "./command.js";
import { numberFlag, parseFlags } from "./command.js";
import { InputError, UsageError } from "../util/errors.js";
import { checkedFileSize } from "../util/files.js";
import { writeFileAtomic } from "../util/atomic.js";
import { createRng, mixSeed } from "../util/rng.js";
import { LocalEngine } from "../engine/local.js";
import { Transformer } from "../model/transformer.js";
import { configFromHF, loadCheckpoint, saveCheckpoint, checkpointTokenizer, FILES } from "../model/checkpoint.js";
import { mathTokenizer, type CharTokenizerJSON, type Tokenizer } from "../model/tokenizer.js";
import type { ModelConfig } from "../model/config.js";
import { learningRate, checkLrSchedule, type LrSchedule, type LrScheduleKind } from "../model/schedule.js";
import { readJsonlValues } from "../data/jsonl.js";
import { plainDatum, textDatum } from "../train/examples.js";
import { runSteps, type StepLoop } from "../train/runner.js";
import { supervisedLoop } from "../train/sft.js";
import type { ChatMessage, Datum } from "../engine/types.js";

export const summary = "create, train, sample from and export an embedded model (init | train | sample | export)";

const USAGE = `usage: trimer model <init|train|sample> [options]   (trimer model <sub> --help for its options)

  init     create a randomly initialised model folder (config.json, model.safetensors, tokenizer.json)
  train    train it with next-token cross-entropy on a .txt or .jsonl file, with checkpoints and --resume
  sample   generate from it
  export   write it as a GGUF file for llama.cpp / Ollama (--format gguf)`;

/** model train / sample / export took the checkpoint folder as --model, before the one vocabulary (vocab.ts). */
const MODEL_IS_CHECKPOINT = { aliases: { model: { to: "checkpoint" } } } as const;

// ------------------------------------------------------------------------------------------------------ init
/** Shape presets; vocab_size is filled from the tokenizer (rounded up to a multiple of 8 for the kernels). */
export const PRESETS: Record<string, Omit<ModelConfig, "vocab_size">> = {
  // ~0.1M parameters: trains a few hundred steps in about a minute on 2 cores; for tests and demos.
  tiny: { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 176,
    max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true },
  // The benchmark's config A shape (d 128, 4 layers) with GQA: ~0.8M parameters.
  small: { hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 512,
    max_position_embeddings: 512, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false },
};

const INIT_USAGE = `usage: trimer model init --config tiny|small|FILE.json --out DIR [--seed N]

  --config   a preset (${Object.keys(PRESETS).join(", ")}) or an HF Llama config.json (vocab_size may be omitted)
  --out      folder to create (must not already hold a model)
  --seed     initialisation seed (default 0)
The tokenizer is trimer's character-level math vocabulary.`;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function resolveConfig(spec: string, tok: Tokenizer): Promise<ModelConfig> {
  const vocab = Math.ceil(tok.vocabSize / 8) * 8;
  const preset = PRESETS[spec];
  if (preset) return { vocab_size: vocab, ...preset };
  if (!spec.endsWith(".json")) throw new UsageError(`--config must be one of ${Object.keys(PRESETS).join(", ")} or a .json file, got "${spec}"`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(spec, "utf8"));
  } catch (e) {
    throw new InputError(`${spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (typeof raw === "object" && raw !== null && !("vocab_size" in raw)) (raw as Record<string, unknown>).vocab_size = vocab;
  return configFromHF(raw, spec);
}

async function init(argv: string[]): Promise<number> {
  const f = parseFlags(argv, { config: { type: "string" }, out: { type: "string" }, seed: { type: "string" } }, INIT_USAGE);
  if (!f) return 0;
  const { config: spec, out } = f.values;
  if (!spec || !out) throw new UsageError(`--config and --out are required\n\n${INIT_USAGE}`);
  const seed = numberFlag(f.values.seed, "seed", 0, true);
  if (await exists(join(out, FILES.model))) throw new UsageError(`${out} already holds a model; choose another --out`);
  const tok = mathTokenizer();
  const config = await resolveConfig(spec, tok);
  const engine = LocalEngine.create(config, tok, seed);
  await saveCheckpoint(out, { config: engine.config, tensors: engine.model.parameters(), tokenizer: tok.toJSON() });
  const c = engine.config;
  console.log(`wrote ${out}: ${engine.model.numParameters().toLocaleString("en-US")} parameters ` +
    `(d ${c.hidden_size}, ${c.num_hidden_layers} layers, ${c.num_attention_heads} heads / ${c.num_key_value_heads} kv, ` +
    `vocab ${c.vocab_size}, context ${c.max_position_embeddings}, seed ${seed})`);
  return 0;
}

// ------------------------------------------------------------------------------------------------------ data
const MAX_TEXT_BYTES = 512 * 1024 * 1024;

/** Where training rows come from: `batch(step)` is deterministic in (seed, step). */
export interface TrainingData {
  describe: string;
  batch(step: number, size: number): Datum[];
}

/** Random windows of `ctx` tokens over one token stream (a .txt file). */
export function windowData(stream: number[], ctx: number, seed: number): TrainingData {
  if (stream.length < 2) throw new InputError("the training text has fewer than 2 tokens");
  const len = Math.min(ctx, stream.length);
  return {
    describe: `${stream.length.toLocaleString("en-US")} tokens, windows of ${len}`,
    batch(step, size) {
      const rng = createRng(mixSeed(seed, step));
      return Array.from({ length: size }, () => {
        const start = rng.int(0, stream.length - len);
        const tokens = stream.slice(start, start + len);
        return { tokens, weights: new Array<number>(len - 1).fill(1) };
      });
    },
  };
}

/** Records drawn without replacement within an epoch; each epoch has its own seeded order. */
export function recordData(records: Datum[], seed: number): TrainingData {
  if (records.length === 0) throw new InputError("the training file has no usable records");
  const orders = new Map<number, number[]>();
  const order = (epoch: number): number[] => {
    let o = orders.get(epoch);
    if (!o) {
      o = createRng(mixSeed(seed, 0x5eed, epoch)).shuffle(records.map((_, i) => i));
      orders.clear(); // only the current (and possibly next) epoch are ever needed
      orders.set(epoch, o);
    }
    return o;
  };
  return {
    describe: `${records.length.toLocaleString("en-US")} records`,
    batch(step, size) {
      return Array.from({ length: size }, (_, r) => {
        const k = step * size + r;
        return records[order(Math.floor(k / records.length))[k % records.length]!]!;
      });
    },
  };
}

function chatDatum(tok: Tokenizer, messages: ChatMessage[], ctx: number): Datum {
  // Train on the assistant turns (and the eos that closes each), not on what the user or system said.
  const { tokens, spans } = tok.renderChatSpans(messages, { addGenerationPrompt: false });
  const weights = new Array<number>(tokens.length - 1).fill(0);
  for (const s of spans) if (s.role === "assistant") for (let t = s.start; t <= s.end; t++) if (t >= 1) weights[t - 1] = 1;
  const n = Math.min(tokens.length, ctx);
  return { tokens: tokens.slice(0, n), weights: weights.slice(0, n - 1) };
}

/**
 * One JSONL record as a training row. Accepted shapes: {"text"}, {"prompt","completion"}, {"question","answer"}
 * (GSM8K), {"problem","solution"} (MATH), {"messages": [{role, content}]}. Prompt-like fields get weight 0.
 */
export function recordDatum(tok: Tokenizer, value: unknown, ctx: number, where: string): Datum {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object`);
  const r = value as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof r[k] !== "string") throw new InputError(`${where}: field "${k}" must be a string`);
    return r[k] as string;
  };
  if ("text" in r) return plainDatum(tok, str("text"), ctx);
  for (const [p, c] of [["prompt", "completion"], ["question", "answer"], ["problem", "solution"]] as const) {
    if (p in r) return textDatum(tok, { prompt: str(p), completion: str(c) }, {}, ctx);
  }
  if (Array.isArray(r.messages)) {
    const msgs = r.messages.map((m, i): ChatMessage => {
      const mm = m as Partial<ChatMessage> | null;
      if (!mm || !["system", "user", "assistant"].includes(mm.role as string) || typeof mm.content !== "string") {
        throw new InputError(`${where}: messages[${i}] must be {"role": system|user|assistant, "content": string}`);
      }
      return { role: mm.role!, content: mm.content };
    });
    return chatDatum(tok, msgs, ctx);
  }
  throw new InputError(`${where}: no "text", "prompt"/"completion", "question"/"answer", "problem"/"solution" or "messages" field`);
}

export async function loadTrainingData(path: string, tok: Tokenizer, ctx: number, seed: number): Promise<TrainingData> {
  await checkedFileSize(path, MAX_TEXT_BYTES);
  if (path.endsWith(".jsonl")) {
    const records: Datum[] = [];
    let cut = 0;
    for await (const { line, value } of readJsonlValues(path)) {
      const d = recordDatum(tok, value, ctx, `${path}:${line}`);
      // A record whose prompt fills the whole context has nothing left to learn from.
      if (d.tokens.length >= 2 && d.weights.some((w) => w > 0)) records.push(d);
      else cut++;
    }
    const data = recordData(records, seed);
    if (cut) data.describe += ` (${cut.toLocaleString("en-US")} skipped: no trained token within ${ctx} tokens)`;
    return data;
  }
  return windowData(tok.encode(await readFile(path, "utf8")), ctx, seed);
}

// ------------------------------------------------------------------------------------------------------ train
const TRAIN_USAGE = `usage: trimer model train --checkpoint DIR --data FILE.txt|FILE.jsonl --steps N [options]

  --checkpoint DIR   the model to start from (trimer model init)
  --data FILE        .txt (random windows of the text) or .jsonl (one record a line: text | prompt+completion |
                     question+answer | problem+solution | messages)
  --steps N          optimizer steps in total (a resumed run continues up to N)
  --batch B          rows per step (default 16)
  --ctx T            tokens per row (default: the model's context)
  --lr LR            peak learning rate (default 3e-3)
  --schedule KIND    cosine | linear | constant (default cosine), after --warmup steps (default 5% of --steps)
  --min-lr LR        floor of the decay (default lr / 10)
  --weight-decay W   AdamW decoupled weight decay (default 0.1)
  --clip C           clip the global gradient norm (default 1; 0 = off)
  --out DIR          where checkpoints go (default: --checkpoint, updated in place); the curves go to
                     OUT/train_log.jsonl and OUT/events.out.tfevents.trimer (TensorBoard: tensorboard --logdir OUT)
  --save-every N     checkpoint every N steps (default: steps / 10, at least 10)
  --resume           continue from the optimizer state and step saved in --out
  --seed N           data order seed (default 0)
  --quiet            no progress output
Old spelling still accepted, with a notice: --model DIR (--checkpoint).`;

interface RunInfo {
  data: string;
  batch: number;
  ctx: number;
  seed: number;
  steps: number;
  schedule: LrSchedule;
  weightDecay: number;
  clip: number;
}

async function train(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    checkpoint: { type: "string" }, data: { type: "string" }, steps: { type: "string" }, batch: { type: "string" },
    ctx: { type: "string" }, lr: { type: "string" }, schedule: { type: "string" }, warmup: { type: "string" },
    "min-lr": { type: "string" }, "weight-decay": { type: "string" }, clip: { type: "string" }, out: { type: "string" },
    "save-every": { type: "string" }, resume: { type: "boolean" }, seed: { type: "string" }, quiet: { type: "boolean" },
  }, TRAIN_USAGE, false, MODEL_IS_CHECKPOINT);
  if (!f) return 0;
  const v = f.values;
  if (!v.checkpoint || !v.data || v.steps === undefined) throw new UsageError(`--checkpoint, --data and --steps are required\n\n${TRAIN_USAGE}`);
  const out = v.out ?? v.checkpoint;
  const steps = numberFlag(v.steps, "steps", 0, true);
  if (steps < 1) throw new UsageError("--steps must be at least 1");

  // Start: from --out's saved state with --resume, else from --checkpoint's weights with a fresh optimizer.
  const from = v.resume ? out : v.checkpoint;
  if (v.resume && !(await exists(join(out, FILES.trainerState)))) {
    throw new UsageError(`--resume: ${out} has no ${FILES.trainerState} (no training run was saved there)`);
  }
  const ck = await loadCheckpoint(from);
  const tok = checkpointTokenizer(ck);
  const opt = v.resume && ck.optimizer ? { step: ck.optimizer.step, m: ck.optimizer.m, v: ck.optimizer.v } : undefined;
  const engine = new LocalEngine(new Transformer(ck.config, ck.tensors), tok, opt);
  const saved = v.resume ? (ck.optimizer?.run as RunInfo | undefined) : undefined;

  const ctxDefault = ck.config.max_position_embeddings;
  const batch = numberFlag(v.batch, "batch", saved?.batch ?? 16, true);
  const ctx = numberFlag(v.ctx, "ctx", saved?.ctx ?? ctxDefault, true);
  if (batch < 1) throw new UsageError("--batch must be at least 1");
  if (ctx < 2 || ctx > ctxDefault) throw new UsageError(`--ctx must be in [2, ${ctxDefault}] (the model's context), got ${ctx}`);
  const lr = numberFlag(v.lr, "lr", saved?.schedule.peak ?? 3e-3);
  const schedule: LrSchedule = {
    kind: (v.schedule ?? saved?.schedule.kind ?? "cosine") as LrScheduleKind,
    peak: lr,
    warmupSteps: numberFlag(v.warmup, "warmup", saved?.schedule.warmupSteps ?? Math.min(Math.round(steps * 0.05), steps - 1), true),
    totalSteps: steps,
    floor: numberFlag(v["min-lr"], "min-lr", saved?.schedule.floor ?? lr / 10),
  };
  try {
    checkLrSchedule(schedule);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const run: RunInfo = {
    data: v.data, batch, ctx, steps, schedule,
    seed: numberFlag(v.seed, "seed", saved?.seed ?? 0, true),
    weightDecay: numberFlag(v["weight-decay"], "weight-decay", saved?.weightDecay ?? 0.1),
    clip: numberFlag(v.clip, "clip", saved?.clip ?? 1),
  };
  const saveEvery = numberFlag(v["save-every"], "save-every", Math.max(10, Math.ceil(steps / 10)), true);
  if (saveEvery < 1) throw new UsageError("--save-every must be at least 1");

  const data = await loadTrainingData(v.data, tok, ctx, run.seed);
  const start = engine.step;
  const say = (s: string): void => { if (!v.quiet) process.stderr.write(`${s}\n`); };
  if (saved && (saved.data !== run.data || saved.batch !== batch || saved.ctx !== ctx || saved.seed !== run.seed)) {
    say(`note: resuming with different data settings than the saved run (${saved.data}, batch ${saved.batch}, ctx ${saved.ctx}, seed ${saved.seed}); ` +
      "batches will not be the ones the uninterrupted run would have drawn");
  }
  if (start >= steps) {
    say(`${out} is already at step ${start} of ${steps}; nothing to do`);
    return 0;
  }
  say(`training ${from}${v.resume ? ` from step ${start}` : ""}: ${engine.model.numParameters().toLocaleString("en-US")} parameters, ` +
    `data ${data.describe}, batch ${batch} x ${ctx}, lr ${lr} ${schedule.kind}, ${steps} steps -> ${out}`);

  const save = async (): Promise<void> => {
    await saveCheckpoint(out, {
      config: engine.config, tensors: engine.model.parameters(), tokenizer: tok.toJSON(),
      optimizer: { ...engine.optimizerState(), run },
    });
  };
  // Ctrl-C: finish the current step, save, and stop (a second Ctrl-C kills as usual).
  let stop = false;
  const onSigint = (): void => {
    stop = true;
    process.removeListener("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  const sft = supervisedLoop({ label: "train", steps, lr: (s) => learningRate(schedule, s), weightDecay: run.weightDecay, maxGradNorm: run.clip || undefined },
    engine, (s) => data.batch(s, batch));
  let ema = NaN;
  let tokensSeen = 0;
  const t0 = Date.now();
  // train_log.jsonl keeps its own line: the steps done (1-based), loss, lr, gradient norm and trained tokens.
  const loop: StepLoop = {
    label: "train",
    steps,
    async step(s) {
      const { record: r } = await sft.step(s);
      tokensSeen += r.tokens!;
      ema = Number.isNaN(ema) ? r.loss! : 0.9 * ema + 0.1 * r.loss!;
      const tps = tokensSeen / Math.max(1e-3, (Date.now() - t0) / 1000);
      return {
        record: { step: s + 1, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokens: r.targetTokens },
        status: `loss ${ema.toFixed(3)}  lr ${r.lr!.toExponential(1)}  ${Math.round(tps).toLocaleString("en-US")} tok/s`,
      };
    },
  };
  try {
    await runSteps(engine, loop, { start, save, checkpointEvery: saveEvery, metricsPath: join(out, "train_log.jsonl"), quiet: v.quiet, stop: () => stop });
    await save();
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`${stop ? "stopped" : "done"} at step ${engine.step}: loss ${ema.toFixed(4)} (smoothed), ` +
    `${Math.round(tokensSeen / secs).toLocaleString("en-US")} tok/s, ${secs.toFixed(1)} s; saved ${out}`);
  return stop ? 130 : 0;
}

// ------------------------------------------------------------------------------------------------------ sample
const SAMPLE_USAGE = `usage: trimer model sample --checkpoint DIR --prompt TEXT [options]

  --prompt TEXT      the prompt (completion style: bos + text; with --chat, a user message)
  --chat             render the prompt as a chat (user turn, then the assistant opener)
  --n N              completions (default 1)
  --temperature T    0 = greedy (default 1)
  --top-p P          nucleus sampling (default 1)
  --top-k K          0 = off (default 0)
  --max-tokens N     new tokens (default 128)
  --stop S           stop string (repeatable)
  --seed N           reproducible sampling (default 0)
  --json             one JSON object per completion (text, tokens, logprobs, finishReason)
Old spelling still accepted, with a notice: --model DIR (--checkpoint).`;

async function sample(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    checkpoint: { type: "string" }, prompt: { type: "string" }, chat: { type: "boolean" }, n: { type: "string" },
    temperature: { type: "string" }, "top-p": { type: "string" }, "top-k": { type: "string" }, "max-tokens": { type: "string" },
    stop: { type: "string", multiple: true }, seed: { type: "string" }, json: { type: "boolean" },
  }, SAMPLE_USAGE, false, MODEL_IS_CHECKPOINT);
  if (!f) return 0;
  const v = f.values;
  if (!v.checkpoint || v.prompt === undefined) throw new UsageError(`--checkpoint and --prompt are required\n\n${SAMPLE_USAGE}`);
  const engine = await LocalEngine.load(v.checkpoint);
  const prompt = v.chat ? [{ role: "user" as const, content: v.prompt }] : v.prompt;
  let completions;
  try {
    [completions] = await engine.sampler().sample([prompt], {
      n: numberFlag(v.n, "n", 1, true),
      temperature: numberFlag(v.temperature, "temperature", 1),
      topP: numberFlag(v["top-p"], "top-p", 1),
      topK: numberFlag(v["top-k"], "top-k", 0, true),
      maxTokens: numberFlag(v["max-tokens"], "max-tokens", 128, true),
      stop: v.stop,
      seed: numberFlag(v.seed, "seed", 0, true),
      logprobs: v.json,
    });
  } catch (e) {
    // The sampler's option checks (e.g. top-p outside (0, 1]) are about the flags the user gave.
    if (e instanceof Error && e.message.startsWith("sample: ")) throw new UsageError(e.message);
    throw e;
  }
  for (const [i, c] of completions!.entries()) {
    if (v.json) console.log(JSON.stringify({ index: i, text: c.text, tokens: c.tokens, logprobs: c.logprobs, completionTokens: c.completionTokens, finishReason: c.finishReason }));
    else console.log(`${completions!.length > 1 ? `--- ${i + 1} (${c.completionTokens} tokens, ${c.finishReason})\n` : ""}${c.text}`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------- export
const EXPORT_USAGE = `usage: trimer model export --format gguf --checkpoint DIR --out FILE.gguf [--name NAME]

Writes the checkpoint as a GGUF file (float32, llama architecture, trimer's vocabulary with its chat template) for
llama.cpp, Ollama and LM Studio:  llama-cli -m FILE.gguf -p "12+30=" -n 32 --temp 0
(The folder itself is a Hugging Face Llama checkpoint: transformers and vLLM read it as it is.)
Old spelling still accepted, with a notice: --model DIR (--checkpoint).`;

async function exportModel(argv: string[]): Promise<number> {
  const f = parseFlags(argv, { format: { type: "string" }, checkpoint: { type: "string" }, out: { type: "string" }, name: { type: "string" } }, EXPORT_USAGE, false, MODEL_IS_CHECKPOINT);
  if (!f) return 0;
  const v = f.values;
  if (v.format !== "gguf") throw new UsageError(`--format gguf is required (the only export format)\n\n${EXPORT_USAGE}`);
  if (!v.checkpoint || !v.out) throw new UsageError(`--checkpoint and --out are required\n\n${EXPORT_USAGE}`);
  const ck = await loadCheckpoint(v.checkpoint);
  const tok = ck.tokenizer;
  if (!("type" in tok) || tok.type !== "trimer-char") {
    throw new InputError(`${v.checkpoint}: its tokenizer is a Hugging Face tokenizer of its own; convert this folder with llama.cpp's convert_hf_to_gguf.py instead`);
  }
  const { ggufChunks } = await import("../model/gguf.js");
  let chunks: Uint8Array[];
  try {
    chunks = [...ggufChunks(ck.config, ck.tensors, tok as CharTokenizerJSON, { name: v.name ?? basename(resolve(v.checkpoint)) })];
  } catch (e) {
    throw new InputError(`${v.checkpoint}: ${(e as Error).message}`);
  }
  await writeFileAtomic(v.out, chunks);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  console.log(`wrote ${v.out}: ${(bytes / 1e6).toFixed(1)} MB GGUF (float32, ${ck.config.num_hidden_layers} layers, vocab ${ck.config.vocab_size})`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "init": return init(rest);
    case "export": return exportModel(rest);
    case "train": return train(rest);
    case "sample": return sample(rest);
    case undefined: case "--help": case "-h":
      console.log(USAGE);
      return sub ? 0 : 2;
    default:
      throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
  }
}

const command: CommandModule = { summary, main };
export default command;

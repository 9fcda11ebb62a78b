// Opening a checkpoint for `trimer serve`: the tokenizer and context length on the HTTP thread, the weights in a
// worker thread (default) or in-process.
import { join } from "node:path";
import { LocalEngine } from "../engine/local.js";
import { FILES, checkpointTokenizer, configFromHF, readTokenizerFiles } from "../model/checkpoint.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { InputError } from "../util/errors.js";
import { readJsonFile } from "../util/files.js";
import type { SampleBackend } from "./batcher.js";
import type { StepBackend } from "./continuous.js";
import { WorkerBackend, inProcessBackend, inProcessScorer, inProcessStepBackend } from "./backends.js";
import type { PromptScorer } from "./prompt-logprobs.js";

export interface ServedModel {
  tokenizer: Tokenizer;
  contextLength: number;
  /** Whole-batch calls (Batcher). */
  backend: SampleBackend;
  /** Continuous-batching ticks (ContinuousBatcher); the same engine. */
  stepBackend: StepBackend;
  /** Prompt log-probabilities (echo + logprobs); the same engine. */
  scorer: PromptScorer;
  close(): Promise<void>;
}

/** Loads `dir` for serving. `inProcess` runs the engine on the calling thread (blocks the event loop while decoding). */
export async function openServedModel(dir: string, opts: { inProcess?: boolean } = {}): Promise<ServedModel> {
  if (opts.inProcess) {
    const engine = await LocalEngine.load(dir);
    if (engine.config.score_head) throw new InputError(`${dir}: this checkpoint is a reward model (score head); it cannot generate text`);
    return { tokenizer: engine.tokenizer, contextLength: engine.config.max_position_embeddings, backend: inProcessBackend(engine), stepBackend: inProcessStepBackend(engine), scorer: inProcessScorer(engine), close: async () => {} };
  }
  // Only config.json and tokenizer.json here; the weights load once, inside the worker (which validates them).
  const configPath = join(dir, FILES.config);
  let config;
  try {
    config = configFromHF(await readJsonFile(configPath, 1024 * 1024), configPath);
  } catch (e) {
    throw e instanceof InputError ? e : new InputError((e as Error).message);
  }
  if (config.score_head) throw new InputError(`${dir}: this checkpoint is a reward model (score head); it cannot generate text`);
  let tokenizer: Tokenizer;
  try {
    tokenizer = checkpointTokenizer({ config, tokenizer: await readTokenizerFiles(dir) });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const worker = await WorkerBackend.start(dir);
  return { tokenizer, contextLength: config.max_position_embeddings, backend: worker, stepBackend: worker, scorer: worker, close: () => worker.close() };
}

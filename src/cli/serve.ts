// `trimer serve`: an OpenAI-compatible HTTP server for a trimer checkpoint (/v1/models, /v1/chat/completions,
// /v1/completions), continuously batching concurrent requests (rows join the running batch between decode steps).
//
//   trimer serve --checkpoint runs/mini/models/grpo --port 8000 --token secret
//   curl -H 'authorization: Bearer secret' localhost:8000/v1/completions -d '{"model":"trimer","prompt":"3*9+3-6="}'
import { basename, resolve } from "node:path";
import { Batcher } from "../serve/batcher.js";
import { ContinuousBatcher } from "../serve/continuous.js";
import { openServedModel } from "../serve/host.js";
import { startOpenAIServer } from "../serve/openai-server.js";
import { UsageError } from "../util/errors.js";
import { numberFlag, parseFlags, type CommandModule } from "./command.js";
import { CHECKPOINT_FLAGS, SERVER_FLAGS } from "./vocab.js";

const USAGE = `usage: trimer serve --checkpoint DIR [options]

  --checkpoint DIR          a trimer checkpoint folder (config.json, model.safetensors, tokenizer.json)
  --model NAME              the model name clients use (default: the folder's name)
  --host H                  address to listen on (default 127.0.0.1)
  --port P                  (default 8000; 0 = any free port)
  --token T                 require "Authorization: Bearer T" (default: $TRIMER_SERVE_TOKEN, else no auth)
  --max-batch N             most sequences decoding at once (default 32)
  --steps-per-tick N        most decode steps between admissions (default 8); streams get one chunk per token,
                            delivered every tick (1 = lowest latency per token)
  --whole-batch             the older scheduler: each batch decodes to the end before new requests start
  --batch-window-ms MS      with --whole-batch: how long an idle engine waits to gather requests (default 0)
  --max-tokens-limit N      largest max_tokens a request may ask for (default 4096)
  --max-n N                 largest n (default 16)
  --max-body-bytes N        largest request body (default 4194304)
  --in-process              decode on the HTTP thread instead of a worker thread (the server stalls while decoding)
  --quiet                   no per-request log lines

Stops gracefully on SIGINT / SIGTERM (requests in flight finish).
Old spellings still accepted, with a notice: --model DIR for a checkpoint folder (--checkpoint), --served-model-name
(vLLM's spelling; --model).`;

const OPTIONS = {
  ...CHECKPOINT_FLAGS,
  model: SERVER_FLAGS.model,
  host: { type: "string" },
  port: { type: "string" },
  token: { type: "string" },
  "max-batch": { type: "string" },
  "batch-window-ms": { type: "string" },
  "steps-per-tick": { type: "string" },
  "whole-batch": { type: "boolean" },
  "max-tokens-limit": { type: "string" },
  "max-n": { type: "string" },
  "max-body-bytes": { type: "string" },
  "in-process": { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

function positive(v: string | undefined, name: string, fallback: number): number {
  const n = numberFlag(v, name, fallback, true);
  if (n < 1) throw new UsageError(`--${name} must be >= 1, got ${n}`);
  return n;
}

export const summary = "OpenAI-compatible HTTP server for a trimer checkpoint (batched sampling)";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, OPTIONS, USAGE, false, { aliases: { "served-model-name": { to: "model" } } });
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.checkpoint) {
    const hint = v.model !== undefined ? ` ("${v.model}" is not a checkpoint folder: --model is the name to serve under)` : "";
    throw new UsageError(`--checkpoint DIR is required${hint}\n\n${USAGE}`);
  }
  const port = numberFlag(v.port, "port", 8000, true);
  if (port < 0 || port > 65535) throw new UsageError(`--port must be in [0, 65535], got ${port}`);
  const windowMs = numberFlag(v["batch-window-ms"], "batch-window-ms", 0);
  if (windowMs < 0) throw new UsageError(`--batch-window-ms must be >= 0, got ${windowMs}`);
  const maxBatch = positive(v["max-batch"], "max-batch", 32);
  const stepsPerTick = positive(v["steps-per-tick"], "steps-per-tick", 8);
  const maxTokens = positive(v["max-tokens-limit"], "max-tokens-limit", 4096);
  const maxN = positive(v["max-n"], "max-n", 16);
  const maxBodyBytes = positive(v["max-body-bytes"], "max-body-bytes", 4 * 1024 * 1024);
  const token = v.token ?? process.env.TRIMER_SERVE_TOKEN;
  if (token !== undefined && token.trim() === "") throw new UsageError("--token must not be empty");
  const name = v.model ?? basename(resolve(v.checkpoint));

  const model = await openServedModel(v.checkpoint, { inProcess: v["in-process"] });
  const whole = v["whole-batch"] ? new Batcher(model.backend, { maxBatch, windowMs }) : null;
  const continuous = whole ? null : new ContinuousBatcher(model.stepBackend, { maxBatch, stepsPerTick });
  const batcher = whole ?? continuous!;
  const log = v.quiet ? undefined : (line: string): void => console.error(`${new Date().toISOString()} ${line}`);
  const running = await startOpenAIServer({
    batcher, tokenizer: model.tokenizer, contextLength: model.contextLength, scorer: model.scorer, modelName: name, token,
    maxN, maxTokens, maxBodyBytes, host: v.host ?? "127.0.0.1", port, log,
  });
  console.log(`trimer serve: ${name} at ${running.url}${token ? " (bearer token required)" : ""}`);
  if (!token && (v.host ?? "127.0.0.1") !== "127.0.0.1" && v.host !== "localhost" && v.host !== "::1") {
    console.error("warning: listening beyond loopback without --token: anyone who can reach this port can use the model");
  }
  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.error(`trimer serve: ${sig}, finishing requests in flight`);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      void running.close().then(() => model.close()).then(done);
    };
    const onInt = (): void => stop("SIGINT");
    const onTerm = (): void => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
  if (continuous) {
    const e = continuous.engineStats;
    console.error(`trimer serve: stopped after ${continuous.stats.jobs} requests in ${e.admissions} engine calls (admissions; ${continuous.stats.calls} ticks, ${e.steps} decode steps)`);
  } else console.error(`trimer serve: stopped after ${whole!.stats.jobs} requests in ${whole!.stats.calls} engine calls`);
  return 0;
}

const mod: CommandModule = { summary, main };
export default mod;

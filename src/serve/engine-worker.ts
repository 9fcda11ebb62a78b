// Worker-thread entry for `trimer serve`: loads one checkpoint and answers sampleTokens calls (whole-batch) and runs
// the continuous-batching loop (step-engine.ts's TickLoop), so decoding never blocks the HTTP server's event loop
// (see backends.ts). The loop runs ticks back to back while rows decode, and between two ticks takes whatever the
// batcher sent meanwhile with receiveMessageOnPort (synchronously: the loop never returns to the event loop while
// it has work, so no tick waits for the HTTP thread).
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { LocalEngine } from "../engine/local.js";
import type { Completion, SampleOptions } from "../engine/types.js";
import { scorePrompts, type PromptLogprobs } from "./prompt-logprobs.js";
import { StepEngine, TickLoop, type TickInput, type TickOutcome } from "./step-engine.js";

export type WorkerRequest =
  | { type?: undefined; id: number; rows: number[][]; opts: SampleOptions }
  | { type: "score"; id: number; rows: number[][]; topK: number }
  | { type: "connect"; maxSteps: number }
  | { type: "tick-input"; input: TickInput };

export type WorkerReply =
  | { type: "ready" }
  | { type: "load-error"; name: string; message: string }
  | { type: "result"; id: number; completions: Completion[] }
  | { type: "scored"; id: number; results: PromptLogprobs[] }
  | TickOutcome
  | { type: "error"; id: number; name: string; message: string };

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const send = (m: WorkerReply): void => port.postMessage(m);
  let engine: LocalEngine;
  try {
    engine = await LocalEngine.load((workerData as { dir: string }).dir);
  } catch (e) {
    const err = e as Error;
    send({ type: "load-error", name: err.name, message: err.message });
    return;
  }
  const steps = new StepEngine(engine);
  let loop: TickLoop | null = null;
  const handle = (m: WorkerRequest): void => {
    if (m.type === "connect") {
      loop = new TickLoop(steps, m.maxSteps, send);
      return;
    }
    if (m.type === "tick-input") {
      loop?.push(m.input);
      return;
    }
    try {
      if (m.type === "score") {
        send({ type: "scored", id: m.id, results: scorePrompts(engine.model, m.rows, engine.tokenizer.vocabSize, m.topK) });
        return;
      }
      const out = engine.sampleTokens(m.rows, { ...m.opts, n: 1 }).map((c) => c[0]!);
      send({ type: "result", id: m.id, completions: out });
    } catch (e) {
      const err = e as Error;
      send({ type: "error", id: m.id, name: err.name, message: err.message });
    }
  };
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) handle(r.message as WorkerRequest);
        if (!loop?.hasWork) break;
        loop.runOnce();
      }
    } finally {
      pumping = false;
    }
  };
  port.on("message", (m: WorkerRequest) => {
    handle(m);
    pump();
  });
  send({ type: "ready" });
}

void serve();

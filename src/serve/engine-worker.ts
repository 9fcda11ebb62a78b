// Worker-thread entry for `trimer serve`: loads one checkpoint and answers sampleTokens calls and continuous-batching
// ticks (step-engine.ts) by message, so decoding never blocks the HTTP server's event loop (see backends.ts).
import { parentPort, workerData } from "node:worker_threads";
import { LocalEngine } from "../engine/local.js";
import type { Completion, SampleOptions } from "../engine/types.js";
import { StepEngine, type TickRequest, type TickResult } from "./step-engine.js";

export type WorkerRequest =
  | { type?: undefined; id: number; rows: number[][]; opts: SampleOptions }
  | { type: "tick"; id: number; tick: TickRequest }
  | { type: "reset"; id: number };

export type WorkerReply =
  | { type: "ready" }
  | { type: "load-error"; name: string; message: string }
  | { type: "result"; id: number; completions: Completion[] }
  | { type: "tick-result"; id: number; result: TickResult }
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
  port.on("message", (m: WorkerRequest) => {
    try {
      if (m.type === "tick") return send({ type: "tick-result", id: m.id, result: steps.tick(m.tick) });
      if (m.type === "reset") {
        steps.reset();
        return send({ type: "tick-result", id: m.id, result: { updates: [], steps: 0, rowSteps: 0 } });
      }
      const out = engine.sampleTokens(m.rows, { ...m.opts, n: 1 }).map((c) => c[0]!);
      send({ type: "result", id: m.id, completions: out });
    } catch (e) {
      const err = e as Error;
      send({ type: "error", id: m.id, name: err.name, message: err.message });
    }
  });
  send({ type: "ready" });
}

void serve();

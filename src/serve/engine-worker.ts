// Worker-thread entry for `trimer serve`: loads one checkpoint and answers sampleTokens calls by message, so
// decoding never blocks the HTTP server's event loop (see backends.ts).
import { parentPort, workerData } from "node:worker_threads";
import { LocalEngine } from "../engine/local.js";
import type { Completion, SampleOptions } from "../engine/types.js";

export interface WorkerRequest {
  id: number;
  rows: number[][];
  opts: SampleOptions;
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "load-error"; name: string; message: string }
  | { type: "result"; id: number; completions: Completion[] }
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
  port.on("message", (m: WorkerRequest) => {
    try {
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

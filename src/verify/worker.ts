// Worker-thread body of VerifierPool (pool.ts): verifies batches of (gold, prediction) pairs sent by the parent.
import { parentPort } from "node:worker_threads";
import { verify, type Verdict, type VerifyOptions } from "./index.js";

export interface WorkerRequest {
  id: number;
  jobs: { gold: string; pred: string }[];
  opts: VerifyOptions;
}

export interface WorkerReply {
  id: number;
  verdicts: Verdict[];
}

if (parentPort) {
  const port = parentPort;
  port.on("message", (req: WorkerRequest) => {
    const verdicts = req.jobs.map((j) => verify(j.gold, j.pred, req.opts));
    port.postMessage({ id: req.id, verdicts } satisfies WorkerReply);
  });
}

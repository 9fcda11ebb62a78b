// `trimer serve-reward`: the verifier's reward over HTTP, for OpenRLHF (--reward.remote_url), verl and TRL
// (integrations/ holds the client files for each).
//   TRIMER_REWARD_TOKEN=s3cret trimer serve-reward --host 0.0.0.0 --port 5000
import { parseFlags, numberFlag } from "./command.js";
import { UsageError } from "../util/errors.js";
import { createRewardServer, type GradeFn } from "../serve/reward-server.js";
import { trimerReward, correctnessReward } from "../verify/reward.js";

const usage = `usage: trimer serve-reward [options]

Serves POST /get_reward in OpenRLHF's remote reward-model protocol:
  {"query": [prompt+response], "prompts": [prompt], "labels": [gold]} → {"rewards", "scores", "extra_logs"}
OpenRLHF: --reward.remote_url "http://HOST:PORT/get_reward?token=TOKEN" --data.label_key <answer field>
          (OpenRLHF sends no headers, so the token rides in the URL; older OpenRLHF: --remote_rm_url, --label_key)
verl, TRL: integrations/trimer_verl_reward.py, integrations/trimer_trl_reward.py (see integrations/README.md)

options:
  --host ADDR            interface to bind (default 127.0.0.1; 0.0.0.0 for other machines — set a token)
  --port N               (default 5000)
  --token TEXT           require "Authorization: Bearer TEXT" or ?token=TEXT in the URL (OpenRLHF's client
                         cannot send headers) (default: TRIMER_REWARD_TOKEN, else none)
  --reward trimer|correctness
                         trimer (default): 1.0 correct, 0.2 wrong but \\boxed{} answer, 0 otherwise;
                         correctness: 1 / 0
  --format-reward X      reward of a formatted wrong answer (default 0.2)
  --correct-reward X     reward of a correct answer (default 1.0)
  --batch-timeout-ms N   time bound for grading one request (default 60000); later samples get 0
  --max-batch N          most samples per request (default 100000)
  --quiet                no per-request log lines`;

export const summary = "serve the verifier reward to OpenRLHF / verl over HTTP (POST /get_reward)";

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost";
}

export async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, {
    host: { type: "string" },
    port: { type: "string" },
    token: { type: "string" },
    reward: { type: "string" },
    "format-reward": { type: "string" },
    "correct-reward": { type: "string" },
    "batch-timeout-ms": { type: "string" },
    "max-batch": { type: "string" },
    quiet: { type: "boolean" },
  }, usage);
  if (!f) return 0;
  const v = f.values;
  const host = v.host ?? "127.0.0.1";
  const port = numberFlag(v.port, "port", 5000, true);
  if (port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got ${port}`);
  const token = v.token ?? process.env.TRIMER_REWARD_TOKEN ?? undefined;
  const kind = v.reward ?? "trimer";
  const formatReward = numberFlag(v["format-reward"], "format-reward", 0.2);
  const correctReward = numberFlag(v["correct-reward"], "correct-reward", 1.0);
  let grade: GradeFn;
  if (kind === "trimer") grade = (r, g) => trimerReward(r, g, { formatReward, correctReward });
  else if (kind === "correctness") grade = (r, g) => correctnessReward(r, g);
  else throw new UsageError(`--reward must be trimer or correctness, got "${kind}"`);
  const log = v.quiet ? undefined : (line: string) => console.error(`[${new Date().toISOString()}] ${line}`);
  const server = createRewardServer({
    grade,
    ...(token ? { token } : {}),
    batchTimeoutMs: numberFlag(v["batch-timeout-ms"], "batch-timeout-ms", 60_000, true),
    maxBatch: numberFlag(v["max-batch"], "max-batch", 100_000, true),
    ...(log ? { log } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new UsageError(`port ${port} on ${host} is in use`) : e));
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const shown = typeof addr === "object" && addr ? `${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}` : `${host}:${port}`;
  console.error(`reward server on http://${shown}/get_reward (${kind} reward${token ? ", bearer token required" : ", no auth"})`);
  if (!token && !isLoopback(host)) console.error("warning: listening beyond loopback without a token; anyone who reaches this port can use it");
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      console.error("shutting down");
      server.close(() => resolve());
      server.closeIdleConnections();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}

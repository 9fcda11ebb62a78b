// Shared by the integration tests: find a Python interpreter, start `trimer serve-reward` through the real CLI on
// loopback, and run a Python snippet that prints JSON.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = process.cwd();
export const INTEGRATIONS = join(ROOT, "integrations");
const CLI = join(ROOT, "src/cli/main.ts");

/** The pyenv / PATH python3 (standard library is all the integration files need), or null with the reason. */
export function findPython(): { python: string } | { skip: string } {
  const python = process.env.TRIMER_TEST_PYTHON ?? "python3";
  const r = spawnSync(python, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
  if (r.status !== 0 || r.stdout.trim() !== "3") return { skip: `no usable python3 (${python}); the integration files are not exercised` };
  return { python };
}

/**
 * The Python that has the peers installed (trl, torch, transformers): TRIMER_PEERS_PYTHON, else the venv .ci/run
 * makes at .cache/peers-venv. Null with the reason when none has trl.
 */
export function findPeersPython(): { python: string } | { skip: string } {
  const candidates = [process.env.TRIMER_PEERS_PYTHON, join(ROOT, ".cache/peers-venv/bin/python")].filter((p): p is string => !!p);
  for (const python of candidates) {
    if (!existsSync(python)) continue;
    const r = spawnSync(python, ["-c", "import trl, torch, transformers; print(trl.__version__)"], { encoding: "utf8" });
    if (r.status === 0) return { python };
  }
  return { skip: `no Python with trl found (set TRIMER_PEERS_PYTHON, or let .ci/run create .cache/peers-venv from the local mirror: ${candidates.join(", ") || "none"})` };
}

export interface RewardServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `trimer serve-reward --port 0` through the real CLI; resolves once it prints its address. */
export async function startServeReward(args: string[] = []): Promise<RewardServer> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve-reward", "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-reward did not start: ${err}`)), 30_000);
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /reward server on (http:\/\/\S+\/get_reward)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`serve-reward exited ${code}: ${err}`)); });
  });
  return {
    url,
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}

/** Runs `code` with `python`, passing `input` as JSON on stdin; returns the JSON it prints last. */
export async function runPython<T>(python: string, code: string, input: unknown, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<T> {
  return runPythonArgs<T>(python, ["-c", code], input, env, timeoutMs);
}

/** Runs `python ...args` (a script file and its arguments); same contract as runPython. */
export async function runPythonArgs<T>(python: string, args: string[], input: unknown, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<T> {
  const child = spawn(python, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env }, cwd: ROOT });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => { out += c.toString(); });
  child.stderr.on("data", (c: Buffer) => { err += c.toString(); });
  child.stdin.end(JSON.stringify(input));
  const code_ = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (c) => { clearTimeout(timer); resolve(c); });
  });
  if (code_ !== 0) throw new Error(`python exited ${code_}:\n${err.slice(-4000)}`);
  const last = out.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as T;
}

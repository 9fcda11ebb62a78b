// A real `trimer serve` child process of a checkpoint on loopback (port 0), for tests of fleets of replicas.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const CLI = join(process.cwd(), "src/cli/main.ts");

/** Starts `trimer serve --checkpoint DIR` and resolves with the child and its /v1 URL once it listens. */
export async function startServe(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--checkpoint", dir, "--port", "0", "--model", "mini", "--quiet"], { stdio: ["ignore", "pipe", "ignore"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+\/v1)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited early (${code})`)));
  });
  return { child, url };
}

// The Python the peers run under: a scratch virtual environment made from the pyenv `python3` (not Debian's
// /usr/bin/python3), with the peer packages installed on demand from the machine's package mirror (`pip install`
// works offline here; `--retries 0` keeps pip from waiting on the unreachable public index before it falls back to
// the mirror). Kept under .cache/peer-venv (git-ignored) so that later runs reuse it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PEER_VENV = process.env.TRIMER_PEER_VENV ?? join(ROOT, ".cache", "peer-venv");
export const JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

/** Environment for a peer process: jemalloc preloaded when Debian's libjemalloc2 is there (see ../shared/peers). */
export function peerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (existsSync(JEMALLOC)) Object.assign(env, { LD_PRELOAD: JEMALLOC, MALLOC_CONF: "dirty_decay_ms:-1,muzzy_decay_ms:-1" });
  return env;
}

/**
 * The venv's python with `modules` importable (installing `packages` when an import fails); a string says why not.
 * `python3` on PATH must be a real CPython with venv (pyenv's here).
 */
export function peerPython(modules: string[], packages: string[]): { python: string } | { error: string } {
  const py = join(PEER_VENV, "bin", "python");
  const importable = () => spawnSync(py, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" }).status === 0;
  if (!existsSync(py)) {
    const r = spawnSync("python3", ["-m", "venv", PEER_VENV], { encoding: "utf8" });
    if (r.status !== 0) return { error: `python3 -m venv ${PEER_VENV} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").at(-1)}` };
  }
  if (importable()) return { python: py };
  console.log(`installing ${packages.join(" ")} into ${PEER_VENV} (once; from the local package mirror) ...`);
  const r = spawnSync(py, ["-m", "pip", "install", "--quiet", "--retries", "0", "--timeout", "10", ...packages], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  if (r.status !== 0 || !importable()) return { error: `pip install ${packages.join(" ")} failed: ${(r.stderr ?? "").trim().split("\n").slice(-2).join(" ")}` };
  return { python: py };
}

#!/usr/bin/env node
// Builds the optional native kernels (native/build/Release/trimer_kernels.node) with the node-gyp bundled in npm.
// Runs as the package's `install` script (always rebuilds) and, with --if-stale, from `npm run build`: it then
// rebuilds only when the addon is missing or was built from other sources than the checkout's. A failed or impossible
// build is not an error: trimer then uses the pure-TypeScript kernels (slower), and says so once when the engine loads.
//
// Staleness: after a successful build a stamp beside the addon (trimer_kernels.stamp.json) records a SHA-256 of every
// file directly in native/ (kernels.cc, binding.gyp, this script), of Node's ABI version and architecture, and of
// the CPU model (binding.gyp compiles with -march=native, so an addon is only valid on the CPU it was built for).
// Without it, pulling native/ changes and running `npm run build` left the old addon in place: the engine then
// reported missing functions and fell back, or — same functions, new semantics — ran the old kernels.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const ifStale = process.argv.includes("--if-stale");
if (process.env.TRIMER_SKIP_NATIVE === "1") process.exit(0);

const release = join(here, "build", "Release");
const addon = join(release, "trimer_kernels.node");
const stampFile = join(release, "trimer_kernels.stamp.json");

/** What the addon depends on: the native sources and the Node ABI / CPU it is compiled for. */
function sourceHash() {
  const h = createHash("sha256");
  for (const name of readdirSync(here).sort()) {
    const p = join(here, name);
    if (!statSync(p).isFile()) continue;
    h.update(`${name}\0`).update(readFileSync(p)).update("\0");
  }
  h.update(`node-abi ${process.versions.modules} ${process.platform} ${process.arch}\0cpu ${cpus()[0]?.model ?? "?"}\0`);
  return h.digest("hex");
}

function stampedHash() {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8")).sources ?? null;
  } catch {
    return null;
  }
}

/** An executable on PATH (or a path): node-gyp's Makefile compiles with $CXX, else g++. */
function findExecutable(cmd) {
  const isExe = (p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) return isExe(cmd);
  return (process.env.PATH ?? "").split(delimiter).some((d) => d && isExe(join(d, cmd)));
}

const hash = sourceHash();
const current = existsSync(addon) && stampedHash() === hash;
if (ifStale && current) process.exit(0);

const cxx = (process.env.CXX ?? "").trim().split(/\s+/)[0] || "g++";
if (!findExecutable(cxx)) {
  // A stale addon would keep running kernels that no longer match the TypeScript side: drop it, so that the
  // engine uses the TypeScript kernels until a compiler is installed.
  const stale = existsSync(addon);
  if (stale) rmSync(addon, { force: true });
  rmSync(stampFile, { force: true });
  console.warn(`trimer: no C++ compiler (${cxx}; set CXX or install g++) — native kernels not built${stale ? " (the stale addon was removed)" : ""}; the engine uses the TypeScript kernels (slower). Then run: node native/build.mjs`);
  process.exit(0);
}

if (ifStale) console.log(existsSync(addon) ? "trimer: native/ (or Node, or the CPU) changed since the addon was built: rebuilding the native kernels" : "trimer: building the native kernels");
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
  "/usr/share/nodejs/node-gyp/bin/node-gyp.js",
].filter((p) => p && existsSync(p));
const args = ["rebuild", "--directory", here];
if (ifStale) args.push("--loglevel=warn"); // `npm run build`: the compiler's lines, not node-gyp's dozens of info lines
// Use the installed Node headers when present (no download: machines here are offline).
if (existsSync("/usr/include/node/node_api.h")) args.push("--nodedir=/usr");
rmSync(stampFile, { force: true });
const r = candidates.length
  ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit", shell: false });
if (r.status !== 0 || !existsSync(addon)) {
  rmSync(addon, { force: true }); // whatever is left there was not built from these sources
  console.warn("trimer: the native kernels did not build; the engine will use the TypeScript kernels (slower).");
  process.exit(0);
}
const tmp = `${stampFile}.${process.pid}.tmp`;
writeFileSync(tmp, JSON.stringify({ sources: hash, node: process.versions.node, builtAt: new Date().toISOString() }) + "\n");
renameSync(tmp, stampFile);
process.exit(0);

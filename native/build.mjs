#!/usr/bin/env node
// Builds the optional native kernels (native/build/Release/trimer_kernels.node) with the node-gyp bundled in npm.
// Runs as the package's `install` script. A failed build is not an error: trimer then uses the pure-TypeScript
// kernels (slower), and says so once when the engine loads.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.TRIMER_SKIP_NATIVE === "1") process.exit(0);
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  "/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
  "/usr/share/nodejs/node-gyp/bin/node-gyp.js",
].filter((p) => p && existsSync(p));
const args = ["rebuild", "--directory", here];
// Use the installed Node headers when present (no download: machines here are offline).
if (existsSync("/usr/include/node/node_api.h")) args.push("--nodedir=/usr");
const r = candidates.length
  ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit", shell: false });
if (r.status !== 0) {
  console.warn("trimer: the native kernels did not build; the engine will use the TypeScript kernels (slower).");
}
process.exit(0);

#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's built-in runner. Node 20's `--test` does not expand globs, so the
// files are listed here explicitly (sorted, for a stable order). Extra arguments are passed to the runner
// (e.g. `npm test -- --test-name-pattern=verify`), and `TRIMER_TEST_FILTER=substr` limits the files.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}
const filter = process.env.TRIMER_TEST_FILTER ?? "";
const files = walk("test").filter((f) => f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no test files under test/ match "${filter}"`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", ...process.argv.slice(2), ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);

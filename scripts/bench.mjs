#!/usr/bin/env node
// `npm run bench [name...]`: runs bench/<name>/main.ts (all of them when no name is given), one after another, so
// that each benchmark has the machine to itself. Benchmarks print ratios against a peer measured in the same run.
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// Benchmark names come first; everything from the first flag on is passed through (`--configs A,B` keeps its value).
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("-"));
const wanted = firstFlag < 0 ? args : args.slice(0, firstFlag);
const passThrough = firstFlag < 0 ? [] : args.slice(firstFlag);
const all = readdirSync("bench").filter((d) => existsSync(join("bench", d, "main.ts"))).sort();
const names = wanted.length ? wanted : all;
let failed = 0;
for (const name of names) {
  const file = join("bench", name, "main.ts");
  if (!existsSync(file)) { console.error(`no benchmark ${file} (have: ${all.join(", ")})`); failed++; continue; }
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", file, ...passThrough], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

// Every import in src/ points down the layers (docs/ARCHITECTURE.md). A folder may import its own files and any
// folder on a lower layer; an import to the same layer or above fails this test, naming the file and the import.
// A new top-level folder under src/ fails it too, until it is given a layer here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

/** Top to bottom. Folders on one line are peers: neither may import the other. */
const LAYERS: readonly (readonly string[])[] = [
  ["cli"],
  ["pipeline"],
  ["train", "eval", "serve", "generate"], // the algorithms and the server
  ["infer"], // sampling, prompts, best-of-k selection: used by eval and generate
  ["data"], // records, synthetic sets, benchmarks, curation
  ["engine"], // the sample / forwardBackward / optimStep API and its implementations
  ["model"], // the transformer, tokenizers, losses, checkpoints
  ["verify", "sandbox"], // answer checking and code execution: leaves
  ["util"],
];

const SRC = join(import.meta.dirname, "..", "src");

function layerOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

/** Relative module specifiers of a source text: static imports and re-exports, side-effect and dynamic imports. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1] as string);
  return out.filter((s) => s.startsWith("."));
}

export interface Violation {
  file: string;
  specifier: string;
  why: string;
}

/** Checks one file (path relative to src/) against the layers. */
export function checkFile(file: string, source: string): Violation[] {
  const from = file.split("/")[0] as string;
  const out: Violation[] = [];
  for (const specifier of importSpecifiers(source)) {
    const target = normalize(join(dirname(file), specifier)).split(sep).join("/");
    if (target.startsWith("..")) {
      out.push({ file, specifier, why: "points outside src/" });
      continue;
    }
    const to = target.includes("/") ? (target.split("/")[0] as string) : "";
    if (to === from) continue;
    const a = layerOf(from), b = layerOf(to);
    if (b < 0) out.push({ file, specifier, why: `"${to || target}" is in no layer` });
    else if (b <= a) out.push({ file, specifier, why: `${from} (layer ${a}) may not import ${to} (layer ${b}): ${b === a ? "a peer" : "a layer above"}` });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|cts)$/.test(name)) out.push(relative(SRC, p).split(sep).join("/"));
  }
  return out;
}

test("every top-level folder of src/ has a layer", () => {
  const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
  assert.deepEqual(folders.filter((f) => layerOf(f) < 0), []);
  assert.deepEqual(readdirSync(SRC).filter((n) => !statSync(join(SRC, n)).isDirectory()), [], "files directly under src/ belong to no layer");
});

test("every import in src/ points down the layers", () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 100, `found only ${files.length} source files`);
  let imports = 0;
  const violations: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(SRC, f), "utf8");
    imports += importSpecifiers(text).length;
    for (const v of checkFile(f, text)) violations.push(`src/${v.file}: "${v.specifier}" — ${v.why}`);
  }
  assert.ok(imports > 500, `parsed only ${imports} relative imports`);
  assert.deepEqual(violations, []);
});

test("the checker catches upward, peer and dynamic imports, and allows downward and same-folder ones", () => {
  const src = [
    `import { runSteps } from "../train/runner.js";`,
    `import type {\n  Datum,\n  LossSpec,\n} from "../engine/types.js";`,
    `export { x } from "../util/rng.js";`,
    `import "../serve/host.js";`,
    `const m = await import("../pipeline/run.js");`,
    `import { y } from "./local.js";`,
    `import { readFileSync } from "node:fs";`,
  ].join("\n");
  const v = checkFile("engine/open.ts", src);
  assert.deepEqual(v.map((x) => x.specifier), ["../train/runner.js", "../serve/host.js", "../pipeline/run.js"]);
  assert.match(v[0]!.why, /engine \(layer 5\) may not import train \(layer 2\): a layer above/);
  assert.deepEqual(checkFile("train/sft.ts", `import { e } from "../eval/runner.js";`).map((x) => x.why), ["train (layer 2) may not import eval (layer 2): a peer"]);
  assert.deepEqual(checkFile("cli/main.ts", `import { run } from "../pipeline/run.js";\nimport { u } from "../util/rng.js";`), []);
  assert.equal(checkFile("util/a.ts", `import { z } from "../../bench/x.js";`)[0]?.why, "points outside src/");
});

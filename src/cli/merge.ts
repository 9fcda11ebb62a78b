// `trimer merge`: puts the parts of a sharded job (eval, generate … run with --shard I/N on several machines) back
// together into what one run writes: the same records in the same order, the same summary, and a manifest that
// carries each part's manifest.
//
//   trimer merge --out runs/eval-gsm8k runs/eval-gsm8k-1 runs/eval-gsm8k-2 runs/eval-gsm8k-3
//   trimer merge --out traces.jsonl traces-1.jsonl traces-2.jsonl
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../util/atomic.js";
import { InputError, UsageError } from "../util/errors.js";
import { noteOutput } from "../util/manifest.js";
import { parseFlags, type CommandModule } from "./command.js";

const USAGE = `usage: trimer merge --out OUT PART PART...

Merges the N parts of a job run with --shard I/N (every part once, each finished):
  eval       PART = an --out folder of \`trimer eval --shard I/N\`; OUT a folder: samples.jsonl, summary.json,
             run.json, report.html as one run writes them
  generate   PART = an --out file of \`trimer generate --shard I/N\`; OUT a file, with OUT.done and OUT.stats.json
  curate     PART = an --out file of \`trimer curate pass-rate|judge --shard I/N\`; OUT a file (records in input
             order) with OUT.report.json (the parts' counts summed)
  solve      PART = an --out file of \`trimer solve --shard I/N\`; OUT the JSON of one whole run (solve --json)
The kind is read from each part (DIR/shard.json or FILE.shard.json). OUT's manifest lists the parts' manifests.
  --quiet    print only the output paths`;

const OPTIONS = {
  out: { type: "string" },
  quiet: { type: "boolean" },
} as const;

type Kind = "eval" | "generate" | "curate" | "solve";

function kindOf(part: string): Kind {
  if (existsSync(part) && statSync(part).isDirectory()) {
    if (existsSync(join(part, "shard.json"))) return "eval";
    throw new UsageError(`${part} is a folder without shard.json: not the output of \`trimer eval --shard I/N\``);
  }
  const side = `${part}.shard.json`;
  if (!existsSync(side)) throw new UsageError(`${part}: no ${existsSync(part) ? side : "such file or folder"} — give the --out of each run made with --shard I/N`);
  let kind: unknown;
  try {
    kind = (JSON.parse(readFileSync(side, "utf8")) as { kind?: unknown }).kind;
  } catch (e) {
    throw new InputError(`${side}: not valid JSON (${(e as Error).message})`);
  }
  if (kind === "generate" || kind === "curate" || kind === "solve") return kind;
  throw new InputError(`${side}: unknown part kind ${JSON.stringify(kind)}`);
}

function manifestOf(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    return null; // a part run by an older trimer, or its manifest lost: recorded as missing
  }
}

/**
 * Parts sampled from checkpoints must be one checkpoint: their manifests hash the weights (model.safetensors), and
 * different hashes are refused. (Servers are named by URL only; the parts' sampling settings are compared instead.)
 */
function sameWeights(parts: readonly string[], manifests: readonly unknown[]): void {
  const hashes = manifests.map((m) => {
    const inputs = (m as { inputs?: { path?: unknown; sha256?: unknown }[] } | null)?.inputs ?? [];
    return inputs.find((x) => typeof x.path === "string" && x.path.endsWith("model.safetensors"))?.sha256;
  });
  const first = hashes.findIndex((h) => h !== undefined);
  hashes.forEach((h, i) => {
    if (h !== undefined && h !== hashes[first]) throw new UsageError(`${parts[i]} and ${parts[first]} were sampled from different checkpoints (their model.safetensors differ): they are not parts of one run`);
  });
}

async function mergeEval(parts: string[], out: string, quiet: boolean): Promise<void> {
  const { mergeEvalShards } = await import("../eval/shard.js");
  const { readRunIdentity, summarizeRun, RUN_FILE, SAMPLES_FILE, SUMMARY_FILE } = await import("../eval/runner.js");
  const { verifierGrader } = await import("../eval/verifier-grader.js");
  const { renderReport } = await import("../eval/report-html.js");
  const { runSettings } = await import("./eval.js");
  if (existsSync(join(out, SAMPLES_FILE))) throw new UsageError(`${out} already holds samples: merge into a new --out`);
  const m = mergeEvalShards(parts, readRunIdentity, verifierGrader(), summarizeRun);
  const manifests = parts.map((p) => manifestOf(join(p, "manifest.json")));
  sameWeights(parts, manifests);
  noteOutput({
    output: out, kind: "dir",
    options: { merged: parts, problems: m.problems, parts: parts.map((p, i) => ({ part: p, manifest: manifests[i] })) },
    inputs: parts.flatMap((p) => [join(p, SAMPLES_FILE), join(p, "shard.json"), join(p, RUN_FILE)]),
  });
  writeFileAtomicSync(join(out, RUN_FILE), JSON.stringify(m.identity, null, 2) + "\n");
  writeFileAtomicSync(join(out, SAMPLES_FILE), m.records.map((r) => JSON.stringify(r) + "\n").join(""));
  writeFileAtomicSync(join(out, SUMMARY_FILE), JSON.stringify(m.summary, null, 2) + "\n");
  writeFileAtomicSync(join(out, "report.html"), renderReport({ title: `trimer eval: ${m.summary.bench}`, summary: m.summary, settings: runSettings(m.summary) }));
  if (!quiet) {
    const pct = (v: number): string => (100 * v).toFixed(1);
    console.log(`merged ${parts.length} shards: ${m.problems} problems × ${m.summary.sampling.k} samples, accuracy ${pct(m.summary.accuracy.value)}%`);
  }
  console.log(`wrote ${join(out, SAMPLES_FILE)}, ${join(out, SUMMARY_FILE)}, ${join(out, "report.html")}`);
}

async function mergeGenerate(parts: string[], out: string, quiet: boolean): Promise<void> {
  const { mergeGenerateParts } = await import("../generate/shard.js");
  if (existsSync(out) || existsSync(`${out}.done`)) throw new UsageError(`${out} already exists: merge into a new --out`);
  const m = mergeGenerateParts(parts);
  const manifests = parts.map((p) => manifestOf(`${p}.manifest.json`));
  sameWeights(parts, manifests);
  noteOutput({
    output: out, kind: "file",
    options: { merged: parts, problems: m.stats.problems, parts: parts.map((p, i) => ({ part: p, manifest: manifests[i] })) },
    inputs: parts.flatMap((p) => [p, `${p}.done`, `${p}.shard.json`]),
  });
  // The done file last: a merge killed midway leaves no .done claiming traces that are not there.
  writeFileAtomicSync(out, m.lines.map((l) => l + "\n").join(""));
  writeFileAtomicSync(`${out}.stats.json`, JSON.stringify(m.stats, null, 2) + "\n");
  writeFileAtomicSync(`${out}.done`, m.done.map((d) => JSON.stringify(d) + "\n").join(""));
  if (!quiet) console.log(`merged ${parts.length} parts: ${m.stats.problems} problems, ${m.stats.records} traces`);
  console.log(`wrote ${out}, ${out}.done, ${out}.stats.json`);
}

async function mergeCurate(parts: string[], out: string, quiet: boolean): Promise<void> {
  const { mergeCurateParts } = await import("../data/curate/shard.js");
  if (existsSync(out)) throw new UsageError(`${out} already exists: merge into a new --out`);
  noteOutput({
    output: out, kind: "file",
    options: { merged: parts, parts: parts.map((p) => ({ part: p, manifest: manifestOf(`${p}.manifest.json`) })) },
    inputs: parts.flatMap((p) => [p, `${p}.shard.json`, `${p}.report.json`]),
  });
  const m = await mergeCurateParts(parts, out);
  if (!quiet) console.log(`merged ${parts.length} parts of curate ${m.report.step}: ${m.report.recordsIn} → ${m.records} records`);
  console.log(`wrote ${out}, ${out}.report.json`);
}

async function mergeSolve(parts: string[], out: string, quiet: boolean): Promise<void> {
  const { mergeSolveParts } = await import("../infer/solve-shard.js");
  if (existsSync(out)) throw new UsageError(`${out} already exists: merge into a new --out`);
  const r = mergeSolveParts(parts);
  noteOutput({ output: out, kind: "file", options: { merged: parts, parts: parts.map((p) => ({ part: p, manifest: manifestOf(`${p}.manifest.json`) })) }, inputs: parts });
  writeFileAtomicSync(out, JSON.stringify(r, null, 2) + "\n");
  if (!quiet) console.log(`answer: ${r.answer ?? "(none found)"}   (agent ${r.chosen + 1} of ${r.agents.length}, by ${r.method})`);
  console.log(`wrote ${out}`);
}

export const summary = "merge the parts of a job run with --shard I/N into what one run writes";

export async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, OPTIONS, USAGE, true);
  if (!parsed) return 0;
  const out = parsed.values.out;
  if (typeof out !== "string") throw new UsageError(`--out is required\n\n${USAGE}`);
  const parts = parsed.positionals;
  if (parts.length === 0) throw new UsageError(`give the parts to merge\n\n${USAGE}`);
  const kinds = parts.map(kindOf);
  const kind = kinds[0]!;
  kinds.forEach((k, i) => { if (k !== kind) throw new UsageError(`${parts[i]} is a ${k} part but ${parts[0]} a ${kind} part`); });
  const quiet = parsed.values.quiet === true;
  if (kind === "eval") await mergeEval(parts, out, quiet);
  else if (kind === "generate") await mergeGenerate(parts, out, quiet);
  else if (kind === "curate") await mergeCurate(parts, out, quiet);
  else await mergeSolve(parts, out, quiet);
  return 0;
}

const mod: CommandModule = { summary, main };
export default mod;

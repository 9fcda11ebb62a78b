// One command-line vocabulary (src/cli/vocab.ts): every command's option table and --help, walked in-process with
// captureFlags (the command stops right after parsing, having run nothing); and the old spellings, which still
// work with a one-line notice — in-process for every alias, and through the real CLI for a few whole commands.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureFlags, type CapturedFlags, type CommandModule } from "../../src/cli/command.js";
import { RETIRED_FLAGS } from "../../src/cli/vocab.js";
import { STEP_SCHEMAS } from "../../src/data/curate/steps.js";
import { runCli } from "./run-cli.js";
import { savedCheckpoint, tinyEngine } from "../serve/helpers.js";

/** The commands main.ts registers (read from its source, so a new command is walked without editing this test). */
function commandNames(): string[] {
  const src = readFileSync(join(process.cwd(), "src/cli/main.ts"), "utf8");
  return [...src.matchAll(/^\s+"?([a-z][a-z-]*)"?: \(\) => import\("\.\/([a-z-]+)\.js"\)/gm)].map((m) => m[1]!);
}

const SUBCOMMANDS: Record<string, string[]> = {
  model: ["init", "train", "sample", "export"],
  data: ["stats", "synth", "overlap"],
  curate: [...Object.keys(STEP_SCHEMAS), "pipeline"],
};

async function load(name: string): Promise<CommandModule> {
  const mod = (await import(join(process.cwd(), "src/cli", `${name}.ts`))) as CommandModule & { default?: CommandModule };
  return mod.default ?? mod;
}

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

/** Every (command path, parsed --help) pair. */
async function everyTable(): Promise<{ path: string; flags: CapturedFlags }[]> {
  const out: { path: string; flags: CapturedFlags }[] = [];
  for (const name of commandNames()) {
    const mod = await load(name);
    const subs = SUBCOMMANDS[name] ?? [""];
    for (const sub of subs) {
      const argv = sub ? [sub, "--help"] : ["--help"];
      const flags = await quietly(() => captureFlags(() => mod.main(argv)));
      assert.ok(flags, `trimer ${name} ${sub} --help did not go through parseFlags`);
      out.push({ path: `${name}${sub ? ` ${sub}` : ""}`, flags });
    }
  }
  return out;
}

/** `--flag` tokens of a help text, leaving out the line that lists the old spellings and other tools' flags. */
function helpFlags(usage: string): Set<string> {
  const lines = usage.split("\n").filter((l) => !/Old spellings? still accepted/.test(l));
  return new Set([...lines.join("\n").matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)(?![\w.])/g)].map((m) => m[1]!));
}

test("every command's option table speaks the one vocabulary, and its --help lists every option", async () => {
  const tables = await everyTable();
  assert.ok(tables.length >= 25, `walked only ${tables.length} tables`);
  const names = tables.map((t) => t.path);
  for (const must of ["eval", "solve", "serve", "generate", "export", "model train", "curate pass-rate", "data stats"]) assert.ok(names.includes(must), must);
  for (const { path, flags } of tables) {
    const opts = flags.options as Record<string, { type: string; multiple?: boolean }>;
    for (const old of RETIRED_FLAGS) assert.ok(!(old in opts), `trimer ${path} defines the old spelling --${old}`);
    // A local model is --checkpoint everywhere; --model is a server's model name (serve: the name it serves under).
    if ("model" in opts) assert.ok("url" in opts || path === "serve", `trimer ${path}: --model without --url would be a folder`);
    if (path.startsWith("model ") && path !== "model init") assert.ok("checkpoint" in opts, `trimer ${path} takes --checkpoint`);
    if ("url" in opts) {
      assert.equal(opts.url!.multiple, true, `trimer ${path}: --url takes several replicas`);
      for (const f of ["model", "api-key"]) assert.ok(f in opts, `trimer ${path}: --url comes with --${f}`);
    }
    // --format is a file format (export, model export); the prompt style is --prompt-format.
    if ("format" in opts) assert.ok(path === "export" || path === "model export", `trimer ${path}: --format for a prompt style`);
    if ("bench" in opts) assert.equal(opts.bench!.type, "string");
    if ("in" in opts) assert.ok(path.startsWith("curate"), `trimer ${path}: problems are read with --bench`);
    for (const f of ["seed", "out", "n", "limit", "checkpoint"]) if (f in opts) assert.equal(opts[f]!.type, "string", `trimer ${path} --${f}`);
    // --help in step with the table: every option is documented, no old spelling is shown as a flag.
    const shown = helpFlags(flags.usage);
    const internal = new Set(["probe-beta", "probe-policy"]); // trimer run's child processes
    for (const f of Object.keys(opts)) if (!internal.has(f)) assert.ok(shown.has(f), `trimer ${path} --help does not mention --${f}`);
    for (const old of RETIRED_FLAGS) assert.ok(!shown.has(old), `trimer ${path} --help shows --${old} as a flag`);
  }
});

async function parse(command: string, argv: string[]): Promise<CapturedFlags> {
  const mod = await load(command);
  const r = await captureFlags(() => mod.main(argv));
  assert.ok(r, `${command} ${argv.join(" ")} was not parsed`);
  return r;
}

test("old spellings are rewritten to the new flags, each with one notice", async () => {
  const ck = await savedCheckpoint(tinyEngine());
  try {
    const e = await parse("eval", ["--benchmark", "gsm8k", "--base-url", "http://h/v1", "--model", "m", "--format", "completion"]);
    assert.equal(e.values.bench, "gsm8k");
    assert.deepEqual(e.values.url, ["http://h/v1"]);
    assert.equal(e.values["prompt-format"], "completion");
    assert.equal(e.values.model, "m");
    assert.deepEqual(e.notices, ["--benchmark is deprecated; use --bench", "--base-url is deprecated; use --url", "--format is deprecated; use --prompt-format"]);
    // --flag=value forms too.
    assert.equal((await parse("eval", ["--benchmark=aime24"])).values.bench, "aime24");
    // solve: --api-model is the model name; --model DIR of a checkpoint folder is --checkpoint …
    const s = await parse("solve", ["q", "--url", "http://h/v1", "--api-model", "qwen"]);
    assert.equal(s.values.model, "qwen");
    const sf = await parse("solve", ["q", "--model", ck.dir]);
    assert.equal(sf.values.checkpoint, ck.dir);
    assert.equal(sf.values.model, undefined);
    assert.match(sf.notices[0]!, /^--model DIR for a checkpoint folder is deprecated; use --checkpoint /);
    // … but with --url, or when it is no checkpoint folder, --model is a model name (no notice).
    const sn = await parse("solve", ["q", "--model", "qwen"]);
    assert.equal(sn.values.model, "qwen");
    assert.deepEqual(sn.notices, []);
    const su = await parse("solve", ["q", "--url", "http://h/v1", "--model", ck.dir]);
    assert.equal(su.values.model, ck.dir);
    // serve: --model DIR (folder) → --checkpoint; --model NAME and --served-model-name are the served name.
    const sv = await parse("serve", ["--model", ck.dir, "--served-model-name", "mini"]);
    assert.equal(sv.values.checkpoint, ck.dir);
    assert.equal(sv.values.model, "mini");
    assert.equal(sv.notices.length, 2);
    const sv2 = await parse("serve", ["--checkpoint", ck.dir, "--model", "mini"]);
    assert.deepEqual([sv2.values.checkpoint, sv2.values.model, sv2.notices.length], [ck.dir, "mini", 0]);
    // model train / sample / export: --model was the folder.
    for (const sub of ["train", "sample", "export"]) {
      const m = await parse("model", [sub, "--model", ck.dir]);
      assert.equal(m.values.checkpoint, ck.dir, sub);
      assert.deepEqual(m.notices, ["--model is deprecated; use --checkpoint"]);
    }
    // generate / export: --in FILE is --bench FILE; curate keeps --in (the records it transforms), --cache-dir → --cache.
    assert.equal((await parse("generate", ["--in", "p.jsonl"])).values.bench, "p.jsonl");
    assert.equal((await parse("export", ["--in", "p.jsonl", "--format", "verl"])).values.bench, "p.jsonl");
    assert.equal((await parse("export", ["--in", "p.jsonl", "--format", "verl"])).values.format, "verl", "export's --format is the file format");
    const c = await parse("curate", ["pass-rate", "--in", "a.jsonl", "--base-url", "http://h/v1", "--cache-dir", "c"]);
    assert.deepEqual([c.values.in, c.values.url, c.values.cache], [["a.jsonl"], ["http://h/v1"], "c"]);
    // data overlap: --n was the n-gram length; --ngram now.
    assert.equal((await parse("data", ["overlap", "a", "b", "--n", "8"])).values.ngram, "8");
    // --url repeats (replicas).
    assert.deepEqual((await parse("eval", ["--url", "http://a/v1", "--url", "http://b/v1"])).values.url, ["http://a/v1", "http://b/v1"]);
    // An old spelling on a command that never had it stays an unknown flag.
    await assert.rejects(parse("grade", ["f.jsonl", "--base-url", "x"]), /Unknown option '--base-url'/);
  } finally {
    ck.remove();
  }
});

test("old spellings through the real CLI: the command works and stderr carries one notice per old flag", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "vocab-cli-"));
  const problems = join(dir, "p.jsonl");
  writeFileSync(problems, ["What is 2+3?\t5", "What is 4*4?\t16"].map((l) => { const [q, a] = l.split("\t"); return JSON.stringify({ question: q, answer: a }); }).join("\n") + "\n");
  const ex = await runCli(["export", "--format", "openrlhf", "--in", problems, "--out", join(dir, "o.jsonl")]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stderr, /^trimer export: --in is deprecated; use --bench\n/);
  assert.equal(readFileSync(join(dir, "o.jsonl"), "utf8").trim().split("\n").length, 2);

  const ov = await runCli(["data", "overlap", problems, problems, "--n", "3"]);
  assert.equal(ov.code, 0, ov.stderr);
  assert.equal(ov.stderr, "trimer data: --n is deprecated; use --ngram\n");

  // A checkpoint folder given as --model to serve's old spelling, and to solve. (Node's own warnings, a stale native
  // addon's for one, are not trimer's lines.)
  const own = (stderr: string): string => stderr.split("\n").filter((l) => !/^\(node:\d+\)|^\(Use `node/.test(l)).join("\n");
  const ck = await savedCheckpoint(tinyEngine());
  try {
    const s = await runCli(["solve", "1+1=", "--model", ck.dir, "--agents", "1", "--max-tokens", "3", "--json"]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(own(s.stderr), `trimer solve: --model DIR for a checkpoint folder is deprecated; use --checkpoint ${ck.dir} (--model now names a server's model)\n`);
    assert.equal((JSON.parse(s.stdout) as { agents: unknown[] }).agents.length, 1);
    const m = await runCli(["model", "sample", "--model", ck.dir, "--prompt", "1+1=", "--max-tokens", "3", "--temperature", "0"]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(own(m.stderr), "trimer model: --model is deprecated; use --checkpoint\n");
    // The new spelling: no notice.
    const n = await runCli(["model", "sample", "--checkpoint", ck.dir, "--prompt", "1+1=", "--max-tokens", "3", "--temperature", "0"]);
    assert.equal(n.code, 0, n.stderr);
    assert.equal(own(n.stderr), "");
    assert.equal(n.stdout, m.stdout);
  } finally {
    ck.remove();
  }
});

test("every --url is checked the same way: one line naming the value that is not an http(s) URL", async () => {
  const lines: [string, string[]][] = [
    ["solve", ["q", "--url", "notaurl", "--model", "m"]],
    ["eval", ["--bench", "aime24", "--limit", "1", "--url", "http://ok:8000/v1", "--url", "ftp://x/v1", "--model", "m", "--out", join(tmpdir(), "vocab-url-eval")]],
    ["generate", ["--bench", "aime24", "--limit", "1", "--url", "notaurl", "--model", "m", "--out", join(tmpdir(), "vocab-url.jsonl")]],
  ];
  for (const [command, argv] of lines) {
    const mod = await load(command);
    await assert.rejects(mod.main(argv), (e: Error) => e.name === "UsageError" && /^--url "(notaurl|ftp:\/\/x\/v1)" is not an http\(s\) URL — /.test(e.message), command);
  }
});

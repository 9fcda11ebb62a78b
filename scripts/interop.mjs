#!/usr/bin/env node
// `npm run interop`: trimer checked against the tools the field uses, with those tools as the oracles.
//
//   - transformers (AutoTokenizer, apply_chat_template, AutoModelForCausalLM.generate), tokenizers
//   - the official `openai` Python client against `trimer serve`
//   - lm-evaluation-harness's local-completions and local-chat-completions models against `trimer serve`
//   - llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU binaries) and the `gguf` package on `trimer model export`
//
// The peers go into a scratch environment (.cache/interop/: a Python venv and an npm folder), never into the
// project's dependencies; they install offline from the machine's local Python package mirror (pip config) and the
// npm registry. Without a local mirror the suite says so and exits 0 (CI runs it where the mirror exists).
// Needs a built tree (npm run build). Expected values come from trimer in-process (interop/expect.mjs).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// INTEROP_CACHE moves the scratch environment (e.g. to share it between clones).
const CACHE = process.env.INTEROP_CACHE ? resolve(process.env.INTEROP_CACHE) : join(ROOT, ".cache", "interop");
const VENV = join(CACHE, "venv");
const NPM_DIR = join(CACHE, "npm");
const PY = join(VENV, "bin", "python");
const PY_PACKAGES = ["transformers", "tokenizers", "openai", "gguf", "torch", "jinja2", "requests", "aiohttp", "tenacity", "tqdm"];
const NPM_PEER = "node-llama-cpp@3.21.1";
const TOKEN = "interop-token";
const NAME = "trimer-interop";

const t0 = Date.now();
const say = (m) => console.log(`interop: ${m}`);
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8", timeout: opts.timeoutMs ?? 30 * 60_000, cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`})${opts.capture ? `\n${(r.stderr ?? "").slice(-2000)}` : ""}`);
  }
  return r;
}

/** The local mirror from pip's configuration: file:// indexes and find-links folders that exist. */
function localMirror() {
  const python = process.env.INTEROP_PYTHON ?? "python3";
  const r = spawnSync(python, ["-m", "pip", "config", "list"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const indexes = [], links = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^[\w.:-]*\.(index-url|extra-index-url|find-links)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    for (const v of m[2].split(/\s+/)) {
      const path = v.startsWith("file://") ? v.slice(7) : v;
      if (!existsSync(path)) continue;
      if (m[1] === "find-links") links.push(path);
      else if (v.startsWith("file://")) indexes.push(v);
    }
  }
  return indexes.length ? { python, indexes, links } : null;
}

function pipArgs(mirror) {
  return ["--index-url", mirror.indexes[0], ...mirror.indexes.slice(1).flatMap((u) => ["--extra-index-url", u]), ...mirror.links.flatMap((l) => ["--find-links", l])];
}

function setupPython(mirror) {
  const marker = join(VENV, ".trimer-interop");
  const want = JSON.stringify([...PY_PACKAGES, "lm-eval --no-deps"]);
  if (existsSync(marker) && readFileSync(marker, "utf8") === want) return say(`Python peers: reusing ${relative(ROOT, VENV)}`);
  say(`Python peers: installing into ${relative(ROOT, VENV)} from the local mirror (torch, transformers, tokenizers, openai, gguf, lm-eval)`);
  rmSync(VENV, { recursive: true, force: true });
  run(mirror.python, ["-m", "venv", VENV]);
  run(join(VENV, "bin", "pip"), ["install", "-q", ...pipArgs(mirror), ...PY_PACKAGES], { capture: true });
  // lm-eval's full dependency set (datasets, evaluate, …) is not needed for its API models.
  run(join(VENV, "bin", "pip"), ["install", "-q", "--no-deps", ...pipArgs(mirror), "lm-eval"], { capture: true });
  writeFileSync(marker, want);
}

function setupNpm() {
  if (existsSync(join(NPM_DIR, "node_modules", "node-llama-cpp", "package.json"))) return say(`npm peers: reusing ${relative(ROOT, NPM_DIR)}`);
  say(`npm peers: installing ${NPM_PEER} into ${relative(ROOT, NPM_DIR)} (prebuilt CPU binaries)`);
  mkdirSync(NPM_DIR, { recursive: true });
  writeFileSync(join(NPM_DIR, "package.json"), JSON.stringify({ name: "trimer-interop-peers", private: true, type: "module" }));
  run("npm", ["install", "-E", "--no-audit", "--no-fund", NPM_PEER], { cwd: NPM_DIR, capture: true });
}

function startServer(model) {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "serve", "--checkpoint", model, "--port", "0", "--model", NAME, "--token", TOKEN, "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => { child.kill(); reject(new Error("trimer serve did not start within 120 s")); }, 120_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = / at (http:\/\/\S+\/v1)/.exec(out);
      if (m) { clearTimeout(timer); resolveUrl({ url: m[1], child }); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`trimer serve exited (${code}) before listening`)); });
  });
}

/** llama.cpp's tokenization and greedy continuation vs trimer's, position by position. */
function checkLlama(ggufPath, expect, work, label) {
  const prompts = join(work, "gguf-prompts.json");
  writeFileSync(prompts, JSON.stringify(expect.gguf.map((g) => g.prompt)));
  cpSync(join(ROOT, "interop", "llama-greedy.mjs"), join(NPM_DIR, "llama-greedy.mjs"));
  const n = Math.max(...expect.gguf.map((g) => g.maxTokens));
  const r = run(process.execPath, [join(NPM_DIR, "llama-greedy.mjs"), ggufPath, prompts, String(n)], { cwd: NPM_DIR, capture: true, timeoutMs: 10 * 60_000 });
  const got = JSON.parse(r.stdout.trim().split("\n").pop());
  let positions = 0, fails = 0;
  got.forEach((g, i) => {
    const want = expect.gguf[i];
    if (JSON.stringify(g.ids) !== JSON.stringify(want.ids)) { fails++; console.log(`FAIL llama.cpp tokenizes ${JSON.stringify(want.prompt)} as ${JSON.stringify(g.ids)}, trimer as ${JSON.stringify(want.ids)}`); }
    // trimer stops at eos (kept as its last token); compare up to there.
    const k = Math.min(want.greedy.length, g.greedy.length);
    for (let t = 0; t < k; t++) {
      if (g.greedy[t] !== want.greedy[t]) { fails++; console.log(`FAIL llama.cpp's greedy token ${t} after ${JSON.stringify(want.prompt)}: ${g.greedy[t]} vs trimer ${want.greedy[t]}`); break; }
      positions++;
    }
  });
  if (positions < 100) { fails++; console.log(`FAIL only ${positions} greedy positions compared (want >= 100)`); }
  if (!fails) console.log(`ok   llama.cpp (node-llama-cpp 3.21.1) loads the GGUF of ${label}: same token ids on ${got.length} prompts (incl. text outside the vocabulary) and the same greedy continuation at ${positions} of ${positions} positions`);
  return fails;
}

async function main() {
  const mirror = localMirror();
  if (!mirror) {
    say("skipped: no local Python package mirror (pip config has no file:// index that exists here); the peers cannot be installed offline");
    return 0;
  }
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run npm run build first");
  setupPython(mirror);
  setupNpm();
  const work = join(CACHE, `work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let server = null;
  let failures = 0;
  try {
    // A small model trained for a few seconds on sums: its greedy continuations are decisive (no near-ties), so
    // float differences between implementations cannot flip them.
    const model = join(work, "model");
    const lines = [];
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 3000; i++) { const a = Math.floor(rnd() * 100), b = Math.floor(rnd() * 100); lines.push(`${a}+${b}=${a + b}`); }
    writeFileSync(join(work, "sums.txt"), lines.join("\n"));
    const cli = [join(ROOT, "dist", "cli", "main.js")];
    run(process.execPath, [...cli, "model", "init", "--config", "tiny", "--out", model, "--seed", "1"], { capture: true });
    run(process.execPath, [...cli, "model", "train", "--checkpoint", model, "--data", join(work, "sums.txt"), "--steps", "150", "--batch", "16", "--ctx", "64", "--quiet"], { capture: true });
    say("model: tiny, trained 150 steps on sums (a Hugging Face Llama folder)");
    const expectPath = join(work, "expect.json");
    run(process.execPath, [join(ROOT, "interop", "expect.mjs"), model, expectPath]);
    const gguf = join(work, "model.gguf");
    run(process.execPath, [...cli, "model", "export", "--format", "gguf", "--checkpoint", model, "--out", gguf]);
    const started = await startServer(model);
    server = started.child;
    say(`trimer serve at ${started.url}`);
    const py = run(PY, [join(ROOT, "interop", "peers.py"), "--model", model, "--url", started.url, "--name", NAME, "--token", TOKEN, "--expect", expectPath, "--gguf", gguf], {
      allowFail: true, timeoutMs: 20 * 60_000,
      env: { OPENAI_API_KEY: TOKEN, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1", TOKENIZERS_PARALLELISM: "false", OMP_NUM_THREADS: "2" },
    });
    if (py.status !== 0) failures += py.status ?? 1;
    failures += checkLlama(gguf, JSON.parse(readFileSync(expectPath, "utf8")), work, "the tiny model (tied embedding)");
    // The other layout llama.cpp reads differently: an untied output head (output.weight), 4 layers.
    const small = join(work, "small");
    run(process.execPath, [...cli, "model", "init", "--config", "small", "--out", small, "--seed", "2"], { capture: true });
    run(process.execPath, [...cli, "model", "train", "--checkpoint", small, "--data", join(work, "sums.txt"), "--steps", "60", "--batch", "8", "--ctx", "48", "--quiet"], { capture: true });
    const smallExpect = join(work, "expect-small.json");
    run(process.execPath, [join(ROOT, "interop", "expect.mjs"), small, smallExpect], { capture: true });
    const smallGguf = join(work, "small.gguf");
    run(process.execPath, [...cli, "model", "export", "--format", "gguf", "--checkpoint", small, "--out", smallGguf], { capture: true });
    failures += checkLlama(smallGguf, JSON.parse(readFileSync(smallExpect, "utf8")), work, "the small model (untied head, 4 layers)");
  } finally {
    server?.kill("SIGTERM");
    if (!process.env.INTEROP_KEEP) rmSync(work, { recursive: true, force: true });
  }
  say(`${failures ? `${failures} check(s) FAILED` : "all checks passed"} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return failures ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => { console.error(`interop: ${e.message}`); process.exit(1); });

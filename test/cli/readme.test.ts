// The README's command lines work as written: the set-up puts `trimer` on the PATH (run here in a shell, from
// another folder), and every `trimer …` line of its code blocks (and of the other user-facing READMEs) parses with
// the command's real option table — no unknown flag, no old spelling — via captureFlags (nothing is run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureFlags, type CommandModule } from "../../src/cli/command.js";
import { RETIRED_FLAGS } from "../../src/cli/vocab.js";

const ROOT = process.cwd();
const DOCS = ["README.md", "integrations/README.md", "src/data/curate/README.md", "src/serve/README.md"];

/** Splits a shell command line into words (quotes and backslash escapes; no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "", inWord = false, quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') { quote = c; inWord = true; }
    else if (c === "\\" && i + 1 < line.length) { cur += line[++i]; inWord = true; }
    else if (/\s/.test(c)) { if (inWord) words.push(cur); cur = ""; inWord = false; }
    else if (c === "#" && !inWord) break;
    else { cur += c; inWord = true; }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The `trimer …` (or `node dist/cli/main.js …`) lines of a Markdown file's code blocks, continuations joined. */
function codeCommands(md: string): string[] {
  const out: string[] = [];
  let inBlock = false, pending = "";
  for (const raw of md.split("\n")) {
    if (/^\s*```/.test(raw)) { inBlock = !inBlock; pending = ""; continue; }
    if (!inBlock) continue;
    const line = pending + raw;
    if (/\\\s*$/.test(raw)) { pending = line.replace(/\\\s*$/, " "); continue; }
    pending = "";
    // Commands chained with && or ;, each checked.
    for (const part of line.split(/&&|;/)) {
      const cmd = part.trim().replace(/\s&$/, "");
      // (a usage synopsis with [optional] parts is not a command line)
      if (/^(?:[A-Z_]+=\S+\s+)*(?:trimer|node dist\/cli\/main\.js)\s/.test(cmd) && !/\[--/.test(cmd)) out.push(cmd);
    }
  }
  return out;
}

/** Inline `trimer …` spans of prose that are whole command lines (no placeholders like (a | b), [opt], <x>, …). */
function inlineCommands(md: string): string[] {
  return [...md.matchAll(/`(trimer [^`]+)`/g)].map((m) => m[1]!).filter((c) => /\s--/.test(c) && !/[|()[\]<>…]/.test(c.replace(/\\\|/g, "|")));
}

async function parseLine(line: string): Promise<{ ok: true; notices: string[] } | { ok: false; why: string }> {
  const words = shellWords(line);
  while (/^[A-Z_]+=/.test(words[0] ?? "")) words.shift();
  if (words[0] === "node") words.splice(0, 2, "trimer");
  assert.equal(words[0], "trimer", line);
  const name = words[1]!;
  const file = join(ROOT, "src/cli", `${name}.ts`);
  if (!existsSync(file)) return { ok: false, why: `no command "${name}"` };
  const mod = (await import(file)) as CommandModule & { default?: CommandModule };
  const log = console.log;
  console.log = () => {};
  try {
    const r = await captureFlags(() => (mod.default ?? mod).main(words.slice(2)));
    if (!r) return { ok: false, why: "did not parse its flags" };
    return { ok: true, notices: r.notices };
  } catch (e) {
    return { ok: false, why: (e as Error).message.split("\n")[0]! };
  } finally {
    console.log = log;
  }
}

test("every trimer command line in the READMEs parses with the real option tables, in the one vocabulary", async () => {
  let checked = 0;
  const failures: string[] = [];
  for (const doc of DOCS) {
    const md = readFileSync(join(ROOT, doc), "utf8");
    for (const line of [...codeCommands(md), ...inlineCommands(md)]) {
      const r = await parseLine(line);
      checked++;
      if (!r.ok) failures.push(`${doc}: ${line}\n    → ${r.why}`);
      else if (r.notices.length) failures.push(`${doc}: ${line}\n    → old spelling: ${r.notices.join("; ")}`);
    }
    // The schematic lines (the command table) name no old spelling either.
    for (const m of md.matchAll(/`trimer [^`]+`/g)) {
      for (const old of RETIRED_FLAGS) if (new RegExp(`--${old}(?![\\w-])`).test(m[0])) failures.push(`${doc}: ${m[0]} uses --${old}`);
    }
  }
  assert.deepEqual(failures, []);
  console.error(`# ${checked} command lines checked`);
  assert.ok(checked >= 15, `only ${checked} command lines found`);
});

test("shellWords splits like a shell", () => {
  assert.deepEqual(shellWords(`trimer solve "What is 2+2?" --template '{question}' a\\ b # comment`), ["trimer", "solve", "What is 2+2?", "--template", "{question}", "a b"]);
});

test("after the README's set-up, trimer is on the PATH and runs from any folder", () => {
  const md = readFileSync(join(ROOT, "README.md"), "utf8");
  const setup = /```sh\n([\s\S]*?)```/.exec(md)![1]!;
  const pathLine = setup.split("\n").find((l) => /^export PATH=/.test(l));
  assert.ok(pathLine, "the set-up block puts trimer on the PATH");
  assert.ok(setup.split("\n").some((l) => /^trimer /.test(l)), "and then uses it as `trimer`");
  // The line as written, from the repository root, then `trimer` from elsewhere.
  const script = `${pathLine!.replace(/\s+#.*$/, "")}\ncd ${JSON.stringify(tmpdir())}\ntrimer --help && trimer eval --help`;
  const r = spawnSync("sh", ["-c", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: process.env.PATH!.split(":").filter((p) => !p.includes("node_modules")).join(":") } });
  assert.equal(r.status, 0, `${r.stderr}\n(the CLI must be built: npm run build)`);
  assert.match(r.stdout, /^trimer — make language models better at mathematics/);
  assert.match(r.stdout, /usage: trimer eval --bench NAME\|FILE/);
});

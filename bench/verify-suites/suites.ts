// The peers' own verifier test suites, read at run time from a clone of each repository (nothing of them is copied
// into trimer: their licences, and the figures follow the suites as they change). `extract.py` parses the pytest
// sources with Python's `ast` module; this module finds the sources, runs it, and sorts the cases into the groups
// that trimer's verifier is measured on.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

export interface SuiteCase {
  file: string;
  test: string;
  line: number;
  gold: string;
  pred: string;
  expected: boolean;
  /** The comparison helper's other parameters as the test binds them (match_types, precision, strict, language, …). */
  options: Record<string, unknown>;
}

export interface Skipped {
  file: string;
  test: string | null;
  line: number | null;
  /** How many parametrized rows the skip covers (null: not a parametrized test). */
  cases: number | null;
  reason: string;
}

export interface Extracted {
  cases: SuiteCase[];
  skipped: Skipped[];
}

export interface Suite {
  name: string;
  /** The repository to clone (for the message when it is missing). */
  repo: string;
  /** Environment variable naming a clone (or a bare git directory) of it. */
  env: string;
  /** Folder name under a `fetch` mirror ($MIRROR/<owner+name>/repo). */
  mirror: string;
  /** Test files: a folder's test_*.py or single files, relative to the repository root. */
  paths: string[];
  /** Further copies to use when neither the variable nor a mirror is there (a peer's set-up script's tree). */
  copies?: (env: NodeJS.ProcessEnv) => (string | undefined)[];
}

export const SUITES: Suite[] = [
  {
    name: "Math-Verify",
    repo: "https://github.com/huggingface/Math-Verify",
    env: "MATH_VERIFY_SRC",
    mirror: "huggingface+Math-Verify",
    paths: ["tests/"],
    // ../shared/peers/mathverify/setup.sh unpacks the whole repository, tests included, to $MV_ROOT/Math-Verify
    // (the `npm run bench verify` convention).
    copies: (env) => [env.MV_ROOT, join(env.TMPDIR ?? "/tmp", "mv"), "/tmp/mv"].map((d) => (d ? join(d, "Math-Verify") : undefined)),
  },
  {
    name: "lighteval",
    repo: "https://github.com/huggingface/lighteval",
    env: "LIGHTEVAL_SRC",
    mirror: "huggingface+lighteval",
    paths: ["tests/unit/metrics/test_extractive_match.py"],
  },
];

/** Where the sources were found: a work tree (plain files) or a git directory (read at HEAD, or at `rev`). */
export type Source = { kind: "tree"; root: string } | { kind: "git"; gitDir: string; rev: string };

export class SuiteError extends Error {}

function isGitDir(d: string): boolean {
  return existsSync(join(d, "HEAD")) && existsSync(join(d, "objects"));
}

function asSource(d: string, rev: string): Source | null {
  if (!existsSync(d) || !statSync(d).isDirectory()) return null;
  if (rev === "" && existsSync(join(d, "tests"))) return { kind: "tree", root: d };
  if (isGitDir(d)) return { kind: "git", gitDir: d, rev: rev || "HEAD" };
  if (existsSync(join(d, ".git")) && rev !== "") return { kind: "git", gitDir: join(d, ".git"), rev };
  if (existsSync(join(d, "repo")) && isGitDir(join(d, "repo"))) return { kind: "git", gitDir: join(d, "repo"), rev: rev || "HEAD" };
  return null;
}

/**
 * The suite's sources: $<env> (a clone, its .git, or a `fetch` mirror folder; `<env>_REV` reads a commit of a git
 * directory instead of the work tree), else $MIRROR/<owner+name>/repo (MIRROR default ../.mirror, where the `fetch`
 * tool puts repositories, as ../shared/peers/mathverify/setup.sh assumes), else the suite's other copies. null when
 * none exists; a set variable that points at nothing usable is an error.
 */
export function locate(s: Suite, env: NodeJS.ProcessEnv = process.env): Source | null {
  const rev = env[`${s.env}_REV`] ?? "";
  const given = env[s.env];
  if (given) {
    const src = asSource(resolve(given), rev);
    if (!src) throw new SuiteError(`${s.env}=${given} is not a clone of ${s.repo} (no tests/ folder or git directory there): git clone ${s.repo} and point ${s.env} at it`);
    return src;
  }
  const mirror = asSource(join(resolve(env.MIRROR ?? "../.mirror"), s.mirror, "repo"), rev);
  if (mirror || rev !== "") return mirror;
  for (const d of s.copies?.(env) ?? []) {
    const src = d ? asSource(resolve(d), "") : null;
    if (src) return src;
  }
  return null;
}

function git(src: Extract<Source, { kind: "git" }>, args: string[]): string {
  const r = spawnSync("git", ["--git-dir", src.gitDir, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new SuiteError(`git is needed to read ${src.gitDir}: ${r.error.message}`);
  if (r.status !== 0) throw new SuiteError(`git --git-dir ${src.gitDir} ${args.join(" ")}: ${(r.stderr || "").trim().split("\n")[0]}`);
  return r.stdout;
}

/** The commit read (git) or "work tree", for the report. */
export function describe(src: Source): string {
  if (src.kind === "tree") return `${src.root} (work tree)`;
  return `${src.gitDir} at ${git(src, ["rev-parse", "--short=12", src.rev]).trim()} (${git(src, ["log", "-1", "--format=%cs", src.rev]).trim()})`;
}

/** The suite's test files: path → source text. */
export function readSources(s: Suite, src: Source): Record<string, string> {
  const files: Record<string, string> = {};
  for (const p of s.paths) {
    let names: string[];
    if (src.kind === "tree") {
      const full = join(src.root, p);
      if (!existsSync(full)) throw new SuiteError(`${full} is missing: is ${src.root} a clone of ${s.repo}?`);
      names = p.endsWith("/") ? readdirSync(full).sort().map((n) => p + n) : [p];
    } else {
      names = p.endsWith("/") ? git(src, ["ls-tree", "--name-only", src.rev, p]).split("\n").filter(Boolean).sort() : [p];
    }
    for (const n of names) {
      const base = n.split("/").pop()!;
      if (p.endsWith("/") && !(base.startsWith("test_") && base.endsWith(".py"))) continue;
      files[n] = src.kind === "tree" ? readFileSync(join(src.root, n), "utf8") : git(src, ["show", `${src.rev}:${n}`]);
    }
  }
  if (Object.keys(files).length === 0) throw new SuiteError(`no test files found under ${s.paths.join(", ")} of ${s.name}`);
  return files;
}

const EXTRACTOR = new URL("./extract.py", import.meta.url).pathname;

/** Runs extract.py (`python3`, or $PYTHON) on the sources: only the standard library's `ast` is used. */
export function extractCases(files: Record<string, string>, python = process.env.PYTHON ?? "python3"): Extracted {
  const r = spawnSync(python, [EXTRACTOR], { input: JSON.stringify({ files }), encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.error) throw new SuiteError(`could not run ${python} (needed to parse the suites' Python sources; set PYTHON): ${r.error.message}`);
  if (r.status !== 0) throw new SuiteError(`extract.py failed: ${(r.stderr || "").trim().split("\n").pop()}`);
  return JSON.parse(r.stdout) as Extracted;
}

/**
 * Which figure a case counts towards. "math": English math answers compared strictly — the suites' core, and what
 * the README's agreement figures are; the others are printed apart because trimer has no setting for them:
 * "letters" (multiple-choice letter extraction, not a math comparison), "language" (lighteval's per-language
 * answer phrases; trimer reads a fixed set of languages without being told which), "non-strict" (Math-Verify's
 * strict=False, which lets f(x) equal f(y)).
 */
export type Group = "math" | "letters" | "language" | "non-strict";

export function groupOf(c: SuiteCase): Group {
  const mt = c.options.match_types;
  if (Array.isArray(mt) && mt.some((m) => m !== "latex" && m !== "expr")) return "letters";
  const lang = c.options.language;
  if (typeof lang === "string" && lang !== "Language.ENGLISH") return "language";
  if (c.options.strict === false) return "non-strict";
  return "math";
}

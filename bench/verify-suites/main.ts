// `npm run bench verify-suites`: trimer's verifier against its peers' own test suites — Math-Verify's tests/ and
// lighteval's tests/unit/metrics/test_extractive_match.py — read at run time from clones of those repositories
// (MATH_VERIFY_SRC, LIGHTEVAL_SRC; see suites.ts) and parsed by extract.py. For every case with an expected
// verdict it prints whether trimer agrees, with plain defaults (the README's figure), with the suite's own settings
// for the case (precision → relTol, allow_set_relation_comp → allowIntervalForInequality), and with those plus the
// last-number fallback; then every disagreement, and every test that could not be read as cases, with the reason.
// No timing: this is an agreement figure (speed is `npm run bench verify`).
import { verify, type Verdict, type VerifyOptions } from "../../src/verify/index.js";
import { describe, extractCases, groupOf, locate, readSources, SUITES, SuiteError, type Group, type SuiteCase } from "./suites.js";

interface Setting {
  name: string;
  options: (c: SuiteCase) => VerifyOptions;
}

/** The suite's own per-case settings in trimer's terms (match_types and language have no counterpart: trimer reads every form). */
function suiteOptions(c: SuiteCase): VerifyOptions {
  const o: VerifyOptions = {};
  const p = c.options.precision;
  if (typeof p === "number" && Number.isInteger(p) && p >= 0 && p <= 15) o.relTol = 10 ** -p;
  if (c.options.allow_set_relation_comp === true) o.allowIntervalForInequality = true;
  return o;
}

const SETTINGS: Setting[] = [
  { name: "defaults", options: () => ({}) },
  { name: "suite settings", options: suiteOptions },
  { name: "+ --last-number", options: (c) => ({ ...suiteOptions(c), lastNumberFallback: true }) },
];
const GROUPS: Group[] = ["math", "letters", "language", "non-strict"];

const clip = (s: string, n: number) => {
  const j = JSON.stringify(s);
  return j.length <= n ? j : `${j.slice(0, n >> 1)}…${j.slice(j.length - (n >> 1))}`;
};

function line(c: SuiteCase, v: Verdict): string {
  const kind = c.expected ? "MISS  " : "FALSE+";
  const opts = Object.entries(c.options)
    .filter(([k, x]) => !(k === "precision" && x === 6) && !(k === "strict" && x === true) && !(k === "allow_set_relation_comp" && x === false) && !(k === "language" && x === "Language.ENGLISH"))
    .map(([k, x]) => `${k}=${JSON.stringify(x)}`)
    .join(" ");
  return `    ${kind} ${c.file}:${c.line} ${c.test}${opts ? ` [${opts}]` : ""}\n           gold ${clip(c.gold, 110)}\n           pred ${clip(c.pred, 110)}\n           → ${v.status}${v.rule ? ` via ${v.rule}` : ""}${v.extracted !== null ? ` extracted ${clip(v.extracted, 60)}` : ""}${v.reason ? ` (${v.reason})` : ""}`;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const summary: string[] = [];
let found = 0;
try {
  for (const s of SUITES) {
    const src = locate(s);
    if (!src) {
      console.log(`\n${s.name}: not found — git clone ${s.repo} and set ${s.env} to the clone (or a bare git dir; ${s.env}_REV picks a commit)`);
      continue;
    }
    found++;
    const files = readSources(s, src);
    const { cases, skipped } = extractCases(files);
    console.log(`\n${s.name}: ${describe(src)}; ${Object.keys(files).length} test files, ${cases.length} cases with an expected verdict`);
    const verdicts = cases.map((c) => SETTINGS.map((st) => verify(c.gold, c.pred, st.options(c))));
    const ok = (i: number, k: number) => verdicts[i]![k]!.equal === cases[i]!.expected;
    console.log(`  ${"group".padEnd(11)}${pad("n", 5)}  ${SETTINGS.map((st) => pad(st.name, 16)).join("")}`);
    for (const g of GROUPS) {
      const idx = cases.map((c, i) => (groupOf(c) === g ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) continue;
      const figs = SETTINGS.map((_, k) => idx.filter((i) => ok(i, k)).length);
      console.log(`  ${g.padEnd(11)}${pad(idx.length, 5)}  ${figs.map((f) => pad(`${(f / idx.length).toFixed(3)} (${f})`, 16)).join("")}`);
      if (g === "math") summary.push(`${s.name} ${figs.map((f, k) => `${SETTINGS[k]!.name} ${(f / idx.length).toFixed(3)}`).join(", ")} (n=${idx.length})`);
    }
    // Per file and per test, so that a figure over a subset (a file left out, a test added upstream) can be traced.
    const per = (k: (c: SuiteCase) => string) => {
      const m = new Map<string, number[]>();
      cases.forEach((c, i) => {
        if (groupOf(c) === "math") m.set(k(c), [...(m.get(k(c)) ?? []), i]);
      });
      return [...m].map(([f, idx]) => `${f} ${idx.filter((i) => ok(i, 0)).length}/${idx.length}`).join(", ");
    };
    console.log(`  math cases per file, defaults: ${per((c) => c.file.split("/").pop()!)}`);
    console.log(`  per test: ${per((c) => c.test)}`);
    for (const g of GROUPS) {
      const bad = cases.map((c, i) => i).filter((i) => groupOf(cases[i]!) === g && !ok(i, 0));
      if (!bad.length) continue;
      console.log(`\n  disagreements with defaults, ${g} (${bad.length}):`);
      for (const i of bad) console.log(line(cases[i]!, verdicts[i]![0]!));
    }
    for (let k = 1; k < SETTINGS.length; k++) {
      const changed = cases.map((c, i) => i).filter((i) => groupOf(cases[i]!) === "math" && ok(i, k) !== ok(i, k - 1));
      if (!changed.length) continue;
      console.log(`\n  math cases whose agreement changes from "${SETTINGS[k - 1]!.name}" to "${SETTINGS[k]!.name}" (${changed.length}):`);
      for (const i of changed) console.log(`    ${ok(i, k) ? "now agrees " : "now differs"} ${cases[i]!.file}:${cases[i]!.line} ${clip(cases[i]!.gold, 50)} | ${clip(cases[i]!.pred, 70)} → ${verdicts[i]![k]!.status}`);
    }
    if (skipped.length) {
      console.log(`\n  not read as cases (${skipped.length}):`);
      for (const k of skipped) console.log(`    ${k.file}${k.line !== null ? `:${k.line}` : ""}${k.test ? ` ${k.test}` : ""}${k.cases !== null ? ` (${k.cases} case${k.cases === 1 ? "" : "s"})` : ""}: ${k.reason}`);
    }
  }
} catch (e) {
  if (!(e instanceof SuiteError)) throw e;
  console.error(`verify-suites: ${e.message}`);
  process.exit(1);
}
if (found === 0) {
  console.log("\nno suite found: nothing measured (clone the repositories above and set the variables)");
} else {
  console.log(`\nagreement with the suites' expected verdicts, math cases: ${summary.join("; ")}`);
}

// Normalisation: Unicode NFKC, whitespace, LaTeX spacing. Applied to the text fields of each record in place (the
// rest of the record is untouched), so later steps (dedupe, near-dedupe, decontamination) compare like with like.
import type { JsonValue } from "../records.js";
import type { CurateRecord, StepRun } from "./record.js";

const SUPERSCRIPTS: Record<string, string> = {
  "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+", "ⁿ": "n",
};
const SUBSCRIPTS: Record<string, string> = {
  "₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9",
};

/**
 * NFKC alone would turn "x²" into "x2" and "x₁" into "x1", changing the mathematics; runs of super/subscript
 * characters are rewritten as ^{…} / _{…} first so that NFKC only folds what is purely presentational
 * (full-width digits, ligatures, non-breaking spaces, "½" → "1⁄2", whose fraction slash becomes "/").
 */
function scripts(s: string): string {
  return s
    .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿ]+/g, (m) => {
      const t = [...m].map((c) => SUPERSCRIPTS[c] ?? c).join("");
      return t.length === 1 ? `^${t}` : `^{${t}}`;
    })
    .replace(/[₀₁₂₃₄₅₆₇₈₉]+/g, (m) => {
      const t = [...m].map((c) => SUBSCRIPTS[c] ?? c).join("");
      return t.length === 1 ? `_${t}` : `_{${t}}`;
    });
}

/** LaTeX spacing commands carry no meaning for a problem's identity; `\dfrac`/`\tfrac` are display variants of `\frac`. */
function latexSpacing(s: string): string {
  return s
    .replace(/\\(?:q?quad|enspace|thinspace|medspace|thickspace)(?![A-Za-z])/g, " ")
    .replace(/(?<!\\)\\[,;:!>]/g, " ")
    .replace(/\\[dt]frac(?![A-Za-z])/g, "\\frac")
    .replace(/\{[ \t]+/g, "{")
    .replace(/[ \t]+\}/g, "}")
    .replace(/[ \t]*([\^_])[ \t]*/g, "$1");
}

/**
 * "$ x + 1 $" → "$x + 1$": spaces just inside inline-math delimiters go (when the opening one has them). One pass, tracking per line whether a
 * `$` opens or closes (escaped `\$` is a literal dollar), so it is linear in the text however many dollars it has.
 */
function tightenDollars(s: string): string {
  if (!s.includes("$")) return s;
  const out: string[] = [];
  let pendingWs = ""; // spaces held back until we know whether a closing "$" follows them
  let inMath = false;
  // only pairs written with a space after the opening "$" are tightened: "$2 and $3" (currency) is left alone
  let spaced = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === " " || c === "\t") { pendingWs += c; continue; }
    const closing = c === "$" && inMath && spaced && s[i - 1] !== "\\" && s[i + 1] !== "$";
    if (!closing) out.push(pendingWs);
    pendingWs = "";
    if (c === "\n") { inMath = false; out.push(c); continue; }
    if (c !== "$" || s[i - 1] === "\\") { out.push(c); continue; }
    if (s[i + 1] === "$") { out.push("$$"); i++; continue; } // display math: left as written
    out.push("$");
    inMath = !inMath;
    spaced = inMath && (s[i + 1] === " " || s[i + 1] === "\t");
    if (spaced) while (s[i + 1] === " " || s[i + 1] === "\t") i++;
  }
  out.push(pendingWs);
  return out.join("");
}

export function normalizeText(text: string): string {
  let s = scripts(text).normalize("NFKC");
  s = s.replace(/\u2044/g, "/").replace(/[\u2212\u2012\u2013]/g, "-").replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"');
  s = s.replace(/\r\n?/g, "\n").replace(/[\u200b\u200c\u200d\ufeff]/g, "");
  s = tightenDollars(latexSpacing(s));
  // spaces and tabs collapse; newlines survive (they separate a problem's parts) but never more than one blank line
  s = s.replace(/[ \t\f\v]+/g, " ").replace(/ ?\n ?/g, "\n").replace(/\n{3,}/g, "\n\n");
  return s.trim();
}

/** The identity of a text for exact deduplication: normalised, lower case, all whitespace collapsed. */
export function dedupeKey(text: string): string {
  return normalizeText(text).toLowerCase().replace(/\s+/g, " ");
}

export interface NormalizeOptions {
  /** String fields to normalise (default question, answer). Missing fields are left alone. */
  fields?: readonly string[];
}

export interface NormalizeReport {
  step: "normalize";
  records: number;
  /** Records in which at least one field changed. */
  changed: number;
  changedByField: Record<string, number>;
  examples: { id: string; field: string; before: string; after: string }[];
}

export function normalizeStep(input: AsyncIterable<CurateRecord>, opts: NormalizeOptions = {}): StepRun<NormalizeReport> {
  const fields = opts.fields ?? ["question", "answer"];
  const report: NormalizeReport = { step: "normalize", records: 0, changed: 0, changedByField: Object.fromEntries(fields.map((f) => [f, 0])), examples: [] };
  async function* run(): AsyncGenerator<CurateRecord> {
    for await (const rec of input) {
      report.records++;
      let out: CurateRecord = rec;
      for (const f of fields) {
        const v = rec[f];
        if (typeof v !== "string") continue;
        const n = normalizeText(v);
        if (n === v) continue;
        if (out === rec) out = { ...rec };
        out[f] = n as JsonValue;
        report.changedByField[f] = (report.changedByField[f] ?? 0) + 1;
        if (report.examples.length < 20) report.examples.push({ id: String(rec.id ?? `#${report.records}`), field: f, before: v.slice(0, 200), after: n.slice(0, 200) });
      }
      if (out !== rec) report.changed++;
      yield out;
    }
  }
  return { records: run(), report: () => report };
}

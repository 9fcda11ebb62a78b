// Finding the final answer in free model output. Rules, in priority order (the first that matches wins):
// boxed (\boxed{} / \fbox{}, the last one, or all of them joined for multi-part answers), gsm8k (#### N),
// final_answer ("final answer is X" / "Final Answer: X"), answer_is ("the answer is X"), display_math (\[…\], $$…$$),
// inline_math ($…$, \(…\)), bold (**…**), last_number. Only plain string scans (indexOf, explicit loops): no
// backtracking regex over the long text, so megabytes of output cost milliseconds.
import type { Budget } from "./limits.js";
import type { ExtractOptions, Extraction } from "./index.js";

const DEFAULT_MAX_CHARS = 100_000;
/** Longest answer taken from a phrase rule ("the answer is …") or a math span: longer is not a final answer. */
const MAX_SPAN = 2_000;

export function extract(text: string, opts: ExtractOptions, budget: Budget): Extraction | null {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const s = text.length > maxChars ? text.slice(text.length - maxChars) : text;
  const boxed = opts.allBoxes ? allBoxed(s, budget) : lastBoxed(s, budget);
  if (boxed !== null && boxed.trim() !== "") return { answer: boxed.trim(), rule: "boxed" };
  const gsm = gsm8k(s);
  if (gsm !== null) return { answer: gsm, rule: "gsm8k" };
  const lower = s.toLowerCase();
  const fin = afterPhrase(s, lower, ["final answer"], budget);
  if (fin !== null) return { answer: fin, rule: "final_answer" };
  const ans = afterPhrase(s, lower, ["answer is", "answer:"], budget);
  if (ans !== null) return { answer: ans, rule: "answer_is" };
  const disp = lastDelimited(s, [["\\[", "\\]"], ["$$", "$$"]], budget);
  if (disp !== null) return { answer: disp, rule: "display_math" };
  const inl = lastInlineMath(s, budget);
  if (inl !== null) return { answer: inl, rule: "inline_math" };
  const bold = lastDelimited(s, [["**", "**"]], budget);
  if (bold !== null) return { answer: bold, rule: "bold" };
  if (opts.lastNumberFallback ?? true) {
    const num = lastNumber(s, budget);
    if (num !== null) return { answer: num, rule: "last_number" };
  }
  return null;
}

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

/** Start indices of every \boxed / \fbox command (not \boxedfoo). */
function boxStarts(s: string, budget: Budget): number[] {
  const out: number[] = [];
  for (const cmd of BOX_COMMANDS) {
    let i = s.indexOf(cmd);
    while (i >= 0) {
      budget.tick();
      const next = s.charAt(i + cmd.length);
      if (!/[a-zA-Z]/.test(next)) out.push(i + cmd.length);
      i = s.indexOf(cmd, i + cmd.length);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The argument of a box command starting at `at` (just after the command name), or null if unterminated. */
function boxArgument(s: string, at: number, budget: Budget): string | null {
  let i = at;
  while (s.charAt(i) === " ") i++;
  if (s.charAt(i) === "{") return braced(s, i, budget);
  // "\boxed 5" (TeX allows a single token argument): take up to whitespace or a math delimiter.
  let j = i;
  while (j < s.length && !/[\s$]/.test(s.charAt(j))) {
    budget.tick();
    j++;
  }
  return j > i ? s.slice(i, j) : null;
}

/** Contents of the balanced group opening at s[open] === "{"; escaped braces (\{ \}) do not count. */
export function braced(s: string, open: number, budget: Budget): string | null {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    budget.tick();
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return s.slice(open + 1, i);
    }
  }
  return null;
}

function lastBoxed(s: string, budget: Budget): string | null {
  const starts = boxStarts(s, budget);
  for (let k = starts.length - 1; k >= 0; k--) {
    const a = boxArgument(s, starts[k]!, budget);
    if (a !== null) return a;
  }
  return null;
}

function allBoxed(s: string, budget: Budget): string | null {
  const parts: string[] = [];
  let end = -1;
  for (const st of boxStarts(s, budget)) {
    if (st < end) continue; // a box nested inside a previous box belongs to it
    const a = boxArgument(s, st, budget);
    if (a === null || a.trim() === "") continue;
    end = st + a.length;
    let part = a.trim();
    // \boxed{\boxed{5}}: one answer, unwrapped.
    for (let k = 0; k < 8; k++) {
      const m = /^\\(?:boxed|fbox)\s*\{/.exec(part);
      const inner = m ? braced(part, m[0].length - 1, budget) : null;
      if (!m || inner === null || m[0].length + inner.length + 1 !== part.length) break;
      part = inner.trim();
    }
    parts.push(part);
  }
  return parts.length ? parts.join(", ") : null;
}

function gsm8k(s: string): string | null {
  const i = s.lastIndexOf("####");
  if (i < 0) return null;
  let line = s.slice(i + 4);
  const nl = line.indexOf("\n");
  if (nl >= 0) line = line.slice(0, nl);
  line = line.trim().replace(/,/g, "").replace(/^\$/, "").replace(/\.$/, "").trim();
  return line === "" ? null : line.slice(0, MAX_SPAN);
}

/** The answer written after the last occurrence of one of `phrases` (lower case) in the text. */
function afterPhrase(s: string, lower: string, phrases: string[], budget: Budget): string | null {
  let best = -1;
  let len = 0;
  for (const p of phrases) {
    const i = lower.lastIndexOf(p);
    if (i > best) {
      best = i;
      len = p.length;
    }
  }
  if (best < 0) return null;
  let rest = s.slice(best + len, best + len + MAX_SPAN);
  // "Final Answer: The final answer is 5" was caught at the last phrase; strip connective words.
  rest = rest.replace(/^\s*(?::|is\b|=|\s)*\s*/i, "");
  rest = rest.replace(/^(?:that\s+)?/i, "");
  return answerSpan(rest, budget);
}

/** The leading answer of `rest`: a math span if it starts with one, else text up to the end of the sentence. */
function answerSpan(rest: string, budget: Budget): string | null {
  for (const [open, close] of [["$$", "$$"], ["$", "$"], ["\\[", "\\]"], ["\\(", "\\)"]] as const) {
    if (rest.startsWith(open)) {
      const j = rest.indexOf(close, open.length);
      if (j > open.length) return rest.slice(open.length, j).trim();
    }
  }
  budget.tick();
  let line = rest;
  const nl = line.indexOf("\n");
  if (nl >= 0) line = line.slice(0, nl);
  // Minerva's "The final answer is 5 I hope it is correct" (sometimes without the period).
  const hope = line.search(/\s+I hope\b/);
  if (hope >= 0) line = line.slice(0, hope);
  // End of sentence: ". " followed by a capital or the end ("I hope it is correct.").
  const stop = line.search(/\.\s+(?=[A-Z])|\.\s*$/);
  if (stop >= 0) line = line.slice(0, stop);
  line = line.replace(/^\*\*|\*\*$/g, "").trim();
  if (line.startsWith("$") && line.endsWith("$") && line.length > 1) line = line.replace(/^\$+|\$+$/g, "");
  return line.trim() === "" ? null : line.trim();
}

function lastDelimited(s: string, pairs: (readonly [string, string])[], budget: Budget): string | null {
  let bestAt = -1;
  let best: string | null = null;
  for (const [open, close] of pairs) {
    // Find the last closer, then its opener before it.
    const j = s.lastIndexOf(close);
    if (j < 0) continue;
    const i = s.lastIndexOf(open, j - 1);
    if (i < 0 || i + open.length > j) continue;
    budget.tick();
    const inner = s.slice(i + open.length, j).trim();
    if (inner !== "" && inner.length <= MAX_SPAN && j > bestAt) {
      bestAt = j;
      best = inner;
    }
  }
  return best;
}

/** The last $…$ (pairing dollars from the start, skipping \$ and $$) or \(…\), whichever ends later. */
function lastInlineMath(s: string, budget: Budget): string | null {
  let last: { end: number; text: string } | null = null;
  let open = -1;
  for (let i = s.indexOf("$"); i >= 0; i = s.indexOf("$", i + 1)) {
    budget.tick();
    if (i > 0 && s.charAt(i - 1) === "\\") continue;
    if (s.charAt(i + 1) === "$") {
      i++;
      open = -1;
      continue;
    }
    if (open < 0) open = i;
    else {
      const inner = s.slice(open + 1, i).trim();
      if (inner !== "" && inner.length <= MAX_SPAN) last = { end: i, text: inner };
      open = -1;
    }
  }
  const paren = lastDelimited(s, [["\\(", "\\)"]], budget);
  const parenEnd = s.lastIndexOf("\\)");
  if (paren !== null && (last === null || parenEnd > last.end)) return paren;
  return last ? last.text : null;
}

/** The last number in the text: digits with optional sign, thousands commas, decimals, or a fraction a/b. */
function lastNumber(s: string, budget: Budget): string | null {
  let j = s.length - 1;
  while (j >= 0 && !isDigit(s.charCodeAt(j))) {
    budget.tick();
    j--;
  }
  if (j < 0) return null;
  let i = j;
  while (i > 0) {
    budget.tick();
    const c = s.charCodeAt(i - 1);
    if (isDigit(c) || c === 46 /* . */ || c === 47 /* / */) i--;
    else if (c === 44 /* , */ && i >= 2 && isDigit(s.charCodeAt(i - 2)) && /^\d{3}(?!\d)/.test(s.slice(i, i + 4))) i--;
    else break;
  }
  if (i > 0 && s.charAt(i - 1) === "-") i--;
  const num = s.slice(i, j + 1).replace(/,/g, "").replace(/^[./]+/, "");
  return num === "" ? null : num.slice(-MAX_SPAN);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

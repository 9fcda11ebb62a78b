// Finding the final answer in free model output. Strong rules — boxed (\boxed{} / \fbox{}), gsm8k (#### N),
// final_answer ("final answer is X", "Final Answer: X"), answer_is ("the answer is X", "Answer:", and the same in
// Chinese, French, Spanish, German, Russian) — compete by position: the one that ends the text wins, so a
// "The final answer is 10455" after intermediate \boxed{} results is the answer (as Math-Verify decides), and a box
// after "the answer is" wins over the phrase. Weak rules run only when no strong rule matched: display_math
// (\[…\], $$…$$), inline_math ($…$, \(…\)), bold (**…**), and, only when asked, last_number. Only linear scans
// (indexOf, explicit loops, regexes without nested quantifiers): megabytes of output cost milliseconds.
import type { Budget } from "./limits.js";
import type { ExtractOptions, Extraction } from "./index.js";

const DEFAULT_MAX_CHARS = 100_000;
/** Longest answer taken from a phrase rule ("the answer is …") or a math span: longer is not a final answer. */
const MAX_SPAN = 2_000;
/** Boxes separated by no more than this much connecting text ("$, $", " and ", "\quad") form one answer group. */
const MAX_CONNECTOR = 24;

interface Candidate {
  answer: string;
  rule: Extraction["rule"];
  /** Where the candidate sits in the text: the latest strong candidate wins. */
  at: number;
}

/**
 * The final answer of `text`. `starts` is boxStarts(text) when the caller already has it (verify looks for boxes
 * once, to rule out a bare answer, and the extractor reuses them).
 */
export function extract(text: string, opts: ExtractOptions, budget: Budget, starts?: number[]): Extraction | null {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  let s = text.length > maxChars ? text.slice(text.length - maxChars) : text;
  // A generation that ran past its turn ("… is 19. <|im_start|>user …") ends at the first chat-template token; a
  // token before any text (an echoed prompt header) is dropped with the others.
  if (s.includes("<|") || s.includes("</s>")) {
    const tok = /<\|[a-z_]{1,30}\|>|<\/s>/.exec(s);
    if (tok !== null && /\S/.test(s.slice(0, tok.index))) s = s.slice(0, tok.index);
    else s = s.replace(/<\|[a-z_]{1,30}\|>|<\/s>/g, "\n");
  }
  const strong: Candidate[] = [];
  const boxed = boxedAnswer(s, starts !== undefined && s === text ? starts : boxStarts(s, budget), opts, budget);
  if (boxed !== null) strong.push(boxed);
  // The latest strong candidate wins, so a "####" or an answer phrase before the boxed answer cannot: only the text
  // after it is searched (on real outputs a few dozen characters instead of kilobytes). 40 characters more for a
  // "Final Answer:" line that names the answer phrase after it (below).
  const from = boxed === null ? 0 : Math.max(0, boxed.at - 40);
  const gsm = gsm8k(s, boxed === null ? 0 : boxed.at);
  if (gsm !== null) strong.push(gsm);
  const phrases = lastPhrases(s, from, budget);
  const fin = phrases.final && afterPhrase(s, phrases.final, budget);
  if (fin) strong.push({ ...fin, rule: "final_answer" });
  const ans = phrases.answer && afterPhrase(s, phrases.answer, budget);
  if (ans) strong.push({ ...ans, rule: "answer_is" });
  if (strong.length === 0 && opts.strongOnly) return null;
  if (strong.length) {
    // The latest wins; on a tie (a phrase whose answer is the box itself) the box.
    let best = strong[0]!;
    for (const c of strong) if (c.at > best.at) best = c;
    // "Final Answer: The final answer is 5": the answer phrase inside the final-answer line names the same rule.
    if (best.rule === "answer_is" && fin !== null && best.at - fin.at <= 40) return { answer: best.answer, rule: "final_answer" };
    return { answer: best.answer, rule: best.rule };
  }
  // "Answer $ \n 9 \n $": an answer phrase followed by inline delimiters paired across lines has no answer (no
  // weaker rule may dig one out of it).
  if (brokenAnswerSpan(s, budget)) return null;
  // An output truncated inside its final answer (an unclosed \boxed{, however far back) gets no statement or guess.
  const truncated = unclosedBoxAt(text, budget) >= 0;
  const mathEnd = lastMathEnd(s);
  // A final sentence that states one value in words, after the last math span, is the later statement and wins
  // ("… so $d = \frac{90}{n}$ … Therefore, there are 12 distinct sequences.").
  const stated = truncated ? null : statedNumber(s, budget);
  // It must be a sentence or clause of its own: "… is $\frac{1}{3}$, which is 0.33" restates the formula, which
  // stays the answer.
  if (stated !== null && stated.at > mathEnd && (mathEnd < 0 || NEW_CLAUSE.test(s.slice(mathEnd, stated.at)))) return { answer: stated.text, rule: "final_statement" };
  const fallback = opts.lastNumberFallback ?? false;
  // With the fallback on, any number written after the last math span wins the same way.
  const num = fallback && !truncated ? lastNumber(s, budget) : null;
  if (num !== null && num.at > mathEnd) return { answer: num.text, rule: "last_number" };
  const disp = lastDelimited(s, [["\\[", "\\]"], ["$$", "$$"]], budget);
  if (disp !== null) return { answer: disp, rule: "display_math" };
  const inl = lastInlineMath(s, budget);
  if (inl !== null) return { answer: inl, rule: "inline_math" };
  const bold = lastDelimited(s, [["**", "**"]], budget);
  if (bold !== null && !bold.includes("\n")) return { answer: bold, rule: "bold" };
  if (stated !== null) return { answer: stated.text, rule: "final_statement" };
  if (num !== null) return { answer: num.text, rule: "last_number" };
  return null;
}

/** Where the last math span or bold text ends (-1 without any). */
function lastMathEnd(s: string): number {
  let end = -1;
  for (const d of ["\\]", "$$", "$", "\\)", "**"]) {
    const i = s.lastIndexOf(d);
    if (i >= 0) end = Math.max(end, i + d.length);
  }
  return end;
}

/** The last answer phrase is followed by an inline $ or \( whose closing delimiter comes after a line break. */
function brokenAnswerSpan(s: string, budget: Budget): boolean {
  let at = -1;
  budget.tick(s.length >> 6);
  for (const m of s.matchAll(/answer(?![a-z])/gi)) at = m.index + m[0].length;
  if (at < 0) return false;
  const rest = s.slice(at, at + MAX_SPAN).replace(CONNECTOR, "");
  for (const [open, close] of [["$", "$"], ["\\(", "\\)"]] as const) {
    if (!rest.startsWith(open) || rest.startsWith("$$")) continue;
    const j = rest.indexOf(close, open.length);
    if (j > 0 && rest.slice(0, j).includes("\n")) return true;
  }
  return false;
}

/**
 * Whether the text was cut off inside its final answer: a \boxed{ that never closes (looked for in the whole text,
 * not just the searched window, so a box opened 100K characters back still counts). -1 when not.
 */
export function unclosedBoxAt(text: string, budget: Budget): number {
  let best = -1;
  for (const cmd of BOX_COMMANDS) best = Math.max(best, text.lastIndexOf(cmd));
  if (best < 0) return -1;
  const open = text.indexOf("{", best);
  if (open < 0 || text.slice(best, open).replace(/^\\[a-z]+/, "").trim() !== "") return -1;
  return braced(text, open, budget) === null ? best : -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Boxes

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Start indices of every \boxed / \fbox command (not \boxedfoo): the index just after the command name, ascending.
 * One search for "box" finds both (a backslash-led search stops at every LaTeX command of the text; "box" is rare
 * in prose and formulas: this was a tenth of a check on real outputs).
 */
export function boxStarts(s: string, budget: Budget): number[] {
  const out: number[] = [];
  for (let i = s.indexOf("box"); i >= 0; i = s.indexOf("box", i + 3)) {
    budget.tick();
    let end = -1;
    if (s.charCodeAt(i - 1) === 92 /* \ */ && s.charCodeAt(i + 3) === 101 /* e */ && s.charCodeAt(i + 4) === 100 /* d */) end = i + 5;
    else if (s.charCodeAt(i - 1) === 102 /* f */ && s.charCodeAt(i - 2) === 92) end = i + 3;
    if (end >= 0 && !isAsciiLetter(s.charCodeAt(end))) out.push(end);
  }
  return out;
}

/**
 * For every "{" of the text, the index of its matching "}" (-1 when it never closes), in one pass with a stack:
 * looking each box's argument up is then O(1), so 3,000 unclosed \boxed{ cost a scan, not 3,000 scans.
 */
function matchBraces(s: string, from: number, budget: Budget): Map<number, number> {
  const match = new Map<number, number>();
  const stack: number[] = [];
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) {
      stack.push(i);
      match.set(i, -1);
    } else if (c === 125 /* } */ && stack.length) match.set(stack.pop()!, i);
    if ((i & 1023) === 0) budget.tick();
  }
  return match;
}

/** The argument of a box command starting at `at` and where it ends, or null if unterminated. */
function boxArgument(s: string, at: number, budget: Budget, braces: Map<number, number>): { text: string; end: number } | null {
  let i = at;
  while (s.charAt(i) === " ") i++;
  if (s.charAt(i) === "{") {
    const close = braces.get(i) ?? -1;
    return close < 0 ? null : { text: s.slice(i + 1, close), end: close + 1 };
  }
  // "\boxed 5" (TeX allows a single token argument): take up to whitespace or a math delimiter.
  let j = i;
  while (j < s.length && !/[\s$]/.test(s.charAt(j))) {
    budget.tick();
    j++;
  }
  return j > i ? { text: s.slice(i, j), end: j } : null;
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

interface Box {
  start: number;
  end: number;
  text: string;
}

/** \boxed{\boxed{5}} is one answer: unwrapped. */
function unwrapNested(part: string, budget: Budget): string {
  for (let k = 0; k < 8; k++) {
    const m = /^\\(?:boxed|fbox)\s*\{/.exec(part);
    const inner = m ? braced(part, m[0].length - 1, budget) : null;
    if (!m || inner === null || m[0].length + inner.length + 1 !== part.length) break;
    part = inner.trim();
  }
  return part;
}

/** The boxes of the text, from its box command starts (boxStarts). */
function allBoxes(s: string, starts: number[], budget: Budget): Box[] {
  const out: Box[] = [];
  let end = -1;
  if (starts.length === 0) return out;
  const braces = matchBraces(s, starts[0]!, budget); // braces before the first box cannot close a box
  for (const st of starts) {
    if (st < end) continue; // a box nested inside a previous box belongs to it
    const a = boxArgument(s, st, budget, braces);
    if (a === null) continue;
    const text = unwrapNested(a.text.trim(), budget);
    if (text === "") continue;
    end = a.end;
    out.push({ start: st, end: a.end, text });
  }
  return out;
}

/** Text between two boxes that only connects them ("$ and $", ", ", "\quad", "or"). */
function isConnector(between: string): boolean {
  if (between.length > MAX_CONNECTOR) return false;
  // One word right after a box may name what it counts, when a connector follows ("\boxed{1} papers and
  // \boxed{2} bins", "\boxed{3}\text{ cm}, \boxed{4}"); "\boxed{1}, then \boxed{2}" are steps, not parts.
  const label = /^\s*(?!(?:and|or|und|et|y)\b)(?:\\text\s*\{\s*[A-Za-z]+\s*\}|[A-Za-z]+\b)/.exec(between);
  const rest = (label ? between.slice(label[0].length) : between).replace(CONNECTING, "");
  return rest === "" && (label === null || /[,;]|\band\b|\bor\b|\\quad/.test(between.slice(label[0].length)));
}
const CONNECTING = /\$|\\\(|\\\)|\\\[|\\\]|\\quad|\\qquad|\\text\s*\{[^{}]*\}|\\[,;!]|[\s,;&.]|\\\\|\band\b|\bor\b|\bund\b|\bet\b|\by\b/g;

/**
 * The boxed answer. Boxes next to each other form a group (one answer written over several boxes). The last group
 * is the answer; joined, a group of different values is a list, which a single-part gold never equals (two
 * candidate answers are not credited). For a gold with k parts, a final single box that is not itself a list is
 * joined with the boxes before it, up to k (answers to parts (a), (b) … boxed one by one).
 */
function boxedAnswer(s: string, starts: number[], opts: ExtractOptions, budget: Budget): Candidate | null {
  const boxes = allBoxes(s, starts, budget);
  if (boxes.length === 0) return null;
  const last = boxes[boxes.length - 1]!;
  if (opts.allBoxes) return { answer: boxes.map((b) => b.text).join(", "), rule: "boxed", at: last.start };
  let first = boxes.length - 1;
  while (first > 0 && isConnector(s.slice(boxes[first - 1]!.end, s.lastIndexOf("\\", boxes[first]!.start - 1)))) first--;
  const parts = opts.goldParts ?? 1;
  if (first === boxes.length - 1 && parts > 1 && topLevelItems(last.text) < parts) first = Math.max(0, boxes.length - parts);
  const group = boxes.slice(first);
  const texts = [...new Set(group.map((b) => b.text))];
  return { answer: texts.join(", "), rule: "boxed", at: group[0]!.start };
}

/** Items of a comma / semicolon separated list, counting separators outside brackets only ("(1, 1)" is one). */
function topLevelItems(t: string): number {
  let depth = 0;
  let n = 1;
  for (let i = 0; i < t.length; i++) {
    const c = t.charAt(i);
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (depth === 0 && (c === "," || c === ";")) n++;
  }
  return /\band\b|\\\\/.test(t) ? Math.max(n, 2) : n;
}

// ---------------------------------------------------------------------------------------------------------------
// Phrases

/** The line after the last "####" at or after `from`. */
function gsm8k(s: string, from: number): Candidate | null {
  if (s.indexOf("####", from) < 0) return null;
  const i = s.lastIndexOf("####");
  let line = s.slice(i + 4);
  const nl = line.indexOf("\n");
  if (nl >= 0) line = line.slice(0, nl);
  line = line.trim().replace(/,/g, "").replace(/^\$/, "").replace(/\.$/, "").trim();
  return line === "" ? null : { answer: line.slice(0, MAX_SPAN), rule: "gsm8k", at: i };
}

/** Answer phrases, in one case-insensitive scan: "final answer" and its translations, then "answer is" / "answer:". */
const PHRASES = /final answer|最终答案|réponse finale|respuesta final|endgültige antwort|окончательный ответ|answer is|answer ?:|答案|réponse|respuesta|antwort|ответ/gi;
/** Where the English-only walk below does not do: other languages, and an answer phrase in capitals. */
const NOT_ENGLISH_LOWER = /[^\x00-\x7f]|ntwort|espuesta|NSWER|NTWORT|ESPUESTA/g;
const FINAL = /^(?:final answer|最终答案|réponse finale|respuesta final|endgültige antwort|окончательный ответ)$/i;

interface PhraseAt {
  at: number;
  len: number;
}

/** The last "final answer" phrase and the last other answer phrase starting at or after `from` (one pass). */
function lastPhrases(s: string, from: number, budget: Budget): { final: PhraseAt | null; answer: PhraseAt | null } {
  let final: PhraseAt | null = null;
  let answer: PhraseAt | null = null;
  budget.tick((s.length - from) >> 6);
  NOT_ENGLISH_LOWER.lastIndex = from;
  // English only (the usual case; the other languages' phrases have non-ASCII letters or "ntwort" / "espuesta"): walk the occurrences of "nswer" back from the end with lastIndexOf, which is
  // several times faster than a case-insensitive alternation over the whole text.
  if (!NOT_ENGLISH_LOWER.test(s)) {
    // indexOf from `from` first: a lastIndexOf that finds nothing in the searched part would go on to the start.
    for (let i = s.indexOf("nswer", from) < 0 ? -1 : s.lastIndexOf("nswer"); i > from && (final === null || answer === null); i = s.lastIndexOf("nswer", i - 1)) {
      budget.tick();
      const c = s.charAt(i - 1);
      if (c !== "a" && c !== "A") continue;
      const start = i - 1;
      if (final === null && /^final $/i.test(s.slice(Math.max(0, start - 6), start))) {
        final = { at: start - 6, len: 12 };
        continue;
      }
      const hit: RegExpExecArray | null = answer === null ? /^answer(?: is|:| :)/i.exec(s.slice(start, start + 10)) : null;
      if (hit) answer = { at: start, len: hit[0].length };
    }
    return { final, answer };
  }
  const re = new RegExp(PHRASES);
  re.lastIndex = from;
  for (const m of s.matchAll(re)) {
    budget.tick();
    const p = { at: m.index, len: m[0].length };
    if (FINAL.test(m[0])) final = p;
    else answer = p;
  }
  return { final, answer };
}

/** Connecting words after a phrase: "Final Answer: The final answer is", "答案是", "La réponse est", "lautet". */
const CONNECTOR = /^(?:\s|\*\*|:|：|=|is\b|are\b|was\b|est\b|es\b|ist\b|lautet\b|final\b|finale\b|是|为|為|—|-(?!\d)|,)+/i;

/** The answer written after the last occurrence of one of `phrases` (lower case) in the text. */
function afterPhrase(s: string, phrase: PhraseAt, budget: Budget): { answer: string; at: number } | null {
  const best = phrase.at;
  const len = phrase.len;
  let rest = s.slice(best + len, best + len + MAX_SPAN);
  for (let k = 0; k < 4; k++) {
    const before = rest;
    rest = rest.replace(CONNECTOR, "");
    rest = rest.replace(/^(?:the final answer|the answer|that)\b/i, "");
    if (rest === before) break;
  }
  const a = answerSpan(rest, budget);
  return a === null ? null : { answer: a, at: best };
}

/** "The largest $n$ is 41" → "41": the value after the last "is" / "are" / "equals" of a sentence. */
function valueOfSentence(line: string): string {
  // Only outside math: "$x$ is $5$" splits, "$\{x | x is … \}$" does not matter in practice.
  const m = /^(.*)\s(?:is|are|equals|is equal to|es|est|ist|是|为)\s+(.+)$/is.exec(line);
  if (!m) return line;
  const head = m[1]!;
  // The head must read as words (a subject), not as part of the answer.
  return /[a-zA-Z]{3,}/.test(head.replace(/\$[^$]*\$/g, "")) ? m[2]! : line;
}

/** The leading answer of `rest`: a math span if it starts with one, else the sentence up to its end. */
function answerSpan(rest: string, budget: Budget): string | null {
  rest = rest.replace(/^\\?["“]/, "");
  for (const [open, close] of [["$$", "$$"], ["$", "$"], ["\\[", "\\]"], ["\\(", "\\)"]] as const) {
    if (rest.startsWith(open)) {
      const j = rest.indexOf(close, open.length);
      // "Answer $ \n 9 \n $": dollars paired across lines are not an inline formula.
      // "$12$ and $13$": a list of spans goes through the sentence rule below.
      const listed = /^\s*(?:,|and\b|or\b)\s*\$/i.test(rest.slice(j + close.length));
      if (j > open.length && !listed && (open === "$$" || open === "\\[" || !rest.slice(0, j).includes("\n"))) {
        const inner = rest.slice(open.length, j).trim();
        // "$28$ %" / "$28$ percent": a percent sign after the span belongs to it.
        const after = /^\s*(\\?%|percent\b|pct\b|percentage\b)/i.exec(rest.slice(j + close.length));
        return after ? `${inner}\\%` : inner;
      }
    }
  }
  budget.tick();
  let line = rest;
  const nl = line.indexOf("\n");
  if (nl >= 0) line = line.slice(0, nl);
  // Minerva's "The final answer is 5 I hope it is correct" (sometimes without the period).
  const hope = line.search(/\s+I hope\b/);
  if (hope >= 0) line = line.slice(0, hope);
  // End of sentence: ". " followed by a capital or the end ("I hope it is correct."), outside $…$.
  const stop = sentenceEnd(line);
  if (stop >= 0) line = line.slice(0, stop);
  line = line.replace(/^\*\*|\*\*$/g, "").trim();
  line = valueOfSentence(line).trim();
  line = line.replace(/^\\?["“]|\\?["”]$/g, "").trim();
  // Math spans in a sentence: joined by "and" / "or" / commas only, they are a list ("$12$ and $13$"); among
  // words, the last one is the answer ("The largest $n$ is $41$." → 41).
  const SPAN = /\$[^$]+\$|\\\([^]*?\\\)/g;
  const spans = line.match(SPAN);
  const between = line.replace(SPAN, " ");
  if (spans && spans.length > 1 && /^[\s,;]*(?:(?:and|or|,)[\s,;]*)*$/i.test(between)) {
    line = spans.map((x) => x.replace(/^\$|\$$|^\\\(|\\\)$/g, "")).join(", ");
  } else if (spans && spans.length >= 1 && /[a-zA-Z]{3,}/.test(between)) {
    line = spans[spans.length - 1]!.replace(/^\$|\$$|^\\\(|\\\)$/g, "");
  } else if (line.startsWith("$") && line.endsWith("$") && line.length > 1) line = line.replace(/^\$+|\$+$/g, "");
  else if (!spans && /[a-zA-Z]{3,}/.test(line)) {
    // A final-answer sentence of words with exactly one number in it ("Jane started 3 hours ago") answers that
    // number; with several numbers it stays a sentence (compared as text, never a guess).
    const nums = line.match(/(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])/g);
    if (nums && nums.length === 1) line = nums[0]!;
  }
  line = line.trim();
  if (line === "" || /^(?:correct|incorrect|wrong|right|as follows|given by|below|the following)\b/i.test(line)) return null;
  return line;
}

/** Index of the first sentence end (". " before a capital, or a final "."), skipping dots inside $…$ and numbers. */
function sentenceEnd(line: string): number {
  let inMath = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === "$") inMath = !inMath;
    if (c !== "." || inMath) continue;
    const next = line.charAt(i + 1);
    if (next === "" || (/\s/.test(next) && /^\s*(?:[A-Z]|$)/.test(line.slice(i + 1, i + 8)))) return i;
    if (/\s/.test(next) && !/^\s*\d/.test(line.slice(i + 1, i + 4))) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Weak rules

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
    const raw = s.slice(i + open.length, j);
    const inner = raw.trim();
    // An inline span with a line break is unpaired delimiters, not a formula (display math may span lines).
    if (inner !== "" && inner.length <= MAX_SPAN && j > bestAt && (open === "\\[" || open === "$$" || !raw.includes("\n"))) {
      bestAt = j;
      best = inner;
    }
  }
  return best;
}

/**
 * The last $…$ (pairing dollars from the start, skipping \$ and $$) or \(…\), whichever ends later. A span with a
 * line break is not inline math (unpaired dollars across lines, as in "$5 and\n… 7$"): it is skipped.
 */
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
      const raw = s.slice(open + 1, i);
      const inner = raw.trim();
      if (inner !== "" && inner.length <= MAX_SPAN && !raw.includes("\n")) last = { end: i, text: inner };
      open = -1;
    }
  }
  const paren = lastDelimited(s, [["\\(", "\\)"]], budget);
  const parenEnd = s.lastIndexOf("\\)");
  if (paren !== null && !paren.includes("\n") && (last === null || parenEnd > last.end)) return paren;
  return last ? last.text : null;
}

/**
 * A copula that states the value right after it: "is 2/3", "there are 12", "increases by 100%", "it's 1,000.99m²",
 * ": 2,74". A verb of computing ("we get 7") reports a step, not the answer.
 */
const STATING = /(?:\b(?:is|are|was|were|equals|equal to|be|by|es|est|ist)|[a-z]['’]s|=|:|是|为)\s*$/i;
/** Text that starts a new sentence or a concluding clause. */
const NEW_CLAUSE = /[.!?](?:\s|$)|\n|\b(?:therefore|thus|hence|so|consequently|in conclusion|finally)\b/i;
/** Where the subject of a final statement starts: a sentence end, a line break, or a concluding word. */
const CLAUSE_START = /[.!?;](?=\s)|\n|\b(?:therefore|thus|hence|so|consequently|in conclusion|finally|which)\b/gi;

/**
 * The value a final sentence states in words: "Therefore, the probability that Alice wins the game is 2/3.",
 * "Therefore, there are 12 distinct sequences that meet the conditions. I hope it is correct.", "Soucis : 2,74 $".
 * Not a guess among numbers, so it is a strict rule: the number is the last of the text, a stating word comes right
 * before it, no digit stands between the start of its clause (sentence start, "Therefore", or "which" restating a
 * value: "the total is 7/2, which is 3.5") and it, and after it
 * only words follow (a unit, "%", the rest of the sentence: no digit, no LaTeX, no line break) — and something
 * does follow: the output does not stop on the number. "It is 1, 2, 3",
 * "x is 3 or 5" and "the number is 10 and 12" state nothing.
 */
function statedNumber(s: string, budget: Budget): { text: string; at: number } | null {
  const t0 = Math.max(0, s.length - 600);
  let t = s.slice(t0).replace(/\s+$/, "");
  t = t.replace(/\s*I hope it is correct\W*$/i, "").replace(/[\s.!]+$/, "");
  budget.tick(t.length >> 4);
  let m: RegExpExecArray | null = null;
  for (const x of t.matchAll(NUMBER)) {
    if (!/[a-zA-Z_\d.\\]/.test(t.charAt(x.index - 1))) m = x;
  }
  if (m === null) return null;
  const rest = t.slice(m.index + m[0].length);
  if (rest.length > 100 || /[\d\n\\]/.test(rest)) return null;
  const head = t.slice(0, m.index);
  if (!STATING.test(head)) return null;
  let from = 0;
  for (const c of head.matchAll(CLAUSE_START)) from = c.index + c[0].length;
  if (/\d/.test(head.slice(from))) return null;
  const at = t0 + m.index;
  // A number that ends the output may have been cut off by the token limit ("… the total is 12" of 123): a
  // statement's number is followed by something (a unit, a period, a line break).
  if (at + m[0].length >= s.length) return null;
  const text = /^-?\d+,\d+$/.test(m[0]) && !/^-?\d{1,3}(?:,\d{3})+$/.test(m[0]) ? m[0].replace(",", ".") : m[0].replace(/,/g, "");
  return { text, at };
}

/** Numbers as the fallback reads them: thousands groups (1,000.99), a decimal comma (2,74), a fraction a/b. */
const NUMBER = /-?(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:[.,]\d+)?(?:\/\d+)?)/g;

/**
 * The last number in the text (its last 2,000 characters). A digit run glued to a letter before it ("QXB7RT",
 * "x2") is part of a word, not a number; letters after it may be a unit ("1,000.99m²"). A final sentence that
 * lists more than 6 different numbers gives no answer: the fallback guesses, and a guess must not be gameable by
 * listing candidates.
 */
function lastNumber(s: string, budget: Budget): { text: string; at: number } | null {
  const tail = s.slice(-2000);
  budget.tick(tail.length >> 4);
  let last: string | null = null;
  let at = -1;
  for (const m of tail.matchAll(NUMBER)) {
    const before = tail.charAt(m.index - 1);
    if (/[a-zA-Z_\d.]/.test(before)) continue;
    last = m[0];
    at = s.length - tail.length + m.index;
  }
  if (last === null) return null;
  // The sentence that states it (from the previous sentence end or line break to the end of the text) must not
  // list candidates: more than 6 different numbers there and there is no answer.
  const from = Math.max(s.lastIndexOf(". ", at), s.lastIndexOf("\n", at), s.length - 2000);
  const listed = s.slice(from).match(/(?<![a-zA-Z\d])\d+(?![\d])/g);
  if (listed && new Set(listed).size > 6) return null;
  // "2,74" is 2.74 (a decimal comma: not followed by a group of exactly three digits).
  if (/^-?\d+,\d+$/.test(last) && !/^-?\d{1,3}(?:,\d{3})+$/.test(last)) return { text: last.replace(",", "."), at };
  return { text: last.replace(/,/g, ""), at };
}

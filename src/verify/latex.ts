// LaTeX and plain-text answers → a normalised string → tokens. The normaliser removes what never changes the value
// (spacing commands, \left/\right, $ delimiters, \text{} around units, thousands separators, degree signs) and
// records what does (%). Every regex here is linear (no nested quantifiers), and the input is capped in length
// before any of them runs, so this stage cannot hang.
import { braced } from "./extract.js";
import { type Budget, VerifyLimit, VerifySyntax } from "./limits.js";

export interface Normalized {
  text: string;
  percent: boolean;
  /** "x \\in [a, b]": the variable (the text keeps the set). */
  member?: string;
  /** The power of a stripped unit ("864 \\mbox{ inches}^2" → 2; 1 for a plain unit). */
  unitPow?: number;
}

/** Unit words stripped after a number ("5.4 \text{ cents}", "864 \mbox{ inches}^2", "15 cm"). */
const UNITS = new Set(
  (
    "unit units square cubic sq cm mm km m meter meters metre metres centimeter centimeters kilometer kilometers " +
    "inch inches in ft foot feet yard yards yd mile miles mi mph kph km/h m/s " +
    "degree degrees deg radian radians rad cent cents dollar dollars euro euros pound pounds lb lbs ounce ounces oz " +
    "g gram grams kg kilogram kilograms mg liter liters litre litres l ml gallon gallons " +
    "second seconds sec s minute minutes min hour hours hr hrs h day days week weeks month months year years " +
    "cup cups people person persons student students apple apples ways way times"
  ).split(" "),
);

const TEXT_COMMANDS = /\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mbox|mathrm|mathbf|mathit|mathsf|mathtt|mathnormal|operatorname|rm|bf|boldsymbol|mathbb|mathcal)\s*\{([^{}]*)\}/g;

function isUnitPhrase(s: string): boolean {
  const words = s.trim().toLowerCase().replace(/[.]$/, "").split(/\s+/).filter(Boolean);
  return words.length > 0 && words.length <= 3 && words.every((w) => UNITS.has(w));
}

/** Removes the outer \boxed{…}/\fbox{…} when the whole answer is one box. */
function unwrapBox(s: string, budget: Budget): string {
  for (let k = 0; k < 4; k++) {
    const m = /^\\(?:boxed|fbox)\s*\{/.exec(s);
    if (!m) break;
    const inner = braced(s, m[0].length - 1, budget);
    if (inner === null || m[0].length + inner.length + 1 !== s.length) break;
    s = inner.trim();
  }
  return s;
}

export function normalize(raw: string, budget: Budget): Normalized {
  if (raw.length > budget.limits.maxInputChars) throw new VerifyLimit(`answer longer than ${budget.limits.maxInputChars} characters`);
  let s = halveEscapedBackslashes(raw.trim());
  budget.tick(s.length >> 4);
  let unitPow: number | undefined;
  // Plain answers ("42", "x^2+1", "(1, 2)", "18 dollars") have nothing for the LaTeX rewrites below to find: they
  // skip them (most answers are plain, and these passes are most of a check's time).
  const plain = !/[\\$%{}~°\u0080-\uffff]/.test(s);
  if (!plain) {
    // Unicode spellings models use.
    if (/[^\x00-\x7f]/.test(s)) s = s
      .replace(/[−–]/g, "-")
      .replace(/×/g, "\\times ")
      .replace(/[·⋅]/g, "\\cdot ")
      .replace(/÷/g, "\\div ")
      .replace(/π/g, "\\pi ")
      .replace(/∞/g, "\\infty ")
      .replace(/√/g, "\\sqrt")
      .replace(/≤/g, "\\le ")
      .replace(/≥/g, "\\ge ")
      .replace(/≠/g, "\\ne ")
      .replace(/∪/g, "\\cup ")
      .replace(/±/g, "\\pm ")
      .replace(/°/g, "^\\circ")
      .replace(/²/g, "^2")
      .replace(/³/g, "^3");
    // Math delimiters around the whole answer.
    for (let k = 0; k < 3; k++) {
      const before = s;
      s = trimDollars(s);
      if (s.startsWith("\\(") && s.endsWith("\\)")) s = s.slice(2, -2).trim();
      if (s.startsWith("\\[") && s.endsWith("\\]")) s = s.slice(2, -2).trim();
      s = unwrapBox(s, budget);
      if (s === before) break;
    }
    // Spacing and sizing commands never change a value. "\," between digit groups is a thousands separator and
    // removing it joins the digits, which is what it means.
    // "\\" (matrix row break) must survive the removal of "\ " below: park it on a control character.
    s = s.replace(/\\\\/g, "\u0002").replace(/,\s*\\!\s*/g, ",");
    s = s
      .replace(/\\(?:left|right)\s*\./g, "")
      .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])/g, "")
      .replace(/\\(?:boxed|fbox)(?![a-zA-Z])/g, "")
      .replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|angle|measuredangle)(?![a-zA-Z])/g, "")
      .replace(/\\q?quad/g, " ")
      .replace(/\\[,;:! ]/g, "")
      .replace(/~/g, " ")
      .replace(/\s*\{\s*,\s*\}\s*/g, ",")
      .replace(/\\(?:dfrac|tfrac|cfrac)(?![a-zA-Z])/g, "\\frac")
      .replace(/\\(?:dbinom|tbinom)(?![a-zA-Z])/g, "\\binom")
      .replace(/\\(?:lt)(?![a-zA-Z])/g, "<")
      .replace(/\\(?:gt)(?![a-zA-Z])/g, ">")
      .replace(/\\(?:leq|leqslant|le)(?![a-zA-Z])/g, "\\le ")
      .replace(/\\(?:geq|geqslant|ge)(?![a-zA-Z])/g, "\\ge ")
      .replace(/\\(?:neq|ne)(?![a-zA-Z])/g, "\\ne ")
      .replace(/\u0002/g, "\\\\");
    // Degrees: 30^\circ = 30 (the question fixes the unit; a radian answer is a different string and is not equal).
    s = s.replace(/\^\s*\{?\s*\\circ\s*\}?/g, "").replace(/\\(?:circ|degree)(?![a-zA-Z])/g, "");
    // Text commands: units vanish (with a following ^2/^3), other text keeps its content.
    for (let k = 0; k < 8; k++) {
      const before = s;
      s = s.replace(TEXT_COMMANDS, (_m, inner: string) => (isUnitPhrase(inner) ? "\u0001" : inner));
      s = s.replace(/\u0001\s*(?:\^\s*\{?\s*([23])\s*\}?)?/g, (_m, pow?: string) => {
        unitPow = pow ? Number(pow) : 1;
        return " ";
      });
      if (s === before) break;
      budget.tick();
    }
  }
  // Percent words ("31 percent", "31 pct", "31 percentage") are the % sign spelled out.
  s = s.replace(/(\d|\})\s*(?:percentage|percent|pct)(?![a-zA-Z])/gi, "$1%");
  let percent = false;
  if (!plain || /%/.test(s)) {
    s = s.replace(/\\?%/g, () => {
      percent = true;
      return "";
    });
    s = s.replace(/\\\$/g, "").replace(/\$/g, "");
    s = repeatingDecimals(s, budget);
  }
  // "f(x) = 2x + 1" answers with the right side (a lone "y = …" stays an equation, compared as such).
  s = s.replace(/^\s*[a-zA-Z]\s*\(\s*[a-zA-Z]\s*\)\s*=(?![^=<>]*[=<>])/, "");
  // "x \in [a, b]" answers the interval (the variable is kept: "-2 \le x \le 7" says the same).
  let member: string | undefined;
  s = s.replace(/^\s*([a-zA-Z])\s*\\in(?![a-zA-Z])\s*/, (_m, v: string) => {
    member = v;
    return "";
  });
  // Trailing plain unit words after a number: "15 cm^2", "18 dollars", "5 square units".
  const unit = stripTrailingUnits(s);
  s = unit.text;
  if (unit.pow !== undefined) unitPow = unit.pow;
  s = s.replace(/\s+/g, " ").trim();
  s = trimEndDots(s);
  const out: Normalized = { text: s, percent };
  if (member) out.member = member;
  if (unitPow !== undefined) out.unitPow = unitPow;
  return out;
}

function stripTrailingUnits(s: string): { text: string; pow?: number } {
  // Only the tail can be a unit, and a short tail keeps the regex below cheap whatever the input.
  const tail = s.slice(-60);
  const m = /([a-zA-Z][a-zA-Z /]*?) *(?:\^ *\{? *([23]) *\}?)? *$/.exec(tail);
  if (!m) return { text: s };
  const at = s.length - tail.length + m.index;
  const head = s.slice(0, at).trimEnd();
  if (!/[\d})]$/.test(head)) return { text: s };
  // "2h" may be 2·h: a short unit must be set off by a space ("2 h"); "15inches" cannot be a product of variables.
  if (m[1]!.trim().length < 3 && head.length === at) return { text: s };
  return isUnitPhrase(m[1]!) ? { text: head, pow: m[2] ? Number(m[2]) : 1 } : { text: s };
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens

export type Token =
  | { k: "num"; s: string }
  | { k: "id"; s: string }
  | { k: "cmd"; s: string }
  | { k: "op"; s: string };

/** Plain-text function and constant names recognised without a backslash ("sqrt(2)", "sin x", "pi"). */
const PLAIN_WORDS = ["arcsin", "arccos", "arctan", "sqrt", "sinh", "cosh", "tanh", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "pi", "infinity", "inf"];

export function tokenize(s: string, budget: Budget): Token[] {
  const out: Token[] = [];
  // A comma that is not followed by exactly three digits separates items ("0,1,2,…,2999", "2,5"): then no comma in
  // the answer is a thousands separator (100,101,102 is a list, not 100101102).
  const commaList = /,(?!\d{3}(?!\d))/.test(s);
  let depth = 0;
  let i = 0;
  while (i < s.length) {
    budget.tick();
    const c = s.charAt(i);
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (isDigitChar(c) || (c === "." && isDigitChar(s.charAt(i + 1)))) {
      let j = i;
      while (j < s.length && isDigitChar(s.charAt(j))) j++;
      // Thousands separators "1,000,000" — only outside brackets, where "(1,000)" would be a pair.
      if (depth === 0 && j - i <= 3 && s.charAt(i) !== "0" && !(s.charAt(j) === "," && commaList)) {
        // One separator style per number: "1,000,000" or "1 000 000" (a space between digit groups is never a
        // product: nobody writes 2·3 as "2 3").
        const sep = s.charAt(j);
        if (sep === "," || sep === " ") {
          let k = j;
          // At most 6 groups (10^18): a longer run of 3-digit groups is a list that happens to look grouped.
          while (s.charAt(k) === sep && k - j < 24 && /^\d{3}(?![\d.])/.test(s.slice(k + 1, k + 5))) k += 4;
          if (s.charAt(k) === sep && /^\d{3}(?![\d.])/.test(s.slice(k + 1, k + 5))) k = j;
          if (sep === "," && /^,\d{3}\.\d/.test(s.slice(j, j + 6))) k = j + 4; // "1,234.5"
          if (k > j) j = k;
        }
      }
      if (s.charAt(j) === "." && isDigitChar(s.charAt(j + 1))) {
        j++;
        while (j < s.length && isDigitChar(s.charAt(j))) j++;
      } else if (s.charAt(j) === "." && !/[a-zA-Z\d]/.test(s.charAt(j + 1))) {
        j++; // "5." — a trailing decimal point
      }
      const sci = /^[eE][+-]?\d+/.exec(s.slice(j, j + 12));
      if (sci && !/[a-zA-Z]/.test(s.charAt(j + sci[0].length))) j += sci[0].length;
      const text = s.slice(i, j).replace(/[, ]/g, "").replace(/\.$/, "");
      if (text.replace(/[^\d]/g, "").length > budget.limits.maxDigits) throw new VerifyLimit(`number with more than ${budget.limits.maxDigits} digits`);
      out.push({ k: "num", s: text });
      i = j;
      continue;
    }
    if (c === "\\") {
      const m = /^[a-zA-Z]+/.exec(s.slice(i + 1, i + 40));
      if (m) {
        out.push({ k: "cmd", s: m[0] });
        i += 1 + m[0].length;
      } else {
        const d = s.charAt(i + 1);
        if (d === "{" || d === "}") {
          out.push({ k: "op", s: d === "{" ? "\\{" : "\\}" });
          depth += d === "{" ? 1 : -1;
        } else if (d === "\\") out.push({ k: "op", s: "\\\\" });
        else if (d === "|") out.push({ k: "op", s: "|" });
        i += 2;
      }
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      const word = PLAIN_WORDS.find((w) => s.startsWith(w, i) && !/[a-zA-Z]/.test(s.charAt(i + w.length)));
      if (word) {
        out.push({ k: "cmd", s: word === "infinity" || word === "inf" ? "infty" : word });
        i += word.length;
        continue;
      }
      out.push({ k: "id", s: c });
      i++;
      continue;
    }
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c)) depth--;
    if (c === "*" && s.charAt(i + 1) === "*") {
      out.push({ k: "op", s: "^" }); // "2**3" (Python power)
      i += 2;
      continue;
    }
    if ((c === "<" || c === ">") && s.charAt(i + 1) === "=") {
      out.push({ k: "cmd", s: c === "<" ? "le" : "ge" });
      i += 2;
      continue;
    }
    if (c === "!" && s.charAt(i + 1) === "=") {
      out.push({ k: "cmd", s: "ne" });
      i += 2;
      continue;
    }
    if ("+-*/^_()[]{},;=<>!|&:'".includes(c)) {
      out.push({ k: "op", s: c });
      i++;
      continue;
    }
    throw new VerifySyntax(`unexpected character "${c}"`);
  }
  return out;
}

function isDigitChar(c: string): boolean {
  return c >= "0" && c <= "9";
}

/** Trailing dots and spaces, by a loop (the regex /[\s.]+$/ is quadratic on long runs that do not end the string). */
function trimEndDots(s: string): string {
  let j = s.length;
  while (j > 0 && (s.charAt(j - 1) === "." || s.charAt(j - 1) === " ")) j--;
  return s.slice(0, j);
}

/** Command names whose doubled backslash marks a JSON-escaped answer (\\frac, \\left, \\le …). */
const ESCAPED_COMMAND = /\\\\(?:frac|dfrac|tfrac|sqrt|left|right|le|leq|ge|geq|ne|neq|lt|gt|cdot|times|pi|infty|text|mathrm|boxed|begin|end|pm|mp|cup|cap|in|div|circ|sin|cos|tan|log|ln|alpha|beta|theta|binom|dbinom|approx|quad|\$|%)(?![a-zA-Z])/;

/**
 * Outputs that went through one JSON encoding too many carry every backslash twice (\\frac{1}{2}). When the text
 * has such a doubled command and no single-backslash command at all, every backslash pair is one backslash (a
 * matrix row break, written \\\\ there, becomes \\ again).
 */
export function halveEscapedBackslashes(s: string): string {
  if (!s.includes("\\\\") || !ESCAPED_COMMAND.test(s)) return s;
  // A single backslash before a letter (not part of a pair) means the text is not uniformly escaped.
  let i = s.indexOf("\\");
  while (i >= 0) {
    let j = i;
    while (s.charAt(j) === "\\") j++;
    if ((j - i) % 2 === 1) return s;
    i = s.indexOf("\\", j);
  }
  return s.replace(/\\\\/g, "\\");
}

function trimDollars(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && s.charAt(i) === "$") i++;
  while (j > i && s.charAt(j - 1) === "$") j--;
  return s.slice(i, j).trim();
}

/** 0.1\overline{6} → \frac{1}{6}: a repeating decimal as its exact fraction (digit counts are capped). */
function repeatingDecimals(s: string, budget: Budget): string {
  // The regex below starts a match at every digit, so on a long digit run it is quadratic: it only runs when the
  // answer has an \overline at all, on the short window before each one.
  if (!s.includes("\\overline")) return s;
  let out = "";
  let from = 0;
  for (let at = s.indexOf("\\overline"); at >= 0; at = s.indexOf("\\overline", at + 1)) {
    budget.tick();
    let start = at;
    while (start > from && at - start < 2 * budget.limits.maxDigits && /[\d.]/.test(s.charAt(start - 1))) start--;
    const close = s.indexOf("}", at);
    if (close < 0) break;
    out += s.slice(from, start) + repeatingDecimal(s.slice(start, close + 1), budget);
    from = close + 1;
    at = close;
  }
  return out + s.slice(from);
}

function repeatingDecimal(s: string, budget: Budget): string {
  return s.replace(/^(\d*)\.(\d*)\\overline\s*\{(\d+)\}$/, (_m, whole: string, fixed: string, rep: string) => {
    if (whole.length + fixed.length + rep.length > budget.limits.maxDigits) throw new VerifyLimit("repeating decimal too long");
    const all = BigInt((whole || "0") + fixed + rep);
    const head = BigInt((whole || "0") + fixed);
    const den = 10n ** BigInt(fixed.length) * (10n ** BigInt(rep.length) - 1n);
    return `\\frac{${all - head}}{${den}}`;
  });
}

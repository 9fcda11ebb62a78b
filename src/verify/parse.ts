// Answer string → MathValue. normalize (latex.ts) → tokens → a recursive-descent parser whose every level goes
// through budget.nest (explicit depth cap: 5,000 nested braces is a clean VerifyLimit, never a stack overflow)
// → a loose syntax tree → validated MathValue. Unreadable input becomes a text value (compared as a string).
import { type Budget, VerifyLimit, VerifySyntax } from "./limits.js";
import { normalize, tokenize, type Token } from "./latex.js";
import { parseDecimal, rat, type Rational } from "./rational.js";
import type { Expr, MathValue, RelOp } from "./value.js";

type PNode =
  | { t: "e"; e: Expr }
  | { t: "group"; open: "(" | "["; close: ")" | "]"; items: PNode[] }
  | { t: "set"; items: PNode[] }
  | { t: "list"; items: PNode[] }
  | { t: "union"; items: PNode[] }
  | { t: "matrix"; rows: PNode[][] }
  | { t: "rel"; terms: PNode[]; ops: string[] };

const FUNCTIONS = new Set(["sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "ln", "log", "lg", "exp"]);
const GREEK = new Set(
  "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega".split(" "),
);
const REL_CMDS: Record<string, string> = { le: "<=", ge: ">=", ne: "!=", approx: "~", equiv: "=", simeq: "~", sim: "~" };
/** Words that may appear in a math answer without making it plain text. */
const MATH_WORDS = new Set(["sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "exp", "infinity", "inf", "pmatrix", "bmatrix", "vmatrix", "matrix", "array", "cases", "smallmatrix", "Bmatrix", "Vmatrix"]);

const num = (v: Rational): Expr => ({ t: "num", v });

function asExpr(n: PNode): Expr {
  if (n.t === "e") return n.e;
  if (n.t === "group" && n.items.length === 1 && n.open === "(" && n.close === ")") return asExpr(n.items[0]!);
  throw new VerifySyntax("a tuple, set or relation inside arithmetic");
}

class Parser {
  private pos = 0;
  private absDepth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly b: Budget,
  ) {}

  private peek(off = 0): Token | undefined {
    return this.toks[this.pos + off];
  }
  private isOp(s: string, off = 0): boolean {
    const t = this.peek(off);
    return t !== undefined && t.k === "op" && t.s === s;
  }
  private isCmd(s: string): boolean {
    const t = this.peek();
    return t !== undefined && t.k === "cmd" && t.s === s;
  }
  private next(): Token {
    const t = this.toks[this.pos++];
    if (!t) throw new VerifySyntax("unexpected end of answer");
    return t;
  }
  private expectOp(s: string): void {
    const t = this.next();
    if (t.k !== "op" || t.s !== s) throw new VerifySyntax(`expected "${s}"`);
  }

  top(): PNode {
    const n = this.list();
    if (this.pos < this.toks.length) throw new VerifySyntax(`unexpected "${this.peek()!.s}"`);
    return n;
  }

  private list(): PNode {
    return this.b.nest(() => {
      const items = [this.union()];
      // "p=3, q=5; p=5, q=3": semicolons separate groups of comma-separated items (each group one tuple).
      const groups: PNode[][] = [items];
      while (this.isOp(",") || this.isOp(";")) {
        if (this.isOp(";")) groups.push([]);
        this.pos++;
        const it = this.union();
        items.push(it);
        if (groups.length > 1) groups[groups.length - 1]!.push(it);
      }
      if (groups.length > 1) {
        groups[0] = groups[0]!.slice(0, groups[0]!.length - groups.slice(1).reduce((n, g) => n + g.length, 0));
        if (groups.every((g) => g.length >= 2)) {
          return { t: "list", items: groups.map((g): PNode => ({ t: "group", open: "(", close: ")", items: g })) };
        }
      }
      return items.length === 1 ? items[0]! : { t: "list", items };
    });
  }

  private union(): PNode {
    const items = [this.rel()];
    while (this.isCmd("cup") || (this.peek()?.k === "id" && this.peek()!.s === "U" && this.isOpAhead())) {
      this.pos++;
      items.push(this.rel());
    }
    return items.length === 1 ? items[0]! : { t: "union", items };
  }
  /** "U" between intervals means ∪ only when an interval follows. */
  private isOpAhead(): boolean {
    return this.isOp("(", 1) || this.isOp("[", 1);
  }

  private rel(): PNode {
    const terms = [this.sum()];
    const ops: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      let op: string | undefined;
      if (t.k === "op" && (t.s === "=" || t.s === "<" || t.s === ">")) op = t.s;
      else if (t.k === "cmd" && REL_CMDS[t.s]) op = REL_CMDS[t.s];
      if (!op) break;
      this.pos++;
      ops.push(op);
      terms.push(this.sum());
    }
    return ops.length ? { t: "rel", terms, ops } : terms[0]!;
  }

  private sum(): PNode {
    return this.b.nest(() => {
      let left = this.term();
      if (left.t === "matrix") {
        // A sum of explicit matrices is the matrix of the sums (and A − B).
        let m: PNode = left;
        while (this.isOp("+") || this.isOp("-")) {
          const minus = this.isOp("-");
          this.pos++;
          m = matAdd(m, this.term(), minus);
        }
        return m;
      }
      // Terms collect in one array (appending to a copied array per term would be quadratic in long sums).
      let terms: Expr[] | null = null;
      for (;;) {
        this.b.tick();
        const t = this.peek();
        if (!t) break;
        if (t.k === "op" && (t.s === "+" || t.s === "-")) {
          this.pos++;
          const right = asExpr(this.term());
          terms ??= [asExpr(left)];
          terms.push(t.s === "+" ? right : { t: "neg", x: right });
        } else if (t.k === "cmd" && (t.s === "pm" || t.s === "mp")) {
          this.pos++;
          const right = asExpr(this.term());
          const a: Expr = terms ? { t: "add", terms } : asExpr(left);
          terms = null;
          left = { t: "e", e: { t: "pm", a, b: right, minusFirst: t.s === "mp" } };
        } else break;
      }
      return terms ? { t: "e", e: { t: "add", terms } } : left;
    });
  }

  private term(): PNode {
    return this.b.nest(() => {
      const start = this.pos;
      let left = this.unary();
      if (left.t === "matrix" || this.isCmd("begin")) {
        // Products with explicit matrices: A B, A \cdot B, 2 A.
        let acc: PNode = left;
        while (this.isCmd("begin") || this.isOp("*") || this.isCmd("cdot") || this.isCmd("times")) {
          if (!this.isCmd("begin")) this.pos++;
          acc = matMul(acc, this.unary(), this.b);
        }
        return acc;
      }
      if (this.isMixedNumberStart(start)) {
        const save = this.pos;
        const frac = asExpr(this.primary());
        if (frac.t === "div" && frac.num.t === "num" && frac.den.t === "num" && frac.num.v.d === 1n && frac.den.v.d === 1n && frac.num.v.n > 0n && frac.num.v.n < frac.den.v.n) {
          // 12\frac{3}{5} = 12 + 3/5 (a mixed number), and -1\frac12 = -(1 + 1/2).
          const whole = asExpr(left);
          const part: Expr = { t: "div", num: frac.num, den: frac.den };
          left = whole.t === "neg" ? { t: "e", e: { t: "neg", x: addE(whole.x, part) } } : { t: "e", e: addE(whole, part) };
        } else {
          this.pos = save;
        }
      }
      let factors: Expr[] | null = null;
      for (;;) {
        this.b.tick();
        const t = this.peek();
        if (!t) break;
        if ((t.k === "op" && t.s === "*") || (t.k === "cmd" && (t.s === "cdot" || t.s === "times" || t.s === "ast"))) {
          this.pos++;
          const right = asExpr(this.unary());
          factors ??= [asExpr(left)];
          factors.push(right);
        } else if ((t.k === "op" && (t.s === "/" || t.s === ":")) || (t.k === "cmd" && t.s === "div")) {
          // "3:8" is the ratio 3/8 (and "V_1:V_2 = 3:8" a labelled ratio).
          this.pos++;
          const den = asExpr(this.unary());
          const numer: Expr = factors ? { t: "mul", factors } : asExpr(left);
          factors = null;
          left = { t: "e", e: { t: "div", num: numer, den } };
        } else if (this.startsPrimary(t)) {
          const right = asExpr(this.power());
          factors ??= [asExpr(left)];
          factors.push(right);
        } else break;
      }
      return factors ? { t: "e", e: { t: "mul", factors } } : left;
    });
  }

  /** The term so far is one integer literal (maybe negated) and a \frac follows. */
  private isMixedNumberStart(start: number): boolean {
    if (!this.isCmd("frac")) return false;
    const isInt = (t: Token | undefined) => t !== undefined && t.k === "num" && /^\d+$/.test(t.s);
    if (this.pos === start + 1) return isInt(this.toks[start]);
    if (this.pos === start + 2) return this.toks[start]!.k === "op" && this.toks[start]!.s === "-" && isInt(this.toks[start + 1]);
    return false;
  }

  private startsPrimary(t: Token): boolean {
    if (t.k === "num" || t.k === "id") return true;
    if (t.k === "cmd") return t.s === "pi" || t.s === "infty" || t.s === "frac" || t.s === "sqrt" || t.s === "binom" || FUNCTIONS.has(t.s) || GREEK.has(t.s) || t.s === "lfloor" || t.s === "lceil";
    if (t.k === "op") return t.s === "(" || t.s === "{" || (t.s === "|" && this.absDepth === 0);
    return false;
  }

  private unary(): PNode {
    return this.b.nest(() => {
      const t = this.peek();
      if (t && t.k === "op" && t.s === "-") {
        this.pos++;
        return { t: "e", e: { t: "neg", x: asExpr(this.unary()) } };
      }
      if (t && t.k === "op" && t.s === "+") {
        this.pos++;
        return this.unary();
      }
      if (t && t.k === "cmd" && (t.s === "pm" || t.s === "mp")) {
        this.pos++;
        return { t: "e", e: { t: "pm", a: num(rat(0n)), b: asExpr(this.unary()), minusFirst: t.s === "mp" } };
      }
      return this.power();
    });
  }

  private power(): PNode {
    return this.b.nest(() => {
      const base = this.postfix();
      if (this.isOp("^")) {
        this.pos++;
        const exp = this.isOp("{") ? this.braceGroup() : this.unary();
        return { t: "e", e: { t: "pow", base: asExpr(base), exp: asExpr(exp) } };
      }
      return base;
    });
  }

  private braceGroup(): PNode {
    this.expectOp("{");
    if (this.isOp("}")) throw new VerifySyntax("empty group");
    const inner = this.list();
    this.expectOp("}");
    return inner;
  }

  private postfix(): PNode {
    let p = this.primary();
    for (;;) {
      this.b.tick();
      if (this.isOp("!")) {
        this.pos++;
        p = { t: "e", e: { t: "fn", name: "factorial", args: [asExpr(p)] } };
      } else if (this.isOp("_")) {
        this.pos++;
        const sub = this.subscriptText();
        const e = asExpr(p);
        // Subscripts name things: x_1, a_{n}, and base-b numerals such as 204_5 (kept opaque: "express in base 5"
        // asks for the digits, so 54 must not equal 204_5).
        const name = e.t === "var" ? e.name : e.t === "num" && e.v.d === 1n ? e.v.n.toString() : null;
        if (name === null) throw new VerifySyntax("subscript on an expression");
        p = { t: "e", e: { t: "var", name: `${name}_${sub}` } };
      } else if (this.isOp("'")) {
        this.pos++;
        const e = asExpr(p);
        if (e.t !== "var") throw new VerifySyntax("prime on an expression");
        p = { t: "e", e: { t: "var", name: `${e.name}'` } };
      } else break;
    }
    return p;
  }

  private subscriptText(): string {
    if (this.isOp("{")) {
      this.pos++;
      let s = "";
      while (!this.isOp("}")) {
        this.b.tick();
        s += this.next().s;
      }
      this.pos++;
      return s;
    }
    const t = this.next();
    return t.k === "num" ? t.s.charAt(0) + this.splitRest(t) : t.s;
  }

  /** TeX takes one character as an unbraced argument: \frac12 → 1 and 2. Leaves the rest of a digit run. */
  private splitRest(t: Token): string {
    if (t.k === "num" && t.s.length > 1 && /^\d+$/.test(t.s)) {
      this.toks.splice(this.pos, 0, { k: "num", s: t.s.slice(1) });
    }
    return "";
  }

  /** An argument of \frac, \sqrt, \binom: a braced group or a single token. */
  private arg(): Expr {
    if (this.isOp("{")) return asExpr(this.braceGroup());
    const t = this.peek();
    if (t && t.k === "num" && t.s.length > 1 && /^\d+$/.test(t.s)) {
      this.pos++;
      this.splitRest(t);
      return num(rat(BigInt(t.s.charAt(0))));
    }
    return asExpr(this.primary());
  }

  /** Argument of sin, log …: (x), {x}, or an implicit product of simple factors ("\sin 2x" = sin(2x)). */
  private fnArg(): Expr {
    if (this.isOp("(") || this.isOp("{")) return asExpr(this.power());
    const factors = [asExpr(this.power())];
    for (;;) {
      this.b.tick();
      const t = this.peek();
      if (!t || !this.startsPrimary(t) || (t.k === "cmd" && FUNCTIONS.has(t.s)) || (t.k === "op" && t.s !== "{")) break;
      factors.push(asExpr(this.power()));
    }
    return factors.length === 1 ? factors[0]! : { t: "mul", factors };
  }

  private primary(): PNode {
    return this.b.nest((): PNode => {
      const t = this.next();
      if (t.k === "num") {
        const v = parseDecimal(t.s, this.b);
        // 0.3333333 is an approximation (its written digits give its precision); 27.0 and 1500 are exact integers.
        return { t: "e", e: v.d !== 1n ? { t: "num", v, approx: true, digits: writtenDigits(t.s) } : num(v) };
      }
      if (t.k === "id") {
        if (t.s === "e") return { t: "e", e: { t: "const", name: "e" } };
        if (t.s === "i") return { t: "e", e: { t: "const", name: "i" } };
        return { t: "e", e: { t: "var", name: t.s } };
      }
      if (t.k === "cmd") return this.command(t.s);
      switch (t.s) {
        case "(":
        case "[":
          return this.bracket(t.s);
        case "{": {
          const inner = this.list();
          this.expectOp("}");
          return inner.t === "list" ? { t: "set", items: inner.items } : inner;
        }
        case "\\{": {
          if (this.isOp("\\}")) {
            this.pos++;
            return { t: "set", items: [] };
          }
          const inner = this.list();
          this.expectOp("\\}");
          return { t: "set", items: inner.t === "list" ? inner.items : [inner] };
        }
        case "|": {
          this.absDepth++;
          const inner = this.sum();
          this.absDepth--;
          this.expectOp("|");
          return { t: "e", e: { t: "fn", name: "abs", args: [asExpr(inner)] } };
        }
      }
      throw new VerifySyntax(`unexpected "${t.s}"`);
    });
  }

  private bracket(open: "(" | "["): PNode {
    const savedAbs = this.absDepth;
    this.absDepth = 0;
    const inner = this.list();
    this.absDepth = savedAbs;
    const c = this.next();
    if (c.k !== "op" || (c.s !== ")" && c.s !== "]")) throw new VerifySyntax("unclosed bracket");
    const items = inner.t === "list" ? inner.items : [inner];
    if (items.length === 1 && inner.t === "e") return inner;
    return { t: "group", open, close: c.s, items };
  }

  private command(name: string): PNode {
    if (name === "pi") return { t: "e", e: { t: "const", name: "pi" } };
    if (name === "infty" || name === "infin") return { t: "e", e: { t: "const", name: "inf" } };
    if (GREEK.has(name)) return { t: "e", e: { t: "var", name } };
    if (name === "frac") {
      const a = this.arg();
      const b = this.arg();
      return { t: "e", e: { t: "div", num: a, den: b } };
    }
    if (name === "binom") {
      const a = this.arg();
      const b = this.arg();
      return { t: "e", e: { t: "fn", name: "binom", args: [a, b] } };
    }
    if (name === "sqrt") {
      if (this.isOp("[")) {
        this.pos++;
        const idx = asExpr(this.sum());
        this.expectOp("]");
        return { t: "e", e: { t: "fn", name: "root", args: [idx, this.arg()] } };
      }
      if (this.isOp("(")) return { t: "e", e: { t: "fn", name: "sqrt", args: [asExpr(this.primary())] } };
      return { t: "e", e: { t: "fn", name: "sqrt", args: [this.arg()] } };
    }
    if (name === "lfloor" || name === "lceil") {
      const inner = asExpr(this.sum());
      const close = this.next();
      if (close.k !== "cmd" || close.s !== (name === "lfloor" ? "rfloor" : "rceil")) throw new VerifySyntax(`unclosed \\${name}`);
      return { t: "e", e: { t: "fn", name: name === "lfloor" ? "floor" : "ceil", args: [inner] } };
    }
    if (FUNCTIONS.has(name)) {
      let power: Expr | null = null;
      let base: Expr | null = null;
      for (let k = 0; k < 2; k++) {
        if (this.isOp("^")) {
          this.pos++;
          power = this.arg();
        } else if (this.isOp("_") && (name === "log" || name === "lg")) {
          this.pos++;
          base = this.arg();
        }
      }
      const x = this.fnArg();
      const fname = name === "lg" ? "log" : name;
      const call: Expr = base ? { t: "fn", name: "logb", args: [base, x] } : { t: "fn", name: fname, args: [x] };
      // \sin^{-1} x is arcsin x.
      if (power && power.t === "neg" && power.x.t === "num" && power.x.v.n === 1n && power.x.v.d === 1n && /^(sin|cos|tan)$/.test(fname)) {
        return { t: "e", e: { t: "fn", name: `arc${fname}`, args: [x] } };
      }
      return { t: "e", e: power ? { t: "pow", base: call, exp: power } : call };
    }
    if (name === "begin") return this.matrix();
    if (name === "emptyset" || name === "varnothing") return { t: "set", items: [] };
    throw new VerifySyntax(`unknown command \\${name}`);
  }

  private envName(): string {
    this.expectOp("{");
    let s = "";
    while (!this.isOp("}")) {
      this.b.tick();
      const t = this.next();
      s += t.s;
    }
    this.pos++;
    return s;
  }

  private matrix(): PNode {
    const env = this.envName();
    if (!/matrix$|^array$/.test(env)) throw new VerifySyntax(`unsupported environment ${env}`);
    if (env === "array" && this.isOp("{")) this.envName(); // column spec
    const rows: PNode[][] = [];
    let row: PNode[] = [];
    for (;;) {
      this.b.tick();
      if (this.isCmd("end")) {
        this.pos++;
        this.envName();
        break;
      }
      if (this.isOp("\\\\")) {
        this.pos++;
        if (row.length) rows.push(row);
        row = [];
        continue;
      }
      if (this.isOp("&")) {
        this.pos++;
        continue;
      }
      row.push(this.rel());
    }
    if (row.length) rows.push(row);
    return { t: "matrix", rows };
  }
}

type MatrixNode = PNode & { t: "matrix" };

function matAdd(a: PNode, c: PNode, minus: boolean): PNode {
  if (a.t !== "matrix" || c.t !== "matrix") throw new VerifySyntax("a matrix plus a non-matrix");
  if (a.rows.length !== c.rows.length || a.rows.some((r, i) => r.length !== c.rows[i]!.length)) throw new VerifySyntax("matrices of different shapes added");
  return {
    t: "matrix",
    rows: a.rows.map((r, i) => r.map((x, j): PNode => {
      const y = asExpr(c.rows[i]![j]!);
      return { t: "e", e: { t: "add", terms: [asExpr(x), minus ? { t: "neg", x: y } : y] } };
    })),
  };
}

function matMul(a: PNode, c: PNode, b: Budget): PNode {
  if (a.t === "matrix" && c.t === "matrix") {
    const n = a.rows[0]?.length ?? 0;
    if (a.rows.some((r) => r.length !== n) || c.rows.length !== n) throw new VerifySyntax("matrix shapes do not multiply");
    const cols = c.rows[0]?.length ?? 0;
    const rows: PNode[][] = a.rows.map((r) => {
      const out: PNode[] = [];
      for (let j = 0; j < cols; j++) {
        b.tick(n);
        out.push({ t: "e", e: { t: "add", terms: r.map((x, k) => ({ t: "mul", factors: [asExpr(x), asExpr(c.rows[k]![j]!)] }) as Expr) } });
      }
      return out;
    });
    return { t: "matrix", rows };
  }
  const [m, k] = a.t === "matrix" ? [a as MatrixNode, c] : c.t === "matrix" ? [c as MatrixNode, a] : [null, null];
  if (m === null || k === null) throw new VerifySyntax("a product without a matrix");
  const f = asExpr(k);
  return { t: "matrix", rows: m.rows.map((r) => r.map((x): PNode => ({ t: "e", e: { t: "mul", factors: [f, asExpr(x)] } }))) };
}

/** Fractional digits a decimal literal writes, less its exponent: "0.447" → 3, "1.5e-3" → 4. */
function writtenDigits(lit: string): number {
  const m = /^\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(lit);
  if (!m) return 0;
  return Math.max(0, (m[1] ?? "").length - Number(m[2] ?? 0));
}

function addE(a: Expr, b: Expr): Expr {
  return { t: "add", terms: [...(a.t === "add" ? a.terms : [a]), b] };
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax tree → MathValue

function hasPm(e: Expr, b: Budget): boolean {
  return b.nest(() => {
    switch (e.t) {
      case "pm": return true;
      case "add": return e.terms.some((x) => hasPm(x, b));
      case "mul": return e.factors.some((x) => hasPm(x, b));
      case "neg": return hasPm(e.x, b);
      case "div": return hasPm(e.num, b) || hasPm(e.den, b);
      case "pow": return hasPm(e.base, b) || hasPm(e.exp, b);
      case "fn": return e.args.some((x) => hasPm(x, b));
      default: return false;
    }
  });
}

/** Replaces the first ± by + (sign 1) or − (sign −1). */
function choosePm(e: Expr, sign: 1 | -1, b: Budget, done: { v: boolean }): Expr {
  return b.nest((): Expr => {
    if (done.v) return e;
    switch (e.t) {
      case "pm": {
        done.v = true;
        const s = e.minusFirst ? -sign : sign;
        return s === 1 ? addE(e.a, e.b) : addE(e.a, { t: "neg", x: e.b });
      }
      case "add": return { t: "add", terms: e.terms.map((x) => choosePm(x, sign, b, done)) };
      case "mul": return { t: "mul", factors: e.factors.map((x) => choosePm(x, sign, b, done)) };
      case "neg": return { t: "neg", x: choosePm(e.x, sign, b, done) };
      case "div": return { t: "div", num: choosePm(e.num, sign, b, done), den: choosePm(e.den, sign, b, done) };
      case "pow": return { t: "pow", base: choosePm(e.base, sign, b, done), exp: choosePm(e.exp, sign, b, done) };
      case "fn": return { t: "fn", name: e.name, args: e.args.map((x) => choosePm(x, sign, b, done)) };
      default: return e;
    }
  });
}

/** a ± b → [a + b, a − b]; up to 3 ± signs (8 values), more is refused. */
function expandPm(e: Expr, b: Budget): Expr[] {
  let out = [e];
  for (let k = 0; k < 4 && out.some((x) => hasPm(x, b)); k++) {
    if (k === 3) throw new VerifyLimit("too many ± signs");
    out = out.flatMap((x) => [choosePm(x, 1, b, { v: false }), choosePm(x, -1, b, { v: false })]);
  }
  return out;
}

function flattenItems(items: PNode[], b: Budget, percent: boolean): MathValue[] {
  const out: MathValue[] = [];
  for (const it of items) {
    if (it.t === "e" && hasPm(it.e, b)) out.push(...expandPm(it.e, b).map((e): MathValue => ({ kind: "expr", expr: e })));
    else out.push(toValue(it, b, percent));
  }
  return out;
}

/** A name rather than a value: x, a_1, XY, |PQ|, V_1:V_2, f(x), (a, b). */
export function isLabel(e: Expr): boolean {
  switch (e.t) {
    case "var": return true;
    case "mul": return e.factors.every(isLabel);
    case "div": return isLabel(e.num) && isLabel(e.den);
    case "fn": return e.name === "abs" && e.args.length === 1 && isLabel(e.args[0]!);
    default: return false;
  }
}

function isLabelNode(n: PNode): boolean {
  if (n.t === "e") return isLabel(n.e);
  return n.t === "group" && n.items.length >= 2 && n.items.every(isLabelNode);
}

function relOp(op: string): RelOp {
  if (op === "<" || op === "<=" || op === ">" || op === ">=" || op === "!=") return op;
  throw new VerifySyntax(`mixed relation ${op}`);
}

function toValue(n: PNode, b: Budget, percent: boolean): MathValue {
  return b.nest((): MathValue => {
    switch (n.t) {
      case "e":
        if (hasPm(n.e, b)) return { kind: "set", items: expandPm(n.e, b).map((e) => ({ kind: "expr", expr: e })) };
        return percent ? { kind: "expr", expr: n.e, percent: true } : { kind: "expr", expr: n.e };
      case "list":
      case "set":
        return { kind: "set", items: flattenItems(n.items, b, percent) };
      case "group": {
        if (n.items.length === 1) return toValue(n.items[0]!, b, percent);
        const isInterval = n.items.length === 2 && (n.open === "[" || n.close === "]");
        if (isInterval) {
          return { kind: "interval", lo: asExpr(n.items[0]!), hi: asExpr(n.items[1]!), loClosed: n.open === "[", hiClosed: n.close === "]" };
        }
        return { kind: "tuple", items: n.items.map((x) => toValue(x, b, percent)) };
      }
      case "union":
        return { kind: "union", items: n.items.map((x) => toValue(x, b, percent)) };
      case "matrix":
        return { kind: "matrix", rows: n.rows.map((r) => r.map(asExpr)) };
      case "rel": {
        let nodes = n.terms;
        let ops = n.ops;
        // "a = b ≈ c": the exact side before the first ≈ is the answer ("\\frac{\\sqrt5}{5} \\approx 0.447");
        // "x ≈ 0.447" (nothing exact written) is the approximation, labelled.
        const cut = ops.indexOf("~");
        if (cut >= 0) {
          const keep = cut === 0 && isLabelNode(nodes[0]!) ? 2 : cut + 1;
          nodes = nodes.slice(0, keep);
          ops = ops.slice(0, keep - 1).map((o) => (o === "~" ? "=" : o));
          if (nodes.length === 1) return toValue(nodes[0]!, b, percent);
        }
        // "(a, b) = (5, 1)", "S = \\{1, 2\\}": a label naming a tuple, set or interval — the value is the answer.
        if (ops.every((o) => o === "=") && nodes.length >= 2 && isLabelNode(nodes[0]!) && nodes.some((x) => x.t !== "e")) {
          return toValue(nodes[nodes.length - 1]!, b, percent);
        }
        const terms = nodes.map(asExpr);
        if (ops.length === 0) return { kind: "expr", expr: terms[0]! };
        if (ops.every((o) => o === "=")) {
          const lhs = terms[0]!;
          const rhs = terms[terms.length - 1]!;
          // x = ±1 is the two equations x = 1 and x = −1.
          if (hasPm(rhs, b)) return { kind: "set", items: expandPm(rhs, b).map((e): MathValue => ({ kind: "equation", lhs, rhs: e })) };
          return { kind: "equation", lhs, rhs };
        }
        if (ops.includes("=")) throw new VerifySyntax("a chain mixing = and inequalities");
        return { kind: "relation", terms, ops: ops.map(relOp) };
      }
    }
  });
}

function textValue(s: string): MathValue {
  let t = s.toLowerCase().replace(/[\s{}\\]/g, "");
  let j = t.length;
  while (j > 0 && t.charAt(j - 1) === ".") j--; // a loop: /[.]+$/ is quadratic on long runs of dots
  t = t.slice(0, j);
  return { kind: "text", text: t };
}

/** Whether the normalised answer reads as words ("Evelyn", "east", "even") rather than math. */
function isWords(s: string): boolean {
  // Letters of a subscript name a thing (S_{MBCN}), they are not words.
  const words = s.replace(/_\{[^{}]*\}/g, " ").replace(/\\[a-zA-Z]+/g, " ").match(/[a-zA-Z]{3,}/g);
  return words !== null && words.some((w) => !MATH_WORDS.has(w));
}

/** The string a text comparison uses for any answer (also for math, when the other side is text). */
export function textKey(answer: string, b: Budget): string {
  try {
    const t = textValue(normalize(answer, b).text);
    return t.kind === "text" ? t.text : "";
  } catch {
    return answer.trim().toLowerCase();
  }
}

/** Parses an answer; VerifyLimit / VerifyTimeout propagate (the caller turns them into unknown / timeout). */
export function parseValue(answer: string, b: Budget): MathValue | null {
  // The commonest answer by far is a plain number ("72", "-3", "0.25"): built directly, as the parser would build
  // it, without the normalisation passes and the tokenizer.
  const plain = /^\s*(-?)(\d{1,60})(?:\.(\d{1,60}))?\s*$/.exec(answer);
  if (plain) {
    const v = parseDecimal(plain[3] !== undefined ? `${plain[2]}.${plain[3]}` : plain[2]!, b);
    const n: Expr = v.d !== 1n ? { t: "num", v, approx: true, digits: plain[3]!.length } : num(v);
    return { kind: "expr", expr: plain[1] ? { t: "neg", x: n } : n };
  }
  const norm = normalize(answer, b);
  let s = norm.text;
  if (s === "") return null;
  // (B), B, or "(B) 12" (the letter followed by the option's text).
  const choice = /^\(([A-Ea-e])\)$|^([A-E])$|^\(([A-E])\)\s(?!.*(?:\([A-E]\)|\b[A-E]\b))/.exec(s);
  if (choice) return { kind: "choice", letter: (choice[1] ?? choice[2] ?? choice[3])!.toUpperCase() };
  // "p = 5, q = 2 and p = 7, q = 2": "and" / "or" between comma lists separates groups, as ";" does.
  if (/\s(?:and|or)\s/.test(s) && s.split(/\s(?:and|or)\s/).every((part) => part.includes(","))) s = s.replace(/\s+(?:and|or)\s+/g, "; ");
  // "1 or 2", "1or2", "x=1 \\text{ and } x=2": alternatives listed.
  s = s.replace(/\s+(?:or|and)\s+|(?<=[\d)\]}])\s*(?:or|and)\s*(?=[\d(\[{+-]|[A-Za-z](?![a-z]))/g, ", ");
  if (isWords(s)) return textValue(s);
  try {
    const toks = tokenize(s, b);
    if (toks.length === 0) return textValue(s);
    const tree = new Parser(toks, b).top();
    let v = toValue(tree, b, norm.percent);
    // One word of letters ("on", "no", "yes"): also kept as the word, so two different words are never one product.
    if (/^[a-zA-Z]{2,}$/.test(s) && v.kind === "expr") v = { ...v, word: s.toLowerCase() };
    // "2,5": a list, and also 2.5 written with a decimal comma (a 3-digit group is a thousands separator instead).
    const dc = v.kind === "set" && v.items.length === 2 ? (/^(-?)(\d+),(\d{1,2}|\d{4,})$/.exec(s) ?? /^(-?)(0),(\d+)$/.exec(s)) : null;
    if (dc && v.kind === "set") v = { ...v, decimal: { t: "num", v: parseDecimal(`${dc[2]}.${dc[3]}`, b), approx: true, digits: dc[3]!.length } };
    if (dc && dc[1] && v.kind === "set" && v.decimal) v = { ...v, decimal: { t: "neg", x: v.decimal } };
    if (norm.unitPow !== undefined && v.kind === "expr") v = { ...v, unitPow: norm.unitPow };
    return norm.member ? { kind: "member", v: norm.member, set: v } : v;
  } catch (e) {
    if (e instanceof VerifySyntax) return textValue(s);
    throw e;
  }
}

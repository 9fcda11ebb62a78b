#!/usr/bin/env python3
"""Reads pytest sources of a verifier's test suite and lists its (gold, prediction, expected verdict, options) cases,
for `npm run bench verify-suites`. Parsing only (the `ast` module): nothing of the suite is imported or run, so
neither its package nor pytest needs to be installed, and the peers' test data stays in their repositories.

stdin: {"files": {"tests/test_x.py": "<source>", ...}}; stdout: {"cases": [...], "skipped": [...]}.

What counts as a case: a `test_*` function with `@pytest.mark.parametrize` whose body asserts the result of one
call to a comparison helper against a parameter or a constant (`assert helper(gold, pred, ...) == expected`,
`assert int(verify(parse(gold), parse(pred))) == result`, `assert helper(...)`, `assert not helper(...)`). A helper
is a module-level function of any given file with parameters named `gold` and `pred` (the suites' `compare_strings`,
also when another file imports it); `verify(parse(a), parse(b), **kw)` is the libraries' own API. Each case's
options are the helper's parameters other than gold and pred, bound from the call (parameters of the case,
literals, or the helper's literal defaults), so that the caller can apply the same settings.

Whatever cannot be read that way is listed under "skipped" with the reason (a test without parametrize, a check of
something other than a verdict, a value that is not a literal, a case marked skip/xfail upstream), never guessed.
"""
import ast
import itertools
import json
import math
import sys


class Unsupported(Exception):
    """A construct the extractor does not evaluate; the message says which."""


def dotted(node):
    """`Language.FRENCH` → "Language.FRENCH"; None when the node is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


# Functions of bounded cost only (no factorial or comb of a large argument).
MATH_FUNCTIONS = {"sqrt", "cbrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh",
                  "cosh", "tanh", "floor", "ceil", "pow", "hypot", "fabs", "degrees", "radians"}


def math_call(node):
    """`math.sqrt(17)` and the like: a function of the `math` module on literal numbers (suites build decimals so)."""
    if not (isinstance(node, ast.Call) and not node.keywords):
        raise Unsupported(f"not a literal: {ast.unparse(node)[:80]}")
    name = dotted(node.func) or ""
    fn = getattr(math, name[5:], None) if name.startswith("math.") and name[5:] in MATH_FUNCTIONS else None
    args = [value(a) for a in node.args]
    if fn is None or not all(isinstance(a, (int, float)) and not isinstance(a, bool) and abs(a) < 1e6 for a in args):
        raise Unsupported(f"not a literal: {ast.unparse(node)[:80]}")
    try:
        return fn(*args)
    except (ValueError, OverflowError, TypeError) as e:
        raise Unsupported(f"{ast.unparse(node)[:80]}: {e}") from None


def fstring(node):
    """An f-string whose fields are literals or math calls, formatted as Python would."""
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value))
            continue
        v = math_call(part.value) if isinstance(part.value, ast.Call) else value(part.value)
        if part.conversion in (ord("r"), ord("s"), ord("a")):
            v = {ord("r"): repr, ord("s"): str, ord("a"): ascii}[part.conversion](v)
        spec = fstring(part.format_spec) if part.format_spec is not None else ""
        try:
            out.append(format(v, spec))
        except (ValueError, TypeError) as e:
            raise Unsupported(f"f-string field {ast.unparse(part.value)[:60]}: {e}") from None
    return "".join(out)


def value(node):
    """A literal (strings, numbers, booleans, lists, tuples); an enum-like dotted name becomes its dotted string."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.JoinedStr):
        return fstring(node)
    if isinstance(node, ast.Attribute):
        d = dotted(node)
        if d is not None:
            return d
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value(e) for e in node.elts]
    raise Unsupported(f"not a literal: {ast.unparse(node)[:80]}")


def is_call_to(node, suffix):
    return isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == suffix


def marks_of(keywords):
    """Names of the marks in a `marks=` keyword (pytest.param) or of decorators: skip, skipif, xfail, ..."""
    out = []
    for kw in keywords:
        if kw.arg != "marks":
            continue
        elts = kw.value.elts if isinstance(kw.value, (ast.List, ast.Tuple)) else [kw.value]
        for m in elts:
            name = dotted(m.func if isinstance(m, ast.Call) else m) or ast.unparse(m)
            out.append(name.split(".")[-1])
    return out


def param_sets(fn, module_consts):
    """The parametrize decorators of a test as a list of (names, rows), rows = [(values, lineno, marks)]."""
    sets = []
    for dec in fn.decorator_list:
        if not (isinstance(dec, ast.Call) and (dotted(dec.func) or "").endswith("mark.parametrize")):
            continue
        if len(dec.args) < 2:
            names_node = dec.args[0] if dec.args else next((k.value for k in dec.keywords if k.arg == "argnames"), None)
            values_node = next((k.value for k in dec.keywords if k.arg == "argvalues"), None)
        else:
            names_node, values_node = dec.args[0], dec.args[1]
        if names_node is None or values_node is None:
            raise Unsupported("parametrize without argnames/argvalues")
        names = value(names_node)
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if isinstance(values_node, ast.Name) and values_node.id in module_consts:
            values_node = module_consts[values_node.id]
        if not isinstance(values_node, (ast.List, ast.Tuple)):
            raise Unsupported(f"argvalues is not a literal list: {ast.unparse(values_node)[:60]}")
        rows = []
        for el in values_node.elts:
            marks = []
            if is_call_to(el, "param"):
                marks = marks_of(el.keywords)
                items = el.args
            elif len(names) == 1:
                items = [el]
            elif isinstance(el, (ast.Tuple, ast.List)):
                items = el.elts
            else:
                raise Unsupported(f"a row is not a tuple: {ast.unparse(el)[:60]}")
            if len(items) != len(names):
                raise Unsupported(f"a row has {len(items)} values for {len(names)} names")
            rows.append((items, el.lineno, marks))
        sets.append((names, rows))
    return sets


def helper_table(trees):
    """Module-level functions with `gold` and `pred` parameters: name → (parameter names, {name: default node})."""
    helpers = {}
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test_"):
                params = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "gold" in params and "pred" in params:
                    defaults = dict(zip(params[len(params) - len(node.args.defaults):], node.args.defaults))
                    helpers[node.name] = (params, defaults)
    return helpers


def unwrap(node):
    """int(x) / bool(x) → x."""
    while is_call_to(node, "int") or is_call_to(node, "bool"):
        if len(node.args) != 1:
            break
        node = node.args[0]
    return node


def check_of(fn, helpers):
    """The one assertion of a verdict: (call node, expected node or a bool). Unsupported when there is not exactly one."""
    found = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assert):
            continue
        t = node.test
        negate = False
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
            negate, t = True, t.operand
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], (ast.Eq, ast.Is)):
            left, right = unwrap(t.left), unwrap(t.comparators[0])
            if is_check_call(left, helpers) and not negate:
                found.append((left, right))
            elif is_check_call(right, helpers) and not negate:
                found.append((right, left))
        elif is_check_call(unwrap(t), helpers):
            found.append((unwrap(t), not negate))
    if not found:
        raise Unsupported("no assertion of a (gold, pred) comparison helper's result")
    if len(found) > 1:
        raise Unsupported(f"{len(found)} verdict assertions in one test")
    return found[0]


def is_check_call(node, helpers):
    if not isinstance(node, ast.Call):
        return False
    name = dotted(node.func)
    if name in helpers:
        return True
    return (name or "").split(".")[-1] == "verify" and len(node.args) >= 2 and all(is_call_to(a, "parse") for a in node.args[:2])


# verify(parse(gold), parse(pred), ...)'s keywords, in the names the suites' helpers use.
VERIFY_KEYWORDS = {"float_rounding": "precision", "strict": "strict", "allow_set_relation_comp": "allow_set_relation_comp"}


def bind(call, helpers, row):
    """The call's arguments as {parameter: value}, each a parameter of the case, a literal, or a default."""

    def arg(node):
        if isinstance(node, ast.Name) and node.id in row:
            return row[node.id]
        return value(node)

    name = dotted(call.func)
    if name in helpers:
        params, defaults = helpers[name]
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            raise Unsupported("*args/**kwargs in the helper call")
        bound = {p: value(d) for p, d in defaults.items()}
        for p, a in zip(params, call.args):
            bound[p] = arg(a)
        for k in call.keywords:
            bound[k.arg] = arg(k.value)
        return bound
    parses = call.args[:2]
    for p in parses:
        if len(p.args) != 1 or p.keywords:
            raise Unsupported("parse() with extraction settings")
    bound = {"gold": arg(parses[0].args[0]), "pred": arg(parses[1].args[0])}
    for k in call.keywords:
        if k.arg not in VERIFY_KEYWORDS:
            raise Unsupported(f"verify() keyword {k.arg}")
        bound[VERIFY_KEYWORDS[k.arg]] = arg(k.value)
    return bound


def verdict(v):
    if isinstance(v, bool):
        return v
    if v in (0, 1):
        return v == 1
    raise Unsupported(f"expected verdict is not 0/1/True/False: {v!r}")


def extract(files):
    trees, cases, skipped = {}, [], []
    for path, src in sorted(files.items()):
        try:
            trees[path] = ast.parse(src, filename=path)
        except SyntaxError as e:
            skipped.append({"file": path, "test": None, "line": e.lineno, "cases": None, "reason": f"does not parse: {e.msg}"})
    helpers = helper_table(trees)
    for path, tree in trees.items():
        consts = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        for fn in tree.body:
            if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test_")):
                continue
            where = {"file": path, "test": fn.name, "line": fn.lineno}
            fn_marks = [m for m in ((dotted(d.func if isinstance(d, ast.Call) else d) or "").split(".")[-1] for d in fn.decorator_list) if m in ("skip", "skipif", "xfail")]
            sets, n_rows = [], None
            try:
                sets = param_sets(fn, consts)
                if sets:
                    n_rows = 1
                    for _, rows in sets:
                        n_rows *= len(rows)
                else:
                    raise Unsupported("not parametrized (a hand-written check, not (gold, pred, expected) rows)")
                if fn_marks:
                    raise Unsupported(f"marked {', '.join(fn_marks)} upstream")
                call, expected_node = check_of(fn, helpers)
            except Unsupported as e:
                skipped.append({**where, "cases": n_rows, "reason": str(e)})
                continue
            for combo in itertools.product(*(rows for _, rows in sets)):
                line = combo[0][1]
                try:
                    marks = [m for _, _, ms in combo for m in ms if m in ("skip", "skipif", "xfail")]
                    if marks:
                        raise Unsupported(f"marked {', '.join(marks)} upstream")
                    row = {}
                    for (names, _), (items, _, _) in zip(sets, combo):
                        for n, it in zip(names, items):
                            row[n] = value(it)
                    bound = bind(call, helpers, row)
                    if isinstance(expected_node, bool):
                        expected = expected_node
                    elif isinstance(expected_node, ast.Name) and expected_node.id in row:
                        expected = verdict(row[expected_node.id])
                    else:
                        expected = verdict(value(expected_node))
                    gold, pred = bound.pop("gold"), bound.pop("pred")
                    if not isinstance(gold, str) or not isinstance(pred, str):
                        raise Unsupported("gold or pred is not a string")
                    cases.append({"file": path, "test": fn.name, "line": line, "gold": gold, "pred": pred, "expected": expected, "options": bound})
                except Unsupported as e:
                    skipped.append({"file": path, "test": fn.name, "line": line, "cases": 1, "reason": str(e)})
    return {"cases": cases, "skipped": skipped}


def main():
    req = json.load(sys.stdin)
    json.dump(extract(req["files"]), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

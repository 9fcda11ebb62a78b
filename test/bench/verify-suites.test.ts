// bench/verify-suites reads peers' pytest suites with extract.py (Python's ast). These snippets are written for
// this test (no peer's code): they exercise each form the extractor reads, and each it must refuse with a reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractCases, groupOf, locate, readSources, SUITES, SuiteError, type SuiteCase } from "../../bench/verify-suites/suites.js";

const HELPERS = String.raw`
import math
import pytest
from somewhere import Lang, parse, verify


def check(gold: str, pred: str, kinds: list[str] = ["a", "b"], digits: int = 6, lang=Lang.EN):
    return True


def not_a_helper(x, y):
    return x == y


@pytest.mark.parametrize(
    "gold,pred,expected",
    [
        ("1/2", "0.5", 1),  # a comment between rows
        (r"\frac{1}{2}", "half" "way", 0),
        pytest.param("7", "8", 1, marks=pytest.mark.xfail(reason="known")),
        ("x", SOME_NAME, 1),
    ],
)
def test_basic(gold, pred, expected):
    assert check(gold, pred, kinds=["a"]) == expected


@pytest.mark.parametrize("gold, pred, expected, digits", [("1/3", "0.33", True, 2), ("2", f"{math.sqrt(4):.3f}", True, 3)])
def test_digits(gold, pred, expected, digits):
    assert expected == int(check(gold, pred, digits=digits))


@pytest.mark.parametrize("lang", [Lang.FR, Lang.EN])
@pytest.mark.parametrize("gold,pred", [("3", "three")])
def test_product(gold, pred, lang):
    assert not check(gold, pred, lang=lang)


@pytest.mark.parametrize("g,p,r", [("$5$", "$5.0$", 1)])
def test_library(g, p, r):
    assert int(verify(parse(g), parse(p), float_rounding=4)) == r


def test_hand_written():
    assert check("1", "1")


@pytest.mark.parametrize("pred,expected", [("A", ["a"])])
def test_not_a_verdict(pred, expected):
    assert parse(pred) == expected
`;

const IMPORTER = String.raw`
from tests.test_helpers import check
import pytest

@pytest.mark.parametrize("gold,pred,expected", [("$[0,1)$", "$[0,1)$", 1)])
def test_imported(gold, pred, expected):
    assert check(gold, pred) == expected
`;

function hasPython(): boolean {
  const r = spawnSync(process.env.PYTHON ?? "python3", ["-c", "import ast; ast.unparse"], { encoding: "utf8" });
  return r.status === 0;
}

function key(c: SuiteCase): string {
  return `${c.test}:${c.gold}|${c.pred}`;
}

test("extract.py reads parametrized verdict cases with their options, and names what it cannot read", (t) => {
  if (!hasPython()) {
    t.skip("no python3 >= 3.9 (set PYTHON): extract.py needs Python's ast module");
    return;
  }
  const { cases, skipped } = extractCases({ "tests/test_helpers.py": HELPERS, "tests/test_other.py": IMPORTER, "tests/test_broken.py": "def test_x(:\n" });
  const byKey = new Map(cases.map((c) => [key(c), c]));

  const half = byKey.get("test_basic:1/2|0.5")!;
  assert.equal(half.expected, true);
  assert.deepEqual(half.options, { kinds: ["a"], digits: 6, lang: "Lang.EN" }, "helper defaults, overridden by the call's literal");
  assert.equal(half.file, "tests/test_helpers.py");
  assert.equal(half.line, HELPERS.split("\n").findIndex((l) => l.includes('("1/2", "0.5", 1)')) + 1, "the row's own line");
  assert.equal(byKey.get("test_basic:\\frac{1}{2}|halfway")?.expected, false, "raw strings and implicit concatenation");

  assert.equal(byKey.get("test_digits:1/3|0.33")?.options.digits, 2, "an option bound from the case's own parameter");
  assert.equal(byKey.get("test_digits:2|2.000")?.expected, true, "an f-string of a math call, formatted as Python does");

  const product = cases.filter((c) => c.test === "test_product");
  assert.deepEqual(product.map((c) => [c.options.lang, c.expected]).sort(), [["Lang.EN", false], ["Lang.FR", false]], "stacked parametrize → product; `assert not` → false");

  assert.deepEqual(byKey.get("test_library:$5$|$5.0$")?.options, { precision: 4 }, "verify(parse(g), parse(p)) with its keywords renamed");
  assert.equal(byKey.get("test_imported:$[0,1)$|$[0,1)$")?.options.digits, 6, "a helper imported from another file");
  assert.equal(cases.length, 8);

  const reasons = skipped.map((s) => `${s.file}:${s.test ?? ""}:${s.cases ?? ""}:${s.reason}`);
  const has = (re: RegExp) => assert.ok(reasons.some((r) => re.test(r)), `skipped: ${re}\n${reasons.join("\n")}`);
  has(/test_helpers\.py:test_basic:1:marked xfail upstream/);
  has(/test_helpers\.py:test_basic:1:not a literal: SOME_NAME/);
  has(/test_hand_written::not parametrized/);
  has(/test_not_a_verdict:1:no assertion of a \(gold, pred\) comparison helper/);
  has(/test_broken\.py::.*does not parse/);
  assert.equal(skipped.length, 5);
});

test("suite cases are grouped: English strict math counts, letters / other languages / non-strict apart", () => {
  const c = (options: Record<string, unknown>): SuiteCase => ({ file: "f", test: "t", line: 1, gold: "1", pred: "1", expected: true, options });
  assert.equal(groupOf(c({})), "math");
  assert.equal(groupOf(c({ match_types: ["latex", "expr"], language: "Language.ENGLISH", strict: true })), "math");
  assert.equal(groupOf(c({ match_types: ["NativeLetters"] })), "letters");
  assert.equal(groupOf(c({ language: "Language.CHINESE" })), "language");
  assert.equal(groupOf(c({ strict: false })), "non-strict");
});

test("locate: a work tree, a bare git directory, a fetch mirror folder; a wrong variable is one clear error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-suites-"));
  try {
    const mv = SUITES.find((s) => s.name === "Math-Verify")!;
    mkdirSync(join(dir, "tree", "tests"), { recursive: true });
    writeFileSync(join(dir, "tree", "tests", "test_one.py"), IMPORTER);
    writeFileSync(join(dir, "tree", "tests", "helper.py"), "");
    const tree = locate(mv, { MATH_VERIFY_SRC: join(dir, "tree") });
    assert.deepEqual(tree, { kind: "tree", root: join(dir, "tree") });
    assert.deepEqual(Object.keys(readSources(mv, tree!)), ["tests/test_one.py"], "only tests/test_*.py");
    assert.equal(locate({ ...mv, copies: undefined }, { MIRROR: join(dir, "none") }), null, "nothing configured, no mirror: null (the bench says how to get it)");
    mkdirSync(join(dir, "mvroot", "Math-Verify", "tests"), { recursive: true });
    assert.deepEqual(locate(mv, { MIRROR: join(dir, "none"), MV_ROOT: join(dir, "mvroot") }), { kind: "tree", root: join(dir, "mvroot", "Math-Verify") }, "setup.sh's $MV_ROOT copy");
    assert.throws(() => locate(mv, { MATH_VERIFY_SRC: join(dir, "missing") }), (e: unknown) => e instanceof SuiteError && /git clone https:\/\/github.com\/huggingface\/Math-Verify/.test(e.message));

    const g = spawnSync("git", ["init", "-q", "--bare", join(dir, "m", "huggingface+Math-Verify", "repo")]);
    if (g.status !== 0) {
      t.diagnostic("git not available: mirror case not checked");
      return;
    }
    assert.deepEqual(locate(mv, { MIRROR: join(dir, "m") }), { kind: "git", gitDir: join(dir, "m", "huggingface+Math-Verify", "repo"), rev: "HEAD" });
    assert.throws(() => readSources(mv, locate(mv, { MIRROR: join(dir, "m") })!), SuiteError, "an empty repository: a clear error, not a crash");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

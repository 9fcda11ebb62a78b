// trimer verify / trimer grade, called through their modules with captured output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as verifyCmd from "../../src/cli/verify.js";
import * as gradeCmd from "../../src/cli/grade.js";
import { UsageError } from "../../src/util/errors.js";

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await f();
    return { code, out: out.join("\n"), err: err.join("") };
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}

test("trimer verify prints the verdict, the extracted answer and the rule; exit 0 either way", async () => {
  const yes = await capture(() => verifyCmd.main(["--gold", "\\frac12", "--pred", "so the answer is $\\boxed{0.5}$"]));
  assert.equal(yes.code, 0);
  assert.equal(yes.out, "equal\nextracted: 0.5\nrule: boxed");
  const no = await capture(() => verifyCmd.main(["--gold", "3", "--pred", "#### 4", "--json"]));
  assert.equal(no.code, 0);
  assert.deepEqual(JSON.parse(no.out), { equal: false, status: "not_equal", extracted: "4", rule: "gsm8k" });
  await assert.rejects(verifyCmd.main(["--gold", "3"]), UsageError);
  await assert.rejects(verifyCmd.main(["--gold", "3", "--pred", "3", "--rel-tol", "x"]), UsageError);
});

test("trimer grade streams JSONL, reports bad lines by number, writes results atomically, prints a summary", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-grade-"));
  try {
    const input = join(dir, "in.jsonl");
    const out = join(dir, "out.jsonl");
    writeFileSync(
      input,
      [
        JSON.stringify({ id: 1, gold: "\\frac{1}{2}", pred: "Thus $\\boxed{0.5}$." }),
        "{not json",
        JSON.stringify({ id: 2, gold: 27.0, pred: "The answer is 26." }),
        JSON.stringify({ id: 3, pred: "no gold here" }),
        "",
        JSON.stringify({ id: 4, gold: "x+1", pred: ["\\boxed{1+x}", "\\boxed{x}"] }),
      ].join("\n") + "\n",
    );
    const r = await capture(() => gradeCmd.main([input, "--gold-field", "gold", "--pred-field", "pred", "--out", out, "--quiet", "--on-bad", "skip"]));
    assert.equal(r.code, 0);
    assert.match(r.err, /in\.jsonl:2: not valid JSON/);
    assert.match(r.err, /in\.jsonl:4: field "gold" is missing/);
    assert.match(r.out, /lines: 5 \(2 bad, skipped\)/);
    assert.match(r.out, /graded: 4 {3}correct: 2 {3}accuracy: 50\.0%/);
    assert.match(r.out, /boxed +3 graded +2 correct/);
    assert.match(r.out, /answer_is +1 graded +0 correct/);
    const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((x) => x.id), [1, 2, 4]);
    assert.deepEqual([rows[0]!.correct, rows[0]!.extracted, rows[0]!.rule], [true, "0.5", "boxed"]);
    assert.deepEqual([rows[1]!.correct, rows[1]!.extracted, rows[1]!.rule], [false, "26", "answer_is"]);
    assert.deepEqual(rows[2]!.correct, [true, false]);
    assert.equal(rows[0]!.gold, "\\frac{1}{2}"); // input fields are kept
    // The same file on 2 worker threads writes the same bytes.
    const out2 = join(dir, "out2.jsonl");
    const r2 = await capture(() => gradeCmd.main([input, "--gold-field", "gold", "--pred-field", "pred", "--out", out2, "--quiet", "--threads", "2", "--on-bad", "skip"]));
    assert.equal(r2.out.replace(out2, out), r.out);
    assert.equal(readFileSync(out2, "utf8"), readFileSync(out, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("trimer grade: gold fields holding a worked solution, and usage errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-grade-"));
  try {
    const input = join(dir, "gsm.jsonl");
    writeFileSync(input, JSON.stringify({ answer: "2+2=<<2+2=4>>4\n#### 1,004", out: "So \\boxed{1004}" }) + "\n");
    const r = await capture(() => gradeCmd.main([input, "--gold-field", "answer", "--pred-field", "out", "--gold-extract", "--quiet"]));
    assert.match(r.out, /correct: 1 {3}accuracy: 100\.0%/);
    assert.equal(existsSync(join(dir, "out.jsonl")), false);
    await assert.rejects(gradeCmd.main([input, "--gold-field", "answer"]), UsageError);
    await assert.rejects(gradeCmd.main([join(dir, "missing.jsonl"), "--gold-field", "a", "--pred-field", "b"]), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("trimer verify --jsonl: one verdict per request line, in order; a bad line gets an error line in its place", async () => {
  const { Readable } = await import("node:stream");
  const lines = [
    JSON.stringify({ id: "a", gold: "\\frac{14}{3}", pred: "\\frac{14}{3}" }),
    "{not json",
    "",
    JSON.stringify({ gold: "2024", pred: "2024.001" }),
    JSON.stringify({ gold: "\\frac13", pred: "0.33", relTol: 0.01 }),
    JSON.stringify({ gold: "7", pred: "we get 7 in the end", lastNumberFallback: false }),
    JSON.stringify({ gold: 5 }),
    JSON.stringify({ gold: "1", pred: "1", relTol: "big" }),
  ];
  let out = "";
  await verifyCmd.streamJsonl(Readable.from([lines.join("\n") + "\n"]), (s) => void (out += s), { lastNumberFallback: true });
  const got = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(got.length, 7); // the blank line is skipped
  assert.deepEqual(got[0], { id: "a", equal: true, status: "equal", extracted: "\\frac{14}{3}", rule: "bare" });
  assert.match(String(got[1]!.error), /^line 2: not valid JSON/);
  assert.equal(got[2]!.equal, false);
  assert.equal(got[3]!.equal, true);
  assert.equal(got[4]!.equal, false); // the request turned the fallback off
  assert.match(String(got[5]!.error), /"pred" is missing/);
  assert.match(String(got[6]!.error), /"relTol" must be a number/);
});

test("trimer verify --help says what each option loosens; --jsonl refuses --gold", async () => {
  const help = await capture(() => verifyCmd.main(["--help"]));
  assert.match(help.out, /options that loosen the check/);
  for (const flag of ["--all-boxes", "--rel-tol", "--interval-for-inequality", "--strict", "--jsonl"]) assert.ok(help.out.includes(flag), flag);
  await assert.rejects(verifyCmd.main(["--jsonl", "--gold", "1"]), UsageError);
});

test("the last-number fallback is off by default in trimer verify and grade; --last-number turns it on", async () => {
  const plain = await capture(() => verifyCmd.main(["--gold", "7", "--pred", "we get 7 in the end", "--json"]));
  assert.equal(JSON.parse(plain.out).equal, false);
  const loose = await capture(() => verifyCmd.main(["--gold", "7", "--pred", "we get 7 in the end", "--json", "--last-number"]));
  assert.deepEqual(JSON.parse(loose.out), { equal: true, status: "equal", extracted: "7", rule: "last_number" });
  const strict = await capture(() => verifyCmd.main(["--gold", "7", "--pred", "we get 7 in the end", "--json", "--strict"]));
  assert.equal(JSON.parse(strict.out).equal, false);
  await assert.rejects(verifyCmd.main(["--gold", "7", "--pred", "7", "--strict", "--last-number"]), UsageError);
  const help = await capture(() => verifyCmd.main(["--help"]));
  assert.ok(help.out.indexOf("--last-number") > help.out.indexOf("options that loosen the check"));

  const dir = mkdtempSync(join(tmpdir(), "trimer-grade-"));
  try {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, [JSON.stringify({ gold: "7", pred: "we get 7 in the end" }), JSON.stringify({ gold: "3", pred: "So $\\boxed{3}$." }), JSON.stringify({ gold: "5", pred: "We find $x = 4$ and then 5" })].join("\n") + "\n");
    const r = await capture(() => gradeCmd.main([input, "--gold-field", "gold", "--pred-field", "pred", "--quiet"]));
    assert.match(r.out, /correct: 1 {3}accuracy: 33\.3% {3}strict \(no last-number fallback\): 33\.3% {3}flexible \(with it\): 100\.0%/);
    const f = await capture(() => gradeCmd.main([input, "--gold-field", "gold", "--pred-field", "pred", "--quiet", "--last-number"]));
    assert.match(f.out, /correct: 3 {3}accuracy: 100\.0% {3}strict \(no last-number fallback\): 33\.3% {3}flexible \(with it\): 100\.0%/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

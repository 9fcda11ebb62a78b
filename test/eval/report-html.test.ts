import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { clusterByString } from "../../src/eval/grader.js";
import { summarize, type GradedProblem } from "../../src/eval/metrics.js";
import { renderReport } from "../../src/eval/report-html.js";

const QWEN = new URL("../../../shared/data/qwen_rm_maj_example/math_cot_100.jsonl", import.meta.url);
// TRIMER_CHROMIUM points elsewhere (or at a missing path, to see the skip).
const CHROMIUM = process.env.TRIMER_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Graded problems from the real Qwen2.5-Math file: its own labels, exact-string votes and reward-model scores.
 * The file has no token counts, so each sample's length is its number of whitespace-separated words (a real
 * property of the real text, good enough to exercise the token chart).
 */
function qwenProblems(): GradedProblem[] {
  return readFileSync(QWEN, "utf8").trimEnd().split("\n").map((line) => {
    const o = JSON.parse(line) as { idx: number | string; level: string; pred: string[]; score: boolean[]; pred_score: number[][]; response: string[] };
    const clusters = clusterByString(o.pred);
    return {
      id: String(o.idx),
      level: o.level.replace(/^Level /, ""),
      domain: Number(o.idx) % 2 ? "odd-idx" : "even-idx",
      samples: o.score.map((correct, j) => ({ correct, cluster: clusters[j]!, rmScore: o.pred_score[j]![0]!, tokens: o.response[j]!.split(/\s+/).length })),
    };
  });
}

test("the HTML report is self-contained and has the three charts and the tables", () => {
  const html = renderReport({ title: "qwen <example> & labels", summary: summarize(qwenProblems(), { bootstrap: { iterations: 200 } }), settings: [["file", "math_cot_100.jsonl"]] });
  assert.equal((html.match(/<svg /g) ?? []).length, 3);
  for (const t of ["Accuracy by level", "Accuracy vs token limit", "pass@k, maj@k and rm@k vs k", "By level", "By domain", "rm@8"]) assert.ok(html.includes(t), t);
  assert.ok(html.includes("qwen &lt;example&gt; &amp; labels"), "title is escaped");
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), "no scripts and no network references");
  // The file's own figures appear in the summary table: pass@1 91.0, maj@8 93.0, rm@8 94.0.
  assert.match(html, /accuracy \(pass@1, mean over samples\)<\/td><td>91\.0</);
  assert.match(html, /maj@8<\/td><td>93\.0</);
  assert.match(html, /rm@8<\/td><td>94\.0</);
});

test("the HTML report renders in headless Chromium with its SVG charts in the DOM", (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent (apt-get install -y chromium): report rendering NOT checked`);
    console.log(`# NOTICE: ${CHROMIUM} is absent; the Chromium rendering test was skipped`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "trimer-report-"));
  const file = join(dir, "report.html");
  writeFileSync(file, renderReport({ title: "render check", summary: summarize(qwenProblems(), { bootstrap: { iterations: 200 } }) }));
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", `--user-data-dir=${mkdtempSync(join(tmpdir(), "trimer-chromium-"))}`];
  const dom = spawnSync(CHROMIUM, [...flags, "--dump-dom", pathToFileURL(file).href], { encoding: "utf8", timeout: 60_000 });
  assert.equal(dom.status, 0, dom.stderr);
  // The DOM Chromium built: three <svg> elements, with the bars, lines and points parsed as SVG children.
  assert.equal((dom.stdout.match(/<svg /g) ?? []).length, 3);
  assert.ok((dom.stdout.match(/<rect class="bar"/g) ?? []).length === 5, "one bar per level 1–5");
  assert.ok((dom.stdout.match(/<polyline class="series"/g) ?? []).length === 4, "sweep line + pass@k, maj@k, rm@k");
  assert.ok(dom.stdout.includes("</svg>") && dom.stdout.includes("</table>"));
  const png = join(dir, "report.png");
  const shot = spawnSync(CHROMIUM, [...flags, `--screenshot=${png}`, "--window-size=1200,1400", pathToFileURL(file).href], { encoding: "utf8", timeout: 60_000 });
  assert.equal(shot.status, 0, shot.stderr);
  const buf = readFileSync(png);
  assert.equal(buf.subarray(1, 4).toString("latin1"), "PNG");
  assert.ok(statSync(png).size > 20_000, `screenshot of ${statSync(png).size} bytes is too small to hold the charts`);
});

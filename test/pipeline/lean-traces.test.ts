// distill.traces = "lean" (`trimer run --traces lean`) and teacherSft.traces = "lean" (`--teacher-sft-traces lean`):
// the control that the verbose teacher's redundancy is redundant. The distillation data must really be the
// lean scratchpad of the same problems the verbose run sees (same steps, batch and buckets), and a resume must
// rerun exactly the stages the change affects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Artifacts } from "../../src/pipeline/artifacts.js";
import type { PipelineConfig } from "../../src/pipeline/config.js";
import { newTokenizer } from "../../src/pipeline/engines.js";
import { miniPreset, tinyPreset } from "../../src/pipeline/presets.js";
import { runPipeline } from "../../src/pipeline/run.js";
import { distillBatch, teacherSftBatch, type StageContext } from "../../src/pipeline/stages.js";
import type { Datum } from "../../src/engine/types.js";
import { runCli } from "../cli/run-cli.js";

const quiet = { quiet: true, log: () => {} };
const tok = newTokenizer();
const REDUNDANT = /task:|check:|now:|verify:|\? no,/;

function ctxOf(cfg: PipelineConfig): StageContext {
  return { cfg, art: new Artifacts(mkdtempSync(join(tmpdir(), "trimer-lean-ctx-"))), tok, quiet: true };
}

/** A datum as (prompt text, completion text): the prompt is the span the mask weighs 0. */
function split(d: Datum): { prompt: string; completion: string; tokens: number } {
  const k = d.weights.findIndex((w) => w > 0) + 1;
  return { prompt: tok.decode(d.tokens.slice(0, k), { skipSpecial: true }), completion: tok.decode(d.tokens.slice(k), { skipSpecial: true }), tokens: d.tokens.length };
}

/** The value of a compact question ("3*9+3-6="), computed here: products first, then + and − left to right. */
function valueOf(question: string): number {
  const terms = question.replace(/=$/, "").split(/(?=[+-])/);
  return terms.reduce((acc, t) => {
    const sign = t.startsWith("-") ? -1 : 1;
    const product = t.replace(/^[+-]/, "").split("*").reduce((p, x) => p * Number(x), 1);
    return acc + sign * product;
  }, 0);
}

function batches(cfg: PipelineConfig, steps: number[], of: (ctx: StageContext, step: number) => Datum[]): ReturnType<typeof split>[] {
  const ctx = ctxOf(cfg);
  return steps.flatMap((s) => of(ctx, s).map(split));
}

test("--traces lean: the student distils on the lean scratchpad of the same problems, in the same buckets", () => {
  for (const base of [tinyPreset(), miniPreset()]) {
    const verboseCfg = structuredClone(base);
    verboseCfg.distill.traces = "synthetic";
    const leanCfg = structuredClone(base);
    leanCfg.distill.traces = "lean";
    // The first step, a step of every bucket, and the last step.
    const steps = [0, Math.floor(base.distill.steps / 2), base.distill.steps - 1];
    const verbose = batches(verboseCfg, steps, (c, s) => distillBatch(c, s));
    const lean = batches(leanCfg, steps, (c, s) => distillBatch(c, s));
    assert.equal(lean.length, steps.length * base.distill.batch, "the same batch size");
    let withRedundancy = 0, verboseTokens = 0, leanTokens = 0;
    lean.forEach((l, i) => {
      const v = verbose[i]!;
      assert.equal(l.prompt, v.prompt, "the same problem, in the same order");
      assert.doesNotMatch(l.completion, REDUNDANT, l.completion);
      const answer = `\\boxed{${valueOf(l.prompt.trim())}}`;
      assert.ok(l.completion.endsWith(answer), `${l.prompt} → ${l.completion}`);
      // (a verbose trace may be cut at the stage's maxTokens — tiny's 96 — and then lacks its end)
      const whole = v.tokens < base.distill.maxTokens;
      if (whole) assert.ok(v.completion.endsWith(answer), `${l.prompt} → ${v.completion}`);
      // Every piece of the lean trace is in the verbose one, in order (the verbose trace adds, never changes) —
      // except where the verbose trace wrote a wrong result caught at once ("27+3=31? no,30;").
      if (whole && !/\? no,\d+;/.test(v.completion)) {
        let at = 0;
        for (const piece of l.completion.split(";")) {
          const j = v.completion.indexOf(piece, at);
          assert.ok(j >= 0, `"${piece}" of the lean trace is in the verbose one: ${v.completion}`);
          at = j + piece.length;
        }
      }
      if (REDUNDANT.test(v.completion)) withRedundancy++;
      verboseTokens += v.tokens;
      leanTokens += l.tokens;
    });
    assert.ok(withRedundancy > lean.length / 2, `most verbose traces carry redundancy (${withRedundancy}/${lean.length})`);
    assert.ok(leanTokens < 0.8 * verboseTokens, `lean batches are shorter (${leanTokens} vs ${verboseTokens} tokens)`);
  }
});

test("--teacher-sft-traces lean: the teacher's SFT data are the lean traces; by default they are the verbose ones", () => {
  const cfg = tinyPreset();
  const verbose = batches(cfg, [0, cfg.teacherSft.steps - 1], teacherSftBatch);
  const leanCfg = tinyPreset();
  leanCfg.teacherSft.traces = "lean";
  const lean = batches(leanCfg, [0, cfg.teacherSft.steps - 1], teacherSftBatch);
  assert.ok(verbose.some((v) => REDUNDANT.test(v.completion)), "the default teacher learns the verbose traces");
  lean.forEach((l, i) => {
    assert.equal(l.prompt, verbose[i]!.prompt);
    assert.doesNotMatch(l.completion, REDUNDANT);
  });
});

test("--traces lean on --resume: refused while distill exists; with its folder removed, distill reruns on lean traces and nothing earlier does", async () => {
  const out = mkdtempSync(join(tmpdir(), "trimer-lean-run-"));
  assert.equal(await runPipeline(tinyPreset(), { out, resume: false, stopAfter: "distill", ...quiet }), null);
  const sftDone = readFileSync(join(out, "teacher-sft", "DONE.json"), "utf8");
  const verboseWeights = readFileSync(join(out, "distill", "distill", "final", "model.safetensors"));
  const lean = tinyPreset();
  lean.distill.traces = "lean";
  await assert.rejects(runPipeline(lean, { out, resume: true, stopAfter: "distill", ...quiet }), /settings of stage distill, already started, differ/);
  rmSync(join(out, "distill"), { recursive: true });
  assert.equal(await runPipeline(lean, { out, resume: true, stopAfter: "distill", ...quiet }), null);
  assert.equal(readFileSync(join(out, "teacher-sft", "DONE.json"), "utf8"), sftDone, "the teacher was not retrained");
  assert.ok(existsSync(join(out, "distill", "DONE.json")));
  assert.ok(!readFileSync(join(out, "distill", "distill", "final", "model.safetensors")).equals(verboseWeights), "a different student");
  assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).distill.traces, "lean");
  // A lean teacher changes the teacher-sft stage, which has run: refused, naming it.
  const leanTeacher = structuredClone(lean);
  leanTeacher.teacherSft.traces = "lean";
  await assert.rejects(runPipeline(leanTeacher, { out, resume: true, ...quiet }), /settings of stage teacher-sft, already started, differ/);
});

test("trimer run: --traces and --teacher-sft-traces are listed in --help; a bad value is one line and exit 2", async () => {
  const help = await runCli(["run", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout + help.stderr, /--traces synthetic\|teacher\|lean/);
  assert.match(help.stdout + help.stderr, /--teacher-sft-traces verbose\|lean/);
  for (const [flag, want] of [["--traces", /--traces must be synthetic, teacher or lean, got "verbose"/], ["--teacher-sft-traces", /--teacher-sft-traces must be verbose or lean, got "verbosex"/]] as const) {
    const r = await runCli(["run", "--preset", "tiny", "--out", join(tmpdir(), "never-made"), flag, flag === "--traces" ? "verbose" : "verbosex"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, want);
  }
});

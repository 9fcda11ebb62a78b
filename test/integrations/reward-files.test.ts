// The integration files under integrations/ (standard-library Python) against a live `trimer serve-reward` on
// loopback, called with the signatures their host engines use: TRL's reward_funcs f(completions, **columns),
// verl's compute_score(data_source, solution_str, ground_truth, extra_info) and its batched variant, OpenRLHF's
// reward_func(queries, prompts, labels). verl and OpenRLHF are not installable here, so the files are loaded the
// way those engines load them (importlib from a file path) and called as their source calls them. Every reward
// must equal trimer's own verdict on the same text.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { trimerReward } from "../../src/verify/reward.js";
import { findPython, runPython, startServeReward, INTEGRATIONS, ROOT, type RewardServer } from "./helpers.js";

const py = findPython();
const skip = "skip" in py ? py.skip : false;
const TOKEN = "tok-123";
let server: RewardServer | undefined;

before(async () => { if (!skip) server = await startServeReward(["--token", TOKEN, "--quiet"]); });
after(async () => { await server?.stop(); });

// Completions a policy really writes: boxed right and wrong, a GSM8K "####" answer, an equivalent form, nothing
// parseable, LaTeX fractions, and text around the answer.
const CASES: { completion: string; gold: string }[] = [
  { completion: "2 + 2 = 4, so the answer is \\boxed{4}.", gold: "4" },
  { completion: "I think it is \\boxed{5}.", gold: "4" },
  { completion: "Half of 18 is 9.\n#### 9", gold: "9" },
  { completion: "The ratio is \\boxed{\\frac{1}{2}}", gold: "0.5" },
  { completion: "no idea", gold: "17" },
  { completion: "We get \\boxed{\\dfrac{3}{4}} after simplifying.", gold: "\\frac{3}{4}" },
  { completion: "Thus x = \\boxed{-3}", gold: "3" },
  { completion: "", gold: "1" },
];
const expected = CASES.map((c) => trimerReward(c.completion, c.gold));

const LOAD = `
import importlib.util, json, sys, os
def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(${JSON.stringify(INTEGRATIONS)}, name + ".py"))
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m
inp = json.load(sys.stdin)
`;

test("TRL reward function: plain and conversational completions, gold column by name, one batch", { skip }, async () => {
  const code = `${LOAD}
trl = load("trimer_trl_reward")
comps = [c["completion"] for c in inp["cases"]]
golds = [c["gold"] for c in inp["cases"]]
plain = trl.trimer_reward(comps, prompts=["Q"] * len(comps), answer=golds, trainer_state=None)
conv = trl.trimer_reward([[{"role": "assistant", "content": c}] for c in comps], prompts=[[{"role": "user", "content": "Q"}]] * len(comps), answer=golds)
f = trl.make_reward_func(answer_field="label", name="my_reward")
label = f(comps, label=golds)
try:
    trl.trimer_reward(comps, solution=golds); missing = None
except KeyError as e:
    missing = str(e)
print(json.dumps({"plain": plain, "conv": conv, "label": label, "name": f.__name__, "missing": missing, "empty": trl.trimer_reward([], answer=[])}))
`;
  const r = await runPython<{ plain: number[]; conv: number[]; label: number[]; name: string; missing: string; empty: number[] }>(
    (py as { python: string }).python, code, { cases: CASES }, { TRIMER_REWARD_URL: server!.url, TRIMER_REWARD_TOKEN: TOKEN });
  assert.deepEqual(r.plain, expected.map((e) => e.reward));
  assert.deepEqual(r.conv, expected.map((e) => e.reward));
  assert.deepEqual(r.label, expected.map((e) => e.reward));
  assert.equal(r.name, "my_reward");
  assert.match(r.missing, /no 'answer' column.*solution/);
  assert.deepEqual(r.empty, []);
  // The cases really do cover all three reward levels.
  assert.deepEqual([...new Set(expected.map((e) => e.reward))].sort(), [0, 0.2, 1]);
});

test("verl compute_score and compute_score_batch, server from reward_kwargs or the environment", { skip }, async () => {
  const code = `${LOAD}
verl = load("trimer_verl_reward")
cases = inp["cases"]
one = [verl.compute_score("trimer/gsm8k", c["completion"], c["gold"], {"index": i}, url=inp["url"], token=inp["token"]) for i, c in enumerate(cases)]
batch = verl.compute_score_batch(data_sources=["trimer/gsm8k"] * len(cases), solution_strs=[c["completion"] for c in cases],
    ground_truths=[c["gold"] for c in cases], extra_infos=[{} for _ in cases])
print(json.dumps({"one": one, "batch": batch}))
`;
  const r = await runPython<{ one: { score: number; acc: number; formatted: number }[]; batch: { score: number; acc: number }[] }>(
    (py as { python: string }).python, code, { cases: CASES, url: server!.url, token: TOKEN }, { TRIMER_REWARD_URL: server!.url, TRIMER_REWARD_TOKEN: TOKEN });
  assert.deepEqual(r.one.map((s) => s.score), expected.map((e) => e.reward));
  assert.deepEqual(r.one.map((s) => s.acc), expected.map((e) => (e.correct ? 1 : 0)));
  assert.deepEqual(r.one.map((s) => s.formatted), expected.map((e) => (e.formatted ? 1 : 0)));
  assert.deepEqual(r.batch, r.one);
});

test("OpenRLHF reward_func: prompt+response queries, labels; token as header", { skip }, async () => {
  const code = `${LOAD}
o = load("trimer_openrlhf_reward")
cases = inp["cases"]
prompts = ["<|user|>Question %d?<|assistant|>" % i for i in range(len(cases))]
out = o.reward_func([p + c["completion"] for p, c in zip(prompts, cases)], prompts, [c["gold"] for c in cases])
print(json.dumps(out))
`;
  const r = await runPython<{ rewards: number[]; scores: number[]; extra_logs: Record<string, number[]> }>(
    (py as { python: string }).python, code, { cases: CASES }, { TRIMER_REWARD_URL: server!.url, TRIMER_REWARD_TOKEN: TOKEN });
  assert.deepEqual(r.rewards, expected.map((e) => e.reward));
  assert.deepEqual(r.scores, expected.map((e) => (e.correct ? 1 : 0)));
  assert.deepEqual(r.extra_logs.prompt_found, CASES.map(() => 1));
});

test("a wrong token or a dead server is a RuntimeError naming the server, not a silent 0", { skip }, async () => {
  const code = `${LOAD}
errs = []
for name, call in [
    ("trl", lambda: load("trimer_trl_reward").make_reward_func(url=inp["url"], token="wrong")(["\\\\boxed{1}"], answer=["1"])),
    ("verl", lambda: load("trimer_verl_reward").compute_score("x", "\\\\boxed{1}", "1", url=inp["url"], token="wrong")),
    ("dead", lambda: load("trimer_verl_reward").compute_score("x", "\\\\boxed{1}", "1", url="http://127.0.0.1:9/get_reward")),
]:
    try:
        call(); errs.append([name, None])
    except RuntimeError as e:
        errs.append([name, str(e)])
print(json.dumps(errs))
`;
  const r = await runPython<[string, string | null][]>((py as { python: string }).python, code, { url: server!.url });
  for (const [name, msg] of r) {
    assert.ok(msg, `${name}: no error raised`);
    assert.match(msg, /trimer reward server http:\/\/127\.0\.0\.1:\d+\/get_reward failed/);
  }
  assert.match(r[0]![1]!, /HTTP 401/);
});

// The token may ride in the URL, as OpenRLHF's own HTTP client (no headers) needs; the TRL module accepts such a
// URL as well.
test("serve-reward's ?token= URL works for a client that sends no headers", { skip }, async () => {
  const code = `${LOAD}
trl = load("trimer_trl_reward")
print(json.dumps(trl.make_reward_func(url=inp["url"] + "?token=" + inp["token"], token="")([c["completion"] for c in inp["cases"]], answer=[c["gold"] for c in inp["cases"]])))
`;
  const r = await runPython<number[]>((py as { python: string }).python, code, { cases: CASES, url: server!.url, token: TOKEN });
  assert.deepEqual(r, expected.map((e) => e.reward));
});

test("`trimer export --format verl` rows: data_source routes to trimer's file, split named, ground truth graded", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-verl-export-"));
  try {
    const out = join(dir, "gsm8k.parquet");
    const r0 = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "export", "--format", "verl", "--bench", "gsm8k", "--out", out], { encoding: "utf8" });
    assert.equal(r0.status, 0, r0.stderr);
    assert.match(r0.stderr, /from gsm8k: .*the TEST split/);
    const rows = ((await parquetReadObjects({ file: await asyncBufferFromFile(out) })) as { data_source: string; reward_model: { ground_truth: string }; extra_info: Record<string, unknown> }[]).slice(0, 6);
    assert.ok(rows.every((r) => r.data_source === "trimer/gsm8k" && r.extra_info.split === "test"));
    // As verl's BatchRewardManager calls it: one right and one wrong response per row.
    const code = `${LOAD}
verl = load("trimer_verl_reward")
rows = inp["rows"]
sols = [s for r in rows for s in ("The answer is \\\\boxed{%s}." % r["reward_model"]["ground_truth"], "\\\\boxed{-1}")]
print(json.dumps(verl.compute_score_batch([r["data_source"] for r in rows for _ in (0, 1)], sols,
    [r["reward_model"]["ground_truth"] for r in rows for _ in (0, 1)], [r["extra_info"] for r in rows for _ in (0, 1)],
    url=inp["url"], token=inp["token"])))
`;
    const plain = rows.map((r) => ({ ...r, extra_info: { ...r.extra_info, index: Number(r.extra_info.index) } }));
    const scores = await runPython<{ score: number; acc: number }[]>((py as { python: string }).python, code, { rows: plain, url: server!.url, token: TOKEN });
    assert.deepEqual(scores.map((s) => s.acc), rows.flatMap(() => [1, 0]));
    assert.deepEqual(scores.map((s) => s.score), rows.flatMap(() => [1, 0.2]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

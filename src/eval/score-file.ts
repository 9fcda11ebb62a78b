// Scoring given completions without sampling: a JSONL of problems, each with several graded completions and
// reward-model scores (the layout of Qwen2.5-Math's evaluation/data/eval_rm_maj_example/math_cot_100.jsonl:
// question, gt, response[n], pred[n] (their extracted answers), score[n] (their grader's labels),
// pred_score[n] ([float] each, the reward model)). Three views of the same samples, so a difference can be traced
// to its cause:
//   labels           the file's labels, votes grouped by exact string of the file's pred  (the file's own figures)
//   labels+clusters  the file's labels, votes grouped by our verifier's equivalence of the file's pred
//   verifier         our verifier re-grades every response against gt, votes grouped by our equivalence
import { readFileSync, statSync } from "node:fs";
import { InputError } from "../util/errors.js";
import { clusterByString, type Grader } from "./grader.js";
import { majAtK, summarize, type BootstrapOptions, type EvalSummary, type GradedProblem } from "./metrics.js";

export interface ScoreFields {
  id: string;
  question: string;
  gold: string;
  responses: string;
  /** The file's own extracted answers (optional). */
  preds: string;
  /** The file's own correctness labels (optional). */
  labels: string;
  /** Reward-model scores, a number or [number] per response (optional). */
  rmScores: string;
  level: string;
  domain: string;
}

export const QWEN_FIELDS: ScoreFields = {
  id: "idx", question: "question", gold: "gt", responses: "response", preds: "pred", labels: "score",
  rmScores: "pred_score", level: "level", domain: "subject",
};

export const MAX_SCORE_FILE_BYTES = 512 * 1024 * 1024;

export interface ScoredSample {
  response: string;
  filePred: string | null;
  fileLabel: boolean | null;
  rmScore: number | null;
  /** Our verifier's extracted answer and verdict. */
  extracted: string | null;
  correct: boolean;
}

export interface ScoredProblem {
  id: string;
  line: number;
  question: string;
  gold: string;
  level?: string;
  domain?: string;
  samples: ScoredSample[];
}

export interface Disagreement {
  problemId: string;
  sample: number;
  gold: string;
  filePred: string | null;
  fileLabel: boolean;
  extracted: string | null;
  correct: boolean;
}

export interface ScoreSummary {
  file: string;
  problems: number;
  samplesPerProblem: number;
  /** Headline figures at k = samples per problem, for each view (absent views had no labels in the file). */
  headline: { view: string; passAt1: number; majAtN: number; rmAtN: number | null }[];
  labels?: EvalSummary;
  labelsVerifierClusters?: EvalSummary;
  verifier: EvalSummary;
  /** Samples where the file's label and our verifier disagree. */
  disagreements: Disagreement[];
  /** Problems whose maj@n outcome changes between exact-string and verifier grouping (file labels both). */
  groupingChanges: { problemId: string; exactString: number; verifierClusters: number }[];
}

function fail(path: string, line: number, what: string): never {
  throw new InputError(`${path}:${line}: ${what}`);
}

/** "Level 3" → "3" (MATH's spelling), numbers as strings, anything else as written. */
function normLevel(v: unknown): string | undefined {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string" || v === "") return undefined;
  const m = /^level\s*(\d+)$/i.exec(v.trim());
  return m ? m[1] : v;
}

function answerString(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** Reads and validates the file (every problem must have the same number of responses). */
export function readScoreFile(path: string, grader: Grader, fields: ScoreFields = QWEN_FIELDS): ScoredProblem[] {
  const size = statSync(path).size;
  if (size > MAX_SCORE_FILE_BYTES) throw new InputError(`${path}: ${size} bytes is more than the ${MAX_SCORE_FILE_BYTES} accepted`);
  const lines = readFileSync(path, "utf8").split("\n");
  const out: ScoredProblem[] = [];
  let n: number | null = null;
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === "") return;
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(text);
      if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, line, "expected a JSON object");
      o = v as Record<string, unknown>;
    } catch (e) {
      if (e instanceof InputError) throw e;
      fail(path, line, `not valid JSON (${(e as Error).message})`);
    }
    const question = answerString(o[fields.question]) ?? fail(path, line, `field "${fields.question}" (question) must be a string`);
    const gold = answerString(o[fields.gold]) ?? fail(path, line, `field "${fields.gold}" (gold answer) must be a string or number`);
    const responses = o[fields.responses];
    if (!Array.isArray(responses) || responses.length === 0 || !responses.every((r) => typeof r === "string")) fail(path, line, `field "${fields.responses}" must be a non-empty array of strings`);
    if (n === null) n = responses.length;
    else if (responses.length !== n) fail(path, line, `field "${fields.responses}" has ${responses.length} responses, earlier lines have ${n}`);
    const arr = (f: string): unknown[] | null => {
      const v = o[f];
      if (v === undefined) return null;
      if (!Array.isArray(v) || v.length !== responses.length) fail(path, line, `field "${f}" must be an array of ${responses.length} entries`);
      return v;
    };
    const preds = arr(fields.preds);
    const labels = arr(fields.labels);
    const rms = arr(fields.rmScores);
    const samples: ScoredSample[] = (responses as string[]).map((response, j) => {
      const filePred = preds ? answerString(preds[j]) : null;
      let fileLabel: boolean | null = null;
      if (labels) {
        const l = labels[j];
        if (typeof l === "boolean") fileLabel = l;
        else if (l === 0 || l === 1) fileLabel = l === 1;
        else fail(path, line, `field "${fields.labels}"[${j}] must be true/false or 0/1`);
      }
      let rmScore: number | null = null;
      if (rms) {
        const r = Array.isArray(rms[j]) && (rms[j] as unknown[]).length === 1 ? (rms[j] as unknown[])[0] : rms[j];
        if (typeof r !== "number" || !Number.isFinite(r)) fail(path, line, `field "${fields.rmScores}"[${j}] must be a number or [number]`);
        rmScore = r;
      }
      const g = grader.grade(gold, response);
      return { response, filePred, fileLabel, rmScore, extracted: g.extracted, correct: g.correct };
    });
    const id = answerString(o[fields.id]) ?? String(out.length);
    const p: ScoredProblem = { id, line, question, gold, samples };
    const level = normLevel(o[fields.level]);
    if (level !== undefined) p.level = level;
    const domain = answerString(o[fields.domain]);
    if (domain) p.domain = domain;
    out.push(p);
  });
  if (out.length === 0) throw new InputError(`${path}: no problems in the file`);
  return out;
}

type View = "labels" | "labels+clusters" | "verifier";

function viewProblems(problems: readonly ScoredProblem[], grader: Grader, view: View): GradedProblem[] {
  return problems.map((p) => {
    const answers = p.samples.map((s) => (view === "verifier" ? s.extracted : s.filePred));
    const clusters = view === "labels" ? clusterByString(answers) : grader.cluster(answers);
    const g: GradedProblem = {
      id: p.id,
      samples: p.samples.map((s, j) => ({
        correct: view === "verifier" ? s.correct : s.fileLabel === true,
        cluster: clusters[j] ?? null,
        ...(s.rmScore === null ? {} : { rmScore: s.rmScore }),
      })),
    };
    if (p.level !== undefined) g.level = p.level;
    if (p.domain !== undefined) g.domain = p.domain;
    return g;
  });
}

function headline(view: string, s: EvalSummary): ScoreSummary["headline"][number] {
  const top = s.atK.find((r) => r.k === s.samplesPerProblem);
  return { view, passAt1: s.accuracy.value, majAtN: top?.majAtK.value ?? NaN, rmAtN: top?.rmAtK?.value ?? null };
}

export function scoreProblems(file: string, problems: readonly ScoredProblem[], grader: Grader, bootstrap: BootstrapOptions = {}): ScoreSummary {
  const hasLabels = problems.every((p) => p.samples.every((s) => s.fileLabel !== null));
  const hasPreds = problems.every((p) => p.samples.every((s) => s.filePred !== null));
  const n = problems[0]?.samples.length ?? 0;
  const verifier = summarize(viewProblems(problems, grader, "verifier"), { bootstrap });
  const result: ScoreSummary = { file, problems: problems.length, samplesPerProblem: n, headline: [], verifier, disagreements: [], groupingChanges: [] };
  if (hasLabels && hasPreds) {
    const exact = viewProblems(problems, grader, "labels");
    const clustered = viewProblems(problems, grader, "labels+clusters");
    result.labels = summarize(exact, { bootstrap });
    result.labelsVerifierClusters = summarize(clustered, { bootstrap });
    result.headline.push(headline("file labels, exact-string vote", result.labels));
    result.headline.push(headline("file labels, verifier-grouped vote", result.labelsVerifierClusters));
    exact.forEach((p, i) => {
      const a = majAtK(p.samples, n);
      const b = majAtK(clustered[i]!.samples, n);
      if (a !== b) result.groupingChanges.push({ problemId: p.id, exactString: a, verifierClusters: b });
    });
  }
  result.headline.push(headline("our verifier, verifier-grouped vote", verifier));
  for (const p of problems) {
    p.samples.forEach((s, j) => {
      if (s.fileLabel !== null && s.fileLabel !== s.correct) {
        result.disagreements.push({ problemId: p.id, sample: j, gold: p.gold, filePred: s.filePred, fileLabel: s.fileLabel, extracted: s.extracted, correct: s.correct });
      }
    });
  }
  return result;
}

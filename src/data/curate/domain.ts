// Domain labels: keyword rules (fast, transparent, good enough to balance a mix) or an LLM classifier through any
// Sampler (better on competition problems, whose domain often hides behind the wording). The label goes into
// meta.domainLabel; the record's own `domain` field (the source's label) is left as it was.
import type { Sampler } from "../../engine/types.js";
import { metaField, textField, withMeta, type CurateRecord, type StepRun } from "./record.js";

export const DOMAIN_LABELS = ["algebra", "geometry", "number-theory", "combinatorics", "probability", "arithmetic", "other"] as const;
export type DomainLabel = (typeof DOMAIN_LABELS)[number];

export function isDomainLabel(s: string): s is DomainLabel {
  return (DOMAIN_LABELS as readonly string[]).includes(s);
}

/** Weighted cues per label; the label with the highest total wins, ties by the order of DOMAIN_LABELS. */
const RULES: Record<Exclude<DomainLabel, "other">, [RegExp, number][]> = {
  probability: [
    [/\bprobabilit(y|ies)\b/gi, 3], [/\bexpected (value|number)\b/gi, 3], [/\b(at random|randomly|uniformly)\b/gi, 2],
    [/\b(dice|die|coins?|odds)\b/gi, 1], [/\bchance\b/gi, 1],
  ],
  combinatorics: [
    [/\bhow many (ways|arrangements|different|distinct|subsets|paths|committees)\b/gi, 3], [/\b(permutations?|combinations?|arrangements?)\b/gi, 2],
    [/\\binom|\\choose|\bbinomial coefficient/gi, 2], [/\b(committee|seating|lattice paths?|pigeonhole)\b/gi, 2],
  ],
  "number-theory": [
    [/\bprimes?\b/gi, 2], [/\b(divisible|divisors?|divides|multiples? of)\b/gi, 2], [/\bremainder\b/gi, 3], [/\\pmod|\bmod(ulo)?\b/gi, 3],
    [/\b(gcd|lcm|greatest common (divisor|factor)|least common multiple)\b/gi, 3], [/\bdigits?\b/gi, 1], [/\bbase[- ]\d+\b|_\{?\d+\}?\s*\$? in base/gi, 2],
    [/\b(positive )?integers? (solutions?|n such that)\b/gi, 1],
  ],
  geometry: [
    [/\b(triangles?|circles?|polygons?|rectangles?|squares? of side|quadrilaterals?|hexagons?|pentagons?|trapezoids?|parallelograms?|rhombus)\b/gi, 2],
    [/\b(radius|diameter|circumference|perimeter|hypotenuse|tangent to|chords?|inscribed|circumscribed)\b/gi, 2],
    [/\\angle|\\triangle|\\overline|\\circ\b|\bdegrees?\b/gi, 2], [/\b(area|volume|surface area)\b/gi, 1], [/\b(cubes?|spheres?|cylinders?|cones?|prisms?)\b/gi, 1],
    [/\b(parallel|perpendicular|midpoint|vertex|vertices)\b/gi, 1],
  ],
  algebra: [
    [/\bsolve (for|the equation)\b/gi, 3], [/\b(equations?|polynomials?|quadratic|roots?|inequalit(y|ies)|functions?)\b/gi, 2],
    [/\bf\s*\(\s*x\s*\)|\\log|\blog\b|\\sqrt|x\s*\^\s*\{?\d/gi, 1], [/\b(real numbers?|system of)\b/gi, 1], [/\b(sequences?|series|arithmetic progression|geometric progression)\b/gi, 1],
  ],
  arithmetic: [
    [/\b(compute|calculate|evaluate|simplify)\b/gi, 1], [/\bhow (much|many)\b/gi, 1], [/\$\s?\d|\b(dollars?|cents?|costs?|price|total|each|per)\b/gi, 1],
    [/^[\s\d+\-*/×÷().,=?^]+$/g, 4],
  ],
};

/** The rule-based label of a problem text and the scores behind it. */
export function ruleDomain(text: string): { label: DomainLabel; scores: Partial<Record<DomainLabel, number>> } {
  const scores: Partial<Record<DomainLabel, number>> = {};
  let best: DomainLabel = "other", bestScore = 0;
  for (const label of DOMAIN_LABELS) {
    if (label === "other") continue;
    let s = 0;
    for (const [re, w] of RULES[label]) s += (text.match(re)?.length ?? 0) * w;
    if (s > 0) scores[label] = s;
    if (s > bestScore) { best = label; bestScore = s; }
  }
  return { label: best, scores };
}

export function classifierPrompt(question: string): string {
  return [
    "Classify the mathematics problem below into exactly one domain from this list:",
    DOMAIN_LABELS.join(", "),
    "Answer with one line of the form \"Label: <domain>\" and nothing else.",
    "",
    "Problem:",
    question,
  ].join("\n");
}

const SYNONYMS: [RegExp, DomainLabel][] = [
  [/number[\s_-]*theory/i, "number-theory"], [/combinatoric/i, "combinatorics"], [/counting/i, "combinatorics"], [/probabilit/i, "probability"],
  [/statistic/i, "probability"], [/geometr/i, "geometry"], [/algebra/i, "algebra"], [/precalculus/i, "algebra"], [/arithmetic/i, "arithmetic"],
  [/\bother\b/i, "other"],
];

/** The label named at the earliest (`first`) or latest position of `text`, or null. */
function namedLabel(text: string, first: boolean): DomainLabel | null {
  let best: { label: DomainLabel; at: number } | null = null;
  for (const [re, label] of SYNONYMS) {
    for (const m of text.matchAll(new RegExp(re.source, "gi"))) {
      if (!best || (first ? m.index < best.at : m.index > best.at)) best = { label, at: m.index };
    }
  }
  return best?.label ?? null;
}

/** A label from a classifier's reply: from its "Label:" line when there is one, else the last label named; null if none. */
export function parseDomainLabel(reply: string): DomainLabel | null {
  // reasoning models think first; a reply cut off inside its thinking has no answer yet
  const text = reply.replace(/<think>[\s\S]*?(<\/think>|$)/gi, "").slice(-4000);
  const line = /(?:label|domain|category)\s*[:=]\s*\**\s*([A-Za-z][A-Za-z _-]{1,40})/i.exec(text);
  if (line) return namedLabel(line[1]!, true);
  return namedLabel(text, false);
}

export type DomainMethod = { kind: "rules" } | { kind: "llm"; sampler: Sampler; batchSize?: number; maxTokens?: number };

export interface DomainOptions {
  field?: string;
  method?: DomainMethod;
  /** Keep a label already in meta.domainLabel (default true: resumable, and hand labels win). */
  keepExisting?: boolean;
}

export interface DomainReport {
  step: "domain";
  method: "rules" | "llm";
  records: number;
  counts: Record<string, number>;
  /** LLM replies no label could be read from (the record gets the rule label, flagged by meta.domainLabelSource). */
  unparsed: number;
  unparsedExamples: string[];
}

export function domainStep(input: AsyncIterable<CurateRecord>, opts: DomainOptions = {}): StepRun<DomainReport> {
  const field = opts.field ?? "question";
  const method = opts.method ?? { kind: "rules" };
  const keep = opts.keepExisting ?? true;
  const report: DomainReport = { step: "domain", method: method.kind, records: 0, counts: {}, unparsed: 0, unparsedExamples: [] };
  const label = (rec: CurateRecord, l: string, source: string): CurateRecord => {
    report.counts[l] = (report.counts[l] ?? 0) + 1;
    return withMeta(withMeta(rec, "domainLabel", l), "domainLabelSource", source);
  };
  async function* labelBatch(batch: CurateRecord[]): AsyncGenerator<CurateRecord> {
    if (method.kind !== "llm") return;
    const todo = batch.filter((r) => !(keep && typeof metaField(r, "domainLabel") === "string"));
    const replies = todo.length
      ? await method.sampler.sample(todo.map((r) => [{ role: "user" as const, content: classifierPrompt(textField(r, field)) }]), { n: 1, temperature: 0, maxTokens: method.maxTokens ?? 512 })
      : [];
    let j = 0;
    for (const rec of batch) {
      const existing = metaField(rec, "domainLabel");
      if (keep && typeof existing === "string") { report.counts[existing] = (report.counts[existing] ?? 0) + 1; yield rec; continue; }
      const reply = replies[j++]?.[0]?.text ?? "";
      const parsed = parseDomainLabel(reply);
      if (parsed) { yield label(rec, parsed, "llm"); continue; }
      report.unparsed++;
      if (report.unparsedExamples.length < 10) report.unparsedExamples.push(reply.slice(0, 200));
      yield label(rec, ruleDomain(textField(rec, field)).label, "rules-fallback");
    }
  }
  async function* run(): AsyncGenerator<CurateRecord> {
    let batch: CurateRecord[] = [];
    for await (const rec of input) {
      report.records++;
      if (method.kind === "rules") {
        const existing = metaField(rec, "domainLabel");
        if (keep && typeof existing === "string") { report.counts[existing] = (report.counts[existing] ?? 0) + 1; yield rec; }
        else yield label(rec, ruleDomain(textField(rec, field)).label, "rules");
        continue;
      }
      batch.push(rec);
      if (batch.length >= (method.batchSize ?? 32)) { yield* labelBatch(batch); batch = []; }
    }
    if (batch.length) yield* labelBatch(batch);
  }
  return { records: run(), report: () => report };
}

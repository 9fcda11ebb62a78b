// Exact deduplication on the normalised question text: the first record with a key is kept (input order decides,
// so the result is deterministic). Duplicates whose answers differ are listed separately: one of the two is wrong,
// which a curator wants to see rather than have silently resolved.
import { dedupeKey, normalizeText } from "./normalize.js";
import { excerpt, recordId, textField, type CurateRecord, type StepRun } from "./record.js";

export interface DedupeOptions {
  /** The text field that identifies a record (default "question"). */
  field?: string;
  /** The answer field compared between duplicates (default "answer"). */
  answerField?: string;
  /** How many duplicate groups the report lists (default 50). */
  maxExamples?: number;
}

export interface DedupeReport {
  step: "dedupe";
  records: number;
  kept: number;
  removed: number;
  /** Records without the text field (kept, never matched). */
  missingField: number;
  /** Duplicate groups: the kept record and the ids it replaced. */
  groups: { kept: string; removed: string[]; text: string }[];
  /** Duplicates whose normalised answers differ from the kept record's. */
  answerConflicts: { kept: string; keptAnswer: string; removed: string; removedAnswer: string }[];
}

export function dedupeStep(input: AsyncIterable<CurateRecord>, opts: DedupeOptions = {}): StepRun<DedupeReport> {
  const field = opts.field ?? "question";
  const answerField = opts.answerField ?? "answer";
  const maxExamples = opts.maxExamples ?? 50;
  const report: DedupeReport = { step: "dedupe", records: 0, kept: 0, removed: 0, missingField: 0, groups: [], answerConflicts: [] };
  const seen = new Map<string, { id: string; answer: string; group: number }>();
  async function* run(): AsyncGenerator<CurateRecord> {
    for await (const rec of input) {
      const pos = ++report.records;
      const text = textField(rec, field);
      if (text === "") { report.missingField++; report.kept++; yield rec; continue; }
      const key = dedupeKey(text);
      const id = recordId(rec, pos);
      const answer = normalizeText(textField(rec, answerField));
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { id, answer, group: -1 });
        report.kept++;
        yield rec;
        continue;
      }
      report.removed++;
      if (first.group === -1 && report.groups.length < maxExamples) {
        first.group = report.groups.length;
        report.groups.push({ kept: first.id, removed: [], text: excerpt(text) });
      }
      if (first.group >= 0) report.groups[first.group]!.removed.push(id);
      if (answer !== first.answer && report.answerConflicts.length < maxExamples) {
        report.answerConflicts.push({ kept: first.id, keptAnswer: first.answer, removed: id, removedAnswer: answer });
      }
    }
  }
  return { records: run(), report: () => report };
}

// `trimer curate` as a library: each step is a function over an async iterable of records that returns the
// records it keeps and its report (see record.ts), so steps compose in memory; pipeline.ts runs them over files.
export * from "./record.js";
export { normalizeText, dedupeKey, normalizeStep, type NormalizeOptions, type NormalizeReport } from "./normalize.js";
export { dedupeStep, type DedupeOptions, type DedupeReport } from "./dedupe.js";
export { shingleSet, jaccardSorted, type ShingleOptions, type ShingleKind } from "./shingles.js";
export { chooseBands, candidateProbability, createMinHasher, NearDupIndex, type BandChoice, type NearDupOptions, type NearDupStats } from "./minhash.js";
export { nearDedupeStep, type NearDedupeOptions, type NearDedupeReport } from "./neardup.js";
export { ContaminationIndex, decontaminateStep, type BenchmarkItem, type DecontamHit, type DecontamOptions, type DecontamReport } from "./decontam.js";
export { filterStep, filterReason, isProofProblem, isMultipleChoice, type FilterOptions, type FilterReport, type ProblemType } from "./filter.js";
export { domainStep, ruleDomain, parseDomainLabel, classifierPrompt, DOMAIN_LABELS, type DomainLabel, type DomainOptions, type DomainReport } from "./domain.js";
export { mixStep, apportion, largestFeasibleTotal, parseRatios, type MixOptions, type MixReport } from "./mix.js";
export { passRateStep, gradeCompletions, lowModePrompt, type PassRateOptions, type PassRateReport, type PassResult } from "./passrate.js";
export { judgeStep, parseJudgeVerdict, judgePrompt, type JudgeOptions, type JudgeReport, type JudgeVerdict } from "./judge.js";
export { readRecords, writeRecords } from "./io.js";
export { STEP_SCHEMAS, buildStep, validateSpec, loadContaminationIndex, type StepSpec, type StepContext } from "./steps.js";
export { runStep, runPipeline, readPipelineConfig, type PipelineReport, type StepResult } from "./pipeline.js";

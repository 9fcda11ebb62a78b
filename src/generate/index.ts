// `trimer generate`'s library: teacher traces per reasoning mode, with and without tool-integrated reasoning,
// rejection-sampled against the verifier, balanced across modes, written resumably. See job.ts and file.ts.
export { REASONING_MODES, MODE_INSTRUCTIONS, TOOL_INSTRUCTION, isReasoningMode, modePrompt, type ReasoningMode, type PromptBuilder, type PromptFormat } from "./prompts.js";
export {
  generateTraces, generateProblemTraces, balanceModes, mapConcurrent, bucketKey, addUsage, emptyBucket, toolSyntax,
  type TraceRecord, type GenerateOptions, type ProblemTraces, type BucketUsage, type Usage,
} from "./job.js";
export { generateTraceFile, prepareResume, estimateCost, TraceFileWriter, type GenerateFileOptions, type GenerateFileResult, type DoneLine } from "./file.js";

// GRPO's training curve in the report: the per-step metrics (OUT/grpo/grpo/metrics.jsonl) averaged over windows of
// steps, so the reader sees the reward rise, the tokens fall, the share of truncated samples under the generation
// limit, and the share of zero-variance groups (groups whose samples all earned the same reward carry no gradient:
// if that share is high, the difficulty gives GRPO nothing to learn from).
import { readJsonLines } from "../util/journal.js";

export interface GrpoWindow {
  fromStep: number;
  toStep: number;
  maxTokens: number;
  accuracy: number;
  meanResponseTokens: number;
  truncatedFraction: number;
  zeroVarianceFraction: number;
  entropy: number;
  /** Share of tokens on PPO's clipped branch (0 with one on-policy step per batch; steps logged before it: 0; reports written before it: absent). */
  clipFraction?: number;
}

/** Windows of `window` steps (a window never spans a change of the generation limit). */
export function grpoCurve(metricsPath: string, window: number): GrpoWindow[] {
  const rows = readJsonLines(metricsPath).filter((r) => typeof r.step === "number") as unknown as Record<string, number>[];
  const out: GrpoWindow[] = [];
  let cur: Record<string, number>[] = [];
  const flush = (): void => {
    if (!cur.length) return;
    const mean = (k: string): number => cur.reduce((a, r) => a + (Number.isFinite(r[k]) ? r[k]! : 0), 0) / cur.length;
    out.push({
      fromStep: cur[0]!.step!, toStep: cur[cur.length - 1]!.step!, maxTokens: cur[0]!.maxTokens!,
      accuracy: mean("accuracy"), meanResponseTokens: mean("meanResponseTokens"), truncatedFraction: mean("truncatedFraction"),
      zeroVarianceFraction: mean("zeroVarianceFraction"), entropy: mean("entropy"),
      clipFraction: mean("clipFraction"),
    });
    cur = [];
  };
  for (const r of rows) {
    if (cur.length && (cur.length >= window || r.maxTokens !== cur[0]!.maxTokens)) flush();
    cur.push(r);
  }
  flush();
  return out;
}

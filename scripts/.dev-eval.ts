// ad-hoc: greedy accuracy of checkpoints on the DEV split (tuning only; never the holdout)
import { loadEngine } from "../src/pipeline/engines.ts";
import { problemSet, STREAMS } from "../src/pipeline/corpus.ts";
import { trimerReward } from "../src/verify/reward.ts";
const [out, ...names] = process.argv.slice(2);
for (const d of [[2], [3], [4]]) {
  const dev = problemSet(1, STREAMS.dev, 100, "dev", d, ["low"]);
  for (const n of names) {
    const e = await loadEngine(`${out}/${n}/final`);
    const res = await e.sampler().sample(dev.map((p) => p.question), { n: 1, temperature: 0, maxTokens: 192 });
    let c = 0, t = 0;
    res.forEach((r, i) => { if (trimerReward(r[0]!.text, dev[i]!.answer, { lastNumberFallback: false }).correct) c++; t += r[0]!.completionTokens; });
    console.log(`d${d} ${n}: ${c}/100 tokens ${(t / 100).toFixed(1)}  e.g. ${JSON.stringify(dev[0]!.question)} -> ${JSON.stringify(res[0]![0]!.text.slice(0, 120))}`);
  }
}

import { LocalEngine } from "../src/engine/local.ts";
import { mathTokenizer } from "../src/model/tokenizer.ts";
const tok = mathTokenizer();
for (const [d, L, f] of [[96, 4, 256], [128, 4, 384], [192, 6, 512]] as const) {
  const e = LocalEngine.create({ vocab_size: tok.vocabSize, hidden_size: d, num_hidden_layers: L, num_attention_heads: 4, num_key_value_heads: 4, intermediate_size: f, max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true }, tok, 1);
  const batch = Array.from({ length: 64 }, (_, i) => { const tokens = Array.from({ length: 64 }, (_, t) => (i * 7 + t * 3) % 90 + 5); return { tokens, weights: new Array(63).fill(1) }; });
  await e.forwardBackward(batch, { type: "cross_entropy" }); await e.optimStep({ lr: 1e-3 });
  let t0 = performance.now(); const N = 5;
  for (let s = 0; s < N; s++) { await e.forwardBackward(batch, { type: "cross_entropy" }); await e.optimStep({ lr: 1e-3 }); }
  const tr = 64 * 64 * N / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  const out = await e.sampler().sample(Array.from({ length: 64 }, (_, i) => `${i % 9}*${i % 7}+3=`), { n: 1, maxTokens: 64, temperature: 1, seed: 1 });
  const gen = out.flat().reduce((a, c) => a + c.completionTokens, 0);
  console.log(`d${d} L${L}: train ${tr.toFixed(0)} tok/s, sample ${(gen / ((performance.now() - t0) / 1000)).toFixed(0)} tok/s (${gen} tokens)`);
}

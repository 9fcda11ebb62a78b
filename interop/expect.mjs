// What trimer itself computes, in-process (no server), for the interop suite's peers to be compared against:
//   node interop/expect.mjs MODEL_DIR OUT.json
// ids of a varied text sample, chat renderings, greedy continuations (chat, text, token ids) and prompt
// log-likelihoods, from the built package (dist/).
import { writeFileSync } from "node:fs";
import { LocalEngine } from "../dist/engine/local.js";
import { scorePrompts } from "../dist/serve/prompt-logprobs.js";

const [dir, out] = process.argv.slice(2);
const engine = await LocalEngine.load(dir);
const tok = engine.tokenizer;

// ASCII, LaTeX, characters outside the vocabulary (byte fallback), empty, whitespace, special-token text.
export const TEXTS = [
  "12+30=42", "Compute $\\frac{3}{4} + \\sqrt{16}$ and $x^2 - 1 \\le 0$.", "héllo wörld — naïve café", "∫₀¹ x² dx = ⅓ ≠ π",
  "emoji 😀🚀 and 中文 and Ελληνικά", "", " ", "a\r\nb\n\n\tc", "<think>2+2</think><answer>4</answer>", "<|user|>hi<eos>", "€100 ≥ £90",
];
const CHATS = [
  [{ role: "user", content: "12+30=" }],
  [{ role: "system", content: "Be brief." }, { role: "user", content: "7+8=" }],
  [{ role: "user", content: "5+5=" }, { role: "assistant", content: "10" }, { role: "user", content: "9+1= (ünïcode ∑)" }],
];
const COMPLETIONS = ["12+30=", "7+8=15\n3+", "99+1=", "x € y = "];
// lm-eval style (context, continuation) pairs; contexts and continuations are tokenized separately, no bos (lm-eval
// moves a context's trailing whitespace to the continuation, so no context here ends in one).
const PAIRS = [["12+30=", "111"], ["12+30=", "42"], ["7+8=", "15"], ["1+1=", "3"], ["€", " 5+5=10"], ["", "2+2=4"]];
const GGUF_PROMPTS = ["12+30=", "7+8=15\n3+", "π ≤ 3.2 and € 中文 😀 = ", "", "Ωmega 45+", "x"];
const N_CHAT = 24, N_GEN = 16, N_GGUF = 40;

const greedy = (rows, maxTokens, stop) => engine.sampleTokens(rows, { maxTokens, temperature: 0, ...(stop ? { stop } : {}) }).map((c) => c[0]);
const result = {
  vocabSize: tok.vocabSize,
  texts: TEXTS.map((text) => ({ text, ids: tok.encode(text, { allowSpecial: true }), decoded: tok.decode(tok.encode(text, { allowSpecial: true }), { skipSpecial: true }) })),
  chats: CHATS.map((messages) => {
    const ids = tok.renderChat(messages);
    const g = greedy([ids], N_CHAT)[0];
    return { messages, ids, greedy: g.text, greedyTokens: g.tokens, maxTokens: N_CHAT };
  }),
  completions: COMPLETIONS.map((prompt) => {
    const g = greedy([[tok.bos, ...tok.encode(prompt)]], N_CHAT)[0];
    return { prompt, greedy: g.text, maxTokens: N_CHAT };
  }),
  // lm-eval generate_until over token ids (no bos), cut at "\n".
  generate: COMPLETIONS.map((prompt) => ({ prompt, until: ["\n"], maxTokens: N_GEN, greedy: greedy([tok.encode(prompt, { allowSpecial: true })], N_GEN, ["\n", "<eos>"])[0].text })),
  // lm-eval chat generate_until: the chat rendered by the model's template.
  chatGenerate: CHATS.map((messages) => ({ messages, until: ["111"], maxTokens: N_GEN, greedy: greedy([tok.renderChat(messages)], N_GEN, ["111", "<eos>"])[0].text })),
  loglikelihood: PAIRS.map(([context, continuation]) => {
    const ctx = context === "" ? [tok.bos] : tok.encode(context, { allowSpecial: true });
    const cont = tok.encode(continuation, { allowSpecial: true });
    const row = [...ctx, ...cont];
    const s = scorePrompts(engine.model, [row], tok.vocabSize, 1)[0];
    let ll = 0, isGreedy = true;
    for (let t = ctx.length; t < row.length; t++) {
      ll += s.logprobs[t - 1];
      if (s.top[t - 1][0].token !== row[t]) isGreedy = false;
    }
    return { context, continuation, ll, isGreedy };
  }),
  gguf: GGUF_PROMPTS.map((prompt) => {
    const ids = tok.encode(prompt);
    return { prompt, ids, greedy: greedy([[tok.bos, ...ids]], N_GGUF)[0].tokens, maxTokens: N_GGUF };
  }),
};
writeFileSync(out, JSON.stringify(result, null, 1));
console.log(`expect: ${result.texts.length} texts, ${result.chats.length} chats, ${result.loglikelihood.length} loglikelihood pairs, ${result.gguf.length} GGUF prompts`);

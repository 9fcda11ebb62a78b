// Runs in the interop scratch folder (node-llama-cpp@3.21.1 installed there, not in the project): loads a GGUF with
// llama.cpp's CPU build and prints, for each prompt, llama.cpp's token ids and its greedy continuation.
//   node llama-greedy.mjs MODEL.gguf PROMPTS.json N  → JSON on stdout
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const [modelPath, promptsPath, nArg] = process.argv.slice(2);
const n = Number(nArg);
const prompts = JSON.parse(readFileSync(promptsPath, "utf8"));
// The default options try to download or build binaries and hang offline.
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: "error" });
const model = await llama.loadModel({ modelPath });
const out = [];
// One context, its sequence cleared per prompt (threads: the CI machine has 2 cores).
const context = await model.createContext({ contextSize: Math.min(model.trainContextSize, 2048), sequences: 1, threads: 2 });
const seq = context.getSequence();
for (const p of prompts) {
  const ids = model.tokenize(p, false);
  await seq.clearHistory();
  const gen = [];
  if (n > 0) {
    for await (const t of seq.evaluate([model.tokens.bos, ...ids], { temperature: 0 })) {
      gen.push(t);
      if (gen.length >= n) break;
    }
  }
  out.push({ prompt: p, ids, greedy: gen, text: model.detokenize(gen) });
}
console.log(JSON.stringify(out));
// Disposing the native objects can stall at exit; nothing is left to flush.
process.exit(0);

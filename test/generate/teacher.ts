// A scripted teacher for the generate tests: a deterministic "model" that decides its whole intended text from the
// prompt, served two ways — as an in-process Sampler and as a loopback HTTP server speaking /v1/completions — both
// applying stop strings the way a real server does (text cut before the first stop string, which is not returned).
// It counts every call per problem, so tests can prove no problem was generated twice.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Completion, Prompt, SampleOptions, Sampler } from "../../src/engine/types.js";

export interface Intent {
  /** The text the model would write if nothing stopped it. */
  text: string;
}

/** The model: prompt (the full text so far) and the call's seed → what it writes next. */
export type Model = (prompt: string, seed: number) => Intent;

/** Cuts `text` at the first stop string (the server's behaviour), and at maxTokens characters (1 char = 1 token). */
export function applyStops(text: string, stop: readonly string[] | undefined, maxTokens: number): { text: string; finishReason: "stop" | "length" } {
  let cut = -1;
  for (const s of stop ?? []) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  const stopped = cut >= 0 ? text.slice(0, cut) : text;
  if (stopped.length > maxTokens) return { text: stopped.slice(0, maxTokens), finishReason: "length" };
  return { text: stopped, finishReason: "stop" };
}

/** The question inside a generate prompt ("Problem: <q>\n…"). */
export function questionOf(prompt: string): string {
  const m = /Problem: ([^\n]*)/.exec(prompt);
  return m ? m[1]! : "";
}

/**
 * The scripted TIR teacher: for "What is A*B?" it writes a python block printing A*B; once it sees an output
 * block it answers with the number it read there. Without the tool instruction it answers directly. When
 * `wrongUnlessSeed` says so for a seed, it answers A*B+1 (an incorrect trace).
 */
export function multiplyModel(opts: { wrong?: (seed: number, prompt: string) => boolean } = {}): Model {
  return (prompt, seed) => {
    const m = /What is (\d+)\*(\d+)\?/.exec(questionOf(prompt));
    if (!m) return { text: "I do not know." };
    const a = Number(m[1]), b = Number(m[2]);
    const wrong = opts.wrong?.(seed, prompt) ?? false;
    if (prompt.includes("```python blocks")) {
      const outputs = [...prompt.matchAll(/```output\n([^`]*)```/g)];
      if (outputs.length === 0) return { text: `Let me compute it.\n\`\`\`python\nprint(${a}*${b})\n\`\`\`\nand then answer.` };
      const seen = Number(outputs[outputs.length - 1]![1]!.trim());
      return { text: `The program printed ${seen}, so the answer is \\boxed{${wrong ? seen + 1 : seen}}.` };
    }
    return { text: `${a} times ${b} is ${a * b}. \\boxed{${wrong ? a * b + 1 : a * b}}` };
  };
}

/** Calls per problem question, over the sampler's / server's life. */
export class CallCounter {
  readonly byQuestion = new Map<string, number>();
  total = 0;
  count(prompt: string): void {
    this.total++;
    const q = questionOf(prompt);
    this.byQuestion.set(q, (this.byQuestion.get(q) ?? 0) + 1);
  }
}

/** The model as an in-process Sampler (text prompts only). */
export function scriptedSampler(model: Model, counter = new CallCounter()): Sampler & { counter: CallCounter; prompts: string[] } {
  const prompts: string[] = [];
  return {
    counter,
    prompts,
    sample(ps: Prompt[], o: SampleOptions): Promise<Completion[][]> {
      return Promise.resolve(ps.map((p) => {
        if (typeof p !== "string") throw new Error("scripted sampler: text prompts only");
        prompts.push(p);
        return Array.from({ length: o.n ?? 1 }, (_, j) => {
          counter.count(p);
          const r = applyStops(model(p, (o.seed ?? 0) + j).text, o.stop, o.maxTokens);
          return { text: r.text, completionTokens: r.text.length, promptTokens: p.length, finishReason: r.finishReason };
        });
      }));
    },
  };
}

export interface ScriptedServer {
  url: string;
  counter: CallCounter;
  close(): Promise<void>;
}

/** The model behind POST /v1/completions on 127.0.0.1 (an ephemeral port), answering after `delayMs`. */
export async function startScriptedServer(model: Model, opts: { delayMs?: number } = {}): Promise<ScriptedServer> {
  const counter = new CallCounter();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/v1/completions") return reply(404, { error: { message: `no route ${req.method} ${req.url}` } });
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { prompt: string; n?: number; max_tokens: number; stop?: string[]; seed?: number };
      const n = body.n ?? 1;
      const choices = Array.from({ length: n }, (_, j) => {
        counter.count(body.prompt);
        const r = applyStops(model(body.prompt, (body.seed ?? 0) + j).text, body.stop, body.max_tokens);
        return { index: j, text: r.text, finish_reason: r.finishReason === "length" ? "length" : "stop" };
      });
      const completionTokens = choices.reduce((s, c) => s + c.text.length, 0);
      setTimeout(() => reply(200, { object: "text_completion", choices, usage: { prompt_tokens: body.prompt.length, completion_tokens: completionTokens } }), opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    counter,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Problems "What is A*B?" with their answers. */
export function multiplyProblems(n: number): { id: string; source: string; domain: string; difficulty: number; question: string; answer: string; meta: Record<string, never> }[] {
  return Array.from({ length: n }, (_, i) => {
    const a = 3 + i, b = 7 + 2 * i;
    return { id: `mul/${i}`, source: "test", domain: "arithmetic", difficulty: 1, question: `What is ${a}*${b}?`, answer: String(a * b), meta: {} };
  });
}

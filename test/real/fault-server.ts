// A fault-injecting OpenAI-compatible server on loopback, for the sampler tests. Each prompt carries its own
// script of faults: a prompt containing "[faults:429,drop,ok]" gets a 429 on its first attempt, a dropped
// connection on its second and a real answer on the third. Every answer is a pure function of the prompt and the
// choice index, so the client's output can be checked for lost, duplicated or mixed-up completions.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "ok" | "429" | "500" | "503" | "400" | "401" | "timeout" | "malformed" | "drop" | "dropbody" | "wrongn" | "huge";

export interface FaultServer {
  url: string;                          // base URL ending in /v1
  attempts: Map<string, number>;        // prompt text → attempts seen
  answered: Map<string, number>;        // prompt text → 200 OK answers with a full body
  bodies: Record<string, unknown>[];    // every parsed request body, in arrival order
  authHeaders: (string | undefined)[];
  /** Most requests the server held at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** The text the server generates for choice j of a prompt. */
export function expectedText(prompt: string, j: number): string {
  return `answer(${prompt})#${j}`;
}

function promptKey(body: Record<string, unknown>): string {
  if (typeof body.prompt === "string") return body.prompt;
  const msgs = body.messages as { content: string }[];
  return msgs.map((m) => m.content).join("\n");
}

function faultsOf(text: string): Fault[] {
  const m = /\[faults:([a-z0-9,]+)\]/.exec(text);
  return m ? (m[1]!.split(",") as Fault[]) : ["ok"];
}

export async function startFaultServer(): Promise<FaultServer> {
  const attempts = new Map<string, number>();
  const answered = new Map<string, number>();
  const bodies: Record<string, unknown>[] = [];
  const authHeaders: (string | undefined)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const done = (): void => { if (counted) { counted = false; inFlight--; } };
    res.on("close", done);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      bodies.push(body);
      authHeaders.push(req.headers.authorization);
      const key = promptKey(body);
      const k = attempts.get(key) ?? 0;
      attempts.set(key, k + 1);
      const script = faultsOf(key);
      const fault = script[Math.min(k, script.length - 1)]!;
      const n = typeof body.n === "number" ? body.n : 1;
      const chat = req.url === "/v1/chat/completions";
      const choices = Array.from({ length: fault === "wrongn" ? n + 1 : n }, (_, j) => {
        const text = expectedText(key, j);
        return chat
          ? { index: j, message: { role: "assistant", content: text }, finish_reason: j % 2 ? "length" : "stop" }
          : { index: j, text, finish_reason: j % 2 ? "length" : "stop" };
      });
      // Reverse the choices: clients must order by `index`, not by position.
      const ok = JSON.stringify({ id: "x", object: chat ? "chat.completion" : "text_completion", choices: choices.reverse(), usage: { prompt_tokens: 7, completion_tokens: 10 * n, total_tokens: 7 + 10 * n } });
      switch (fault) {
        case "ok":
        case "wrongn":
          if (fault === "ok") answered.set(key, (answered.get(key) ?? 0) + 1);
          res.writeHead(200, { "content-type": "application/json" }).end(ok);
          return;
        case "429":
          res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "1" }).end(JSON.stringify({ error: { message: "Rate limit reached" } }));
          return;
        case "500":
        case "503":
          res.writeHead(Number(fault), { "content-type": "text/html" }).end("<html>upstream error</html>");
          return;
        case "400":
        case "401":
          res.writeHead(Number(fault), { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `bad request: max_tokens is too large (${fault})` } }));
          return;
        case "huge":
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [], pad: "x".repeat(200_000) }));
          return;
        case "timeout":
          return; // never answer; the client's deadline must fire
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" }).end(ok.slice(0, Math.floor(ok.length / 2)));
          return;
        case "drop":
          req.socket.destroy();
          return;
        case "dropbody":
          // Promise a long body, send half, then cut the connection.
          res.writeHead(200, { "content-type": "application/json", "content-length": String(ok.length) });
          res.write(ok.slice(0, 10));
          setTimeout(() => req.socket.destroy(), 5);
          return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    attempts,
    answered,
    bodies,
    authHeaders,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

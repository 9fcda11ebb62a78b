// The bare load generator the client and serve benchmarks share: a JSON POST over node:http with a keep-alive
// agent (what wrk or oha cost: no SDK, no retries beyond the one below, no bookkeeping).
import http from "node:http";

/** post(body) POSTs `body` (already JSON) to `url`, resolves the parsed answer, rejects on a non-200 status. */
export function keepAlivePoster(url: URL, maxSockets: number): { post: (body: string) => Promise<unknown>; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const once = (body: string): Promise<unknown> => new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString();
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        resolve(JSON.parse(text));
      });
      res.on("error", reject);
    });
    req.on("error", (e: NodeJS.ErrnoException) => reject(Object.assign(e, { reused: req.reusedSocket })));
    req.end(body);
  });
  // A kept-alive socket the server closed (its keep-alive timeout) while idle between bursts: send again once, as
  // Node's documentation advises for reused sockets.
  const post = (body: string): Promise<unknown> => once(body).catch((e: NodeJS.ErrnoException & { reused?: boolean }) => {
    if (e.reused && e.code === "ECONNRESET") return once(body);
    throw e;
  });
  return { post, close: () => agent.destroy() };
}

// The trivial OpenAI-compatible server for bench/client: answers every POST with the same small chat completion,
// so what is measured is the client's overhead. Runs in its own process (the client must not share its event loop).
// Prints "PORT <n>" when listening; exits when its parent disconnects.
import http from "node:http";
import type { AddressInfo } from "node:net";

const body = JSON.stringify({
  id: "chatcmpl-bench", object: "chat.completion", created: 0, model: "bench",
  choices: [{ index: 0, message: { role: "assistant", content: "The answer is \\boxed{42}." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
});
const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, headers); res.end(body); });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
});
process.on("disconnect", () => process.exit(0));

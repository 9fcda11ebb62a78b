// integrations/trimer_verl_sandbox_tool.py against a live `trimer serve-sandbox` on loopback (real CLI). verl is
// not installable here: its BaseTool / ToolResponse are stood in by minimal classes with verl's signatures
// (verl/tools/base_tool.py, verl/tools/schemas.py), registered under verl's module names before the file is loaded,
// and the tool is driven the way verl's agent loop drives it (create → execute → release).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { findPython, runPython, INTEGRATIONS, ROOT } from "./helpers.js";

const py = findPython();
const skip = "skip" in py ? py.skip : false;
let child: ChildProcess | undefined;
let url = "";

before(async () => {
  if (skip) return;
  child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "serve-sandbox", "--port", "0", "--workers", "1", "--token", "sbx"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-sandbox did not start: ${out}`)), 120_000);
    const on = (c: Buffer): void => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(`${m[1]!}/execute`); }
    };
    child!.stdout!.on("data", on);
    child!.stderr!.on("data", on);
    child!.once("exit", (code) => { clearTimeout(timer); reject(new Error(`serve-sandbox exited ${code}: ${out}`)); });
  });
});
after(async () => {
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => { child!.once("exit", () => resolve()); child!.kill("SIGTERM"); });
  }
});

const STUB_VERL = `
import sys, types, importlib.util, json, asyncio, os
verl = types.ModuleType("verl"); tools = types.ModuleType("verl.tools")
base = types.ModuleType("verl.tools.base_tool"); schemas = types.ModuleType("verl.tools.schemas")
class ToolResponse:
    def __init__(self, text=None, image=None, video=None): self.text = text
class BaseTool:
    def __init__(self, config, tool_schema): self.config = config; self.tool_schema = tool_schema
base.BaseTool = BaseTool; schemas.ToolResponse = ToolResponse
sys.modules.update({"verl": verl, "verl.tools": tools, "verl.tools.base_tool": base, "verl.tools.schemas": schemas})
spec = importlib.util.spec_from_file_location("trimer_verl_sandbox_tool", os.path.join(${JSON.stringify(INTEGRATIONS)}, "trimer_verl_sandbox_tool.py"))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
inp = json.load(sys.stdin)
`;

test("verl tool: create → execute → release runs the code in trimer's sandbox", { skip, timeout: 180_000 }, async () => {
  const code = `${STUB_VERL}
async def main():
    tool = m.TrimerSandboxTool({"url": inp["url"], "token": "sbx", "default_timeout": 5}, {"type": "function"})
    iid, _ = await tool.create()
    ok, reward, metrics = await tool.execute(iid, {"code": "print(sum(range(101)))"})
    err, _, _ = await tool.execute(iid, {"code": "1/0"})
    slow, _, _ = await tool.execute(iid, {"code": "while True: pass", "timeout": 1})
    await tool.release(iid)
    bad = m.TrimerSandboxTool({"url": inp["url"], "token": "wrong"}, {})
    denied, _, _ = await bad.execute("x", {"code": "print(1)"})
    return {"ok": ok.text, "reward": reward, "err": err.text, "slow": slow.text, "denied": denied.text,
            "dead": m.tool_text("http://127.0.0.1:9/execute", "print(1)")}
print(json.dumps(asyncio.run(main())))
`;
  const r = await runPython<Record<string, string | null>>((py as { python: string }).python, code, { url }, {}, 120_000);
  assert.equal(r.ok, "5050\n");
  assert.equal(r.reward, null);
  assert.match(r.err!, /ZeroDivisionError/);
  assert.match(r.slow!, /Timed out/);
  assert.match(r.denied!, /^sandbox error: HTTP 401/);
  assert.match(r.dead!, /^sandbox error: /);
});

test("without verl the file still imports, and execute_code speaks NeMo-Skills' /execute", { skip, timeout: 120_000 }, async () => {
  const code = `
import importlib.util, json, sys, os
spec = importlib.util.spec_from_file_location("t", os.path.join(${JSON.stringify(INTEGRATIONS)}, "trimer_verl_sandbox_tool.py"))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
inp = json.load(sys.stdin)
print(json.dumps({"has_tool": hasattr(m, "TrimerSandboxTool"), "out": m.execute_code(inp["url"], "import math; print(math.factorial(10))", 5, "sbx")}))
`;
  const r = await runPython<{ has_tool: boolean; out: { process_status: string; stdout: string } }>((py as { python: string }).python, code, { url });
  assert.equal(r.has_tool, false);
  assert.equal(r.out.process_status, "completed");
  assert.equal(r.out.stdout, "3628800\n");
});

"""A verl code-interpreter tool that runs the model's Python in `trimer serve-sandbox`.

verl's own SandboxFusionTool speaks SandboxFusion's /run_code; trimer's sandbox speaks NeMo-Skills' /execute
({"generated_code", "timeout", "language"} → {"process_status", "stdout", "stderr"}). This file bridges the two:
`execute_code()` is standard library only; `TrimerSandboxTool` (defined when verl is importable) is a verl
BaseTool with the same tool schema and answers as SandboxFusionTool.

    trimer serve-sandbox --port 6000 --workers 8 --token s3cret

tool_config.yaml (pass with actor_rollout_ref.rollout.multi_turn.tool_config_path=tool_config.yaml and put this
folder on PYTHONPATH of verl's workers):

    tools:
      - class_name: "trimer_verl_sandbox_tool.TrimerSandboxTool"
        config:
          url: "http://SANDBOX_HOST:6000/execute"
          token: "s3cret"          # or TRIMER_SANDBOX_TOKEN in the workers' environment
          default_timeout: 10
          type: native
        tool_schema:
          type: "function"
          function:
            name: "code_interpreter"
            description: "A tool for executing code."
            parameters:
              type: "object"
              properties:
                code: {type: "string", description: "The code to execute."}
              required: ["code"]

The tool's text is stdout followed by stderr, as SandboxFusionTool returns; a run that timed out or failed says
so in its text, and a sandbox that cannot be reached gives "sandbox error: …" (the rollout goes on, the model sees
the failure) rather than crashing the rollout worker.
"""

import json
import os
import urllib.error
import urllib.request
from uuid import uuid4


def execute_code(url, code, timeout=10, token=None, language="ipython"):
    """Runs `code` in trimer's sandbox; returns its JSON answer (process_status, stdout, stderr)."""
    token = token if token is not None else os.environ.get("TRIMER_SANDBOX_TOKEN")
    body = json.dumps({"generated_code": code, "timeout": timeout, "language": language}).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    # The HTTP wait covers the run's own time limit plus the trip.
    with urllib.request.urlopen(request, timeout=float(timeout) + 30) as response:
        return json.loads(response.read().decode("utf-8"))


def tool_text(url, code, timeout=10, token=None):
    """What the model sees: stdout + stderr, a note when the run did not complete, or the sandbox error."""
    try:
        out = execute_code(url, code, timeout, token)
    except urllib.error.HTTPError as e:
        return "sandbox error: HTTP %d %s" % (e.code, e.read().decode("utf-8", "replace")[:200])
    except (urllib.error.URLError, OSError, ValueError) as e:
        return "sandbox error: %s" % (getattr(e, "reason", e),)
    text = (out.get("stdout") or "") + (out.get("stderr") or "")
    status = out.get("process_status")
    if status == "timeout" and "Timed out" not in text:
        text += "\nTimed out"
    return text


try:
    from verl.tools.base_tool import BaseTool
    from verl.tools.schemas import ToolResponse
except ImportError:  # verl is not installed: execute_code / tool_text still work.
    BaseTool = None

if BaseTool is not None:

    class TrimerSandboxTool(BaseTool):
        """verl tool: {"code": ...} → the sandbox's output; no reward of its own (as SandboxFusionTool)."""

        def __init__(self, config, tool_schema):
            super().__init__(config, tool_schema)
            self.url = config.get("url") or os.environ.get("TRIMER_SANDBOX_URL") or "http://127.0.0.1:6000/execute"
            self.token = config.get("token")
            self.default_timeout = config.get("default_timeout", 10)
            self._instances = {}

        async def create(self, instance_id=None, **kwargs):
            instance_id = instance_id or str(uuid4())
            self._instances[instance_id] = {}
            return instance_id, ToolResponse()

        async def execute(self, instance_id, parameters, **kwargs):
            import asyncio

            code = parameters.get("code", "")
            timeout = parameters.get("timeout", self.default_timeout)
            text = await asyncio.to_thread(tool_text, self.url, str(code), timeout, self.token)
            return ToolResponse(text=text), None, None

        async def calc_reward(self, instance_id, **kwargs):
            return 0.0

        async def release(self, instance_id, **kwargs):
            self._instances.pop(instance_id, None)

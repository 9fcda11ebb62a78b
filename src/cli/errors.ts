// The one line the CLI prints for an error, and its exit code: 2 for the user's mistakes (flags, files, a port in
// use, a server that cannot be reached), 1 for anything else — still one line, with the way to see the trace.
export function describeError(err: unknown): { message: string; code: number } {
  if (!(err instanceof Error)) return { message: `${String(err)} (TRIMER_DEBUG=1 for details)`, code: 1 };
  if (err.name === "UsageError" || err.name === "InputError") return { message: err.message, code: 2 };
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; status?: number };
  if (e.code === "EADDRINUSE") {
    return { message: `port ${e.port ?? "?"} on ${e.address ?? "?"} is in use — stop the process holding it, or pick another --port (0 picks a free one)`, code: 2 };
  }
  if (e.code === "EACCES" && e.syscall === "listen") {
    return { message: `not allowed to listen on port ${e.port ?? "?"} — use a port above 1023`, code: 2 };
  }
  if (e.code === "ENOENT" && e.path) return { message: `${e.path}: no such file or folder — check the path`, code: 2 };
  if (e.code === "EACCES" && e.path) return { message: `${e.path}: permission denied`, code: 2 };
  if (e.code === "ENOSPC") return { message: `no space left on the device${e.path ? ` (writing ${e.path})` : ""} — free some space; long jobs resume with --resume`, code: 1 };
  if (err.name === "OpenAIRequestError") {
    const hint = e.status === 404 ? " — check --model (GET <url>/models lists the served names) and that --url ends in /v1"
      : e.status === 401 || e.status === 403 ? " — pass --api-key (or TRIMER_API_KEY)"
      : e.status === 400 ? " — the server rejected the request (a prompt longer than its context? see --max-tokens)"
      : e.status === undefined ? " — is the server running at --url?" : "";
    return { message: `the model server failed: ${err.message}${hint}`, code: 2 };
  }
  const ctx = /prompt (\d+) has (\d+) tokens; the context is (\d+)/.exec(err.message);
  if (ctx) {
    return { message: `a prompt is longer than the model's context (${ctx[2]} tokens, context ${ctx[3]}) — use a model with a longer context, shorter prompts (--limit/--in a filtered file), or a server`, code: 2 };
  }
  if (err instanceof RangeError && /Array buffer allocation|Invalid typed array length|Invalid array length/i.test(err.message)) {
    return { message: `out of memory: ${err.message} — the model or batch is too large for this machine`, code: 1 };
  }
  return { message: `${err.message} (an internal error; TRIMER_DEBUG=1 prints the stack trace)`, code: 1 };
}

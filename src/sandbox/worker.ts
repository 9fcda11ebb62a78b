// Entry point of one Pyodide sandbox worker: a child process of the host (index.ts) with its own memory, which the
// host measures and kills past its cap — JS buffers included, which a worker thread's limits do not cover. It
// loads Pyodide, locks itself down, then runs programs on request; the host replaces it after every program, so
// each program gets a fresh interpreter. Start-up order matters: Pyodide needs `fs`, `process` and friends to read
// its own files, so it loads first and the lock-down (lockdown.ts) comes after, before the first untrusted line.
// (It also runs as a worker thread, given `workerData`; the host no longer starts it that way.)
import { parentPort, workerData } from "node:worker_threads";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { auditLockdown, capWasmMemory, denyWasmImports, globalsLeft, lockDownGlobals, neuterBuiltins } from "./lockdown.js";
import { PRELOAD_PY, SETUP_PY } from "./runner-py.js";
import type { AuditRequest, DoneMessage, OutputMessage, RunRequest, WorkerMessage, WorkerSettings } from "./protocol.js";

interface PyCallable {
  (code: string, ipython: boolean): unknown;
}
interface PyodideLike {
  runPython(code: string): unknown;
  globals: { get(name: string): PyCallable };
  setInterruptBuffer(buffer: Int32Array): void;
  setStdout(opts: { write: (buf: Uint8Array) => number; isatty?: boolean }): void;
  setStdin(opts: { error: boolean }): void;
  setStderr(opts: { write: (buf: Uint8Array) => number; isatty?: boolean }): void;
  unregisterJsModule(name: string): void;
  makeMemorySnapshot(): Uint8Array;
  FS: { filesystems: Record<string, unknown> };
}

/** The channel to the host, captured before lock-down removes `process` from the global scope. */
interface HostPort {
  post(m: WorkerMessage): void;
  on(cb: (m: unknown) => void): void;
}
function hostPort(): HostPort {
  const thread = parentPort;
  if (thread) return { post: (m) => thread.postMessage(m), on: (cb) => thread.on("message", cb) };
  const sendIpc = process.send?.bind(process);
  if (!sendIpc) throw new Error("sandbox worker must run as a child process with an IPC channel (or a worker thread)");
  const on = process.on.bind(process);
  // A host that goes away takes its workers with it.
  process.on("disconnect", () => process.exit(0));
  return { post: (m) => { sendIpc(m); }, on: (cb) => { on("message", cb); } };
}
const port = hostPort();
const send = (m: WorkerMessage): void => port.post(m);
const early: unknown[] = [];
let deliver: ((m: unknown) => void) | null = null;
port.on((m) => (deliver ? deliver(m) : early.push(m)));
/** Settings: workerData in a thread; the host's first message ({type: "init"}) in a child process. */
function settingsFromHost(): Promise<WorkerSettings> {
  if (parentPort) return Promise.resolve(workerData as WorkerSettings);
  return new Promise((resolve) => {
    deliver = (m) => {
      const init = m as { type?: string; settings?: WorkerSettings };
      if (init?.type === "init" && init.settings) {
        deliver = null;
        resolve(init.settings);
      }
    };
    for (const m of early.splice(0)) deliver?.(m);
  });
}
const now = performance.now.bind(performance); // taken before lock-down swaps `performance` for a stand-in

/** Output is sent to the host at least this often (ms) while a program prints, so a killed program keeps it. */
const SEND_EVERY_MS = 20;

/** Output of the current run: counted against the limit, streamed to the host in pieces. */
class OutputSink {
  private used = 0;
  private pending: { stream: "stdout" | "stderr"; text: string } | null = null;
  private lastSent = -Infinity;
  private decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  truncated = false;
  constructor(private readonly id: number, private readonly limit: number, private readonly stop: () => void) {}

  write(stream: "stdout" | "stderr", bytes: Uint8Array): number {
    if (this.truncated) return bytes.length; // discard: the program is being stopped
    const room = this.limit - this.used;
    // UTF-8 spends at most 3 bytes per UTF-16 unit, so 3·room + 3 bytes always decode to more than `room` units: a
    // 100 MB print costs a slice, not a 100 MB decode.
    const view = bytes.length > 3 * room + 3 ? bytes.subarray(0, 3 * room + 3) : bytes;
    let text = this.decoders[stream].decode(view, { stream: true });
    if (text.length > room || view !== bytes) {
      text = text.slice(0, room);
      this.truncated = true;
    }
    this.used += text.length;
    if (this.pending && this.pending.stream !== stream) this.flush();
    this.pending = this.pending ? { stream, text: this.pending.text + text } : { stream, text };
    if (this.truncated) {
      this.flush(); // the host must have everything now: a program that ignores the stop is killed, not asked
      this.stop();
    } else if (this.pending.text.length >= 4096 || now() - this.lastSent >= SEND_EVERY_MS) {
      // Batched for speed (a print loop makes one message per 4 KB or per 20 ms, not per line), yet prompt: the
      // first write of a run goes out at once, and a program killed for its timeout loses at most 20 ms of output.
      this.flush();
    }
    return bytes.length;
  }

  flush(): void {
    if (this.pending && (this.pending.text || this.truncated)) {
      const m: OutputMessage = {
        type: "output", id: this.id, stream: this.pending.stream, text: this.pending.text, truncated: this.truncated,
      };
      send(m);
      this.lastSent = now();
    }
    this.pending = null;
  }
}

interface Handlers {
  run(req: RunRequest): void;
  audit(): void;
}

async function start(settings: WorkerSettings): Promise<Handlers> {
  capWasmMemory(settings.wasmMemoryMb * 1024 * 1024);
  denyWasmImports();
  const requireBuiltin = createRequire(import.meta.url);
  // In a child process the buffer is this process's own (the host stops a late program by killing the process);
  // the output limit still interrupts through it from the inside.
  const interrupt = new Int32Array(settings.interrupt ?? new SharedArrayBuffer(4));
  const indexURL = settings.indexDir.endsWith("/") ? settings.indexDir : settings.indexDir + "/";
  const mod = (await import(pathToFileURL(join(settings.indexDir, "pyodide.mjs")).href)) as {
    loadPyodide(o: Record<string, unknown>): Promise<PyodideLike>;
  };
  let sink: OutputSink | null = null;
  const quiet = (): void => {};
  const py = await mod.loadPyodide({
    indexURL,
    // The `js` module would otherwise be globalThis; give it an empty object (the import is blocked as well).
    jsglobals: Object.create(null) as object,
    env: { HOME: "/home/pyodide" },
    stdout: quiet,
    stderr: quiet,
    packages: [],
    checkAPIVersion: true,
    _makeSnapshot: settings.makeSnapshot === true,
    // A copy: bytes that crossed the IPC channel may sit at an offset Pyodide's 32-bit views cannot start at.
    ...(settings.snapshot ? { _loadSnapshot: new Uint8Array(settings.snapshot) } : {}),
    ...(settings.snapshotPath ? { _loadSnapshot: new Uint8Array(readFileSync(settings.snapshotPath)) } : {}),
  });
  delete settings.snapshot; // 30 MB this thread no longer needs
  if (settings.makeSnapshot) {
    // The modules every worker preloads go into the snapshot (imports only; the runner's set-up comes later).
    py.runPython(PRELOAD_PY);
    // Pristine interpreter, nothing of ours or of any program in it yet. Sent as a copy (structured clone), never
    // a view of this thread's wasm memory.
    send({ type: "snapshot", data: py.makeMemorySnapshot() });
  }
  py.setStdout({ write: (b) => (sink ? sink.write("stdout", b) : b.length), isatty: false });
  py.setStderr({ write: (b) => (sink ? sink.write("stderr", b) : b.length), isatty: false });
  py.setInterruptBuffer(interrupt);
  // No stdin: input() fails at once instead of reading the host process's fd 0.
  py.setStdin({ error: true });
  py.unregisterJsModule("js");
  py.unregisterJsModule("pyodide_js");
  // Python cannot reach the FS object once the bridge is closed; removing the host-backed file systems anyway
  // means that even a leaked FS handle cannot mount the host's disk.
  for (const name of ["NODEFS", "WORKERFS", "PROXYFS", "NATIVEFS_ASYNC", "IDBFS"]) delete py.FS.filesystems[name];
  py.runPython(SETUP_PY);
  const runProgram = py.globals.get("_trimer_run");
  const { syncBuiltinESMExports } = requireBuiltin("node:module") as typeof import("node:module");
  neuterBuiltins(requireBuiltin);
  syncBuiltinESMExports(); // carry the stubs over to the ESM namespaces Pyodide imported (`await import("node:fs")`)
  lockDownGlobals();

  const audit = (): void => send({ type: "audit", report: { globalsLeft: globalsLeft(), probes: auditLockdown(requireBuiltin) } });

  const run = (req: RunRequest): void => {
    Atomics.store(interrupt, 0, 0);
    let outputLimitHit = false;
    sink = new OutputSink(req.id, req.maxOutputChars, () => {
      outputLimitHit = true;
      Atomics.store(interrupt, 0, 2); // SIGINT: KeyboardInterrupt at the program's next bytecode boundary
    });
    let outcome: DoneMessage["outcome"] = "error";
    let fatal = false;
    try {
      const r = runProgram(req.code, req.ipython === true);
      outcome = r === "completed" || r === "error" || r === "interrupted" ? r : "error";
    } catch (e) {
      // The runner catches every Python exception, so reaching here means the interpreter itself broke (wasm stack
      // overflow, a late interrupt during clean-up …): report it and let the host replace this worker.
      fatal = true;
      const why = e instanceof Error ? e.message.split("\n").slice(-3).join(" ") : String(e);
      const text = `sandbox: the Python interpreter aborted (${why}); its worker is being replaced\n`;
      sink.write("stderr", new TextEncoder().encode(text));
    }
    if (outputLimitHit) outcome = "output-limit";
    sink.flush();
    const done: DoneMessage = { type: "done", id: req.id, outcome, truncated: sink.truncated, fatal };
    sink = null;
    Atomics.store(interrupt, 0, 0);
    send(done);
  };
  return { run, audit };
}

settingsFromHost().then(start).then(
  (handlers) => {
    const handle = (raw: unknown): void => {
      const m = raw as RunRequest | AuditRequest;
      if (m?.type === "run") handlers.run(m);
      else if (m?.type === "audit") handlers.audit();
    };
    deliver = handle;
    for (const m of early.splice(0)) handle(m);
    send({ type: "ready" });
  },
  (e: unknown) => send({ type: "start-error", message: e instanceof Error ? e.message : String(e) }),
);

// ProcessSandbox: the system's CPython 3 (with sympy and numpy from Debian) under bubblewrap — the default backend
// where bwrap and /usr/bin/python3 exist. Each worker slot is one bwrap sandbox (new user, network, PID, IPC, UTS
// and mount namespaces; read-only /usr, private tmpfs for /tmp, /work and /dev/shm; no /proc, no host home, no
// environment, no capabilities, no nested user namespaces) whose PID 1 is a "zygote" (zygote-py.ts) that has
// imported the math modules once and forks one child per program: every program starts from a pristine interpreter
// without paying sympy's import. Limits the kernel enforces in the child: RLIMIT_AS (memory), RLIMIT_CPU,
// RLIMIT_NPROC (fork and thread bombs), RLIMIT_FSIZE, RLIMIT_NOFILE, tmpfs sizes; the zygote kills every process of
// the sandbox at the wall-clock limit; the host kills the whole sandbox when the zygote itself does not answer in
// time. Stateful sessions get a sandbox of their own (see zygote-py.ts).
//
//   const sb = await ProcessSandbox.create({ workers: 2 });
//   await sb.run("import sympy\nprint(sympy.factor(sympy.Symbol('x')**4 - 1))");
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { ZYGOTE_PY } from "./zygote-py.js";
import { checkRunArgs, notRun, positiveOption, type CodeSandbox, type RunOptions, type RunResult, type RunStatus } from "./types.js";

export interface ProcessSandboxOptions {
  /** Sandboxes (each one program at a time) for stateless runs (default 2). */
  workers?: number;
  /** Default wall-clock limit per program, ms (default 10 000). */
  timeoutMs?: number;
  /** Address-space cap (RLIMIT_AS) of a program's process, MiB; the preloaded modules count (default 1024). */
  memoryMb?: number;
  /** stdout + stderr bytes kept; beyond, the program is stopped (default 100 000). */
  maxOutputChars?: number;
  /** Largest file a program may write (RLIMIT_FSIZE), MiB (default 16). */
  fileMb?: number;
  /** Size of each private tmpfs (/tmp, /work, /dev/shm), MiB (default 64). */
  scratchMb?: number;
  /** Open descriptors per process (RLIMIT_NOFILE, default 64). */
  openFiles?: number;
  /** Processes + threads in one sandbox (RLIMIT_NPROC, the zygote included; default 32). */
  processes?: number;
  /** Sessions alive at once (default 16); a new one beyond is refused. */
  maxSessions?: number;
  /** A session unused this long is ended, ms (default 300 000). */
  sessionIdleMs?: number;
  /** CPU seconds a session's interpreter may use over its life (default 600). */
  sessionCpuSeconds?: number;
  /** Modules imported once by the zygote, when installed (default: sympy, numpy, mpmath and the math stdlib). */
  preload?: string[];
  /** The interpreter, a path inside /usr (default /usr/bin/python3). */
  python?: string;
  /** bubblewrap (default: bwrap on PATH, else /usr/bin/bwrap). */
  bwrap?: string;
  /** The sandboxes do not keep the Node process alive (a process-wide default sandbox); they end with it. */
  unref?: boolean;
}

const DEFAULT_PRELOAD = [
  "sympy", "numpy", "mpmath", "scipy", "networkx",
  "math", "cmath", "fractions", "decimal", "itertools", "functools", "collections", "statistics", "random", "re",
  "heapq", "bisect", "string", "operator", "numbers", "json", "datetime", "typing", "copy", "array", "time",
];

/** How long past a program's own limit the host waits for the zygote's answer before killing the sandbox. */
const HOST_GRACE_MS = 3000;
const START_TIMEOUT_MS = 60_000;

interface ZygoteRequest {
  op: "run";
  id: number;
  code: string;
  timeout: number;
  ipython: boolean;
  maxOutput: number;
}
interface ZygoteReply {
  id: number;
  status: RunStatus;
  stdout: string;
  stderr: string;
  truncated: boolean;
}
interface ZygoteReady {
  ready: true;
  python: string;
  preloaded: string[];
}

function positive(value: number | undefined, name: string, fallback: number, integer: boolean): number {
  return positiveOption("ProcessSandbox", value, name, fallback, integer);
}

function findBwrap(given?: string): string | null {
  if (given) return existsSync(given) ? given : null;
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean).concat(["/usr/bin", "/bin"])) {
    if (existsSync(`${dir}/bwrap`)) return `${dir}/bwrap`;
  }
  return null;
}

/** The bwrap arguments for one sandbox, up to (not including) the command. */
export function bwrapArgs(scratchBytes: number): string[] {
  const args = [
    "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--as-pid-1",
    "--clearenv", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
    "--ro-bind", "/usr", "/usr",
  ];
  // Merged /usr (Debian 12+): /lib, /bin … are links into /usr; elsewhere they are bound read-only as they are.
  for (const p of ["/lib", "/lib64", "/lib32", "/bin", "/sbin"]) {
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) args.push("--symlink", `usr${p}`, p);
    else args.push("--ro-bind", p, p);
  }
  // numpy finds its BLAS through Debian's alternatives links; the loader cache speeds up library look-ups.
  args.push("--ro-bind-try", "/etc/alternatives", "/etc/alternatives", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache");
  const size = String(scratchBytes);
  args.push(
    "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
    "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/work", "--remount-ro", "/", "--chdir", "/work",
    "--setenv", "HOME", "/work", "--setenv", "LANG", "C.UTF-8", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
    "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "MKL_NUM_THREADS", "1",
  );
  return args;
}

let availability: { ok: true } | { ok: false; why: string } | null = null;

/**
 * Whether the process backend can run here: bwrap present and able to create its namespaces, and the interpreter
 * present. Checked once (a 20-50 ms trial sandbox) and cached.
 */
export function processBackendAvailable(python = "/usr/bin/python3"): { ok: true } | { ok: false; why: string } {
  if (availability) return availability;
  const bwrap = findBwrap();
  if (process.platform !== "linux") availability = { ok: false, why: `the process backend needs Linux (this is ${process.platform})` };
  else if (!bwrap) availability = { ok: false, why: "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)" };
  else if (!existsSync(python)) availability = { ok: false, why: `${python} is missing (Debian: apt-get install python3 python3-sympy python3-numpy)` };
  else {
    const r = spawnSync(bwrap, [...bwrapArgs(1 << 20), python, "-I", "-c", "print('ok')"], { encoding: "utf8", timeout: 15_000, env: {} });
    availability = r.status === 0 && r.stdout.trim() === "ok"
      ? { ok: true }
      : { ok: false, why: `bwrap cannot create a sandbox here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]}` };
  }
  return availability;
}

/** One bwrap sandbox with its zygote; answers one request at a time. */
class Zygote {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly ready: Promise<ZygoteReady>;
  private buf = "";
  private waiting = new Map<number, (r: ZygoteReply) => void>();
  dead = false;
  info: ZygoteReady | null = null;

  constructor(bwrap: string, python: string, cfg: Record<string, unknown>, scratchBytes: number, private readonly onDeath: (z: Zygote) => void, unref = false) {
    this.proc = spawn(bwrap, [...bwrapArgs(scratchBytes), python, "-I", "-c", ZYGOTE_PY, JSON.stringify(cfg)], {
      stdio: ["pipe", "pipe", "pipe"], env: {}, detached: true,
    });
    if (unref) {
      // When this Node process exits, the zygote reads end-of-file on its stdin and exits, taking bwrap with it.
      this.proc.unref();
      for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    }
    if (process.env.TRIMER_SANDBOX_DEBUG) this.proc.stderr.pipe(process.stderr);
    else this.proc.stderr.resume();
    this.proc.stdin.on("error", () => {}); // EPIPE after the sandbox died: handled by "exit"
    let readyResolve: (r: ZygoteReady) => void;
    let readyReject: (e: Error) => void;
    this.ready = new Promise<ZygoteReady>((res, rej) => { readyResolve = res; readyReject = rej; });
    this.ready.catch(() => {});
    const startTimer = setTimeout(() => { readyReject(new Error("the sandbox did not start within 60 s")); this.kill(); }, START_TIMEOUT_MS);
    this.proc.stdout.setEncoding("utf8");
    this.proc.stdout.on("data", (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let m: unknown;
        try {
          m = JSON.parse(line);
        } catch {
          continue;
        }
        if (m && typeof m === "object" && (m as ZygoteReady).ready === true) {
          clearTimeout(startTimer);
          this.info = m as ZygoteReady;
          readyResolve(this.info);
        } else if (m && typeof m === "object" && typeof (m as ZygoteReply).id === "number") {
          const r = m as ZygoteReply;
          const w = this.waiting.get(r.id);
          this.waiting.delete(r.id);
          w?.(r);
        }
      }
    });
    const died = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      clearTimeout(startTimer);
      readyReject(new Error(why));
      for (const [id, w] of this.waiting) w({ id, status: "killed", stdout: "", stderr: `sandbox: ${why}\n`, truncated: false });
      this.waiting.clear();
      this.onDeath(this);
    };
    this.proc.on("error", (e) => died(`could not start bwrap: ${e.message}`));
    this.proc.on("exit", (code, sig) => died(`the sandbox exited (${sig ?? `code ${code}`})`));
  }

  request(req: ZygoteRequest): Promise<ZygoteReply> {
    if (this.dead) return Promise.resolve({ id: req.id, status: "killed", stdout: "", stderr: "sandbox: the sandbox is gone\n", truncated: false });
    return new Promise((resolve) => {
      this.waiting.set(req.id, resolve);
      this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  cancel(id: number): void {
    if (!this.dead) this.proc.stdin.write(`${JSON.stringify({ op: "cancel", id })}\n`);
  }

  /** Kills bwrap's whole process group; --die-with-parent and the PID namespace take everything inside with it. */
  kill(): void {
    try {
      if (this.proc.pid) process.kill(-this.proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

interface Job {
  code: string;
  timeoutMs: number;
  ipython: boolean;
  signal?: AbortSignal;
  resolve: (r: RunResult) => void;
  onAbort?: () => void;
}

interface Slot {
  zyg: Zygote;
  busy: boolean;
}

interface Session {
  zyg: Zygote;
  lastUsed: number;
  busy: number;
  tail: Promise<unknown>;
}

export class ProcessSandbox implements CodeSandbox {
  readonly backend = "process" as const;
  readonly supportsSessions = true;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly sessions = new Map<string, Session>();
  private nextId = 1;
  private running = 0;
  private closed = false;
  private sweeper: NodeJS.Timeout | null = null;
  private info: ZygoteReady | null = null;
  private recentDeaths: number[] = [];
  private readonly cfg: Record<string, unknown>;
  private readonly sessionCfg: Record<string, unknown>;
  private unref = false;

  private constructor(
    private readonly bwrap: string,
    private readonly python: string,
    private readonly timeoutMs: number,
    private readonly memoryMb: number,
    private readonly maxOutput: number,
    private readonly scratchBytes: number,
    private readonly maxSessions: number,
    private readonly sessionIdleMs: number,
    limits: { fileBytes: number; openFiles: number; nproc: number; sessionCpuSeconds: number; preload: string[] },
  ) {
    this.cfg = {
      preload: limits.preload, memoryBytes: memoryMb * 1024 * 1024, fileBytes: limits.fileBytes,
      openFiles: limits.openFiles, nproc: limits.nproc, sessionCpuSeconds: limits.sessionCpuSeconds,
    };
    this.sessionCfg = { ...this.cfg, session: true };
  }

  /** Starts the sandboxes; rejects with a clear message where the backend cannot run (see processBackendAvailable). */
  static async create(opts: ProcessSandboxOptions = {}): Promise<ProcessSandbox> {
    const python = opts.python ?? "/usr/bin/python3";
    const avail = processBackendAvailable(python);
    if (!avail.ok) throw new Error(`process sandbox unavailable: ${avail.why}`);
    const bwrap = findBwrap(opts.bwrap);
    if (!bwrap) throw new Error("process sandbox unavailable: bwrap not found");
    const sb = new ProcessSandbox(
      bwrap, python,
      positive(opts.timeoutMs, "timeoutMs", 10_000, false),
      positive(opts.memoryMb, "memoryMb", 1024, true),
      positive(opts.maxOutputChars, "maxOutputChars", 100_000, true),
      positive(opts.scratchMb, "scratchMb", 64, true) * 1024 * 1024,
      positive(opts.maxSessions, "maxSessions", 16, true),
      positive(opts.sessionIdleMs, "sessionIdleMs", 300_000, false),
      {
        fileBytes: positive(opts.fileMb, "fileMb", 16, true) * 1024 * 1024,
        openFiles: positive(opts.openFiles, "openFiles", 64, true),
        nproc: positive(opts.processes, "processes", 32, true),
        sessionCpuSeconds: positive(opts.sessionCpuSeconds, "sessionCpuSeconds", 600, true),
        preload: opts.preload ?? DEFAULT_PRELOAD,
      },
    );
    const n = positive(opts.workers, "workers", 2, true);
    sb.unref = opts.unref === true;
    try {
      for (let i = 0; i < n; i++) sb.slots.push({ zyg: sb.startZygote(false), busy: false });
      const infos = await Promise.all(sb.slots.map((s) => s.zyg.ready));
      sb.info = infos[0] ?? null;
    } catch (e) {
      await sb.close();
      throw new Error(`process sandbox failed to start: ${(e as Error).message}`);
    }
    const every = Math.max(200, Math.min(5000, sb.sessionIdleMs / 4));
    sb.sweeper = setInterval(() => sb.expireSessions(), every);
    sb.sweeper.unref();
    return sb;
  }

  describe(): string {
    const pre = this.info?.preloaded.filter((m) => ["sympy", "numpy", "mpmath", "scipy", "networkx"].includes(m)) ?? [];
    return `process backend: CPython ${this.info?.python ?? "?"} (${this.python}) under bubblewrap, ${this.slots.length} worker${this.slots.length === 1 ? "" : "s"}, ` +
      `fork per request from a zygote with ${pre.join(", ") || "no math modules"} preloaded; ` +
      `memory ${this.memoryMb} MiB, output ${this.maxOutput} bytes, sessions ≤ ${this.maxSessions}`;
  }

  get pending(): number {
    return this.queue.length + this.running;
  }

  get size(): number {
    return this.slots.filter((s) => !s.zyg.dead).length;
  }

  run(code: string, opts: RunOptions = {}): Promise<RunResult> {
    let timeoutMs: number;
    try {
      timeoutMs = checkRunArgs("ProcessSandbox", this.closed, code, opts, this.timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
    if (opts.signal?.aborted) return Promise.resolve(notRun("cancelled", "sandbox: cancelled before it started"));
    if (opts.session !== undefined) return this.runInSession(opts.session, code, timeoutMs, opts.ipython ?? true, opts.signal);
    return new Promise<RunResult>((resolve) => {
      const job: Job = { code, timeoutMs, ipython: opts.ipython ?? false, resolve };
      if (opts.signal) {
        job.signal = opts.signal;
        job.onAbort = () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) {
            this.queue.splice(i, 1);
            resolve(notRun("cancelled", "sandbox: cancelled while queued"));
          }
        };
        opts.signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  listSessions(): string[] {
    return [...this.sessions.keys()];
  }

  async deleteSession(id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    s.zyg.kill();
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const job of this.queue.splice(0)) job.resolve(notRun("killed", "sandbox closed"));
    const all = [...this.slots.map((s) => s.zyg), ...[...this.sessions.values()].map((s) => s.zyg)];
    this.sessions.clear();
    await Promise.all(all.map((z) => new Promise<void>((resolve) => {
      if (z.dead) return resolve();
      z.proc.once("exit", () => resolve());
      z.kill();
    })));
  }

  private startZygote(session: boolean): Zygote {
    return new Zygote(this.bwrap, this.python, session ? this.sessionCfg : this.cfg, this.scratchBytes, (z) => this.onDeath(z), this.unref);
  }

  /** A sandbox died (killed by us or crashed): a worker slot gets a fresh one; a session just ends. */
  private onDeath(z: Zygote): void {
    for (const [id, s] of this.sessions) if (s.zyg === z) this.sessions.delete(id);
    const slot = this.slots.find((s) => s.zyg === z);
    if (!slot || this.closed) return;
    const now = Date.now();
    this.recentDeaths = this.recentDeaths.filter((t) => now - t < 10_000).concat(now);
    // A sandbox that keeps dying at start (bwrap broken after start-up) must not spin: wait a bit before retrying.
    const delay = this.recentDeaths.length > 2 * this.slots.length + 4 ? 1000 : 0;
    setTimeout(() => {
      if (this.closed) return;
      slot.zyg = this.startZygote(false);
      slot.zyg.ready.then(() => { slot.busy = false; this.dispatch(); }, () => {});
    }, delay).unref();
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (slot.busy || slot.zyg.dead || !slot.zyg.info) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.busy = true;
      this.running++;
      void this.execute(slot, job).finally(() => {
        this.running--;
        slot.busy = false;
        this.dispatch();
      });
    }
  }

  private async execute(slot: Slot, job: Job): Promise<void> {
    const id = this.nextId++;
    const zyg = slot.zyg;
    const started = performance.now();
    if (job.signal && job.onAbort) job.signal.removeEventListener("abort", job.onAbort);
    const onAbort = (): void => zyg.cancel(id);
    job.signal?.addEventListener("abort", onAbort, { once: true });
    // The zygote enforces the limit itself; this is the backstop for a zygote that does not answer.
    let hostKilled = false;
    const backstop = setTimeout(() => { hostKilled = true; zyg.kill(); }, job.timeoutMs + HOST_GRACE_MS);
    const reply = await zyg.request({ op: "run", id, code: job.code, timeout: job.timeoutMs / 1000, ipython: job.ipython, maxOutput: this.maxOutput });
    clearTimeout(backstop);
    job.signal?.removeEventListener("abort", onAbort);
    const status: RunStatus = hostKilled ? "timeout" : reply.status;
    let stderr = reply.stderr;
    if (status === "timeout" && !/timed out|CPU time/.test(stderr)) stderr += `sandbox: timed out after ${job.timeoutMs} ms\n`;
    job.resolve({ status, stdout: reply.stdout, stderr, truncated: reply.truncated, durationMs: performance.now() - started });
  }

  private async runInSession(sid: string, code: string, timeoutMs: number, ipython: boolean, signal?: AbortSignal): Promise<RunResult> {
    if (sid.length === 0 || sid.length > 200) return notRun("error", "sandbox: a session id must be 1..200 characters");
    let s = this.sessions.get(sid);
    if (!s) {
      if (this.sessions.size >= this.maxSessions) {
        return notRun("error", `sandbox: ${this.maxSessions} sessions are alive (the cap); delete one or wait until one expires`);
      }
      s = { zyg: this.startZygote(true), lastUsed: Date.now(), busy: 0, tail: Promise.resolve() };
      this.sessions.set(sid, s);
    }
    const session = s;
    session.busy++;
    const turn = session.tail.then(async (): Promise<RunResult> => {
      try {
        await session.zyg.ready;
      } catch (e) {
        return notRun("killed", `sandbox: the session's sandbox did not start: ${(e as Error).message}`);
      }
      if (signal?.aborted) return notRun("cancelled", "sandbox: cancelled while queued");
      const id = this.nextId++;
      const started = performance.now();
      const onAbort = (): void => session.zyg.cancel(id);
      signal?.addEventListener("abort", onAbort, { once: true });
      let hostKilled = false;
      const backstop = setTimeout(() => { hostKilled = true; session.zyg.kill(); }, timeoutMs + HOST_GRACE_MS);
      const reply = await session.zyg.request({ op: "run", id, code, timeout: timeoutMs / 1000, ipython, maxOutput: this.maxOutput });
      clearTimeout(backstop);
      signal?.removeEventListener("abort", onAbort);
      const status: RunStatus = hostKilled ? "timeout" : reply.status;
      return { status, stdout: reply.stdout, stderr: reply.stderr, truncated: reply.truncated, durationMs: performance.now() - started };
    });
    session.tail = turn.catch(() => {});
    try {
      return await turn;
    } finally {
      session.busy--;
      session.lastUsed = Date.now();
    }
  }

  private expireSessions(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (s.busy === 0 && now - s.lastUsed > this.sessionIdleMs) void this.deleteSession(id);
    }
  }
}

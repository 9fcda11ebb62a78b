// The JavaScript half of the sandbox's isolation, applied inside a worker thread.
//
// Pyodide's `js` module is a proxy of a JS global object, and every JS object that reaches Python (through
// pyodide.ffi, a caught JsException, to_js …) leads on to others through `.constructor`, `__proto__` and friends.
// Blocking `import js` in Python is therefore only the outer wall; the inner one is that, after lock-down, nothing
// reachable from JS values in the worker can do harm:
//   * globalThis keeps only the ECMAScript intrinsics (no `process`, `require`, `fetch`, timers, `console` …);
//   * code generation from strings is gone (`eval`, and the Function / AsyncFunction / GeneratorFunction
//     constructors reached through any function's `.constructor`), so `import("node:fs")` cannot be written;
//   * `Error.prepareStackTrace` is pinned, so V8 call-site objects (which expose functions and receivers) stay out
//     of reach;
//   * WebAssembly memory growth is capped, which is the sandbox's memory limit for Python (its heap lives in one
//     wasm Memory outside V8's heap limits).

/** What stays on globalThis after lock-down: ECMAScript intrinsics plus the few pieces Pyodide uses at run time. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  // ECMAScript values and functions
  "globalThis", "Infinity", "NaN", "undefined", "isFinite", "isNaN", "parseFloat", "parseInt",
  "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape",
  // ECMAScript constructors and namespaces (Function itself is removed below)
  "Object", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "Date", "Promise", "RegExp",
  "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError",
  "JSON", "Math", "Intl", "Reflect", "Proxy", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry",
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics",
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
  // Needed by Pyodide after start-up (string conversion and the wasm runtime itself)
  "WebAssembly", "TextEncoder", "TextDecoder",
]);

/**
 * Wasm imports through which Emscripten reaches the host directly, with the stub each gets. Emscripten's
 * `system()` runs `child_process.spawnSync(cmd, {shell: true})` under Node (so `os.system` would run host shell
 * commands), and its socket layer can open real connections; both hold their own `require`, untouched by the
 * global lock-down, so they are cut at the import object instead. Syscall stubs return -ENOSYS (52 in
 * Emscripten's errno numbering); `_emscripten_system` returns -1 (no shell).
 */
const ENOSYS = 52;
export const DENIED_WASM_IMPORTS: Readonly<Record<string, () => number>> = {
  _emscripten_system: () => -1,
  __syscall_socket: () => -ENOSYS,
  __syscall_socketpair: () => -ENOSYS,
  __syscall_connect: () => -ENOSYS,
  __syscall_bind: () => -ENOSYS,
  __syscall_listen: () => -ENOSYS,
  __syscall_accept4: () => -ENOSYS,
  __syscall_sendto: () => -ENOSYS,
  __syscall_sendmsg: () => -ENOSYS,
  __syscall_recvfrom: () => -ENOSYS,
  __syscall_recvmsg: () => -ENOSYS,
  _maybe_connect_async: () => 0,
  // These two call the host's process.getuid()/umask(), which lock-down removes (os.getuid() used to abort the
  // interpreter): answer as an unprivileged user with the usual umask, without asking the host.
  __syscall_getuid32_js: () => 1000,
  __syscall_umask_js: () => 0o022,
};

type Imports = Record<string, Record<string, unknown>>;

function withoutDeniedImports(imports: unknown): unknown {
  if (!imports || typeof imports !== "object") return imports;
  // Each namespace is wrapped, not copied: Emscripten's GOT.* namespaces are Proxies that make their entries on
  // first access, which a copy would lose.
  const denied = DENIED_WASM_IMPORTS as Record<string, unknown>;
  const shield = (table: object): object => new Proxy(table, {
    get: (t, key, receiver) => (typeof key === "string" && Object.hasOwn(denied, key) ? denied[key] : Reflect.get(t, key, receiver)),
  });
  return new Proxy(imports as Imports, {
    get: (t, ns, receiver) => {
      const table: unknown = Reflect.get(t, ns, receiver);
      return table && typeof table === "object" ? shield(table) : table;
    },
  });
}

/**
 * Makes every WebAssembly module instantiated in this thread from now on (Pyodide's main module and any extension
 * module it loads later) receive the stubs in DENIED_WASM_IMPORTS. Must run before Pyodide loads.
 */
export function denyWasmImports(): void {
  type Instantiate = (source: unknown, imports?: unknown) => Promise<unknown>;
  const wasm = (globalThis as unknown as { WebAssembly: Record<string, unknown> }).WebAssembly;
  const instantiate = wasm.instantiate as Instantiate;
  const streaming = wasm.instantiateStreaming as Instantiate | undefined;
  const Instance = wasm.Instance as new (module: unknown, imports?: unknown) => object;
  const pin = (name: string, value: unknown): void => {
    Object.defineProperty(wasm, name, { value, writable: false, configurable: false });
  };
  pin("instantiate", (source: unknown, imports?: unknown) => instantiate.call(wasm, source, withoutDeniedImports(imports)));
  if (streaming) {
    pin("instantiateStreaming", (source: unknown, imports?: unknown) => streaming.call(wasm, source, withoutDeniedImports(imports)));
  }
  pin("Instance", new Proxy(Instance, {
    construct: (target, args: unknown[]) => new target(args[0], withoutDeniedImports(args[1])),
  }));
}

/** Node built-in modules that reach the host, emptied in this thread once Pyodide has loaded. */
export const NEUTERED_BUILTINS: readonly string[] = [
  "node:child_process", "node:fs", "node:fs/promises", "node:net", "node:tls", "node:dgram", "node:dns",
  "node:http", "node:https", "node:http2", "node:vm", "node:inspector", "node:module", "node:os", "node:cluster",
  // A fresh, unlocked thread; V8 flags; WASI with host preopens; reading host fds; the test runner spawns processes.
  "node:worker_threads", "node:v8", "node:wasi", "node:repl", "node:readline", "node:tty", "node:test",
  "node:trace_events",
];

/**
 * Methods of this thread's `process` object that reach the host (signals, native addons, internal bindings, any
 * built-in module by name). Only these: Node's own internals call other methods (nextTick, emitWarning …).
 */
export const NEUTERED_PROCESS_METHODS: readonly string[] = [
  "kill", "_kill", "dlopen", "binding", "_linkedBinding", "getBuiltinModule", "chdir", "umask", "abort",
  "setuid", "setgid", "seteuid", "setegid", "setgroups", "initgroups", "_debugProcess", "_debugEnd",
  "openStdin", "setSourceMapsEnabled", "loadEnvFile",
];

/**
 * Replaces every function exported by the NEUTERED_BUILTINS (in this thread's own copies of them) with one that
 * throws. Pyodide and Emscripten keep references to `fs`, `child_process` … in closures for their Node support;
 * this makes those references dead too, whatever path might lead to them. Run after Pyodide has loaded (it reads
 * its own files through `fs`).
 */
export function neuterBuiltins(load: (name: string) => unknown): void {
  const proc = load("node:process") as Record<string, unknown>;
  for (const key of NEUTERED_PROCESS_METHODS) {
    if (typeof proc[key] !== "function") continue;
    try {
      Object.defineProperty(proc, key, {
        value: function neutered() { refuse(`process.${key}()`); }, writable: false, configurable: false,
      });
    } catch { /* non-configurable: left, but `process` itself is unreachable after lock-down */ }
  }
  for (const name of NEUTERED_BUILTINS) {
    let mod: unknown;
    try { mod = load(name); } catch { continue; }
    if (!mod || typeof mod !== "object") continue;
    const exports = mod as Record<string, unknown>;
    for (const key of Object.keys(exports)) {
      if (typeof exports[key] !== "function") continue;
      try {
        exports[key] = function neutered() { refuse(`${name} ${key}()`); };
      } catch { /* a read-only export: nothing else reaches it */ }
    }
  }
}

const REFUSAL = "is disabled in the trimer sandbox";

function refuse(what: string): never {
  throw new EvalError(`${what} ${REFUSAL}`);
}

/**
 * Caps the total size of every WebAssembly.Memory in this thread at `maxBytes`. Emscripten grows the heap by
 * calling `memory.grow` from JS and treats a throw as "out of memory", so malloc fails and Python raises
 * MemoryError instead of the host swapping. Must run before Pyodide loads; the patched method cannot be replaced.
 */
export function capWasmMemory(maxBytes: number): void {
  // TS's ES lib has no WebAssembly types (they come with "DOM"), so describe the one method we touch.
  interface WasmMemory { buffer: ArrayBuffer; grow(pages: number): number }
  const wasm = (globalThis as unknown as { WebAssembly: { Memory: { prototype: WasmMemory } } }).WebAssembly;
  const proto = wasm.Memory.prototype;
  const grow = proto.grow;
  Object.defineProperty(proto, "grow", {
    value: function cappedGrow(this: WasmMemory, deltaPages: number): number {
      const next = this.buffer.byteLength + Number(deltaPages) * 65536;
      if (next > maxBytes) throw new RangeError(`sandbox memory limit: ${maxBytes} bytes`);
      return grow.call(this, deltaPages);
    },
    writable: false,
    configurable: false,
  });
}

/** Removes code generation from strings: eval and the four function constructors. */
function disableCodeGeneration(): void {
  const g = globalThis as Record<string, unknown>;
  delete g.eval;
  const protos = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}) as object,
    Object.getPrototypeOf(function* () {}) as object,
    Object.getPrototypeOf(async function* () {}) as object,
  ];
  for (const proto of protos) {
    Object.defineProperty(proto, "constructor", {
      value: function constructorDisabled() { refuse("creating functions from strings"); },
      writable: false,
      configurable: false,
    });
  }
  delete g.Function;
}

/**
 * Strips the worker's global scope down to ALLOWED_GLOBALS and disables code generation. After this the thread can
 * still run already-compiled code (Pyodide, the worker's own message loop hold their references in closures) but
 * nothing reachable from globalThis touches the host. Irreversible.
 */
export function lockDownGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  disableCodeGeneration();
  // Pyodide reads the clock through performance.now() (time.perf_counter, time.sleep): keep only that.
  const perf = globalThis.performance;
  const timing = Object.freeze(Object.assign(Object.create(null) as object, {
    now: () => perf.now(),
    timeOrigin: perf.timeOrigin,
  }));
  // Pyodide reports fatal errors through console.error: leave a console that goes nowhere.
  const silent = Object.freeze(Object.assign(Object.create(null) as object, {
    log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {},
  }));
  Object.defineProperty(Error, "prepareStackTrace", { value: undefined, writable: false, configurable: false });
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (ALLOWED_GLOBALS.has(name) || REPLACED_GLOBALS.has(name)) continue;
    try {
      delete g[name];
    } catch {
      // A non-configurable property (none expected in Node 20): overwrite it where possible.
    }
    if (name in g) {
      try { Object.defineProperty(globalThis, name, { value: undefined, writable: false, configurable: false }); } catch { /* reported by globalsLeft */ }
    }
  }
  Object.defineProperty(globalThis, "console", { value: silent, writable: false, configurable: false });
  Object.defineProperty(globalThis, "performance", { value: timing, writable: false, configurable: false });
}

/** Globals that lock-down replaces with harmless stand-ins: a console that prints nothing, a clock. */
const REPLACED_GLOBALS: ReadonlySet<string> = new Set(["console", "performance"]);

/** Names on globalThis outside the allow-list whose value is still defined (empty after a successful lock-down). */
export function globalsLeft(): string[] {
  const g = globalThis as Record<string, unknown>;
  return Object.getOwnPropertyNames(globalThis).filter((n) => !ALLOWED_GLOBALS.has(n) && !REPLACED_GLOBALS.has(n) && g[n] !== undefined);
}

/**
 * Tries, from inside the locked-down thread, each thing escaping code would need. `load` is a `require` captured
 * before lock-down (which escaping code would not have): it shows that even a leaked reference to the built-in
 * modules is dead.
 */
export function auditLockdown(load: (name: string) => unknown): { name: string; works: boolean }[] {
  const g = globalThis as Record<string, unknown>;
  // A capability "works" when calling it ran the real thing: it returned a value, or failed with any error other
  // than the sandbox's own refusal (an ENOENT from a live fs.readFileSync still means fs is live).
  const attempt = (name: string, fn: () => unknown): { name: string; works: boolean } => {
    try {
      const r = fn();
      return { name, works: r !== undefined && r !== null && r !== false };
    } catch (e) {
      return { name, works: !(e instanceof Error && e.message.includes(REFUSAL)) };
    }
  };
  const mod = (name: string) => load(name) as Record<string, (...a: unknown[]) => unknown>;
  return [
    attempt("globalThis.process", () => g.process),
    attempt("globalThis.require", () => g.require),
    attempt("globalThis.fetch", () => g.fetch),
    attempt("globalThis.WebSocket", () => g.WebSocket),
    attempt("globalThis.eval", () => g.eval),
    attempt("globalThis.Function", () => g.Function),
    attempt("function.constructor('return 1')", () => {
      const F = (function () {}).constructor as (src: string) => () => unknown;
      return F("return 1")();
    }),
    attempt("async function.constructor", () => {
      const F = (async function () {}).constructor as (src: string) => unknown;
      return F("return 1");
    }),
    attempt("generator function.constructor", () => {
      const F = (function* () {}).constructor as (src: string) => unknown;
      return F("yield 1");
    }),
    attempt("Error.prepareStackTrace settable", () => {
      try {
        (Error as unknown as Record<string, unknown>).prepareStackTrace = () => "x";
      } catch {
        return false; // non-writable: strict-mode assignment throws
      }
      return (Error as unknown as Record<string, unknown>).prepareStackTrace !== undefined;
    }),
    attempt("fs.readFileSync via a leaked require", () => mod("node:fs").readFileSync!("/etc/hostname")),
    attempt("fs.writeFileSync via a leaked require", () => { mod("node:fs").writeFileSync!("/tmp/trimer-sandbox-audit", "x"); return true; }),
    attempt("child_process.spawnSync via a leaked require", () => mod("node:child_process").spawnSync!("true")),
    attempt("net.connect via a leaked require", () => mod("node:net").connect!(9, "127.0.0.1")),
    attempt("vm.runInThisContext via a leaked require", () => mod("node:vm").runInThisContext!("process")),
    attempt("new Worker via a leaked require", () => {
      const W = (load("node:worker_threads") as { Worker: new (src: string, o: object) => unknown }).Worker;
      return new W("1", { eval: true });
    }),
    attempt("process.kill via a leaked require", () => mod("node:process").kill!(0, 0) === true),
    attempt("process.binding via a leaked require", () => mod("node:process").binding!("spawn_sync")),
    attempt("process.dlopen via a leaked require", () => { mod("node:process").dlopen!({}, "/nonexistent.node"); return true; }),
    attempt("v8.setFlagsFromString via a leaked require", () => { mod("node:v8").setFlagsFromString!("--allow-natives-syntax"); return true; }),
  ];
}

// The Python half of the sandbox: run once per worker after Pyodide loads. It closes the JS bridge at the import
// level, takes a snapshot of the interpreter's state, and defines `_trimer_run(code)`, which runs one program in a
// fresh `__main__` namespace and then puts the interpreter back to the snapshot (so nothing leaks into the next
// program) — far cheaper than reloading Pyodide. Kept as a TS string so that `tsc` ships it in dist/ with no copy
// step.
//
// What "back to the snapshot" covers: the globals (a new dict each run), modules imported by the program (removed
// from sys.modules), attributes the program set or replaced on modules that were already loaded (module dicts put
// back key by key), builtins, the sys hooks and limits (path, meta_path, stdout/stderr, recursion limit, trace and
// profile functions, int digit limit), gc and SIGINT settings, the working directory, os.environ, and files under
// /tmp and the home directory. Not covered: in-place mutation of shared objects (e.g. a class attribute patched on
// a stdlib class, or a stdlib file overwritten in the in-memory /lib). That takes a deliberate program, and only
// affects later programs in the same worker, never the host.

/**
 * Imports only (no file system or interpreter-state changes): run before the memory snapshot is taken, so that
 * every worker restored from it — one per program — has them without paying their import again.
 */
export const PRELOAD_PY = String.raw`
import math, cmath, fractions, decimal, itertools, functools, collections, statistics, random, re, heapq, bisect
import string, operator, numbers, json, datetime, typing, copy, textwrap, array, time, ast, traceback, shutil
`;

export const SETUP_PY = String.raw`
import sys, builtins, os, gc, signal, shutil, traceback, ast
from operator import is_ as _is

# Modules math programs import all the time, loaded once per worker so that they are part of the snapshot: a
# program that imports them pays nothing, where a module first imported by a program is dropped afterwards and
# re-imported by the next one (fractions alone costs ~30 ms to import in wasm).
import math, cmath, fractions, decimal, itertools, functools, collections, statistics, random, re, heapq, bisect
import string, operator, numbers, json, datetime, typing, copy, textwrap, array, time

_BLOCKED_ROOTS = frozenset(("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip", "pyodide_http"))

class _BridgeBlocker:
    """First entry of sys.meta_path: refuses the modules that lead to JavaScript."""
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED_ROOTS:
            raise ImportError(f"module {name!r} is not available in the trimer sandbox")
        return None

for _name in list(sys.modules):
    if _name.partition(".")[0] in _BLOCKED_ROOTS:
        del sys.modules[_name]
sys.meta_path.insert(0, _BridgeBlocker)

_HOME = "/home/pyodide"
os.environ.clear()
os.environ["HOME"] = _HOME
os.makedirs(_HOME, exist_ok=True)
os.chdir(_HOME)

_stdout, _stderr, _stdin = sys.stdout, sys.stderr, sys.stdin
_SCRATCH = ("/tmp", _HOME)
_base_files = {d: set(os.listdir(d)) for d in _SCRATCH}
_base_builtins = dict(builtins.__dict__)
_SPECIAL = ("sys", "builtins", "__main__")
_base_modules = dict(sys.modules)
# Per module: its dict, and the keys and values it had, to compare by identity at C speed after each program.
_base_module_dicts = [
    (m.__dict__, dict(m.__dict__), tuple(m.__dict__), tuple(m.__dict__.values()))
    for n, m in sys.modules.items() if n not in _SPECIAL and isinstance(getattr(m, "__dict__", None), dict)
]
_base_sys = {k: getattr(sys, k) for k in ("displayhook", "excepthook", "breakpointhook", "ps1", "ps2") if hasattr(sys, k)}
_base_path, _base_meta_path, _base_path_hooks = list(sys.path), list(sys.meta_path), list(sys.path_hooks)
_base_recursion = sys.getrecursionlimit()
_base_int_digits = sys.get_int_max_str_digits()
_base_environ = dict(os.environ)
_main_module = sys.modules.get("__main__")

def _put_back(d, base):
    # Key by key, never clear(): the dict may be the one this very function is looking names up in.
    for k in [k for k in d if k not in base]:
        del d[k]
    for k, v in base.items():
        if d.get(k, _put_back) is not v:
            d[k] = v

def _restore():
    sys.settrace(None)
    sys.setprofile(None)
    for name in [n for n in sys.modules if n not in _base_modules]:
        del sys.modules[name]
    for name, mod in _base_modules.items():
        if sys.modules.get(name) is not mod:
            sys.modules[name] = mod
    for d, base, keys, values in _base_module_dicts:
        if len(d) == len(keys) and all(map(_is, map(d.get, keys), values)):
            continue  # untouched (the common case)
        _put_back(d, base)
    _put_back(builtins.__dict__, _base_builtins)
    for k, v in _base_sys.items():
        setattr(sys, k, v)
    sys.stdout, sys.stderr, sys.stdin = _stdout, _stderr, _stdin
    sys.path[:] = _base_path
    sys.meta_path[:] = _base_meta_path
    sys.path_hooks[:] = _base_path_hooks
    sys.path_importer_cache.clear()
    sys.setrecursionlimit(_base_recursion)
    sys.set_int_max_str_digits(_base_int_digits)
    os.environ.clear()
    os.environ.update(_base_environ)
    gc.enable()
    gc.callbacks.clear()
    # State held inside preloaded modules rather than in their dicts: the random generator's seed and the decimal
    # context (precision, rounding) — fresh for every program, as in a new interpreter.
    random.seed()
    decimal.setcontext(decimal.Context())
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        os.chdir(_HOME)
    except OSError:
        os.makedirs(_HOME, exist_ok=True)
        os.chdir(_HOME)
    for d in _SCRATCH:
        os.makedirs(d, exist_ok=True)
        for entry in set(os.listdir(d)) - _base_files[d]:
            p = os.path.join(d, entry)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.unlink(p)
                except OSError:
                    pass

def _flush():
    for f in (sys.stdout, sys.stderr, _stdout, _stderr):
        try:
            f.flush()
        except BaseException:
            pass

def _report(exc):
    # Drop this runner's own frame so the traceback starts in the program, as it would under "python file.py".
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code is _trimer_run.__code__:
        tb = tb.tb_next
    _stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))

def _trimer_run(code, ipython=False):
    outcome = "completed"
    main = type(sys)("__main__")
    sys.modules["__main__"] = main
    try:
        try:
            tree = ast.parse(code, "<code>", "exec")
            last = None
            if ipython and tree.body and isinstance(tree.body[-1], ast.Expr):
                # IPython mode: the cell's final expression is shown, as a notebook does.
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, "<code>", "exec"), main.__dict__)
            if last is not None:
                value = eval(compile(last, "<code>", "eval"), main.__dict__)
                if value is not None:
                    print(repr(value))
        finally:
            _flush()
    except SystemExit as e:
        if e.code is not None and e.code != 0:
            if not isinstance(e.code, int):
                _stderr.write(f"{e.code}\n")
            outcome = "error"
    except KeyboardInterrupt:
        outcome = "interrupted"
    except BaseException as e:
        try:
            _report(e)
        except BaseException:
            _stderr.write(f"{type(e).__name__}\n")
        outcome = "error"
    del main
    if _main_module is not None:
        sys.modules["__main__"] = _main_module
    # The host's interrupt (timeout, output limit) may land during clean-up; it is sent once, so a second pass
    # finishes the job.
    for _attempt in range(3):
        try:
            _flush()
            _restore()
            break
        except KeyboardInterrupt:
            outcome = "interrupted" if outcome == "completed" else outcome
    return outcome
`;

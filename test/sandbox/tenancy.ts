// Shared attack material for both backends' tenancy, limit and escape tests: each "plant" program tries to leave
// something behind in the worker that ran it; the "probe" that follows on the same worker(s) must see a pristine
// interpreter and compute correctly. Used by adversarial.test.ts (Pyodide) and process.test.ts (process backend).

export interface Channel {
  name: string;
  /** Program A: plants. It may fail (a backend may refuse the attempt) — only B's view counts. */
  plant: string;
  /** Program B: prints exactly `expect` on a pristine interpreter. */
  probe: string;
  expect: string;
  /** Backends this channel exists on (default both). */
  only?: "process" | "pyodide";
}

export const CHANNELS: Channel[] = [
  {
    name: "frame-walk to the runner's globals and replace what it restores builtins from",
    plant: [
      "import sys, builtins",
      "f = sys._getframe()",
      "while f is not None:",
      "    g = f.f_globals",
      "    for k, v in list(g.items()):",
      "        if isinstance(v, dict) and 'print' in v:",
      "            v['print'] = lambda *a, **k: builtins.__dict__['__trimer_real_print'](43)",
      "    f = f.f_back",
      "builtins.__trimer_real_print = builtins.print",
      "_p = builtins.print",
      "builtins.print = lambda *a, **k: _p(43)",
    ].join("\n"),
    probe: "print(6*7)",
    expect: "42\n",
  },
  {
    name: "audit hook that rewrites later programs' output",
    plant: [
      "import sys",
      "def hook(event, args):",
      "    if event == 'exec':",
      "        sys.stdout.write('HOOKED ')",
      "sys.addaudithook(hook)",
    ].join("\n"),
    probe: "print(1 + 1)",
    expect: "2\n",
  },
  {
    name: "sys.monitoring / settrace / setprofile callbacks",
    plant: [
      "import sys, threading",
      "def tracer(frame, event, arg):",
      "    sys.stdout.write('TRACED ')",
      "    return None",
      "sys.settrace(tracer); sys.setprofile(tracer); threading.settrace(tracer)",
      "mon = getattr(sys, 'monitoring', None)",
      "if mon is not None:",
      "    mon.use_tool_id(3, 'evil')",
      "    mon.register_callback(3, mon.events.PY_START, lambda *a: sys.stdout.write('MONITORED '))",
      "    mon.set_events(3, mon.events.PY_START)",
    ].join("\n"),
    probe: "def f():\n    return 5\nprint(f())",
    expect: "5\n",
  },
  {
    name: "monkey-patched stdlib class (fractions.Fraction.__str__, __add__)",
    plant: [
      "import fractions",
      "fractions.Fraction.__str__ = lambda self: 'PATCHED'",
      "fractions.Fraction.__add__ = lambda self, other: fractions.Fraction(0)",
      "import decimal",
      "decimal.getcontext().prec = 2",
    ].join("\n"),
    probe: "from fractions import Fraction\nimport decimal\nprint(Fraction(1, 2) + Fraction(1, 3), decimal.Decimal(1) / decimal.Decimal(3))",
    expect: "5/6 0.3333333333333333333333333333\n",
  },
  {
    name: "ctypes write into a cached small integer (3+4 = 8)",
    plant: [
      "import ctypes, sys",
      "ctypes.c_long.from_address(id(7) + 3 * ctypes.sizeof(ctypes.c_long)).value = 8",
    ].join("\n"),
    probe: "a = 3\nb = 4\nprint(a + b, 7 * 1)",
    expect: "7 7\n",
  },
  {
    name: "files written anywhere writable (/tmp, cwd, home, /dev/shm)",
    plant: [
      "import os",
      "for d in ['/tmp', os.getcwd(), os.path.expanduser('~'), '/dev/shm', '/var/tmp']:",
      "    try:",
      "        open(os.path.join(d, 'planted.txt'), 'w').write('PLANTED')",
      "    except OSError:",
      "        pass",
    ].join("\n"),
    probe: [
      "import os",
      "seen = []",
      "for d in ['/tmp', os.getcwd(), os.path.expanduser('~'), '/dev/shm', '/var/tmp']:",
      "    if os.path.exists(os.path.join(d, 'planted.txt')):",
      "        seen.append(d)",
      "print(seen)",
    ].join("\n"),
    expect: "[]\n",
  },
  {
    name: "module planted on the import path (site-packages, cwd, /tmp) and a shadowed stdlib module",
    plant: [
      "import os, sys, site",
      "code = 'import builtins\\nbuiltins.print = lambda *a, **k: None\\nVALUE = \"PLANTED\"\\n'",
      "dirs = list(sys.path) + [os.getcwd(), '/tmp']",
      "try:",
      "    dirs += site.getsitepackages()",
      "except Exception:",
      "    pass",
      "for d in dirs:",
      "    for name in ['trimer_plant.py', 'fractions.py', 'sitecustomize.py', 'usercustomize.py']:",
      "        try:",
      "            open(os.path.join(d or '.', name), 'w').write(code)",
      "        except OSError:",
      "            pass",
      "sys.path.insert(0, '/tmp')",
    ].join("\n"),
    probe: [
      "try:",
      "    import trimer_plant",
      "    r = 'PLANTED-IMPORTED'",
      "except ImportError:",
      "    r = 'clean'",
      "from fractions import Fraction",
      "print(r, Fraction(1, 2))",
    ].join("\n"),
    expect: "clean 1/2\n",
  },
  {
    name: "__del__ resurrection: a garbage cycle whose finaliser patches builtins when the next program collects it",
    plant: [
      "import builtins, gc",
      "gc.disable()",
      "class Zombie:",
      "    def __del__(self):",
      "        builtins.print = lambda *a, **k: None",
      "        builtins.len = lambda x: 99",
      "        builtins.__zombie = self",
      "a, b = Zombie(), Zombie()",
      "a.other, b.other = b, a",
      "del a, b",
    ].join("\n"),
    probe: "import gc\ngc.collect()\nprint('alive', len([1]))",
    expect: "alive 1\n",
  },
  {
    name: "warnings filters and stdout reconfiguration",
    plant: [
      "import sys, warnings, io",
      "warnings.simplefilter('error')",
      "sys.stdout.reconfigure(encoding='ascii', errors='strict') if hasattr(sys.stdout, 'reconfigure') else None",
      "sys.stdout = io.StringIO()",
      "sys.__stdout__ = io.StringIO()",
    ].join("\n"),
    probe: "import warnings\nwarnings.warn('harmless')\nprint('é ok')",
    expect: "é ok\n",
  },
  {
    name: "the import blocker neutered in place, sys.modules and meta_path replaced",
    plant: [
      "import sys",
      "for f in sys.meta_path:",
      "    if 'Blocker' in getattr(f, '__name__', ''):",
      "        f.find_spec = classmethod(lambda cls, *a, **k: None)",
      "sys.modules['math'] = type(sys)('math')",
      "sys.modules['math'].sqrt = lambda x: -1",
      "class Evil:",
      "    @classmethod",
      "    def find_spec(cls, name, path=None, target=None):",
      "        raise ImportError('EVIL ' + name)",
      "sys.meta_path.insert(0, Evil)",
    ].join("\n"),
    // The process backend has no pyodide package at all, so "blocked" holds there too.
    probe: "import math, json\ntry:\n    import pyodide.ffi\n    state = 'open'\nexcept ImportError:\n    state = 'blocked'\nprint(math.sqrt(16), json.dumps([1]), state)",
    expect: "4.0 [1] blocked\n",
  },
  {
    name: "SysV shared memory, message queues and keyring entries left in the kernel",
    only: "process",
    plant: [
      "import ctypes, os",
      "libc = ctypes.CDLL(None, use_errno=True)",
      "shm = libc.shmget(0x7173, 4096, 0o1000 | 0o666)",
      "libc.msgget(0x7174, 0o1000 | 0o666)",
      "import platform",
      "nr = {'x86_64': (248, 250), 'aarch64': (217, 219)}.get(platform.machine())",
      "if nr: libc.syscall(nr[0], b'user', b'trimer-plant', b'PLANTED', 7, -4)",
      "try:",
      "    os.mkfifo('/tmp/fifo')",
      "except OSError:",
      "    pass",
    ].join("\n"),
    probe: [
      "import ctypes",
      "libc = ctypes.CDLL(None, use_errno=True)",
      "import platform",
      "nr = {'x86_64': (248, 250), 'aarch64': (217, 219)}.get(platform.machine())",
      "key = libc.syscall(nr[1], 10, -4, b'user', b'trimer-plant', 0) > 0 if nr else False",
      "found = [libc.shmget(0x7173, 0, 0) >= 0, libc.msgget(0x7174, 0) >= 0, key]",
      "print(found)",
    ].join("\n"),
    expect: "[False, False, False]\n",
  },
];

// The Python half of the process backend (process.ts): the "zygote" that runs as PID 1 of one bubblewrap sandbox.
// It imports the heavy math modules once, then forks one child per request; the child runs the program and exits,
// so no state of one program can exist in the next (a forked child's memory is a copy-on-write copy: whatever it
// changes — builtins, stdlib classes, cached small ints through ctypes, audit hooks — dies with it).
//
// What a child could still reach, and why it cannot use it:
//   - the zygote's pipes: the child closes every inherited descriptor before the program runs, and there is no /proc
//     in the sandbox to reopen them through (/proc/1/fd);
//   - the zygote's memory: ptrace and process_vm_writev need a dumpable target (the zygote sets PR_SET_DUMPABLE 0)
//     or capabilities (all dropped by bwrap);
//   - signals to the zygote: it is PID 1 of the namespace, so the kernel drops every signal from inside the
//     namespace for which it has no handler; it handles only SIGCHLD (a wake-up; a forged one is harmless);
//   - files: after each program every process but the zygote is killed (kill(-1) from PID 1) and the writable
//     places (/tmp, /work, /dev/shm, all private tmpfs of this sandbox) are wiped; the zygote imports nothing after
//     start-up, so a planted module could not reach it even before the wipe;
//   - siblings: one program at a time per sandbox; other slots are other sandboxes (namespaces, tmpfs of their own).
//
// Sessions (NeMo-Skills' stateful ipython): a sandbox started in session mode keeps one forked "kernel" alive and
// sends it cells; the kernel keeps one globals dict, so cells share variables. A cell that times out kills the
// kernel (the session's state is lost and the reply says so).
//
// Protocol with the host, one JSON object per line: host → zygote {"op":"run","id","code","timeout","ipython",
// "maxOutput"} or {"op":"cancel","id"}; zygote → host {"ready":…} once, then {"id","status","stdout","stderr",
// "truncated","note"} per run. Kept as a TS string so that tsc ships it in dist/ with no copy step.

export const ZYGOTE_PY = String.raw`
import os, sys, json, select, signal, resource, ast, traceback, builtins, errno, shutil, gc

CFG = json.loads(sys.argv[1])
preloaded = []
for _m in CFG["preload"]:
    try:
        __import__(_m)
        preloaded.append(_m)
    except Exception:
        pass

# sympy loads much of itself lazily on first use (factor alone pulls in the polys machinery, ~100 ms): do that
# once here, then empty its caches so that every program still starts from a freshly imported sympy's state.
if "sympy" in preloaded:
    try:
        import sympy
        _x = sympy.Symbol("x")
        sympy.factor(_x**4 - 1); sympy.expand((_x + 1)**3); sympy.solve(_x**2 - 2, _x)
        sympy.simplify(sympy.sin(_x)**2 + sympy.cos(_x)**2); sympy.integrate(_x**2, _x); sympy.Rational(1, 3) + 1
        sympy.isprime(97); sympy.nsimplify(0.5); sympy.latex(_x**2); sympy.sqrt(8); sympy.Matrix([[1, 2], [3, 4]]).det()
        sympy.core.cache.clear_cache()
        del _x
    except Exception:
        pass
if "numpy" in preloaded:
    try:
        import numpy
        numpy.linalg.inv(numpy.eye(3)); numpy.array([1.5]).sum(); numpy.polyfit([0, 1, 2], [1, 2, 5], 2)
    except Exception:
        pass

_libc = None
try:
    import ctypes, platform
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: no ptrace by the children
except Exception:
    pass
_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine() if _libc else "")

def wipe_kernel_objects():
    """SysV shared memory, semaphores and message queues of this sandbox's IPC namespace, and the user's keyrings:
    state a program could leave in the kernel rather than in a file or a process."""
    if _libc is None:
        return
    buf = ctypes.create_string_buffer(1024)
    # (ctl, *_INFO, *_STAT, takes a semnum argument)
    for ctl, info, stat, sem in ((_libc.shmctl, 14, 13, False), (_libc.semctl, 19, 18, True), (_libc.msgctl, 12, 11, False)):
        try:
            top = ctl(0, 0, info, buf) if sem else ctl(0, info, buf)
            for i in range(top + 1):
                ident = ctl(i, 0, stat, buf) if sem else ctl(i, stat, buf)
                if ident >= 0:
                    if sem:
                        ctl(ident, 0, 0, None)  # IPC_RMID
                    else:
                        ctl(ident, 0, None)
        except Exception:
            pass
    if _KEYCTL is not None:
        for ring in (-4, -5):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING
            try:
                _libc.syscall(_KEYCTL, 7, ring)  # KEYCTL_CLEAR
            except Exception:
                pass

signal.signal(signal.SIGINT, signal.SIG_IGN)
_wake_r, _wake_w = os.pipe()
os.set_blocking(_wake_r, False)
os.set_blocking(_wake_w, False)
signal.signal(signal.SIGCHLD, lambda *_: None)
signal.set_wakeup_fd(_wake_w, warn_on_full_buffer=False)

SCRATCH = ("/tmp", "/work", "/dev/shm")
SESSION = bool(CFG.get("session"))
# Everything loaded so far stays put: the children then do not touch these pages (gc would write to them), which
# keeps fork cheap and copy-on-write sharing high.
gc.collect()
gc.freeze()

def write_host(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        n = os.write(1, data)
        data = data[n:]

_inbuf = b""
def read_requests(block):
    """Complete request lines from the host; [] if none (non-blocking) ; exits when the host is gone."""
    global _inbuf
    if not block:
        r, _, _ = select.select([0], [], [], 0)
        if not r:
            return []
    chunk = os.read(0, 1 << 20)
    if not chunk:
        os._exit(0)
    _inbuf += chunk
    out = []
    while b"\n" in _inbuf:
        line, _, _inbuf = _inbuf.partition(b"\n")
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out

def limits_in_child(cpu_seconds):
    set_ = resource.setrlimit
    set_(resource.RLIMIT_CORE, (0, 0))
    set_(resource.RLIMIT_AS, (CFG["memoryBytes"], CFG["memoryBytes"]))
    set_(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    set_(resource.RLIMIT_NPROC, (CFG["nproc"], CFG["nproc"]))
    set_(resource.RLIMIT_FSIZE, (CFG["fileBytes"], CFG["fileBytes"]))
    set_(resource.RLIMIT_NOFILE, (CFG["openFiles"], CFG["openFiles"]))
    set_(resource.RLIMIT_MSGQUEUE, (0, 0))  # no POSIX message queues (they would outlive the program)

def enter_child(out_w, err_w, keep=()):
    """In a fresh fork: only the program's own pipes remain, limits set, default signal handling."""
    signal.set_wakeup_fd(-1)
    for s in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(s, signal.SIG_DFL if s == signal.SIGCHLD else signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    keep = sorted(set(keep))
    lo = 3
    for fd in keep + [1 << 16]:
        if fd > lo:
            os.closerange(lo, fd)
        lo = fd + 1
    gc.unfreeze()
    os.chdir("/work")
    import io
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.argv = [""]

def run_cell(code, g, ipython):
    """Runs one program in globals g; True when it ended normally. IPython mode prints the last expression's repr."""
    try:
        tree = ast.parse(code, "<cell>", "exec")
        last = None
        if ipython and tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell>", "exec"), g)
        if last is not None:
            v = eval(compile(last, "<cell>", "eval"), g)
            if v is not None:
                g["_"] = v
                print(repr(v))
        ok = True
    except SystemExit as e:
        ok = e.code is None or e.code == 0
        if not ok and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except BaseException as e:
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        try:
            traceback.print_exception(type(e), e, tb)
        except BaseException:
            pass
        ok = False
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass
    return ok

def fresh_globals():
    return {"__name__": "__main__", "__builtins__": builtins}

def kill_all_but_me():
    """kill(-1) from PID 1 reaches every other process of the namespace; then reap them all."""
    statuses = {}
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            pid, st = os.waitpid(-1, 0)
            statuses[pid] = st
        except ChildProcessError:
            return statuses

def reap(statuses):
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = st

def wipe():
    for d in SCRATCH:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            p = os.path.join(d, n)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, onerror=lambda f, q, e: (os.chmod(os.path.dirname(q), 0o700), f(q)))
                else:
                    os.unlink(p)
            except OSError:
                pass
    for d in SCRATCH:
        try:
            os.chmod(d, 0o1777)
        except OSError:
            pass

class Output:
    def __init__(self, cap):
        self.cap, self.used, self.truncated = cap, 0, False
        self.parts = {"stdout": [], "stderr": []}
    def take(self, stream, data):
        room = self.cap - self.used
        if len(data) > room:
            data = data[:max(room, 0)]
            self.truncated = True
        self.used += len(data)
        self.parts[stream].append(data)
    def text(self, stream):
        return b"".join(self.parts[stream]).decode("utf-8", "replace")

def drain(fd, stream, out):
    """Reads what fd has now; False at end of file."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        out.take(stream, chunk)
        if out.truncated:
            return True

def watch(pid, fds, done_fd, deadline_s, req_id, out, pending):
    """Collects output until the child ends (or writes to done_fd), the deadline, the output cap, or a cancel.
    Returns (reason, status of pid or None). Reasons: exited, done, timeout, output, cancelled, lost."""
    import time
    deadline = time.monotonic() + deadline_s
    open_fds = dict(fds)
    statuses = {}
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", None
        watch_fds = list(open_fds) + [_wake_r, 0] + ([done_fd] if done_fd is not None else [])
        try:
            r, _, _ = select.select(watch_fds, [], [], min(left, 1.0))
        except InterruptedError:
            r = []
        for fd in r:
            if fd in open_fds:
                if not drain(fd, open_fds[fd], out):
                    del open_fds[fd]
                if out.truncated:
                    return "output", None
        if 0 in r:
            for m in read_requests(False):
                if m.get("op") == "cancel" and m.get("id") == req_id:
                    return "cancelled", None
                if m.get("op") == "run":
                    pending.append(m)
        if done_fd is not None and done_fd in r:
            try:
                b = os.read(done_fd, 1)
            except OSError:
                b = b""
            for fd, stream in list(open_fds.items()):
                drain(fd, stream, out)
            if not b:
                return "lost", None
            return "done", b
        if _wake_r in r:
            try:
                while os.read(_wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        reap(statuses)
        if pid in statuses:
            for fd, stream in list(open_fds.items()):
                drain(fd, stream, out)
            return "exited", statuses[pid]

def describe_exit(st):
    if os.WIFEXITED(st):
        return ("completed" if os.WEXITSTATUS(st) == 0 else "error"), ""
    sig = os.WTERMSIG(st)
    if sig == signal.SIGXCPU:
        return "timeout", "sandbox: the program used up its CPU time limit\n"
    name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
    return "killed", "sandbox: the program was killed by " + name + "\n"

def finish(req, reason, st, out, note=""):
    status = "error"
    if reason == "exited":
        status, note2 = describe_exit(st)
        note += note2
    elif reason == "done":
        status = "completed" if st == b"\x01" else "error"
    elif reason == "timeout":
        status = "timeout"
    elif reason == "output":
        status = "error"
        note += "sandbox: output exceeded %d bytes; the program was stopped\n" % out.cap
    elif reason == "cancelled":
        status = "cancelled"
    elif reason == "lost":
        status = "killed"
        note += "sandbox: the session's interpreter ended; its state is lost\n"
    write_host({"id": req["id"], "status": status, "stdout": out.text("stdout"),
                "stderr": out.text("stderr") + note, "truncated": out.truncated})

def cpu_for(req):
    return max(1, int(float(req.get("timeout", 10)) + 1.999))

def run_once(req, pending):
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            enter_child(out_w, err_w)
            limits_in_child(cpu_for(req))
            ok = run_cell(req["code"], fresh_globals(), bool(req.get("ipython")))
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    os.close(out_w)
    os.close(err_w)
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    out = Output(int(req.get("maxOutput", 100000)))
    reason, st = watch(pid, {out_r: "stdout", err_r: "stderr"}, None, float(req.get("timeout", 10)), req["id"], out, pending)
    statuses = kill_all_but_me()
    if reason == "exited" and st is None:
        st = statuses.get(pid)
    os.close(out_r)
    os.close(err_r)
    wipe()
    wipe_kernel_objects()
    finish(req, reason, st, out)

# --- session mode: one long-lived kernel
kernel = None  # (pid, cell_w, done_r, out_r, err_r)

def kernel_loop(cell_r, done_w):
    g = fresh_globals()
    while True:
        head = b""
        while len(head) < 9:
            b = os.read(cell_r, 9 - len(head))
            if not b:
                os._exit(0)
            head += b
        n = int.from_bytes(head[1:], "big")
        body = b""
        while len(body) < n:
            b = os.read(cell_r, min(n - len(body), 1 << 20))
            if not b:
                os._exit(0)
            body += b
        ok = run_cell(body.decode("utf-8", "replace"), g, head[0] == 1)
        os.write(done_w, b"\x01" if ok else b"\x00")

def start_kernel(req):
    cell_r, cell_w = os.pipe()
    done_r, done_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            enter_child(out_w, err_w, keep=(cell_r, done_w))
            limits_in_child(int(CFG["sessionCpuSeconds"]))
            kernel_loop(cell_r, done_w)
        except BaseException:
            pass
        os._exit(1)
    for fd in (cell_r, done_w, out_w, err_w):
        os.close(fd)
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    return (pid, cell_w, done_r, out_r, err_r)

def stop_kernel():
    global kernel
    if kernel is not None:
        for fd in kernel[1:]:
            try:
                os.close(fd)
            except OSError:
                pass
    kernel = None
    kill_all_but_me()

def run_session_cell(req, pending):
    global kernel
    note = ""
    if kernel is None:
        kernel = start_kernel(req)
    pid, cell_w, done_r, out_r, err_r = kernel
    data = req["code"].encode("utf-8", "surrogatepass")
    try:
        os.write(cell_w, (b"\x01" if req.get("ipython", True) else b"\x00") + len(data).to_bytes(8, "big"))
        view = memoryview(data)
        while view:
            n = os.write(cell_w, view[:65536])
            view = view[n:]
    except OSError:
        pass
    out = Output(int(req.get("maxOutput", 100000)))
    reason, st = watch(pid, {out_r: "stdout", err_r: "stderr"}, done_r, float(req.get("timeout", 10)), req["id"], out, pending)
    if reason != "done":
        stop_kernel()
        if reason == "exited":
            reason = "lost"
        if reason in ("timeout", "output", "cancelled"):
            note = "sandbox: the session's interpreter was restarted; its variables are gone\n"
    finish(req, reason, st, out, note)

write_host({"ready": True, "python": sys.version.split()[0], "preloaded": preloaded})
pending = []
while True:
    if not pending:
        pending.extend(m for m in read_requests(True) if m.get("op") == "run")
        continue
    req = pending.pop(0)
    if SESSION:
        run_session_cell(req, pending)
    else:
        run_once(req, pending)
`;

#!/usr/bin/python3
"""Math-Verify 0.8 on a JSONL file of {gold, pred}, for `npm run bench verify` (Debian's python3, which sees the
sympy and antlr4 that ../shared/peers/mathverify/setup.sh builds against).

Same checks as ../shared/peers/mathverify/verify_jsonl.py (parse gold, parse pred, verify, 5 s timeouts), but the
CPU time of each check is recorded beside its wall time, so that both sides can be rated in checks per CPU-second
on a shared machine. Usage: peer.py MV_ROOT IN.jsonl OUT.jsonl [--wrap-bare]. Each output line: {"equal", "wall",
"cpu"}; a failed parse or a timeout is equal: null.
"""
import json
import os
import sys
import time


def main():
    root, inp, out = sys.argv[1:4]
    wrap_bare = "--wrap-bare" in sys.argv[4:]
    sys.path[:0] = [os.path.join(root, "Math-Verify", "src"), os.path.join(root, "latex2sympy2_extended", "src")]
    from math_verify import parse, verify  # noqa: E402

    def wrap(s):
        if not wrap_bare or any(t in s for t in ("$", "\\(", "\\[", "\\boxed")):
            return s
        return "$" + s + "$"

    rows = [json.loads(l) for l in open(inp, encoding="utf-8") if l.strip()]
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            g, p = wrap(str(r["gold"])), wrap(str(r["pred"]))
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                v = bool(verify(parse(g, parsing_timeout=5), parse(p, parsing_timeout=5), timeout_seconds=5))
            except Exception:
                v = None
            f.write(json.dumps({"equal": v, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Integration test runner: runs every test_* function of tests/integration/test_*.py
against a running stack. Tests marked `destructive = True` (they stop or kill parts of
the stack) run last. Ends with the line `N passed, N failed`."""
import argparse
import glob
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sb  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--var", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    a = ap.parse_args()
    ctx = sb.Ctx(a.base, a.var, a.repo)
    tests = []
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for fname, fn in vars(mod).items():
            if fname.startswith("test_") and callable(fn):
                tests.append((getattr(fn, "destructive", False), fn.__code__.co_firstlineno,
                              name, fname, fn))
    tests.sort(key=lambda t: (t[0], t[2], t[1]))
    passed = failed = 0
    for _, _, mod, fname, fn in tests:
        full = "%s.%s" % (mod, fname)
        if a.k and a.k not in full:
            continue
        t0 = time.time()
        try:
            fn(ctx)
            passed += 1
            print("ok   %-60s %.2fs" % (full, time.time() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - a failing test of any kind
            failed += 1
            print("FAIL %s: %s" % (full, e), flush=True)
            tb = traceback.extract_tb(e.__traceback__)
            for fr in tb[1:]:
                print("       %s:%d %s" % (os.path.basename(fr.filename), fr.lineno, fr.line))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""make test-cluster (issue 13): the cluster of scripts/cluster.sh under a bounded load
through the front (keyed writes, resuming streams) while, one at a time, a Galera node is
killed (-9) and rejoins (IST), a Galera node is cut off and comes back, an app host is
killed and restarted, a memcached server is killed and restarted, and the front is
reloaded. For each: acknowledged writes missing (0), duplicate rows of retried keyed
creates (0), events missed or reordered by resuming clients (0), the error answers by
status and code, the longest time without an acknowledged write. Then throughput at 1, 2
and 3 app hosts and commit latency on a standalone server and on the cluster. Root.

usage: faults.py --repo DIR --var DIR [--bin DIR] [--json FILE]"""
import argparse
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clusterlib as cl  # noqa: E402
import load as ld  # noqa: E402
import measure  # noqa: E402

HOLD_S = 8  # how long a fault lasts before its recovery starts


def phase(c, name, inject, recover, wait_recovered, writers=4, streams=2):
    tag = "F%s" % name.replace("-", "")
    load = ld.Load(c, ld.tokens(c, writers), streams=streams, tag=tag)
    load.start()
    time.sleep(4)
    t_fault = time.monotonic()
    inject()
    time.sleep(HOLD_S)
    t_recover = time.monotonic()
    recover()
    wait_recovered()
    t_back = time.monotonic()
    time.sleep(4)
    t_end = time.monotonic()
    load.stop()
    res = ld.verify(c, load, tag)
    res.update(errors=dict(load.errors), longest_write_gap_s=round(load.longest_gap(t_fault, t_end), 2),
               recovery_s=round(t_back - t_recover, 1),
               writes_per_s=round(len(load.acks) / max(t_end - t_fault + 4, 1), 1))
    return res


def synced_all(c):
    def wait():
        for n in (1, 2, 3):
            if not c.wait_synced(n, 120):
                raise AssertionError("db%d did not get back to Synced" % n)
    return wait


def nothing():
    return None


def app_up(c, n):
    def wait():
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if c.host(n).request("GET", "/health", timeout=3).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("app%d did not come back" % n)
    return wait


PHASES = [
    ("db-kill", lambda c: c.sh("db-kill", "2"), lambda c: c.sh("db-start", "2"), synced_all),
    ("db-cut", lambda c: c.sh("db-cut", "3"), lambda c: c.sh("db-join", "3"), synced_all),
    ("app-kill", lambda c: c.sh("app-kill", "2"), lambda c: c.sh("app-start", "2"),
     lambda c: app_up(c, 2)),
    ("mc-kill", lambda c: c.sh("mc-kill", "1"), lambda c: c.sh("mc-start", "1"), lambda c: nothing),
    ("front-reload", lambda c: c.sh("front-reload"), lambda c: None, lambda c: nothing),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--var", required=True)
    ap.add_argument("--bin")
    ap.add_argument("--json", help="write the figures here too")
    a = ap.parse_args()
    ok, why = cl.namespaces_allowed()
    if not ok:
        print("cluster fault suite SKIPPED: this machine does not allow it (%s)" % why)
        print("0 passed, 0 failed")
        return 0
    c = cl.Cluster(a.repo, a.var, cid="sbf", net="10.79.0", bin_dir=a.bin)
    figures, passed, failed = {"phases": {}}, 0, 0
    t0 = time.monotonic()
    try:
        c.sh("up")
        for name, inject, recover, waiter in PHASES:
            try:
                res = phase(c, name, lambda: inject(c), lambda: recover(c), waiter(c))
                figures["phases"][name] = res
                bad = {k: res[k] for k in ("missing", "duplicates", "events_missed", "events_reordered")
                       if res[k] != 0}
                if res["acked"] == 0:
                    bad["acked"] = 0
                if bad:
                    raise AssertionError("lost or doubled: %r" % bad)
                passed += 1
                print("ok   %-14s %s" % (name, json.dumps(res)), flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL %-14s %s" % (name, e), flush=True)
                traceback.print_exc(limit=4)
        try:
            figures["throughput"] = measure.throughput(c)
            figures["commit_latency"] = measure.commit_latency(c, a.var)
            passed += 1
            print("ok   figures %s" % json.dumps({k: figures[k] for k in ("throughput", "commit_latency")}),
                  flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print("FAIL figures: %s" % e, flush=True)
            traceback.print_exc(limit=4)
    finally:
        c.sh("down", check=False)
        if c.namespaces():
            failed += 1
            print("FAIL namespaces left: %r" % c.namespaces())
    figures["seconds"] = round(time.monotonic() - t0)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=1)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

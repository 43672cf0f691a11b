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
import concurrent.futures
import json
import random
import subprocess
import threading
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
        n_ = n() if callable(n) else n
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if c.host(n_).request("GET", "/health", timeout=3).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("app%d did not come back" % n_)
    return wait


def capacity_race(c, calls=30):
    """Transfers of one department's calls sent at once to the three app hosts (so to three
    Galera nodes): exactly one call per agent of capacity 1, never more."""
    tok = c.token()
    hosts = [c.host(n) for n in (1, 2, 3)]
    r = hosts[0].request("POST", "/api/departments", {"name": "Race %d" % random.randrange(10 ** 9),
                                                      "phone_number": "+15551230000"}, token=tok)
    assert r.status == 201, "department: %r" % r
    dept = (r.json.get("department") or r.json.get("data"))["id"]
    agents = []
    for i in range(3):
        r = hosts[i].request("POST", "/api/agents", {"name": "Racer %d" % i, "phone_number": "+15550001111",
                             "department_id": dept, "status": "available", "max_concurrent_calls": 1}, token=tok)
        assert r.status == 201, "agent: %r" % r
        agents.append(r.json["agent"]["id"])
    call_ids = []
    for i in range(calls):
        r = hosts[i % 3].request("POST", "/api/calls", {"caller_number": "+1444%07d" % i,
                                 "called_number": "+15553334444", "status": "active"}, token=tok)
        assert r.status == 201, "call: %r" % r
        call_ids.append(r.json["call"]["id"])
    start = threading.Barrier(calls)

    def one(i):
        start.wait(timeout=60)
        return hosts[i % 3].request("POST", "/api/calls/transfer",
                                    {"call_id": call_ids[i], "target_department": dept}, token=tok, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=calls) as ex:
        answers = list(ex.map(one, range(calls)))
    statuses = {}
    for a in answers:
        statuses[a.status] = statuses.get(a.status, 0) + 1
    booked = sorted(a.json["transfer"]["agent_id"] for a in answers
                    if a.status == 200 and a.json["transfer"]["agent_id"])
    current = [hosts[2].request("GET", "/api/agents/" + a, token=tok).json["agent"]["current_calls"] for a in agents]
    res = {"answers": statuses, "booked": len(booked), "current_calls": current}
    assert statuses == {200: calls}, "answers: %r" % statuses
    assert booked == sorted(agents) and current == [1, 1, 1], "over capacity or idle: %r" % res
    return res


def stream_host(c):
    """The app host whose event worker holds the most of the load's streams (from
    stream_presence: its worker is host:pid, and the pid is in one host's namespace)."""
    rows = c.sql(1, "SELECT worker, SUM(streams) FROM switchboard.stream_presence WHERE streams > 0"
                    " AND seen_at > NOW(3) - INTERVAL 90 SECOND GROUP BY worker ORDER BY 2 DESC")
    for line in rows.splitlines():
        pid = line.split("\t")[0].rsplit(":", 1)[-1]
        for n in (1, 2, 3):
            pids = subprocess.run(["ip", "netns", "pids", "%s-app%d" % (c.cid, n)],
                                  capture_output=True, text=True).stdout.split()
            if pid in pids:
                return n
    return 2


KILLED = {}


def kill_stream_host(c):
    KILLED["app"] = stream_host(c)
    c.sh("app-kill", str(KILLED["app"]))


PHASES = [
    ("db-kill", lambda c: c.sh("db-kill", "2"), lambda c: c.sh("db-start", "2"), synced_all),
    ("db-cut", lambda c: c.sh("db-cut", "3"), lambda c: c.sh("db-join", "3"), synced_all),
    ("app-kill", kill_stream_host, lambda c: c.sh("app-start", str(KILLED["app"])),
     lambda c: app_up(c, lambda: KILLED["app"])),
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
    if cl.skipped_here("cluster fault suite"):
        return 0
    c = cl.Cluster(a.repo, a.var, cid="sbf", net="10.79.0", bin_dir=a.bin)
    figures, passed, failed = {"phases": {}}, 0, 0
    t0 = time.monotonic()
    try:
        c.sh("up")
        try:
            figures["capacity_race"] = capacity_race(c)
            passed += 1
            print("ok   capacity-race  %s" % json.dumps(figures["capacity_race"]), flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print("FAIL capacity-race  %s" % e, flush=True)
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

#!/usr/bin/env python3
"""The outbound part of make bench (scripts/bench.sh calls it on its stack).

  bench_outbound.py BASE TOKEN N [THREADS]   N dialled calls, each POST /api/calls/start,
                                             PUT /api/calls/:id/update (connected, with a
                                             quality report), POST /api/calls/:id/end,
                                             through nginx from THREADS threads (default 8);
                                             prints calls per second (whole cycles) and each
                                             step's requests per second, p50 and p99

Every start checks the do-not-call list and takes the tenant's caller number; every end
writes a CDR with its KPI buckets, the lead-less call's aggregates and three events, so
a cycle is three write transactions. Keep-alive connections, one per thread."""
import concurrent.futures
import http.client
import json
import sys
import time
import urllib.parse

BASE, TOKEN, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
THREADS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
U = urllib.parse.urlparse(BASE)


def worker(count, tid):
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=60)
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN}
    times = {"start": [], "update": [], "end": []}

    def req(step, method, path, body):
        t = time.perf_counter()
        conn.request(method, path, body=json.dumps(body), headers=h)
        r = conn.getresponse()
        data = r.read()
        times[step].append(time.perf_counter() - t)
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return json.loads(data)

    for i in range(count):
        c = req("start", "POST", "/api/calls/start",
                {"phoneNumber": "+1 555 %03d %04d" % (tid, i % 10000), "agentId": "bench_%d" % tid})
        cid = c["data"]["call"]["id"]
        req("update", "PUT", "/api/calls/%s/update" % cid,
            {"status": "connected", "quality": {"latency": 80, "jitter": 9, "packetLoss": 0.2,
                                                "mos": 4.3}})
        req("end", "POST", "/api/calls/%s/end" % cid,
            {"outcome": "Interested" if i % 4 == 0 else "Not Interested",
             "disposition": "bench", "tags": ["bench"]})
    conn.close()
    return times


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000 if xs else float("nan")


def main():
    per = [N // THREADS + (1 if i < N % THREADS else 0) for i in range(THREADS)]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        results = list(ex.map(worker, per, range(THREADS)))
    wall = time.perf_counter() - t0
    print("outbound calls: %d start → update → end cycles, %d threads, %.1f s" % (N, THREADS, wall))
    print("  %-34s %8.0f calls/s (%.0f requests/s)" % ("whole cycles", N / wall, 3 * N / wall))
    for step, name in (("start", "POST /api/calls/start"), ("update", "PUT /api/calls/:id/update"),
                       ("end", "POST /api/calls/:id/end")):
        xs = [x for r in results for x in r[step]]
        busy = sum(xs) / THREADS
        print("  %-34s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms" % (
            name, len(xs) / busy if busy else 0, pct(xs, 50), pct(xs, 99)))


if __name__ == "__main__":
    main()

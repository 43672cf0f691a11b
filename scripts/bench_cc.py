#!/usr/bin/env python3
"""The contact-center part of make bench (scripts/bench.sh calls it on its stack).

  bench_cc.py BASE SB_VAR TOKEN TENANT CDRS OUT

1. Distribution: a queue with 500 agents free (presence available, idle) and 1,000
   callers waiting, all due at once; the clock (woken by a datagram, as the pool wakes it)
   offers calls until no agent is free. Reported: offers per second and, per offered
   call, the time from being due to its offer (p50/p99).
2. Seeds CDRS CDRs (and their 15-minute KPI buckets, as cdr_write would have filled them)
   into the tenant over ~60 days, and a second tenant with 1,000, for the wrk runs that
   bench.sh then makes (KPI stats over both, the CDR list at depth) and the CSV export
   timed here.

Writes shell assignments for bench.sh to OUT: QUEUE, SMALL_TOKEN, CSV_* figures. Seeding
goes through SQL (as bench.sh seeds calls): the point is the size, not the writes."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

BASE, VAR, TOKEN, TENANT, NCDRS, OUT = sys.argv[1:7]
NCDRS = int(NCDRS)
SOCK = os.path.join(VAR, "run", "mysqld.sock")


def sql(q):
    p = subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + SOCK, "-N", "-B",
                        "switchboard", "-e", q], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_cc: sql failed: %s\n%s" % (p.stderr, q[:300]))
    return p.stdout


def api(method, path, body=None, token=TOKEN):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def seed_agents(queue, n):
    """n agent users, members of the queue, free; in three statements."""
    sql("""INSERT INTO users (id, tenant_id, email, password_hash, first_name, last_name)
           SELECT CONCAT('usr_b%(k)s_', LPAD(seq, 6, '0')), '%(t)s',
                  CONCAT('bench-agent-', seq, '@example.test'), 'x', 'Agent', seq
           FROM seq_1_to_%(n)d;
           INSERT INTO user_roles (tenant_id, user_id, role)
           SELECT '%(t)s', CONCAT('usr_b%(k)s_', LPAD(seq, 6, '0')), 'agent' FROM seq_1_to_%(n)d;
           INSERT INTO queue_members (id, tenant_id, queue_id, user_id, penalty, position)
           SELECT CONCAT('qm_b%(k)s_', LPAD(seq, 6, '0')), '%(t)s', '%(q)s',
                  CONCAT('usr_b%(k)s_', LPAD(seq, 6, '0')), 0, seq FROM seq_1_to_%(n)d;
           INSERT INTO agent_states (id, tenant_id, user_id, state, presence, activity,
                                     capacity, active_calls, last_call_ended_at)
           SELECT CONCAT('as_b%(k)s_', LPAD(seq, 6, '0')), '%(t)s',
                  CONCAT('usr_b%(k)s_', LPAD(seq, 6, '0')), 'available', 'available', 'idle',
                  1, 0, NOW(3) - INTERVAL seq SECOND FROM seq_1_to_%(n)d;"""
        % {"t": TENANT, "q": queue, "n": n, "k": TENANT[-8:]})


def distribution():
    q = api("POST", "/api/queues", {"name": "Bench queue", "strategy": "leastrecent",
                                    "timeout": 300, "retry": 0, "max_wait_time": 0})["data"]
    seed_agents(q["id"], 500)
    # 1,000 callers in line, due now; the clock's wake socket makes it look at once.
    sql("""INSERT INTO queue_calls (id, tenant_id, queue_id, caller_number, status, entered_at,
                                    next_offer_at)
           SELECT CONCAT('qc_b%s_', LPAD(seq, 6, '0')), '%s', '%s',
                  CONCAT('+1555', LPAD(seq, 7, '0')), 'waiting',
                  NOW(3) - INTERVAL 1000 - seq SECOND, NOW(3) FROM seq_1_to_1000"""
        % (TENANT[-8:], TENANT, q["id"]))
    due = float(sql("SELECT UNIX_TIMESTAMP(NOW(3))").strip())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(b"w", os.path.join(VAR, "run", "clock-wake.sock"))
    except OSError:
        pass  # the clock looks every 200 ms anyway
    deadline = time.time() + 120
    while time.time() < deadline:
        n = int(sql("SELECT COUNT(*) FROM queue_offers WHERE tenant_id = '%s'" % TENANT))
        if n >= 500:
            break
        time.sleep(0.2)
    rows = sql("SELECT UNIX_TIMESTAMP(offered_at) FROM queue_offers WHERE tenant_id = '%s'"
               % TENANT).split()
    lat = [(float(x) - due) * 1000 for x in rows]
    span = max(lat) / 1000 if lat else 0
    over = sql("SELECT COUNT(*) FROM agent_states WHERE tenant_id = '%s'"
               " AND active_calls > capacity" % TENANT).strip()
    print("distribution: 500 free agents, 1,000 callers due at once: %d offers in %.2f s"
          " (%.0f offers/s); due -> offer p50 %.0f ms, p99 %.0f ms; agents over capacity: %s"
          % (len(lat), span, len(lat) / span if span else 0, pct(lat, 50), pct(lat, 99), over))
    return q["id"]


def seed_cdrs(tenant, queue, n, spacing):
    """n answered/abandoned CDRs `spacing` seconds apart going back from now, and the
    buckets they add up to (what cdr_write keeps)."""
    sql("""SET SESSION unique_checks = 0;
           INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number, queue_id,
                             start_time, answer_time, end_time, duration, billsec, wait_time,
                             disposition, hold_time, wrapup_time)
           SELECT CONCAT('cdr_bench_%(t)s_', LPAD(seq, 8, '0')), '%(t)s', 'inbound',
                  CONCAT('+1444', LPAD(seq MOD 10000000, 7, '0')), '+15559990000', '%(q)s',
                  s, IF(seq MOD 10 = 0, NULL, s + INTERVAL seq MOD 40 SECOND),
                  s + INTERVAL (seq MOD 40) + 30 + seq MOD 300 SECOND,
                  (seq MOD 40) + 30 + seq MOD 300, IF(seq MOD 10 = 0, 0, 30 + seq MOD 300),
                  seq MOD 40, IF(seq MOD 10 = 0, 'abandoned', 'answered'), 0, 0
           FROM (SELECT seq, UTC_TIMESTAMP() - INTERVAL (seq * %(sp)d) SECOND AS s
                 FROM seq_1_to_%(n)d) x;
           INSERT INTO kpi_queue_buckets (tenant_id, queue_id, bucket_start, offered, answered,
                  abandoned, short_abandoned, answered_in_sl, overflowed, wait_sum, wait_max,
                  answer_wait_sum, talk_sum, hold_sum, wrapup_sum)
           SELECT tenant_id, queue_id, bucket, COUNT(*), SUM(disposition = 'answered'),
                  SUM(disposition = 'abandoned'), SUM(disposition = 'abandoned' AND wait_time < 5),
                  SUM(disposition = 'answered' AND wait_time <= 20), 0, SUM(wait_time),
                  MAX(wait_time), SUM(IF(disposition = 'answered', wait_time, 0)), SUM(billsec), 0, 0
           FROM (SELECT tenant_id, queue_id, disposition, wait_time, billsec,
                        start_time - INTERVAL (MINUTE(start_time) MOD 15) MINUTE
                        - INTERVAL SECOND(start_time) SECOND AS bucket
                 FROM cdrs WHERE tenant_id = '%(t)s') c
           GROUP BY tenant_id, queue_id, bucket;
           ANALYZE TABLE cdrs, kpi_queue_buckets;""" % {"t": tenant, "q": queue, "n": n,
                                                       "sp": spacing})


def small_tenant():
    """A second tenant with 1,000 CDRs, 15 s apart (the last 4 hours): over the last hour
    its KPI request reads as many buckets as the big tenant's, and should cost the same."""
    email = "bench-small-%d@example.test" % int(time.time())
    req = urllib.request.Request(BASE + "/api/auth/register", method="POST", data=json.dumps(
        {"tenant_name": "Bench small", "email": email, "password": "bench-small-pw-1234"}).encode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        s = json.loads(r.read())
    tok, tid = s["token"], s["user"]["tenant_id"]
    q = api("POST", "/api/queues", {"name": "Small queue"}, token=tok)["data"]
    seed_cdrs(tid, q["id"], 1000, 15)
    return tok


def csv_export():
    """The CSV of the last 30 days (about half the CDRs), streamed: time and rows/s."""
    t0 = time.time()
    req = urllib.request.Request(BASE + "/api/cdr?format=csv&start=%s" % time.strftime(
        "%Y-%m-%d", time.gmtime(time.time() - 30 * 86400)))
    req.add_header("Authorization", "Bearer " + TOKEN)
    n = size = 0
    first = None
    with urllib.request.urlopen(req, timeout=600) as r:
        for line in r:
            if first is None:
                first = time.time() - t0
            n += 1
            size += len(line)
    took = time.time() - t0
    print("CSV export, last 30 days: %d rows, %.1f MB in %.1f s (%.0f rows/s), first byte"
          " after %.0f ms" % (n - 1, size / 1e6, took, (n - 1) / took, (first or 0) * 1000))
    return n - 1, took


def main():
    queue = distribution()
    print("seeding %d CDRs…" % NCDRS, flush=True)
    t0 = time.time()
    seed_cdrs(TENANT, queue, NCDRS, max(1, 60 * 86400 // NCDRS))
    print("seeded in %.0f s" % (time.time() - t0))
    small = small_tenant()
    rows, took = csv_export()
    with open(OUT, "w") as f:
        f.write("QUEUE=%s\nSMALL_TOKEN=%s\nCSV_ROWS=%d\nCSV_SECONDS=%.1f\n"
                % (queue, small, rows, took))


if __name__ == "__main__":
    main()

"""Idempotency-Key on creates and answers that never depend on a read after the commit
(issue 6): a retry after a lost answer replays it, never creates twice."""
import concurrent.futures
import os
import random
import signal
import threading
import time
import uuid

import sb
from sb import check, expect_error

_rng = random.SystemRandom()


def _call_body(key):
    return {"caller_number": "+1444%07d" % _rng.randrange(10 ** 7),
            "called_number": "+15553334444", "context": {"key": key}}


def _keyed(ctx, token, path, body, key, **kw):
    return ctx.post(path, body, token=token, headers={"Idempotency-Key": key}, **kw)


def _rows_per_key(ctx, tid):
    out = sb.sql(ctx, "SELECT JSON_VALUE(context, '$.key'), id FROM calls"
                      " WHERE tenant_id = '%s'" % tid)
    rows = {}
    for line in out.splitlines():
        k, cid = line.split("\t")
        rows.setdefault(k, []).append(cid)
    return rows


def test_same_key_replays_the_first_answer(ctx):
    token, tid = sb.tenant(ctx)
    key = "order-" + uuid.uuid4().hex
    body = _call_body(key)
    first = _keyed(ctx, token, "/api/calls", body, key)
    check(first.status == 201 and first.headers.get("idempotent-replayed") is None,
          "first: %r" % first)
    again = _keyed(ctx, token, "/api/calls", body, key)
    check(again.status == 201 and again.headers.get("idempotent-replayed") == "true",
          "replay: %r %r" % (again, again.headers))
    check(again.json == first.json, "the replay differs: %r vs %r" % (again.json, first.json))
    check(len(_rows_per_key(ctx, tid).get(key, [])) == 1, "two calls for one key")
    # The same key for another request is refused, naming the header.
    other = _keyed(ctx, token, "/api/calls", _call_body(key), key)
    expect_error(other, 422, "validation_failed")
    check(sb.fields(other) == {"Idempotency-Key"}, "fields: %r" % other.json)
    # Keys belong to a tenant: another tenant's same key creates its own call.
    token_b, tid_b = sb.tenant(ctx)
    r = _keyed(ctx, token_b, "/api/calls", body, key)
    check(r.status == 201 and r.headers.get("idempotent-replayed") is None, "B: %r" % r)
    check(r.json["call"]["id"] != first.json["call"]["id"], "B got A's call")
    # Without a key every request creates.
    a = ctx.post("/api/calls", body, token=token)
    b = ctx.post("/api/calls", body, token=token)
    check(a.status == b.status == 201 and a.json["call"]["id"] != b.json["call"]["id"],
          "keyless creates: %r %r" % (a, b))
    # A malformed key is refused before anything is written.
    for bad in ("", "has space", "x" * 256, "tab\there"):
        r = _keyed(ctx, token, "/api/calls", _call_body(bad), bad)
        expect_error(r, 422, "validation_failed")
    check(not any(k in ("", "has space", "x" * 256, "tab\there")
                  for k in _rows_per_key(ctx, tid)), "a refused key created a call")


def test_every_create_takes_a_key(ctx):
    token, _ = sb.tenant(ctx)
    dept_body = {"name": "D " + sb.uid(), "phone_number": "+15551230000"}
    key = "k-" + sb.uid()
    first = _keyed(ctx, token, "/api/departments", dept_body, key)
    check(first.status == 201, "department: %r" % first)
    dept = first.json["department"]["id"]
    cases = [
        ("/api/agents", {"name": "A " + sb.uid(), "phone_number": "+15550001111",
                         "department_id": dept}, "agent"),
        ("/api/users", {"email": "u-%s@example.test" % sb.uid(), "password": "pw-" + sb.uid(),
                        "role": "agent"}, "user"),
        ("/api/dids", {"number": "+1555%07d" % _rng.randrange(10 ** 7),
                       "route_type": "department", "route_target": dept}, "did"),
    ]
    for path, body, name in cases:
        k = "k-" + sb.uid()
        a = _keyed(ctx, token, path, body, k)
        b = _keyed(ctx, token, path, body, k)
        check(a.status == 201 and b.status == 201 and b.headers.get("idempotent-replayed") ==
              "true" and a.json[name]["id"] == b.json[name]["id"], "%s: %r %r" % (path, a, b))
    # A transfer: the retry does not reserve a second agent seat.
    r = ctx.post("/api/agents", {"name": "T " + sb.uid(), "phone_number": "+15550002222",
                                 "department_id": dept, "max_concurrent_calls": 5}, token=token)
    check(r.status == 201, "agent: %r" % r)
    r = ctx.put("/api/agents/%s/status" % r.json["agent"]["id"], {"status": "available"},
                token=token)
    check(r.status == 200, "agent available: %r" % r)
    agent = r.json["agent"]["id"]
    call = ctx.post("/api/calls", _call_body("t"), token=token).json["call"]["id"]
    k = "k-" + sb.uid()
    body = {"call_id": call, "target_department": dept}
    t1 = _keyed(ctx, token, "/api/calls/transfer", body, k)
    t2 = _keyed(ctx, token, "/api/calls/transfer", body, k)
    check(t1.status == 200 and t2.status == 200 and t1.json == t2.json, "transfer: %r %r"
          % (t1, t2))
    got = ctx.get("/api/agents/" + agent, token=token).json["agent"]
    check(got["current_calls"] == 1, "the replayed transfer reserved again: %r" % got)


def test_keyed_creates_survive_killed_workers(ctx):
    """A burst of keyed creates while workers are killed: retried until answered, every
    key ends with exactly one call, and the answer names that call."""
    token, tid = sb.tenant(ctx)
    master = ctx.pidfile("pool.pid")
    keys = ["burst-%s-%d" % (sb.uid(), i) for i in range(400)]
    bodies = {k: _call_body(k) for k in keys}
    answers = {}
    stop = threading.Event()
    kills = [0]
    retries = [0]

    def killer():
        while not stop.is_set():
            time.sleep(0.15)
            kids = [int(d) for d in os.listdir("/proc") if d.isdigit() and _parent(int(d)) == master]
            if kids:
                try:
                    os.kill(_rng.choice(kids), signal.SIGKILL)
                    kills[0] += 1
                except ProcessLookupError:
                    pass

    def send(k):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = _keyed(ctx, token, "/api/calls", bodies[k], k, timeout=20)
            except OSError:
                continue
            if r.status == 201:
                return k, r
            check(r.status in (502, 503, 504), "%s: unexpected %r" % (k, r))
            retries[0] += 1
            time.sleep(0.05)
        raise AssertionError("%s: no answer within 60 s" % k)

    t = threading.Thread(target=killer)
    t.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            for k, r in ex.map(send, keys):
                answers[k] = r
    finally:
        stop.set()
        t.join()
    check(kills[0] >= 3, "only %d workers were killed" % kills[0])
    print("       (%d keyed creates, %d workers killed, %d answers lost and retried)"
          % (len(keys), kills[0], retries[0]))
    rows = _rows_per_key(ctx, tid)
    for k in keys:
        check(rows.get(k) == [answers[k].json["call"]["id"]],
              "key %s: rows %r, answer %r" % (k, rows.get(k), answers[k].json["call"]["id"]))
    check(set(rows) == set(keys), "calls without a key: %r" % (set(rows) - set(keys)))


test_keyed_creates_survive_killed_workers.destructive = True


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_spent_rows_are_purged(ctx):
    """The event worker's housekeeping removes expired tickets, day-old idempotency
    records and long-passed throttle buckets, and keeps the live ones."""
    _, tid = sb.tenant(ctx)
    old, new = sorted(uuid.uuid4().hex + uuid.uuid4().hex for _ in range(2))
    sid = sb.sql(ctx, "SELECT id FROM auth_sessions WHERE tenant_id = '%s' LIMIT 1" % tid).strip()
    uid = sb.sql(ctx, "SELECT user_id FROM auth_sessions WHERE id = '%s'" % sid).strip()
    sb.sql(ctx, "INSERT INTO stream_tickets (id, tenant_id, user_id, session_id, expires_at)"
                " VALUES ('%s', '%s', '%s', '%s', NOW() - INTERVAL 2 HOUR),"
                " ('%s', '%s', '%s', '%s', NOW() + INTERVAL 1 MINUTE)"
                % (old, tid, uid, sid, new, tid, uid, sid))
    sb.sql(ctx, "INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash, status,"
                " response, created_at) VALUES ('%s', '%s', 'x', 201, '{}',"
                " NOW() - INTERVAL 26 HOUR), ('%s', '%s', 'x', 201, '{}', NOW())"
                % (tid, old, tid, new))
    sb.sql(ctx, "INSERT INTO rate_buckets (bucket, hits, window_start) VALUES"
                " ('%s', 3, NOW() - INTERVAL 3 DAY), ('%s', 3, NOW())" % (old, new))
    query = ("SELECT (SELECT GROUP_CONCAT(id ORDER BY id) FROM stream_tickets WHERE id IN"
             " ('{o}', '{n}')), (SELECT GROUP_CONCAT(key_hash ORDER BY key_hash)"
             " FROM idempotency_keys WHERE key_hash IN ('{o}', '{n}')),"
             " (SELECT GROUP_CONCAT(bucket ORDER BY bucket) FROM rate_buckets"
             " WHERE bucket IN ('{o}', '{n}'))").format(o=old, n=new)
    deadline = time.monotonic() + 30
    while True:
        got = sb.sql(ctx, query).strip().split("\t")
        if got == [new, new, new] or time.monotonic() > deadline:
            break
        time.sleep(1)
    check(got == [new, new, new], "after housekeeping: %r" % got)

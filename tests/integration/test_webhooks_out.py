"""Outgoing webhooks (/api/webhooks, /api/v1/webhooks) and their delivery by switchboard-hooks:
CRUD and its 401/403/404/422, the secret shown once, signed deliveries checked with Python's
hmac by a receiver of our own on loopback, retries, giving up and disabling, order and
exactly-once delivery (deduped on the delivery id) across a kill -9 of the delivery process,
and private addresses refused.

The stack must allow loopback targets and retry fast (scripts/test.sh sets
SB_WEBHOOK_ALLOW_LOOPBACK and the SB_WEBHOOK_RETRY_*/GIVE_UP/DISABLE_AFTER keys)."""
import hashlib
import hmac
import http.server
import json
import os
import signal
import threading
import time

import sb
from sb import check, expect_cc_error

WEBHOOK_FIELDS = {"id", "tenant_id", "name", "description", "url", "events", "is_active",
                  "timeout_ms", "failure_count", "created_by", "last_triggered_at",
                  "last_success_at", "last_failure_at", "disabled_at", "disabled_reason",
                  "created_at", "updated_at"}


# -- the receiver --------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 in a thread. Each POST is recorded as (headers, body);
    the answers are taken from `script` (statuses, in order), then `default`."""

    def __init__(self, default=200, script=()):
        self.posts = []
        self.default = default
        self.script = list(script)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = outer.script.pop(0) if outer.script else outer.default
                # (a failure answers a byte that is not UTF-8: it is logged as '?')
                out = b'{"ok":true}' if status < 300 else b'\xff{"error":"receiver says no"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # the default 5 drops SYNs of concurrent deliveries

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self):
        with self.lock:
            return list(self.posts)


def verify(secret, headers, body, tolerance=300):
    """The receiver's side of X-Switchboard-Signature: t=<unix>,v1=<hex>, with hmac."""
    parts = dict(p.split("=", 1) for p in headers.get("x-switchboard-signature", "").split(","))
    t = parts.get("t", "")
    want = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return (t.isdigit() and abs(time.time() - int(t)) <= tolerance
            and hmac.compare_digest(want, parts.get("v1", "")))


# -- helpers -------------------------------------------------------------------------

def _conf(ctx):
    out = {}
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    for k in list(out):  # the environment wins, as in config_load()
        env = os.environ.get("SB_" + k.upper())
        if env is not None:
            out[k] = env
    return out


def _need_loopback(ctx):
    c = _conf(ctx)
    check(c.get("webhook_allow_loopback") == "true",
          "the stack refuses loopback webhooks: start it with SB_WEBHOOK_ALLOW_LOOPBACK=true "
          "(scripts/test.sh does)")
    return c


def _create(ctx, token, url, **extra):
    body = {"url": url}
    body.update(extra)
    r = ctx.post("/api/v1/webhooks", body, token=token)
    return sb.cc_data(r, 201)


def _dept(ctx, token, name=None):
    r = ctx.post("/api/departments", {"name": name or "Dept " + sb.uid(),
                                      "phone_number": "+15551230000"}, token=token)
    check(r.status == 201, "create department: %r" % r)
    return r.json["department"]


def _wait_posts(rx, n, timeout=20):
    got = sb.wait(lambda: len(rx.snapshot()) >= n, timeout, 0.05)
    check(got, "the receiver got %d POSTs in %d s, want %d: %r"
          % (len(rx.snapshot()), timeout, n, [p[1][:200] for p in rx.snapshot()]))
    return rx.snapshot()


# -- CRUD ----------------------------------------------------------------------------

def test_webhook_crud_and_secret_once(ctx):
    _need_loopback(ctx)
    token, tid = sb.tenant(ctx)
    w = _create(ctx, token, "https://hooks.example.com/in", events=["call.ended", "ticket.created"],
                name="CRM", description="to the CRM")
    secret = w.pop("secret")
    check(secret.startswith("whsec_") and len(secret) >= 32, "secret: %r" % secret)
    check(set(w) == WEBHOOK_FIELDS, "fields: %r" % sorted(w))
    check(w["id"].startswith("wh_") and w["tenant_id"] == tid, "ids: %r" % w)
    check(w["events"] == ["call.ended", "ticket.created"] and w["is_active"] is True
          and w["timeout_ms"] == 5000 and w["description"] == "to the CRM", "record: %r" % w)
    check(w["created_by"], "created_by: %r" % w)
    # Never again: get, list, update, stats, logs, failed, under both prefixes.
    answers = [ctx.get("/api/v1/webhooks/" + w["id"], token=token),
               ctx.get("/api/webhooks/" + w["id"], token=token),
               ctx.get("/api/v1/webhooks", token=token),
               ctx.put("/api/v1/webhooks/" + w["id"], {"description": "changed"}, token=token),
               ctx.get("/api/v1/webhooks/%s/stats" % w["id"], token=token),
               ctx.get("/api/v1/webhooks/%s/logs" % w["id"], token=token),
               ctx.get("/api/v1/webhooks/failed", token=token)]
    for r in answers:
        check(r.status == 200, "answer: %r" % r)
        check(secret not in r.text and "secret" not in r.text, "the secret leaks: %r" % r)
    check(sb.cc_data(answers[0]) == dict(w, updated_at=sb.cc_data(answers[0])["updated_at"]),
          "GET: %r" % answers[0])
    upd = sb.cc_data(answers[3])
    check(upd["description"] == "changed" and upd["events"] == w["events"], "PUT: %r" % upd)
    lst = answers[2].json
    check([x["id"] for x in lst["data"]] == [w["id"]] and lst["meta"]["total_count"] == 1,
          "list: %r" % lst)
    # Stored sealed: the plain secret is nowhere in the row.
    raw = sb.sql(ctx, "SELECT HEX(secret_encrypted) FROM webhooks WHERE id = '%s'" % w["id"])
    check(raw.strip() and secret.encode().hex().upper() not in raw, "not sealed: %r" % raw)
    # events "*" and partial updates
    r = ctx.put("/api/v1/webhooks/" + w["id"], {"events": "*", "is_active": False}, token=token)
    d = sb.cc_data(r)
    check(d["events"] == ["*"] and d["is_active"] is False, "events *: %r" % d)
    # rotate: a new secret, shown once
    r = ctx.post("/api/v1/webhooks/%s/rotate-secret" % w["id"], token=token)
    s2 = sb.cc_data(r)["secret"]
    check(s2.startswith("whsec_") and s2 != secret, "rotated: %r" % r)
    check(s2 not in ctx.get("/api/v1/webhooks/" + w["id"], token=token).text, "rotated leaks")
    # delete
    r = ctx.delete("/api/v1/webhooks/" + w["id"], token=token)
    check(r.status == 200, "delete: %r" % r)
    expect_cc_error(ctx.get("/api/v1/webhooks/" + w["id"], token=token), 404)
    expect_cc_error(ctx.delete("/api/v1/webhooks/" + w["id"], token=token), 404)


def test_webhook_validation_and_private_addresses(ctx):
    c = _conf(ctx)
    token, _ = sb.tenant(ctx)
    cases = [({}, "url"), ({"url": "ftp://example.com/x"}, "url"),
             ({"url": "not a url"}, "url"), ({"url": "http://"}, "url"),
             ({"url": "http://10.1.2.3/hook"}, "url"),
             ({"url": "http://192.168.0.10:8080/hook"}, "url"),
             ({"url": "http://172.16.5.4/"}, "url"), ({"url": "http://100.64.1.1/"}, "url"),
             ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
             ({"url": "http://[fd00::1]/"}, "url"), ({"url": "http://[::ffff:10.0.0.1]/"}, "url"),
             ({"url": "http://0.0.0.0/"}, "url"), ({"url": "http://224.0.0.1/"}, "url"),
             ({"url": "https://ok.example.com/", "events": []}, "events"),
             ({"url": "https://ok.example.com/", "events": "call.ended"}, "events"),
             ({"url": "https://ok.example.com/", "events": [1]}, "events"),
             ({"url": "https://ok.example.com/", "events": ["_auth"]}, "events"),
             ({"url": "https://ok.example.com/", "timeout_ms": 5}, "timeout_ms")]
    if c.get("webhook_allow_loopback") != "true":
        cases.append(({"url": "http://127.0.0.1:9/"}, "url"))
        cases.append(({"url": "http://localhost/"}, "url"))
    for body, field in cases:
        r = ctx.post("/api/v1/webhooks", body, token=token)
        expect_cc_error(r, 422)
        check(field in (r.json["error"].get("details") or {}), "%r: details %r" % (body, r.json))
    w = _create(ctx, token, "https://ok.example.com/")
    r = ctx.put("/api/v1/webhooks/" + w["id"], {"url": "http://10.0.0.7/"}, token=token)
    expect_cc_error(r, 422)
    check("url" in r.json["error"]["details"], "PUT private: %r" % r.json)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM webhooks WHERE url LIKE 'http://10.%%'"
                 " AND id = '%s'" % w["id"]).strip() == "0", "stored anyway")


def test_webhook_auth_roles_and_tenants(ctx):
    token, _ = sb.tenant(ctx)
    w = _create(ctx, token, "https://a.example.com/")
    wid = w["id"]
    routes = [("GET", "/api/v1/webhooks"), ("POST", "/api/v1/webhooks"),
              ("GET", "/api/v1/webhooks/" + wid), ("PUT", "/api/v1/webhooks/" + wid),
              ("DELETE", "/api/v1/webhooks/" + wid), ("POST", "/api/v1/webhooks/%s/test" % wid),
              ("POST", "/api/v1/webhooks/%s/rotate-secret" % wid),
              ("GET", "/api/v1/webhooks/%s/logs" % wid), ("GET", "/api/v1/webhooks/%s/stats" % wid),
              ("GET", "/api/v1/webhooks/failed")]
    agent = sb.user(ctx, token, "agent")["token"]
    manager = sb.user(ctx, token, "manager")["token"]
    for m, p in routes:
        expect_cc_error(ctx.request(m, p, body={"url": "https://b.example.com/"}), 401)
        expect_cc_error(ctx.request(m, p, body={"url": "https://b.example.com/"}, token=agent), 403)
    # a manager may (admin, manager)
    check(ctx.get("/api/v1/webhooks/" + wid, token=manager).status == 200, "manager GET")
    # another tenant's webhook is absent
    other, _ = sb.tenant(ctx)
    for m, p in routes[2:9]:
        expect_cc_error(ctx.request(m, p, body={"description": "x"}, token=other), 404)
    r = ctx.get("/api/v1/webhooks", token=other)
    check(sb.cc_data(r) == [], "other tenant's list: %r" % r)
    for m, p in routes[2:9]:
        expect_cc_error(ctx.request(m, p.replace(wid, "wh_nope"), body={"description": "x"},
                                    token=token), 404)


# -- delivery ------------------------------------------------------------------------

def test_webhook_delivery_signed(ctx):
    _need_loopback(ctx)
    rx = Receiver()
    try:
        token, tid = sb.tenant(ctx)
        w = _create(ctx, token, rx.url, events=["department_changed"])
        other = _create(ctx, token, rx.url + "?never", events=["ticket.created"])
        d = _dept(ctx, token)
        posts = _wait_posts(rx, 1)
        time.sleep(0.6)  # nothing else comes (the other webhook does not subscribe)
        posts = rx.snapshot()
        check(len(posts) == 1, "POSTs: %r" % [p[1] for p in posts])
        h, body = posts[0]
        check(verify(w["secret"], h, body), "signature does not verify: %r %r" % (h, body))
        check(not verify(other["secret"], h, body), "verifies with another secret")
        check(not verify(w["secret"], h, body + b" "), "verifies a changed body")
        ev = json.loads(body)
        check(set(ev) == {"id", "type", "tenant_id", "created_at", "data"}, "body: %r" % ev)
        check(ev["type"] == "department_changed" and ev["tenant_id"] == tid
              and isinstance(ev["id"], int) and isinstance(ev["data"], dict), "body: %r" % ev)
        check(d["id"] in body.decode(), "the department is not in the event: %r" % ev)
        check(h.get("x-switchboard-event") == "department_changed"
              and h.get("x-switchboard-delivery", "").startswith("whd_")
              and h.get("content-type") == "application/json", "headers: %r" % h)
        logs = sb.wait(lambda: sb.cc_data(ctx.get("/api/v1/webhooks/%s/logs" % w["id"],
                                                  token=token)), 5)
        check(len(logs) == 1 and logs[0]["success"] is True and logs[0]["status_code"] == 200
              and logs[0]["attempt"] == 1 and logs[0]["delivery_id"] == h["x-switchboard-delivery"]
              and logs[0]["response_body"] == '{"ok":true}'
              and isinstance(logs[0]["response_time_ms"], int), "logs: %r" % logs)
        st = sb.cc_data(ctx.get("/api/v1/webhooks/%s/stats" % w["id"], token=token))
        check(st["attempts"] == 1 and st["successes"] == 1 and st["failures"] == 0
              and st["delivered"] == 1 and st["pending"] == 0 and st["last_success_at"],
              "stats: %r" % st)
        # a test delivery, to this webhook only
        r = ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token)
        q = sb.cc_data(r, 202)
        check(q["event_type"] == "webhook.test" and q["status"] == "queued", "test: %r" % q)
        h2, b2 = _wait_posts(rx, 2)[1]
        ev2 = json.loads(b2)
        check(ev2["type"] == "webhook.test" and ev2["id"] == q["event_id"]
              and ev2["data"]["webhook_id"] == w["id"] and verify(w["secret"], h2, b2),
              "test delivery: %r" % ev2)
        # after rotate-secret, deliveries are signed with the new secret
        s2 = sb.cc_data(ctx.post("/api/v1/webhooks/%s/rotate-secret" % w["id"],
                                 token=token))["secret"]
        ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token)
        h3, b3 = _wait_posts(rx, 3)[2]
        check(verify(s2, h3, b3) and not verify(w["secret"], h3, b3), "rotated signature")
        time.sleep(0.5)
        check(len(rx.snapshot()) == 3, "extra POSTs: %r" % [p[1] for p in rx.snapshot()])
    finally:
        rx.close()


def test_webhook_retries_after_500(ctx):
    _need_loopback(ctx)
    rx = Receiver(script=[500, 503])
    try:
        token, _ = sb.tenant(ctx)
        w = _create(ctx, token, rx.url)
        ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token)
        posts = _wait_posts(rx, 3, 30)
        ids = {p[0]["x-switchboard-delivery"] for p in posts}
        check(len(ids) == 1, "one delivery, retried: %r" % ids)
        check(all(verify(w["secret"], h, b) for h, b in posts), "a retry does not verify")
        logs = sb.wait(lambda: (lambda x: x if len(x) == 3 else None)(
            sb.cc_data(ctx.get("/api/v1/webhooks/%s/logs" % w["id"], token=token))), 5)
        check(logs, "logs")
        logs = list(reversed(logs))  # newest first
        check([x["status_code"] for x in logs] == [500, 503, 200]
              and [x["attempt"] for x in logs] == [1, 2, 3]
              and [x["success"] for x in logs] == [False, False, True], "logs: %r" % logs)
        check(logs[0]["error"] == "HTTP 500"
              and logs[0]["response_body"] == '?{"error":"receiver says no"}',
              "failure logged: %r" % logs[0])
        st = sb.cc_data(ctx.get("/api/v1/webhooks/%s/stats" % w["id"], token=token))
        check(st["attempts"] == 3 and st["successes"] == 1 and st["failures"] == 2
              and st["delivered"] == 1, "stats: %r" % st)
    finally:
        rx.close()


def test_webhook_paused_keeps_its_queue(ctx):
    """Turned off with deliveries pending, a webhook gets nothing; turned on again, it gets
    them, in order."""
    _need_loopback(ctx)
    rx = Receiver(default=500)
    try:
        token, _ = sb.tenant(ctx)
        w = _create(ctx, token, rx.url)
        queued = [sb.cc_data(ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token), 202)
                  ["event_id"] for _ in range(3)]
        _wait_posts(rx, 1)
        sb.cc_data(ctx.put("/api/v1/webhooks/" + w["id"], {"is_active": False}, token=token))
        rx.default = 200
        time.sleep(1.5)
        n = len(rx.snapshot())
        time.sleep(1)
        check(len(rx.snapshot()) == n, "sent while off: %r" % rx.snapshot()[n:])
        sb.cc_data(ctx.put("/api/v1/webhooks/" + w["id"], {"is_active": True}, token=token))
        ok = sb.wait(lambda: [e for e in queued if e not in
                              [json.loads(b)["id"] for h, b in rx.snapshot()
                               if h.get("x-switchboard-delivery")]] == [], 15)
        check(ok is True or ok == [], "not all delivered after turning it on")
        firsts = []
        for _, b in rx.snapshot():
            i = json.loads(b)["id"]
            if i not in firsts:
                firsts.append(i)
        check(firsts == queued, "order: %r, want %r" % (firsts, queued))
    finally:
        rx.close()


def test_webhook_run_stops_at_a_failure(ctx):
    """A backlog goes out as a run, one POST at a time in event order; a failure in the
    middle ends the run: nothing behind it is sent before its retry succeeded, and every
    attempt is a log row with its own attempt number."""
    _need_loopback(ctx)
    rx = Receiver(default=500)
    try:
        token, _ = sb.tenant(ctx)
        w = _create(ctx, token, rx.url, events=["department_changed"])
        # The first event fails (and is retried) while 7 more queue up behind it.
        for i in range(8):
            _dept(ctx, token, "Run %d %s" % (i, sb.uid()))
        time.sleep(0.5)
        with rx.lock:
            n0 = len(rx.posts)
            rx.script, rx.default = [200, 200, 500], 200
        check(n0 >= 1, "the first event was not tried")
        _wait_posts(rx, n0 + 9, 30)
        time.sleep(0.5)
        posts = rx.snapshot()[n0:]
        got = [json.loads(b)["id"] for _, b in posts]
        check(len(got) == 9 and got[3] == got[2] and got[:3] + got[4:] == sorted(set(got)),
              "posts: %r" % got)
        check(all(verify(w["secret"], h, b) for h, b in posts), "a delivery does not verify")
        logs = sb.wait(lambda: (lambda x: x if sum(y["success"] for y in x) == 8 else None)(
            sb.cc_data(ctx.get("/api/v1/webhooks/%s/logs?limit=100" % w["id"],
                               token=token))), 5)
        check(logs, "logs")
        check(len(logs) == n0 + 9, "%d log rows for %d attempts" % (len(logs), n0 + 9))
        third = [x for x in logs if x["delivery_id"] == posts[2][0]["x-switchboard-delivery"]]
        check(sorted((x["attempt"], x["status_code"], x["success"]) for x in third)
              == [(1, 500, False), (2, 200, True)], "the failed one's logs: %r" % third)
        rows = sb.sql(ctx, "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = '%s'"
                      " AND state = 'delivered'" % w["id"]).split()
        check(rows == ["8"], "delivered: %r" % rows)
    finally:
        rx.close()


def test_webhook_gives_up_and_disables(ctx):
    c = _need_loopback(ctx)
    give_up = int(c.get("webhook_give_up_seconds", "86400"))
    after = int(c.get("webhook_disable_after", "5"))
    check(give_up <= 10 and after <= 3, "needs a short give-up (scripts/test.sh): %r" % c)
    rx = Receiver(default=500)
    try:
        token, _ = sb.tenant(ctx)
        w = _create(ctx, token, rx.url)
        for _ in range(after):
            ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token)
        limit = after * (give_up + 3) + 10
        got = sb.wait(lambda: sb.cc_data(ctx.get("/api/v1/webhooks/" + w["id"], token=token))
                      ["is_active"] is False, limit, 0.2)
        check(got, "not disabled within %d s" % limit)
        d = sb.cc_data(ctx.get("/api/v1/webhooks/" + w["id"], token=token))
        check(d["disabled_at"] and d["disabled_reason"] and d["failure_count"] == after,
              "disabled: %r" % d)
        failed = sb.cc_data(ctx.get("/api/v1/webhooks/failed?webhook_id=" + w["id"], token=token))
        check(len(failed) == after and all(f["state"] == "failed" and f["last_status"] == 500
                                           and f["attempts"] >= 2 for f in failed),
              "failed deliveries: %r" % failed)
        # its creator is told
        n = sb.sql(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = '%s'"
                   " AND type = 'webhook.disabled'" % w["created_by"]).strip()
        check(n == "1", "notifications: %r" % n)
        # a disabled webhook gets nothing, and cannot be tested
        expect_cc_error(ctx.post("/api/v1/webhooks/%s/test" % w["id"], token=token), 409)
        # turned on again: its failures are forgotten
        d = sb.cc_data(ctx.put("/api/v1/webhooks/" + w["id"], {"is_active": True}, token=token))
        check(d["failure_count"] == 0 and d["disabled_at"] in ("", None), "re-enabled: %r" % d)
        _replay_one(ctx, token, rx, failed[-1])
    finally:
        rx.close()


def _replay_one(ctx, token, rx, f):
    """A delivery given up, replayed: sent again with its delivery id, then delivered; a
    second replay is 409, another tenant's or an unknown one 404."""
    with rx.lock:
        rx.default = 200
        before = len(rx.posts)
    path = "/api/v1/webhooks/deliveries/%s/replay" % f["id"]
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.post(path, token=other), 404)
    expect_cc_error(ctx.post("/api/v1/webhooks/deliveries/whd_nope/replay", token=token), 404)
    d = sb.cc_data(ctx.post(path, token=token))
    check(d["id"] == f["id"] and d["state"] == "pending" and d["attempts"] == 0, "replayed: %r" % d)
    got = sb.wait(lambda: [p for p in rx.posts[before:]
                           if p[0].get("x-switchboard-delivery") == f["id"]], 10, 0.1)
    check(got, "the replayed delivery was not sent again")
    state = sb.wait(lambda: sb.sql(ctx, "SELECT state FROM webhook_deliveries WHERE id = '%s'"
                                   % f["id"]).strip() == "delivered", 5, 0.1)
    check(state, "the replayed delivery is not marked delivered")
    expect_cc_error(ctx.post(path, token=token), 409)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _pid(ctx):
    try:
        return ctx.pidfile("hooks.pid")
    except (OSError, ValueError):
        return None  # between a death and the restart


def test_webhook_order_and_once_across_kill(ctx):
    """Events written while the delivery process is killed (-9) and restarted by its
    supervisor reach the receiver each once, in commit order."""
    _need_loopback(ctx)
    rx = Receiver()
    try:
        token, _ = sb.tenant(ctx)
        w = _create(ctx, token, rx.url, events=["department_changed"])
        n, killed = 40, None
        for i in range(n):
            _dept(ctx, token, "Order %03d %s" % (i, sb.uid()))
            if i == 12:
                killed = ctx.pidfile("hooks.pid")
                os.kill(killed, signal.SIGKILL)
        check(sb.wait(lambda: not _alive(killed), 10), "hooks did not die")
        new = sb.wait(lambda: (lambda p: p if p and p != killed and _alive(p) else None)(
            _pid(ctx)), 30, 0.1)
        check(new, "switchboard-hooks was not restarted within 30 s")
        posts = _wait_posts(rx, n, 60)
        time.sleep(1)
        posts = rx.snapshot()
        evs = [json.loads(b) for _, b in posts]
        dels = [h["x-switchboard-delivery"] for h, _ in posts]
        # The POSTs of a run not yet recorded at the kill (a webhook's deliveries go out in
        # runs of up to 50, recorded once per run) are sent again after the restart, in the
        # same order and with the same delivery ids: at most one step back in the sequence.
        seen, firsts, backs = set(), [], 0
        for i, (ev, did) in enumerate(zip(evs, dels)):
            backs += i > 0 and ev["id"] <= evs[i - 1]["id"]
            if did in seen:
                continue
            seen.add(did)
            firsts.append(ev["id"])
        check(len(firsts) == n and len(set(firsts)) == n, "events: %d distinct of %d: %r"
              % (len(set(firsts)), n, firsts))
        check(firsts == sorted(firsts), "out of order: %r" % firsts)
        names = [e["data"].get("name") or e["data"].get("department", {}).get("name", "")
                 for e in evs]
        check(backs <= 1 and len(posts) - n <= 50, "%d repeats, %d steps back: %r"
              % (len(posts) - n, backs, names))
        all_ok = all(verify(w["secret"], h, b) for h, b in posts)
        check(all_ok, "a delivery does not verify")
        rows = sb.sql(ctx, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM webhook_deliveries"
                      " WHERE webhook_id = '%s' AND state = 'delivered'" % w["id"]).split()
        check(rows == [str(n), str(n)], "deliveries: %r" % rows)
    finally:
        rx.close()


test_webhook_order_and_once_across_kill.destructive = True

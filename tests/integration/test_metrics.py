"""GET /metrics: the pool's Prometheus text (counters by route and status, latency
histograms, workers, respawns), who may read it (loopback, or the metrics token; checked by
nginx and, without relying on it, by the pool), a killed worker counted as crashed, and the
event worker's families in the same scrape (streams by kind, events delivered, refusals,
revocations), which only the pool can ask for."""
import concurrent.futures
import os
import re
import signal
import socket
import struct
import subprocess
import time
import urllib.parse

import sb
from sb import check, metric
from test_events import _call, _open, _refused, _started, _ticket, _type

REQS = "switchboard_http_requests_total"
DURATION = "switchboard_http_request_duration_seconds"
STREAMS = "switchboard_event_streams"
DELIVERED = "switchboard_events_delivered_total"
REFUSED = "switchboard_event_streams_refused_total"


# -- private helpers ------------------------------------------------------------------

def _token(ctx):
    with open(os.path.join(ctx.var, "metrics.token")) as f:
        return f.read().strip()


def _buckets(samples, route):
    """[(le, count)] of a route's histogram, in bound order (+Inf last)."""
    out = []
    for (name, labels), v in samples.items():
        d = dict(labels)
        if name == DURATION + "_bucket" and d.get("route") == route:
            out.append((float(d["le"]), v))
    return sorted(out)


def _conf(ctx):
    """switchboard.conf as {key: text}."""
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        return dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))


def _event_samples(ctx):
    """A scrape that carries the event worker's families, parsed."""
    samples = sb.metrics(ctx)
    check(metric(samples, "switchboard_event_metrics_up") == 1,
          "switchboard_event_metrics_up is not 1: the event worker's families are missing")
    return samples


def _wait_samples(ctx, pred, what, timeout=10):
    """The first scrape within timeout seconds for which pred(samples) holds."""
    got = sb.wait(lambda: (lambda x: x if pred(x) else None)(_event_samples(ctx)), timeout, 0.1)
    check(got is not None, "%s within %ss: %r" % (what, timeout, sorted(
        (k[0], sorted(k[1]), v) for k, v in sb.metrics(ctx).items() if "_event" in k[0])))
    return got


def _unix_exchange(ctx, sock, data):
    """Sends data on the stack's socket var/run/<sock> and reads until the peer closes:
    the bytes, or None when this user may not connect (the socket is nginx's user's)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(os.path.join(ctx.var, "run", sock))
    except PermissionError:
        s.close()
        return None
    buf = b""
    with s:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf


def _events_socket_get(ctx, path, headers=None):
    """GET path straight to the event worker's socket (nginx and the pool bypassed):
    (status, content type, body), or None when this user may not connect."""
    h = {"Host": "localhost", "Connection": "close"}
    h.update(headers or {})
    buf = _unix_exchange(ctx, "events.sock", ("GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join(
        "%s: %s\r\n" % kv for kv in h.items()))).encode())
    if buf is None:
        return None
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    ctype = [ln.split(":", 1)[1].strip() for ln in lines[1:]
             if ln.lower().startswith("content-type:")]
    return int(lines[0].split()[1]), (ctype or [""])[0], body.decode("utf-8", "replace")


def _workers(samples):
    return (metric(samples, "switchboard_workers", state="busy"),
            metric(samples, "switchboard_workers", state="idle"),
            metric(samples, "switchboard_workers_configured"))


def _global_address():
    """A local IPv4 address that is not loopback (connecting from it to 127.0.0.1 is not a
    loopback client), or None."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    m = re.search(r"\binet (\d+\.\d+\.\d+\.\d+)/", out)
    return m.group(1) if m else None


def _fcgi_record(rtype, body):
    pad = -len(body) % 8
    return struct.pack(">BBHHBx", 1, rtype, 1, len(body), pad) + body + b"\0" * pad


def _fcgi_pair(k, v):
    def n(x):
        return bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
    return n(k) + n(v) + k + v


def _fcgi_get(ctx, path, remote_addr, authorization=None):
    """GET path straight to the pool's FastCGI socket (nginx bypassed), as if from
    remote_addr: (status, body), or None when this user may not connect."""
    params = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": path, "REQUEST_URI": path,
              "QUERY_STRING": "", "CONTENT_LENGTH": "0", "REMOTE_ADDR": remote_addr,
              "REQUEST_ID": "fcgi-" + sb.uid()}
    if authorization:
        params["HTTP_AUTHORIZATION"] = authorization
    pairs = b"".join(_fcgi_pair(k.encode(), v.encode()) for k, v in params.items())
    buf = _unix_exchange(ctx, "pool.sock", _fcgi_record(1, struct.pack(">HB5x", 1, 0)) +
                         _fcgi_record(4, pairs) + _fcgi_record(4, b"") + _fcgi_record(5, b""))
    if buf is None:
        return None
    out = b""
    while len(buf) >= 8:
        _, rtype, _, clen, plen = struct.unpack(">BBHHBx", buf[:8])
        if rtype == 6:
            out += buf[8:8 + clen]
        buf = buf[8 + clen + plen:]
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.search(rb"^Status: (\d+)", head, re.M)
    check(m is not None, "no Status in the pool's answer: %r" % out[:200])
    return int(m.group(1)), body.decode("utf-8", "replace")


# -- tests ----------------------------------------------------------------------------

def test_text_format(ctx):
    r = ctx.get("/metrics")
    check(r.status == 200, "GET /metrics: %r" % r)
    check(r.headers.get("content-type", "").startswith("text/plain; version=0.0.4"),
          "content type: %r" % r.headers.get("content-type"))
    check(r.text.endswith("\n"), "the text must end with a line feed")
    # Every family: HELP then TYPE, once, before its samples, its samples together.
    types, current, seen = {}, None, set()
    for line in r.text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            current = line.split(" ")[2]
            check(current not in seen, "family %s twice" % current)
            seen.add(current)
        elif line.startswith("# TYPE "):
            name, kind = line.split(" ")[2:4]
            check(name == current, "TYPE %s after HELP %s" % (name, current))
            check(kind in ("counter", "gauge", "histogram"), "type %r" % kind)
            types[name] = kind
        else:
            name = line.split("{")[0].split(" ")[0]
            base = re.sub(r"_(bucket|sum|count)$", "", name) \
                if types.get(current) == "histogram" else name
            check(base == current, "sample %r outside its family %s" % (line, current))
    samples = sb.parse_metrics(r.text)
    for family, kind in [(REQS, "counter"), (DURATION, "histogram"),
                         ("switchboard_workers", "gauge"),
                         ("switchboard_worker_respawns_total", "counter"),
                         ("switchboard_db_errors_total", "counter"),
                         ("switchboard_cache_errors_total", "counter"),
                         ("switchboard_http_requests_in_flight", "gauge"),
                         ("switchboard_pool_uptime_seconds", "gauge"),
                         ("switchboard_pool_start_time_seconds", "gauge")]:
        check(types.get(family) == kind, "family %s: %r" % (family, types.get(family)))
    start = metric(samples, "switchboard_pool_start_time_seconds")
    check(0 < time.time() - start < 86400 * 365, "start time %r" % start)
    check(metric(samples, "switchboard_pool_uptime_seconds") > 0, "uptime")
    # HEAD is GET without a body; other methods: 405.
    r = ctx.request("POST", "/metrics", body={})
    check(r.status == 405 and "GET" in r.headers.get("allow", ""), "POST /metrics: %r" % r)


def test_requests_by_route_and_status(ctx):
    before = sb.metrics(ctx)
    for _ in range(5):
        check(ctx.get("/health").status == 200, "GET /health")
    for _ in range(3):
        check(ctx.get("/api/departments").status == 401, "GET /api/departments without token")
    check(ctx.get("/api/v1/departments").status == 401, "the /api/v1 form counts the same")
    check(ctx.get("/api/no-such-route-" + sb.uid()).status == 404, "unrouted path")
    after = sb.metrics(ctx)

    def delta(**labels):
        return metric(after, REQS, **labels) - metric(before, REQS, **labels)
    check(delta(route="GET /health", status="200") == 5,
          "GET /health 200: +%r" % delta(route="GET /health", status="200"))
    check(delta(route="GET /api/departments", status="401") == 4,
          "GET /api/departments 401: +%r" % delta(route="GET /api/departments", status="401"))
    check(delta(route="unmatched", status="404") == 1,
          "unmatched 404: +%r" % delta(route="unmatched", status="404"))
    # The first scrape itself was counted, as GET /metrics 200.
    check(delta(route="GET /metrics", status="200") == 1,
          "GET /metrics 200: +%r" % delta(route="GET /metrics", status="200"))


def test_histogram_cumulative_and_counted(ctx):
    route = "GET /api/noop"
    before = sb.metrics(ctx)
    for _ in range(7):
        check(ctx.get("/api/noop").status == 200, "GET /api/noop")
    after = sb.metrics(ctx)
    buckets = _buckets(after, route)
    check(len(buckets) == 13 and buckets[-1][0] == float("inf"), "buckets: %r" % buckets)
    counts = [v for _, v in buckets]
    check(counts == sorted(counts), "buckets not cumulative: %r" % buckets)
    count = metric(after, DURATION + "_count", route=route)
    check(counts[-1] == count, "+Inf bucket %r != _count %r" % (counts[-1], count))
    check(count - metric(before, DURATION + "_count", route=route) == 7,
          "_count grew by %r, want 7" % (count - metric(before, DURATION + "_count", route=route)))
    by_status = sum(v for (name, labels), v in after.items()
                    if name == REQS and dict(labels).get("route") == route)
    check(by_status == count, "requests_total %r != histogram _count %r" % (by_status, count))
    total = metric(after, DURATION + "_sum", route=route)
    check(0 < total < count * 2.5, "sum %r for %r requests" % (total, count))


def test_workers_busy_and_idle(ctx):
    samples = sb.metrics(ctx)
    busy, idle, configured = _workers(samples)
    conf = _conf(ctx)
    check(configured == int(conf["workers"]), "configured %r, conf %r" % (configured, conf["workers"]))
    check(busy >= 1, "the scrape's own worker is busy: %r" % busy)
    check(busy + idle == configured, "busy %r + idle %r != %r workers" % (busy, idle, configured))
    check(metric(samples, "switchboard_http_requests_in_flight") == busy, "in flight")


def test_loopback_sources(ctx):
    # Any 127/8 address is loopback; no token needed.
    r = ctx.get("/metrics", source=sb.random_loopback())
    check(r.status == 200 and REQS in r.text, "from another loopback address: %r" % r)


def test_other_sources_need_the_token(ctx):
    """From the machine's own non-loopback address: nginx refuses a client without a bearer
    token (403), the pool refuses a wrong one (401) and serves the right one."""
    addr = _global_address()
    if addr is None:
        return  # no non-loopback address here; test_pool_checks_the_address covers the pool
    r = ctx.get("/metrics", source=addr)
    check(r.status == 403 and REQS not in r.text, "no token from %s: %r" % (addr, r))
    r = ctx.get("/metrics", source=addr, token="not-the-token-" + sb.uid())
    check(r.status == 401 and REQS not in r.text, "wrong token from %s: %r" % (addr, r))
    r = ctx.get("/metrics", source=addr, token=_token(ctx))
    check(r.status == 200 and REQS in r.text, "the token from %s: %r" % (addr, r))


def test_pool_checks_the_address(ctx):
    """Straight to the pool's socket, nginx bypassed: the pool itself refuses a client
    address that is not loopback unless it brings the token."""
    got = _fcgi_get(ctx, "/metrics", "203.0.113.7")
    if got is None:
        return  # the pool's socket belongs to nginx's user and we are not root
    check(got[0] == 401 and REQS not in got[1], "no token: %r" % (got,))
    got = _fcgi_get(ctx, "/metrics", "203.0.113.7", "Bearer " + _token(ctx) + "x")
    check(got[0] == 401, "a longer token: %r" % (got,))
    got = _fcgi_get(ctx, "/metrics", "::ffff:10.0.0.1", "Basic " + _token(ctx))
    check(got[0] == 401, "not a bearer token: %r" % (got,))
    got = _fcgi_get(ctx, "/metrics", "203.0.113.7", "Bearer " + _token(ctx))
    check(got[0] == 200 and REQS in got[1], "the token: %r" % ((got[0], got[1][:200]),))
    for addr in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        got = _fcgi_get(ctx, "/metrics", addr)
        check(got[0] == 200, "from %s: %r" % (addr, got[0]))


# -- the event worker's part ------------------------------------------------------------

def test_event_worker_streams_and_deliveries(ctx):
    token, _ = sb.tenant(ctx)
    before = _event_samples(ctx)
    with _open(ctx, "/api/calls/events?ticket=" + urllib.parse.quote(_ticket(ctx, token))) as s:
        during = _event_samples(ctx)
        held = metric(during, STREAMS, kind="sse")
        check(held >= 1, "streams{kind=sse} is %r with a stream open" % held)
        c = _call(ctx, token)
        s.until(_started(c["id"]), what="call_started on the open stream")
        after = _event_samples(ctx)
    check(metric(after, DELIVERED) > metric(before, DELIVERED),
          "delivered_total %r -> %r after an event reached the stream"
          % (metric(before, DELIVERED), metric(after, DELIVERED)))
    feed = "switchboard_event_feed_events_total"
    check(metric(after, feed) > metric(before, feed), "feed_events_total did not grow")
    # Closed by the client: the worker lets go of it (nginx passes the close on; at the
    # latest, the next heartbeat finds the connection gone).
    _wait_samples(ctx, lambda x: metric(x, STREAMS, kind="sse") < held,
                  "streams{kind=sse} below %r after the stream closed" % held)


def test_event_worker_long_polls_counted(ctx):
    token, _ = sb.tenant(ctx)
    before = _event_samples(ctx)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        poll = ex.submit(ctx.get, "/api/events/poll?timeout=30", token=token, timeout=40)
        during = _wait_samples(ctx, lambda x: metric(x, STREAMS, kind="long_poll") >= 1,
                               "streams{kind=long_poll} with a poll waiting")
        _call(ctx, token)
        r = poll.result(timeout=40)
    check(r.status == 200 and r.json["events"], "the waiting poll: %r" % r)
    after = _event_samples(ctx)
    got = metric(after, DELIVERED) - metric(before, DELIVERED)
    check(got >= len(r.json["events"]), "delivered_total +%r for a poll answered with %d events"
          % (got, len(r.json["events"])))
    check(metric(after, STREAMS, kind="long_poll") < metric(during, STREAMS, kind="long_poll"),
          "the answered poll is still counted")


def test_event_worker_refusals_by_cap(ctx):
    conf = _conf(ctx)
    per_session = int(conf["event_max_streams_per_session"])
    per_tenant = int(conf["event_max_streams_per_tenant"])
    admin, _ = sb.tenant(ctx)
    before = _event_samples(ctx)
    opened = []

    def fill_then_refused(token, n, want_session, want_tenant):
        """n more streams on token, then one refused; the refusals counted so far."""
        for _ in range(n):
            opened.append(_open(ctx, "/api/events", token=token))
        _refused(ctx, "/api/events", 429, "too_many_streams", token=token)
        now = _event_samples(ctx)
        got = tuple(metric(now, REFUSED, reason=r) - metric(before, REFUSED, reason=r)
                    for r in ("session_cap", "tenant_cap"))
        check(got == (want_session, want_tenant), "refused +%r (session, tenant), want +%r"
              % (got, (want_session, want_tenant)))
    try:
        fill_then_refused(admin, per_session, 1, 0)
        if per_session < per_tenant <= per_session + 16:  # else not cheaply reachable
            second = sb.user(ctx, admin, "agent")["token"]
            fill_then_refused(second, per_tenant - per_session, 1, 1)
    finally:
        for s in opened:
            s.close()


def test_event_worker_revocations_counted(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    name = "switchboard_event_revocations_total"
    before = _event_samples(ctx)
    with _open(ctx, "/api/events", token=agent["token"]) as s:
        check(ctx.post("/api/auth/logout", {}, token=agent["token"]).status == 200, "logout")
        s.until(lambda ev: _type(ev) == "session_revoked", what="session_revoked")
    got = metric(_event_samples(ctx), name) - metric(before, name)
    check(got == 1, "revocations_total +%r for one revoked stream" % got)


def test_event_worker_metrics_reached_only_by_local_processes(ctx):
    """The event worker answers /metrics on its socket (the pool asks there), but not to
    what nginx forwards, and no path through nginx reaches it."""
    got = _events_socket_get(ctx, "/metrics")
    if got is not None:  # else the socket belongs to nginx's user and we are not root
        status, ctype, body = got
        check(status == 200 and ctype.startswith("text/plain; version=0.0.4"),
              "GET /metrics on the socket: %r %r" % (status, ctype))
        samples = sb.parse_metrics(body)
        check((STREAMS, frozenset({("kind", "sse")})) in samples and REQS not in body,
              "the worker's own families only: %r" % body[:300])
        # nginx sets these on everything it proxies to the worker.
        for h in ({"X-Real-IP": "127.0.0.1"}, {"X-Forwarded-For": "127.0.0.1"}):
            status, _, body = _events_socket_get(ctx, "/metrics", h)
            check(status == 404 and STREAMS not in body, "with %r: %r %r" % (h, status, body))
    # Through nginx: the worker's locations are under /api/; whatever normalises to
    # /metrics is the pool's (with its access check).
    for path in ("/api/events/metrics", "/api/v1/events/metrics", "/api/events/../../metrics",
                 "/api/events/%2e%2e/%2e%2e/metrics", "/api/v1/events/..%2f..%2f..%2fmetrics",
                 "/api/calls/x/events/../../../../metrics"):
        r = ctx.get(path)
        check(r.status == 404 or (r.status == 200 and REQS in r.text), "%s: %r" % (path, r))


def test_killed_worker_counted_as_crashed(ctx):
    master = ctx.pidfile("pool.pid")
    before = sb.metrics(ctx)
    crashed = metric(before, "switchboard_worker_respawns_total", cause="crashed")
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True,
                         timeout=10).stdout.split()
    check(out, "no workers under the pool master %d" % master)
    victim = int(out[0])
    os.kill(victim, signal.SIGKILL)

    def respawned():
        s = sb.metrics(ctx)
        busy, idle, configured = _workers(s)
        done = (metric(s, "switchboard_worker_respawns_total", cause="crashed") == crashed + 1
                and busy + idle == configured)
        return s if done else None
    after = sb.wait(respawned, 10, 0.1)
    check(after is not None, "respawns{cause=crashed} did not reach %d with a full pool: %r"
          % (crashed + 1, sb.metrics(ctx)))
    for cause in ("recycled", "failed"):
        check(metric(after, "switchboard_worker_respawns_total", cause=cause) ==
              metric(before, "switchboard_worker_respawns_total", cause=cause),
              "respawns{cause=%s} moved" % cause)
    # Counters of the dead worker's slot are kept.
    check(metric(after, REQS, route="GET /metrics", status="200") >
          metric(before, REQS, route="GET /metrics", status="200"), "counts went back")
    check(ctx.pidfile("pool.pid") == master, "the master was restarted")


test_killed_worker_counted_as_crashed.destructive = True

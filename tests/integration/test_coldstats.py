"""Coldcaller's health and realtime metrics (issue 10): GET /api/calls/metrics/realtime
over fixture calls inserted by SQL (hand-computed counts), the health routes' shapes
(/api/health, /api/health/monitoring, /api/health/websocket), the WebSocket channels on
the coldcaller framing (calls, recordings, sip from the feed; metricsUpdate on metrics
every event_metrics_seconds, to subscribers of their own tenant only), 401s and 403s."""
import json
import time
import uuid

import sb
from sb import check

import test_events
import test_websocket

COLD_ROUTES = ("/api/calls/metrics/realtime", "/api/health/monitoring", "/api/health/websocket")

# metricsUpdate's period is event_metrics_seconds: 2 under scripts/test.sh, 10 by default.
METRICS_WAIT = 13


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    j = r.json
    check(j.get("success") is True and isinstance(j.get("timestamp"), str)
          and isinstance(j.get("message"), str), "coldcaller envelope: %r" % j)
    return j["data"]


def _call(ctx, tenant_id, status, direction="outbound", phone="+15550100000", as_sent=None,
          age_s=0, quality=None, recording="off"):
    """A calls row, started age_s seconds ago; its id."""
    cid = "call_" + uuid.uuid4().hex[:16]
    q = "NULL" if quality is None else "'%s'" % json.dumps(quality)
    sb.sql(ctx, "INSERT INTO calls (id, tenant_id, caller_number, called_number, phone_as_sent,"
                " direction, status, start_time, recording_state, quality) VALUES"
                " ('%s', '%s', '+15559990000', '%s', %s, '%s', '%s',"
                " NOW(3) - INTERVAL %d SECOND, '%s', %s)"
           % (cid, tenant_id, phone, "NULL" if as_sent is None else "'%s'" % as_sent,
              direction, status, age_s, recording, q))
    return cid


def _fixture(ctx, tenant_id):
    """Four live outbound calls, two finished ones, one live inbound one."""
    ids = {}
    ids["connecting"] = _call(ctx, tenant_id, "connecting", phone="+15550100001",
                              as_sent="(555) 010-0001", age_s=1)
    ids["ringing"] = _call(ctx, tenant_id, "ringing", phone="+15550100002", age_s=2)
    ids["connected"] = _call(ctx, tenant_id, "connected", phone="+15550100003", age_s=120,
                             quality={"latency": 80, "jitter": 5, "packetLoss": 0.5, "mos": 4.4},
                             recording="recording")
    ids["on_hold"] = _call(ctx, tenant_id, "on_hold", phone="+15550100004", age_s=3,
                           quality={"latency": 40, "jitter": 3, "packet_loss": 1.5, "mos": 4.0},
                           recording="stopped")
    ids["completed"] = _call(ctx, tenant_id, "completed", age_s=4)
    ids["old"] = _call(ctx, tenant_id, "failed", age_s=2 * 86400)
    ids["inbound"] = _call(ctx, tenant_id, "connected", direction="inbound", age_s=5)
    return ids


def test_realtime_metrics_over_fixture(ctx):
    token, tenant_id = sb.tenant(ctx)
    other_token, other_tenant = sb.tenant(ctx)
    ids = _fixture(ctx, tenant_id)
    _call(ctx, other_tenant, "connected")  # another tenant's: never counted here

    # The 120-second-old call is today's unless the test runs in the first two minutes
    # of a UTC day.
    today = 5 if sb.sql(ctx, "SELECT NOW() - INTERVAL 120 SECOND >= CURDATE()").strip() == "1" else 4
    d = _data(ctx.get("/api/calls/metrics/realtime", token=token))
    check(d["calls"] == {"active": 4, "total": 6, "todayTotal": today, "connecting": 2,
                         "connected": 2, "recording": 1}, "calls: %r" % d["calls"])
    s = d["system"]
    check(s["status"] == "online" and s["sipRegistered"] is False
          and s["connectionQuality"] == "unknown" and isinstance(s["uptime"], int)
          and s["uptime"] >= 0, "system: %r" % s)
    p = d["performance"]
    check(abs(p["averageLatency"] - 60) < 1e-6 and abs(p["packetLoss"] - 1.0) < 1e-6
          and p["callQuality"] == "good" and isinstance(p["systemLoad"], (int, float)),
          "performance: %r" % p)

    calls = {c["id"]: c for c in d["activeCalls"]}
    check(set(calls) == {ids["connecting"], ids["ringing"], ids["connected"], ids["on_hold"]},
          "live outbound calls only: %r" % d["activeCalls"])
    check(d["activeCalls"][0]["id"] == ids["connecting"] and
          d["activeCalls"][-1]["id"] == ids["connected"], "newest first: %r" % d["activeCalls"])
    c = calls[ids["connected"]]
    check(c["phoneNumber"] == "+15550100003" and c["status"] == "connected"
          and c["duration"] >= 120 and c["recording"] is True
          and c["quality"] == {"latency": 80, "jitter": 5, "packetLoss": 0.5, "mos": 4.4},
          "connected call: %r" % c)
    c = calls[ids["connecting"]]
    check(c["phoneNumber"] == "(555) 010-0001" and c["quality"] is None
          and c["recording"] is False, "the number as sent: %r" % c)
    check(calls[ids["on_hold"]]["quality"]["packetLoss"] == 1.5, "packet_loss read too")

    # The other tenant sees its one call, none of these.
    d = _data(ctx.get("/api/calls/metrics/realtime", token=other_token))
    check(d["calls"]["active"] == 1 and d["calls"]["total"] == 1
          and d["performance"]["callQuality"] == "unknown"
          and [c["id"] for c in d["activeCalls"]] != [], "other tenant: %r" % d)


def test_realtime_metrics_empty_tenant(ctx):
    token, _ = sb.tenant(ctx)
    d = _data(ctx.get("/api/calls/metrics/realtime", token=token))
    check(d["calls"] == {"active": 0, "total": 0, "todayTotal": 0, "connecting": 0,
                         "connected": 0, "recording": 0} and d["activeCalls"] == []
          and d["performance"]["averageLatency"] == 0
          and d["performance"]["callQuality"] == "unknown", "empty: %r" % d)


def test_cold_routes_401_403(ctx):
    token, _ = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    manager = sb.user(ctx, token, "manager")
    for path in COLD_ROUTES:
        sb.expect_cold_error(ctx.get(path), 401)
        sb.expect_cold_error(ctx.get(path, token="not-a-token"), 401)
        sb.expect_cold_error(ctx.get(path, token=agent["token"]), 403)
        _data(ctx.get(path, token=manager["token"]))


def test_health_carries_status_and_latency(ctx):
    r = ctx.get("/api/health")
    d = _data(r)
    check(d["status"] == "ok" and d["database"]["status"] == "ok"
          and d["database"]["ok"] is True
          and isinstance(d["database"]["latencyMs"], (int, float))
          and isinstance(d["latencyMs"], (int, float)), "health: %r" % d)
    for name in ("database", "memcached", "eventWorker"):
        check(d["checks"][name]["status"] == "ok", "check %s: %r" % (name, d["checks"]))
    # The transfer portal's own keys stay.
    check(r.json["status"] == "ok" and r.json["checks"]["database"]["ok"] is True,
          "transfer's keys: %r" % r.json)


def test_health_monitoring(ctx):
    token, _ = sb.tenant(ctx)
    d = _data(ctx.get("/api/health/monitoring", token=token))
    check(d["status"] == "ok", "status: %r" % d)
    for name in ("database", "memcached", "eventWorker"):
        c = d["checks"][name]
        check(c["ok"] is True and c["status"] == "ok" and c["latencyMs"] >= 0,
              "%s: %r" % (name, c))
    check(d["pool"]["workers"] >= 1 and d["pool"]["uptimeSeconds"] >= 0
          and d["uptime"] == d["pool"]["uptimeSeconds"], "pool: %r" % d["pool"])
    pr = d["process"]
    check(pr["pid"] > 0 and pr["rssBytes"] > 0 and pr["vmBytes"] >= pr["rssBytes"]
          and "heapUsed" in pr and "heapTotal" in pr, "process: %r" % pr)
    check(len(d["system"]["load"]) == 3 and d["system"]["cpus"] >= 1, "system: %r" % d["system"])


def _cold_socket(ctx, token, channels):
    ws = test_websocket._open(ctx, "/ws?token=" + token, first=None)
    ws.send({"type": "subscribe", "channels": list(channels)})
    ws.until(lambda m: m.get("type") == "subscribed")
    return ws


def test_health_websocket(ctx):
    token, _ = sb.tenant(ctx)
    d = _data(ctx.get("/api/health/websocket", token=token))
    h = d["thisHost"]
    check(d["status"] == "ok" and d["eventWorkerReachable"] is True and h["sse"] == 0
          and h["websocket"] == 0 and h["longPoll"] == 0 and h["metricsSubscribers"] == 0
          and d["allHosts"]["staffStreams"] == 0, "no streams yet: %r" % d)
    with _cold_socket(ctx, token, ["metrics", "calls"]), _cold_socket(ctx, token, ["calls"]), \
            test_events._open(ctx, "/api/events", token=token):
        def seen():
            d = _data(ctx.get("/api/health/websocket", token=token))
            return d if d["allHosts"]["staffStreams"] == 3 else None
        d = sb.wait(seen, 5, 0.2)
        check(d is not None, "stream_presence counts the three streams")
        h = d["thisHost"]
        check(h["websocket"] == 2 and h["websocketByFamily"]["coldcaller"] == 2
              and h["metricsSubscribers"] == 1 and h["sse"] == 1 and h["longPoll"] == 0,
              "two coldcaller sockets, one on metrics, one SSE stream: %r" % d)
        a = d["allHosts"]
        check(a["websocket"] == 2 and a["sse"] == 1 and a["usersOnline"] == 1
              and a["eventWorkers"] == 1, "across hosts: %r" % a)
    # Another tenant sees none of them.
    other, _ = sb.tenant(ctx)
    d = _data(ctx.get("/api/health/websocket", token=other))
    check(d["thisHost"]["websocket"] == 0, "other tenant: %r" % d)


def test_metrics_update_on_channel_metrics(ctx):
    token, tenant_id = sb.tenant(ctx)
    other_token, other_tenant = sb.tenant(ctx)
    _fixture(ctx, tenant_id)
    _call(ctx, other_tenant, "ringing")
    # The other tenant's trunk is registered (its last round trip 50 ms); this one has none.
    sb.sql(ctx, "INSERT INTO sip_trunks (id, tenant_id, provider, server, registration_state,"
                " last_rtt_ms) VALUES ('sip_%s', '%s', 'Asterisk', 'pbx.example.test',"
                " 'registered', 50)" % (uuid.uuid4().hex[:12], other_tenant))
    with _cold_socket(ctx, token, ["metrics"]) as ws, \
            _cold_socket(ctx, token, ["calls"]) as calls_only, \
            _cold_socket(ctx, other_token, ["metrics"]) as other:
        m = ws.until(lambda m: m.get("type") == "metricsUpdate", timeout=METRICS_WAIT)[-1]
        d = m["data"]
        check(m["channel"] == "metrics" and isinstance(m.get("timestamp"), str)
              and d["activeCalls"] == 4
              and d["sipStatus"] == {"registered": False, "connectionQuality": "unknown"}
              and isinstance(d["systemUptime"], int) and d["memoryUsage"]["rss"] > 0
              and "heapUsed" in d["memoryUsage"] and "heapTotal" in d["memoryUsage"],
              "metricsUpdate: %r" % m)
        m = other.until(lambda m: m.get("type") == "metricsUpdate", timeout=METRICS_WAIT)[-1]
        check(m["data"]["activeCalls"] == 1 and m["data"]["sipStatus"] ==
              {"registered": True, "connectionQuality": "excellent"},
              "the other tenant's own count and trunk: %r" % m)
        # A second period: it keeps coming, each socket its own tenant's only; the
        # calls-only socket never got one.
        t0 = time.monotonic()
        for sock, n in ((ws, 4), (other, 1)):
            got = sock.until(lambda m: m.get("type") == "metricsUpdate", timeout=METRICS_WAIT)
            check(all(x["data"]["activeCalls"] == n for x in got
                      if x.get("type") == "metricsUpdate"), "each tenant's own: %r" % got)
        check(time.monotonic() - t0 > 0.5, "one update per period, not a burst")
        got = calls_only.quiet(0.5)
        check(not [x for x in got if x.get("type") == "metricsUpdate"],
              "not subscribed to metrics: %r" % got)
        # Unsubscribed: no more updates.
        ws.send({"type": "unsubscribe", "channel": "metrics"})
        ws.until(lambda m: m.get("type") == "unsubscribed")
        got = ws.quiet(3)
        check(not [x for x in got if x.get("type") == "metricsUpdate"],
              "unsubscribed: %r" % got)


def _feed(ctx, tenant_id, call_id, type_, payload):
    sb.emit_event(ctx, tenant_id, type_, payload, call_id=call_id)


def test_coldcaller_channels_from_the_feed(ctx):
    token, tenant_id = sb.tenant(ctx)
    call_id = _call(ctx, tenant_id, "connecting", phone="+15550100009")
    with _cold_socket(ctx, token, ["calls", "recordings", "sip"]) as ws, \
            _cold_socket(ctx, token, ["sip"]) as sip_only:
        _feed(ctx, tenant_id, call_id, "call.initiated",
              {"phone_number": "+15550100009", "status": "connecting"})
        _feed(ctx, tenant_id, call_id, "call.quality",
              {"quality": {"latency": 70, "packet_loss": 0.2, "mos": 4.3}})
        _feed(ctx, tenant_id, call_id, "recording.started", {"recording_id": "rec_1"})
        _feed(ctx, tenant_id, None, "sip.registered", {"trunk_id": "sip_1", "server": "pbx"})
        _feed(ctx, tenant_id, call_id, "call.ended", {"outcome": "interested", "duration": 42})
        got = ws.until(lambda m: m.get("type") == "callEnded")
        by = {m["type"]: m for m in got}
        want = {"callInitiated": "calls", "callQualityUpdate": "calls",
                "recordingStarted": "recordings", "sipRegistered": "sip", "callEnded": "calls"}
        for t, channel in want.items():
            m = by.get(t)
            check(m is not None and m["channel"] == channel and isinstance(m["data"], dict)
                  and isinstance(m.get("timestamp"), str), "%s on %s: %r" % (t, channel, got))
        check(by["callInitiated"]["data"]["phoneNumber"] == "+15550100009"
              and by["callInitiated"]["data"]["callId"] == call_id, "camelCase: %r" % by)
        check(by["callQualityUpdate"]["data"]["quality"]["packetLoss"] == 0.2,
              "nested camelCase: %r" % by["callQualityUpdate"])
        check(by["recordingStarted"]["data"]["recordingId"] == "rec_1"
              and by["sipRegistered"]["data"]["trunkId"] == "sip_1"
              and by["callEnded"]["data"]["outcome"] == "interested", "data: %r" % by)
        got = sip_only.until(lambda m: m.get("type") == "sipRegistered")
        check(not [m for m in got if m.get("channel") in ("calls", "recordings")],
              "the sip channel only: %r" % got)

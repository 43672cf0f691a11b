"""Live events: stream tickets, the SSE streams (three ways to authenticate, ordering, ids,
resuming with Last-Event-ID, tenant isolation, per-call and type-filtered streams), the
long-poll, and resuming after the event worker is killed."""
import concurrent.futures
import json
import os
import random
import re
import signal
import socket
import time
import urllib.parse
import uuid

import sb
from sb import Resp, check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# An event id as a tenant sees it: its position, encrypted for the tenant (docs/api.md).
CURSOR = re.compile(r"^[A-Za-z0-9_-]{21}[AQgw]$")
_rng = random.SystemRandom()


# -- an SSE client on a raw socket ------------------------------------------------------

class _Stream(sb.RawSocket):
    """GET on a raw socket: a read timeout leaves the connection usable (unlike a timed-out
    socket file), so a test can wait for "nothing more arrives" and keep reading after."""

    def __init__(self, ctx, path, token=None, headers=None, timeout=10):
        self.sock = socket.create_connection((ctx.host, ctx.port), timeout=timeout)
        h = {"Host": "%s:%d" % (ctx.host, ctx.port), "Accept": "text/event-stream",
             "Connection": "close"}
        if token:
            h["Authorization"] = "Bearer " + token
        if headers:
            h.update(headers)
        req = "GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        self.sock.sendall(req.encode())
        self.raw = b""          # received, not yet de-chunked
        self.body = b""         # de-chunked, not yet parsed
        self.eof = False
        self.comments = []
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(deadline):
                raise AssertionError("no response head for %s within %ss: %r"
                                     % (path, timeout, self.raw[:200]))
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.header_list = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:]]
        self.headers = {k.lower(): v for k, v in self.header_list}
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        cl = self.headers.get("content-length")
        self.left = int(cl) if cl is not None and not self.chunked else None
        self._decode()

    def _recv(self, deadline):
        """One recv; False on timeout or end of stream."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        return True

    def _decode(self):
        if not self.chunked:
            if self.left is not None:
                take = self.raw[:self.left]
                self.left -= len(take)
                self.body += take
                self.raw = b""
                if self.left == 0:
                    self.eof = True
            else:
                self.body += self.raw
                self.raw = b""
            return
        while True:
            if b"\r\n" not in self.raw:
                return
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.eof = True
                self.raw = b""
                return
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.raw = rest[size + 2:]

    def _fill(self, deadline):
        ok = self._recv(deadline)
        self._decode()
        return ok

    def read_all(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.eof and self._fill(deadline):
            pass
        return self.body

    def response(self, timeout=10):
        """The whole (non-stream) answer as an sb.Resp."""
        body = self.read_all(timeout)
        return Resp(self.status, self.header_list, body)

    def next(self, timeout=5):
        """The next event {id, event, data, json}, skipping comments; None when nothing
        arrives in time or the stream ended (self.eof tells which)."""
        deadline = time.monotonic() + timeout
        while True:
            self.body = self.body.replace(b"\r\n", b"\n")
            if b"\n\n" in self.body:
                block, self.body = self.body.split(b"\n\n", 1)
                ev = {"id": None, "event": None, "data": None, "json": None}
                data = []
                for line in block.decode("utf-8").split("\n"):
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                        continue
                    field, _, value = line.partition(":")
                    if value.startswith(" "):
                        value = value[1:]
                    if field == "data":
                        data.append(value)
                    elif field in ("id", "event"):
                        ev[field] = value
                if not data and ev["id"] is None and ev["event"] is None:
                    continue            # a comment-only block (heartbeat)
                if data:
                    ev["data"] = "\n".join(data)
                    try:
                        ev["json"] = json.loads(ev["data"])
                    except ValueError:
                        ev["json"] = None
                return ev
            if not self._fill(deadline):
                if self.eof:
                    self._decode()
                    if b"\n\n" in self.body.replace(b"\r\n", b"\n"):
                        continue
                return None

    def state(self):
        return "eof=%s" % (self.eof,)

    def brief(self, ev):
        return _brief(ev)


def _brief(ev):
    j = ev.get("json") or {}
    return (ev.get("id"), ev.get("event") or j.get("type"), j.get("call_id"))


def _type(ev):
    return (ev.get("json") or {}).get("type") or ev.get("event")


def _is_connected(ev):
    return ev is not None and (ev.get("event") == "connected" or _type(ev) == "connected")


def _open(ctx, path, token=None, headers=None):
    """A stream that must be accepted; its first event (connected) already read."""
    s = _Stream(ctx, path, token=token, headers=headers)
    try:
        if s.status != 200:
            raise AssertionError("stream %s: %d %r" % (path, s.status, s.read_all(2)[:300]))
        check(s.headers.get("content-type", "").startswith("text/event-stream"),
              "content-type: %r" % s.headers.get("content-type"))
        first = s.next(10)
        check(_is_connected(first), "the first event is not connected: %r" % first)
        s.connected = first
    except BaseException:
        s.close()
        raise
    return s


def _refused(ctx, path, status, code, token=None, headers=None):
    with _Stream(ctx, path, token=token, headers=headers) as s:
        r = s.response()
    expect_error(r, status, code)
    return r


# -- API helpers ------------------------------------------------------------------------

def _call(ctx, token, **extra):
    body = {"caller_number": "+1444%07d" % _rng.randrange(10 ** 7),
            "called_number": "+15553334444"}
    body.update(extra)
    r = ctx.post("/api/calls", body, token=token)
    check(r.status == 201, "create call: %r" % r)
    return r.json["call"]


def _put(ctx, token, cid, body):
    r = ctx.put("/api/calls/" + cid, body, token=token)
    check(r.status == 200, "PUT call %r: %r" % (body, r))
    return r.json["call"]


def _ticket(ctx, token):
    r = ctx.post("/api/events/ticket", token=token)
    check(r.status == 200, "ticket: %r" % r)
    return r.json["ticket"]


def _started(cid):
    return lambda ev: _type(ev) == "call_started" and (ev["json"] or {}).get("call_id") == cid


def _check_event(ev, tenant_id):
    j = ev["json"]
    check(isinstance(j, dict), "data is not a JSON object: %r" % ev)
    check(ev["id"] is not None and CURSOR.match(ev["id"]), "no opaque id: line: %r" % ev)
    check(j.get("id") == ev["id"], "JSON id %r differs from the id: line %r"
          % (j.get("id"), ev["id"]))
    for k in ("type", "tenant_id", "call_id", "timestamp"):
        check(k in j, "event JSON misses %s: %r" % (k, j))
    check(j["tenant_id"] == tenant_id, "event of another tenant: %r" % j)
    check(isinstance(j["timestamp"], str) and RFC3339.match(j["timestamp"]),
          "timestamp: %r" % j.get("timestamp"))


def _wait_worker(ctx, old_pid=None, timeout=30):
    """Until the event worker answers its health check (a new pid when old_pid is given)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            pid = ctx.pidfile("events.pid")
        except (OSError, ValueError):
            pid = None
        if pid is not None and pid != old_pid:
            try:
                last = ctx.get("/api/events/health", timeout=3)
                if last.status == 200:
                    return pid
            except OSError as e:
                last = e
        time.sleep(0.2)
    raise AssertionError("the event worker did not come back within %ss: %r" % (timeout, last))


# -- tickets and authentication ----------------------------------------------------------

def test_event_ticket(ctx):
    token, _ = sb.tenant(ctx)
    r = ctx.post("/api/events/ticket", token=token)
    check(r.status == 200 and r.json.get("success") is True, "ticket: %r" % r)
    check(isinstance(r.json.get("ticket"), str) and len(r.json["ticket"]) >= 16,
          "ticket: %r" % r.json.get("ticket"))
    check(r.json.get("expires_in") == 60, "expires_in: %r" % r.json.get("expires_in"))
    check(_ticket(ctx, token) != r.json["ticket"], "two tickets, one value")
    expect_error(ctx.post("/api/events/ticket"), 401, "unauthorized")


def test_stream_authentication(ctx):
    token, tid = sb.tenant(ctx)
    with _open(ctx, "/api/calls/events", token=token) as s:
        check((s.connected["json"] or {}).get("tenant_id") in (None, tid),
              "connected names another tenant: %r" % s.connected)
    with _open(ctx, "/api/calls/events?access_token=" + urllib.parse.quote(token)) as s:
        pass
    # The other names of the tenant's call stream.
    for path in ("/api/calls/active/events", "/api/v1/calls/events"):
        with _open(ctx, path, token=token) as s:
            c = _call(ctx, token)
            s.until(_started(c["id"]), what="call_started on " + path)
    ticket = _ticket(ctx, token)
    with _open(ctx, "/api/calls/events?ticket=" + urllib.parse.quote(ticket)) as s:
        c = _call(ctx, token)
        s.until(_started(c["id"]), what="call_started over a ticket stream")
    # A ticket is single use.
    _refused(ctx, "/api/calls/events?ticket=" + urllib.parse.quote(ticket), 401, "unauthorized")
    # No or bad credentials.
    _refused(ctx, "/api/calls/events", 401, "unauthorized")
    _refused(ctx, "/api/calls/events", 401, "unauthorized", token=token[:-4] + "AAAA")
    _refused(ctx, "/api/calls/events?access_token=not.a.jwt", 401, "unauthorized")
    _refused(ctx, "/api/calls/events?ticket=" + "0" * 43, 401, "unauthorized")
    _refused(ctx, "/api/events/poll?after=0&timeout=1", 401, "unauthorized")
    # A logged-out session's token no longer opens a stream.
    s2, _ = ctx.new_tenant()
    check(ctx.post("/api/auth/logout", {}, token=s2["token"]).status == 200, "logout")
    _refused(ctx, "/api/calls/events", 401, "unauthorized", token=s2["token"])
    # The access token stays out of nginx's access log.
    logs = os.path.join(ctx.var, "log")
    for name in os.listdir(logs):
        if "access" in name:
            with open(os.path.join(logs, name), errors="replace") as f:
                check(token not in f.read(), "the access token is in %s" % name)


# -- order, ids, payload -----------------------------------------------------------------

def test_stream_events_in_order(ctx):
    token, tid = sb.tenant(ctx)
    sid = "CA" + uuid.uuid4().hex
    with _open(ctx, "/api/calls/events", token=token) as s:
        c = _call(ctx, token, call_sid=sid, direction="outbound")
        _put(ctx, token, c["id"], {"status": "active"})
        _put(ctx, token, c["id"], {"ai_response": "Hello, how can I help?"})
        _put(ctx, token, c["id"], {"current_flow": "billing"})
        _put(ctx, token, c["id"], {"ai_minutes": 1.5})
        _put(ctx, token, c["id"], {"context": {"intent": "refund"}})
        _put(ctx, token, c["id"], {"status": "completed"})
        got = s.until(lambda ev: _type(ev) == "call_ended", what="call_ended")
    final = ctx.get("/api/calls/" + c["id"], token=token).json["call"]
    mine = [ev for ev in got if (ev["json"] or {}).get("call_id") == c["id"]]
    check(mine == got, "events of other calls: %r" % [_brief(e) for e in got])
    for ev in got:
        _check_event(ev, tid)
    ids = [ev["id"] for ev in got]
    check(len(set(ids)) == len(ids), "ids repeat: %r" % ids)
    types = [_type(ev) for ev in got]
    check(types[0] == "call_started", "first: %r" % types)
    check(types[-1] == "call_ended", "last: %r" % types)
    check(types.count("ai_response") == 1, "ai_response: %r" % types)
    ai = types.index("ai_response")
    check("call_status_update" in types[1:ai], "status change to active before the AI reply: %r"
          % types)
    # Payloads, by type (docs: "Fields by type").
    j = got[0]["json"]
    check(j.get("call_sid") == sid and j.get("caller_number") == c["caller_number"]
          and j.get("called_number") == c["called_number"] and j.get("direction") == "outbound"
          and j.get("status") == "ringing", "call_started payload: %r" % j)
    upd = [ev["json"] for ev in got if _type(ev) == "call_status_update"]
    check(upd and upd[0].get("status") == "active" and upd[0].get("previous_status") == "ringing",
          "call_status_update payload: %r" % upd)
    check(got[ai]["json"].get("text") == "Hello, how can I help?", "ai_response payload: %r"
          % got[ai]["json"])
    changes = [ev["json"] for ev in got if _type(ev) == "call_update"]
    check(len(changes) == 3, "one call_update per PUT of flow/minutes/context: %r" % changes)
    check(changes[0].get("current_flow") == "billing", "call_update flow: %r" % changes[0])
    check(changes[1].get("ai_minutes") == 1.5, "call_update ai_minutes: %r" % changes[1])
    check(changes[2].get("context_changed") is True, "call_update context: %r" % changes[2])
    end = got[-1]["json"]
    check(end.get("status") == "completed" and end.get("total_duration") == final["total_duration"]
          and end.get("ai_minutes") == final["ai_minutes"]
          and end.get("transfer_minutes") == final["transfer_minutes"]
          and end.get("end_time") == final["end_time"], "call_ended payload %r vs call %r"
          % (end, final))
    check(s.connected["id"] is not None and s.connected["id"] not in ids,
          "the connected event's id is an event's: %r" % s.connected)


def test_stream_resume_with_last_event_id(ctx):
    token, tid = sb.tenant(ctx)
    with _open(ctx, "/api/calls/events", token=token) as s:
        first = _call(ctx, token)
        got = s.until(_started(first["id"]))
        last = got[-1]["id"]
    missed = [_call(ctx, token)["id"] for _ in range(3)]
    _put(ctx, token, missed[0], {"status": "active"})
    for how in ("header", "query"):
        if how == "header":
            s = _open(ctx, "/api/calls/events", token=token, headers={"Last-Event-ID": last})
        else:
            s = _open(ctx, "/api/calls/events?after=" + last, token=token)
        with s:
            check(s.connected["id"] == last,
                  "%s: the connected event's id %s is not the cursor %s it resumes from"
                  % (how, s.connected["id"], last))
            got = s.until(lambda ev: _type(ev) == "call_status_update", what="the missed events")
            extra = s.quiet(1.5)
        for ev in got + extra:
            _check_event(ev, tid)
        ids = [ev["id"] for ev in got + extra]
        check(last not in ids, "%s: replayed an old event: %r" % (how, ids))
        check(len(set(ids)) == len(ids), "%s: ids %r" % (how, ids))
        started = [ev["json"]["call_id"] for ev in got + extra if _type(ev) == "call_started"]
        check(started == missed, "%s: missed call_started %r, want %r" % (how, started, missed))
        check([_type(ev) for ev in got + extra] == ["call_started"] * 3 + ["call_status_update"],
              "%s: exactly the missed events: %r" % (how, [_brief(e) for e in got + extra]))
    # A bad cursor is refused.
    _refused(ctx, "/api/calls/events?after=abc", 422, "validation_failed", token=token)


def test_stream_tenant_isolation(ctx):
    token_a, tid_a = sb.tenant(ctx)
    token_b, tid_b = sb.tenant(ctx)
    with _open(ctx, "/api/calls/events", token=token_b) as sb_, \
            _open(ctx, "/api/events", token=token_b) as sb_all, \
            _open(ctx, "/api/calls/events", token=token_a) as sa:
        ca = _call(ctx, token_a)
        _put(ctx, token_a, ca["id"], {"status": "active"})
        cb = _call(ctx, token_b)
        for s in (sb_, sb_all):
            got = s.until(_started(cb["id"]), what="B's own call")
            for ev in got:
                check((ev["json"] or {}).get("tenant_id") == tid_b,
                      "B's stream got another tenant's event: %r" % ev)
                check((ev["json"] or {}).get("call_id") != ca["id"], "B got A's call: %r" % ev)
        got = sa.until(_started(ca["id"]))
        got += sa.quiet(1.0)
        check(all((ev["json"] or {}).get("tenant_id") == tid_a for ev in got),
              "A got another tenant's event: %r" % [_brief(e) for e in got])
        check(cb["id"] not in [(ev["json"] or {}).get("call_id") for ev in got], "A got B's call")
    # A resume cursor does not open another tenant's history either.
    with _open(ctx, "/api/events?after=0", token=token_b) as s:
        got = s.quiet(1.5)
    check(all((ev["json"] or {}).get("tenant_id") == tid_b for ev in got),
          "B's replay from 0 holds A's events: %r" % [_brief(e) for e in got])
    check(ca["id"] not in [(ev["json"] or {}).get("call_id") for ev in got], "A's call in B")


def test_call_stream(ctx):
    token_a, tid_a = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    x = _call(ctx, token_a)
    _refused(ctx, "/api/calls/%s/events" % x["id"], 404, "not_found", token=token_b)
    _refused(ctx, "/api/calls/call_nope/events", 404, "not_found", token=token_a)
    with _open(ctx, "/api/calls/%s/events" % x["id"], token=token_a) as s:
        y = _call(ctx, token_a)
        _put(ctx, token_a, y["id"], {"status": "active"})
        _put(ctx, token_a, x["id"], {"status": "active"})
        _put(ctx, token_a, y["id"], {"ai_response": "not for this stream"})
        _put(ctx, token_a, x["id"], {"ai_response": "for this stream"})
        got = s.until(lambda ev: _type(ev) == "ai_response", what="x's ai_response")
        got += s.quiet(1.0)
    for ev in got:
        _check_event(ev, tid_a)
        check(ev["json"]["call_id"] == x["id"], "another call's event: %r" % (_brief(ev),))
    check("call_status_update" in [_type(e) for e in got], "x's status change: %r"
          % ([_brief(e) for e in got],))


def test_events_type_filter(ctx):
    token, tid = sb.tenant(ctx)
    with _open(ctx, "/api/events?types=call_started", token=token) as s, \
            _open(ctx, "/api/events", token=token) as every:
        c1 = _call(ctx, token)
        _put(ctx, token, c1["id"], {"status": "active"})
        r = ctx.post("/api/departments", {"name": "D " + sb.uid(), "phone_number": "+15551230000"},
                     token=token)
        check(r.status == 201, "department: %r" % r)
        r = ctx.post("/api/agents", {"name": "A " + sb.uid(), "phone_number": "+15550001111",
                                     "department_id": r.json["department"]["id"]}, token=token)
        check(r.status == 201, "agent: %r" % r)
        agent_id = r.json["agent"]["id"]
        r = ctx.put("/api/agents/%s/status" % agent_id, {"status": "available"}, token=token)
        check(r.status == 200, "agent status: %r" % r)
        c2 = _call(ctx, token)
        got = s.until(_started(c2["id"]), what="the second call_started")
        got += s.quiet(1.0)
        check([_type(ev) for ev in got] == ["call_started", "call_started"],
              "types=call_started delivered %r" % [_brief(e) for e in got])
        check([ev["json"]["call_id"] for ev in got] == [c1["id"], c2["id"]], "calls: %r" % got)
        all_events = every.until(_started(c2["id"]), what="everything")
    types = [_type(ev) for ev in all_events]
    check("call_status_update" in types, "/api/events lacks the status update: %r" % types)
    agent_events = [ev for ev in all_events if _type(ev) == "agent.state.changed"]
    check(agent_events, "/api/events lacks agent.state.changed: %r" % types)
    for ev in agent_events:
        check(ev["json"]["tenant_id"] == tid and ev["json"].get("call_id") is None,
              "agent event: %r" % ev["json"])
    with _open(ctx, "/api/events?types=call_started,call_ended", token=token) as s:
        c3 = _call(ctx, token)
        _put(ctx, token, c3["id"], {"status": "active"})
        _put(ctx, token, c3["id"], {"status": "completed"})
        got = s.until(lambda ev: _type(ev) == "call_ended", what="call_ended")
    check([_type(ev) for ev in got] == ["call_started", "call_ended"],
          "types=call_started,call_ended: %r" % [_brief(e) for e in got])


def test_transfer_agent_and_department_events(ctx):
    token, tid = sb.tenant(ctx)
    with _open(ctx, "/api/events", token=token) as s:
        name = "Sales " + sb.uid()
        r = ctx.post("/api/departments", {"name": name, "phone_number": "+15551230000"},
                     token=token)
        check(r.status == 201, "department: %r" % r)
        dept = r.json["department"]["id"]
        check(ctx.put("/api/departments/" + dept, {"description": "x"},
                      token=token).status == 200, "department update")
        r = ctx.post("/api/agents", {"name": "Ann", "phone_number": "+15550001111",
                                     "department_id": dept}, token=token)
        check(r.status == 201, "agent: %r" % r)
        agent = r.json["agent"]["id"]
        for status in ("available", "available"):      # the second one changes nothing
            r = ctx.put("/api/agents/%s/status" % agent, {"status": status}, token=token)
            check(r.status == 200, "agent status: %r" % r)
        c = _call(ctx, token, status="active")
        r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": dept,
                                             "transfer_type": "cold"}, token=token)
        check(r.status == 200 and r.json["transfer"]["agent_id"] == agent, "transfer: %r" % r)
        tr = r.json["transfer"]["id"]
        for status in ("connecting", "connected", "completed"):
            r = ctx.put("/api/calls/transfers/" + tr, {"status": status}, token=token)
            check(r.status == 200, "transfer %s: %r" % (status, r))
        r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": dept},
                     token=token)
        check(r.status == 200, "second transfer: %r" % r)
        tr2 = r.json["transfer"]["id"]
        r = ctx.put("/api/calls/transfers/" + tr2, {"status": "failed"}, token=token)
        check(r.status == 200, "fail: %r" % r)
        r = ctx.post("/api/agents", {"name": "Bo", "phone_number": "+15550001112",
                                     "department_id": dept}, token=token)
        check(r.status == 201, "agent 2: %r" % r)
        agent2 = r.json["agent"]["id"]
        check(ctx.delete("/api/agents/" + agent2, token=token).status == 200, "delete agent 2")
        r = ctx.post("/api/departments", {"name": "Gone " + sb.uid(), "phone_number": "+15551230000"},
                     token=token)
        gone = r.json["department"]["id"]
        check(ctx.delete("/api/departments/" + gone, token=token).status == 200, "delete dept")
        got = s.until(lambda ev: _type(ev) == "department_changed"
                      and ev["json"].get("action") == "deleted", what="the department delete")
    for ev in got:
        _check_event(ev, tid)
    by = {}
    for ev in got:
        by.setdefault(_type(ev), []).append(ev["json"])
    depts = by.get("department_changed", [])
    check([(d["department_id"], d["action"]) for d in depts]
          == [(dept, "created"), (dept, "updated"), (gone, "created"), (gone, "deleted")],
          "department_changed: %r" % depts)
    check(depts[0]["name"] == name and depts[0]["call_id"] is None, "department payload: %r"
          % depts[0])
    agents = [(a["agent_id"], a["status"], a["previous_status"])
              for a in by.get("agent.state.changed", [])]
    check(agents == [(agent, "offline", None), (agent, "available", "offline"),
                     (agent2, "offline", None), (agent2, None, "offline")],
          "agent.state.changed (the same status twice emits once): %r" % agents)
    a0 = by["agent.state.changed"][0]
    check(a0["department_id"] == dept and a0["name"] == "Ann" and a0["call_id"] is None,
          "agent payload: %r" % a0)
    init = by.get("transfer_initiated", [])
    check(len(init) == 2, "transfer_initiated: %r" % init)
    check(init[0]["transfer_id"] == tr and init[0]["department_id"] == dept
          and init[0]["department_name"] == name and init[0]["agent_id"] == agent
          and init[0]["agent_name"] == "Ann" and init[0]["transfer_type"] == "cold"
          and init[0]["status"] == "initiated" and init[0]["call_id"] == c["id"],
          "transfer_initiated payload: %r" % init[0])
    moves = [(_type(ev), ev["json"].get("transfer_id"), ev["json"].get("agent_id"),
              ev["json"].get("status"), ev["json"].get("previous_status"))
             for ev in got if _type(ev).startswith("transfer_") and _type(ev) != "transfer_initiated"]
    check(moves == [("transfer_connecting", tr, agent, "connecting", "initiated"),
                    ("transfer_connected", tr, agent, "connected", "connecting"),
                    ("transfer_completed", tr, agent, "completed", "connected"),
                    ("transfer_failed", tr2, agent, "failed", "initiated")],
          "transfer moves: %r" % moves)


def test_event_responses_carry_one_cors_origin(ctx):
    """Not in docs/api.md, but the stack enables CORS (cors_allow_origins): a browser
    refuses a response with two Access-Control-Allow-Origin headers ('*, *' or an origin
    plus '*'), so a cross-origin EventSource or poll could never read the answer."""
    token, _ = sb.tenant(ctx)
    for path in ("/api/calls/events", "/api/events/poll?after=0&timeout=1"):
        with _Stream(ctx, path, token=token, headers={"Origin": "http://example.test"}) as s:
            acao = [v for k, v in s.header_list if k.lower() == "access-control-allow-origin"]
        check(len(acao) == 1, "%s: Access-Control-Allow-Origin sent %d times: %r"
              % (path, len(acao), acao))
    r = ctx.get("/api/calls/active", token=token, headers={"Origin": "http://example.test"})
    check(r.status == 200 and r.headers.get("access-control-allow-origin") is not None,
          "the pool's answer has its CORS header: %r" % r.headers)


# -- long-poll ---------------------------------------------------------------------------

def test_long_poll(ctx):
    token, tid = sb.tenant(ctx)
    c = _call(ctx, token)
    t0 = time.monotonic()
    r = ctx.get("/api/events/poll?after=0&timeout=5", token=token)
    took = time.monotonic() - t0
    check(r.status == 200 and r.json.get("success") is True, "poll: %r" % r)
    check(took < 2.0, "events were waiting, yet the poll took %.2fs" % took)
    evs = r.json["events"]
    check(isinstance(evs, list) and evs, "events: %r" % r)
    check([e["type"] for e in evs] == ["call_started"] and evs[0]["call_id"] == c["id"],
          "events: %r" % evs)
    check(evs[0]["tenant_id"] == tid and RFC3339.match(evs[0].get("timestamp") or ""),
          "event: %r" % evs[0])
    cursor = r.json["cursor"]
    check(isinstance(cursor, str) and CURSOR.match(cursor) and cursor == evs[-1]["id"],
          "cursor %r vs last id %r" % (cursor, evs[-1]["id"]))
    # Nothing newer: waits the timeout, answers empty with the same cursor.
    t0 = time.monotonic()
    r = ctx.get("/api/events/poll?after=%s&timeout=2" % cursor, token=token)
    took = time.monotonic() - t0
    check(r.status == 200 and r.json.get("events") == [] and r.json.get("cursor") == cursor,
          "empty poll: %r" % r)
    check(1.7 <= took <= 5.0, "the empty poll took %.2fs, want about 2" % took)
    # Something newer: at once.
    c2 = _call(ctx, token)
    t0 = time.monotonic()
    r = ctx.get("/api/events/poll?after=%s&timeout=10" % cursor, token=token)
    took = time.monotonic() - t0
    check(r.status == 200 and [e["call_id"] for e in r.json["events"]] == [c2["id"]],
          "poll after the cursor: %r" % r)
    check(took < 2.0, "took %.2fs" % took)
    cursor = r.json["cursor"]
    # A waiting poll wakes when an event is written.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        t0 = time.monotonic()
        fut = ex.submit(ctx.get, "/api/events/poll?after=%s&timeout=20" % cursor, token=token)
        time.sleep(0.7)
        c3 = _call(ctx, token)
        r = fut.result(timeout=30)
        took = time.monotonic() - t0
    check(r.status == 200 and [e["call_id"] for e in r.json["events"]] == [c3["id"]],
          "woken poll: %r" % r)
    check(took < 5.0, "the poll was not woken by the new event: %.2fs" % took)
    # Tenant isolation and parameter checks.
    token_b, _ = sb.tenant(ctx)
    r = ctx.get("/api/events/poll?after=0&timeout=1", token=token_b)
    check(r.status == 200 and r.json["events"] == [] and r.json["cursor"] == "0",
          "B polls A's events: %r" % r)
    # A's cursor means nothing to B.
    r = ctx.get("/api/events/poll?after=%s&timeout=0" % cursor, token=token_b)
    expect_error(r, 422, "validation_failed")
    for q in ("after=x", "timeout=-1", "timeout=61", "timeout=abc"):
        r = ctx.get("/api/events/poll?" + q, token=token)
        expect_error(r, 422, "validation_failed")


def test_stream_heartbeat(ctx):
    token, _ = sb.tenant(ctx)
    with _open(ctx, "/api/calls/events", token=token) as s:
        got = s.quiet(17)
        check(not s.eof, "the stream ended while idle")
    check(got == [], "events on an idle tenant: %r" % got)
    check("heartbeat" in s.comments, "no ': heartbeat' comment within 17 s: %r" % s.comments)


# -- the worker killed --------------------------------------------------------------------

def test_resume_after_event_worker_killed(ctx):
    token, tid = sb.tenant(ctx)
    with _open(ctx, "/api/calls/events", token=token) as s:
        c = _call(ctx, token)
        last = s.until(_started(c["id"]))[-1]["id"]
    _wait_worker(ctx)
    pid = ctx.pidfile("events.pid")
    with _open(ctx, "/api/calls/events", token=token) as live:
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Written while the worker is down or restarting: the pool does not need it.
        written = [_call(ctx, token)["id"] for _ in range(3)]
        _put(ctx, token, written[1], {"status": "active"})
        # The open stream ends instead of hanging.
        rest = live.quiet(8)
        check(live.eof, "the stream of a killed worker did not end: %r" % rest)
    new_pid = _wait_worker(ctx, old_pid=pid)
    check(new_pid != pid, "not restarted")
    written.append(_call(ctx, token)["id"])       # after the restart
    with _open(ctx, "/api/calls/events", token=token, headers={"Last-Event-ID": last}) as s:
        got = s.until(_started(written[-1]), what="every event written meanwhile", timeout=15)
        got += s.quiet(1.5)
    for ev in got:
        _check_event(ev, tid)
    ids = [ev["id"] for ev in got]
    check(last not in ids and len(set(ids)) == len(ids),
          "ids after resume: %r (last %s)" % (ids, last))
    started = [ev["json"]["call_id"] for ev in got if _type(ev) == "call_started"]
    check(started == written, "call_started after the restart %r, want %r" % (started, written))
    check([_type(ev) for ev in got].count("call_status_update") == 1,
          "the status change written meanwhile: %r" % [_brief(e) for e in got])


test_resume_after_event_worker_killed.destructive = True

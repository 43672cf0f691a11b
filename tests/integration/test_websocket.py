"""WebSocket on the event worker, through nginx: the handshake and who may connect, each
family's framing, subscriptions, resuming with after=, the audience of an event (a
user's notification reaches that user only, on SSE and WebSocket), the chat visitor's
public socket (secret, origin, its session's events only, typing), /ws/stats,
/ws/users/:id/online, the message-size cap and the keepalive.

The client is our own (a raw socket, RFC 6455 frames) so a test can also misbehave: send
an oversized message, or never answer a ping."""
import base64
import hashlib
import json
import os
import socket
import struct
import time
import uuid

import sb
from sb import check, expect_error

import test_events


# -- a small WebSocket client -------------------------------------------------------------

class WS(sb.RawSocket):
    def __init__(self, ctx, path, token=None, headers=None, timeout=10, answer_pings=True):
        self.sock = socket.create_connection((ctx.host, ctx.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": "%s:%d" % (ctx.host, ctx.port), "Upgrade": "websocket",
             "Connection": "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
        if token:
            h["Authorization"] = "Bearer " + token
        if headers:
            h.update(headers)
        req = "GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        self.sock.sendall(req.encode())
        self.buf = b""
        self.eof = False
        self.answer_pings = answer_pings
        self.closed = None      # (code, reason) once a close frame came
        self.pings = 0
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._recv(deadline):
                raise AssertionError("no handshake answer for %s: %r" % (path, self.buf[:200]))
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, v in (ln.split(":", 1) for ln in lines[1:])}
        self.body = b""
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            check(self.headers.get("sec-websocket-accept") == want, "bad accept: %r" % self.headers)
        else:
            n = int(self.headers.get("content-length", "0"))
            while len(self.buf) < n and self._recv(deadline):
                pass
            self.body = self.buf[:n]

    def json_body(self):
        return json.loads(self.body) if self.body else None

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send(self, obj):
        self.send_frame(1, json.dumps(obj).encode())

    def frame(self, timeout=5):
        """(opcode, payload) of the next frame, or None on timeout or end of stream."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                b0, b1 = self.buf[0], self.buf[1]
                n, off = b1 & 0x7F, 2
                if n == 126 and len(self.buf) >= 4:
                    n, off = struct.unpack("!H", self.buf[2:4])[0], 4
                elif n == 127 and len(self.buf) >= 10:
                    n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
                check(not (b1 & 0x80), "a server frame must not be masked")
                if (b1 & 0x7F) < 126 or off > 2:
                    if len(self.buf) >= off + n:
                        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
                        return b0 & 0x0F, payload
            if not self._recv(deadline):
                return None

    def next(self, timeout=5):
        """The next JSON text frame; pings answered (unless told not to); None on timeout,
        end of stream or a close frame (self.closed)."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.frame(max(0.01, deadline - time.monotonic()))
            if f is None:
                return None
            op, payload = f
            if op == 9:
                self.pings += 1
                if self.answer_pings:
                    self.send_frame(10, payload)
                continue
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.closed = (code, payload[2:].decode("utf-8", "replace"))
                return None
            if op == 1:
                return json.loads(payload)

    def state(self):
        return "closed=%r" % (self.closed,)


def _open(ctx, path, token=None, headers=None, first="connected"):
    ws = WS(ctx, path, token=token, headers=headers)
    check(ws.status == 101, "socket %s: %d %r" % (path, ws.status, ws.body[:300]))
    if first is not None:
        m = ws.next(10)
        check(m is not None and m.get("type") == first, "first frame of %s: %r" % (path, m))
        ws.welcome = m
    return ws


def _emit(ctx, tenant_id, type_, payload=None, audience=None):
    """An event written as the pool writes them (the feed picks it up)."""
    sb.emit_event(ctx, tenant_id, type_, payload, audience)


def _marker(ctx, tenant_id):
    """An event every staff reader gets: what came before it has been delivered."""
    tag = uuid.uuid4().hex
    _emit(ctx, tenant_id, "alert", {"tag": tag})
    return lambda m: m.get("type") == "alert" and (m.get("payload") or {}).get("tag") == tag


def _types(frames):
    return [m.get("type") for m in frames]


# -- connecting ------------------------------------------------------------------------------

def test_ws_handshake_and_authentication(ctx):
    token, tenant_id = sb.tenant(ctx)
    with WS(ctx, "/ws") as ws:
        check(ws.status == 401, "no token: %d %r" % (ws.status, ws.body))
    with WS(ctx, "/ws?token=not-a-jwt") as ws:
        check(ws.status == 401, "bad token: %d" % ws.status)
    r = ctx.get("/ws?token=" + token)
    expect_error(r, 426, "upgrade_required")
    with _open(ctx, "/ws?token=" + token) as ws:
        w = ws.welcome
        check(w["payload"]["tenant_id"] == tenant_id and w.get("id") and w.get("timestamp"),
              "welcome: %r" % w)
    with _open(ctx, "/ws", token=token) as ws:        # the header works too
        held = sb.metric(sb.metrics(ctx), "switchboard_event_streams", kind="websocket")
        check(held >= 1, "streams{kind=websocket} with a socket open: %r" % held)
    r = ctx.post("/api/events/ticket", token=token)
    check(r.status == 200, "ticket: %r" % r)
    with _open(ctx, "/ws?ticket=" + r.json["ticket"]) as ws:
        pass
    with WS(ctx, "/ws?token=%s&family=nope" % token) as ws:
        check(ws.status == 422, "bad family: %d" % ws.status)
    with WS(ctx, "/ws/nowhere?token=" + token) as ws:
        check(ws.status == 404, "unknown socket: %d" % ws.status)


def test_ws_callcenter_framing_and_subscribe(ctx):
    token, tenant_id = sb.tenant(ctx)
    with _open(ctx, "/ws?family=callcenter&token=" + token) as ws:
        ws.send({"type": "subscribe", "payload": {"events": ["queue.stats"]}})
        sub = ws.until(lambda m: m.get("type") == "subscribed")[-1]
        check(sub["payload"]["events"] == ["queue.stats"], "subscribed: %r" % sub)
        _emit(ctx, tenant_id, "agent.state.changed", {"user_id": "u1", "state": "available"})
        _emit(ctx, tenant_id, "queue.stats", {"queue_name": "q1", "calls_waiting": 2})
        got = ws.until(lambda m: m.get("type") == "queue.stats")
        check(_types(got) == ["queue.stats"], "only the subscribed type: %r" % got)
        m = got[-1]
        check(m["payload"]["queue_name"] == "q1" and m["payload"]["calls_waiting"] == 2,
              "payload: %r" % m)
        check(m.get("id") and test_events.CURSOR.match(m["id"]), "id: %r" % m)
        check(test_events.RFC3339.match(m["timestamp"]), "timestamp: %r" % m)
        # topics are prefixes: "agent" is agent.*
        ws.send({"payload": {"topics": ["agent"]}})
        ws.until(lambda m: m.get("type") == "subscribed")
        _emit(ctx, tenant_id, "call.ended", {"unique_id": "x"})
        _emit(ctx, tenant_id, "agent.login", {"user_id": "u1"})
        got = ws.until(lambda m: m.get("type") == "agent.login")
        check("call.ended" not in _types(got), "call.ended is not subscribed: %r" % got)
        ws.send({"type": "ping"})
        ws.until(lambda m: m.get("type") == "pong")
        ws.send({"type": "unsubscribe", "payload": {"topics": ["agent"], "events": ["queue.stats"]}})
        ws.until(lambda m: m.get("type") == "unsubscribed")
        _emit(ctx, tenant_id, "agent.logout", {"user_id": "u1"})
        check(ws.quiet(1.0) == [], "nothing after unsubscribing from everything")
        ws.send({"type": "what"})
        ws.until(lambda m: m.get("type") == "error")


def test_ws_coldcaller_framing(ctx):
    token, tenant_id = sb.tenant(ctx)
    ws = _open(ctx, "/ws?token=" + token, first=None)
    with ws:
        # No family given: the first message's shape decides.
        ws.send({"type": "subscribe", "channel": "calls"})
        got = ws.until(lambda m: m.get("type") == "subscribed")
        check(got[0]["type"] == "connected" and got[0]["channel"] == "system", "welcome: %r" % got)
        _emit(ctx, tenant_id, "agent.login", {"user_id": "u1"})
        _emit(ctx, tenant_id, "call.ended", {"unique_id": "abc", "duration": 12})
        got = ws.until(lambda m: m.get("type") == "callEnded")
        check(len(got) == 1, "only the calls channel: %r" % got)
        m = got[0]
        check(m["channel"] == "calls" and m["data"]["uniqueId"] == "abc" and m.get("id")
              and m.get("timestamp"), "coldcaller frame: %r" % m)


def test_ws_calldocker_framing(ctx):
    token, tenant_id = sb.tenant(ctx)
    with _open(ctx, "/ws?family=calldocker&token=" + token, first="connection_established") as ws:
        _emit(ctx, tenant_id, "agent.state.changed", {"user_id": "u1", "state": "break"})
        m = ws.until(lambda m: m.get("type") == "agent_status_changed")[-1]
        check(m["data"]["state"] == "break" and m.get("id"), "calldocker frame: %r" % m)
        ws.send({"type": "ping"})
        ws.until(lambda m: m.get("type") == "pong")
    with _open(ctx, "/ws?token=" + token, first=None) as ws:
        ws.send({"type": "join_room", "room": "agents"})
        got = ws.until(lambda m: m.get("type") == "room_joined")
        check(got[0]["type"] == "connection_established", "guessed calldocker: %r" % got)


def test_ws_resume_with_after(ctx):
    token, tenant_id = sb.tenant(ctx)
    with _open(ctx, "/ws?token=" + token) as ws:
        _emit(ctx, tenant_id, "alert", {"n": 1})
        first = ws.until(lambda m: m.get("type") == "alert")[-1]
    for n in (2, 3, 4):
        _emit(ctx, tenant_id, "alert", {"n": n})
    time.sleep(0.6)
    with _open(ctx, "/ws?after=%s&token=%s" % (first["id"], token)) as ws:
        check(ws.welcome["id"] == first["id"], "welcome at the cursor: %r" % ws.welcome)
        got = ws.until(lambda m: (m.get("payload") or {}).get("n") == 4)
        check([m["payload"]["n"] for m in got] == [2, 3, 4], "resumed in order: %r" % got)
        _emit(ctx, tenant_id, "alert", {"n": 5})
        m = ws.until(lambda m: m.get("type") == "alert")[-1]
        check(m["payload"]["n"] == 5, "then live: %r" % m)
    with WS(ctx, "/ws?after=garbage&token=" + token) as ws:
        check(ws.status == 422, "bad cursor: %d" % ws.status)


def test_audience_user_only_sse_and_ws(ctx):
    token, tenant_id = sb.tenant(ctx)
    a = sb.user(ctx, token, "agent")
    b = sb.user(ctx, token, "agent")
    a_id, b_id = a["user"]["id"], b["user"]["id"]
    with _open(ctx, "/ws?token=" + a["token"]) as wa, _open(ctx, "/ws?token=" + b["token"]) as wb, \
            test_events._open(ctx, "/api/events", token=b["token"]) as sse_b, \
            test_events._open(ctx, "/api/events", token=a["token"]) as sse_a:
        _emit(ctx, tenant_id, "notification", {"title": "for A"}, audience="user:" + a_id)
        done = _marker(ctx, tenant_id)
        got = wa.until(done)
        check("notification" in _types(got), "A gets its notification: %r" % got)
        got = wb.until(done)
        check("notification" not in _types(got), "B's socket never gets A's: %r" % got)
        got = sse_b.until(lambda ev: test_events._type(ev) == "alert")
        check("notification" not in [test_events._type(e) for e in got],
              "B's SSE never gets A's notification: %r" % got)
        got = sse_a.until(lambda ev: test_events._type(ev) == "alert")
        check("notification" in [test_events._type(e) for e in got], "A's SSE gets it: %r" % got)
    # a replay honours it too (the event is in the past now)
    with _open(ctx, "/ws?after=0&token=" + b["token"]) as wb:
        done = _marker(ctx, tenant_id)
        got = wb.until(done)
        check("notification" not in _types(got), "B's replay never has A's: %r" % got)
    # and so does the long-poll
    r = ctx.get("/api/events/poll?after=0&timeout=0", token=b["token"])
    check(r.status == 200 and all(e.get("type") != "notification" for e in r.json["events"]),
          "B's poll: %r" % r)
    r = ctx.get("/api/events/poll?after=0&timeout=0", token=a["token"])
    check(any(e.get("type") == "notification" for e in r.json["events"]), "A's poll: %r" % r)


# -- the visitor's socket ---------------------------------------------------------------------

def _chat(ctx, tenant_id, origins=("https://shop.example",)):
    wid, sid, key, secret = ("cw_" + sb.uid(), "cs_" + sb.uid(), "sk_" + uuid.uuid4().hex,
                             uuid.uuid4().hex)
    sb.sql(ctx, "INSERT INTO chat_widgets (id, tenant_id, name, public_key, allowed_origins)"
                " VALUES ('%s', '%s', 'W %s', 'pk_%s', '%s')"
           % (wid, tenant_id, wid, uuid.uuid4().hex, json.dumps(list(origins))))
    sb.sql(ctx, "INSERT INTO chat_sessions (id, tenant_id, widget_id, visitor_id, session_key,"
                " visitor_secret_hash) VALUES ('%s', '%s', '%s', 'v1', '%s', '%s')"
           % (sid, tenant_id, wid, key, hashlib.sha256(secret.encode()).hexdigest()))
    return sid, key, secret


def test_ws_public_socket(ctx):
    token, tenant_id = sb.tenant(ctx)
    sid, key, secret = _chat(ctx, tenant_id)
    other_sid, _, _ = _chat(ctx, tenant_id)
    good = {"Origin": "https://shop.example"}
    path = "/ws/public/%s?secret=%s" % (key, secret)
    with WS(ctx, "/ws/public/%s?secret=wrong" % key, headers=good) as ws:
        check(ws.status == 401, "wrong secret: %d" % ws.status)
    with WS(ctx, path, headers={"Origin": "https://evil.example"}) as ws:
        check(ws.status == 403, "wrong origin: %d" % ws.status)
    with WS(ctx, "/ws/public/sk_nope?secret=x", headers=good) as ws:
        check(ws.status == 404, "unknown session: %d" % ws.status)
    with _open(ctx, path, headers=good) as v, _open(ctx, "/ws?token=" + token) as staff:
        _emit(ctx, tenant_id, "chat.message", {"session_id": other_sid, "body": "not yours"},
              audience="chat:" + other_sid)
        _emit(ctx, tenant_id, "queue.stats", {"queue_name": "q"})
        _emit(ctx, tenant_id, "chat.message", {"session_id": sid, "body": "hello"},
              audience="chat:" + sid)
        got = v.until(lambda m: m.get("type") == "chat.message")
        check(len(got) == 1 and got[0]["payload"]["body"] == "hello", "visitor: %r" % got)
        got = staff.until(lambda m: (m.get("payload") or {}).get("body") == "hello")
        check(len([m for m in got if m.get("type") == "chat.message"]) == 2,
              "staff see both chats: %r" % got)
        v.send({"type": "chat.typing", "payload": {"is_typing": True}})
        m = staff.until(lambda m: m.get("type") == "chat.typing")[-1]
        check(m["payload"]["session_id"] == sid and m["payload"]["sender_type"] == "visitor",
              "typing: %r" % m)
        v.send({"type": "subscribe", "payload": {"events": ["queue.stats"]}})
        v.until(lambda m: m.get("type") == "error")
    # the secret as a first message instead
    with _open(ctx, "/ws/public/" + key, headers=good, first=None) as v:
        v.send({"type": "auth", "payload": {"secret": secret}})
        v.until(lambda m: m.get("type") == "connected")
    with _open(ctx, "/ws/public/" + key, headers=good, first=None) as v:
        v.send({"type": "auth", "payload": {"secret": "wrong"}})
        check(v.quiet(3) is not None and v.closed and v.closed[0] == 1008,
              "wrong secret closes: %r" % (v.closed,))


# -- stats and presence ---------------------------------------------------------------------------

def test_ws_stats_and_online(ctx):
    token, tenant_id = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    with _open(ctx, "/ws/stats?token=" + token) as ws:
        _emit(ctx, tenant_id, "agent.login", {"user_id": "u"})
        _emit(ctx, tenant_id, "queue.stats", {"queue_name": "q"})
        got = ws.until(lambda m: m.get("type") == "queue.stats")
        check(_types(got) == ["queue.stats"], "stats only: %r" % got)
    a = sb.user(ctx, token, "agent")
    a_id = a["user"]["id"]
    with WS(ctx, "/ws/users/%s/online?token=%s" % (a_id, other)) as ws:
        check(ws.status == 404, "another tenant's user: %d" % ws.status)
    with _open(ctx, "/ws/users/%s/online?token=%s" % (a_id, token)) as ws:
        m = ws.until(lambda m: m.get("type") == "user.online")[-1]
        check(m["payload"] == {"user_id": a_id, "online": False}, "offline: %r" % m)
        with _open(ctx, "/ws?token=" + a["token"]):
            # pushed at the next heartbeat (3 s in the dev stack) at the latest
            m = ws.until(lambda m: m.get("type") == "user.online", timeout=15)[-1]
            check(m["payload"]["online"] is True, "online: %r" % m)
        m = ws.until(lambda m: m.get("type") == "user.online", timeout=15)[-1]
        check(m["payload"]["online"] is False, "offline again once the stream closed: %r" % m)
    rows = sb.sql(ctx, "SELECT streams FROM stream_presence WHERE user_id = '%s'" % a_id).split()
    check(rows and all(r == "0" for r in rows), "presence rows: %r" % rows)


# -- limits -----------------------------------------------------------------------------------------

def test_ws_oversize_message_closed(ctx):
    token, _ = sb.tenant(ctx)
    with _open(ctx, "/ws?token=" + token) as ws:
        ws.send_frame(1, b'{"type":"ping","pad":"' + b"x" * 20000 + b'"}')
        check(ws.quiet(5) is not None and ws.closed and ws.closed[0] == 1009,
              "oversize: %r" % (ws.closed,))


def test_ws_ping_pong_keepalive(ctx):
    token, _ = sb.tenant(ctx)
    with _open(ctx, "/ws?token=" + token) as ws:
        ws.send_frame(9, b"hi")
        f = ws.frame(5)
        while f is not None and f[0] == 1:
            f = ws.frame(5)
        check(f == (10, b"hi"), "pong for a ping: %r" % (f,))
        ws.quiet(7)
        check(ws.pings >= 1 and ws.closed is None, "server pings, answered: %d" % ws.pings)
    ws = _open(ctx, "/ws?token=" + token)
    ws.answer_pings = False
    with ws:
        deadline = time.monotonic() + 20
        pings = 0
        while not ws.eof and time.monotonic() < deadline:
            f = ws.frame(1)
            pings += f is not None and f[0] == 9
        check(ws.eof and pings >= 1, "a client that never answers pings is dropped (%d pings)" % pings)


def test_ws_caps_shared_with_sse(ctx):
    """Sockets and SSE streams count together against the session's cap (32)."""
    token, _ = sb.tenant(ctx)
    held = []
    try:
        for i in range(32):
            if i % 2:
                held.append(_open(ctx, "/ws?family=callcenter&token=" + token))
            else:
                held.append(test_events._open(ctx, "/api/events", token=token))
        with WS(ctx, "/ws?token=" + token) as ws:
            check(ws.status == 429 and ws.json_body()["code"] == "too_many_streams",
                  "the 33rd (a socket): %d %r" % (ws.status, ws.body))
        test_events._refused(ctx, "/api/events", 429, "too_many_streams", token=token)
        held.pop().close()
        time.sleep(0.3)
        with _open(ctx, "/ws?token=" + token):
            pass
    finally:
        for h in held:
            h.close()


def test_ws_session_revoked(ctx):
    token, _ = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    with _open(ctx, "/ws?token=" + agent["token"]) as ws:
        check(ctx.post("/api/auth/logout", {}, token=agent["token"]).status == 200, "logout")
        m = ws.until(lambda m: m.get("type") == "session_revoked")[-1]
        check(m["reason"] == "logout", "revoked: %r" % m)
        ws.quiet(3)
        check(ws.closed and ws.closed[0] == 1008, "closed with 1008: %r" % (ws.closed,))
    with WS(ctx, "/ws?token=" + agent["token"]) as ws:
        check(ws.status == 401, "the token is dead: %d" % ws.status)


def test_ws_visitor_and_agent_chat(ctx):
    """The widget's whole path: start over REST, the visitor's socket, an agent's socket;
    messages both ways and typing arrive live, each side sees only what it should."""
    import test_chat
    admin, _ = sb.tenant(ctx)
    w = test_chat._widget(ctx, admin)
    agent, _ = test_chat._chat_agent(ctx, admin, max_chats=2)
    s = test_chat._start(ctx, w)
    sid, key, secret = s["session_id"], s["session_key"], s["visitor_secret"]
    other = test_chat._start(ctx, w)
    origin = {"Origin": test_chat.ORIGIN}
    with _open(ctx, "/ws/public/%s?secret=%s" % (key, secret), headers=origin) as v, \
            _open(ctx, "/ws?token=" + agent["token"]) as a:
        a.send({"type": "subscribe", "payload": {"topics": ["chat"]}})
        a.until(lambda m: m.get("type") == "subscribed")
        sb.cc_data(ctx.post(test_chat.V1 + "/public/message", {"session_id": sid, "body": "Hi there"},
                            headers=test_chat._vh(w, secret)), 201)
        m = a.until(lambda m: m.get("type") == "chat.message")[-1]
        check(m["payload"]["body"] == "Hi there" and m["payload"]["sender_type"] == "visitor",
              "the agent sees the visitor's message: %r" % m)
        sb.cc_data(ctx.post(test_chat.V1 + "/public/message",
                            {"session_id": other["session_id"], "body": "someone else"},
                            headers=test_chat._vh(w, other["visitor_secret"])), 201)
        got = v.until(lambda m: m.get("type") == "chat.message")
        check([m["payload"]["body"] for m in got if m.get("type") == "chat.message"] == ["Hi there"],
              "the visitor sees its own message first: %r" % got)
        # the agent answers over REST; the visitor's socket gets it live
        sb.cc_data(ctx.post(test_chat.V1 + "/messages", {"session_id": sid, "body": "Hello, Vera"},
                            token=agent["token"]), 201)
        got = v.until(lambda m: (m.get("payload") or {}).get("body") == "Hello, Vera")
        check(all((m.get("payload") or {}).get("session_id") in (sid, None) for m in got),
              "only its own session's events: %r" % got)
        v.send({"type": "chat.typing", "payload": {"is_typing": True}})
        m = a.until(lambda m: m.get("type") == "chat.typing"
                    and m["payload"].get("sender_type") == "visitor")[-1]
        check(m["payload"]["session_id"] == sid, "typing: %r" % m)
        # The agent types on its own socket, naming the session: the visitor sees it.
        a.send({"type": "chat.typing", "payload": {"session_id": sid, "is_typing": True}})
        m = v.until(lambda m: m.get("type") == "chat.typing"
                    and m["payload"].get("sender_type") == "agent")[-1]
        check(m["payload"]["sender_id"] == agent["user"]["id"] and m["payload"]["session_id"] == sid,
              "agent typing: %r" % m)
        # A session of no one (or another tenant's) is refused with an error frame.
        time.sleep(1.1)
        a.send({"type": "chat.typing", "payload": {"session_id": "chs_nobody"}})
        e = a.until(lambda m: m.get("type") == "error")[-1]
        check("session" in json.dumps(e), "error: %r" % e)

#!/usr/bin/env python3
"""The driver of make soak (scripts/soak.sh starts the stack and calls it). Stdlib only.

  soak.py BASE SB_VAR OUT_DIR

Seeds a tenant, measures the peak of the request mix below for SOAK_PEAK_SECONDS (10) with
SOAK_THREADS (16) clients back to back (or takes SOAK_RATE, requests/s), then for
SOAK_MINUTES (30) paces the same mix at SOAK_SHARE (0.7) of that peak through nginx:

  reads    GET /api/departments, /api/calls/active, /api/cdr/stats, /api/tickets
  writes   departments and tickets created (Idempotency-Key; one in ten sent twice, the
           second must be the replay) and deleted, call transfers (Idempotency-Key),
           chat messages
beside it, on threads of their own: a login every SOAK_LOGIN_EVERY s (2; its token is the
one every client uses from then on), SOAK_SSE (2) SSE clients of /api/calls/events and
SOAK_POLL (2) long-poll clients of /api/events/poll (timeout=5, SOAK_POLL_PAUSE (1) s
between polls) connecting and leaving, SOAK_WS (2) WebSocket clients of /ws staying 10-30 s
each (SSE clients 5-20 s).

Every minute: each stack process's RSS (/proc/PID/status VmRSS) and open fds
(/proc/PID/fd), and per route the requests, errors (a status the route does not answer
when it works), answers that are not the route's JSON, p50/p99/max. Writes
OUT_DIR/samples.tsv (processes) and OUT_DIR/routes.tsv (routes per minute), prints a
summary. Exit status 1 when there was any error or any answer that was not JSON."""
import base64
import collections
import hashlib
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
import uuid

from soak_report import (pool_log_size, process_table, processes, measure, recycles,
                         route_table, write_routes)

BASE, VAR, OUT = sys.argv[1:4]
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
RATE = os.environ.get("SOAK_RATE", "")
SHARE = float(os.environ.get("SOAK_SHARE", "0.7"))
THREADS = int(os.environ.get("SOAK_THREADS", "16"))
PEAK_SECONDS = float(os.environ.get("SOAK_PEAK_SECONDS", "10"))
LOGIN_EVERY = float(os.environ.get("SOAK_LOGIN_EVERY", "2"))
N_SSE, N_POLL, N_WS = (int(os.environ.get(k, "2")) for k in ("SOAK_SSE", "SOAK_POLL", "SOAK_WS"))
POLL_PAUSE = float(os.environ.get("SOAK_POLL_PAUSE", "1"))
rng = random.Random()


# -- requests ---------------------------------------------------------------------------

class Stats:
    """Per (minute, route): count, errors, non-JSON answers, latencies (ms)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.minute = 0
        self.cells = collections.defaultdict(lambda: [0, 0, 0, []])
        self.examples = []
        self.counters = collections.Counter()

    def add(self, route, ms, error=None, nonjson=False):
        with self.lock:
            c = self.cells[(self.minute, route)]
            c[0] += 1
            c[3].append(ms)
            if error:
                c[1] += 1
            if nonjson:
                c[2] += 1
            if (error or nonjson) and len(self.examples) < 20:
                self.examples.append("%s: %s" % (route, error or "not the route's JSON"))

    def count(self, name, n=1):
        with self.lock:
            self.counters[name] += n


STATS = Stats()
STOP = threading.Event()
TOKEN = {"value": None}


class Client:
    """One keep-alive connection to nginx; reconnects after an error."""

    def __init__(self):
        self.conn = None

    def call(self, method, path, body=None, headers=None, token=True, timeout=30):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + TOKEN["value"]
        h.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # nginx closed an idle keep-alive connection: once more on a new one.
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def timed(client, route, method, path, body=None, want=(200,), key=None, headers=None,
          token=True):
    """One request, recorded under route; the answer's JSON object or None."""
    t0 = time.monotonic()
    try:
        status, hdr, raw = client.call(method, path, body, headers, token)
    except (OSError, http.client.HTTPException) as e:
        client.close()
        STATS.add(route, (time.monotonic() - t0) * 1000, error="%s %s" % (type(e).__name__, e))
        return None, None
    ms = (time.monotonic() - t0) * 1000
    try:
        j = json.loads(raw)
        ok_json = (hdr.get("content-type", "").startswith("application/json") and
                   isinstance(j, dict) and (status >= 400 or j.get("success") is True) and
                   (key is None or status >= 400 or key in j))
    except ValueError:
        j, ok_json = None, False
    err = None if status in want else "%d %s" % (status, raw[:160].decode("utf-8", "replace"))
    STATS.add(route, ms, error=err, nonjson=not ok_json)
    return (j if err is None and ok_json else None), hdr


# -- the paced mix ------------------------------------------------------------------------

class World:
    """What the mix works on (seeded once)."""
    email = password = None
    transfer_dept = None
    calls = []
    chat_session = None
    user_id = None


def keyed_create(c, route, path, body, key_field):
    """A create with an Idempotency-Key; one in ten sent again must be the replay."""
    key = "soak-" + uuid.uuid4().hex
    j, _ = timed(c, route, "POST", path, body, want=(201,), key=key_field,
                 headers={"Idempotency-Key": key})
    if j is not None and rng.random() < 0.1:
        again, hdr = timed(c, route + " (replay)", "POST", path, body, want=(201,),
                           key=key_field, headers={"Idempotency-Key": key})
        if again is not None and (hdr.get("idempotent-replayed") != "true" or
                                  again.get(key_field, {}).get("id") != j[key_field].get("id")):
            STATS.add(route + " (replay)", 0, error="not the first answer replayed")
    return j


def op_departments(c):
    timed(c, "GET /api/departments", "GET", "/api/departments", key="departments")


def op_calls_active(c):
    timed(c, "GET /api/calls/active", "GET", "/api/calls/active")


def op_cdr_stats(c):
    timed(c, "GET /api/cdr/stats", "GET", "/api/cdr/stats?last=60m", key="data")


def op_tickets(c):
    timed(c, "GET /api/tickets", "GET", "/api/tickets", key="data")


def op_department_write(c):
    j = keyed_create(c, "POST /api/departments", "/api/departments",
                     {"name": "Soak " + uuid.uuid4().hex[:12],
                      "phone_number": "+1555%07d" % rng.randrange(10 ** 7)}, "department")
    if j is not None:
        timed(c, "DELETE /api/departments/:id", "DELETE",
              "/api/departments/" + j["department"]["id"])


def op_ticket_write(c):
    j = keyed_create(c, "POST /api/tickets", "/api/tickets",
                     {"subject": "Soak " + uuid.uuid4().hex[:8], "priority": "medium",
                      "description": "A ticket of the soak run"}, "data")
    if j is not None:
        timed(c, "DELETE /api/tickets/:id", "DELETE", "/api/tickets/" + j["data"]["id"])


def op_transfer(c):
    timed(c, "POST /api/calls/transfer", "POST", "/api/calls/transfer",
          {"call_id": rng.choice(World.calls), "target_department": World.transfer_dept},
          headers={"Idempotency-Key": "soak-" + uuid.uuid4().hex})


def op_chat(c):
    timed(c, "POST /api/chat/messages", "POST", "/api/chat/messages",
          {"session_id": World.chat_session, "body": "Soak message " + uuid.uuid4().hex[:6]},
          want=(201,), key="data")


MIX = [(op_departments, 20), (op_calls_active, 15), (op_cdr_stats, 10), (op_tickets, 15),
       (op_department_write, 6), (op_ticket_write, 6), (op_transfer, 8), (op_chat, 10)]
OPS = [op for op, w in MIX for _ in range(w)]
# The routes the paced mix asks for (the rest are the login, stream and poll threads').
MIX_ROUTES = {"GET /api/departments", "GET /api/calls/active", "GET /api/cdr/stats",
              "GET /api/tickets", "POST /api/departments", "POST /api/departments (replay)",
              "DELETE /api/departments/:id", "POST /api/tickets", "POST /api/tickets (replay)",
              "DELETE /api/tickets/:id", "POST /api/calls/transfer", "POST /api/chat/messages"}


def worker(pace, until, done):
    """Runs the mix: back to back (pace None) or at the slots pace hands out."""
    c = Client()
    while not STOP.is_set():
        if pace is not None:
            slot = pace()
            if slot >= until:
                break
            delay = slot - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        elif time.monotonic() >= until:
            break
        rng.choice(OPS)(c)
        done[0] += 1
    c.close()


def run_mix(threads, seconds, rate=None):
    t0 = time.monotonic()
    until = t0 + seconds
    lock = threading.Lock()
    k = [0]

    def pace():
        with lock:
            k[0] += 1
            return t0 + (k[0] - 1) / rate

    counts = [[0] for _ in range(threads)]
    ts = [threading.Thread(target=worker, args=(pace if rate else None, until, counts[i]),
                           daemon=True) for i in range(threads)]
    for t in ts:
        t.start()
    return ts, counts, t0


# -- logins, streams, long-polls, WebSockets ----------------------------------------------

def login_loop():
    c = Client()
    while not STOP.wait(LOGIN_EVERY):
        j, _ = timed(c, "POST /api/auth/login", "POST", "/api/auth/login",
                     {"email": World.email, "password": World.password}, token=False,
                     key="token")
        if j is not None:
            TOKEN["value"] = j["token"]
    c.close()


def raw_get(path, extra=""):
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n%s\r\n" %
               (path, HOST, PORT, TOKEN["value"], extra)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("closed before the answer's head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return s, int(head.split(b" ", 2)[1]), head.decode("latin-1").lower(), rest


def hold(s, seconds, route, ended, on_data):
    """Reads what a stream sends for this many seconds (or until STOP); on_data(bytes)
    returns False to leave. The server ending it first counts as an error of route."""
    stay = time.monotonic() + seconds
    s.settimeout(1)
    while time.monotonic() < stay and not STOP.is_set():
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data:
            STATS.add(route, 0, error=ended)
            return
        if not on_data(data):
            return


def sse_loop():
    while not STOP.is_set():
        t0 = time.monotonic()
        try:
            s, status, head, rest = raw_get("/api/calls/events", "Accept: text/event-stream\r\n")
        except OSError as e:
            STATS.add("SSE /api/calls/events", 0, error="connect: %s" % e)
            STOP.wait(1)
            continue
        ok = status == 200 and "text/event-stream" in head
        STATS.add("SSE /api/calls/events", (time.monotonic() - t0) * 1000,
                  error=None if ok else "%d %r" % (status, rest[:120]))
        STATS.count("sse connects")
        def on_data(data):
            STATS.count("sse events", data.count(b"\ndata:") + data.startswith(b"data:"))
            return True

        if ok:
            hold(s, rng.uniform(5, 20), "SSE /api/calls/events", "the stream ended early",
                 on_data)
        s.close()


def poll_loop():
    c = Client()
    cursor = "0"
    while not STOP.is_set():
        j, _ = timed(c, "GET /api/events/poll (timeout=5)", "GET",
                     "/api/events/poll?after=%s&timeout=5" % cursor, key="events")
        if j is not None:
            cursor = j.get("cursor") or cursor
            STATS.count("polled events", len(j["events"]))
        else:
            cursor = "0"
        # A browser's poller re-polls at once; with events every few ms that would be a
        # client as busy as the paced mix, so each waits a moment.
        STOP.wait(POLL_PAUSE)
        if rng.random() < 0.2:  # a client leaving, another coming
            c.close()
    c.close()


def ws_send(s, opcode, payload=b""):
    mask = os.urandom(4)
    s.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def ws_frames(buf):
    """Complete server frames at the start of buf: [(opcode, payload)], rest."""
    out = []
    while len(buf) >= 2:
        n, at = buf[1] & 0x7f, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0f, buf[at:at + n]))
        buf = buf[at + n:]
    return out, buf


def ws_loop():
    while not STOP.is_set():
        key = base64.b64encode(os.urandom(16)).decode()
        t0 = time.monotonic()
        try:
            s, status, head, buf = raw_get(
                "/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % key)
        except OSError as e:
            STATS.add("WS /ws", 0, error="connect: %s" % e)
            STOP.wait(1)
            continue
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode().lower()
        ok = status == 101 and accept in head
        STATS.add("WS /ws", (time.monotonic() - t0) * 1000,
                  error=None if ok else "%d %r" % (status, buf[:120]))
        STATS.count("ws connects")
        pending = [buf]

        def on_frames(data):
            frames, pending[0] = ws_frames(pending[0] + data)
            for op, payload in frames:
                if op == 9:
                    ws_send(s, 10, payload)
                elif op == 8:
                    STATS.add("WS /ws", 0, error="close frame %r" % payload[:60])
                    return False
                elif op in (1, 2):
                    STATS.count("ws messages")
            return True

        if ok:
            hold(s, rng.uniform(10, 30), "WS /ws", "the server closed the socket", on_frames)
        try:
            ws_send(s, 8, (1000).to_bytes(2, "big"))
        except OSError:
            pass
        s.close()


# -- seeding --------------------------------------------------------------------------------

def seed():
    c = Client()
    World.email = "soak-%s@example.test" % uuid.uuid4().hex[:8]
    World.password = "soak-" + uuid.uuid4().hex
    status, _, raw = c.call("POST", "/api/auth/register",
                            {"tenant_name": "Soak " + uuid.uuid4().hex[:8], "email": World.email,
                             "password": World.password}, token=False)
    assert status == 201, raw
    reg = json.loads(raw)
    TOKEN["value"] = reg["token"]
    World.user_id = reg["user"]["id"]

    def post(path, body, want=201):
        st, _, r = c.call("POST", path, body)
        assert st == want, "%s: %d %s" % (path, st, r[:300])
        return json.loads(r)

    for i in range(10):
        post("/api/departments", {"name": "Department %02d" % i,
                                  "phone_number": "+1555000%04d" % i})
    World.transfer_dept = post("/api/departments", {"name": "Transfers",
                                                    "phone_number": "+15559990000"})[
        "department"]["id"]
    for i in range(5):
        post("/api/agents", {"name": "Agent %d" % i, "phone_number": "+1555999%04d" % i,
                             "department_id": World.transfer_dept, "status": "available",
                             "priority": 1 + i % 3, "max_concurrent_calls": 100})
    World.calls = [post("/api/calls", {"caller_number": "+1444000%04d" % i,
                                       "called_number": "+15559990000", "status": "active",
                                       "current_flow": "soak"})["call"]["id"] for i in range(50)]
    post("/api/v1/chat/widgets", {"name": "Soak widget", "allowed_origins": ["*"]})
    post("/api/v1/chat/agents", {"user_id": World.user_id, "status": "online",
                                 "max_concurrent_chats": 50})
    World.chat_session = post("/api/v1/chat/sessions", {"visitor_name": "Soak visitor"})[
        "data"]["id"]
    c.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    seed()
    if RATE:
        peak, rate = None, float(RATE)
    else:
        ts, counts, t0 = run_mix(THREADS, PEAK_SECONDS)
        for t in ts:
            t.join()
        secs = time.monotonic() - t0
        # An operation of the mix is one to three requests (a create, its replay, a delete):
        # paced by operations, reported in requests.
        ops, reqs = sum(c[0] for c in counts), sum(v[0] for v in STATS.cells.values())
        peak = reqs / secs
        rate = SHARE * ops / secs
    STATS.cells.clear()
    STATS.examples.clear()
    print("soak: %s; pacing %.0f operations/s (%.0f%%) for %g minutes" % (
        "peak %.0f requests/s with %d clients" % (peak, THREADS) if peak else "SOAK_RATE",
        rate, SHARE * 100, MINUTES), flush=True)

    log_from = pool_log_size(VAR)
    samples, pool_pids = [], set()

    def sample(minute):
        for role, pid in processes(VAR):
            m = measure(pid)
            if m is not None:
                samples.append((minute, role, pid, m[0], m[1]))
                if role == "pool worker":
                    pool_pids.add(pid)

    sample(0)  # before the load; minute N (samples and routes) is the load's Nth minute
    first_pool = set(pool_pids)
    with STATS.lock:
        STATS.minute = 1
    side = ([threading.Thread(target=login_loop, daemon=True)] +
            [threading.Thread(target=sse_loop, daemon=True) for _ in range(N_SSE)] +
            [threading.Thread(target=poll_loop, daemon=True) for _ in range(N_POLL)] +
            [threading.Thread(target=ws_loop, daemon=True) for _ in range(N_WS)])
    for t in side:
        t.start()
    ts, counts, t0 = run_mix(THREADS, MINUTES * 60, rate)
    minute = 0
    while minute < MINUTES:
        time.sleep(max(0.0, t0 + 60 * (minute + 1) - time.monotonic()))
        minute += 1
        if minute < MINUTES:  # what ends after the last minute counts in it
            with STATS.lock:
                STATS.minute = minute + 1
        sample(minute)
        n = sum(v[0] for (m, _), v in STATS.cells.items() if m == minute)
        e = sum(v[1] + v[2] for (m, _), v in STATS.cells.items() if m == minute)
        print("soak: minute %d: %d requests, %d errors or not JSON" % (minute, n, e), flush=True)
    for t in ts:
        t.join()
    STOP.set()
    for t in side:
        t.join(timeout=30)
    elapsed = time.monotonic() - t0
    mem_recycled, died = recycles(VAR, log_from)
    cells = dict(STATS.cells)

    with open(os.path.join(OUT, "samples.tsv"), "w") as f:
        f.write("minute\tprocess\tpid\trss_kb\tfds\n")
        for s in samples:
            f.write("%d\t%s\t%d\t%d\t%d\n" % s)
    write_routes(os.path.join(OUT, "routes.tsv"), cells)

    total = sum(v[0] for v in cells.values())
    errors = sum(v[1] for v in cells.values())
    nonjson = sum(v[2] for v in cells.values())
    print()
    mix = sum(v[0] for (_, r), v in cells.items() if r in MIX_ROUTES)
    print("soak: %.1f minutes, %d requests (%.0f/s, the paced mix %.0f/s%s), %d errors, %d "
          "answers not the route's JSON" % (
              elapsed / 60, total, total / elapsed, mix / elapsed,
              ", %.0f%% of its measured peak %.0f/s" % (100 * mix / elapsed / peak, peak)
              if peak else "", errors, nonjson))
    k = STATS.counters
    print("soak: SSE %d connects, %d events; long-polls %d events; WebSocket %d connects, "
          "%d messages" % (k["sse connects"], k["sse events"], k["polled events"],
                           k["ws connects"], k["ws messages"]))
    print("soak: pool workers: %d recycled (memory growth), %d died, %d pids over the run "
          "(%d at the start)" % (mem_recycled, died, len(pool_pids), len(first_pool)))
    print()
    route_table(cells)
    print()
    process_table(samples)
    print()
    print("samples: %s, %s" % (os.path.join(OUT, "samples.tsv"), os.path.join(OUT, "routes.tsv")))
    for ex in STATS.examples:
        print("error: " + ex)
    return 1 if errors or nonjson else 0


if __name__ == "__main__":
    sys.exit(main())

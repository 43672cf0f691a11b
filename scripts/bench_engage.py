#!/usr/bin/env python3
"""The engagement part of make bench (scripts/bench.sh calls it on its stack).

  bench_engage.py BASE TOKEN prepare OUT    a chat agent (the token's user), a widget and
                                            an active chat session; shell assignments for
                                            bench.sh's wrk run of POST /api/chat/messages
  bench_engage.py BASE TOKEN webhooks N     webhook deliveries per second: a receiver on
                                            loopback, one webhook subscribed to chat.message,
                                            N messages posted by 8 threads; prints deliveries
                                            per second (first to last arrival) and the time
                                            from a message's 201 to its delivery (p50/p99)

Deliveries are one at a time per webhook, in commit order (switchboard-hooks), so the first
figure is one webhook's ceiling; the run also gives it with 4 webhooks."""
import base64
import concurrent.futures
import http.server
import json
import sys
import threading
import time
import urllib.request
import uuid

BASE, TOKEN, MODE = sys.argv[1:4]


def api(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + TOKEN)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["data"]


def user_id():
    payload = TOKEN.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def chat_session():
    api("POST", "/api/v1/chat/widgets", {"name": "Bench " + uuid.uuid4().hex[:6],
                                         "allowed_origins": ["*"]})
    try:
        api("POST", "/api/v1/chat/agents", {"user_id": user_id(), "status": "online",
                                            "max_concurrent_chats": 50})
    except urllib.error.HTTPError as e:
        if e.code != 409:  # a chat agent already (a second run)
            raise
    return api("POST", "/api/v1/chat/sessions", {"visitor_name": "Bench visitor"})["id"]


def prepare(out):
    sid = chat_session()
    with open(out, "w") as f:
        f.write("CHAT_SESSION=%s\n" % sid)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


class Receiver(http.server.BaseHTTPRequestHandler):
    arrivals = {}
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic()
        try:
            mid = json.loads(body)["data"]["message_id"]
        except (ValueError, KeyError, TypeError):
            mid = None
        with Receiver.lock:
            Receiver.arrivals.setdefault((self.path, mid), now)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def deliveries(n, hooks, sid, port):
    Receiver.arrivals.clear()
    ids = [api("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:%d/h%d" % (port, i),
                                            "events": ["chat.message"]})["id"]
           for i in range(hooks)]
    sent = {}

    def post(i):
        m = api("POST", "/api/v1/chat/messages", {"session_id": sid, "body": "bench %d" % i})
        sent[m.get("message_id", m.get("id"))] = time.monotonic()

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(post, range(n)))
    want = n * hooks
    while len(Receiver.arrivals) < want and time.monotonic() - t0 < 300:
        time.sleep(0.05)
    got = dict(Receiver.arrivals)
    for wid in ids:
        api("DELETE", "/api/v1/webhooks/" + wid)
    times = sorted(got.values())
    lat = [(t - sent[mid]) * 1000 for (path, mid), t in got.items() if mid in sent]
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    print("webhooks %d x %d messages: %d of %d delivered, %.0f deliveries/s, "
          "201 -> delivered p50 %.0f ms p99 %.0f ms" % (hooks, n, len(got), want, rate,
                                                        pct(lat, 50), pct(lat, 99)))


def webhooks(n):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    srv.request_queue_size = 128
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sid = chat_session()
    for hooks in (1, 4):
        deliveries(n, hooks, sid, srv.server_address[1])
    srv.shutdown()


if MODE == "prepare":
    prepare(sys.argv[4])
elif MODE == "webhooks":
    webhooks(int(sys.argv[4]))
else:
    sys.exit("bench_engage: unknown mode %s" % MODE)

#!/usr/bin/env python3
"""The IVR part of make bench (scripts/bench.sh calls it on its stack).

  bench_ivr.py BASE SB_VAR TOKEN N [THREADS]   N inbound calls through Twilio's voice
                                               webhook, signed, from THREADS threads
                                               (default 8): the call (welcome, menu), the
                                               caller's 2 (an account gather), then 6 digits
                                               (a branch, the route into the queue); prints
                                               calls and IVR steps (ivr_steps rows) per
                                               second and each request's p50 and p99

Each call is three webhook requests, each one transaction: the session's row locked, its
steps written, the TwiML answered; the first also records the call, the last puts the
caller in the contact-center queue (queue_calls). Keep-alive connections, one per thread."""
import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse
import uuid

BASE, VAR, TOKEN, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 8
U = urllib.parse.urlparse(BASE)
AUTH = uuid.uuid4().hex
STEPS_PER_CALL = 7  # played welcome, played menu, input, played gather, input, branched, routed


def api(method, path, body=None):
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=60)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json",
                          "Authorization": "Bearer " + TOKEN})
    r = conn.getresponse()
    data = json.loads(r.read() or b"null")
    conn.close()
    if r.status >= 300:
        raise RuntimeError("%s %s: %d %r" % (method, path, r.status, data))
    return data


def public_base():
    with open(os.path.join(VAR, "switchboard.conf")) as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "public_base_url":
                return v.strip().rstrip("/")
    return BASE.rstrip("/")


def prepare():
    api("PUT", "/api/integrations/twilio", {"account_sid": "AC" + uuid.uuid4().hex,
                                            "auth_token": AUTH})
    q = api("POST", "/api/queues", {"name": "IVR bench " + uuid.uuid4().hex[:6],
                                    "strategy": "linear", "max_callers": 0})["data"]
    g = {"start": "welcome", "nodes": [
        {"id": "welcome", "type": "say", "text": "Welcome to the benchmark", "next": "main"},
        {"id": "main", "type": "menu", "prompt": {"text": "Press 2"}, "options": {"2": "acct"},
         "invalid": "bye", "no_input": "bye"},
        {"id": "acct", "type": "gather", "prompt": {"text": "Your account"}, "num_digits": 6,
         "variable": "account", "next": "vip"},
        {"id": "vip", "type": "branch", "variable": "account",
         "cases": [{"op": "prefix", "value": "0", "next": "bye"}], "default": "sales"},
        {"id": "sales", "type": "route", "target_type": "queue", "target": q["id"]},
        {"id": "bye", "type": "hangup"}]}
    f = api("POST", "/api/ivr/flows", {"name": "Bench " + uuid.uuid4().hex[:6], "graph": g})
    api("POST", "/api/ivr/flows/%s/activate" % f["data"]["id"], {})
    number = "+1555%08d" % random.SystemRandom().randrange(10 ** 8)
    did = api("POST", "/api/dids", {"number": number})["did"]
    api("PUT", "/api/dids/%s/routing" % did["id"], {"route_type": "ivr",
                                                     "route_target": f["data"]["id"]})
    return number


def sign(url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(AUTH.encode(), data.encode(), hashlib.sha1).digest()).decode()


def worker(args):
    count, tid, number, pub = args
    conn = http.client.HTTPConnection(U.hostname, U.port, timeout=60)
    times = {"call": [], "menu": [], "gather": []}

    def post(step, path, params):
        h = {"Content-Type": "application/x-www-form-urlencoded",
             "X-Twilio-Signature": sign(pub + path, params)}
        t = time.perf_counter()
        conn.request("POST", path, body=urllib.parse.urlencode(params), headers=h)
        r = conn.getresponse()
        body = r.read()
        times[step].append(time.perf_counter() - t)
        if r.status != 200 or not body.startswith(b"<?xml"):
            raise RuntimeError("%s: %d %r" % (path, r.status, body[:200]))
        return body.decode()

    for i in range(count):
        p = {"CallSid": "CA" + uuid.uuid4().hex, "From": "+1444%03d%04d" % (tid, i % 10000),
             "To": number, "CallStatus": "ringing", "Direction": "inbound"}
        x = post("call", "/webhooks/twilio/voice", p)
        action = re.search(r'action="([^"]+)"', x).group(1)
        post("menu", action, dict(p, Digits="2"))
        x = post("gather", action, dict(p, Digits="%06d" % (100000 + i)))
        if "<Enqueue>" not in x:
            raise RuntimeError("not enqueued: %s" % x)
    conn.close()
    return times


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] * 1000 if xs else float("nan")


def main():
    number, pub = prepare(), public_base()
    per = [N // THREADS + (1 if i < N % THREADS else 0) for i in range(THREADS)]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        results = list(ex.map(worker, [(c, t, number, pub) for t, c in enumerate(per)]))
    wall = time.perf_counter() - t0
    print("IVR through the Twilio voice webhook: %d calls (call, menu, gather -> queue), "
          "%d threads, %.1f s" % (N, THREADS, wall))
    print("  %-34s %8.0f calls/s, %.0f webhook requests/s, %.0f IVR steps/s" % (
        "whole calls", N / wall, 3 * N / wall, STEPS_PER_CALL * N / wall))
    for step, name in (("call", "POST /webhooks/twilio/voice"),
                       ("menu", "POST …/voice/:session (menu)"),
                       ("gather", "POST …/voice/:session (queue)")):
        xs = [x for r in results for x in r[step]]
        busy = sum(xs) / THREADS
        print("  %-34s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms" % (
            name, len(xs) / busy if busy else 0, pct(xs, 50), pct(xs, 99)))


if __name__ == "__main__":
    main()

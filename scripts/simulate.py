#!/usr/bin/env python3
"""switchboard-sim: drives a contact center through the public API, so that a newcomer
sees queues move (make demo) and the bench has traffic with a known shape.

Callers arrive at random (Poisson) into the demo queues; agents log in, accept offers
after a short ring, talk, hang up, wrap up (the clock ends it), and now and then take a
break. Everything goes through the same routes a real client uses; nothing is written to
the database directly.

  scripts/simulate.py --base http://127.0.0.1:8080 --var var [--agents 8] [--queues 2]
                      [--rate 20] [--talk 20] [--duration 0] [--quiet]

--rate: calls per minute; --talk: mean talk seconds; --duration 0: until interrupted.
Logs in as the demo admin (var/demo-login); its agents are kept in var/sim-agents.json
so a second run reuses them."""
import argparse
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid


class Api:
    def __init__(self, base, token=None):
        self.base, self.token = base.rstrip("/"), token

    def call(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        tok = token or self.token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None
        except (urllib.error.URLError, OSError):
            return 0, None


def demo_login(var):
    d = {}
    with open(os.path.join(var, "demo-login")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


def login(api, email, password, tenant=None):
    body = {"email": email, "password": password}
    if tenant:
        body["tenant"] = tenant
    st, j = api.call("POST", "/api/auth/login", body)
    if st != 200:
        sys.exit("login %s failed: %s %r" % (email, st, j))
    return j["token"], j["user"]


def ensure_queues(api, n):
    st, j = api.call("GET", "/api/queues?limit=100")
    have = [q for q in (j or {}).get("data") or [] if q["name"].startswith("Demo ")]
    strategies = ["leastrecent", "ringall", "roundrobin", "fewestcalls"]
    while len(have) < n:
        k = len(have)
        st, j = api.call("POST", "/api/queues", {
            "name": "Demo %s %d" % (["Sales", "Support", "Billing", "Returns"][k % 4], k + 1),
            "strategy": strategies[k % 4], "timeout": 15, "retry": 2, "wrapup_time": 5,
            "max_wait_time": 120, "service_level": 20})
        if st != 201:
            sys.exit("create queue: %s %r" % (st, j))
        have.append(j["data"])
    return have[:n]


def ensure_agents(api, var, n, queues):
    path = os.path.join(var, "sim-agents.json")
    agents = []
    if os.path.exists(path):
        with open(path) as f:
            agents = json.load(f)
    while len(agents) < n:
        email = "sim-agent-%s@example.test" % uuid.uuid4().hex[:8]
        pw = "sim-" + uuid.uuid4().hex
        st, j = api.call("POST", "/api/users", {"email": email, "password": pw, "role": "agent",
                                                "first_name": "Agent", "last_name": str(len(agents) + 1)})
        if st != 201:
            sys.exit("create agent: %s %r" % (st, j))
        agents.append({"email": email, "password": pw, "id": j["user"]["id"]})
        with open(path, "w") as f:
            json.dump(agents, f)
    for a in agents[:n]:
        for q in queues:
            api.call("POST", "/api/queues/%s/members" % q["id"],
                     {"user_id": a["id"], "penalty": random.choice([0, 0, 1])})
    return agents[:n]


class Sim:
    def __init__(self, args):
        self.args, self.stop = args, threading.Event()
        self.lock = threading.Lock()
        self.counts = {"entered": 0, "answered": 0, "abandoned": 0, "ended": 0}

    def count(self, k):
        with self.lock:
            self.counts[k] += 1

    def agent_loop(self, api, token):
        api.call("POST", "/api/agent-state/me/available", {}, token)
        while not self.stop.is_set():
            if random.random() < 0.01:
                api.call("POST", "/api/agent-state/me/break", {"reason": "coffee"}, token)
                self.stop.wait(random.uniform(5, 15))
                api.call("POST", "/api/agent-state/me/break/end", {}, token)
            st, j = api.call("GET", "/api/offers", None, token)
            offers = (j or {}).get("data") or []
            if not offers:
                self.stop.wait(0.5)
                continue
            self.stop.wait(random.uniform(0.5, 3))  # the phone rings
            st, j = api.call("POST", "/api/offers/%s/accept" % offers[0]["id"], {}, token)
            if st != 200:
                continue
            self.count("answered")
            qc = j["data"]["id"]
            self.stop.wait(random.expovariate(1.0 / self.args.talk))
            if random.random() < 0.2:
                api.call("POST", "/api/queue-calls/%s/hold" % qc, {}, token)
                self.stop.wait(random.uniform(2, 6))
                api.call("POST", "/api/queue-calls/%s/unhold" % qc, {}, token)
            api.call("POST", "/api/queue-calls/%s/hangup" % qc, {"side": "agent"}, token)
            self.count("ended")

    def caller(self, api, queue):
        n = random.randrange(10 ** 7)
        st, j = api.call("POST", "/api/queues/%s/calls" % queue["id"],
                         {"caller_number": "+1555%07d" % n, "caller_name": "Caller %d" % n})
        if st != 201:
            return
        self.count("entered")
        patience = random.expovariate(1.0 / 60)
        deadline = time.time() + patience
        qc = j["data"]["id"]
        while not self.stop.is_set() and time.time() < deadline:
            self.stop.wait(1)
            st, j = api.call("GET", "/api/queue-calls/%s" % qc)
            if st != 200 or j["data"]["status"] not in ("waiting", "offered"):
                return
        st, _ = api.call("POST", "/api/queue-calls/%s/hangup" % qc, {"side": "caller"})
        if st == 200:
            self.count("abandoned")

    def arrivals(self, api, queues):
        while not self.stop.is_set():
            self.stop.wait(random.expovariate(self.args.rate / 60.0))
            threading.Thread(target=self.caller, args=(api, random.choice(queues)),
                             daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--var", required=True)
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--queues", type=int, default=2)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--talk", type=float, default=20)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    demo = demo_login(args.var)
    api = Api(args.base)
    api.token, user = login(api, demo["email"], demo["password"], demo.get("tenant"))
    queues = ensure_queues(api, args.queues)
    agents = ensure_agents(api, args.var, args.agents, queues)
    sim = Sim(args)
    for a in agents:
        tok, _ = login(api, a["email"], a["password"], user.get("tenant_id"))
        threading.Thread(target=sim.agent_loop, args=(Api(args.base), tok), daemon=True).start()
    threading.Thread(target=sim.arrivals, args=(api, queues), daemon=True).start()
    print("simulating %d agents on %s at %.0f calls/min; Ctrl-C stops" %
          (len(agents), ", ".join(q["name"] for q in queues), args.rate), flush=True)
    t0 = time.time()
    try:
        while args.duration <= 0 or time.time() - t0 < args.duration:
            time.sleep(5)
            if not args.quiet:
                st, j = api.call("GET", "/api/queues/live")
                live = ", ".join("%s: %d waiting, %d free" % (s["queue_name"], s["calls_waiting"],
                                                             s["available_agents"])
                                 for s in (j or {}).get("data") or [])
                print("%s  %s" % (json.dumps(sim.counts), live), flush=True)
    except KeyboardInterrupt:
        pass
    sim.stop.set()
    print(json.dumps(sim.counts))


if __name__ == "__main__":
    main()

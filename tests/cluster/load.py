"""A bounded load through the front for the fault suite: writers making keyed creates
(retried with the same key on 502-504 and dropped connections, as a careful client does)
and stream clients that resume with Last-Event-ID whenever their stream ends."""
import http.client
import threading
import time
import uuid
from collections import Counter

import clusterlib as cl


def shape(r):
    """How an error answer looks: its status and the dialect's code (or 'not JSON')."""
    j = r.json
    if not isinstance(j, dict):
        return "%d not-JSON" % r.status
    code = j.get("code")
    if code is None and isinstance(j.get("error"), dict):
        code = j["error"].get("code")
    return "%d %s" % (r.status, code if j.get("success") is False and code else "unexpected %s" % r.body[:60])


class Writer(threading.Thread):
    def __init__(self, load, token, tag):
        super().__init__(daemon=True)
        self.load, self.token, self.tag = load, token, tag

    def run(self):
        ld = self.load
        while not ld.stopping.is_set():
            idem = uuid.uuid4().hex
            name = "%s-%s" % (self.tag, idem[:16])
            attempts = 0
            while not ld.stopping.is_set() or attempts == 0:
                attempts += 1
                try:
                    r = ld.front.request("POST", "/api/contacts",
                                         {"first_name": name, "phone": "+15550002222"},
                                         token=self.token, headers={"Idempotency-Key": idem}, timeout=20)
                except (OSError, http.client.HTTPException) as e:
                    ld.note_error("connection: %s" % type(e).__name__)
                    time.sleep(0.1)
                    continue
                if r.status == 201:
                    ld.note_ack(name, r.json["data"]["id"])
                    break
                ld.note_error(shape(r))
                if r.status not in (502, 503, 504, 500, 409):
                    break  # not worth retrying: counted, given up
                time.sleep(0.1)
                if attempts > 300:
                    break


class ResumingStream(threading.Thread):
    def __init__(self, load, token):
        super().__init__(daemon=True)
        self.load, self.token = load, token
        self.received, self.cursor, self.reconnects = [], None, 0
        self.why = Counter()
        self.arrived = {}  # contact id -> when its event first came
        self.opened = threading.Event()

    def run(self):
        while not self.load.stopping.is_set() or time.monotonic() < self.load.drain_until:
            try:
                self.follow()
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.why[type(e).__name__] += 1
            if self.load.stopping.is_set() and time.monotonic() >= self.load.drain_until:
                break
            self.reconnects += 1
            time.sleep(0.2)

    def follow(self):
        c = self.load.front.conn(5)
        h = {"Authorization": "Bearer " + self.token, "Accept": "text/event-stream"}
        if self.cursor:
            h["Last-Event-ID"] = self.cursor
        c.request("GET", "/api/events?types=contact.created", headers=h)
        r = c.getresponse()
        if r.status != 200:
            self.why["%d" % r.status] += 1
            r.read()
            c.close()
            return
        # Heartbeats every 3 s (the suite's app hosts): 10 s of silence is a dead stream.
        c.sock.settimeout(10.0)

        def draining():
            return self.load.stopping.is_set() and time.monotonic() >= self.load.drain_until

        try:
            for cur, ev in cl.sse_events(r, lambda: not draining()):
                if ev.get("type") == "connected":
                    self.opened.set()
                elif ev.get("type") == "contact.created":
                    self.received.append(ev.get("contact_id"))
                    self.arrived.setdefault(ev.get("contact_id"), time.monotonic())
                    self.cursor = cur
                elif ev.get("type") == "reset":
                    self.load.note_error("stream reset")
            if not draining():
                self.why["closed"] += 1
        finally:
            c.close()


class Load:
    def __init__(self, cluster, tokens, streams=2, tag="L"):
        self.front = cluster.front
        self.stopping = threading.Event()
        self.drain_until = 0
        self.lock = threading.Lock()
        self.acks = []      # (monotonic time, name, id)
        self.errors = Counter()
        self.error_times = []
        self.writers = [Writer(self, t, tag) for t in tokens]
        self.streams = [ResumingStream(self, tokens[i % len(tokens)]) for i in range(streams)]

    def note_ack(self, name, cid):
        with self.lock:
            self.acks.append((time.monotonic(), name, cid))

    def note_error(self, what):
        with self.lock:
            self.errors[what] += 1
            self.error_times.append(time.monotonic())

    def start(self):
        for s in self.streams:
            s.start()
        for s in self.streams:
            if not s.opened.wait(15):
                raise AssertionError("a stream did not open through the front")
        for w in self.writers:
            w.start()

    def stop(self, drain=5.0):
        self.drain_until = time.monotonic() + drain
        self.stopping.set()
        for w in self.writers:
            w.join(60)
        for s in self.streams:
            s.join(drain + 10)

    def longest_gap(self, t_from, t_to):
        """The longest time without an acknowledged write in [t_from, t_to], in seconds."""
        ts = [t_from] + sorted(t for t, _, _ in self.acks if t_from <= t <= t_to) + [t_to]
        return max(b - a for a, b in zip(ts, ts[1:]))


def tokens(cluster, n):
    """n sessions of the demo admin: the front hashes on Authorization, so they spread."""
    return [cluster.login() for _ in range(n)]


def keys_of(names):
    return ",".join("'%s'" % n for n in names)


def verify(cluster, load, tag):
    """What the phase lost or doubled, read from db1 once it is synced."""
    cluster.wait_synced(1, 60)
    acked = {cid for _, _, cid in load.acks}
    rows = cluster.sql(1, "SELECT id FROM switchboard.contacts WHERE first_name LIKE '%s-%%'" % tag).split()
    dup = cluster.sql(1, "SELECT COUNT(*) FROM (SELECT first_name FROM switchboard.contacts WHERE first_name"
                         " LIKE '%s-%%' GROUP BY first_name HAVING COUNT(*) > 1) d" % tag).strip()
    out = {"acked": len(acked), "missing": len(acked - set(rows)), "duplicates": int(dup or 0)}
    seqs = {}
    if acked:
        q = ("SELECT JSON_VALUE(payload, '$.contact_id'), seq FROM switchboard.call_events"
             " WHERE type = 'contact.created' AND JSON_VALUE(payload, '$.contact_id') IN (%s)" % keys_of(acked))
        for line in cluster.sql(1, q).splitlines():
            cid, seq = line.split("\t")
            seqs[cid] = int(seq)
    missed = reordered = doubled = 0
    for s in load.streams:
        got = [c for c in s.received if c in acked]
        missed += len(acked - set(got))
        doubled += len(got) - len(set(got))
        order = [seqs.get(c, 0) for c in got]
        reordered += sum(1 for a, b in zip(order, order[1:]) if b <= a)
    why = Counter()
    for s in load.streams:
        why.update(s.why)
    # From the write's answer to its event on a stream (clamped at 0: an event may come
    # before the answer does); across hosts, through the front.
    lat = sorted(max(0.0, s.arrived[cid] - t) * 1000 for t, _, cid in load.acks
                 for s in load.streams if cid in s.arrived)
    if lat:
        out["event_delay_ms"] = {"p50": round(lat[len(lat) // 2], 1),
                                 "p99": round(lat[int(len(lat) * 0.99)], 1), "max": round(lat[-1], 1)}
    out.update(events_missed=missed, events_reordered=reordered, events_twice=doubled,
               stream_reconnects=sum(s.reconnects for s in load.streams), stream_ends=dict(why))
    return out

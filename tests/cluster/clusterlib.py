"""The cluster of scripts/cluster.sh, driven from tests: bring it up and down, talk to the
front (127.0.0.1) or to one app host (its nginx's unix socket), follow an event stream,
query one Galera node. Standard library only."""
import http.client
import json
import os
import socket
import subprocess
import threading
import time
import uuid


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Http:
    """One way in: the front (port) or an app host's socket (path)."""

    def __init__(self, port=None, path=None, name=""):
        self.port, self.path, self.name = port, path, name

    def conn(self, timeout):
        if self.path:
            return UnixConn(self.path, timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, url, body=None, token=None, headers=None, timeout=15, raw=None):
        h = {"Connection": "close"}
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = self.conn(timeout)
        try:
            c.request(method, url, body=data, headers=h)
            r = c.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()


def sse_events(resp, keep_going):
    """The events of an SSE answer as (cursor, parsed JSON), in order, until the stream
    ends or keep_going() is false (checked before each line)."""
    cur, data = None, []
    while keep_going():
        line = resp.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line.startswith("id: "):
            cur = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            yield cur, json.loads("\n".join(data))
            cur, data = None, []


class Stream:
    """An SSE stream in a thread: events as (cursor, json) in arrival order, with the
    monotonic time each came."""

    def __init__(self, http, url, token, last_event_id=None):
        self.events, self.error, self.open = [], None, threading.Event()
        self._stop = False
        self.c = http.conn(60)
        h = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
        if last_event_id:
            h["Last-Event-ID"] = last_event_id
        self.c.request("GET", url, headers=h)
        self.r = self.c.getresponse()
        if self.r.status != 200:
            raise AssertionError("stream %s: %d %s" % (url, self.r.status, self.r.read()[:200]))
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            for cur, ev in sse_events(self.r, lambda: not self._stop):
                if ev.get("type") == "connected":
                    self.open.set()
                else:
                    self.events.append((cur, ev, time.monotonic()))
        except Exception as e:  # noqa: BLE001 - a closed stream ends the thread
            if not self._stop:
                self.error = e

    def close(self):
        self._stop = True
        try:
            self.c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.c.close()

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in list(self.events):
                if pred(e[1]):
                    return e
            time.sleep(0.02)
        return None


class Cluster:
    def __init__(self, repo, var, cid="sbt", net="10.78.0", port=None, bin_dir=None):
        self.repo, self.var, self.cid, self.net = repo, var, cid, net
        self.port = port or free_port()
        self.env = dict(os.environ, CLUSTER_VAR=var, CLUSTER_ID=cid, CLUSTER_NET=net,
                        PORT=str(self.port), LOGIN_RATE="50r/s", LOGIN_BURST="100",
                        SB_EVENT_HEARTBEAT_SECONDS="3",
                        REGISTER_RATE="50r/s", REGISTER_BURST="100")
        if bin_dir:
            self.env["SB_BIN"] = bin_dir
        self.front = Http(port=self.port, name="front")
        self._token = None

    def sh(self, *args, timeout=600, check=True):
        p = subprocess.run([os.path.join(self.repo, "scripts", "cluster.sh")] + list(args),
                           env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("cluster.sh %s: %s%s" % (" ".join(args), p.stdout[-2000:],
                                                           p.stderr[-3000:]))
        return p

    def host(self, n):
        return Http(path=os.path.join(self.var, "app%d" % n, "run", "http.sock"),
                    name="app%d" % n)

    def sql(self, node, query):
        """As root on the node's socket; the query goes through stdin (it may be long)."""
        p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + os.path.join(
            self.var, "db%d" % node, "mysqld.sock"), "-uroot", "--batch", "--skip-column-names",
            "--connect-timeout=2"], input=query, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("sql on db%d: %s" % (node, p.stderr.strip()[:300]))
        return p.stdout

    def status(self, node, name):
        out = self.sql(node, "SHOW STATUS LIKE '%s'" % name).split()
        return out[1] if len(out) > 1 else ""

    def wait_synced(self, node, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.status(node, "wsrep_local_state_comment") == "Synced":
                    return True
            except AssertionError:
                pass
            time.sleep(0.3)
        return False

    def namespaces(self):
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return [l.split()[0] for l in out.splitlines() if l.startswith(self.cid + "-")]

    def login(self):
        """A new session of the demo admin, signed in through the front."""
        with open(os.path.join(self.var, "shared", "demo-login")) as f:
            d = dict(l.split("=", 1) for l in f.read().split("\n") if "=" in l)
        r = self.front.request("POST", "/api/auth/login", {"email": d["email"], "password": d["password"]})
        assert r.status == 200, "login: %r" % r
        return r.json.get("token") or r.json["data"]["token"]

    def token(self):
        """One session kept for the tests that need any."""
        if self._token is None:
            self._token = self.login()
        return self._token


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def skipped_here(what):
    """True, having said so and printed an empty summary, when this machine does not let
    `what` make its namespaces."""
    ok, why = namespaces_allowed()
    if not ok:
        print("%s SKIPPED: this machine does not allow it (%s)" % (what, why))
        print("0 passed, 0 failed")
    return not ok


def namespaces_allowed():
    """(True, "") when this machine lets us make network namespaces, else (False, why)."""
    if os.geteuid() != 0:
        return False, "not root"
    if not os.path.exists("/usr/lib/galera/libgalera_smm.so"):
        return False, "galera-4 is not installed"
    name = "sbprobe%d" % os.getpid()
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if p.returncode != 0:
        return False, "ip netns add: " + p.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return True, ""


def key():
    return uuid.uuid4().hex


def create_contact(http, token, name, idem=None, retries=0, pause=0.2):
    """A keyed create, retried on 502/503/504 and connection errors with the same key, as a
    client that wants it made once would. (status, json, attempts)."""
    idem = idem or key()
    attempt = 0
    while True:
        attempt += 1
        try:
            r = http.request("POST", "/api/contacts", {"first_name": name, "phone": "+15550001111"},
                             token=token, headers={"Idempotency-Key": idem})
            if r.status not in (502, 503, 504) or attempt > retries:
                return r, attempt
        except OSError:
            if attempt > retries:
                raise
        time.sleep(pause)

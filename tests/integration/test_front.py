"""The front nginx (issue 13, nginx/front.conf.in, scripts/front.sh) in front of the test
stack and an app host that does not answer: every read and write goes through (a request
the dead host refused is sent to the live one; a write is never sent twice), a long poll
waits through it and returns the event, and with no host left the front answers JSON in the
route's dialect, never HTML."""
import concurrent.futures
import os
import shutil
import socket
import subprocess
import tempfile

import sb
from sb import check


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Front:
    def __init__(self, ctx, upstreams):
        self.dir = tempfile.mkdtemp(prefix="sb-front-")
        self.port = _free_port()
        self.env = dict(os.environ, FRONT_VAR=self.dir, PORT=str(self.port),
                        UPSTREAMS=" ".join(upstreams))
        self.script = os.path.join(ctx.repo, "scripts", "front.sh")
        self.client = sb.Ctx("http://127.0.0.1:%d" % self.port, ctx.var, ctx.repo)

    def __enter__(self):
        p = subprocess.run([self.script, "start"], env=self.env, capture_output=True, text=True)
        check(p.returncode == 0, "front.sh start: %s %s" % (p.stdout, p.stderr))
        return self

    def __exit__(self, *exc):
        subprocess.run([self.script, "stop"], env=self.env, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def test_front_spreads_retries_and_streams(ctx):
    live = "127.0.0.1:%d" % ctx.port
    dead = "127.0.0.1:%d" % _free_port()
    token, _ = sb.tenant(ctx)
    with _Front(ctx, [dead, live]) as front:
        f = front.client
        codes = [f.get("/api/health").status for _ in range(20)]
        check(codes == [200] * 20, "reads through the front: %r" % codes)
        names = ["Front %d %s" % (i, sb.uid()) for i in range(10)]
        made = [f.post("/api/departments", {"name": n, "phone_number": "+15551230000"}, token=token)
                for n in names]
        check([r.status for r in made] == [201] * 10, "writes: %r" % [r.status for r in made])
        listed = ctx.get("/api/departments?limit=100", token=token).json["departments"]
        mine = [d["name"] for d in listed if d["name"] in names]
        check(sorted(mine) == sorted(names), "each write once: %r" % mine)

        # a long poll waits through the front and returns the event written meanwhile
        now = f.get("/api/events/poll?timeout=0", token=token)
        check(now.status == 200 and now.json.get("cursor"), "a cursor for now: %r" % now)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
            waiting = ex.submit(f.get, "/api/events/poll?after=%s&timeout=10" % now.json["cursor"],
                                token=token, timeout=20)
            c = sb.cc_data(ctx.post("/api/contacts", {"company": "Front " + sb.uid()}, token=token), 201)
            r = waiting.result()
        check(r.status == 200, "long poll through the front: %r" % r)
        events = r.json.get("events", [])
        check([e["type"] for e in events] == ["contact.created"] and c["id"] in str(events[0]),
              "the long poll's events: %r" % events)
    with _Front(ctx, [dead, "127.0.0.1:%d" % _free_port()]) as gone:
        # the dialects of nginx/nginx.conf.in's own answers: v1's error object, the
        # standard string, coldcaller's message beside its object
        for path, want in (("/api/v1/health", dict), ("/api/departments", str), ("/api/health", dict)):
            r = gone.client.get(path)
            check(r.status == 502 and isinstance(r.json, dict) and r.json.get("success") is False
                  and isinstance(r.json.get("error"), want), "no host left, %s: %r" % (path, r))


def test_front_holds_the_sign_in_limit_for_every_host(ctx):
    """The front's own login zone (nginx/front.conf.in): one address's sign-ins are limited
    before any app host sees them, 429 in the route's dialect."""
    live = "127.0.0.1:%d" % ctx.port
    front = _Front(ctx, [live])
    front.env.update(LOGIN_RATE="1r/m", LOGIN_BURST="2")
    with front:
        codes = [front.client.post("/api/auth/login", {"email": "nobody-%s@example.com" % sb.uid(),
                                                        "password": "wrong-password-1"}) for _ in range(5)]
        statuses = [r.status for r in codes]
        check(429 not in statuses[:3] and statuses[3:] == [429, 429], "sign-ins: %r" % statuses)
        sb.expect_cold_error(codes[-1], 429)
        # the same zone on v1's path, in v1's dialect
        r = front.client.post("/api/v1/auth/login", {"email": "x@example.com", "password": "x"})
        check(r.status == 429 and r.json["error"].get("code") == "RATE_LIMITED", "v1 login: %r" % r)

"""Helpers for the integration tests: HTTP through nginx, the demo login, the admin CLI.

Only the Python standard library: the tests run on a fresh Debian 12 machine.
"""
import http.client
import json
import os
import pwd
import random
import re
import subprocess
import time
import urllib.parse
import uuid

_rng = random.SystemRandom()


def random_loopback():
    """A loopback address other than 127.0.0.1 (the whole 127/8 reaches nginx)."""
    return "127.%d.%d.%d" % (_rng.randrange(1, 255), _rng.randrange(0, 256),
                             _rng.randrange(1, 255))


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


class Ctx:
    def __init__(self, base, var, repo):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.base = base
        self.var = var
        self.repo = repo
        self.bin = os.environ.get("SB_BIN", os.path.join(repo, "bin"))
        self._demo = None

    # -- HTTP ---------------------------------------------------------------
    def request(self, method, path, body=None, token=None, headers=None, raw=None, timeout=30,
                source=None):
        """source: the client address to send from (any 127.x.y.z). Registrations come
        from a random one unless given, as from many customers: the stack caps tenants
        per address and day (register_max_per_address_per_day)."""
        h = {"Connection": "close"}
        if source is None and method == "POST" and path.rstrip("/").endswith("/auth/register"):
            source = random_loopback()
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
            h.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, body=body, token=token, **kw)

    def put(self, path, body=None, token=None, **kw):
        return self.request("PUT", path, body=body, token=token, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token=token, **kw)

    # -- identities ---------------------------------------------------------
    def demo_login(self):
        if self._demo is None:
            d = {}
            with open(os.path.join(self.var, "demo-login")) as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        d[k] = v
            self._demo = d
        return self._demo

    def login(self, email, password, tenant=None):
        body = {"email": email, "password": password}
        if tenant:
            body["tenant"] = tenant
        r = self.post("/api/auth/login", body)
        assert r.status == 200, "login failed: %r" % r
        return r.json

    def new_tenant(self, role="admin"):
        """A fresh tenant with one admin, registered through the API. Returns (session, password)."""
        name = "T " + uuid.uuid4().hex[:10]
        email = "admin-%s@example.test" % uuid.uuid4().hex[:8]
        pw = "pw-" + uuid.uuid4().hex
        r = self.post("/api/auth/register", {"tenant_name": name, "email": email, "password": pw})
        assert r.status == 201, "register failed: %r" % r
        return r.json, pw

    def admin(self, *args, stdin=None):
        conf = os.path.join(self.var, "switchboard.conf")
        p = subprocess.run([os.path.join(self.bin, "switchboard-admin"), "-c", conf] + list(args),
                           input=stdin, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def pidfile(self, name):
        with open(os.path.join(self.var, "run", name)) as f:
            return int(f.read().strip())


class RawSocket:
    """A test client on a socket of its own (self.sock): a context manager that closes it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # A subclass reads with next(timeout) (one message, or None on timeout or end), and
    # may say what it is (state) and shorten what it read (brief) for a failure's text.
    def state(self):
        return ""

    def brief(self, m):
        return m

    def until(self, pred, timeout=10, what="message"):
        """What arrives up to and including the first message pred accepts; fails on timeout."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            m = self.next(max(0.05, deadline - time.monotonic()))
            check(m is not None, "no %s within %ss (%s); got %r"
                  % (what, timeout, self.state(), [self.brief(x) for x in got]))
            got.append(m)
            if pred(m):
                return got

    def quiet(self, seconds):
        """What arrives within this many seconds (usually expected: nothing)."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            m = self.next(max(0.05, deadline - time.monotonic()))
            if m is None:
                break
            got.append(m)
        return got


def wait(cond, timeout, step=0.05):
    """Calls cond() until it returns something true or timeout seconds passed; its last value."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def expect_error(r, status, code=None):
    """Asserts the JSON error envelope with this status (and machine code). On the paths
    coldcaller's clients call, the envelope is theirs, and a 422 is their 400."""
    if r.json is not None and isinstance(r.json.get("error"), dict) and status == 422:
        status = 400
    check(r.status == status, "expected %d, got %r" % (status, r))
    check(r.json is not None, "error body is not JSON: %r" % r)
    check(r.json.get("success") is False, "success is not false: %r" % r)
    check(isinstance(r.json.get("request_id"), str), "no request_id: %r" % r)
    if isinstance(r.json.get("error"), dict):
        expect_cold_error(r, status, code)
        return
    check(isinstance(r.json.get("error"), str) and r.json["error"], "no error message: %r" % r)
    if code is not None:
        check(r.json.get("code") == code, "expected code %s, got %r" % (code, r))


def cold_code(status, code):
    """The code coldcaller's dialect answers for one of ours."""
    if code == "validation_failed":
        return "VALIDATION_ERROR"
    return CC_CODES.get(status) or (code or "").upper()


def expect_cold_error(r, status, code=None):
    """Asserts coldcaller's error envelope: {success:false, message, error:{message,
    status, timestamp, details?}, code, timestamp}."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is False, "not an error: %r" % r)
    e = j.get("error")
    check(isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"] and
          e.get("status") == status and isinstance(e.get("timestamp"), str),
          "error is not {message, status, timestamp}: %r" % r)
    check(isinstance(j.get("message"), str) and j["message"], "no message: %r" % r)
    check(isinstance(j.get("timestamp"), str), "no timestamp: %r" % r)
    if code is not None:
        check(j.get("code") == cold_code(status, code), "expected code %s, got %r"
              % (cold_code(status, code), r))


def cold_field(r, field):
    """Asserts a coldcaller validation failure (400) whose first detail names field;
    returns that detail."""
    expect_cold_error(r, 400, "validation_failed")
    details = r.json["error"].get("details")
    check(isinstance(details, list) and details, "no details: %r" % r)
    d = details[0]
    check(d.get("field") == field and d.get("code") == "VALIDATION_ERROR" and
          isinstance(d.get("message"), str) and "value" in d and "location" in d,
          "first detail is not %s: %r" % (field, r))
    check(r.json["error"]["message"] == "Validation failed", "error.message: %r" % r)
    return d


# The callcenter dialect (everything under /api/v1): its error codes by status.
CC_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
            409: "CONFLICT", 422: "VALIDATION_ERROR", 500: "INTERNAL_ERROR"}


def is_v1(path):
    return path.split("?")[0].lstrip("/").startswith("api/v1/") or path.rstrip("/") in (
        "/api/v1", "//api/v1")


def expect_cc_error(r, status, code=None):
    """Asserts the callcenter error envelope: {success:false, error:{code, message,
    details?}, request_id, timestamp}; code is ours (snake_case) or theirs."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is False, "not a callcenter error: %r" % r)
    e = j.get("error")
    check(isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"],
          "error is not {code, message}: %r" % r)
    want = CC_CODES.get(status) or (code or "").upper()
    check(e.get("code") == want, "error.code %r, want %r: %r" % (e.get("code"), want, r))
    check(isinstance(j.get("request_id"), str) and isinstance(j.get("timestamp"), str),
          "no request_id/timestamp: %r" % r)


def cc_data(r, status=200):
    """The data of a callcenter success envelope (checked)."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is True and "data" in j and
          isinstance(j.get("request_id"), str) and isinstance(j.get("timestamp"), str),
          "not a callcenter success: %r" % r)
    return j["data"]


def cc_form(v, keep_null=()):
    """v as the callcenter dialect writes it: a text field without a value is "" (null stays
    null for the keys in keep_null: JSON columns, numbers)."""
    if isinstance(v, list):
        return [cc_form(x, keep_null) for x in v]
    if isinstance(v, dict):
        return {k: ("" if x is None and k not in keep_null else cc_form(x, keep_null))
                for k, x in v.items()}
    return v


def expect_error_at(path, r, status, code=None):
    """expect_error, in the dialect the path answers in (/api/v1: the callcenter's)."""
    if is_v1(path):
        expect_cc_error(r, status, code)
    else:
        expect_error(r, status, code)


# -- shared setup for the test modules -----------------------------------------------

def uid():
    """A short unique suffix for names and emails."""
    return uuid.uuid4().hex[:10]


def tenant(ctx):
    """A fresh tenant registered through the API: (admin token, tenant id)."""
    s, _ = ctx.new_tenant()
    return s["token"], s["user"]["tenant_id"]


def user(ctx, admin_token, role):
    """A user of the admin's tenant with this role, logged in: its session."""
    email = "%s-%s@example.test" % (role, uid())
    pw = "pw-" + uuid.uuid4().hex
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": role}, token=admin_token)
    check(r.status == 201, "create %s: %r" % (role, r))
    return ctx.login(email, pw)


def dept(ctx, token, name=None):
    r = ctx.post("/api/departments", {"name": name or "Dept " + uid(),
                                      "phone_number": "+15551230000"}, token=token)
    check(r.status == 201, "create department: %r" % r)
    return r.json["department"]


def fields(r):
    """The field names of a 422's `fields` (coldcaller's dialect: of its details)."""
    j = r.json or {}
    if isinstance(j.get("error"), dict) and isinstance(j["error"].get("details"), list):
        return set(d.get("field") for d in j["error"]["details"])
    return set(j.get("fields") or {})


def sql(ctx, query):
    """Runs SQL with the mariadb client on the stack's socket; tab-separated stdout."""
    me = "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    p = subprocess.run(["mariadb", "--no-defaults", "-u" + me,
                        "--socket=" + os.path.join(ctx.var, "run", "mysqld.sock"),
                        "switchboard", "-N", "-B", "-e", query],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "mariadb client failed: %s" % p.stderr.strip())
    return p.stdout



def emit_event(ctx, tenant_id, type_, payload=None, audience=None, call_id=None):
    """An event row written as the pool writes one (the feed picks it up): in a transaction
    that also gives it its tenant's next number (sql/036, src/core/event_seq.c)."""
    q = lambda v: "NULL" if v is None else "'%s'" % str(v).replace("'", "''")
    sql(ctx, "START TRANSACTION;"
             " INSERT INTO call_events (tenant_id, call_id, type, audience, payload)"
             " VALUES (%s, %s, %s, %s, %s);"
             " UPDATE event_sequences SET last_seq = last_seq + 1 WHERE tenant_id = %s;"
             " UPDATE call_events SET seq = (SELECT last_seq FROM event_sequences"
             " WHERE tenant_id = %s) WHERE id = LAST_INSERT_ID(); COMMIT"
        % (q(tenant_id), q(call_id), q(type_), q(audience),
           q(None if payload is None else json.dumps(payload)), q(tenant_id), q(tenant_id)))


def innodb_deadlocks(ctx):
    """The server's count of InnoDB deadlocks so far (a test reads it before and after)."""
    return int(sql(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'").split()[1])

# -- /metrics (Prometheus text format) -------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_labels(text):
    """'a="x",b="y\\"z"' -> {"a": "x", "b": 'y"z'} (escapes undone); AssertionError when
    the text is not a label list."""
    out, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        check(m is not None, "bad labels at %d: %r" % (pos, text))
        v = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
        out[m.group(1)] = v
        pos = m.end()
    return out


def parse_metrics(text):
    """The samples of a text exposition: {(name, frozenset(labels.items())): float}."""
    out = {}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        key = (m.group(1), frozenset(parse_labels(m.group(2) or "").items()))
        check(key not in out, "sample twice: %r" % line)
        out[key] = float(m.group(3))
    return out


def metrics(ctx, **kw):
    """GET /metrics (from 127.0.0.1 unless source= says otherwise), parsed."""
    r = ctx.get("/metrics", **kw)
    check(r.status == 200, "GET /metrics: %r" % r)
    return parse_metrics(r.text)


def metric(samples, name, **labels):
    """One sample's value (0 when the series is absent: counters start unseen)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


# -- the calldocker dialect (issue 11) --------------------------------------------------

def cd_data(r, status=200):
    """The data of a calldocker success envelope {success:true, message?, data} (checked)."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is True and "data" in j,
          "not a calldocker success: %r" % r)
    check("meta" not in j and "timestamp" not in j, "other dialect's members: %r" % r)
    return j["data"]


def cd_page(r):
    """A calldocker list: (data array, pagination{page,limit,total,pages}) (checked)."""
    data = cd_data(r)
    p = r.json.get("pagination")
    check(isinstance(data, list), "data is not an array: %r" % r)
    check(isinstance(p, dict) and set(("page", "limit", "total", "pages")) <= set(p),
          "pagination: %r" % r)
    return data, p


def expect_cd_error(r, status, field=None):
    """The calldocker error {success:false, message, error}; a 422 names field."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    j = r.json
    check(isinstance(j, dict) and j.get("success") is False, "not an error: %r" % r)
    check(isinstance(j.get("message"), str) and j["message"], "no message: %r" % r)
    check("error" in j, "no error: %r" % r)
    if field is not None:
        check(field in fields(r), "422 does not name %s: %r" % (field, r))


def super_admin(ctx):
    """A super_admin in a fresh tenant (the admin CLI makes it): its login session and
    password."""
    s, _ = ctx.new_tenant()
    email = "super-%s@example.test" % uid()
    pw = "pw-" + uuid.uuid4().hex
    rc, out, err = ctx.admin("create-user", "--tenant", s["user"]["tenant_id"], "--email",
                             email, "--role", "super_admin", "--password-stdin", stdin=pw + "\n")
    check(rc == 0 and out.startswith("usr_"), "admin create-user: %r %r %r" % (rc, out, err))
    sess = ctx.login(email, pw)
    sess["password"] = pw
    return sess


# -- Twilio callbacks (issue 11: voicemail, blacklist) ---------------------------------

def public_base_url(ctx):
    """The public_base_url Twilio signs against (the stack's config), without a slash."""
    url = None
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "public_base_url":
                url = v.strip()
    return (url or "http://127.0.0.1:%d" % ctx.port).rstrip("/")


def twilio_post(ctx, auth_token, path, params, sign_path=None, tamper=False):
    """POSTs params as a form to path, signed as Twilio signs (HMAC-SHA1 of the URL and the
    sorted parameters, keyed by the auth token), over sign_path's URL when given; with
    tamper, a signature that does not match."""
    import base64
    import hashlib
    import hmac
    data = public_base_url(ctx) + (sign_path or path) + "".join(k + v for k, v in sorted(params.items()))
    sig = base64.b64encode(hmac.new(auth_token.encode(), data.encode(),
                                    hashlib.sha1).digest()).decode()
    if tamper:
        sig = sig[::-1]
    return ctx.request("POST", path, raw=urllib.parse.urlencode(params),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "X-Twilio-Signature": sig})


def twilio_line(ctx, admin_token):
    """A phone number of the admin's tenant and Twilio credentials for it:
    {number, did_id, account_sid, auth_token}."""
    hexs = lambda n: uuid.uuid4().hex[:n] if n <= 32 else uuid.uuid4().hex + uuid.uuid4().hex[:n - 32]
    line = {"number": "+1555%08d" % random.randrange(10 ** 8), "account_sid": "AC" + hexs(32),
            "auth_token": hexs(32)}
    r = ctx.post("/api/dids", {"number": line["number"]}, token=admin_token)
    check(r.status == 201, "create DID: %r" % r)
    line["did_id"] = r.json["did"]["id"]
    r = ctx.put("/api/integrations/twilio", {"account_sid": line["account_sid"],
                                             "auth_token": line["auth_token"]},
                token=admin_token)
    check(r.status == 200, "set Twilio credentials: %r" % r)
    return line

"""Password reset: the request answers the same for any address and queues a sealed message
with a single-use token (read with `switchboard-admin outbox`); the token sets the password,
ends every session and cannot be used twice; wrong, used and expired tokens get one answer."""
import hashlib
import json
import os
import re
import uuid

import sb
from sb import check, expect_error

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$", re.M)


# -- private helpers ------------------------------------------------------------------

def _outbox(ctx, tid, *extra):
    rc, out, err = ctx.admin("outbox", "--tenant", tid, *extra)
    check(rc == 0, "admin outbox: rc=%r err=%r" % (rc, err))
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _token_of(msg):
    found = TOKEN.findall(msg["body"])
    check(len(found) == 1, "one token in the message: %r" % msg)
    return found[0]


def _same(a, b):
    """Two answers alike but for their request id and time."""
    ja, jb = dict(a.json), dict(b.json)
    for j in (ja, jb):
        j.pop("request_id", None)
        j.pop("timestamp", None)
        if isinstance(j.get("error"), dict):
            j["error"] = {k: v for k, v in j["error"].items() if k != "timestamp"}
    return a.status == b.status and ja == jb


def _account(ctx):
    """A fresh tenant's admin: (session, email, password, tenant id)."""
    s, pw = ctx.new_tenant()
    return s, s["user"]["email"], pw, s["user"]["tenant_id"]


# -- the flow -------------------------------------------------------------------------

def test_password_reset_flow(ctx):
    s, email, pw, tid = _account(ctx)
    second = ctx.login(email, pw)
    r = ctx.post("/api/auth/reset-password-request", {"email": email.upper()})
    check(r.status == 200 and r.json.get("success") is True and r.json.get("message"),
          "request: %r" % r)
    unknown = ctx.post("/api/auth/reset-password-request",
                       {"email": "nobody-%s@example.test" % sb.uid()})
    check(_same(r, unknown), "same answer for an unknown address: %r vs %r" % (r, unknown))
    msgs = _outbox(ctx, tid)
    check(len(msgs) == 1, "one message: %r" % msgs)
    m = msgs[0]
    check(m["recipient"] == email and m["kind"] == "password_reset" and m["tenant_id"] == tid
          and m["subject"] and m["id"].startswith("msg_"), "message: %r" % m)
    token = _token_of(m)
    check(token not in r.body.decode(), "the token is not in the answer")
    # Sealed at rest, and only its hash is stored.
    check(sb.sql(ctx, "SELECT COUNT(*) FROM outbox WHERE tenant_id = '%s' AND body_sealed LIKE"
                      " '%%%s%%'" % (tid, token)).strip() == "0", "outbox body sealed")
    digest = hashlib.sha256(token.encode()).hexdigest()
    check(sb.sql(ctx, "SELECT COUNT(*) FROM password_resets WHERE token_hash = '%s'"
                      % digest).strip() == "1", "hash stored")
    # The password policy holds.
    r = ctx.post("/api/auth/reset-password", {"token": token, "password": "short"})
    expect_error(r, 422)
    check("password" in sb.fields(r), "fields.password: %r" % r)
    new_pw = "new-" + uuid.uuid4().hex
    r = ctx.post("/api/auth/reset-password", {"token": token, "password": new_pw})
    check(r.status == 200 and r.json.get("success") is True, "reset: %r" % r)
    check(token not in r.body.decode(), "no token in the answer")
    # Every session ended; the old password no longer works, the new one does.
    for sess in (s, second):
        expect_error(ctx.get("/api/auth/me", token=sess["token"]), 401)
        expect_error(ctx.post("/api/auth/refresh", {"refresh_token": sess["refresh_token"]}),
                     401)
    r = ctx.post("/api/auth/login", {"email": email, "password": pw})
    expect_error(r, 401)
    fresh = ctx.login(email, new_pw)
    check(ctx.get("/api/auth/me", token=fresh["token"]).status == 200, "new session works")
    # Used once: the same token again, an unknown one and an expired one answer alike.
    again = ctx.post("/api/auth/reset-password", {"token": token, "password": new_pw + "x"})
    expect_error(again, 400, "invalid_token")
    bogus = ctx.post("/api/auth/reset-password", {"token": "A" * 43, "password": new_pw + "x"})
    check(_same(again, bogus), "used and unknown alike: %r vs %r" % (again, bogus))
    old = (uuid.uuid4().hex + uuid.uuid4().hex)[:43]
    sb.sql(ctx, "INSERT INTO password_resets (token_hash, tenant_id, user_id, created_at,"
                " expires_at) VALUES ('%s', '%s', '%s', NOW() - INTERVAL 2 HOUR,"
                " NOW() - INTERVAL 1 HOUR)"
           % (hashlib.sha256(old.encode()).hexdigest(), tid, s["user"]["id"]))
    expired = ctx.post("/api/auth/reset-password", {"token": old, "password": new_pw + "x"})
    check(_same(again, expired), "expired and used alike: %r vs %r" % (again, expired))
    check(ctx.get("/api/auth/me", token=fresh["token"]).status == 200,
          "a refused token changed nothing")
    audit = sb.sql(ctx, "SELECT action FROM audit_logs WHERE tenant_id = '%s' AND action LIKE"
                        " 'auth.%%reset%%' ORDER BY id" % tid).split()
    check(audit == ["auth.reset_requested", "auth.password_reset"], "audit: %r" % audit)
    # The token is in no log of the stack.
    logdir = os.path.join(ctx.var, "log")
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name), errors="replace") as f:
            check(token not in f.read(), "token in %s" % name)
    # Delivered messages leave the pending list.
    check(len(_outbox(ctx, tid, "--mark-sent")) == 1, "printed once more")
    check(_outbox(ctx, tid) == [], "none pending after --mark-sent")


def test_password_reset_v1_and_tenants(ctx):
    """The callcenter family's paths; a tenant narrows an address that is in several."""
    s, email, pw, tid = _account(ctx)
    s2, _ = ctx.new_tenant()
    tid2 = s2["user"]["tenant_id"]
    pw2 = "pw-" + uuid.uuid4().hex
    rc, out, err = ctx.admin("create-user", "--tenant", tid2, "--email", email, "--role", "agent",
                             "--password-stdin", stdin=pw2 + "\n")
    check(rc == 0, "same email in a second tenant: %r" % err)
    r = ctx.post("/api/v1/auth/reset-password-request", {"email": email, "tenant_id": tid2})
    d = sb.cc_data(r)
    check(r.json.get("message") or d is not None, "v1 request: %r" % r)
    u = ctx.post("/api/v1/auth/reset-password-request",
                 {"email": "nobody-%s@example.test" % sb.uid(), "tenant_id": tid2})
    check(_same(r, u), "v1: same answer: %r vs %r" % (r, u))
    check(_outbox(ctx, tid) == [], "the first tenant's account was not named")
    msgs = _outbox(ctx, tid2)
    check(len(msgs) == 1 and msgs[0]["recipient"] == email, "second tenant: %r" % msgs)
    # Without a tenant, every account of the address gets its own message.
    ctx.post("/api/auth/reset-password-request", {"email": email})
    check(len(_outbox(ctx, tid)) == 1 and len(_outbox(ctx, tid2)) == 2, "one per account")
    bad = ctx.post("/api/v1/auth/reset-password", {"token": "C" * 43, "password": "whatever-1"})
    sb.expect_cc_error(bad, 400)
    new_pw = "new-" + uuid.uuid4().hex
    r = ctx.post("/api/v1/auth/reset-password", {"token": _token_of(msgs[0]), "password": new_pw})
    sb.cc_data(r)
    ctx.login(email, new_pw, tenant=tid2)
    ctx.login(email, pw, tenant=tid)  # the other tenant's account is untouched
    check(s, "first session")


def test_password_reset_validation_and_cap(ctx):
    for path, body, field in (("/api/auth/reset-password-request", {}, "email"),
                              ("/api/auth/reset-password-request", {"email": "not-an-email"},
                               "email"),
                              ("/api/auth/reset-password", {"password": "long-enough-1"},
                               "token"),
                              ("/api/auth/reset-password", {"token": "x"}, "password")):
        r = ctx.post(path, body)
        expect_error(r, 422)
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
    expect_error(ctx.post("/api/auth/reset-password", raw="{"), 400)
    # At most five messages an hour per address; the answers stay the same.
    _, email, _, tid = _account(ctx)
    answers = [ctx.post("/api/auth/reset-password-request", {"email": email})
               for _ in range(7)]
    check(all(_same(answers[0], a) for a in answers), "same answers: %r" % answers)
    check(len(_outbox(ctx, tid)) == 5, "capped at five")

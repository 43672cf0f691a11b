"""Guessing passwords and mass registration (issue 6): failed password checks are counted
per e-mail and per address across login and change-password, locked past a limit and
audited; registration is rate limited by nginx and capped per address and day."""
import concurrent.futures
import hashlib
import threading
import uuid

import sb
from sb import check, expect_error

PER_EMAIL = 5          # password_max_failures (the default)
PER_ADDRESS = 400      # password_max_failures_per_address as scripts/test.sh sets it
REGISTER_CAP = 10      # register_max_per_address_per_day (the default)


def _user(ctx, admin_token, role="agent"):
    email = "%s-%s@example.test" % (role, sb.uid())
    pw = "pw-" + uuid.uuid4().hex
    r = ctx.post("/api/users", {"email": email, "password": pw, "role": role},
                 token=admin_token)
    check(r.status == 201, "create user: %r" % r)
    return email, pw, r.json["user"]["id"]


def _login(ctx, email, pw, source=None):
    return ctx.post("/api/auth/login", {"email": email, "password": pw}, source=source)


def _locked(r):
    expect_error(r, 429, "too_many_attempts")
    check(int(r.headers.get("retry-after", "0")) > 0, "no Retry-After: %r" % r.headers)


def _audit(ctx, tid, uid):
    rows = sb.sql(ctx, "SELECT action, JSON_VALUE(details, '$.check') FROM audit_logs"
                       " WHERE tenant_id = '%s' AND entity_id = '%s'"
                       " AND action LIKE 'auth.%%' ORDER BY id" % (tid, uid))
    return [tuple(line.split("\t")) for line in rows.splitlines()]


def test_change_password_guessing_locks_the_account(ctx):
    admin, tid = sb.tenant(ctx)
    email, pw, uid = _user(ctx, admin)
    source = sb.random_loopback()
    tok = _login(ctx, email, pw, source=source).json["token"]
    for i in range(PER_EMAIL):
        r = ctx.post("/api/auth/change-password",
                     {"current_password": "guess-%d" % i, "new_password": "pw-" + sb.uid()},
                     token=tok, source=source)
        expect_error(r, 401, "invalid_credentials")
    # Locked: even the right password is refused now, here and at login.
    r = ctx.post("/api/auth/change-password",
                 {"current_password": pw, "new_password": "pw-" + sb.uid()}, token=tok,
                 source=source)
    _locked(r)
    _locked(_login(ctx, email, pw, source=sb.random_loopback()))
    check(_login(ctx, email, pw).status == 429, "the lock follows the e-mail, not the address")
    # The password did not change, every failure is audited, and the lock too.
    check(ctx.get("/api/auth/me", token=tok).status == 200, "the session still works")
    got = _audit(ctx, tid, uid)
    failed = [a for a in got if a[0] == "auth.password_failed"]
    check(len(failed) == PER_EMAIL and all(a[1] == "change_password" for a in failed),
          "audited failures: %r" % got)
    check(("auth.locked", "change_password") in got, "the lock is not audited: %r" % got)
    # Someone else signs in from the same address.
    other, other_pw, _ = _user(ctx, admin)
    check(_login(ctx, other, other_pw, source=source).status == 200, "another user is locked")


def test_login_guessing_locks_the_email_known_or_not(ctx):
    admin, tid = sb.tenant(ctx)
    email, pw, uid = _user(ctx, admin)
    unknown = "nobody-%s@example.test" % sb.uid()
    for target in (email, unknown):
        source = sb.random_loopback()
        for i in range(PER_EMAIL):
            expect_error(_login(ctx, target, "guess-%d" % i, source=source), 401,
                         "invalid_credentials")
        # The same answer for a real e-mail and an unknown one: a lock reveals nothing.
        _locked(_login(ctx, target, pw, source=source))
    got = _audit(ctx, tid, uid)
    check([a for a in got if a[0] == "auth.password_failed"] ==
          [("auth.password_failed", "login")] * PER_EMAIL, "audited: %r" % got)
    # A correct password before the limit clears the count.
    email2, pw2, _ = _user(ctx, admin)
    for _ in range(2):
        for i in range(PER_EMAIL - 1):
            expect_error(_login(ctx, email2, "guess-%d" % i), 401, "invalid_credentials")
        check(_login(ctx, email2, pw2).status == 200, "a correct password is refused")


def test_address_guessing_locks_the_address(ctx):
    admin, _ = sb.tenant(ctx)
    email, pw, _ = _user(ctx, admin)
    source = sb.random_loopback()
    # PER_ADDRESS - 1 failures already counted for the address (as many guesses at as many
    # e-mails would leave), then one more.
    bucket = hashlib.sha256(("pwd-addr:" + source).encode()).hexdigest()
    sb.sql(ctx, "INSERT INTO rate_buckets (bucket, hits, window_start) VALUES ('%s', %d, NOW())"
                % (bucket, PER_ADDRESS - 1))
    expect_error(_login(ctx, "x-%s@example.test" % sb.uid(), "guess", source=source), 401,
                 "invalid_credentials")
    _locked(_login(ctx, email, pw, source=source))
    check(_login(ctx, email, pw, source=sb.random_loopback()).status == 200,
          "the address lock spread to other addresses")


def test_register_is_rate_limited_and_capped_per_address(ctx):
    n = 250
    source = sb.random_loopback()
    barrier = threading.Barrier(n, timeout=60)

    def one(i):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return ctx.post("/api/auth/register",
                        {"tenant_name": "Mass %s %d" % (sb.uid(), i),
                         "email": "mass-%s@example.test" % sb.uid(), "password": "pw-" + sb.uid()},
                        source=source, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        results = list(ex.map(one, range(n)))
    by = {}
    for r in results:
        key = (r.status, ((r.json or {}).get("code") or "").lower() or None)
        by[key] = by.get(key, 0) + 1
    check(by.get((201, None), 0) == REGISTER_CAP, "tenants created from one address: %r" % by)
    check(by.get((429, "rate_limited"), 0) > 0, "nginx did not limit registration: %r" % by)
    check(by.get((429, "too_many_registrations"), 0) > 0, "no cap answer: %r" % by)
    check(set(by) <= {(201, None), (429, "rate_limited"), (429, "too_many_registrations")},
          "other answers: %r" % by)
    for r in results:
        if r.status == 429 and r.json.get("code") == "too_many_registrations":
            check(int(r.headers.get("retry-after", "0")) > 0, "no Retry-After: %r" % r.headers)
    # Another address registers.
    s, _ = ctx.new_tenant()
    check(s.get("token"), "registration from another address failed")

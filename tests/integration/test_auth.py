"""Auth: login, register, refresh rotation, logout, profile, change-password, bearer tokens."""
import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import time
import uuid

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
USER_FIELDS = {"id", "tenant_id", "email", "first_name", "last_name", "phone", "role",
               "is_active", "last_login_at", "created_at", "updated_at"}


# -- private helpers ------------------------------------------------------------------

def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _claims(token):
    parts = token.split(".")
    check(len(parts) == 3, "a JWT has 3 parts: %r" % token)
    return json.loads(_b64url_decode(parts[1]))


def _header(token):
    return json.loads(_b64url_decode(token.split(".")[0]))


def _hs256(header, claims, key):
    h = _b64url(json.dumps(header, separators=(",", ":")).encode())
    p = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, ("%s.%s" % (h, p)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, p, _b64url(sig))


def _register(ctx, tenant_name=None, email=None, password=None, **extra):
    body = {"tenant_name": tenant_name or ("Auth T " + sb.uid()),
            "email": email or ("a-%s@example.test" % sb.uid()),
            "password": password or ("pw-" + uuid.uuid4().hex)}
    body.update(extra)
    r = ctx.post("/api/auth/register", body)
    check(r.status == 201, "register: expected 201, got %r" % r)
    return r.json, body


def _login(ctx, email, password, path="/api/auth/login", **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return ctx.post(path, body)


def _check_session(s, email=None):
    check(s.get("success") is True, "success is not true: %r" % s)
    check(isinstance(s.get("token"), str) and s["token"].count(".") == 2, "no JWT token: %r" % s)
    check(s.get("access_token") == s["token"], "access_token differs from token: %r" % s)
    check(s.get("token_type") == "Bearer", "token_type: %r" % s.get("token_type"))
    check(s.get("expires_in") == 900, "expires_in: %r" % s.get("expires_in"))
    check(isinstance(s.get("refresh_token"), str) and len(s["refresh_token"]) >= 20,
          "refresh_token: %r" % s.get("refresh_token"))
    u = s.get("user")
    check(isinstance(u, dict), "no user object: %r" % s)
    check("password_hash" not in u and "password" not in u, "the user leaks its password: %r" % u)
    missing = USER_FIELDS - set(u)
    check(not missing, "user object lacks %s: %r" % (sorted(missing), u))
    if email is not None:
        check(u["email"] == email.lower(), "user.email %r != %r" % (u["email"], email.lower()))
    return u


def _profile_status(ctx, token):
    return ctx.get("/api/auth/profile", token=token)


# -- login ----------------------------------------------------------------------------

def test_login_happy_path(ctx):
    reg, body = _register(ctx, first_name="Ada", last_name="Lovelace")
    r = _login(ctx, body["email"], body["password"])
    check(r.status == 200, "login: expected 200, got %r" % r)
    u = _check_session(r.json, body["email"])
    check(u["id"] == reg["user"]["id"], "login returned another user: %r" % u)
    check(u["tenant_id"] == reg["tenant"]["id"], "user.tenant_id %r" % u["tenant_id"])
    check(u["role"] == "admin", "the registering user is admin: %r" % u["role"])
    check(u["is_active"] is True, "is_active: %r" % u["is_active"])
    check(u["first_name"] == "Ada" and u["last_name"] == "Lovelace", "names: %r" % u)
    check(isinstance(u["last_login_at"], str) and RFC3339.match(u["last_login_at"]),
          "last_login_at after a login: %r" % u["last_login_at"])
    check(RFC3339.match(u["created_at"]) and RFC3339.match(u["updated_at"]), "times: %r" % u)
    check(u["id"].startswith("usr_"), "user id prefix: %r" % u["id"])
    # The JWT: HS256 with the documented claims, valid 15 minutes.
    h = _header(r.json["token"])
    check(h.get("alg") == "HS256", "JWT alg: %r" % h)
    c = _claims(r.json["token"])
    check(c.get("sub") == u["id"], "sub claim: %r" % c)
    check(c.get("tenant_id") == u["tenant_id"], "tenant_id claim: %r" % c)
    check(c.get("role") == "admin", "role claim: %r" % c)
    check(isinstance(c.get("sid"), str) and c["sid"], "sid claim: %r" % c)
    check(isinstance(c.get("jti"), str) and c["jti"], "jti claim: %r" % c)
    check(isinstance(c.get("iat"), int) and c.get("exp") == c["iat"] + 900, "iat/exp: %r" % c)
    check(abs(c["iat"] - time.time()) < 120, "iat is not now: %r" % c)
    # The token works.
    p = _profile_status(ctx, r.json["token"])
    check(p.status == 200 and p.json["user"]["id"] == u["id"], "profile with the token: %r" % p)
    # Two logins are two sessions: different refresh tokens and sids.
    r2 = _login(ctx, body["email"], body["password"])
    check(r2.status == 200, "second login: %r" % r2)
    check(r2.json["refresh_token"] != r.json["refresh_token"], "refresh token reused")
    check(_claims(r2.json["token"])["sid"] != c["sid"], "two logins share a session id")


def test_login_email_is_case_insensitive(ctx):
    _, body = _register(ctx)
    r = _login(ctx, body["email"].upper(), body["password"])
    check(r.status == 200, "login with an upper-case email: %r" % r)
    _check_session(r.json, body["email"])


def test_demo_login(ctx):
    d = ctx.demo_login()
    r = _login(ctx, d["email"], d["password"])
    check(r.status == 200, "demo login: %r" % r)
    u = _check_session(r.json, d["email"])
    check(u["tenant_id"] == d["tenant_id"], "demo tenant id: %r vs %r" % (u["tenant_id"], d))
    check(u["role"] == "admin", "demo role: %r" % u["role"])


def test_login_wrong_password(ctx):
    _, body = _register(ctx)
    r = _login(ctx, body["email"], body["password"] + "x")
    expect_error(r, 401, "invalid_credentials")
    check("token" not in r.json and "refresh_token" not in r.json, "a failed login issued a token")


def test_login_unknown_email(ctx):
    r = _login(ctx, "nobody-%s@example.test" % sb.uid(), "whatever-password")
    expect_error(r, 401, "invalid_credentials")


def test_login_missing_fields(ctx):
    r = ctx.post("/api/auth/login", {"email": "x-%s@example.test" % sb.uid()})
    expect_error(r, 422, "validation_failed")
    check("password" in sb.fields(r),
          "fields must name password: %r" % r)
    check("email" not in sb.fields(r), "email was given: %r" % r)
    r = ctx.post("/api/auth/login", {"password": "something-long"})
    expect_error(r, 422, "validation_failed")
    check(set(sb.fields(r)) == {"email"}, "fields must name email only: %r" % r)
    r = ctx.post("/api/auth/login", {})
    expect_error(r, 422, "validation_failed")
    check({"email", "password"} <= set(sb.fields(r)), "both fields: %r" % r)
    r = ctx.post("/api/auth/login", {"email": 12, "password": "something-long"})
    expect_error(r, 422, "validation_failed")
    check("email" in sb.fields(r), "a number is no email: %r" % r)


def test_login_malformed_json(ctx):
    for raw in (b'{"email": "a@b.test", "password": ', b"not json", b"", b'{"email": "a@b.test",}'):
        r = ctx.request("POST", "/api/auth/login", raw=raw)
        expect_error(r, 400, "invalid_json")


# -- register -------------------------------------------------------------------------

def test_register_creates_tenant_and_admin(ctx):
    name = "Reg T " + sb.uid()
    email = "Reg-%s@Example.TEST" % sb.uid()
    r = ctx.post("/api/auth/register", {"tenant_name": name, "email": email,
                                        "password": "a-good-password"})
    check(r.status == 201, "register: %r" % r)
    u = _check_session(r.json, email)
    t = r.json.get("tenant")
    check(isinstance(t, dict), "no tenant object: %r" % r)
    check(t.get("id", "").startswith("ten_"), "tenant id: %r" % t)
    check(t.get("name") == name, "tenant name: %r" % t)
    check(t.get("status") == "active", "tenant status: %r" % t)
    check(u["tenant_id"] == t["id"] and u["role"] == "admin", "user: %r" % u)
    check(_profile_status(ctx, r.json["token"]).status == 200, "the registered token works")
    # The email is stored lower-case: the lower-case login works.
    r2 = _login(ctx, email.lower(), "a-good-password")
    check(r2.status == 200, "login after register: %r" % r2)


def test_register_duplicate_tenant_name(ctx):
    reg, body = _register(ctx)
    other = "other-%s@example.test" % sb.uid()
    r = ctx.post("/api/auth/register", {"tenant_name": body["tenant_name"], "email": other,
                                        "password": "a-good-password"})
    expect_error(r, 409, "conflict")
    # Nothing of the refused registration exists: its email cannot log in.
    expect_error(_login(ctx, other, "a-good-password"), 401, "invalid_credentials")
    # The first registration is intact.
    check(_login(ctx, body["email"], body["password"]).status == 200, "first tenant broken")


def test_register_validation(ctx):
    base = {"tenant_name": "V " + sb.uid(), "email": "v-%s@example.test" % sb.uid(),
            "password": "a-good-password"}
    for field, value in (("password", "short7!"), ("email", "not-an-email"),
                         ("tenant_name", ""), ("email", None)):
        body = dict(base)
        if value is None:
            del body[field]
        else:
            body[field] = value
        r = ctx.post("/api/auth/register", body)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields must name %s: %r" % (field, r))


# -- refresh --------------------------------------------------------------------------

def _refresh(ctx, token):
    return ctx.post("/api/auth/refresh", {"refresh_token": token})


def test_refresh_rotates_and_reuse_revokes_family(ctx):
    _, body = _register(ctx)
    s0 = _login(ctx, body["email"], body["password"]).json
    r1 = _refresh(ctx, s0["refresh_token"])
    check(r1.status == 200, "first refresh: %r" % r1)
    _check_session(r1.json, body["email"])
    s1 = r1.json
    check(s1["refresh_token"] != s0["refresh_token"], "refresh did not rotate the refresh token")
    check(_claims(s1["token"])["sid"] == _claims(s0["token"])["sid"], "refresh changed the session")
    check(_claims(s1["token"])["jti"] != _claims(s0["token"])["jti"], "the same jti twice")
    # The new refresh token works.
    r2 = _refresh(ctx, s1["refresh_token"])
    check(r2.status == 200, "refresh with the new token: %r" % r2)
    s2 = r2.json
    check(_profile_status(ctx, s2["token"]).status == 200, "newest access token works")
    # The spent one again: 401, and the whole family is revoked.
    r = _refresh(ctx, s0["refresh_token"])
    expect_error(r, 401, "unauthorized")
    expect_error(_refresh(ctx, s2["refresh_token"]), 401, "unauthorized")
    expect_error(_profile_status(ctx, s2["token"]), 401, "unauthorized")
    expect_error(_profile_status(ctx, s1["token"]), 401, "unauthorized")
    expect_error(_profile_status(ctx, s0["token"]), 401, "unauthorized")
    # Another session of the same user is not part of that family.
    other = _login(ctx, body["email"], body["password"])
    check(other.status == 200, "a new login after the reuse: %r" % other)
    check(_profile_status(ctx, other.json["token"]).status == 200, "a new session works")


def test_refresh_concurrent_reuse_is_not_a_double_spend(ctx):
    """The same refresh token presented 6 times at once: at most one rotation succeeds,
    every other answer is 401, and since the token was presented again the family ends."""
    _, body = _register(ctx)
    s0 = _login(ctx, body["email"], body["password"]).json
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda _: _refresh(ctx, s0["refresh_token"]), range(6)))
    ok = [r for r in results if r.status == 200]
    check(len(ok) <= 1, "one refresh token was spent %d times: %r" % (len(ok), results))
    for r in results:
        if r.status != 200:
            expect_error(r, 401, "unauthorized")
    for r in ok:
        expect_error(_profile_status(ctx, r.json["token"]), 401, "unauthorized")
        expect_error(_refresh(ctx, r.json["refresh_token"]), 401, "unauthorized")
    expect_error(_profile_status(ctx, s0["token"]), 401, "unauthorized")


def test_refresh_invalid_and_missing(ctx):
    expect_error(_refresh(ctx, "x" * 43), 401, "unauthorized")
    r = ctx.post("/api/auth/refresh", {})
    expect_error(r, 422, "validation_failed")
    check("refresh_token" in sb.fields(r), "fields must name refresh_token: %r" % r)
    # A refresh token of the right shape whose last character changed.
    _, body = _register(ctx)
    s = _login(ctx, body["email"], body["password"]).json
    rt = s["refresh_token"]
    expect_error(_refresh(ctx, rt[:-1] + ("A" if rt[-1] != "A" else "B")), 401, "unauthorized")
    # The real one still works (a failed guess does not revoke anything).
    check(_refresh(ctx, rt).status == 200, "the genuine refresh token stopped working")


# -- logout ---------------------------------------------------------------------------

def test_logout_revokes_the_session(ctx):
    _, body = _register(ctx)
    a = _login(ctx, body["email"], body["password"]).json
    b = _login(ctx, body["email"], body["password"]).json
    r = ctx.post("/api/auth/logout", {"refresh_token": a["refresh_token"]}, token=a["token"])
    check(r.status == 200, "logout: %r" % r)
    check(r.json.get("success") is True and isinstance(r.json.get("message"), str),
          "logout body: %r" % r)
    expect_error(_profile_status(ctx, a["token"]), 401, "unauthorized")
    expect_error(_refresh(ctx, a["refresh_token"]), 401, "unauthorized")
    # The other session is untouched.
    check(_profile_status(ctx, b["token"]).status == 200, "logout ended another session")
    # Logout without a body works too, and without a token is 401.
    r = ctx.post("/api/auth/logout", token=b["token"])
    check(r.status == 200, "logout without a body: %r" % r)
    expect_error(_profile_status(ctx, b["token"]), 401, "unauthorized")
    expect_error(ctx.post("/api/auth/logout", {}), 401, "unauthorized")


# -- profile --------------------------------------------------------------------------

def test_profile_get_and_me(ctx):
    reg, body = _register(ctx, first_name="Grace", last_name="Hopper")
    tok = reg["token"]
    p = ctx.get("/api/auth/profile", token=tok)
    m = ctx.get("/api/auth/me", token=tok)
    check(p.status == 200 and m.status == 200, "profile/me: %r %r" % (p, m))
    for r in (p, m):
        check(r.json.get("success") is True, "success: %r" % r)
        u = r.json.get("user")
        check(isinstance(u, dict) and "password_hash" not in u, "user: %r" % r)
        check(not (USER_FIELDS - set(u)), "user fields: %r" % u)
        check(u["id"] == reg["user"]["id"] and u["email"] == body["email"].lower(), "who: %r" % u)
        check(u["first_name"] == "Grace" and u["last_name"] == "Hopper", "names: %r" % u)
    check(p.json["user"] == m.json["user"], "profile and me differ")
    r = ctx.get("/api/v1/auth/me", token=tok)
    check(sb.cc_data(r)["id"] == reg["user"]["id"], "v1 me: %r" % r)


def test_profile_update_partial(ctx):
    reg, body = _register(ctx, first_name="First", last_name="Last")
    tok = reg["token"]
    r = ctx.put("/api/auth/profile", {"first_name": "Changed"}, token=tok)
    check(r.status == 200, "PUT profile: %r" % r)
    u = r.json["user"]
    check(u["first_name"] == "Changed", "first_name not changed: %r" % u)
    check(u["last_name"] == "Last", "last_name not sent but changed: %r" % u)
    check(u["email"] == body["email"].lower(), "email not sent but changed: %r" % u)
    r = ctx.put("/api/auth/me", {"last_name": "Other", "phone": "+15550100199"}, token=tok)
    check(r.status == 200, "PUT me: %r" % r)
    u = r.json["user"]
    check(u["first_name"] == "Changed" and u["last_name"] == "Other", "names: %r" % u)
    check(u["phone"] == "+15550100199", "phone: %r" % u)
    # GET sees the same.
    g = ctx.get("/api/auth/profile", token=tok).json["user"]
    check(g["first_name"] == "Changed" and g["last_name"] == "Other" and
          g["phone"] == "+15550100199", "GET after PUT: %r" % g)
    # An empty body changes nothing.
    r = ctx.put("/api/auth/profile", {}, token=tok)
    check(r.status == 200 and r.json["user"]["first_name"] == "Changed", "empty PUT: %r" % r)
    # Invalid email → 422 naming it; nothing changes.
    r = ctx.put("/api/auth/profile", {"email": "broken", "first_name": "Nope"}, token=tok)
    expect_error(r, 422, "validation_failed")
    check("email" in sb.fields(r), "fields.email: %r" % r)
    check(ctx.get("/api/auth/profile", token=tok).json["user"]["first_name"] == "Changed",
          "a refused PUT changed first_name")
    # A new email (stored lower-case) is the new login.
    new_email = "New-%s@Example.test" % sb.uid()
    r = ctx.put("/api/auth/profile", {"email": new_email}, token=tok)
    check(r.status == 200 and r.json["user"]["email"] == new_email.lower(), "email PUT: %r" % r)
    check(_login(ctx, new_email.lower(), body["password"]).status == 200, "login with new email")
    expect_error(_login(ctx, body["email"], body["password"]), 401, "invalid_credentials")


def test_profile_update_duplicate_email(ctx):
    reg, body = _register(ctx)
    other = "dup-%s@example.test" % sb.uid()
    r = ctx.post("/api/users", {"email": other, "password": "a-good-password", "role": "agent"},
                 token=reg["token"])
    check(r.status == 201, "create a second user: %r" % r)
    r = ctx.put("/api/auth/profile", {"email": other}, token=reg["token"])
    expect_error(r, 409, "conflict")


# -- change-password ------------------------------------------------------------------

def test_change_password(ctx):
    _, body = _register(ctx)
    a = _login(ctx, body["email"], body["password"]).json
    b = _login(ctx, body["email"], body["password"]).json
    new_pw = "new-" + uuid.uuid4().hex
    r = ctx.post("/api/auth/change-password",
                 {"current_password": body["password"] + "wrong", "new_password": new_pw},
                 token=a["token"])
    expect_error(r, 401, "invalid_credentials")
    # A wrong attempt changes nothing and revokes nothing.
    check(_profile_status(ctx, a["token"]).status == 200, "wrong attempt revoked session a")
    check(_profile_status(ctx, b["token"]).status == 200, "wrong attempt revoked session b")
    expect_error(_login(ctx, body["email"], new_pw), 401, "invalid_credentials")
    # Too short.
    r = ctx.post("/api/auth/change-password",
                 {"current_password": body["password"], "new_password": "short"},
                 token=a["token"])
    expect_error(r, 422, "validation_failed")
    check("new_password" in sb.fields(r), "fields.new_password: %r" % r)
    r = ctx.post("/api/auth/change-password", {"new_password": new_pw}, token=a["token"])
    expect_error(r, 422, "validation_failed")
    check("current_password" in sb.fields(r), "fields.current_password: %r" % r)
    # The right one.
    r = ctx.post("/api/auth/change-password",
                 {"current_password": body["password"], "new_password": new_pw},
                 token=a["token"])
    check(r.status == 200 and r.json.get("success") is True, "change-password: %r" % r)
    check(_login(ctx, body["email"], new_pw).status == 200, "the new password does not log in")
    expect_error(_login(ctx, body["email"], body["password"]), 401, "invalid_credentials")
    # Other sessions are revoked (access and refresh); the caller's own session stays.
    expect_error(_profile_status(ctx, b["token"]), 401, "unauthorized")
    expect_error(_refresh(ctx, b["refresh_token"]), 401, "unauthorized")
    check(_profile_status(ctx, a["token"]).status == 200, "the caller's own session was revoked")
    r = _refresh(ctx, a["refresh_token"])
    check(r.status == 200, "the caller's own refresh token stopped working: %r" % r)


def test_change_password_coldcaller_put(ctx):
    """Cold Caller's dashboard: PUT with camelCase names; its validation dialect."""
    _, body = _register(ctx)
    a = _login(ctx, body["email"], body["password"]).json
    new_pw = "new-" + uuid.uuid4().hex
    r = ctx.put("/api/auth/change-password", {"currentPassword": body["password"]},
                token=a["token"])
    sb.cold_field(r, "newPassword")
    r = ctx.put("/api/auth/change-password",
                {"currentPassword": body["password"] + "x", "newPassword": new_pw},
                token=a["token"])
    sb.expect_cold_error(r, 401)
    r = ctx.put("/api/auth/change-password",
                {"currentPassword": body["password"], "newPassword": new_pw}, token=a["token"])
    check(r.status == 200 and r.json.get("success") is True, "PUT change-password: %r" % r)
    check(_login(ctx, body["email"], new_pw).status == 200, "the new password does not log in")


# -- bearer tokens --------------------------------------------------------------------

def test_missing_authorization(ctx):
    for path in ("/api/auth/profile", "/api/departments", "/api/users"):
        expect_error(ctx.get(path), 401, "unauthorized")


def test_garbage_and_basic_tokens(ctx):
    reg, _ = _register(ctx)
    bad_headers = ["Bearer garbage", "Bearer a.b.c", "Bearer ", "Bearer " + reg["token"] + "x",
                   "Basic " + base64.b64encode(b"user:password").decode(),
                   "Basic " + base64.b64encode(("%s:x" % reg["user"]["email"]).encode()).decode(),
                   reg["token"],                       # no scheme
                   "Token " + reg["token"]]
    for h in bad_headers:
        r = ctx.get("/api/auth/profile", headers={"Authorization": h})
        expect_error(r, 401, "unauthorized")
    # Control: the same token in a proper header works, also with a lower-case scheme.
    check(ctx.get("/api/auth/profile", token=reg["token"]).status == 200, "the real token")
    r = ctx.get("/api/auth/profile", headers={"Authorization": "bearer " + reg["token"]})
    check(r.status == 200, "scheme is case-insensitive (RFC 7235): %r" % r)


def test_alg_none_token(ctx):
    reg, _ = _register(ctx)
    real = reg["token"]
    claims = _claims(real)
    payload = real.split(".")[1]
    for alg in ("none", "None", "NONE"):
        h = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        for tok in ("%s.%s." % (h, payload), "%s.%s" % (h, payload),
                    "%s.%s.%s" % (h, payload, real.split(".")[2])):
            r = ctx.get("/api/auth/profile", headers={"Authorization": "Bearer " + tok})
            expect_error(r, 401, "unauthorized")
    # Same claims re-encoded with alg none and a fresh expiry.
    claims["exp"] = int(time.time()) + 600
    h = _b64url(json.dumps({"alg": "none"}).encode())
    tok = "%s.%s." % (h, _b64url(json.dumps(claims).encode()))
    expect_error(ctx.get("/api/auth/profile", headers={"Authorization": "Bearer " + tok}),
                 401, "unauthorized")


def test_forged_tokens(ctx):
    reg, _ = _register(ctx)
    claims = _claims(reg["token"])
    now = int(time.time())
    forged = []
    key = os.urandom(32)
    forged.append(_hs256({"alg": "HS256", "typ": "JWT"}, claims, key))
    # Longer validity, admin → super_admin escalation, with a wrong key.
    c2 = dict(claims, role="super_admin", exp=now + 86400)
    forged.append(_hs256({"alg": "HS256", "typ": "JWT"}, c2, key))
    # Expired, wrong key.
    c3 = dict(claims, iat=now - 7200, exp=now - 3600)
    forged.append(_hs256({"alg": "HS256", "typ": "JWT"}, c3, key))
    # HS512 header over an HS256 signature with a wrong key.
    forged.append(_hs256({"alg": "HS512", "typ": "JWT"}, claims, key))
    # The real header and payload with the signature of an empty key.
    forged.append(_hs256({"alg": "HS256", "typ": "JWT"}, claims, b""))
    for tok in forged:
        expect_error(ctx.get("/api/auth/profile", token=tok), 401, "unauthorized")
    check(ctx.get("/api/auth/profile", token=reg["token"]).status == 200, "control token")


def test_expired_token_with_the_real_key(ctx):
    """With the stack's own key (readable in SB_VAR): a well-signed but expired token is 401,
    while the same claims with a future exp are accepted (so the signature is right)."""
    path = os.path.join(ctx.var, "jwt.key")
    with open(path, "rb") as f:
        key = f.read().rstrip()
    reg, _ = _register(ctx)
    claims = _claims(reg["token"])
    now = int(time.time())
    good = _hs256({"alg": "HS256", "typ": "JWT"}, dict(claims, iat=now - 10, exp=now + 300), key)
    check(ctx.get("/api/auth/profile", token=good).status == 200,
          "a token signed with jwt.key is refused: the crafting is wrong, fix the test")
    expired = _hs256({"alg": "HS256", "typ": "JWT"},
                     dict(claims, iat=now - 1000, exp=now - 100), key)
    expect_error(ctx.get("/api/auth/profile", token=expired), 401, "unauthorized")
    # A well-signed token whose session does not exist.
    nosession = _hs256({"alg": "HS256", "typ": "JWT"},
                       dict(claims, sid="ses_" + uuid.uuid4().hex, exp=now + 300), key)
    expect_error(ctx.get("/api/auth/profile", token=nosession), 401, "unauthorized")
    # A well-signed token that claims another tenant for this user.
    other_tenant = _hs256({"alg": "HS256", "typ": "JWT"},
                          dict(claims, tenant_id="ten_" + uuid.uuid4().hex[:20], exp=now + 300),
                          key)
    expect_error(ctx.get("/api/auth/profile", token=other_tenant), 401, "unauthorized")
    # A well-signed token whose role claim says super_admin: the role comes from the database.
    escalated = _hs256({"alg": "HS256", "typ": "JWT"},
                       dict(claims, role="super_admin", exp=now + 300), key)
    expect_error(ctx.get("/api/tenants", token=escalated), 403, "forbidden")


# -- same email in two tenants --------------------------------------------------------

def test_same_email_two_tenants(ctx):
    email = "shared-%s@example.test" % sb.uid()
    pw = "shared-" + uuid.uuid4().hex
    ra, ba = _register(ctx, email=email, password=pw)
    rb, bb = _register(ctx, email=email, password=pw)
    ta, tb = ra["tenant"], rb["tenant"]
    check(ta["id"] != tb["id"], "two registrations, one tenant?")
    r = _login(ctx, email, pw)
    expect_error(r, 422, "validation_failed")
    check("tenant" in sb.fields(r), "fields must name tenant: %r" % r)
    check("token" not in r.json, "an ambiguous login issued a token")
    r = _login(ctx, email, pw, tenant=ta["name"])
    check(r.status == 200 and r.json["user"]["tenant_id"] == ta["id"], "tenant by name: %r" % r)
    r = _login(ctx, email, pw, tenant=tb["id"])
    check(r.status == 200 and r.json["user"]["tenant_id"] == tb["id"], "tenant by id: %r" % r)
    r = _login(ctx, email, pw, tenant_id=ta["id"])
    check(r.status == 200 and r.json["user"]["tenant_id"] == ta["id"], "tenant_id field: %r" % r)
    # A tenant the email does not belong to.
    r = _login(ctx, email, pw, tenant="No Such Tenant " + sb.uid())
    expect_error(r, 401, "invalid_credentials")
    # Right tenant, wrong password.
    expect_error(_login(ctx, email, pw + "x", tenant=ta["id"]), 401, "invalid_credentials")


def test_same_email_two_tenants_different_passwords(ctx):
    email = "split-%s@example.test" % sb.uid()
    pa, pb = "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    ra, _ = _register(ctx, email=email, password=pa)
    rb, _ = _register(ctx, email=email, password=pb)
    r = _login(ctx, email, pa)
    check(r.status == 200 and r.json["user"]["tenant_id"] == ra["tenant"]["id"], "pa: %r" % r)
    r = _login(ctx, email, pb)
    check(r.status == 200 and r.json["user"]["tenant_id"] == rb["tenant"]["id"], "pb: %r" % r)


def test_same_email_in_six_tenants_each_password_logs_in(ctx):
    """One email in six tenants, a different password in each: every password matches
    exactly one tenant, so each logs in (no tenant needed) into its own tenant."""
    email = "six-%s@example.test" % sb.uid()
    made = []
    for i in range(6):
        pw = "six-%d-%s" % (i, uuid.uuid4().hex)
        reg, _ = _register(ctx, email=email, password=pw)
        made.append((pw, reg["tenant"]["id"]))
    for i, (pw, tid) in enumerate(made):
        r = _login(ctx, email, pw)
        check(r.status == 200, "password of tenant #%d of 6 (the email is in 6 tenants): %r"
              % (i + 1, r))
        check(r.json["user"]["tenant_id"] == tid, "tenant #%d: %r" % (i + 1, r.json["user"]))
    expect_error(_login(ctx, email, "none-of-them-" + sb.uid()), 401, "invalid_credentials")


def test_v1_login(ctx):
    _, body = _register(ctx)
    r = _login(ctx, body["email"], body["password"], path="/api/v1/auth/login")
    check(r.status == 200, "v1 login: %r" % r)
    # The callcenter dialect (issue 7): the session under data.
    session = dict(sb.cc_data(r), success=True)
    u = _check_session(session, body["email"])
    p = ctx.get("/api/v1/auth/profile", token=session["token"])
    check(sb.cc_data(p)["id"] == u["id"], "v1 profile: %r" % p)
    sb.expect_cc_error(_login(ctx, body["email"], "wrong-password", path="/api/v1/auth/login"),
                       401, "invalid_credentials")
    # The v1 refresh works like the plain one.
    r2 = ctx.post("/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]})
    check(r2.status == 200, "v1 refresh: %r" % r2)
    _check_session(dict(sb.cc_data(r2), success=True), body["email"])

"""Users of a tenant: CRUD, search and filters, pagination, roles, activation, isolation."""
import concurrent.futures
import re
import urllib.parse
import uuid

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# `status` (active|inactive) is calldocker's, which shares /api/users.
USER_FIELDS = {"id", "tenant_id", "email", "first_name", "last_name", "phone", "role",
               "is_active", "last_login_at", "created_at", "updated_at", "status"}


# -- private helpers ------------------------------------------------------------------

def _tenant(ctx):
    """A fresh tenant: (admin session, admin password)."""
    return ctx.new_tenant()


def _create(ctx, token, role=None, email=None, password=None, **extra):
    body = {"email": email or "u-%s@example.test" % sb.uid(),
            "password": password or "pw-" + uuid.uuid4().hex}
    if role is not None:
        body["role"] = role
    body.update(extra)
    r = ctx.post("/api/users", body, token=token)
    check(r.status == 201, "create user %r: %r" % (body, r))
    return r.json["user"], body["password"]


def _login(ctx, email, password):
    return ctx.post("/api/auth/login", {"email": email, "password": password})


def _q(**params):
    return "?" + urllib.parse.urlencode(params)


def _list(ctx, token, path="/api/users", **params):
    r = ctx.get(path + (_q(**params) if params else ""), token=token)
    check(r.status == 200, "GET %s %r: %r" % (path, params, r))
    return r.json


def _ids(listing):
    return [u["id"] for u in listing["users"]]


def _check_user(u):
    check(isinstance(u, dict), "user is not an object: %r" % u)
    check(set(u) == USER_FIELDS, "user fields: %r" % sorted(u))
    check(u["status"] == ("active" if u["is_active"] else "inactive"), "status: %r" % u)
    check("password_hash" not in u, "password_hash leaked")


# -- CRUD -----------------------------------------------------------------------------

def test_user_create_and_get(ctx):
    s, _ = _tenant(ctx)
    tok, tid = s["token"], s["user"]["tenant_id"]
    email = "Mixed-%s@Example.TEST" % sb.uid()
    r = ctx.post("/api/users", {"email": email, "password": "a-good-password",
                                "first_name": "Mary", "last_name": "Jackson",
                                "phone": "+15550102030", "role": "manager"}, token=tok)
    check(r.status == 201 and r.json.get("success") is True, "create: %r" % r)
    u = r.json["user"]
    _check_user(u)
    check(u["id"].startswith("usr_"), "id: %r" % u["id"])
    check(u["tenant_id"] == tid, "tenant_id: %r" % u["tenant_id"])
    check(u["email"] == email.lower(), "email lower-cased: %r" % u["email"])
    check(u["first_name"] == "Mary" and u["last_name"] == "Jackson", "names: %r" % u)
    check(u["phone"] == "+15550102030", "phone: %r" % u["phone"])
    check(u["role"] == "manager" and u["is_active"] is True, "role/active: %r" % u)
    check(u["last_login_at"] is None, "never logged in: %r" % u["last_login_at"])
    check(RFC3339.match(u["created_at"]) and RFC3339.match(u["updated_at"]), "times: %r" % u)
    g = ctx.get("/api/users/" + u["id"], token=tok)
    check(g.status == 200 and g.json["user"] == u, "GET differs: %r vs %r" % (g, u))
    # The new user can log in with its password.
    lr = _login(ctx, email, "a-good-password")
    check(lr.status == 200 and lr.json["user"]["id"] == u["id"], "login of new user: %r" % lr)
    check(lr.json["user"]["role"] == "manager", "role in session: %r" % lr.json["user"])
    # Default role is agent.
    d, _ = _create(ctx, tok)
    check(d["role"] == "agent", "default role: %r" % d["role"])
    check(d["first_name"] is None and d["phone"] is None, "absent optionals: %r" % d)
    expect_error(ctx.get("/api/users/usr_doesnotexist", token=tok), 404, "not_found")


def test_user_create_validation(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    good = {"email": "v-%s@example.test" % sb.uid(), "password": "a-good-password"}
    cases = [
        ({"password": "a-good-password"}, "email"),
        ({"email": good["email"]}, "password"),
        (dict(good, password="seven77"), "password"),
        (dict(good, password="x" * 257), "password"),
        (dict(good, email="not-an-email"), "email"),
        (dict(good, email="a@b"), "email"),
        (dict(good, role="super_admin"), "role"),
        (dict(good, role="owner"), "role"),
        (dict(good, role=""), "role"),
        (dict(good, phone="555-1234"), "phone"),
        (dict(good, first_name="x" * 101), "first_name"),
        (dict(good, first_name="nul\u0000"), "first_name"),
    ]
    for body, field in cases:
        r = ctx.post("/api/users", body, token=tok)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s for %r: %r" % (field, body, r))
    # None of them was created: the list has the admin only.
    check(_list(ctx, tok)["total"] == 1, "a refused user was created")
    expect_error(ctx.request("POST", "/api/users", raw=b"[]", token=tok), 400, "invalid_json")


def test_user_duplicate_email(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    u, _ = _create(ctx, tok)
    r = ctx.post("/api/users", {"email": u["email"].upper(), "password": "a-good-password"},
                 token=tok)
    expect_error(r, 409, "conflict")
    # The admin's own email too.
    r = ctx.post("/api/users", {"email": s["user"]["email"], "password": "a-good-password"},
                 token=tok)
    expect_error(r, 409, "conflict")
    # PUT another user's email onto a user.
    v, _ = _create(ctx, tok)
    r = ctx.put("/api/users/" + v["id"], {"email": u["email"]}, token=tok)
    expect_error(r, 409, "conflict")
    check(ctx.get("/api/users/" + v["id"], token=tok).json["user"]["email"] == v["email"],
          "a refused PUT changed the email")
    # The same email in another tenant is fine.
    s2, _ = _tenant(ctx)
    w, _ = _create(ctx, s2["token"], email=u["email"])
    check(w["email"] == u["email"] and w["tenant_id"] != u["tenant_id"], "other tenant: %r" % w)


def test_user_concurrent_duplicate_create(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    body = {"email": "race-%s@example.test" % sb.uid(), "password": "a-good-password"}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda _: ctx.post("/api/users", body, token=tok), range(6)))
    created = [r for r in results if r.status == 201]
    check(len(created) == 1, "%d creates of one email succeeded: %r" % (len(created), results))
    for r in results:
        if r.status != 201:
            expect_error(r, 409, "conflict")
    check(_list(ctx, tok, search=body["email"])["total"] == 1, "one user with that email")


def test_user_update_partial(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    u, pw = _create(ctx, tok, first_name="Katherine", last_name="Johnson", phone="+15550000001")
    r = ctx.put("/api/users/" + u["id"], {"first_name": "Kathy"}, token=tok)
    check(r.status == 200, "PUT: %r" % r)
    v = r.json["user"]
    _check_user(v)
    check(v["first_name"] == "Kathy", "first_name: %r" % v)
    for k in ("id", "email", "last_name", "phone", "role", "is_active", "tenant_id", "created_at"):
        check(v[k] == u[k], "%s changed by a PUT that did not send it: %r → %r" % (k, u[k], v[k]))
    r = ctx.put("/api/users/" + u["id"], {"last_name": None, "phone": "+15550000002"}, token=tok)
    check(r.status == 200 and r.json["user"]["last_name"] is None and
          r.json["user"]["phone"] == "+15550000002" and r.json["user"]["first_name"] == "Kathy",
          "PUT null/phone: %r" % r)
    # Password change by the admin: the new one logs in, the old does not.
    new_pw = "new-" + uuid.uuid4().hex
    r = ctx.put("/api/users/" + u["id"], {"password": new_pw}, token=tok)
    check(r.status == 200, "PUT password: %r" % r)
    check("password_hash" not in r.json["user"], "hash leaked")
    check(_login(ctx, u["email"], new_pw).status == 200, "new password does not log in")
    expect_error(_login(ctx, u["email"], pw), 401, "invalid_credentials")
    # Email change.
    new_email = "moved-%s@example.test" % sb.uid()
    r = ctx.put("/api/users/" + u["id"], {"email": new_email.upper()}, token=tok)
    check(r.status == 200 and r.json["user"]["email"] == new_email, "email PUT: %r" % r)
    # Validation and unknown id.
    for body, field in (({"email": "nope"}, "email"), ({"password": "short"}, "password"),
                        ({"phone": "12"}, "phone"), ({"first_name": 3}, "first_name")):
        r = ctx.put("/api/users/" + u["id"], body, token=tok)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s: %r" % (field, r))
    expect_error(ctx.put("/api/users/usr_nope", {"first_name": "x"}, token=tok), 404, "not_found")


def test_user_delete(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    u, pw = _create(ctx, tok)
    session = _login(ctx, u["email"], pw).json
    r = ctx.delete("/api/users/" + u["id"], token=tok)
    check(r.status == 200 and r.json.get("success") is True and
          isinstance(r.json.get("message"), str), "DELETE: %r" % r)
    expect_error(ctx.get("/api/users/" + u["id"], token=tok), 404, "not_found")
    check(u["id"] not in _ids(_list(ctx, tok)), "deleted user listed")
    expect_error(_login(ctx, u["email"], pw), 401, "invalid_credentials")
    expect_error(ctx.get("/api/auth/profile", token=session["token"]), 401, "unauthorized")
    expect_error(ctx.delete("/api/users/" + u["id"], token=tok), 404, "not_found")
    # Yourself: 409, and you still exist.
    r = ctx.delete("/api/users/" + s["user"]["id"], token=tok)
    expect_error(r, 409, "conflict")
    check(ctx.get("/api/auth/profile", token=tok).status == 200, "self-delete went through")
    # The email can be used again.
    again, _ = _create(ctx, tok, email=u["email"])
    check(again["id"] != u["id"], "re-created user has the old id")


def test_user_role_change(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    u, pw = _create(ctx, tok, role="agent")
    agent_tok = ctx.login(u["email"], pw)["token"]
    expect_error(ctx.get("/api/users", token=agent_tok), 403, "forbidden")
    r = ctx.put("/api/users/%s/role" % u["id"], {"role": "manager"}, token=tok)
    check(r.status == 200 and r.json["user"]["role"] == "manager", "role change: %r" % r)
    # The role is read per request: the existing token now has manager rights.
    check(ctx.get("/api/users", token=agent_tok).status == 200, "role change not applied at once")
    expect_error(ctx.post("/api/users", {"email": "x-%s@example.test" % sb.uid(),
                                         "password": "a-good-password"}, token=agent_tok),
                 403, "forbidden")
    r = ctx.put("/api/users/%s/role" % u["id"], {"role": "admin"}, token=tok)
    check(r.status == 200 and r.json["user"]["role"] == "admin", "to admin: %r" % r)
    for bad in ("super_admin", "root", "", None):
        r = ctx.put("/api/users/%s/role" % u["id"], {} if bad is None else {"role": bad},
                    token=tok)
        expect_error(r, 422, "validation_failed")
        check("role" in r.json.get("fields", {}), "fields.role for %r: %r" % (bad, r))
    check(ctx.get("/api/users/" + u["id"], token=tok).json["user"]["role"] == "admin",
          "a refused role change applied")
    # Demoting yourself: 409.
    r = ctx.put("/api/users/%s/role" % s["user"]["id"], {"role": "agent"}, token=tok)
    expect_error(r, 409, "conflict")
    check(ctx.get("/api/users", token=tok).status == 200, "self-demotion went through")
    expect_error(ctx.put("/api/users/usr_nope/role", {"role": "agent"}, token=tok),
                 404, "not_found")


def test_user_deactivate_activate(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    u, pw = _create(ctx, tok)
    session = ctx.login(u["email"], pw)
    check(ctx.get("/api/auth/profile", token=session["token"]).status == 200, "before")
    r = ctx.post("/api/users/%s/deactivate" % u["id"], token=tok)
    check(r.status == 200 and r.json["user"]["is_active"] is False, "deactivate: %r" % r)
    expect_error(ctx.get("/api/auth/profile", token=session["token"]), 401, "unauthorized")
    expect_error(ctx.post("/api/auth/refresh", {"refresh_token": session["refresh_token"]}),
                 401, "unauthorized")
    r = _login(ctx, u["email"], pw)
    expect_error(r, 401, "unauthorized")
    check("token" not in r.json, "a deactivated user got a token: %r" % r)
    r = ctx.post("/api/users/%s/activate" % u["id"], token=tok)
    check(r.status == 200 and r.json["user"]["is_active"] is True, "activate: %r" % r)
    r = _login(ctx, u["email"], pw)
    check(r.status == 200, "login after activate: %r" % r)
    check(ctx.get("/api/auth/profile", token=r.json["token"]).status == 200, "new token")
    # Yourself: 409 and still active.
    expect_error(ctx.post("/api/users/%s/deactivate" % s["user"]["id"], token=tok),
                 409, "conflict")
    check(ctx.get("/api/auth/profile", token=tok).status == 200, "self-deactivation applied")
    expect_error(ctx.post("/api/users/usr_nope/deactivate", token=tok), 404, "not_found")
    expect_error(ctx.post("/api/users/usr_nope/activate", token=tok), 404, "not_found")


# -- list, search, filters, pagination ------------------------------------------------

def test_user_list_pagination(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    made = [s["user"]["id"]] + [_create(ctx, tok)[0]["id"] for _ in range(5)]
    lst = _list(ctx, tok)
    check(lst.get("success") is True and lst["total"] == 6, "total: %r" % lst.get("total"))
    check(lst["pagination"] == {"page": 1, "limit": 25, "total": 6, "total_pages": 1, "pages": 1},
          "default pagination: %r" % lst["pagination"])
    check(sorted(_ids(lst)) == sorted(made), "ids: %r" % _ids(lst))
    for u in lst["users"]:
        _check_user(u)
    seen = []
    for page in (1, 2, 3):
        p = _list(ctx, tok, limit=2, page=page)
        check(len(p["users"]) == 2, "page %d size: %r" % (page, p))
        check(p["pagination"] == {"page": page, "limit": 2, "total": 6, "total_pages": 3, "pages": 3},
              "page %d pagination: %r" % (page, p["pagination"]))
        check(p["total"] == 6, "top-level total on page %d" % page)
        seen += _ids(p)
    check(sorted(seen) == sorted(made), "pages overlap or miss users: %r" % seen)
    p = _list(ctx, tok, limit=2, page=4)
    check(p["users"] == [] and p["total"] == 6, "past the end: %r" % p)
    check(len(_list(ctx, tok, limit=200)["users"]) == 6, "limit=200")
    for params, field in (({"limit": 0}, "limit"), ({"limit": 1000}, "limit"),
                          ({"limit": 201}, "limit"), ({"page": 0}, "page"),
                          ({"limit": "ten"}, "limit")):
        r = ctx.get("/api/users" + _q(**params), token=tok)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s for %r: %r" % (field, params, r))
        r = ctx.get("/api/users/search" + _q(q="x", **params), token=tok)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "search fields.%s: %r" % (field, r))


def test_user_search_literal_wildcards(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    t = sb.uid()
    pct, _ = _create(ctx, tok, first_name="pct%s%%x" % t)          # "pct<t>%x"
    pct_decoy, _ = _create(ctx, tok, first_name="pct%sABx" % t)    # matches an unescaped %
    und, _ = _create(ctx, tok, last_name="und%s_z" % t)           # "und<t>_z"
    und_decoy, _ = _create(ctx, tok, last_name="und%sYz" % t)      # matches an unescaped _
    bs, _ = _create(ctx, tok, last_name="bs%s\\q" % t)              # backslash
    bs_decoy, _ = _create(ctx, tok, last_name="bs%sq" % t)
    email_user, _ = _create(ctx, tok, email="findme-%s@example.test" % t)
    cases = [("pct%s%%" % t, [pct]), ("pct%s" % t, [pct, pct_decoy]),
             ("und%s_" % t, [und]), ("und%s" % t, [und, und_decoy]),
             ("bs%s\\" % t, [bs]), ("%%", []), ("_" * 3 + t, []),
             ("findme-%s" % t, [email_user]), ("FINDME-%s@EXAMPLE" % t, [email_user]),
             ("no-such-%s" % t, [])]
    for text, want in cases:
        want_ids = sorted(u["id"] for u in want)
        a = _list(ctx, tok, search=text)
        b = _list(ctx, tok, path="/api/users/search", q=text)
        for name, lst in (("search=", a), ("q=", b)):
            got = sorted(_ids(lst))
            check(got == want_ids, "%s%r found %r, want %r" % (name, text, got, want_ids))
            check(lst["total"] == len(want_ids), "%s%r total %r" % (name, text, lst["total"]))
            check(lst["pagination"]["total"] == len(want_ids), "pagination.total")
    # Full name "first last".
    full, _ = _create(ctx, tok, first_name="Dorothy" + t, last_name="Vaughan" + t)
    got = _ids(_list(ctx, tok, search="Dorothy%s Vaughan%s" % (t, t)))
    check(got == [full["id"]], "search on the full name: %r" % got)
    # Search combines with role and pagination.
    lst = _list(ctx, tok, path="/api/users/search", q="pct" + t, limit=1)
    check(len(lst["users"]) == 1 and lst["total"] == 2 and
          lst["pagination"]["total_pages"] == 2, "search + limit: %r" % lst)


def test_user_filters(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    m1, _ = _create(ctx, tok, role="manager")
    m2, _ = _create(ctx, tok, role="manager")
    a1, _ = _create(ctx, tok, role="agent")
    a2, _ = _create(ctx, tok, role="agent")
    ad, _ = _create(ctx, tok, role="admin")
    check(ctx.post("/api/users/%s/deactivate" % a2["id"], token=tok).status == 200, "deactivate")
    lst = _list(ctx, tok, role="manager")
    check(sorted(_ids(lst)) == sorted([m1["id"], m2["id"]]) and lst["total"] == 2,
          "role=manager: %r" % _ids(lst))
    check(all(u["role"] == "manager" for u in lst["users"]), "role filter leaks")
    lst = _list(ctx, tok, role="admin")
    check(sorted(_ids(lst)) == sorted([s["user"]["id"], ad["id"]]), "role=admin: %r" % _ids(lst))
    lst = _list(ctx, tok, is_active="false")
    check(_ids(lst) == [a2["id"]] and lst["total"] == 1, "is_active=false: %r" % _ids(lst))
    lst = _list(ctx, tok, is_active="true")
    check(a2["id"] not in _ids(lst) and lst["total"] == 5, "is_active=true: %r" % _ids(lst))
    lst = _list(ctx, tok, role="agent", is_active="true")
    check(_ids(lst) == [a1["id"]], "role=agent&is_active=true: %r" % _ids(lst))
    lst = _list(ctx, tok, path="/api/users/search", q="@example.test", role="agent")
    check(sorted(_ids(lst)) == sorted([a1["id"], a2["id"]]), "search + role: %r" % _ids(lst))
    check(_list(ctx, tok, role="super_admin")["total"] == 0, "role=super_admin")
    for params, field in (({"role": "owner"}, "role"), ({"is_active": "yes"}, "is_active")):
        r = ctx.get("/api/users" + _q(**params), token=tok)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s: %r" % (field, r))


# -- roles ----------------------------------------------------------------------------

def test_user_routes_by_role(ctx):
    s, _ = _tenant(ctx)
    tok = s["token"]
    ag, agpw = _create(ctx, tok, role="agent")
    mg, mgpw = _create(ctx, tok, role="manager")
    agent = ctx.login(ag["email"], agpw)["token"]
    manager = ctx.login(mg["email"], mgpw)["token"]
    new = {"email": "n-%s@example.test" % sb.uid(), "password": "a-good-password"}
    # Agent: no user routes; departments: read only.
    expect_error(ctx.get("/api/users", token=agent), 403, "forbidden")
    expect_error(ctx.get("/api/users/search?q=a", token=agent), 403, "forbidden")
    expect_error(ctx.get("/api/users/" + mg["id"], token=agent), 403, "forbidden")
    expect_error(ctx.post("/api/users", new, token=agent), 403, "forbidden")
    expect_error(ctx.put("/api/users/" + mg["id"], {"first_name": "x"}, token=agent),
                 403, "forbidden")
    expect_error(ctx.put("/api/users/%s/role" % ag["id"], {"role": "admin"}, token=agent),
                 403, "forbidden")
    expect_error(ctx.post("/api/departments", {"name": "Agent dept " + sb.uid(),
                                               "phone_number": "+15551234567"}, token=agent),
                 403, "forbidden")
    check(ctx.get("/api/departments", token=agent).status == 200, "agent may list departments")
    # Manager: read users, not write them.
    check(ctx.get("/api/users", token=manager).status == 200, "manager list")
    check(ctx.get("/api/users/" + ag["id"], token=manager).status == 200, "manager get")
    expect_error(ctx.post("/api/users", new, token=manager), 403, "forbidden")
    expect_error(ctx.delete("/api/users/" + ag["id"], token=manager), 403, "forbidden")
    expect_error(ctx.post("/api/users/%s/deactivate" % ag["id"], token=manager), 403, "forbidden")
    expect_error(ctx.put("/api/users/%s/role" % mg["id"], {"role": "admin"}, token=manager),
                 403, "forbidden")
    # Nothing of it happened.
    lst = _list(ctx, tok)
    check(lst["total"] == 3, "a forbidden write happened: %r" % _ids(lst))
    check(ctx.get("/api/users/" + mg["id"], token=tok).json["user"]["role"] == "manager",
          "manager promoted itself")
    # Tenant admin: no tenant routes.
    expect_error(ctx.get("/api/tenants", token=tok), 403, "forbidden")


# -- isolation ------------------------------------------------------------------------

def test_user_tenant_isolation(ctx):
    sa, _ = _tenant(ctx)
    sb_, _ = _tenant(ctx)
    ta, tb = sa["token"], sb_["token"]
    t = sb.uid()
    victim, vpw = _create(ctx, ta, email="victim-%s@example.test" % t, first_name="Vic" + t)
    p = "/api/users/" + victim["id"]
    expect_error(ctx.get(p, token=tb), 404, "not_found")
    expect_error(ctx.put(p, {"first_name": "owned", "password": "owned-password"}, token=tb),
                 404, "not_found")
    expect_error(ctx.put(p + "/role", {"role": "admin"}, token=tb), 404, "not_found")
    expect_error(ctx.post(p + "/deactivate", token=tb), 404, "not_found")
    expect_error(ctx.post(p + "/activate", token=tb), 404, "not_found")
    expect_error(ctx.delete(p, token=tb), 404, "not_found")
    # A's admin too.
    expect_error(ctx.get("/api/users/" + sa["user"]["id"], token=tb), 404, "not_found")
    expect_error(ctx.delete("/api/users/" + sa["user"]["id"], token=tb), 404, "not_found")
    # B's lists and searches never show A's users.
    lb = _list(ctx, tb, limit=200)
    check(_ids(lb) == [sb_["user"]["id"]] and lb["total"] == 1, "B's list: %r" % _ids(lb))
    for text in (victim["email"], "Vic" + t, "victim", "@example.test"):
        for path, key in (("/api/users", "search"), ("/api/users/search", "q")):
            lst = _list(ctx, tb, path=path, **{key: text})
            check(victim["id"] not in _ids(lst) and sa["user"]["id"] not in _ids(lst),
                  "B finds A's user with %s=%r: %r" % (key, text, _ids(lst)))
    check(_list(ctx, tb, role="agent")["total"] == 0, "B's role filter shows A's agent")
    # A's user is untouched and can still log in with its own password.
    g = ctx.get(p, token=ta)
    check(g.status == 200 and g.json["user"] == victim, "A's user changed: %r" % g)
    check(_login(ctx, victim["email"], vpw).status == 200, "A's user cannot log in")
    expect_error(_login(ctx, victim["email"], "owned-password"), 401, "invalid_credentials")

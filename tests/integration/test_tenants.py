"""Tenants (super_admin): CRUD, status, soft delete, validation, pagination, access."""
import os
import pwd
import re
import subprocess
import urllib.parse
import uuid

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TENANT_FIELDS = {"id", "name", "domain", "status", "plan", "max_agents", "settings",
                 "created_at", "updated_at"}


# -- private helpers ------------------------------------------------------------------


def _q(**params):
    return "?" + urllib.parse.urlencode(params)


def _create(ctx, token, **body):
    body.setdefault("name", "Tenant " + sb.uid())
    r = ctx.post("/api/tenants", body, token=token)
    check(r.status == 201, "create tenant %r: %r" % (body, r))
    return r.json["tenant"]


def _sql(ctx, sql):
    user = "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    p = subprocess.run(["mariadb", "--no-defaults", "-u" + user,
                        "--socket=" + os.path.join(ctx.var, "run", "mysqld.sock"),
                        "switchboard", "-N", "-B", "-e", sql],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "mariadb client failed: %s" % p.stderr.strip())
    return p.stdout


def _check_tenant(t):
    check(isinstance(t, dict) and set(t) == TENANT_FIELDS, "tenant fields: %r" % t)
    check(t["id"].startswith("ten_"), "tenant id: %r" % t["id"])
    check(RFC3339.match(t["created_at"]) and RFC3339.match(t["updated_at"]), "times: %r" % t)


# -- access ---------------------------------------------------------------------------

def test_tenant_routes_refuse_non_super(ctx):
    s, _ = ctx.new_tenant()
    tok, tid = s["token"], s["user"]["tenant_id"]
    expect_error(ctx.get("/api/tenants", token=tok), 403, "forbidden")
    expect_error(ctx.post("/api/tenants", {"name": "Nope " + sb.uid()}, token=tok), 403, "forbidden")
    expect_error(ctx.get("/api/tenants/" + tid, token=tok), 403, "forbidden")
    expect_error(ctx.put("/api/tenants/" + tid, {"plan": "gold"}, token=tok), 403, "forbidden")
    expect_error(ctx.put("/api/tenants/%s/status" % tid, {"status": "suspended"}, token=tok),
                 403, "forbidden")
    expect_error(ctx.delete("/api/tenants/" + tid, token=tok), 403, "forbidden")
    # A manager and an agent neither.
    for role in ("manager", "agent"):
        email, pw = "%s-%s@example.test" % (role, sb.uid()), "pw-" + uuid.uuid4().hex
        check(ctx.post("/api/users", {"email": email, "password": pw, "role": role},
                       token=tok).status == 201, "create %s" % role)
        t = ctx.login(email, pw)["token"]
        expect_error(ctx.get("/api/tenants", token=t), 403, "forbidden")
    expect_error(ctx.get("/api/tenants"), 401, "unauthorized")
    # Nothing happened to the tenant.
    check(ctx.get("/api/auth/profile", token=tok).status == 200, "tenant still active")


# -- CRUD -----------------------------------------------------------------------------

def test_super_admin_tenant_crud(ctx):
    sup = sb.super_admin(ctx)["token"]
    name = "Acme " + sb.uid()
    domain = "acme-%s.example.test" % sb.uid()
    t = _create(ctx, sup, name=name, domain=domain, plan="premium", max_agents=10,
                settings={"locale": "fr", "features": ["ivr", "sms"], "n": 1})
    _check_tenant(t)
    check(t["name"] == name and t["domain"] == domain, "name/domain: %r" % t)
    check(t["plan"] == "premium" and t["max_agents"] == 10, "plan/max_agents: %r" % t)
    check(t["settings"] == {"locale": "fr", "features": ["ivr", "sms"], "n": 1},
          "settings round-trip: %r" % t["settings"])
    check(t["status"] == "active", "default status: %r" % t)
    # Defaults.
    d = _create(ctx, sup)
    check(d["status"] == "active" and d["plan"] == "standard" and d["max_agents"] == 50 and
          d["domain"] is None and d["settings"] is None, "defaults: %r" % d)
    s = _create(ctx, sup, status="suspended")
    check(s["status"] == "suspended", "created suspended: %r" % s)
    # GET.
    g = ctx.get("/api/tenants/" + t["id"], token=sup)
    check(g.status == 200 and g.json.get("success") is True and g.json["tenant"] == t,
          "GET: %r" % g)
    # PUT partial.
    r = ctx.put("/api/tenants/" + t["id"], {"plan": "enterprise"}, token=sup)
    check(r.status == 200, "PUT: %r" % r)
    u = r.json["tenant"]
    check(u["plan"] == "enterprise", "plan: %r" % u)
    for k in ("id", "name", "domain", "status", "max_agents", "settings", "created_at"):
        check(u[k] == t[k], "%s changed by a PUT that did not send it: %r → %r" % (k, t[k], u[k]))
    new_name = "Acme renamed " + sb.uid()
    r = ctx.put("/api/tenants/" + t["id"], {"name": new_name, "max_agents": 99,
                                            "settings": {"x": True}}, token=sup)
    check(r.status == 200 and r.json["tenant"]["name"] == new_name and
          r.json["tenant"]["max_agents"] == 99 and r.json["tenant"]["settings"] == {"x": True} and
          r.json["tenant"]["plan"] == "enterprise", "PUT several: %r" % r)
    # Status.
    r = ctx.put("/api/tenants/%s/status" % t["id"], {"status": "suspended"}, token=sup)
    check(r.status == 200 and r.json["tenant"]["status"] == "suspended", "suspend: %r" % r)
    r = ctx.put("/api/tenants/%s/status" % t["id"], {"status": "active"}, token=sup)
    check(r.status == 200 and r.json["tenant"]["status"] == "active", "activate: %r" % r)
    # List, search, status filter.
    lst = ctx.get("/api/tenants" + _q(search=new_name), token=sup)
    check(lst.status == 200, "list: %r" % lst)
    check([x["id"] for x in lst.json["tenants"]] == [t["id"]] and lst.json["total"] == 1,
          "search by name: %r" % lst.json)
    lst = ctx.get("/api/tenants" + _q(search=domain), token=sup).json
    check([x["id"] for x in lst["tenants"]] == [t["id"]], "search by domain: %r" % lst)
    lst = ctx.get("/api/tenants" + _q(status="suspended", limit=200), token=sup).json
    check(all(x["status"] == "suspended" for x in lst["tenants"]), "status filter leaks")
    # Soft delete.
    r = ctx.delete("/api/tenants/" + d["id"], token=sup)
    check(r.status == 200 and r.json.get("success") is True and
          isinstance(r.json.get("message"), str), "DELETE: %r" % r)
    check(_sql(ctx, "SELECT status FROM tenants WHERE id = '%s'" % d["id"]).strip() == "deleted",
          "soft delete: the row must remain with status deleted")
    g = ctx.get("/api/tenants/" + d["id"], token=sup)
    check(g.status == 200 and g.json["tenant"]["status"] == "deleted",
          "GET of a soft-deleted tenant: %r" % g)
    expect_error(ctx.delete("/api/tenants/" + d["id"], token=sup), 404, "not_found")


def test_tenant_delete_blocks_its_users(ctx):
    sup = sb.super_admin(ctx)["token"]
    victim, pw = ctx.new_tenant()
    tid = victim["user"]["tenant_id"]
    check(ctx.get("/api/auth/profile", token=victim["token"]).status == 200, "before")
    r = ctx.delete("/api/tenants/" + tid, token=sup)
    check(r.status == 200, "DELETE: %r" % r)
    expect_error(ctx.get("/api/auth/profile", token=victim["token"]), 401, "unauthorized")
    expect_error(ctx.post("/api/auth/refresh", {"refresh_token": victim["refresh_token"]}),
                 401, "unauthorized")
    r = ctx.post("/api/auth/login", {"email": victim["user"]["email"], "password": pw})
    check(r.status == 401 and "token" not in (r.json or {}), "login after delete: %r" % r)
    expect_error(r, 401)
    # A deleted tenant is hidden from the default list but found with status=deleted.
    name = ctx.get("/api/tenants/" + tid, token=sup).json["tenant"]["name"]
    lst = ctx.get("/api/tenants" + _q(search=name), token=sup).json
    check(lst["total"] == 0, "deleted tenant in the default list: %r" % lst)
    lst = ctx.get("/api/tenants" + _q(search=name, status="deleted"), token=sup).json
    check([x["id"] for x in lst["tenants"]] == [tid], "status=deleted: %r" % lst)


def test_suspend_tenant_revokes_access_at_once(ctx):
    sup = sb.super_admin(ctx)["token"]
    victim, pw = ctx.new_tenant()
    tid, email, tok = victim["user"]["tenant_id"], victim["user"]["email"], victim["token"]
    check(ctx.get("/api/departments", token=tok).status == 200, "before suspension")
    r = ctx.put("/api/tenants/%s/status" % tid, {"status": "suspended"}, token=sup)
    check(r.status == 200 and r.json["tenant"]["status"] == "suspended", "suspend: %r" % r)
    # At once: the very next requests.
    for path in ("/api/auth/profile", "/api/departments", "/api/users"):
        expect_error(ctx.get(path, token=tok), 401, "unauthorized")
    r = ctx.post("/api/auth/login", {"email": email, "password": pw})
    expect_error(r, 401, "unauthorized")
    check("token" not in r.json, "a suspended tenant's login issued a token")
    expect_error(ctx.post("/api/auth/refresh", {"refresh_token": victim["refresh_token"]}),
                 401, "unauthorized")
    # The same via PUT /api/tenants/:id with status.
    r = ctx.put("/api/tenants/%s/status" % tid, {"status": "active"}, token=sup)
    check(r.status == 200 and r.json["tenant"]["status"] == "active", "re-activate: %r" % r)
    r = ctx.post("/api/auth/login", {"email": email, "password": pw})
    check(r.status == 200, "login after re-activation: %r" % r)
    check(ctx.get("/api/departments", token=r.json["token"]).status == 200, "new token works")
    r = ctx.put("/api/tenants/" + tid, {"status": "suspended"}, token=sup)
    check(r.status == 200 and r.json["tenant"]["status"] == "suspended", "PUT status: %r" % r)
    expect_error(ctx.post("/api/auth/login", {"email": email, "password": pw}),
                 401, "unauthorized")
    check(ctx.put("/api/tenants/%s/status" % tid, {"status": "active"}, token=sup).status == 200,
          "re-activate again")
    check(ctx.post("/api/auth/login", {"email": email, "password": pw}).status == 200,
          "login after the second re-activation")


def test_tenant_validation(ctx):
    sup = sb.super_admin(ctx)["token"]
    t = _create(ctx, sup, domain="v-%s.example.test" % sb.uid())
    cases = [({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"),
             ({"name": None}, "name"), ({"name": 5}, "name"), ({"name": "x" * 256}, "name"),
             ({"name": "S " + sb.uid(), "status": "bogus"}, "status"),
             ({"name": "S " + sb.uid(), "status": "deleted"}, "status"),
             ({"name": "S " + sb.uid(), "max_agents": "ten"}, "max_agents"),
             ({"name": "S " + sb.uid(), "max_agents": 0}, "max_agents"),
             ({"name": "S " + sb.uid(), "settings": "nope"}, "settings"),
             ({"name": "S " + sb.uid(), "domain": ""}, "domain")]
    for body, field in cases:
        r = ctx.post("/api/tenants", body, token=sup)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s for %r: %r" % (field, body, r))
    for body in ({}, {"status": "bogus"}, {"status": "deleted"}, {"status": None}):
        r = ctx.put("/api/tenants/%s/status" % t["id"], body, token=sup)
        expect_error(r, 422, "validation_failed")
        check("status" in r.json.get("fields", {}), "status PUT %r: %r" % (body, r))
    r = ctx.put("/api/tenants/" + t["id"], {"status": "bogus"}, token=sup)
    expect_error(r, 422, "validation_failed")
    check("status" in r.json.get("fields", {}), "PUT status bogus: %r" % r)
    check(ctx.get("/api/tenants/" + t["id"], token=sup).json["tenant"]["status"] == "active",
          "a refused status applied")
    # Duplicates: name (also one made by registration) and domain.
    expect_error(ctx.post("/api/tenants", {"name": t["name"]}, token=sup), 409, "conflict")
    reg, _ = ctx.new_tenant()
    reg_name = ctx.get("/api/tenants/" + reg["user"]["tenant_id"], token=sup).json["tenant"]["name"]
    expect_error(ctx.post("/api/tenants", {"name": reg_name}, token=sup), 409, "conflict")
    expect_error(ctx.post("/api/tenants", {"name": "D " + sb.uid(), "domain": t["domain"]},
                          token=sup), 409, "conflict")
    other = _create(ctx, sup)
    expect_error(ctx.put("/api/tenants/" + other["id"], {"name": t["name"]}, token=sup),
                 409, "conflict")
    check(ctx.get("/api/tenants/" + other["id"], token=sup).json["tenant"]["name"] ==
          other["name"], "a 409 PUT renamed the tenant")
    # Register with a name a super_admin created.
    r = ctx.post("/api/auth/register", {"tenant_name": other["name"],
                                        "email": "r-%s@example.test" % sb.uid(),
                                        "password": "a-good-password"})
    expect_error(r, 409, "conflict")


def test_tenant_names_differing_in_emoji_are_distinct(ctx):
    tag = sb.uid()
    names = ["Org \U0001f34e " + tag, "Org \U0001f34c " + tag]
    for n in names:
        r = ctx.post("/api/auth/register", {"tenant_name": n,
                                            "email": "e-%s@example.test" % sb.uid(),
                                            "password": "a-good-password"})
        check(r.status == 201, "register %r: %r" % (n, r))
        check(r.json["tenant"]["name"] == n, "tenant name changed: %r" % r.json["tenant"])
    r = ctx.post("/api/auth/register", {"tenant_name": names[0],
                                        "email": "e-%s@example.test" % sb.uid(),
                                        "password": "a-good-password"})
    expect_error(r, 409, "conflict")


def test_tenant_unknown_id(ctx):
    sup = sb.super_admin(ctx)["token"]
    for path in ("/api/tenants/ten_doesnotexist", "/api/tenants/%27%20OR%20%271%27%3D%271"):
        expect_error(ctx.get(path, token=sup), 404, "not_found")
        expect_error(ctx.put(path, {"plan": "x"}, token=sup), 404, "not_found")
        expect_error(ctx.put(path + "/status", {"status": "suspended"}, token=sup),
                     404, "not_found")
        expect_error(ctx.delete(path, token=sup), 404, "not_found")


def test_tenant_list_pagination(ctx):
    sup = sb.super_admin(ctx)["token"]
    tag = sb.uid()
    made = [_create(ctx, sup, name="Page %s %d" % (tag, i))["id"] for i in range(5)]
    r = ctx.get("/api/tenants", token=sup)
    check(r.status == 200 and r.json.get("success") is True, "list: %r" % r)
    pg = r.json.get("pagination")
    check(isinstance(pg, dict) and set(pg) == {"page", "limit", "total", "total_pages"},
          "pagination fields: %r" % pg)
    check(pg["page"] == 1 and pg["limit"] == 25 and pg["total"] == r.json.get("total") and
          pg["total_pages"] == (pg["total"] + 24) // 25, "pagination values: %r" % pg)
    check(r.json["total"] >= 6 and len(r.json["tenants"]) == min(25, r.json["total"]),
          "list size: %r" % r.json["total"])
    for t in r.json["tenants"]:
        _check_tenant(t)
    seen = []
    for page in (1, 2, 3):
        lst = ctx.get("/api/tenants" + _q(search="Page " + tag, limit=2, page=page),
                      token=sup).json
        check(lst["total"] == 5 and lst["pagination"] == {"page": page, "limit": 2, "total": 5,
                                                          "total_pages": 3},
              "page %d: %r" % (page, lst))
        check(len(lst["tenants"]) == (2 if page < 3 else 1), "page %d size" % page)
        seen += [x["id"] for x in lst["tenants"]]
    check(sorted(seen) == sorted(made), "pages: %r vs %r" % (seen, made))
    # Search with LIKE metacharacters matches literally.
    _create(ctx, sup, name="Pct %s 100%% off" % tag)
    _create(ctx, sup, name="Pct %s 100x off" % tag)
    lst = ctx.get("/api/tenants" + _q(search="%s 100%%" % tag), token=sup).json
    check(lst["total"] == 1 and lst["tenants"][0]["name"] == "Pct %s 100%% off" % tag,
          "search %% literally: %r" % lst)
    for params, field in (({"limit": 0}, "limit"), ({"limit": 1000}, "limit"),
                          ({"page": 0}, "page"), ({"status": "bogus"}, "status")):
        r = ctx.get("/api/tenants" + _q(**params), token=sup)
        expect_error(r, 422, "validation_failed")
        check(field in r.json.get("fields", {}), "fields.%s: %r" % (field, r))


def test_super_admin_own_tenant_scope(ctx):
    """super_admin may call tenant-scoped routes; it acts within its own tenant."""
    sess = sb.super_admin(ctx)
    sup, own = sess["token"], sess["user"]["tenant_id"]
    other, _ = ctx.new_tenant()
    r = ctx.post("/api/departments", {"name": "Super dept " + sb.uid(),
                                      "phone_number": "+15551234567"}, token=sup)
    check(r.status == 201 and r.json["department"]["tenant_id"] == own, "super dept: %r" % r)
    lst = ctx.get("/api/users", token=sup)
    check(lst.status == 200, "super lists users: %r" % lst)
    check(all(u["tenant_id"] == own for u in lst.json["users"]), "users of other tenants")
    check(other["user"]["id"] not in [u["id"] for u in lst.json["users"]], "other tenant's admin")
    expect_error(ctx.get("/api/users/" + other["user"]["id"], token=sup), 404, "not_found")
    lst = ctx.get("/api/departments", token=sup).json
    check(all(d["tenant_id"] == own for d in lst["departments"]), "departments of others")

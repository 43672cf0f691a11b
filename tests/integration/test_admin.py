"""The platform admin (calldocker, super_admin): sign-in, another super_admin, the
dashboard's figures and activity, analytics, company status, widget and embed code, and
the admin's own profile; a tenant's admin is refused (403) everywhere."""
import uuid

import sb
from sb import cd_data, cd_page, check, expect_cd_error

REG = "/api/company-registrations"


def _approved_company(ctx, sup):
    """A company made by an approved registration: (tenant id, admin email, password)."""
    u = sb.uid()
    pw = "pw-" + uuid.uuid4().hex
    email = "boss-%s@example.test" % u
    g = cd_data(ctx.post(REG, {"company_name": "Adm Co " + u, "first_name": "B",
                               "last_name": "C", "email": email, "password": pw,
                               "phone": "+15557654321"}), 201)
    a = cd_data(ctx.put(REG + "/" + g["id"] + "/approve", token=sup))
    return a["tenant_id"], email, pw


def test_admin_routes_refuse_a_tenant_admin(ctx):
    admin, tid = sb.tenant(ctx)
    gets = ["/api/admin/dashboard/stats", "/api/admin/dashboard/activity",
            "/api/admin/companies", "/api/admin/companies/" + tid,
            "/api/admin/companies/%s/widget" % tid, "/api/admin/analytics",
            "/api/admin/profile"]
    for path in gets:
        expect_cd_error(ctx.get(path), 401)
        expect_cd_error(ctx.get(path, token=admin), 403)
    expect_cd_error(ctx.request("PATCH", "/api/admin/companies/%s/status" % tid,
                                {"status": "suspended"}, token=admin), 403)
    expect_cd_error(ctx.post("/api/admin/create-admin", {"email": "x@example.test",
                                                         "password": "12345678"}, token=admin),
                    403)
    expect_cd_error(ctx.post("/api/admin/companies/%s/embed-code" % tid, token=admin), 403)


def test_admin_login_only_super_admin(ctx):
    s = sb.super_admin(ctx)
    r = ctx.post("/api/admin/login", {"email": s["user"]["email"], "password": s["password"]})
    d = cd_data(r)
    check(isinstance(d.get("token"), str) and d["user"]["role"] == "super_admin" and
          d["user"]["id"] == s["user"]["id"] and d["user"]["status"] == "active" and
          {"email", "first_name", "last_name"} <= set(d["user"]), "admin login: %r" % r)
    check(cd_data(ctx.get("/api/admin/profile", token=d["token"]))["id"] == s["user"]["id"],
          "the token works")
    other, pw = ctx.new_tenant()
    r = ctx.post("/api/admin/login", {"email": other["user"]["email"], "password": pw})
    expect_cd_error(r, 403)
    check("super_admin" in r.json["message"], "a clear message: %r" % r)
    expect_cd_error(ctx.post("/api/admin/login", {"email": s["user"]["email"],
                                                  "password": "wrong-password"}), 401)
    expect_cd_error(ctx.post("/api/admin/login", {"email": s["user"]["email"]}), 422,
                    "password")


def test_admin_create_admin(ctx):
    s = sb.super_admin(ctx)
    email = "newsuper-%s@example.test" % sb.uid()
    pw = "pw-" + uuid.uuid4().hex
    expect_cd_error(ctx.post("/api/admin/create-admin", {"email": email, "password": "short"},
                             token=s["token"]), 422, "password")
    u = cd_data(ctx.post("/api/admin/create-admin", {"email": email, "password": pw,
                                                     "first_name": "New"}, token=s["token"]),
                201)
    check(u["role"] == "super_admin" and u["tenant_id"] == s["user"]["tenant_id"] and
          "password_hash" not in u, "new admin: %r" % u)
    d = cd_data(ctx.post("/api/admin/login", {"email": email, "password": pw}))
    check(d["user"]["role"] == "super_admin", "the new admin signs in: %r" % d)
    expect_cd_error(ctx.post("/api/admin/create-admin", {"email": email, "password": pw},
                             token=s["token"]), 409)


def test_admin_dashboard_activity_analytics(ctx):
    sup = sb.super_admin(ctx)["token"]
    before = cd_data(ctx.get("/api/admin/dashboard/stats", token=sup))
    keys = {"companies_total", "companies_active", "companies_suspended", "users_total",
            "agents_total", "calls_today", "registrations_pending"}
    check(set(before) == keys and all(isinstance(before[k], int) for k in keys),
          "stats: %r" % before)
    cd_data(ctx.post(REG, {"company_name": "Pend " + sb.uid(), "first_name": "P",
                           "last_name": "Q", "email": "p-%s@example.test" % sb.uid(),
                           "password": "pw-" + uuid.uuid4().hex, "phone": "+15550001111"}), 201)
    tid, _, _ = _approved_company(ctx, sup)
    after = cd_data(ctx.get("/api/admin/dashboard/stats", token=sup))
    check(after["registrations_pending"] >= before["registrations_pending"] + 1 and
          after["companies_total"] >= before["companies_total"] + 1 and
          after["companies_active"] >= before["companies_active"] + 1, "%r" % after)
    items, p = cd_page(ctx.get("/api/admin/dashboard/activity?company_id=%s&limit=5" % tid,
                               token=sup))
    check(p["limit"] == 5 and [x["action"] for x in items] == ["company.provisioned"] and
          items[0]["company_id"] == tid and items[0]["company_name"].startswith("Adm Co"),
          "activity: %r" % items)
    items, p = cd_page(ctx.get("/api/admin/dashboard/activity?limit=3", token=sup))
    check(len(items) == 3 and p["total"] >= 3 and
          items[0]["created_at"] >= items[-1]["created_at"], "newest first: %r" % items)
    rows, p = cd_page(ctx.get("/api/admin/analytics?days=7&limit=200", token=sup))
    mine = [x for x in rows if x["company_id"] == tid]
    check(len(mine) == 1 and mine[0]["calls"] == 0 and mine[0]["chats"] == 0 and
          mine[0]["tickets"] == 0 and p["total"] >= len(rows), "analytics: %r" % mine)
    expect_cd_error(ctx.get("/api/admin/analytics?days=0", token=sup), 422, "days")


def test_admin_company_status_and_delete(ctx):
    sup = sb.super_admin(ctx)
    tid, email, pw = _approved_company(ctx, sup["token"])
    co = cd_data(ctx.get("/api/admin/companies/" + tid, token=sup["token"]))
    check(co["id"] == tid and co["counts"]["users_count"] == 1, "with counts: %r" % co)
    token = ctx.login(email, pw)["token"]
    check(ctx.get("/api/companies/" + tid, token=token).status == 200, "works before")
    path = "/api/admin/companies/%s/status" % tid
    expect_cd_error(ctx.request("PATCH", path, {"status": "paused"}, token=sup["token"]), 422,
                    "status")
    d = cd_data(ctx.request("PATCH", path, {"status": "suspended"}, token=sup["token"]))
    check(d["status"] == "suspended", "suspended: %r" % d)
    expect_cd_error(ctx.get("/api/companies/" + tid, token=token), 401)
    check(ctx.post("/api/auth/login", {"email": email, "password": pw}).status == 401,
          "a suspended company's admin cannot sign in")
    cd_data(ctx.request("PATCH", path, {"status": "active"}, token=sup["token"]))
    check(ctx.get("/api/companies/" + tid, token=token).status == 200, "works again")
    own = "/api/admin/companies/%s/status" % sup["user"]["tenant_id"]
    expect_cd_error(ctx.request("PATCH", own, {"status": "suspended"}, token=sup["token"]), 409)
    expect_cd_error(ctx.request("PATCH", "/api/admin/companies/ten_nope/status",
                                {"status": "active"}, token=sup["token"]), 404)
    expect_cd_error(ctx.get("/api/admin/companies/ten_nope", token=sup["token"]), 404)
    r = ctx.delete("/api/admin/companies/" + tid, token=sup["token"])
    check(r.status == 200 and r.json["success"] is True, "delete: %r" % r)
    check(ctx.post("/api/auth/login", {"email": email, "password": pw}).status == 401,
          "a deleted company's admin cannot sign in")


def test_admin_widget_and_embed_code(ctx):
    sup = sb.super_admin(ctx)["token"]
    tid, _, _ = _approved_company(ctx, sup)
    w = cd_data(ctx.get("/api/admin/companies/%s/widget" % tid, token=sup))
    check(w["company_id"] == tid and w["public_key"].startswith("pk_") and
          w["allowed_origins"] == [] and w["is_active"] == 1, "widget: %r" % w)
    up = cd_data(ctx.put("/api/admin/companies/%s/widget" % tid,
                         {"greeting_message": "Hello!", "is_active": False}, token=sup))
    check(up["greeting_message"] == "Hello!" and up["is_active"] == 0 and
          up["public_key"] == w["public_key"], "updated: %r" % up)
    expect_cd_error(ctx.put("/api/admin/companies/%s/widget" % tid, {"name": ""}, token=sup),
                    422, "name")
    # the checks of /api/chat/widgets: origins normalised, settings bounded, own schedule
    up = cd_data(ctx.put("/api/admin/companies/%s/widget" % tid,
                         {"allowed_origins": ["HTTPS://Shop.Example.com"],
                          "settings": {"max_wait_seconds": 60}}, token=sup))
    check(up["allowed_origins"] == ["https://shop.example.com"] and
          up["settings"] == {"max_wait_seconds": 60}, "origins and settings: %r" % up)
    for body, field in (({"allowed_origins": ["not a url"]}, "allowed_origins"),
                        ({"settings": {"max_wait_seconds": 1}}, "settings"),
                        ({"schedule_id": "sch_nope"}, "schedule_id")):
        expect_cd_error(ctx.put("/api/admin/companies/%s/widget" % tid, body, token=sup), 422,
                        field)
    e = cd_data(ctx.post("/api/admin/companies/%s/embed-code" % tid, token=sup))
    check(w["public_key"] in e["embed_code"] and e["embed_code"].startswith("<script") and
          e["widget_key"] == w["public_key"], "embed: %r" % e)
    _, bare = sb.tenant(ctx)
    expect_cd_error(ctx.get("/api/admin/companies/%s/widget" % bare, token=sup), 404)
    expect_cd_error(ctx.post("/api/admin/companies/ten_nope/embed-code", token=sup), 404)


def test_admin_profile(ctx):
    s = sb.super_admin(ctx)
    p = cd_data(ctx.get("/api/admin/profile", token=s["token"]))
    check(p["id"] == s["user"]["id"] and p["role"] == "super_admin", "profile: %r" % p)
    p = cd_data(ctx.put("/api/admin/profile", {"first_name": "Root"}, token=s["token"]))
    check(p["first_name"] == "Root", "changed: %r" % p)
    expect_cd_error(ctx.put("/api/admin/profile", {"email": "nope"}, token=s["token"]), 422,
                    "email")

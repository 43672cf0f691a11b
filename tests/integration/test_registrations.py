"""Company registrations (calldocker): a public sign-up stored with the password hashed,
a super_admin's list, summary, approval that provisions everything in one transaction or
nothing, rejection, and the idempotent setup routes."""
import concurrent.futures
import threading
import uuid

import sb
from sb import cd_data, cd_page, check, expect_cd_error

REG = "/api/company-registrations"


def _body(**kw):
    u = sb.uid()
    b = {"company_name": "Reg Co " + u, "domain": "reg-%s.example" % u, "first_name": "Ada",
         "last_name": "Admin", "email": "owner-%s@example.test" % u,
         "password": "pw-" + uuid.uuid4().hex, "phone": "+15551234567"}
    b.update(kw)
    return b


def _register(ctx, **kw):
    b = _body(**kw)
    g = cd_data(ctx.post(REG, b), 201)
    return g, b


def _count(ctx, query):
    return int(sb.sql(ctx, query).strip() or 0)


def _login(ctx, email, pw):
    return ctx.post("/api/auth/login", {"email": email, "password": pw})


def test_registration_sign_up_shape_and_hash(ctx):
    g, b = _register(ctx)
    check(g["id"].startswith("reg_") and g["status"] == "pending" and g["tenant_id"] is None,
          "registration: %r" % g)
    check(g["company_name"] == b["company_name"] and g["email"] == b["email"] and
          g["phone"] == "+15551234567", "fields: %r" % g)
    check("password" not in g and "password_hash" not in g, "no password answered: %r" % g)
    stored = sb.sql(ctx, "SELECT password_hash FROM company_registrations WHERE id = '%s'"
                    % g["id"]).strip()
    check(stored.startswith("$argon2id$") and b["password"] not in stored, "hash: %r" % stored)
    r = ctx.post(REG, {"company_name": "x", "email": "not-an-email", "password": "short"})
    expect_cd_error(r, 422, "email")
    for f in ("password", "phone", "first_name", "last_name"):
        check(f in sb.fields(r), "422 names %s: %r" % (f, r))
    # the admin's names also arrive as admin_*
    b2 = _body(admin_first_name="Bo", admin_last_name="Lee",
               admin_email="alias-%s@example.test" % sb.uid())
    for k in ("first_name", "last_name", "email"):
        del b2[k]
    g2 = cd_data(ctx.post(REG, b2), 201)
    check(g2["first_name"] == "Bo" and g2["email"].startswith("alias-"), "aliases: %r" % g2)


def test_registration_reads_are_super_admin_only(ctx):
    g, _ = _register(ctx)
    admin, _ = sb.tenant(ctx)
    for path in (REG, REG + "/" + g["id"], REG + "/stats/summary", REG + "/overview/setup"):
        expect_cd_error(ctx.get(path), 401)
        expect_cd_error(ctx.get(path, token=admin), 403)
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/approve", token=admin), 403)
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/reject", {"reason": "x"}, token=admin), 403)
    sup = sb.super_admin(ctx)["token"]
    check(cd_data(ctx.get(REG + "/" + g["id"], token=sup))["id"] == g["id"], "get")
    expect_cd_error(ctx.get(REG + "/reg_nope", token=sup), 404)
    items, p = cd_page(ctx.get(REG + "?status=pending&limit=200", token=sup))
    check(g["id"] in [x["id"] for x in items] and all(x["status"] == "pending" for x in items),
          "filter: %r" % p)
    check(all("password_hash" not in x for x in items), "no hash in the list")
    expect_cd_error(ctx.get(REG + "?status=maybe", token=sup), 422, "status")


def test_registration_pending_cannot_log_in_approved_can(ctx):
    sup = sb.super_admin(ctx)["token"]
    g, b = _register(ctx)
    check(_login(ctx, b["email"], b["password"]).status == 401, "a pending one cannot log in")
    a = cd_data(ctx.put(REG + "/" + g["id"] + "/approve", token=sup))
    tid = a["tenant_id"]
    check(a["status"] == "approved" and tid.startswith("ten_") and a["reviewed_at"],
          "approved: %r" % a)
    r = _login(ctx, b["email"], b["password"])
    check(r.status == 200, "the approved admin logs in: %r" % r)
    user = r.json["user"]
    check(user["role"] == "admin" and user["tenant_id"] == tid and user["first_name"] == "Ada",
          "admin user: %r" % user)
    token = r.json["token"]
    co = cd_data(ctx.get("/api/companies/" + tid, token=token))
    check(co["name"] == b["company_name"] and co["domain"] == b["domain"], "company: %r" % co)
    depts = sb.sql(ctx, "SELECT name, phone_number FROM departments WHERE tenant_id = '%s'"
                        " ORDER BY name" % tid).split("\n")
    check(depts[:3] == ["Billing\t+15551234567", "Sales\t+15551234567",
                        "Support\t+15551234567"], "departments: %r" % depts)
    check(_count(ctx, "SELECT COUNT(*) FROM chat_widgets WHERE tenant_id = '%s'" % tid) == 1,
          "one widget")
    check(_count(ctx, "SELECT COUNT(*) FROM audit_logs WHERE action ="
                      " 'company_registration.approve' AND entity_id = '%s'" % g["id"]) == 1 and
          _count(ctx, "SELECT COUNT(*) FROM audit_logs WHERE tenant_id = '%s'"
                      " AND action = 'company.provisioned'" % tid) == 1, "audited")
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/approve", token=sup), 409)
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/reject", {"reason": "late"}, token=sup), 409)
    # setup: nothing missing, nothing made; a missing default is made again
    s = cd_data(ctx.post(REG + "/" + g["id"] + "/setup-departments", token=sup))
    check(s["created"] == 0 and len(s["departments"]) == 3 and s["tenant_id"] == tid,
          "setup-departments idempotent: %r" % s)
    # the company's admin deletes one (its cached list is read without it), setup re-makes
    # it, and the admin's list shows it again (setup moved that tenant's cached list)
    sales = [d["id"] for d in s["departments"] if d["name"] == "Sales"][0]
    check(ctx.delete("/api/departments/" + sales, token=token).status == 200, "delete Sales")
    names = lambda: sorted(d["name"] for d in  # noqa: E731
                           ctx.get("/api/departments", token=token).json["departments"])
    check(names() == ["Billing", "Support"], "cached without Sales: %r" % names())
    s = cd_data(ctx.post(REG + "/" + g["id"] + "/setup-departments", token=sup))
    check(s["created"] == 1 and "Sales" in [d["name"] for d in s["departments"]], "re-made: %r" % s)
    check(names() == ["Billing", "Sales", "Support"], "the list moved: %r" % names())
    w = cd_data(ctx.post(REG + "/" + g["id"] + "/setup-widget", token=sup))
    check(w["created"] == 0 and w["widget"]["public_key"].startswith("pk_"), "widget: %r" % w)
    sb.sql(ctx, "DELETE FROM chat_widgets WHERE tenant_id = '%s'" % tid)
    w = cd_data(ctx.post(REG + "/" + g["id"] + "/setup-widget", token=sup))
    check(w["created"] == 1 and w["widget"]["public_key"].startswith("pk_"), "widget: %r" % w)
    ov, p = cd_page(ctx.get(REG + "/overview/setup?limit=200", token=sup))
    mine = [x for x in ov if x["registration_id"] == g["id"]]
    check(len(mine) == 1 and mine[0]["tenant_id"] == tid and mine[0]["departments_count"] == 3
          and mine[0]["has_widget"] is True and mine[0]["setup_complete"] is True,
          "overview: %r" % mine)


def test_registration_approval_is_all_or_nothing(ctx):
    sup = sb.super_admin(ctx)["token"]
    # the e-mail already names a user: the tenant is written first, then refused
    taken, _ = ctx.new_tenant()
    g, b = _register(ctx, email=taken["user"]["email"])
    r = ctx.put(REG + "/" + g["id"] + "/approve", token=sup)
    expect_cd_error(r, 409)
    check("email" in r.json["message"], "says why: %r" % r)
    check(_count(ctx, "SELECT COUNT(*) FROM tenants WHERE name = '%s'" % b["company_name"]) == 0,
          "no tenant left behind")
    check(_count(ctx, "SELECT COUNT(*) FROM users WHERE email = '%s'" % b["email"]) == 1,
          "no second user")
    check(cd_data(ctx.get(REG + "/" + g["id"], token=sup))["status"] == "pending", "still pending")
    # the company name taken between sign-up and approval
    g2, b2 = _register(ctx)
    cd_data(ctx.post("/api/companies", {"name": b2["company_name"]}, token=sup), 201)
    expect_cd_error(ctx.put(REG + "/" + g2["id"] + "/approve", token=sup), 409)
    check(_count(ctx, "SELECT COUNT(*) FROM users WHERE email = '%s'" % b2["email"]) == 0,
          "no user")
    check(_count(ctx, "SELECT COUNT(*) FROM departments d JOIN tenants t ON t.id = d.tenant_id"
                      " WHERE t.name = '%s'" % b2["company_name"]) == 0, "no departments")
    # and at sign-up a taken name or domain is refused at once, a deleted company's too
    expect_cd_error(ctx.post(REG, _body(company_name=b2["company_name"])), 409)
    gone = cd_data(ctx.post("/api/companies", {"name": "Gone " + sb.uid(),
                                               "domain": "gone-%s.example" % sb.uid()},
                            token=sup), 201)
    check(ctx.delete("/api/companies/" + gone["id"], token=sup).status == 200, "deleted")
    expect_cd_error(ctx.post(REG, _body(company_name=gone["name"])), 409)
    expect_cd_error(ctx.post(REG, _body(domain=gone["domain"])), 409)
    expect_cd_error(ctx.post(REG + "/" + g2["id"] + "/setup-widget", token=sup), 409)


def test_registration_reject_and_summary(ctx):
    sup = sb.super_admin(ctx)["token"]
    before = cd_data(ctx.get(REG + "/stats/summary", token=sup))
    check(set(before) == {"total", "pending", "approved", "rejected"}, "summary: %r" % before)
    g, b = _register(ctx)
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/reject", {}, token=sup), 422, "reason")
    rj = cd_data(ctx.put(REG + "/" + g["id"] + "/reject", {"reason": "Not a business"},
                         token=sup))
    check(rj["status"] == "rejected" and rj["rejection_reason"] == "Not a business" and
          rj["tenant_id"] is None, "rejected: %r" % rj)
    expect_cd_error(ctx.put(REG + "/" + g["id"] + "/approve", token=sup), 409)
    expect_cd_error(ctx.post(REG + "/" + g["id"] + "/setup-departments", token=sup), 409)
    check(_login(ctx, b["email"], b["password"]).status == 401, "a rejected one cannot log in")
    after = cd_data(ctx.get(REG + "/stats/summary", token=sup))
    check(after["rejected"] >= before["rejected"] + 1 and after["total"] >= before["total"] + 1
          and after["total"] == after["pending"] + after["approved"] + after["rejected"],
          "summary: %r -> %r" % (before, after))


def _burst(ctx, n, method, path, body=None, token=None):
    """n requests at once from one new address: their statuses, counted."""
    source = sb.random_loopback()
    barrier = threading.Barrier(n, timeout=60)

    def one(_):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return ctx.request(method, path, body=body, token=token, source=source, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        results = list(ex.map(one, range(n)))
    by = {}
    for r in results:
        key = (r.status, ((r.json or {}).get("code") or "").lower() or None)
        by[key] = by.get(key, 0) + 1
    return by


def test_registration_sign_up_and_admin_login_are_rate_limited(ctx):
    """nginx limits a company's sign-up (POST only) and the admin's sign-in per address,
    as it does /api/auth/register and /api/auth/login (bodies refused by the pool, so the
    argon2 hash is not what is measured)."""
    by = _burst(ctx, 200, "POST", REG, {"company_name": "x"})
    check(by.get((429, "rate_limited"), 0) > 0, "sign-up not limited: %r" % by)
    check(set(by) <= {(422, "validation_failed"), (429, "rate_limited")}, "others: %r" % by)
    by = _burst(ctx, 200, "POST", "/api/admin/login", {"email": "a@example.test"})
    check(by.get((429, "rate_limited"), 0) > 0, "admin login not limited: %r" % by)
    sup = sb.super_admin(ctx)["token"]
    by = _burst(ctx, 200, "GET", REG + "?limit=1", token=sup)
    check(set(by) == {(200, None)}, "the list's GET is not limited: %r" % by)

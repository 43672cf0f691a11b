"""GET /api/audit-logs (issue 9): who did what to which record, for a tenant's admins;
filters by user, action, resource type and id, and time; newest first, paged and by cursor;
401/403/422; another tenant's entries never show."""
import time

import sb
from sb import check, expect_cc_error, cc_data

V1 = "/api/v1/audit-logs"


def _write_some(ctx, admin, manager):
    """Two contacts by the admin (one changed), one department by the manager."""
    a = cc_data(ctx.post("/api/v1/contacts", {"first_name": "Audited"}, token=admin), 201)
    ctx.put("/api/v1/contacts/" + a["id"], {"notes": "n"}, token=admin)
    b = cc_data(ctx.post("/api/v1/contacts", {"first_name": "Other"}, token=admin), 201)
    d = ctx.post("/api/departments", {"name": "D " + sb.uid(), "phone_number": "+15550001111"},
                 token=manager).json["department"]
    return a, b, d


def test_audit_log_list_and_filters(ctx):
    s, _ = ctx.new_tenant()
    admin, admin_id = s["token"], s["user"]["id"]
    mgr_s = sb.user(ctx, admin, "manager")
    mgr_id = mgr_s["user"]["id"]
    a, b, d = _write_some(ctx, admin, mgr_s["token"])
    r = ctx.get(V1 + "?page_size=200", token=admin)
    rows = cc_data(r)
    acts = [(x["action"], x["resource_id"]) for x in rows]
    # Newest first: the department, then contact b, the update and create of a.
    check(acts[:4] == [("department.create", d["id"]), ("contact.create", b["id"]),
                       ("contact.update", a["id"]), ("contact.create", a["id"])],
          "newest first: %r" % acts)
    top = rows[0]
    check(top["user_id"] == mgr_id and top["resource_type"] == "department"
          and top["ip_address"] == "127.0.0.1" and len(top["request_id"]) == 32
          and top["user_email"] == mgr_s["user"]["email"], "who/where: %r" % top)
    check(rows[2]["details"] == {"notes": "n"}, "details parsed: %r" % rows[2])
    check(set(top) == {"id", "user_id", "user_email", "user_name", "action", "resource_type",
                       "resource_id", "ip_address", "request_id", "details", "created_at"},
          "members: %r" % sorted(top))

    def acts_of(q):
        return [(x["action"], x["resource_id"]) for x in cc_data(ctx.get(V1 + q, token=admin))]

    # The manager's sign-in is theirs too.
    check(acts_of("?user_id=" + mgr_id) == [("department.create", d["id"]),
                                            ("auth.login", mgr_id)], "user filter")
    check(all(x[0] == "contact.create" for x in acts_of("?action=contact.create"))
          and len(acts_of("?action=contact.create")) == 2, "whole action")
    check({x[0] for x in acts_of("?action=create")} >= {"contact.create", "department.create"}
          and all(x[0].endswith(".create") for x in acts_of("?action=create")), "verb")
    check(acts_of("?resource=contact&action=update") == [("contact.update", a["id"])],
          "resource + action")
    check(acts_of("?resource_type=department") == [("department.create", d["id"])],
          "resource_type")
    check(acts_of("?resource_id=" + a["id"]) == [("contact.update", a["id"]),
                                                   ("contact.create", a["id"])], "resource_id")
    check(acts_of("?to=2000-01-01") == [], "to before everything")
    now = time.time()
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    check(len(acts_of("?from=%s&to=%s" % (past, future))) == len(rows), "from/to around now")
    check(acts_of("?from=" + future) == [], "from after everything")
    # Paging: page by page, and by the cursor.
    r1 = ctx.get(V1 + "?page_size=2", token=admin)
    check([x["id"] for x in cc_data(r1)] == [x["id"] for x in rows[:2]], "page 1")
    check(r1.json["meta"]["total_count"] == len(rows), "total: %r" % r1.json["meta"])
    cur = r1.json.get("next_cursor")
    check(isinstance(cur, str) and cur, "next_cursor: %r" % r1.json)
    r2 = ctx.get(V1 + "?page_size=2&after=" + cur, token=admin)
    check([x["id"] for x in cc_data(r2)] == [x["id"] for x in rows[2:4]], "cursor page")


def test_audit_log_roles_tenants_and_422(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    cc_data(ctx.post("/api/v1/contacts", {"first_name": "Mine"}, token=admin), 201)
    expect_cc_error(ctx.get(V1), 401)
    expect_cc_error(ctx.get("/api/audit-logs"), 401)
    for role in ("agent", "manager"):
        tok = sb.user(ctx, admin, role)["token"]
        expect_cc_error(ctx.get(V1, token=tok), 403)
    mine = cc_data(ctx.get(V1, token=admin))
    theirs = cc_data(ctx.get(V1, token=other))
    check(not {x["id"] for x in mine} & {x["id"] for x in theirs}, "tenants share no entries")
    check(all(x["resource_type"] != "contact" for x in theirs), "no contact of A in B's log")
    for q, field in (("?from=yesterday", "from"), ("?to=13/01/2026", "to"),
                     ("?from=2026-12-02&to=2026-12-01", "to"), ("?page_size=0", "page_size"),
                     ("?user_id=" + "x" * 65, "user_id"), ("?after=garbage", "after")):
        r = ctx.get(V1 + q, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s: %r" % (field, r))

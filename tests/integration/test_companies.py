"""Companies (calldocker): tenants through /api/companies, in the calldocker dialect;
super_admin for the list and writes, anyone their own company, another company 404."""
import sb
from sb import cd_data, cd_page, check, expect_cd_error


def _company(ctx, token, **body):
    body.setdefault("name", "Co " + sb.uid())
    return cd_data(ctx.post("/api/companies", body, token=token), 201)


def test_companies_refuse_non_super(ctx):
    admin, tid = sb.tenant(ctx)
    expect_cd_error(ctx.get("/api/companies"), 401)
    expect_cd_error(ctx.get("/api/companies", token=admin), 403)
    expect_cd_error(ctx.post("/api/companies", {"name": "X " + sb.uid()}, token=admin), 403)
    expect_cd_error(ctx.delete("/api/companies/" + tid, token=admin), 403)
    agent = sb.user(ctx, admin, "agent")["token"]
    expect_cd_error(ctx.put("/api/companies/" + tid, {"name": "Y"}, token=agent), 403)


def test_companies_super_admin_crud(ctx):
    sup = sb.super_admin(ctx)["token"]
    c = _company(ctx, sup, domain="co-%s.example" % sb.uid(), plan="pro", max_agents=7)
    check(c["id"].startswith("ten_") and c["status"] == "active" and c["plan"] == "pro" and
          c["max_agents"] == 7, "created: %r" % c)
    got = cd_data(ctx.get("/api/companies/" + c["id"], token=sup))
    check(got["id"] == c["id"] and got["name"] == c["name"], "get: %r" % got)
    items, p = cd_page(ctx.get("/api/companies?limit=2&page=1&sortBy=name&sortOrder=desc",
                               token=sup))
    check(p["page"] == 1 and p["limit"] == 2 and p["total"] >= 2 and
          p["pages"] == (p["total"] + 1) // 2 and len(items) == 2, "page: %r %r" % (p, items))
    check(items[0]["name"].lower() >= items[1]["name"].lower(), "sortBy name desc: %r" % items)
    found, _ = cd_page(ctx.get("/api/companies?search=" + c["name"].split()[1], token=sup))
    check([x["id"] for x in found] == [c["id"]], "search: %r" % found)
    up = cd_data(ctx.put("/api/companies/" + c["id"], {"max_agents": 9}, token=sup))
    check(up["max_agents"] == 9 and up["name"] == c["name"], "update: %r" % up)
    expect_cd_error(ctx.post("/api/companies", {"name": c["name"]}, token=sup), 409)
    expect_cd_error(ctx.post("/api/companies", {"plan": "x"}, token=sup), 422, "name")
    expect_cd_error(ctx.put("/api/companies/" + c["id"], {"status": "gone"}, token=sup), 422,
                    "status")
    r = ctx.delete("/api/companies/" + c["id"], token=sup)
    check(r.status == 200 and r.json["success"] is True and r.json.get("message"),
          "delete: %r" % r)
    check(cd_data(ctx.get("/api/companies/" + c["id"], token=sup))["status"] == "deleted",
          "soft delete")
    live, _ = cd_page(ctx.get("/api/companies?limit=200&search=" + c["name"].split()[1],
                              token=sup))
    check(live == [], "a deleted company is hidden from the list: %r" % live)
    expect_cd_error(ctx.get("/api/companies/ten_nope", token=sup), 404)


def test_companies_own_company_only(ctx):
    admin, tid = sb.tenant(ctx)
    _, other = sb.tenant(ctx)
    own = cd_data(ctx.get("/api/companies/" + tid, token=admin))
    check(own["id"] == tid, "own company: %r" % own)
    agent = sb.user(ctx, admin, "agent")["token"]
    check(cd_data(ctx.get("/api/companies/" + tid, token=agent))["id"] == tid, "agent reads own")
    expect_cd_error(ctx.get("/api/companies/" + other, token=admin), 404)
    expect_cd_error(ctx.put("/api/companies/" + other, {"name": "Z " + sb.uid()}, token=admin),
                    404)
    name = "Renamed " + sb.uid()
    check(cd_data(ctx.put("/api/companies/" + tid, {"name": name}, token=admin))["name"] == name,
          "an admin renames their own company")
    for body in ({"plan": "enterprise"}, {"max_agents": 1000}, {"status": "suspended"}):
        expect_cd_error(ctx.put("/api/companies/" + tid, body, token=admin), 403)
    check(cd_data(ctx.get("/api/companies/" + tid, token=admin))["plan"] == own["plan"],
          "plan unchanged")


def test_companies_super_cannot_delete_own(ctx):
    s = sb.super_admin(ctx)
    expect_cd_error(ctx.delete("/api/companies/" + s["user"]["tenant_id"], token=s["token"]),
                    409)

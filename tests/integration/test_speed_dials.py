"""Speed dials (callcenter family, issue 11): tenant-wide and personal ones, who sees and
manages which, code rules (422, 409 per owner), roles and tenant isolation."""
import json

import sb
from sb import check, expect_cc_error, cc_data

V1 = "/api/v1/speed-dials"
FIELDS = {"id", "code", "name", "number", "user_id", "scope", "created_at", "updated_at"}


def _names(r):
    return json.dumps(r.json)


def test_speed_dial_contract_and_visibility(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    other = sb.user(ctx, admin, "agent")
    t = cc_data(ctx.post(V1, {"code": "1", "name": "Front desk", "number": "+15551230001"},
                         token=admin), 201)
    check(set(t) == FIELDS, "fields: %r" % sorted(t))
    check(t["id"].startswith("sd_") and t["scope"] == "tenant" and t["user_id"] == ""
          and t["number"] == "+15551230001", "tenant-wide: %r" % t)
    mine = cc_data(ctx.post(V1, {"code": "1", "name": "My mum", "number": "+1 555 123 0002"},
                            token=agent["token"]), 201)
    check(mine["scope"] == "personal" and mine["user_id"] == agent["user"]["id"]
          and mine["number"] == "+15551230002", "personal (shadows code 1): %r" % mine)
    theirs = cc_data(ctx.post(V1, {"code": "*9#", "name": "Theirs", "number": "+15551230003"},
                              token=other["token"]), 201)
    # The agent sees the tenant-wide one and their own, not the other agent's.
    ids = {x["id"] for x in cc_data(ctx.get(V1, token=agent["token"]))}
    check(ids == {t["id"], mine["id"]}, "agent sees: %r" % ids)
    ids = {x["id"] for x in cc_data(ctx.get(V1, token=admin))}
    check(ids == {t["id"]}, "admin sees the tenant's only: %r" % ids)
    expect_cc_error(ctx.get(V1 + "/" + theirs["id"], token=agent["token"]), 404)
    expect_cc_error(ctx.put(V1 + "/" + theirs["id"], {"name": "x"}, token=agent["token"]), 404)
    expect_cc_error(ctx.delete(V1 + "/" + theirs["id"], token=agent["token"]), 404)
    check(cc_data(ctx.get(V1 + "/" + t["id"], token=agent["token"]))["id"] == t["id"], "get")
    # An agent cannot manage a tenant-wide one; staff can; anyone their own.
    expect_cc_error(ctx.put(V1 + "/" + t["id"], {"name": "x"}, token=agent["token"]), 403)
    expect_cc_error(ctx.delete(V1 + "/" + t["id"], token=agent["token"]), 403)
    expect_cc_error(ctx.post(V1, {"code": "5", "name": "x", "number": "+15551230004",
                                  "scope": "tenant"}, token=agent["token"]), 403)
    u = cc_data(ctx.put(V1 + "/" + mine["id"], {"name": "Mum"}, token=agent["token"]))
    check(u["name"] == "Mum" and u["code"] == "1", "own update: %r" % u)
    u = cc_data(ctx.put(V1 + "/" + t["id"], {"code": "0"}, token=admin))
    check(u["code"] == "0", "staff update: %r" % u)
    p = cc_data(ctx.post(V1, {"code": "7", "name": "Admin's own", "number": "+15551230005",
                              "scope": "personal"}, token=admin), 201)
    check(p["scope"] == "personal", "staff personal: %r" % p)
    r = ctx.delete(V1 + "/" + mine["id"], token=agent["token"])
    check(r.status == 200, "own delete: %r" % r)
    expect_cc_error(ctx.get(V1 + "/" + mine["id"], token=agent["token"]), 404)


def test_speed_dial_rules(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    cases = [({"name": "x", "number": "+15551230001"}, "code"),
             ({"code": "12a", "name": "x", "number": "+15551230001"}, "code"),
             ({"code": "12345678901", "name": "x", "number": "+15551230001"}, "code"),
             ({"code": "1", "number": "+15551230001"}, "name"),
             ({"code": "1", "name": "x", "number": "call me"}, "number"),
             ({"code": "1", "name": "x", "number": "+15551230001", "scope": "world"}, "scope")]
    for body, field in cases:
        r = ctx.post(V1, body, token=admin)
        expect_cc_error(r, 422)
        check(field in _names(r), "%r names %s: %r" % (body, field, r))
    cc_data(ctx.post(V1, {"code": "#1", "name": "a", "number": "+15551230001"}, token=admin), 201)
    r = ctx.post(V1, {"code": "#1", "name": "b", "number": "+15551230002"}, token=admin)
    expect_cc_error(r, 409)
    mine = cc_data(ctx.post(V1, {"code": "#1", "name": "c", "number": "+15551230003"},
                            token=agent["token"]), 201)
    expect_cc_error(ctx.post(V1, {"code": "#1", "name": "d", "number": "+15551230004"},
                             token=agent["token"]), 409)
    r = ctx.put(V1 + "/" + mine["id"], {"scope": "tenant"}, token=agent["token"])
    expect_cc_error(r, 422)
    check("scope" in _names(r), "scope named: %r" % r)
    expect_cc_error(ctx.get(V1), 401)
    expect_cc_error(ctx.post(V1, {"code": "2", "name": "x", "number": "+15551230001"}), 401)
    # Another tenant's speed dial is absent.
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(V1 + "/" + mine["id"], token=other), 404)
    expect_cc_error(ctx.put(V1 + "/" + mine["id"], {"name": "x"}, token=other), 404)
    expect_cc_error(ctx.delete(V1 + "/" + mine["id"], token=other), 404)
    check(cc_data(ctx.get(V1, token=other)) == [], "other tenant's list")

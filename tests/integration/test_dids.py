"""Phone numbers (DIDs): create, list, get, partial update, delete; a number belongs to one
tenant only; route targets must be the tenant's own; roles; tenant isolation."""
import random
import re

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DID_FIELDS = {"id", "tenant_id", "number", "friendly_name", "provider", "route_type",
              "route_target", "schedule_id", "after_hours_route_type",
              "after_hours_route_target", "is_active", "sms_enabled", "created_at",
              "updated_at"}
_rng = random.SystemRandom()


# -- private helpers ------------------------------------------------------------------

def _number():
    """A number no other test (or earlier run on the same database) uses: +1 555 + 8 digits."""
    return "+1555%08d" % _rng.randrange(10 ** 8)


def _dept(ctx, token):
    r = ctx.post("/api/departments", {"name": "Dept " + sb.uid(), "phone_number": "+15551230000"},
                 token=token)
    check(r.status == 201, "create department: %r" % r)
    return r.json["department"]


def _agent(ctx, token, dept_id):
    r = ctx.post("/api/agents", {"name": "Agent " + sb.uid(), "phone_number": "+15550001111",
                                 "department_id": dept_id}, token=token)
    check(r.status == 201, "create agent: %r" % r)
    return r.json["agent"]


def _did(ctx, token, number=None, **extra):
    body = {"number": number or _number()}
    body.update(extra)
    r = ctx.post("/api/dids", body, token=token)
    check(r.status == 201, "create DID %r: %r" % (body, r))
    return r.json["did"]


# -- CRUD -----------------------------------------------------------------------------

def test_did_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    dept = _dept(ctx, token)
    num = _number()
    r = ctx.post("/api/dids", {"number": num, "friendly_name": "Main line", "provider": "twilio",
                               "route_type": "department", "route_target": dept["id"],
                               "is_active": True}, token=token)
    check(r.status == 201 and r.json.get("success") is True, "create: %r" % r)
    d = r.json["did"]
    check(set(d) == DID_FIELDS, "DID fields: %r" % sorted(d))
    check(d["id"].startswith("did_") and len(d["id"]) > 4, "id: %r" % d["id"])
    check(d["tenant_id"] == tid, "tenant_id: %r" % d["tenant_id"])
    check(d["number"] == num and d["friendly_name"] == "Main line", "number/name: %r" % d)
    check(d["provider"] == "twilio" and d["route_type"] == "department"
          and d["route_target"] == dept["id"] and d["is_active"] is True, "route: %r" % d)
    check(RFC3339.match(d["created_at"] or "") and RFC3339.match(d["updated_at"] or ""),
          "times: %r" % d)
    # Defaults: provider twilio, route_type department, no target, active.
    e = _did(ctx, token)
    check(e["provider"] == "twilio", "default provider: %r" % e["provider"])
    check(e["route_type"] == "department", "default route_type: %r" % e["route_type"])
    check(e["route_target"] is None and e["friendly_name"] is None, "null optionals: %r" % e)
    check(e["is_active"] is True, "default is_active: %r" % e["is_active"])
    check(e["id"] != d["id"], "two DIDs, one id")
    g = ctx.get("/api/dids/" + d["id"], token=token)
    check(g.status == 200 and g.json.get("did") == d, "GET: %r" % g)
    # Written with separators, stored as E.164.
    digits = "%07d" % _rng.randrange(10 ** 7)
    f = _did(ctx, token, number="+1 (556) %s-%s" % (digits[:3], digits[3:]))
    check(f["number"] == "+1556" + digits, "normalised number: %r" % f["number"])


def test_did_validation(ctx):
    token, _ = sb.tenant(ctx)
    for body, field in (({}, "number"), ({"number": ""}, "number"),
                        ({"number": "15551234567"}, "number"), ({"number": "+12"}, "number"),
                        ({"number": 15551234567}, "number"),
                        ({"number": _number(), "route_type": "fax"}, "route_type"),
                        ({"number": _number(), "is_active": "yes"}, "is_active"),
                        ({"number": _number(), "friendly_name": 7}, "friendly_name")):
        r = ctx.post("/api/dids", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
    r = ctx.get("/api/dids", token=token)
    check(r.status == 200 and r.json["total"] == 0, "a refused DID was stored: %r" % r)


def test_did_list_update_delete(ctx):
    token, _ = sb.tenant(ctx)
    nums = sorted(_number() for _ in range(3))
    made = [_did(ctx, token, number=n) for n in nums]
    r = ctx.get("/api/dids", token=token)
    check(r.status == 200 and r.json.get("success") is True, "list: %r" % r)
    check(r.json["total"] == 3, "total: %r" % r.json.get("total"))
    check({d["id"] for d in r.json["dids"]} == {d["id"] for d in made}, "dids: %r" % r)
    check(r.json["pagination"] == {"page": 1, "limit": 25, "total": 3, "total_pages": 1},
          "pagination: %r" % r.json.get("pagination"))
    r = ctx.get("/api/dids?limit=2&page=2", token=token)
    check(r.status == 200 and len(r.json["dids"]) == 1, "page 2: %r" % r)
    r = ctx.get("/api/dids?limit=0", token=token)
    expect_error(r, 422, "validation_failed")
    check("limit" in sb.fields(r), "fields.limit: %r" % r)
    # Partial update.
    d = made[0]
    r = ctx.put("/api/dids/" + d["id"], {"friendly_name": "Support"}, token=token)
    check(r.status == 200 and r.json.get("success") is True, "PUT: %r" % r)
    u = r.json["did"]
    check(set(u) == DID_FIELDS and u["friendly_name"] == "Support", "PUT answer: %r" % u)
    for k in ("number", "provider", "route_type", "route_target", "is_active", "created_at"):
        check(u[k] == d[k], "%s changed by a PUT that did not send it" % k)
    r = ctx.put("/api/dids/" + d["id"], {"is_active": False, "route_type": "voicemail",
                                          "route_target": "box-1"}, token=token)
    check(r.status == 200, "PUT route: %r" % r)
    u = r.json["did"]
    check(u["is_active"] is False and u["route_type"] == "voicemail"
          and u["route_target"] == "box-1" and u["friendly_name"] == "Support", "PUT: %r" % u)
    check(ctx.get("/api/dids/" + d["id"], token=token).json["did"] == u, "GET after PUT")
    new_num = _number()
    r = ctx.put("/api/dids/" + d["id"], {"number": new_num}, token=token)
    check(r.status == 200 and r.json["did"]["number"] == new_num, "renumber: %r" % r)
    r = ctx.put("/api/dids/" + d["id"], {"number": "555"}, token=token)
    expect_error(r, 422, "validation_failed")
    check("number" in sb.fields(r), "fields.number: %r" % r)
    expect_error(ctx.put("/api/dids/did_nope", {"friendly_name": "x"}, token=token), 404,
                 "not_found")
    # Delete.
    r = ctx.delete("/api/dids/" + d["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True
          and isinstance(r.json.get("message"), str), "delete: %r" % r)
    expect_error(ctx.get("/api/dids/" + d["id"], token=token), 404, "not_found")
    expect_error(ctx.delete("/api/dids/" + d["id"], token=token), 404, "not_found")
    r = ctx.get("/api/dids", token=token)
    check(r.json["total"] == 2, "after delete: %r" % r)
    # The deleted number is free again.
    _did(ctx, token, number=new_num)


# -- one tenant per number ------------------------------------------------------------

def test_did_number_belongs_to_one_tenant(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    num = _number()
    a = _did(ctx, token_a, number=num)
    expect_error(ctx.post("/api/dids", {"number": num}, token=token_b), 409, "conflict")
    expect_error(ctx.post("/api/dids", {"number": num}, token=token_a), 409, "conflict")
    # Written differently, it is the same number.
    spaced = "%s %s %s" % (num[:2], num[2:5], num[5:])
    expect_error(ctx.post("/api/dids", {"number": spaced}, token=token_b), 409, "conflict")
    # Renumbering onto a taken number is refused too.
    b = _did(ctx, token_b)
    expect_error(ctx.put("/api/dids/" + b["id"], {"number": num}, token=token_b), 409,
                 "conflict")
    check(ctx.get("/api/dids/" + b["id"], token=token_b).json["did"]["number"] == b["number"],
          "a refused renumber was stored")
    r = ctx.get("/api/dids", token=token_b)
    check(r.json["total"] == 1, "B has one number: %r" % r)
    # Once A lets it go, B may take it.
    check(ctx.delete("/api/dids/" + a["id"], token=token_a).status == 200, "A deletes")
    c = _did(ctx, token_b, number=num)
    check(c["number"] == num, "B took the number: %r" % c)


# -- route targets --------------------------------------------------------------------

def test_did_route_target_validation(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    dept = _dept(ctx, token)
    agent = _agent(ctx, token, dept["id"])
    gone = _dept(ctx, token)
    check(ctx.delete("/api/departments/" + gone["id"], token=token).status == 200)
    foreign_dept = _dept(ctx, other)
    foreign_agent = _agent(ctx, other, foreign_dept["id"])

    d = _did(ctx, token, route_type="department", route_target=dept["id"])
    check(d["route_target"] == dept["id"], "department target: %r" % d)
    d2 = _did(ctx, token, route_type="agent", route_target=agent["id"])
    check(d2["route_type"] == "agent" and d2["route_target"] == agent["id"], "agent: %r" % d2)
    d3 = _did(ctx, token, route_type="external", route_target="+15559876543")
    check(d3["route_target"] == "+15559876543", "external target kept as given: %r" % d3)
    # Default route_type is department: the target must be one.
    for body in ({"route_target": foreign_dept["id"]},
                 {"route_type": "department", "route_target": gone["id"]},
                 {"route_type": "department", "route_target": "dept_nope"},
                 {"route_type": "department", "route_target": agent["id"]},
                 {"route_type": "agent", "route_target": foreign_agent["id"]},
                 {"route_type": "agent", "route_target": dept["id"]}):
        body["number"] = _number()
        r = ctx.post("/api/dids", body, token=token)
        expect_error(r, 422, "validation_failed")
        check("route_target" in sb.fields(r), "fields.route_target for %r: %r" % (body, r))
    # PUT checks the pair as it will be: changing only the type re-checks the old target.
    r = ctx.put("/api/dids/" + d["id"], {"route_type": "agent"}, token=token)
    expect_error(r, 422, "validation_failed")
    check("route_target" in sb.fields(r), "type change keeps a department target: %r" % r)
    r = ctx.put("/api/dids/" + d["id"], {"route_target": foreign_dept["id"]}, token=token)
    expect_error(r, 422, "validation_failed")
    check("route_target" in sb.fields(r), "PUT foreign target: %r" % r)
    r = ctx.put("/api/dids/" + d["id"], {"route_type": "agent", "route_target": agent["id"]},
                token=token)
    check(r.status == 200 and r.json["did"]["route_type"] == "agent"
          and r.json["did"]["route_target"] == agent["id"], "PUT both: %r" % r)
    r = ctx.put("/api/dids/" + d["id"], {"route_target": None}, token=token)
    check(r.status == 200 and r.json["did"]["route_target"] is None, "clear target: %r" % r)
    r = ctx.get("/api/dids", token=token)
    check(r.json["total"] == 3, "refused DIDs were stored: %r" % r)


# -- roles and isolation --------------------------------------------------------------

def test_did_roles(ctx):
    token, _ = sb.tenant(ctx)
    d = _did(ctx, token)
    mgr = sb.user(ctx, token, "manager")["token"]
    agent = sb.user(ctx, token, "agent")["token"]
    r = ctx.get("/api/dids", token=mgr)
    check(r.status == 200 and r.json["total"] == 1, "manager lists: %r" % r)
    check(ctx.get("/api/dids/" + d["id"], token=mgr).status == 200, "manager gets")
    expect_error(ctx.post("/api/dids", {"number": _number()}, token=mgr), 403, "forbidden")
    expect_error(ctx.put("/api/dids/" + d["id"], {"friendly_name": "x"}, token=mgr), 403,
                 "forbidden")
    expect_error(ctx.delete("/api/dids/" + d["id"], token=mgr), 403, "forbidden")
    expect_error(ctx.get("/api/dids", token=agent), 403, "forbidden")
    expect_error(ctx.get("/api/dids/" + d["id"], token=agent), 403, "forbidden")
    expect_error(ctx.get("/api/dids"), 401, "unauthorized")


def test_did_tenant_isolation(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    a = _did(ctx, token_a, friendly_name="A's line")
    expect_error(ctx.get("/api/dids/" + a["id"], token=token_b), 404, "not_found")
    expect_error(ctx.put("/api/dids/" + a["id"], {"friendly_name": "B's now"}, token=token_b),
                 404, "not_found")
    expect_error(ctx.delete("/api/dids/" + a["id"], token=token_b), 404, "not_found")
    r = ctx.get("/api/dids", token=token_b)
    check(r.status == 200 and r.json["total"] == 0 and r.json["dids"] == [],
          "B lists A's numbers: %r" % r)
    g = ctx.get("/api/dids/" + a["id"], token=token_a)
    check(g.status == 200 and g.json["did"] == a, "A's DID changed: %r" % g)

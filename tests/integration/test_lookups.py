"""Lookups of issue 8: a tenant by domain and its resource usage; DIDs by number, the
available ones, their routing (targets held to the tenant, schedule and after-hours route,
where a call goes at a given time); DIDs in the callcenter dialect under /api/v1."""
import calendar
import random
import urllib.parse
import uuid

import sb
from sb import check, expect_error

_rng = random.SystemRandom()
PUBLIC_TENANT = {"id", "name", "slug", "domain", "status", "is_active"}


# -- private helpers ------------------------------------------------------------------

def _number():
    return "+1555%08d" % _rng.randrange(10 ** 8)


def _quote(s):
    return urllib.parse.quote(s, safe="")


def _utc(y, mo, d, h, mi):
    return calendar.timegm((y, mo, d, h, mi, 0))



def _set_domain(ctx, tid):
    domain = "t-%s.example.test" % sb.uid()
    sb.sql(ctx, "UPDATE tenants SET domain = '%s' WHERE id = '%s'" % (domain, tid))
    return domain


def _queue(ctx, tid, active=1):
    qid = "queue_" + uuid.uuid4().hex[:20]
    sb.sql(ctx, "INSERT INTO queues (id, tenant_id, name, is_active) VALUES ('%s', '%s', '%s', %d)"
           % (qid, tid, "Q " + qid, active))
    return qid


def _schedule(ctx, tid, hours, tz="Europe/Paris", holidays=None, active=1):
    sid = "sch_" + uuid.uuid4().hex[:20]
    hol = "NULL" if holidays is None else "'%s'" % holidays
    sb.sql(ctx, "INSERT INTO schedules (id, tenant_id, name, timezone, hours, holidays, is_active)"
           " VALUES ('%s', '%s', '%s', '%s', '%s', %s, %d)"
           % (sid, tid, "S " + sid, tz, hours, hol, active))
    return sid


def _did(ctx, token, **extra):
    body = {"number": _number()}
    body.update(extra)
    r = ctx.post("/api/dids", body, token=token)
    check(r.status == 201, "create DID %r: %r" % (body, r))
    return r.json["did"]


def _user_id(ctx, admin_token, role):
    return sb.user(ctx, admin_token, role)["user"]["id"]


# -- tenants ----------------------------------------------------------------------------

def test_tenant_by_domain(ctx):
    token, tid = sb.tenant(ctx)
    other, otid = sb.tenant(ctx)
    domain, odomain = _set_domain(ctx, tid), _set_domain(ctx, otid)
    path = "/api/tenants/by-domain?domain=" + domain
    r = ctx.get(path, token=token)
    check(r.status == 200, "by-domain: %r" % r)
    t = r.json["tenant"]
    check(set(t) == PUBLIC_TENANT, "public fields only: %r" % t)
    check(t["id"] == tid and t["domain"] == domain and t["is_active"] is True
          and t["status"] == "active" and t["slug"], "tenant: %r" % t)
    d = sb.cc_data(ctx.get("/api/v1/tenants/by-domain?domain=" + domain.upper(), token=token))
    check(d["id"] == tid and set(d) == PUBLIC_TENANT, "v1 (domain case-insensitive): %r" % d)
    # Another tenant's domain is absent to an admin, as an unknown one; a super_admin sees it.
    expect_error(ctx.get("/api/tenants/by-domain?domain=" + odomain, token=token), 404, "not_found")
    expect_error(ctx.get("/api/tenants/by-domain?domain=nope.example.test", token=token), 404)
    sb.expect_cc_error(ctx.get("/api/v1/tenants/by-domain?domain=" + odomain, token=token), 404)
    sup = sb.super_admin(ctx)["token"]
    r = ctx.get("/api/tenants/by-domain?domain=" + odomain, token=sup)
    check(r.status == 200 and r.json["tenant"]["id"] == otid, "super_admin: %r" % r)
    for q in ("", "?domain=", "?domain=" + "x" * 256):
        r = ctx.get("/api/tenants/by-domain" + q, token=token)
        expect_error(r, 422)
        check("domain" in sb.fields(r), "fields.domain for %r: %r" % (q, r))
    sb.expect_cc_error(ctx.get("/api/v1/tenants/by-domain", token=token), 422)
    expect_error(ctx.get(path), 401)
    for role in ("manager", "agent"):
        expect_error(ctx.get(path, token=sb.user(ctx, token, role)["token"]), 403)
    check(other, "the other tenant's session")


def test_tenant_resource_usage(ctx):
    token, tid = sb.tenant(ctx)
    _, otid = sb.tenant(ctx)
    path = "/api/tenants/%s/resource-usage" % tid
    u = ctx.get(path, token=token)
    check(u.status == 200, "usage: %r" % u)
    u = u.json["usage"]
    check(u["tenant_id"] == tid and u["users_count"] == 1 and u["agents_count"] == 0
          and u["dids_count"] == 0 and u["queues_count"] == 0 and u["storage_bytes"] == 0
          and u["max_agents"] == 50 and u["max_dids"] is None and u["max_storage_bytes"] is None,
          "fresh tenant: %r" % u)
    agent = _user_id(ctx, token, "agent")
    _user_id(ctx, token, "manager")
    dept = sb.dept(ctx, token)
    _did(ctx, token)
    _did(ctx, token, is_active=False)
    _queue(ctx, tid)
    _queue(ctx, tid, active=0)
    sb.sql(ctx, "INSERT INTO agents (id, tenant_id, department_id, name, phone_number) VALUES"
              " ('agent_%s', '%s', '%s', 'A', '+15550001111')" % (sb.uid(), tid, dept["id"]))
    for size in (1000, 2500):
        sb.sql(ctx, "INSERT INTO recordings (id, tenant_id, user_id, file_path, size_bytes)"
                  " VALUES ('rec_%s', '%s', '%s', '/r.wav', %d)" % (sb.uid(), tid, agent, size))
    d = sb.cc_data(ctx.get("/api/v1/tenants/%s/resource-usage" % tid, token=token))
    want = {"users_count": 3, "active_users_count": 3, "agents_count": 1,
            "agent_records_count": 1, "queues_count": 1, "dids_count": 2,
            "active_dids_count": 1, "active_calls_count": 0, "recordings_count": 2,
            "storage_bytes": 3500, "max_agents": 50, "max_queues": None}
    for k, v in want.items():
        check(d.get(k) == v, "%s: %r, want %r (%r)" % (k, d.get(k), v, d))
    # Another tenant's usage is absent to an admin; a super_admin reads any.
    expect_error(ctx.get("/api/tenants/%s/resource-usage" % otid, token=token), 404)
    expect_error(ctx.get("/api/tenants/ten_nope/resource-usage", token=token), 404)
    sb.expect_cc_error(ctx.get("/api/v1/tenants/%s/resource-usage" % otid, token=token), 404)
    r = ctx.get("/api/tenants/%s/resource-usage" % tid, token=sb.super_admin(ctx)["token"])
    check(r.status == 200 and r.json["usage"]["dids_count"] == 2, "super_admin: %r" % r)
    expect_error(ctx.get(path), 401)
    for role in ("manager", "agent"):
        expect_error(ctx.get(path, token=sb.user(ctx, token, role)["token"]), 403)


# -- DIDs -------------------------------------------------------------------------------

def test_did_by_number(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    d = _did(ctx, token, friendly_name="Main")
    n = d["number"]
    spaced = "%s (%s) %s-%s" % (n[:2], n[2:5], n[5:8], n[8:])
    r = ctx.get("/api/dids/by-number?number=" + _quote(spaced), token=token)
    check(r.status == 200 and r.json["did"] == d, "by-number: %r" % r)
    v = sb.cc_data(ctx.get("/api/v1/dids/by-number?number=" + _quote(n), token=token))
    check(v["id"] == d["id"] and v["route_target"] == "" and v["schedule_id"] == "",
          "v1 (text without value is \"\"): %r" % v)
    mgr = sb.user(ctx, token, "manager")["token"]
    check(ctx.get("/api/dids/by-number?number=" + _quote(n), token=mgr).status == 200,
          "manager reads")
    # Another tenant's number is absent, as an unknown one.
    expect_error(ctx.get("/api/dids/by-number?number=" + _quote(n), token=other), 404)
    expect_error(ctx.get("/api/dids/by-number?number=%2B15550000000", token=token), 404)
    sb.expect_cc_error(ctx.get("/api/v1/dids/by-number?number=" + _quote(n), token=other),
                       404)
    for q in ("", "?number=", "?number=abc"):
        r = ctx.get("/api/dids/by-number" + q, token=token)
        expect_error(r, 422)
        check("number" in sb.fields(r), "fields.number for %r: %r" % (q, r))
    expect_error(ctx.get("/api/dids/by-number?number=" + _quote(n)), 401)
    agent = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.get("/api/dids/by-number?number=" + _quote(n), token=agent), 403)


def test_did_available(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    free = _did(ctx, token)
    _did(ctx, token, route_target=dept["id"])
    _did(ctx, token, is_active=False)
    _did(ctx, token, route_type="voicemail")
    _did(ctx, other)
    r = ctx.get("/api/dids/available", token=token)
    check(r.status == 200 and [x["id"] for x in r.json["dids"]] == [free["id"]]
          and r.json["total"] == 1, "available: %r" % r)
    v = ctx.get("/api/v1/dids/available?page_size=5", token=token)
    data = sb.cc_data(v)
    check([x["id"] for x in data] == [free["id"]] and v.json["meta"]["total_count"] == 1
          and v.json["meta"]["page_size"] == 5, "v1 available: %r" % v)
    expect_error(ctx.get("/api/dids/available"), 401)
    expect_error(ctx.get("/api/dids/available", token=sb.user(ctx, token, "agent")["token"]), 403)


def test_did_routing_targets(ctx):
    token, tid = sb.tenant(ctx)
    other, otid = sb.tenant(ctx)
    d = _did(ctx, token)
    path = "/api/dids/%s/routing" % d["id"]
    q, oq, idle = _queue(ctx, tid), _queue(ctx, otid), _queue(ctx, tid, active=0)
    agent, manager = _user_id(ctx, token, "agent"), _user_id(ctx, token, "manager")
    oagent = _user_id(ctx, other, "agent")
    r = ctx.put(path, {"route_type": "queue", "route_target": q}, token=token)
    check(r.status == 200, "queue route: %r" % r)
    g = r.json["did"]
    check(g["route_type"] == "queue" and g["route_target"] == q and g["schedule_id"] is None
          and g["after_hours_route_type"] is None, "routing answer: %r" % g)
    menu = sb.cc_data(ctx.post("/api/v1/ivr/menus", {"name": "Main " + sb.uid(),
                                                     "greeting_text": "Press 1 for sales"},
                               token=token), 201)["id"]
    for body, want in (({"route_type": "agent", "route_target": agent}, agent),
                       ({"route_type": "external", "route_target": "+1 (555) 010-2030"},
                        "+15550102030"),
                       ({"route_type": "voicemail"}, None),
                       ({"route_type": "voicemail", "route_target": agent}, agent),
                       ({"route_type": "ivr", "route_target": menu}, menu)):
        r = ctx.put(path, body, token=token)
        check(r.status == 200 and r.json["did"]["route_target"] == want,
              "%r: %r" % (body, r))
    bad = (({"route_type": "queue", "route_target": oq}, "route_target"),
           ({"route_type": "ivr", "route_target": "main-menu"}, "route_target"),
           ({"route_type": "queue", "route_target": idle}, "route_target"),
           ({"route_type": "queue"}, "route_target"),
           ({"route_type": "agent", "route_target": manager}, "route_target"),
           ({"route_type": "agent", "route_target": oagent}, "route_target"),
           ({"route_type": "voicemail", "route_target": oagent}, "route_target"),
           ({"route_type": "external", "route_target": "call me"}, "route_target"),
           ({"route_type": "department", "route_target": q}, "route_target"),
           ({"route_target": q}, "route_type"),
           ({"route_type": "fax"}, "route_type"))
    for body, field in bad:
        r = ctx.put(path, body, token=token)
        expect_error(r, 422)
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
    r = ctx.put("/api/v1/dids/%s/routing" % d["id"], {"route_type": "queue", "route_target": oq},
                token=token)
    sb.expect_cc_error(r, 422)
    check("route_target" in r.json["error"]["details"], "v1 details: %r" % r)
    # The DID's own create and update check a queue target too.
    r = ctx.post("/api/dids", {"number": _number(), "route_type": "queue", "route_target": oq},
                 token=token)
    expect_error(r, 422)
    check("route_target" in sb.fields(r), "create with a foreign queue: %r" % r)
    check(_did(ctx, token, route_type="queue", route_target=q)["route_target"] == q, "own queue")
    r = ctx.put("/api/dids/" + d["id"], {"route_type": "queue", "route_target": idle},
                token=token)
    expect_error(r, 422)
    # Access: another tenant's number is absent; managers and agents may not route.
    body = {"route_type": "queue", "route_target": q}
    expect_error(ctx.put(path, body, token=other), 404)
    expect_error(ctx.put("/api/dids/did_nope/routing", body, token=token), 404)
    sb.expect_cc_error(ctx.put("/api/v1/dids/%s/routing" % d["id"], body, token=other), 404)
    expect_error(ctx.put(path, body), 401)
    for role in ("manager", "agent"):
        expect_error(ctx.put(path, body, token=sb.user(ctx, token, role)["token"]), 403)


HOURS = '{"mon":[{"open":"09:00","close":"17:00"}]}'


def test_did_routing_schedule(ctx):
    token, tid = sb.tenant(ctx)
    _, otid = sb.tenant(ctx)
    d = _did(ctx, token)
    path = "/api/dids/%s/routing" % d["id"]
    q = _queue(ctx, tid)
    sch = _schedule(ctx, tid, HOURS, holidays='[{"date":"2025-04-07","name":"Closed"}]')
    osch = _schedule(ctx, otid, HOURS)
    full = {"route_type": "queue", "route_target": q, "schedule_id": sch,
            "after_hours_route_type": "voicemail"}
    r = ctx.put(path, full, token=token)
    check(r.status == 200 and r.json["did"]["schedule_id"] == sch
          and r.json["did"]["after_hours_route_type"] == "voicemail", "with schedule: %r" % r)
    for body, field in (
            (dict(full, schedule_id=osch), "schedule_id"),
            (dict(full, schedule_id="sch_nope"), "schedule_id"),
            ({"route_type": "queue", "route_target": q, "after_hours_route_type": "voicemail"},
             "after_hours_route_type"),
            ({"route_type": "queue", "route_target": q, "schedule_id": sch},
             "after_hours_route_type"),
            (dict(full, after_hours_route_type=None, schedule_id=None,
                  after_hours_route_target="+15550001111"), "after_hours_route_target"),
            (dict(full, after_hours_route_type="queue", after_hours_route_target=_queue(ctx, otid)),
             "after_hours_route_target"),
            (dict(full, after_hours_route_type="queue"), "after_hours_route_target")):
        r = ctx.put(path, body, token=token)
        expect_error(r, 422)
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))

    def at(t):
        r = ctx.get("%s?at=%d" % (path, t), token=token)
        check(r.status == 200, "routing at %d: %r" % (t, r))
        return r.json["routing"]

    # Mondays 09:00-17:00 Paris time: 07:30 UTC is 08:30 in winter, 09:30 in summer.
    w = at(_utc(2025, 3, 24, 7, 30))
    check(w["after_hours"] is True and w["route_type"] == "voicemail"
          and w["route_target"] is None and w["schedule_id"] == sch, "closed (CET): %r" % w)
    s = at(_utc(2025, 3, 31, 7, 30))
    check(s["after_hours"] is False and s["route_type"] == "queue" and s["route_target"] == q,
          "open (CEST): %r" % s)
    check(at(_utc(2025, 4, 7, 9, 0))["after_hours"] is True, "holiday Monday is closed")
    v = sb.cc_data(ctx.get("/api/v1/dids/%s/routing?at=%d" % (d["id"], _utc(2025, 3, 24, 7, 30)),
                           token=token))
    check(v["after_hours"] is True and v["route_target"] == "", "v1 routing: %r" % v)
    # An inactive schedule leaves the number's own route in force.
    sb.sql(ctx, "UPDATE schedules SET is_active = 0 WHERE id = '%s'" % sch)
    check(at(_utc(2025, 3, 24, 7, 30))["after_hours"] is False, "inactive schedule")
    # A PUT without the schedule clears it.
    r = ctx.put(path, {"route_type": "queue", "route_target": q}, token=token)
    check(r.status == 200 and r.json["did"]["schedule_id"] is None
          and r.json["did"]["after_hours_route_type"] is None, "cleared: %r" % r)
    expect_error(ctx.get(path + "?at=-1", token=token), 422)
    other, _ = sb.tenant(ctx)
    expect_error(ctx.get(path, token=other), 404)
    expect_error(ctx.get(path), 401)
    expect_error(ctx.get(path, token=sb.user(ctx, token, "agent")["token"]), 403)
    check(ctx.get(path, token=sb.user(ctx, token, "manager")["token"]).status == 200, "manager")


def test_dids_in_callcenter_dialect(ctx):
    token, tid = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    r = ctx.post("/api/v1/dids", {"number": _number(), "friendly_name": "Line"}, token=token)
    d = sb.cc_data(r, 201)
    check(d["tenant_id"] == tid and d["route_target"] == "" and d["is_active"] is True,
          "v1 create: %r" % d)
    r = ctx.get("/api/v1/dids?page_size=1", token=token)
    items = sb.cc_data(r)
    check(isinstance(items, list) and items[0]["id"] == d["id"]
          and r.json["meta"]["total_count"] == 1, "v1 list: %r" % r)
    sb.expect_cc_error(ctx.get("/api/v1/dids/" + d["id"], token=other), 404)
    sb.expect_cc_error(ctx.post("/api/v1/dids", {}, token=token), 422)
    sb.expect_cc_error(ctx.get("/api/v1/dids"), 401)

"""Schedules (callcenter family): CRUD with zone, hours and holiday validation (422 naming
the field), roles, tenant isolation, 409 while a DID follows one, and the status route
across the 2026 DST changes of New York (03-08) and Paris (10-25)."""
import sb
from sb import cc_data, check, expect_cc_error

BASE = "/api/v1/schedules"
FIELDS = {"id", "name", "description", "timezone", "hours", "holidays", "is_active",
          "created_at", "updated_at"}
WEEKDAYS = {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}


def _schedule(ctx, token, **kw):
    body = {"name": "Hours " + sb.uid(), "timezone": "America/New_York", "hours": WEEKDAYS}
    body.update(kw)
    return cc_data(ctx.post(BASE, body, token=token), 201)


def _status(ctx, token, sid, at):
    return cc_data(ctx.get("%s/%s/status?at=%s" % (BASE, sid, at), token=token))


def test_schedule_crud_contract(ctx):
    admin, _ = sb.tenant(ctx)
    s = _schedule(ctx, admin, description="Front desk", holidays=["2026-12-25"])
    check(set(s) == FIELDS, "fields: %r" % sorted(s))
    check(s["id"].startswith("sch_") and s["timezone"] == "America/New_York", "%r" % s)
    check(s["hours"] == WEEKDAYS and s["holidays"] == ["2026-12-25"], "json: %r" % s)
    check(s["is_active"] in (True, 1), "active: %r" % s)
    got = cc_data(ctx.get("%s/%s" % (BASE, s["id"]), token=admin))
    check(got["id"] == s["id"] and got["hours"] == WEEKDAYS, "get: %r" % got)
    upd = cc_data(ctx.put("%s/%s" % (BASE, s["id"]), {"timezone": "Europe/Paris",
                                                      "hours": None}, token=admin))
    check(upd["timezone"] == "Europe/Paris" and upd["hours"] in (None, ""), "put: %r" % upd)
    lst = ctx.get(BASE + "?search=" + s["name"][-10:], token=admin)
    items = cc_data(lst)
    check([i["id"] for i in items] == [s["id"]] and "meta" in lst.json, "list: %r" % lst)
    expect_cc_error(ctx.post(BASE, {"name": s["name"]}, token=admin), 409)
    cc_data(ctx.delete("%s/%s" % (BASE, s["id"]), token=admin))
    expect_cc_error(ctx.get("%s/%s" % (BASE, s["id"]), token=admin), 404)


def test_schedule_validation(ctx):
    admin, _ = sb.tenant(ctx)
    cases = [({"timezone": "Mars/Olympus_Mons"}, "timezone"),
             ({"hours": {"mon": [{"open": "9am", "close": "17:00"}]}}, "hours"),
             ({"hours": {"mon": "09:00-17:00"}}, "hours"),
             ({"holidays": ["Christmas"]}, "holidays"),
             ({"holidays": "2026-12-25"}, "holidays"),
             ({"name": ""}, "name")]
    for extra, field in cases:
        body = {"name": "V " + sb.uid()}
        body.update(extra)
        r = ctx.post(BASE, body, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"].get("details", {}), "%s not named: %r" % (field, r))
    expect_cc_error(ctx.post(BASE, {"timezone": "UTC"}, token=admin), 422)
    s = _schedule(ctx, admin)
    r = ctx.put("%s/%s" % (BASE, s["id"]), {"timezone": "Nowhere/Else"}, token=admin)
    expect_cc_error(r, 422)
    check("timezone" in r.json["error"]["details"], "put names timezone: %r" % r)
    r = ctx.get("%s/%s/status?at=yesterday" % (BASE, s["id"]), token=admin)
    expect_cc_error(r, 422)
    check("at" in r.json["error"]["details"], "status names at: %r" % r)


def test_schedule_roles_and_isolation(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    manager = sb.user(ctx, admin, "manager")["token"]
    s = _schedule(ctx, admin)
    expect_cc_error(ctx.get(BASE), 401)
    expect_cc_error(ctx.post(BASE, {"name": "x"}), 401)
    expect_cc_error(ctx.post(BASE, {"name": "A " + sb.uid()}, token=agent), 403)
    expect_cc_error(ctx.delete("%s/%s" % (BASE, s["id"]), token=agent), 403)
    cc_data(ctx.get("%s/%s" % (BASE, s["id"]), token=agent))
    _status(ctx, agent, s["id"], "2026-03-09T13:30:00Z")
    cc_data(ctx.put("%s/%s" % (BASE, s["id"]), {"description": "m"}, token=manager))
    for r in (ctx.get("%s/%s" % (BASE, s["id"]), token=other),
              ctx.get("%s/%s/status" % (BASE, s["id"]), token=other),
              ctx.put("%s/%s" % (BASE, s["id"]), {"name": "x"}, token=other),
              ctx.delete("%s/%s" % (BASE, s["id"]), token=other)):
        expect_cc_error(r, 404)
    check(s["id"] not in [i["id"] for i in cc_data(ctx.get(BASE, token=other))], "listed")
    expect_cc_error(ctx.post(BASE, raw=b"{", token=admin,
                             headers={"Content-Type": "application/json"}), 400)


def test_schedule_delete_in_use_is_409(ctx):
    admin, _ = sb.tenant(ctx)
    s = _schedule(ctx, admin)
    line = sb.twilio_line(ctx, admin)
    r = ctx.put("/api/dids/%s/routing" % line["did_id"],
                {"route_type": "voicemail", "schedule_id": s["id"],
                 "after_hours_route_type": "voicemail"}, token=admin)
    check(r.status == 200, "routing: %r" % r)
    expect_cc_error(ctx.delete("%s/%s" % (BASE, s["id"]), token=admin), 409)
    cc_data(ctx.get("%s/%s" % (BASE, s["id"]), token=admin))


def test_schedule_status_across_dst(ctx):
    admin, _ = sb.tenant(ctx)
    ny = _schedule(ctx, admin)
    # Friday 2026-03-06 is EST (UTC-5): 09:00 local is 14:00Z.
    st = _status(ctx, admin, ny["id"], "2026-03-06T13:30:00Z")
    check(st["open"] is False and st["state"] == "closed", "NY before, 08:30 EST: %r" % st)
    check(st["next_change"] == "2026-03-06T14:00:00Z", "opens 09:00 EST: %r" % st)
    st = _status(ctx, admin, ny["id"], "2026-03-06T14:30:00Z")
    check(st["open"] is True and st["state"] == "open", "NY before, 09:30 EST: %r" % st)
    check(st["at"] == "2026-03-06T14:30:00Z", "at echoed: %r" % st)
    # Saturday before the change: the next opening is Monday 09:00 EDT (UTC-4), 13:00Z.
    st = _status(ctx, admin, ny["id"], "2026-03-07T18:00:00Z")
    check(st["state"] == "closed" and st["next_change"] == "2026-03-09T13:00:00Z", "%r" % st)
    # Monday 2026-03-09 is EDT: 13:30Z is 09:30 local, open; 12:30Z (08:30) closed.
    st = _status(ctx, admin, ny["id"], "2026-03-09T13:30:00Z")
    check(st["open"] is True and st["next_change"] == "2026-03-09T21:00:00Z", "%r" % st)
    st = _status(ctx, admin, ny["id"], "2026-03-09T12:30:00Z")
    check(st["open"] is False, "NY after, 08:30 EDT: %r" % st)
    # With an offset in ?at=: 09:30-04:00 is 13:30Z.
    st = _status(ctx, admin, ny["id"], "2026-03-09T09:30:00-04:00")
    check(st["open"] is True and st["at"] == "2026-03-09T13:30:00Z", "offset: %r" % st)
    paris = _schedule(ctx, admin, timezone="Europe/Paris")
    # Friday 2026-10-23 is CEST (UTC+2): 07:30Z is 09:30 local; Monday 10-26 is CET (UTC+1).
    st = _status(ctx, admin, paris["id"], "2026-10-23T07:30:00Z")
    check(st["open"] is True and st["next_change"] == "2026-10-23T15:00:00Z", "%r" % st)
    st = _status(ctx, admin, paris["id"], "2026-10-26T07:30:00Z")
    check(st["open"] is False and st["next_change"] == "2026-10-26T08:00:00Z", "%r" % st)
    st = _status(ctx, admin, paris["id"], "2026-10-26T08:30:00Z")
    check(st["open"] is True, "Paris after, 09:30 CET: %r" % st)


def test_schedule_status_holiday_and_always_open(ctx):
    admin, _ = sb.tenant(ctx)
    s = _schedule(ctx, admin, timezone="Europe/Paris", holidays=["2026-12-25"])
    # Friday 2026-12-25 10:00 Paris is 09:00Z: a holiday until local midnight (23:00Z).
    st = _status(ctx, admin, s["id"], "2026-12-25T09:00:00Z")
    check(st["open"] is False and st["state"] == "holiday", "holiday: %r" % st)
    check(st["next_change"] == "2026-12-25T23:00:00Z", "until midnight: %r" % st)
    always = _schedule(ctx, admin, hours=None)
    st = _status(ctx, admin, always["id"], "2026-12-25T09:00:00Z")
    check(st["open"] is True and "next_change" not in st, "always open: %r" % st)

"""Leads, campaigns and the do-not-call list (issue 10, coldcaller family): CRUD with lead
numbers 1..N per tenant (also under concurrent creates), the dialer's filters, the CSV import
through the API and switchboard-admin import-leads, campaign rules, DNC add/check/list/delete;
400 shapes (coldcaller's), 401/403, and other tenants' records as 404."""
import os
import random
import tempfile
import threading

import sb
from sb import check, expect_cold_error, cold_field

_rng = random.SystemRandom()


def _number():
    return "+1557%07d" % _rng.randrange(10 ** 7)


def _data(r, status=200):
    check(r.status == status, "expected %d: %r" % (status, r))
    j = r.json
    check(j.get("success") is True and "timestamp" in j and "message" in j, "envelope: %r" % r)
    return j["data"]


def _lead(ctx, token, **body):
    body.setdefault("phoneNumber", _number())
    return _data(ctx.post("/api/leads", body, token=token), 201)


def _campaign(ctx, token, **body):
    body.setdefault("name", "Camp " + sb.uid())
    return _data(ctx.post("/api/campaigns", body, token=token), 201)


def _csv(ctx, token, text):
    return ctx.post("/api/leads/import", token=token, raw=text,
                    headers={"Content-Type": "text/csv"})


def test_lead_crud(ctx):
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    manager = sb.user(ctx, admin, "manager")["token"]
    camp = _campaign(ctx, admin)
    num = _number()
    sent = "+1 (557) %s-%s" % (num[5:8], num[8:])
    a = _lead(ctx, manager, phoneNumber=sent, firstName="Ada", lastName="Lovelace",
              company="Engines", email="ADA@Example.test", campaignId=camp["id"],
              timeZone="Europe/Paris", tags=["hot"], notes="n1",
              nextCallbackAt="2026-01-02T10:00:00Z")
    check(a["id"] == 1 and a["contactId"].startswith("contact_"), "number: %r" % a)
    check(a["phone"] == num and a["phoneNumber"] == sent, "phone as sent and normalised: %r" % a)
    check(a["email"] == "ada@example.test" and a["status"] == "new" and a["doNotCall"] is False
          and a["campaignId"] == camp["id"] and a["timeZone"] == "Europe/Paris"
          and a["tags"] == ["hot"] and a["nextCallbackAt"] == "2026-01-02T10:00:00Z",
          "fields: %r" % a)
    b = _lead(ctx, admin, firstName="Bob")
    check(b["id"] == 2, "second number: %r" % b)
    check(_data(ctx.get("/api/leads/1", token=agent)) == a, "GET by number")
    u = _data(ctx.put("/api/leads/1", {"status": "callback", "doNotCall": True, "notes": None,
                                       "phone": "555.010.9999.1"}, token=manager))
    check(u["status"] == "callback" and u["doNotCall"] is True and u["notes"] is None
          and u["phone"] == "+55501099991" and u["phoneNumber"] == "555.010.9999.1"
          and u["firstName"] == "Ada", "PUT partial: %r" % u)
    # The list: page and filters.
    r = ctx.get("/api/leads?limit=1&page=2", token=agent)
    items = _data(r)
    p = r.json["pagination"]
    check([x["id"] for x in items] == [2] and p["total"] == 2 and p["totalPages"] == 2
          and p["hasPrev"] is True and p["hasNext"] is False, "page: %r" % r.json)
    check([x["id"] for x in _data(ctx.get("/api/leads?status=callback", token=agent))] == [1],
          "status filter")
    check([x["id"] for x in _data(ctx.get("/api/leads?campaignId=" + camp["id"],
                                          token=agent))] == [1], "campaign filter")
    check([x["id"] for x in _data(ctx.get("/api/leads?callbackDue=true", token=agent))] == [1],
          "callbackDue")
    check([x["id"] for x in _data(ctx.get("/api/leads?search=bob", token=agent))] == [2],
          "search name")
    check([x["id"] for x in _data(ctx.get("/api/leads?search=9999", token=agent))] == [1],
          "search digits")
    # Roles: agents read only; managers delete.
    expect_cold_error(ctx.post("/api/leads", {"phoneNumber": _number()}, token=agent), 403)
    expect_cold_error(ctx.put("/api/leads/1", {"notes": "x"}, token=agent), 403)
    expect_cold_error(ctx.delete("/api/leads/1", token=agent), 403)
    r = ctx.delete("/api/leads/1", token=manager)
    check(r.status == 200 and r.json["success"] is True, "delete: %r" % r)
    expect_cold_error(ctx.get("/api/leads/1", token=agent), 404)
    expect_cold_error(ctx.delete("/api/leads/1", token=manager), 404)
    ev = sb.sql(ctx, "SELECT type FROM call_events WHERE tenant_id = '%s' AND type LIKE"
                     " 'lead.%%' AND payload LIKE '%%%s%%' ORDER BY id" % (tid, a["contactId"]))
    check(ev.split() == ["lead.created", "lead.updated", "lead.deleted"], "events: %r" % ev)
    # Numbers are never reused.
    check(_lead(ctx, admin)["id"] == 3, "next number after a delete")
    # A plain contact (no lead number) is no lead.
    rows = sb.sql(ctx, "SELECT COUNT(*) FROM contacts WHERE tenant_id = '%s' AND lead_no IS NOT NULL" % tid)
    check(rows.strip() == "2", "lead rows: %r" % rows)


def test_lead_numbers_concurrent(ctx):
    admin, tid = sb.tenant(ctx)
    got, errors = [], []

    def create():
        r = ctx.post("/api/leads", {"phoneNumber": _number()}, token=admin)
        (got if r.status == 201 else errors).append(r.json["data"]["id"] if r.status == 201 else r)

    threads = [threading.Thread(target=create) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "errors: %r" % errors)
    check(sorted(got) == list(range(1, 11)), "numbers: %r" % sorted(got))
    # Another tenant starts at 1.
    other, _ = sb.tenant(ctx)
    check(_lead(ctx, other)["id"] == 1, "per tenant")


def test_lead_errors_and_tenants(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    lead = _lead(ctx, admin)
    camp = _campaign(ctx, admin)
    expect_cold_error(ctx.get("/api/leads"), 401)
    expect_cold_error(ctx.get("/api/leads/1"), 401)
    expect_cold_error(ctx.post("/api/leads", {"phoneNumber": _number()}), 401)
    for bad in ("abc", "0", "-1", "1.5", "99999999999"):
        d = cold_field(ctx.get("/api/leads/" + bad, token=admin), "id")
        check(d["message"] == "Lead ID must be a positive integer", "message: %r" % d)
    cold_field(ctx.put("/api/leads/x", {"notes": "n"}, token=admin), "id")
    cold_field(ctx.delete("/api/leads/0", token=admin), "id")
    expect_cold_error(ctx.get("/api/leads/999", token=admin), 404)
    r = ctx.post("/api/leads", {"phoneNumber": "12-34"}, token=admin)
    d = cold_field(r, "phoneNumber")
    check(d["message"] == "Invalid phone number format" and d["value"] == "12-34"
          and d["location"] == "body", "phone detail: %r" % d)
    check(r.json["message"] == "Invalid phone number format", "top message: %r" % r.json)
    cold_field(ctx.post("/api/leads", {"firstName": "No phone"}, token=admin), "phone")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "campaignId": "camp_nope"},
                        token=admin), "campaignId")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "timeZone": "Mars/Olympus"},
                        token=admin), "timeZone")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "timeZone": "../etc/passwd"},
                        token=admin), "timeZone")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "status": "bogus"},
                        token=admin), "status")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "email": "nope"},
                        token=admin), "email")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "nextCallbackAt": "soon"},
                        token=admin), "nextCallbackAt")
    cold_field(ctx.put("/api/leads/%d" % lead["id"], {"campaignId": "camp_nope"}, token=admin),
               "campaignId")
    # Other tenants: their lead numbers, campaigns and references are not ours.
    check(_lead(ctx, other)["id"] == 1, "other's first lead")
    mine = _data(ctx.get("/api/leads/1", token=admin))
    check(mine["contactId"] == lead["contactId"], "same number, own lead: %r" % mine)
    check(len(_data(ctx.get("/api/leads", token=other))) == 1, "other's list")
    cold_field(ctx.post("/api/leads", {"phoneNumber": _number(), "campaignId": camp["id"]},
                        token=other), "campaignId")
    expect_cold_error(ctx.get("/api/campaigns/" + camp["id"], token=other), 404)
    expect_cold_error(ctx.put("/api/campaigns/" + camp["id"], {"name": "x"}, token=other), 404)
    expect_cold_error(ctx.delete("/api/campaigns/" + camp["id"], token=other), 404)
    _lead(ctx, admin)  # number 2 of admin's tenant
    expect_cold_error(ctx.get("/api/leads/2", token=other), 404)
    expect_cold_error(ctx.put("/api/leads/2", {"notes": "x"}, token=other), 404)
    expect_cold_error(ctx.delete("/api/leads/2", token=other), 404)
    check(_data(ctx.get("/api/leads/2", token=admin))["notes"] is None, "untouched")


def test_campaigns(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    disp = [{"code": "CB", "label": "Call back", "outcome": "callback", "callbackMinutes": 60},
            {"code": "NI", "label": "Not interested", "outcome": "not_interested", "final": True}]
    c = _campaign(ctx, admin, name="Spring", description="d", callingHoursStart="08:30",
                  callingHoursEnd="17:00", callingDays=["mon", "Wednesday", "fri"],
                  timeZone="America/New_York", maxAttempts=5, retryDelayMinutes=30,
                  dispositions=disp)
    check(c["id"].startswith("camp_") and c["name"] == "Spring" and c["status"] == "active"
          and c["callingHoursStart"] == "08:30" and c["callingHoursEnd"] == "17:00"
          and c["callingDays"] == ["mon", "wed", "fri"] and c["timeZone"] == "America/New_York"
          and c["maxAttempts"] == 5 and c["retryDelayMinutes"] == 30 and c["leadCount"] == 0,
          "campaign: %r" % c)
    check(c["dispositions"] == [
        {"code": "CB", "label": "Call back", "outcome": "callback", "callbackMinutes": 60,
         "final": False},
        {"code": "NI", "label": "Not interested", "outcome": "not_interested", "final": True}],
        "dispositions: %r" % c["dispositions"])
    d = _campaign(ctx, admin)
    check(d["callingDays"] == ["mon", "tue", "wed", "thu", "fri"] and d["callingHoursStart"] == "09:00"
          and d["dispositions"] is None, "defaults: %r" % d)
    check(_data(ctx.get("/api/campaigns/" + c["id"], token=agent)) == c, "GET")
    r = ctx.get("/api/campaigns?limit=10", token=agent)
    check(sorted(x["id"] for x in _data(r)) == sorted([c["id"], d["id"]])
          and r.json["pagination"]["total"] == 2, "list: %r" % r.json)
    u = _data(ctx.put("/api/campaigns/" + c["id"], {"status": "paused", "callingHoursEnd": "18:00",
                                                    "dispositions": None}, token=admin))
    check(u["status"] == "paused" and u["callingHoursEnd"] == "18:00" and u["dispositions"] is None
          and u["callingHoursStart"] == "08:30", "PUT: %r" % u)
    # 409: the name; hours against the kept start; validation.
    expect_cold_error(ctx.post("/api/campaigns", {"name": "Spring"}, token=admin), 409)
    cold_field(ctx.put("/api/campaigns/" + c["id"], {"callingHoursEnd": "08:00"}, token=admin),
               "callingHoursEnd")
    cold_field(ctx.post("/api/campaigns", {}, token=admin), "name")
    cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "callingHoursStart": "25:00"},
                        token=admin), "callingHoursStart")
    cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "callingDays": ["mon", "mon"]},
                        token=admin), "callingDays")
    cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "callingDays": ["someday"]},
                        token=admin), "callingDays")
    cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "maxAttempts": 0},
                        token=admin), "maxAttempts")
    cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "timeZone": "Nowhere/Land"},
                        token=admin), "timeZone")
    for bad in ([], [{"code": "A"}], [{"code": "A", "label": "a", "outcome": "o"}] * 2,
                [{"code": "A", "label": "a", "outcome": "o", "callbackMinutes": -1}], "x"):
        cold_field(ctx.post("/api/campaigns", {"name": "x" + sb.uid(), "dispositions": bad},
                            token=admin), "dispositions")
    expect_cold_error(ctx.post("/api/campaigns", {"name": "x"}, token=agent), 403)
    expect_cold_error(ctx.delete("/api/campaigns/" + d["id"], token=agent), 403)
    expect_cold_error(ctx.get("/api/campaigns"), 401)
    # A campaign with leads is not deleted; without, it is.
    lead = _lead(ctx, admin, campaignId=c["id"])
    check(_data(ctx.get("/api/campaigns/" + c["id"], token=agent))["leadCount"] == 1, "leadCount")
    expect_cold_error(ctx.delete("/api/campaigns/" + c["id"], token=admin), 409)
    _data(ctx.put("/api/leads/%d" % lead["id"], {"campaignId": None}, token=admin))
    check(ctx.delete("/api/campaigns/" + c["id"], token=admin).status == 200, "delete")
    expect_cold_error(ctx.get("/api/campaigns/" + c["id"], token=admin), 404)


def test_dnc(ctx):
    admin, tid = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    num = _number()
    sent = "%s-%s-%s" % (num[:5], num[5:8], num[8:])
    e = _data(ctx.post("/api/dnc", {"phoneNumber": sent, "reason": "asked"}, token=agent), 201)
    check(e["id"].startswith("dnc_") and e["phoneNumber"] == num and e["reason"] == "asked"
          and e["direction"] == "outbound" and e["active"] is True, "entry: %r" % e)
    expect_cold_error(ctx.post("/api/dnc", {"phoneNumber": num}, token=admin), 409)
    c = _data(ctx.get("/api/dnc/check?phoneNumber=" + sent.replace("+", "%2B"), token=agent))
    check(c["blocked"] is True and c["phoneNumber"] == num and c["entry"]["id"] == e["id"]
          and c["leadDoNotCall"] is False, "check: %r" % c)
    c = _data(ctx.get("/api/dnc/check?phoneNumber=" + _number().replace("+", "%2B"), token=agent))
    check(c["blocked"] is False and c["entry"] is None, "not blocked: %r" % c)
    cold_field(ctx.get("/api/dnc/check", token=agent), "phoneNumber")
    d = cold_field(ctx.get("/api/dnc/check?phoneNumber=12", token=agent), "phoneNumber")
    check(d["location"] == "query" and d["value"] == "12", "query detail: %r" % d)
    cold_field(ctx.post("/api/dnc", {"phoneNumber": "abc"}, token=agent), "phoneNumber")
    cold_field(ctx.post("/api/dnc", {"phoneNumber": _number(), "expiresAt": "never"},
                        token=agent), "expiresAt")
    # Expired entries do not block.
    old = _number()
    x = _data(ctx.post("/api/dnc", {"phoneNumber": old, "expiresAt": "2020-01-01T00:00:00Z"},
                       token=admin), 201)
    check(x["active"] is False, "expired: %r" % x)
    check(_data(ctx.get("/api/dnc/check?number=" + old.replace("+", "%2B"),
                        token=agent))["blocked"] is False, "expired does not block")
    # An inbound block becomes both, and removal keeps it inbound.
    inbound = _number()
    sb.sql(ctx, "INSERT INTO blacklist (id, tenant_id, number, direction) VALUES"
                " ('bl_%s', '%s', '%s', 'inbound')" % (sb.uid(), tid, inbound))
    b = _data(ctx.post("/api/dnc", {"phoneNumber": inbound}, token=admin), 201)
    check(b["direction"] == "both", "both: %r" % b)
    r = ctx.get("/api/dnc?limit=10", token=agent)
    check(sorted(i["id"] for i in _data(r)) == sorted([e["id"], x["id"], b["id"]])
          and r.json["pagination"]["total"] == 3, "list: %r" % r.json)
    check([i["id"] for i in _data(ctx.get("/api/dnc?search=" + num[-6:], token=agent))] == [e["id"]],
          "search")
    expect_cold_error(ctx.delete("/api/dnc/" + b["id"], token=agent), 403)
    check(ctx.delete("/api/dnc/" + b["id"], token=admin).status == 200, "delete both")
    dirn = sb.sql(ctx, "SELECT direction FROM blacklist WHERE id = '%s'" % b["id"]).strip()
    check(dirn == "inbound", "kept inbound: %r" % dirn)
    expect_cold_error(ctx.delete("/api/dnc/" + b["id"], token=admin), 404)
    # Other tenants.
    expect_cold_error(ctx.delete("/api/dnc/" + e["id"], token=other), 404)
    check(_data(ctx.get("/api/dnc", token=other)) == [], "other's list empty")
    check(_data(ctx.get("/api/dnc/check?phoneNumber=" + num.replace("+", "%2B"),
                        token=other))["blocked"] is False, "other's check")
    check(ctx.delete("/api/dnc/" + e["id"], token=admin).status == 200, "delete")
    expect_cold_error(ctx.get("/api/dnc"), 401)
    # Attempts (written by the calls slice): listed for managers and admins.
    sb.sql(ctx, "INSERT INTO dnc_attempts (id, tenant_id, number, reason) VALUES"
                " ('dnca_%s', '%s', '%s', 'dnc_list')" % (sb.uid(), tid, num))
    a = _data(ctx.get("/api/dnc/attempts", token=admin))
    check(len(a) == 1 and a[0]["phoneNumber"] == num and a[0]["reason"] == "dnc_list",
          "attempts: %r" % a)
    check(_data(ctx.get("/api/dnc/attempts", token=other)) == [], "other's attempts")
    expect_cold_error(ctx.get("/api/dnc/attempts", token=agent), 403)


def test_lead_import(ctx):
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    camp = _campaign(ctx, admin)
    blocked = _number()
    _data(ctx.post("/api/dnc", {"phoneNumber": blocked}, token=admin), 201)
    good1, good2 = _number(), _number()
    text = ("first_name,Last_Name,phoneNumber,email,company,campaign_id,timeZone,notes,extra\r\n"
            "Ann,One,%s,ann@example.test,Acme,%s,Europe/Paris,\"multi\nline\",x\r\n"
            "Bad,Phone,12-3,,,,,,\r\n"
            "Dnc,Row,%s,,,,,,\r\n"
            "Bad,Camp,%s,,,camp_nope,,,\r\n"
            "Bad,Zone,%s,,,,Mars/Olympus,,\r\n"
            "Bad,Mail,%s,not-mail,,,,,\r\n"
            "\r\n"
            "Bob,Two,  %s  ,,,,,,\r\n" % (good1, camp["id"], blocked, _number(), _number(),
                                        _number(), good2))
    r = _csv(ctx, admin, text)
    d = _data(r)
    check(d["imported"] == 2 and d["rejected"] == 5, "counts: %r" % d)
    errs = [(e["row"], e["field"]) for e in d["errors"]]
    check(errs == [(4, "phone"), (5, "phone"), (6, "campaignId"), (7, "timeZone"), (8, "email")],
          "errors: %r" % d["errors"])
    check(d["errors"][0]["message"] == "Invalid phone number format"
          and "do-not-call" in d["errors"][1]["message"], "messages: %r" % d["errors"])
    leads = _data(ctx.get("/api/leads?limit=10", token=agent))
    check([(x["id"], x["phone"], x["firstName"]) for x in leads] ==
          [(1, good1, "Ann"), (2, good2, "Bob")], "imported: %r" % leads)
    check(leads[0]["notes"] == "multi\nline" and leads[0]["campaignId"] == camp["id"]
          and leads[0]["timeZone"] == "Europe/Paris" and leads[0]["email"] == "ann@example.test",
          "row fields: %r" % leads[0])
    # Whole-file refusals, roles.
    expect_cold_error(_csv(ctx, admin, ""), 400)
    expect_cold_error(_csv(ctx, admin, "name,email\r\nA,a@example.test\r\n"), 400)
    expect_cold_error(_csv(ctx, agent, text), 403)
    expect_cold_error(_csv(ctx, None, text), 401)
    # The same through switchboard-admin, numbering on.
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("firstName,phone\nCli,%s\nBad,1\n" % _number())
        path = f.name
    try:
        os.chmod(path, 0o644)
        rc, out, err = ctx.admin("import-leads", "--tenant", tid, path)
        check(rc == 0 and out == '{"imported":1,"rejected":1}' and "line 3: phone" in err,
              "admin: %r %r %r" % (rc, out, err))
        rc, out, err = ctx.admin("import-leads", "--tenant", "tenant_nope", path)
        check(rc != 0 and "no tenant" in err, "admin unknown tenant: %r %r" % (rc, err))
    finally:
        os.unlink(path)
    check(_data(ctx.get("/api/leads/3", token=agent))["firstName"] == "Cli", "admin's lead is 3")

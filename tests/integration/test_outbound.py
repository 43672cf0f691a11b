"""Outbound calls (issue 10, coldcaller's dialer): start with the do-not-call list, calling
hours and attempts; the status machine; quality and its series; the end (CDR, lead,
callback, aggregates); lists and statistics; analytics over a fixture of aggregates with
hand-computed answers; roles and tenant isolation. Leads, campaigns and do-not-call entries
are fixtures written with SQL (their routes are another slice's)."""
import datetime
import json
import random

import sb
from sb import check

_rng = random.SystemRandom()
ALL_DAYS = "mon,tue,wed,thu,fri,sat,sun"


# -- fixtures -------------------------------------------------------------------------

def _q(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


def _insert(ctx, table, row):
    sb.sql(ctx, "INSERT INTO %s (%s) VALUES (%s)" % (
        table, ", ".join(row), ", ".join(_q(v) for v in row.values())))


def _campaign(ctx, tid, **kw):
    row = {"id": "camp_" + sb.uid(), "tenant_id": tid, "name": "C " + sb.uid(),
           "calling_hours_start": "00:00:00", "calling_hours_end": "23:59:59",
           "calling_days": ALL_DAYS, "max_attempts": 3}
    row.update(kw)
    _insert(ctx, "campaigns", row)
    return row["id"]


_lead_nos = {}


def _lead(ctx, tid, **kw):
    no = _lead_nos[tid] = _lead_nos.get(tid, 0) + 1
    row = {"id": "cont_" + sb.uid(), "tenant_id": tid, "lead_no": no, "first_name": "Lead",
           "phone": _number(), "lead_status": "new"}
    row.update(kw)
    _insert(ctx, "contacts", row)
    return row


def _number():
    return "+1555%07d" % _rng.randrange(10 ** 7)


def _setup(ctx):
    token, tid = sb.tenant(ctx)
    return token, tid, _campaign(ctx, tid)


def _start(ctx, token, status=201, **body):
    body.setdefault("phoneNumber", _number())
    r = ctx.post("/api/calls/start", body, token=token)
    check(r.status == status, "start %r: %r" % (body, r))
    return r.json["data"]["call"] if status == 201 else r


def _one(ctx, query):
    return sb.sql(ctx, query).strip()


# -- start ----------------------------------------------------------------------------

def test_start_contract(ctx):
    token, tid, camp = _setup(ctx)
    lead = _lead(ctx, tid, campaign_id=camp)
    sent = "+1 (555) 010-2030"
    r = ctx.post("/api/calls/start", {"phoneNumber": sent, "leadId": lead["lead_no"],
                                      "agentId": "agent_001", "campaignId": camp}, token=token)
    check(r.status == 201 and r.json["success"] is True and r.json["message"] == "Call started",
          repr(r))
    c = r.json["data"]["call"]
    check(c["status"] == "connecting" and c["phoneNumber"] == sent and c["phone"] == sent,
          "number as sent: %r" % c)
    check(c["leadId"] == lead["lead_no"] and c["agentId"] == "agent_001" and
          c["campaignId"] == camp and c["startTime"] and c["id"].startswith("call_"), repr(c))
    check(c["calledNumber"] == "+15550102030" and c["direction"] == "outbound", repr(c))
    check(c["callerNumber"] == "anonymous", "no DID yet: %r" % c)
    row = _one(ctx, "SELECT attempts, last_called_at IS NOT NULL FROM contacts WHERE id = '%s'"
               % lead["id"])
    check(row == "1\t1", "attempt counted: %r" % row)
    ev = _one(ctx, "SELECT type FROM call_events WHERE call_id = '%s'" % c["id"])
    check(ev == "call.initiated", "event: %r" % ev)
    # Without lead or campaign: no hours or attempts to check.
    c2 = _start(ctx, token, phoneNumber="555.010.4444")
    check(c2["leadId"] is None and c2["phone"] == "555.010.4444", repr(c2))
    # A retried start with its Idempotency-Key dials once.
    key = {"Idempotency-Key": "start-" + sb.uid()}
    body = {"phoneNumber": "+15550106666", "leadId": lead["lead_no"]}
    r1 = ctx.post("/api/calls/start", body, token=token, headers=key)
    r2 = ctx.post("/api/calls/start", body, token=token, headers=key)
    check(r1.status == r2.status == 201 and
          r1.json["data"]["call"]["id"] == r2.json["data"]["call"]["id"] and
          r2.headers.get("idempotent-replayed") == "true", "replayed: %r %r" % (r1, r2))
    check(_one(ctx, "SELECT attempts FROM contacts WHERE id = '%s'" % lead["id"]) == "2",
          "one attempt for the retried start")


def test_start_validation(ctx):
    token, tid, camp = _setup(ctx)
    other_token, other_tid, other_camp = _setup(ctx)
    lead = _lead(ctx, tid)
    sb.cold_field(ctx.post("/api/calls/start", {"leadId": lead["lead_no"]}, token=token),
                  "phoneNumber")
    d = sb.cold_field(ctx.post("/api/calls/start", {"phoneNumber": "12-ab"}, token=token),
                      "phoneNumber")
    check(d["message"] == "Invalid phone number format", repr(d))
    for bad in (-1, 0, "abc", 1.5):
        r = ctx.post("/api/calls/start", {"phoneNumber": _number(), "leadId": bad}, token=token)
        d = sb.cold_field(r, "leadId")
        check(d["message"] == "Lead ID must be a positive integer", repr(r))
        check(r.json["message"] == "Lead ID must be a positive integer", repr(r))
    r = ctx.post("/api/calls/start", {"phoneNumber": _number(), "leadId": 999999}, token=token)
    sb.cold_field(r, "leadId")
    r = ctx.post("/api/calls/start", {"phoneNumber": _number(), "campaignId": "camp_nope"},
                 token=token)
    sb.cold_field(r, "campaignId")
    # Another tenant's campaign and lead are unknown here.
    sb.cold_field(ctx.post("/api/calls/start", {"phoneNumber": _number(), "campaignId": other_camp},
                           token=token), "campaignId")
    other_lead = _lead(ctx, other_tid)
    if other_lead["lead_no"] > _lead_nos[tid]:
        sb.cold_field(ctx.post("/api/calls/start", {"phoneNumber": _number(),
                                                    "leadId": other_lead["lead_no"]},
                               token=token), "leadId")
    sb.expect_cold_error(ctx.post("/api/calls/start", {"phoneNumber": _number()}), 401)
    sb.expect_cold_error(ctx.request("POST", "/api/calls/start", raw=b"{nope", token=token), 400)


def test_do_not_call_refused_and_recorded(ctx):
    token, tid, camp = _setup(ctx)
    _insert(ctx, "blacklist", {"id": "bl_" + sb.uid(), "tenant_id": tid, "number": "+15550009999",
                               "direction": "outbound", "reason": "asked"})
    _insert(ctx, "blacklist", {"id": "bl_" + sb.uid(), "tenant_id": tid, "number": "+15550008888",
                               "direction": "inbound"})
    _insert(ctx, "blacklist", {"id": "bl_" + sb.uid(), "tenant_id": tid, "number": "+15550007777",
                               "direction": "both", "expires_at": "2001-01-01 00:00:00"})
    sent = "+1 555-000-9999"
    r = ctx.post("/api/calls/start", {"phoneNumber": sent, "campaignId": camp}, token=token)
    sb.expect_cold_error(r, 403)
    check(r.json["code"] == "FORBIDDEN", repr(r))
    check(sent in r.json["message"] and "do-not-call" in r.json["message"], repr(r))
    row = _one(ctx, "SELECT number, reason, campaign_id FROM dnc_attempts WHERE tenant_id = '%s'"
               % tid)
    check(row == "+15550009999\tblacklist\t" + camp, "attempt recorded: %r" % row)
    check(_one(ctx, "SELECT COUNT(*) FROM calls WHERE tenant_id = '%s'" % tid) == "0", "no call")
    # Inbound-only and expired entries do not block a dial.
    _start(ctx, token, phoneNumber="+15550008888")
    _start(ctx, token, phoneNumber="+15550007777")
    # The lead's own flag blocks too.
    lead = _lead(ctx, tid, do_not_call=1)
    r = ctx.post("/api/calls/start", {"phoneNumber": lead["phone"], "leadId": lead["lead_no"]},
                 token=token)
    sb.expect_cold_error(r, 403)
    check(_one(ctx, "SELECT reason, lead_id FROM dnc_attempts WHERE tenant_id = '%s'"
               " AND reason = 'lead'" % tid) == "lead\t" + lead["id"], "lead refusal recorded")
    # Another tenant's list does not apply here.
    other_token, _, _ = _setup(ctx)
    _start(ctx, other_token, phoneNumber=sent)


def test_calling_hours_in_the_leads_zone(ctx):
    token, tid, _ = _setup(ctx)
    now = datetime.datetime.now(datetime.timezone.utc)
    start = max(now.hour - 1, 0)
    end = "%02d:00:00" % (now.hour + 2) if now.hour + 2 < 24 else "23:59:59"
    camp = _campaign(ctx, tid, calling_hours_start="%02d:00:00" % start, calling_hours_end=end)
    utc_lead = _lead(ctx, tid, campaign_id=camp)
    tokyo_lead = _lead(ctx, tid, campaign_id=camp, time_zone="Asia/Tokyo")
    # The tenant's zone (UTC) is inside the hours; Tokyo, nine hours on, is not.
    _start(ctx, token, leadId=utc_lead["lead_no"])
    r = ctx.post("/api/calls/start", {"phoneNumber": _number(), "leadId": tokyo_lead["lead_no"]},
                 token=token)
    sb.expect_cold_error(r, 409)
    check("calling hours" in r.json["message"] and "Asia/Tokyo" in r.json["message"], repr(r))
    check(_one(ctx, "SELECT attempts FROM contacts WHERE id = '%s'" % tokyo_lead["id"]) == "0",
          "a refused dial is no attempt")
    # A day the campaign does not call on.
    today = now.strftime("%a").lower()
    closed = _campaign(ctx, tid, calling_days=",".join(d for d in ALL_DAYS.split(",")
                                                       if d != today))
    sb.expect_cold_error(ctx.post("/api/calls/start", {"phoneNumber": _number(),
                                                       "campaignId": closed}, token=token), 409)


def test_campaign_follows_its_schedule(ctx):
    """A campaign's schedule (issue 11): a holiday closes it on top of its calling hours."""
    token, tid, camp = _setup(ctx)
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    all_day = {d: [{"open": "00:00", "close": "24:00"}]
               for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    sched = sb.cc_data(ctx.post("/api/v1/schedules", {"name": "H " + sb.uid(), "timezone": "UTC",
                                                      "hours": all_day, "holidays": [today]},
                                token=token), 201)
    r = ctx.put("/api/campaigns/" + camp, {"scheduleId": sched["id"]}, token=token)
    check(r.status == 200 and r.json["data"]["scheduleId"] == sched["id"], repr(r))
    r = _start(ctx, token, 409, campaignId=camp)
    sb.expect_cold_error(r, 409)
    check("holiday" in r.json["message"] and sched["name"] in r.json["message"], repr(r))
    # The schedule is in use: not deleted. Switched off, it no longer closes the campaign.
    sb.expect_cc_error(ctx.delete("/api/v1/schedules/" + sched["id"], token=token), 409)
    sb.cc_data(ctx.put("/api/v1/schedules/" + sched["id"], {"is_active": False}, token=token))
    _start(ctx, token, campaignId=camp)
    # Another tenant's schedule, or none of the kind, is refused naming the field.
    other, _ = sb.tenant(ctx)
    theirs = sb.cc_data(ctx.post("/api/v1/schedules", {"name": "T " + sb.uid()}, token=other),
                        201)
    for bad in (theirs["id"], "sch_nothing"):
        r = ctx.put("/api/campaigns/" + camp, {"scheduleId": bad}, token=token)
        sb.expect_cold_error(r, 400)  # coldcaller's validation status
        check("scheduleId" in r.text, "field named: %r" % r)
    r = ctx.put("/api/campaigns/" + camp, {"scheduleId": None}, token=token)
    check(r.status == 200 and r.json["data"]["scheduleId"] is None, repr(r))
    sb.cc_data(ctx.delete("/api/v1/schedules/" + sched["id"], token=token))

def test_max_attempts(ctx):
    token, tid, _ = _setup(ctx)
    camp = _campaign(ctx, tid, max_attempts=2)
    lead = _lead(ctx, tid, campaign_id=camp)
    _start(ctx, token, leadId=lead["lead_no"])
    _start(ctx, token, leadId=lead["lead_no"])
    r = _start(ctx, token, 409, leadId=lead["lead_no"])
    sb.expect_cold_error(r, 409)
    check("maximum" in r.json["message"], repr(r))
    paused = _campaign(ctx, tid, status="paused")
    r = _start(ctx, token, 409, campaignId=paused)
    check("paused" in r.json["message"], repr(r))


# -- update ---------------------------------------------------------------------------

def test_status_machine(ctx):
    token, tid, camp = _setup(ctx)
    c = _start(ctx, token, campaignId=camp)
    path = "/api/calls/%s/update" % c["id"]
    r = ctx.put(path, {"status": "ringing"}, token=token)
    check(r.status == 200 and r.json["data"]["call"]["status"] == "ringing", repr(r))
    check(r.json["data"]["call"]["answerTime"] is None, repr(r))
    sb.expect_cold_error(ctx.put(path, {"status": "on_hold"}, token=token), 409)
    r = ctx.put(path, {"status": "connected", "notes": "picked up"}, token=token)
    call = r.json["data"]["call"]
    check(call["status"] == "connected" and call["answerTime"] and call["notes"] == "picked up",
          repr(r))
    answered = call["answerTime"]
    for s in ("on_hold", "connected", "hold", "connected"):
        r = ctx.put(path, {"status": s}, token=token)
        check(r.status == 200, "%s: %r" % (s, r))
    check(r.json["data"]["call"]["answerTime"] == answered, "answer time set once")
    sb.expect_cold_error(ctx.put(path, {"status": "ringing"}, token=token), 409)
    sb.expect_cold_error(ctx.put(path, {"status": "connecting"}, token=token), 409)
    sb.cold_field(ctx.put(path, {"status": "exploded"}, token=token), "status")
    events = sb.sql(ctx, "SELECT type FROM call_events WHERE call_id = '%s' ORDER BY id"
                    % c["id"]).split()
    check(events.count("call.connected") == 1, "connected once: %r" % events)


def test_quality_merged_and_series(ctx):
    token, tid, camp = _setup(ctx)
    c = _start(ctx, token)
    path = "/api/calls/%s/update" % c["id"]
    r = ctx.put(path, {"status": "connected", "quality": {"latency": 85, "jitter": 12,
                                                          "packetLoss": 0.5, "mos": 4.2}},
                token=token)
    check(r.status == 200, repr(r))
    q = r.json["data"]["call"]["quality"]
    check(q == {"latency": 85, "jitter": 12, "packetLoss": 0.5, "mos": 4.2}, repr(q))
    r = ctx.put(path, {"quality": {"mos": 3.9, "latency": 120}}, token=token)
    q = r.json["data"]["call"]["quality"]
    check(q == {"latency": 120, "jitter": 12, "packetLoss": 0.5, "mos": 3.9}, "merged: %r" % q)
    for bad, field in (({"mos": 6}, "mos"), ({"packetLoss": 101}, "packetLoss"),
                       ({"latency": -1}, "latency"), ({"jitter": "x"}, "jitter")):
        sb.cold_field(ctx.put(path, {"quality": bad}, token=token), field)
    sb.cold_field(ctx.put(path, {"quality": [1]}, token=token), "quality")
    r = ctx.get("/api/calls/%s/quality" % c["id"], token=token)
    check(r.status == 200, repr(r))
    d = r.json["data"]
    check(d["count"] == 2 and len(d["series"]) == 2 and d["callId"] == c["id"], repr(d))
    s0, s1 = d["series"]
    check(s0["latency"] == 85 and s0["packetLoss"] == 0.5 and s1["mos"] == 3.9 and
          s1["jitter"] is None and s0["at"] <= s1["at"], repr(d))
    n = _one(ctx, "SELECT COUNT(*) FROM call_events WHERE call_id = '%s' AND type = 'call.quality'"
             % c["id"])
    check(n == "2", "quality events: %r" % n)


# -- end ------------------------------------------------------------------------------

def test_end_writes_cdr_and_lead(ctx):
    token, tid, camp = _setup(ctx)
    lead = _lead(ctx, tid, campaign_id=camp)
    c = _start(ctx, token, leadId=lead["lead_no"], campaignId=camp, agentId="agent_7")
    ctx.put("/api/calls/%s/update" % c["id"], {"status": "connected"}, token=token)
    body = {"outcome": "Interested", "disposition": "qualified", "notes": "demo",
            "tags": ["demo-scheduled"], "objections": ["pricing_concern"],
            "nextActions": ["send_proposal"]}
    r = ctx.post("/api/calls/%s/end" % c["id"], body, token=token)
    check(r.status == 200, repr(r))
    e = r.json["data"]["call"]
    check(e["outcome"] == "Interested" and e["disposition"] == "qualified" and
          e["status"] == "completed" and e["endTime"] and e["tags"] == ["demo-scheduled"] and
          e["objections"] == ["pricing_concern"] and e["nextActions"] == ["send_proposal"],
          repr(e))
    cdr = _one(ctx, "SELECT direction, disposition, called_number, contact_id FROM cdrs"
               " WHERE tenant_id = '%s' AND JSON_VALUE(metadata, '$.call_id') = '%s'"
               % (tid, c["id"]))
    check(cdr == "outbound\tanswered\t%s\t%s" % (c["calledNumber"], lead["id"]), "CDR: %r" % cdr)
    r = ctx.get("/api/v1/cdr?direction=outbound", token=token)
    check(r.status == 200 and len(r.json["data"]) == 1, "CDR listed: %r" % r)
    row = _one(ctx, "SELECT lead_status, last_outcome, attempts, next_callback_at FROM contacts"
               " WHERE id = '%s'" % lead["id"])
    check(row == "qualified\tInterested\t1\tNULL", "lead: %r" % row)
    sb.expect_cold_error(ctx.post("/api/calls/%s/end" % c["id"], body, token=token), 409)
    sb.expect_cold_error(ctx.put("/api/calls/%s/update" % c["id"], {"status": "connected"},
                                 token=token), 409)
    ev = sb.sql(ctx, "SELECT type FROM call_events WHERE call_id = '%s'" % c["id"]).split()
    check(ev.count("call.ended") == 1, repr(ev))
    # Never connected: the CDR says why from the outcome.
    for outcome, disp in (("Busy", "busy"), ("No Answer", "no_answer"), ("failed", "failed")):
        c2 = _start(ctx, token)
        r = ctx.post("/api/calls/%s/end" % c2["id"], {"outcome": outcome}, token=token)
        check(r.status == 200, repr(r))
        got = _one(ctx, "SELECT disposition FROM cdrs WHERE tenant_id = '%s'"
                   " AND JSON_VALUE(metadata, '$.call_id') = '%s'" % (tid, c2["id"]))
        check(got == disp, "%s: %r" % (outcome, got))
    sb.cold_field(ctx.post("/api/calls/%s/end" % _start(ctx, token)["id"],
                           {"tags": "not-a-list"}, token=token), "tags")


def test_callbacks_scheduled(ctx):
    token, tid, _ = _setup(ctx)
    sets = json.dumps([{"code": "cb30", "label": "Call back", "callback_minutes": 30},
                       {"code": "won", "label": "Won", "outcome": "converted"}])
    camp = _campaign(ctx, tid, dispositions=sets, retry_delay_minutes=90)
    lead = _lead(ctx, tid, campaign_id=camp)
    c = _start(ctx, token, leadId=lead["lead_no"])
    ctx.post("/api/calls/%s/end" % c["id"], {"outcome": "Busy", "disposition": "cb30"},
             token=token)
    mins = _one(ctx, "SELECT lead_status, TIMESTAMPDIFF(MINUTE, NOW(), next_callback_at)"
                " FROM contacts WHERE id = '%s'" % lead["id"])
    check(mins in ("callback\t29", "callback\t30"), "30 minutes: %r" % mins)
    c = _start(ctx, token, leadId=lead["lead_no"])
    check(_one(ctx, "SELECT next_callback_at FROM contacts WHERE id = '%s'" % lead["id"]) ==
          "NULL", "the next call clears the callback")
    ctx.post("/api/calls/%s/end" % c["id"], {"outcome": "callbackRequested",
                                             "callbackAt": "2030-01-02T10:00:00Z"}, token=token)
    row = _one(ctx, "SELECT lead_status, next_callback_at FROM contacts WHERE id = '%s'"
               % lead["id"])
    check(row == "callback\t2030-01-02 10:00:00", "callbackAt: %r" % row)
    lead2 = _lead(ctx, tid, campaign_id=camp)
    c = _start(ctx, token, leadId=lead2["lead_no"])
    ctx.put("/api/calls/%s/update" % c["id"], {"status": "connected"}, token=token)
    ctx.post("/api/calls/%s/end" % c["id"], {"outcome": "Callback"}, token=token)
    mins = _one(ctx, "SELECT TIMESTAMPDIFF(MINUTE, NOW(), next_callback_at) FROM contacts"
                " WHERE id = '%s'" % lead2["id"])
    check(mins in ("89", "90"), "the campaign's retry delay: %r" % mins)
    lead3 = _lead(ctx, tid, campaign_id=camp)
    c = _start(ctx, token, leadId=lead3["lead_no"])
    ctx.put("/api/calls/%s/update" % c["id"], {"status": "connected"}, token=token)
    ctx.post("/api/calls/%s/end" % c["id"], {"disposition": "won"}, token=token)
    check(_one(ctx, "SELECT lead_status FROM contacts WHERE id = '%s'" % lead3["id"]) ==
          "converted", "the set's outcome")
    check(_one(ctx, "SELECT converted FROM calls WHERE id = '%s'" % c["id"]) == "1", "converted")
    sb.cold_field(ctx.post("/api/calls/%s/end" % _start(ctx, token)["id"],
                           {"outcome": "callback", "callbackAt": "soon"}, token=token),
                  "callbackAt")


# -- lists, statistics ------------------------------------------------------------------

def test_lists(ctx):
    token, tid, camp = _setup(ctx)
    lead = _lead(ctx, tid)
    ids = [_start(ctx, token, leadId=lead["lead_no"], agentId="ag1")["id"] for _ in range(2)]
    other = _start(ctx, token, campaignId=camp, agentId="ag2")
    ctx.post("/api/calls/%s/end" % other["id"], {"outcome": "Not Interested"}, token=token)
    r = ctx.get("/api/calls?limit=2", token=token)
    check(r.status == 200 and len(r.json["data"]) == 2, repr(r))
    p = r.json["pagination"]
    check(p["total"] == 3 and p["totalPages"] == 2 and p["hasNext"] and not p["hasPrev"], repr(p))
    check(r.json["data"][0]["id"] == other["id"], "newest first")
    r = ctx.get("/api/calls/history?leadId=%d" % lead["lead_no"], token=token)
    check(sorted(c["id"] for c in r.json["data"]) == sorted(ids), repr(r))
    r = ctx.get("/api/calls/history?agentId=ag2&outcome=not%20interested", token=token)
    check([c["id"] for c in r.json["data"]] == [other["id"]], repr(r))
    r = ctx.get("/api/calls/history?campaignId=%s&status=missed" % camp, token=token)
    check([c["id"] for c in r.json["data"]] == [other["id"]], repr(r))
    r = ctx.get("/api/calls/history?dateFrom=2001-01-01&dateTo=2001-01-02", token=token)
    check(r.status == 200 and r.json["data"] == [], repr(r))
    sb.cold_field(ctx.get("/api/calls/history?dateFrom=yesterday", token=token), "dateFrom")
    r = ctx.get("/api/calls/recent?limit=1", token=token)
    check(len(r.json["data"]) == 1, repr(r))
    r = ctx.get("/api/calls/lead/%d" % lead["lead_no"], token=token)
    check(r.status == 200 and len(r.json["data"]) == 2, repr(r))
    sb.expect_cold_error(ctx.get("/api/calls/lead/4242", token=token), 404)
    sb.cold_field(ctx.get("/api/calls/lead/abc", token=token), "leadId")
    r = ctx.get("/api/calls/" + other["id"], token=token)
    check(r.status == 200 and r.json["data"]["phoneNumber"] == other["phone"] and
          r.json["data"]["outcome"] == "Not Interested" and
          r.json["data"]["agentId"] == "ag2" and r.json["call"]["transfers"] == [], repr(r))


def test_statistics(ctx):
    token, tid, camp = _setup(ctx)
    a = _start(ctx, token, campaignId=camp, agentId="x")
    ctx.put("/api/calls/%s/update" % a["id"], {"status": "connected"}, token=token)
    ctx.post("/api/calls/%s/end" % a["id"], {"outcome": "Sale"}, token=token)
    b = _start(ctx, token, agentId="x")
    ctx.post("/api/calls/%s/end" % b["id"], {"outcome": "no-answer"}, token=token)
    _start(ctx, token, agentId="y")
    for path in ("/api/calls/statistics", "/api/calls/stats", "/api/calls/stats/today"):
        r = ctx.get(path, token=token)
        check(r.status == 200, repr(r))
        d = r.json["data"]
        check(d["totalCalls"] == 3 and d["endedCalls"] == 2 and d["connectedCalls"] == 1 and
              d["conversions"] == 1 and d["connectionRate"] == 33.3 and
              d["conversionRate"] == 33.3, "%s: %r" % (path, d))
        check(d["byStatus"] == {"completed": 1, "missed": 1, "connecting": 1} and
              d["byOutcome"] == {"sale": 1, "noAnswer": 1}, repr(d))
        check(len(d["averageCallDuration"]) == 8, repr(d))
    d = ctx.get("/api/calls/stats?agentId=y", token=token).json["data"]
    check(d["totalCalls"] == 1 and d["endedCalls"] == 0, repr(d))
    d = ctx.get("/api/calls/statistics?campaignId=" + camp, token=token).json["data"]
    check(d["totalCalls"] == 1 and d["conversions"] == 1, repr(d))
    sb.cold_field(ctx.get("/api/calls/stats?dateFrom=2026-02-02&dateTo=2026-02-01",
                          token=token), "dateTo")


# -- analytics ------------------------------------------------------------------------

STATS_COLS = ("day", "hour", "agent_ref", "campaign_id", "outcome", "calls", "connected",
              "recorded", "conversions", "duration_sum", "talk_sum", "quality_n",
              "latency_sum", "jitter_sum", "packet_loss_sum", "mos_sum")
FIXTURE = [
    ("2026-01-05", 10, "a1", "c1", "interested", 4, 3, 2, 2, 600, 500, 2, 160, 20, 1.0, 8.4),
    ("2026-01-05", 14, "a1", "c1", "noAnswer", 3, 0, 0, 0, 90, 0, 0, 0, 0, 0, 0),
    ("2026-01-06", 10, "a2", "c2", "notInterested", 2, 2, 1, 0, 240, 200, 1, 100, 10, 0.5, 3.9),
    ("2026-01-06", 11, "a2", "", "interested", 1, 1, 1, 1, 300, 280, 1, 60, 6, 0.0, 4.5),
    ("2026-01-07", 10, "a1", "c1", "interested", 10, 10, 10, 10, 1000, 900, 0, 0, 0, 0, 0),
]


def test_analytics_fixture(ctx):
    """Hand-computed over 5-6 January: 10 calls, 6 connected, 4 recorded, 3 conversions,
    1230 s (123 s a call); quality over 4 calls: latency 320/4, jitter 36/4, loss 1.5/4,
    MOS 16.8/4; hours 10 (6), 14 (3), 11 (1)."""
    token, tid = sb.tenant(ctx)
    for row in FIXTURE:
        _insert(ctx, "outbound_stats", dict(zip(("tenant_id",) + STATS_COLS, (tid,) + row)))
    r = ctx.get("/api/calls/analytics?dateFrom=2026-01-05&dateTo=2026-01-06", token=token)
    check(r.status == 200, repr(r))
    d = r.json["data"]
    check(d["period"] == {"name": "custom", "dateFrom": "2026-01-05", "dateTo": "2026-01-06",
                          "days": 2}, repr(d["period"]))
    check(d["summary"] == {"totalCalls": 10, "connectedCalls": 6, "recordedCalls": 4,
                           "conversions": 3, "averageCallDuration": "00:02:03",
                           "conversionRate": 30.0, "connectionRate": 60.0}, repr(d["summary"]))
    check(d["outcomes"] == {"interested": 5, "noAnswer": 3, "notInterested": 2},
          repr(d["outcomes"]))
    check(d["quality"] == {"averageLatency": 80.0, "averageJitter": 9.0,
                           "averagePacketLoss": 0.38, "averageMOS": 4.2, "reportingCalls": 4},
          repr(d["quality"]))
    check(d["trends"] == {"callsPerDay": 5.0, "peakHours": [{"hour": 10, "calls": 6},
                                                            {"hour": 14, "calls": 3},
                                                            {"hour": 11, "calls": 1}]},
          repr(d["trends"]))
    check([(a["agentId"], a["totalCalls"], a["averageCallDuration"], a["conversionRate"])
           for a in d["agents"]] == [("a1", 7, "00:01:39", 28.6), ("a2", 3, "00:03:00", 33.3)],
          repr(d["agents"]))
    check([(c["campaignId"], c["totalCalls"]) for c in d["campaigns"]] == [("c1", 7), ("c2", 2)],
          repr(d["campaigns"]))
    d = ctx.get("/api/calls/analytics?dateFrom=2026-01-05&dateTo=2026-01-06&agentId=a2",
                token=token).json["data"]
    check(d["summary"]["totalCalls"] == 3 and d["summary"]["connectionRate"] == 100.0 and
          d["summary"]["conversionRate"] == 33.3 and d["outcomes"] ==
          {"notInterested": 2, "interested": 1}, repr(d))
    d = ctx.get("/api/calls/analytics?dateFrom=2026-01-05&dateTo=2026-01-07&campaignId=c1",
                token=token).json["data"]
    check(d["summary"]["totalCalls"] == 17 and d["trends"]["callsPerDay"] == 5.67, repr(d))
    d = ctx.get("/api/calls/analytics?period=year", token=token).json["data"]
    check(d["period"]["days"] == 365 and d["period"]["name"] == "year", repr(d["period"]))
    sb.cold_field(ctx.get("/api/calls/analytics?period=decade", token=token), "period")
    # Another tenant sees none of it.
    other, _ = sb.tenant(ctx)
    d = ctx.get("/api/calls/analytics?dateFrom=2026-01-05&dateTo=2026-01-06", token=other)
    check(d.json["data"]["summary"]["totalCalls"] == 0 and d.json["data"]["agents"] == [], repr(d))


def test_analytics_from_ended_calls(ctx):
    token, tid, camp = _setup(ctx)
    a = _start(ctx, token, campaignId=camp, agentId="agent_001")
    ctx.put("/api/calls/%s/update" % a["id"], {"status": "connected",
                                              "quality": {"latency": 80, "mos": 4.0}}, token=token)
    ctx.put("/api/calls/%s/update" % a["id"], {"quality": {"latency": 100, "mos": 4.4}},
            token=token)
    ctx.post("/api/calls/%s/end" % a["id"], {"outcome": "Interested"}, token=token)
    b = _start(ctx, token, agentId="agent_001")
    ctx.post("/api/calls/%s/end" % b["id"], {"outcome": "Voicemail"}, token=token)
    _start(ctx, token)  # live: not in the analytics until it ends
    d = ctx.get("/api/calls/analytics?period=day", token=token).json["data"]
    check(d["summary"]["totalCalls"] == 2 and d["summary"]["connectedCalls"] == 1 and
          d["summary"]["conversions"] == 1 and d["outcomes"] == {"interested": 1, "voicemail": 1},
          repr(d))
    check(d["quality"]["averageLatency"] == 90.0 and d["quality"]["averageMOS"] == 4.2 and
          d["quality"]["reportingCalls"] == 1, repr(d["quality"]))
    check(d["agents"][0]["agentId"] == "agent_001" and d["agents"][0]["totalCalls"] == 2 and
          d["campaigns"] == [dict(d["campaigns"][0], campaignId=camp, totalCalls=1)], repr(d))


# -- delete, roles, tenants -------------------------------------------------------------

def test_delete_keeps_cdr(ctx):
    token, tid, camp = _setup(ctx)
    agent = sb.user(ctx, token, "agent")["token"]
    c = _start(ctx, agent)
    ctx.put("/api/calls/%s/update" % c["id"], {"quality": {"mos": 4}}, token=agent)
    ctx.post("/api/calls/%s/end" % c["id"], {"outcome": "busy"}, token=agent)
    sb.expect_cold_error(ctx.delete("/api/calls/" + c["id"], token=agent), 403)
    r = ctx.delete("/api/calls/" + c["id"], token=token)
    check(r.status == 200 and r.json["success"] is True, repr(r))
    sb.expect_cold_error(ctx.get("/api/calls/%s/quality" % c["id"], token=token), 404)
    check(_one(ctx, "SELECT COUNT(*) FROM call_quality WHERE call_id = '%s'" % c["id"]) == "0",
          "series gone")
    check(_one(ctx, "SELECT COUNT(*) FROM cdrs WHERE tenant_id = '%s'"
               " AND JSON_VALUE(metadata, '$.call_id') = '%s'" % (tid, c["id"])) == "1",
          "the CDR stays")
    sb.expect_cold_error(ctx.delete("/api/calls/" + c["id"], token=token), 404)


def test_roles_and_tenants(ctx):
    token, tid, camp = _setup(ctx)
    c = _start(ctx, token)
    other, _ = sb.tenant(ctx)
    cid = c["id"]
    for method, path, body in (("GET", "/api/calls/" + cid, None),
                               ("PUT", "/api/calls/%s/update" % cid, {"status": "ringing"}),
                               ("POST", "/api/calls/%s/end" % cid, {"outcome": "x"}),
                               ("GET", "/api/calls/%s/quality" % cid, None),
                               ("DELETE", "/api/calls/" + cid, None)):
        r = ctx.request(method, path, body=body, token=other)
        check(r.status == 404 and r.json["success"] is False, "%s %s: %r" % (method, path, r))
        r = ctx.request(method, path, body=body)
        check(r.status == 401, "%s %s without a token: %r" % (method, path, r))
    for path in ("/api/calls", "/api/calls/history", "/api/calls/recent", "/api/calls/stats",
                 "/api/calls/statistics", "/api/calls/stats/today", "/api/calls/analytics",
                 "/api/calls/lead/1"):
        sb.expect_cold_error(ctx.get(path), 401)
    r = ctx.get("/api/calls", token=other)
    check(r.status == 200 and r.json["data"] == [], "other tenant's list: %r" % r)
    check(ctx.get("/api/calls/" + cid, token=token).status == 200, "still there")


def test_events_on_the_calls_channel(ctx):
    """A dial's life as coldcaller's socket shows it: callInitiated, callConnected,
    callQualityUpdate, callEnded on the `calls` channel."""
    from test_websocket import _open
    token, tid, _ = _setup(ctx)
    ws = _open(ctx, "/ws?token=" + token, first=None)
    with ws:
        ws.send({"type": "subscribe", "channel": "calls"})
        ws.until(lambda m: m.get("type") == "subscribed")
        c = _start(ctx, token)
        ctx.put("/api/calls/%s/update" % c["id"], {"status": "connected",
                                                  "quality": {"mos": 4.1}}, token=token)
        ctx.post("/api/calls/%s/end" % c["id"], {"outcome": "Interested"}, token=token)
        got = ws.until(lambda m: m.get("type") == "callEnded")
        types = [m["type"] for m in got if m.get("channel") == "calls"]
        check(types == ["callInitiated", "callConnected", "callQualityUpdate", "callEnded"],
              "frames: %r" % got)
        for m in got[-4:]:
            d = m["data"]
            check(c["id"] in (d.get("callId"), d.get("call_id")), "call id in %r" % m)


def test_clock_ends_abandoned_dials(ctx):
    """A dial still live four hours after its start is ended by the clock: its CDR, the
    lead and the analytics, as an end by hand would."""
    token, tid, camp = _setup(ctx)
    lead = _lead(ctx, tid, campaign_id=camp)
    c = _start(ctx, token, leadId=lead["lead_no"])
    fresh = _start(ctx, token)
    ctx.put("/api/calls/%s/update" % c["id"], {"status": "ringing"}, token=token)
    sb.sql(ctx, "UPDATE calls SET start_time = NOW(3) - INTERVAL 5 HOUR WHERE id = '%s'" % c["id"])
    st = sb.wait(lambda: _one(ctx, "SELECT status FROM calls WHERE id = '%s'" % c["id"]) ==
                 "missed", 10, 0.2)
    check(st, "ended by the clock")
    r = ctx.get("/api/calls/" + c["id"], token=token)
    check(r.json["data"]["outcome"] == "Abandoned" and r.json["data"]["endTime"], repr(r))
    check(_one(ctx, "SELECT disposition FROM cdrs WHERE tenant_id = '%s'"
               " AND JSON_VALUE(metadata, '$.call_id') = '%s'" % (tid, c["id"])) == "no_answer",
          "CDR written")
    check(_one(ctx, "SELECT last_outcome FROM contacts WHERE id = '%s'" % lead["id"]) ==
          "Abandoned", "lead")
    check(_one(ctx, "SELECT SUM(calls) FROM outbound_stats WHERE tenant_id = '%s'"
               " AND outcome = 'abandoned'" % tid) == "1", "aggregates")
    check(_one(ctx, "SELECT status FROM calls WHERE id = '%s'" % fresh["id"]) == "connecting",
          "a recent dial stays")

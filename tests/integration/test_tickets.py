"""Tickets (issue 9): CRUD with per-tenant numbers, filters and paging, assignment to a user
or a queue's team, the status machine, messages, full-text search, stats, overdue, SLA
targets and the clock's breach (one event, one notification), roles and tenant isolation.
Everything through /api/v1 (the callcenter dialect)."""
import threading
import time

import sb
from sb import cc_data, check, expect_cc_error

T = "/api/v1/tickets"
TICKET_FIELDS = {"id", "tenant_id", "number", "subject", "description", "status", "priority",
                 "channel", "category", "tags", "contact_id", "requester_name",
                 "requester_email", "assigned_to", "queue_id", "created_by",
                 "first_response_due_at", "due_at", "first_response_at",
                 "first_response_breached_at", "resolution_breached_at", "resolved_at",
                 "closed_at", "created_at", "updated_at"}


def _new(ctx, token, **kw):
    body = {"subject": "Printer on fire " + sb.uid()}
    body.update(kw)
    return cc_data(ctx.post(T, body, token=token), 201)


def _events(ctx, tid, type_):
    out = sb.sql(ctx, "SELECT COUNT(*) FROM call_events WHERE tenant_id = '%s' AND type = '%s'"
                 % (tid, type_))
    return int(out.strip() or 0)


def _notices(ctx, tid, user_id, type_):
    out = sb.sql(ctx, "SELECT COUNT(*) FROM notifications WHERE tenant_id = '%s' AND user_id = '%s'"
                 " AND type = '%s'" % (tid, user_id, type_))
    return int(out.strip() or 0)


def _contact(ctx, tid):
    cid = "ct_" + sb.uid()
    sb.sql(ctx, "INSERT INTO contacts (id, tenant_id) VALUES ('%s', '%s')" % (cid, tid))
    return cid


def _admin_id(ctx, tid):
    return sb.sql(ctx, "SELECT user_id FROM user_roles WHERE tenant_id = '%s' AND role = 'admin'"
                  % tid).strip().split("\n")[0]


# -- create, numbers, get ---------------------------------------------------------------

def test_ticket_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    cid = _contact(ctx, tid)
    t = _new(ctx, token, description="It smokes", priority="high", channel="email",
             category="hardware", tags=["printer", "fire"], contact_id=cid,
             requester_name="Ann", requester_email="Ann@Example.test")
    check(set(t) == TICKET_FIELDS, "fields: %r" % sorted(t))
    check(t["id"].startswith("tkt_") and t["tenant_id"] == tid, "id: %r" % t)
    check(t["number"] == 1 and t["status"] == "open" and t["priority"] == "high", "t: %r" % t)
    check(t["channel"] == "email" and t["tags"] == ["printer", "fire"], "t: %r" % t)
    check(t["contact_id"] == cid and t["requester_email"] == "ann@example.test", "t: %r" % t)
    check(t["first_response_due_at"] and t["due_at"] and t["first_response_at"] in ("", None),
          "due times: %r" % t)
    # Defaults: high is 60 minutes to the first response, 480 to the resolution.
    diff = sb.sql(ctx, "SELECT TIMESTAMPDIFF(MINUTE, created_at, first_response_due_at),"
                  " TIMESTAMPDIFF(MINUTE, created_at, due_at) FROM tickets WHERE id = '%s'"
                  % t["id"]).split()
    check(diff == ["60", "480"], "SLA due: %r" % diff)
    u = _new(ctx, token)
    check(u["number"] == 2 and u["priority"] == "normal" and u["channel"] == "web", "u: %r" % u)
    check(u["description"] == "" and u["tags"] is None, "empty: %r" % u)
    g = cc_data(ctx.get(T + "/" + t["id"], token=token))
    check(g == t, "GET: %r != %r" % (g, t))
    check(_events(ctx, tid, "ticket.created") == 2, "ticket.created events")
    # Another tenant counts from 1.
    other, _ = sb.tenant(ctx)
    check(_new(ctx, other)["number"] == 1, "numbers are per tenant")


def test_ticket_numbers_concurrent(ctx):
    token, _ = sb.tenant(ctx)
    got, errs = [], []

    def create():
        r = ctx.post(T, {"subject": "Race " + sb.uid()}, token=token)
        (got if r.status == 201 else errs).append(r.json["data"]["number"] if r.status == 201
                                                  else r)
    threads = [threading.Thread(target=create) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    check(not errs, "creates failed: %r" % errs)
    check(sorted(got) == list(range(1, 13)), "numbers: %r" % sorted(got))


def test_ticket_validation_and_auth(ctx):
    token, tid = sb.tenant(ctx)
    other, otid = sb.tenant(ctx)
    expect_cc_error(ctx.post(T, {"subject": "x"}), 401)
    expect_cc_error(ctx.get(T), 401)
    for body, field in (({}, "subject"), ({"subject": ""}, "subject"),
                        ({"subject": "x", "priority": "asap"}, "priority"),
                        ({"subject": "x", "tags": "a,b"}, "tags"),
                        ({"subject": "x", "tags": [1]}, "tags"),
                        ({"subject": "x", "channel": "fax"}, "channel"),
                        ({"subject": "x", "assigned_to": _admin_id(ctx, otid)}, "assigned_to"),
                        ({"subject": "x", "contact_id": _contact(ctx, otid)}, "contact_id"),
                        ({"subject": "x", "queue_id": "q_nope"}, "queue_id")):
        r = ctx.post(T, body, token=token)
        expect_cc_error(r, 422)
        check(field in str(r.json["error"].get("details")), "%s not named: %r" % (field, r))
    # Client words: medium is normal, source is the channel.
    t = _new(ctx, token, priority="medium", source="chat")
    check(t["priority"] == "normal" and t["channel"] == "chat", "words: %r" % t)


# -- list, filters, paging ------------------------------------------------------------------

def test_ticket_list_filters_and_paging(ctx):
    token, tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    cid = _contact(ctx, tid)
    a = _new(ctx, token, priority="urgent", tags=["vip"])
    b = _new(ctx, token, priority="low", contact_id=cid)
    c = _new(ctx, token, assigned_to=agent["user"]["id"])
    _new(ctx, token)
    cc_data(ctx.put(T + "/%s/status" % b["id"], {"status": "pending"}, token=token))

    def ids(q):
        return {x["id"] for x in cc_data(ctx.get(T + q, token=token))}
    check(ids("?priority=urgent") == {a["id"]}, "priority filter")
    check(ids("?status=pending") == {b["id"]}, "status filter")
    check(ids("?assigned_to=" + agent["user"]["id"]) == {c["id"]}, "assigned_to filter")
    check(ids("?assignee=" + agent["user"]["id"]) == {c["id"]}, "assignee filter")
    check(ids("?contact_id=" + cid) == {b["id"]}, "contact filter")
    check(ids("?tag=vip") == {a["id"]}, "tag filter")
    r = ctx.get(T + "?page=2&page_size=3", token=token)
    check(len(cc_data(r)) == 1, "page 2: %r" % r)
    m = r.json["meta"]
    check(m["page"] == 2 and m["page_size"] == 3 and m["total_count"] == 4
          and m["total_pages"] == 2, "meta: %r" % m)
    expect_cc_error(ctx.get(T + "?status=bogus", token=token), 422)
    # Sorted by number.
    nums = [x["number"] for x in cc_data(ctx.get(T + "?sort=number&order=asc", token=token))]
    check(nums == [1, 2, 3, 4], "sort: %r" % nums)


# -- update, delete, roles, isolation -------------------------------------------------------

def test_ticket_update_delete_roles(ctx):
    token, tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    manager = sb.user(ctx, token, "manager")
    t = _new(ctx, agent["token"], priority="low")
    check(t["created_by"] == agent["user"]["id"], "created_by: %r" % t)
    u = cc_data(ctx.put(T + "/" + t["id"], {"subject": "Changed", "priority": "urgent",
                                            "tags": ["a"]}, token=agent["token"]))
    check(u["subject"] == "Changed" and u["priority"] == "urgent" and u["tags"] == ["a"],
          "update: %r" % u)
    diff = sb.sql(ctx, "SELECT TIMESTAMPDIFF(MINUTE, created_at, first_response_due_at),"
                  " TIMESTAMPDIFF(MINUTE, created_at, due_at) FROM tickets WHERE id = '%s'"
                  % t["id"]).split()
    check(diff == ["15", "240"], "due times after the priority change: %r" % diff)
    check(_events(ctx, tid, "ticket.updated") == 1, "ticket.updated")
    expect_cc_error(ctx.put(T + "/" + t["id"], {"subject": None}, token=token), 422)
    expect_cc_error(ctx.put(T + "/tkt_nope", {"subject": "x"}, token=token), 404)
    expect_cc_error(ctx.delete(T + "/" + t["id"], token=agent["token"]), 403)
    check(ctx.delete(T + "/" + t["id"], token=manager["token"]).status == 200, "manager delete")
    expect_cc_error(ctx.get(T + "/" + t["id"], token=token), 404)
    expect_cc_error(ctx.delete(T + "/" + t["id"], token=token), 404)


def test_ticket_tenant_isolation(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    t = _new(ctx, token)
    p = T + "/" + t["id"]
    expect_cc_error(ctx.get(p, token=other), 404)
    expect_cc_error(ctx.put(p, {"subject": "mine"}, token=other), 404)
    expect_cc_error(ctx.delete(p, token=other), 404)
    expect_cc_error(ctx.post(p + "/assign", {"queue_id": None}, token=other), 404)
    expect_cc_error(ctx.put(p + "/status", {"status": "pending"}, token=other), 404)
    expect_cc_error(ctx.post(p + "/messages", {"body": "hi"}, token=other), 404)
    expect_cc_error(ctx.get(p + "/messages", token=other), 404)
    check(cc_data(ctx.get(T, token=other)) == [], "other tenant's list")
    check(cc_data(ctx.get(T + "/search?q=Printer", token=other)) == [], "other's search")
    check(cc_data(ctx.get(p, token=token))["subject"] == t["subject"], "untouched")


# -- assignment and my tickets ------------------------------------------------------------

def test_ticket_assign_user_and_queue_team(ctx):
    token, tid = sb.tenant(ctx)
    a1 = sb.user(ctx, token, "agent")
    a2 = sb.user(ctx, token, "agent")
    a3 = sb.user(ctx, token, "agent")
    q = cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=token), 201)
    for a in (a2, a3):
        check(ctx.post("/api/v1/queues/%s/members" % q["id"], {"user_id": a["user"]["id"]},
                       token=token).status == 201, "member")
    t = _new(ctx, token)
    r = cc_data(ctx.post(T + "/%s/assign" % t["id"], {"assigned_to": a1["user"]["id"]},
                         token=a1["token"]))
    check(r["assigned_to"] == a1["user"]["id"], "assigned: %r" % r)
    check(_notices(ctx, tid, a1["user"]["id"], "ticket.assigned") == 1, "assignee notified")
    check(_events(ctx, tid, "ticket.assigned") == 1, "ticket.assigned event")
    my = [x["id"] for x in cc_data(ctx.get(T + "/my", token=a1["token"]))]
    check(my == [t["id"]], "a1's tickets: %r" % my)
    # To the queue's team: nobody in particular, the members see it.
    r = cc_data(ctx.post(T + "/%s/assign" % t["id"], {"assigned_to": None, "queue_id": q["id"]},
                         token=token))
    check(r["assigned_to"] == "" and r["queue_id"] == q["id"], "team: %r" % r)
    check(cc_data(ctx.get(T + "/my", token=a1["token"])) == [], "a1 no longer has it")
    for a in (a2, a3):
        check([x["id"] for x in cc_data(ctx.get(T + "/my", token=a["token"]))] == [t["id"]],
              "a member sees the team's ticket")
    # A member takes it: only they have it now.
    cc_data(ctx.post(T + "/%s/assign" % t["id"], {"user_id": a2["user"]["id"]},
                     token=a2["token"]))
    check(cc_data(ctx.get(T + "/my", token=a3["token"])) == [], "taken from the team")
    check(_notices(ctx, tid, a2["user"]["id"], "ticket.assigned") == 1, "a2 notified")
    expect_cc_error(ctx.post(T + "/%s/assign" % t["id"], {}, token=token), 422)
    expect_cc_error(ctx.post(T + "/%s/assign" % t["id"], {"assigned_to": "usr_nope"},
                             token=token), 422)
    expect_cc_error(ctx.post(T + "/%s/assign" % t["id"], {"queue_id": "q_nope"}, token=token),
                    422)
    expect_cc_error(ctx.post(T + "/tkt_nope/assign", {"queue_id": None}, token=token), 404)
    expect_cc_error(ctx.post(T + "/%s/assign" % t["id"], {"queue_id": None}), 401)
    expect_cc_error(ctx.get(T + "/my"), 401)


# -- status machine -----------------------------------------------------------------------

def test_ticket_status_machine(ctx):
    token, tid = sb.tenant(ctx)
    t = _new(ctx, token)
    p = T + "/%s/status" % t["id"]

    def move(s, status=200):
        r = ctx.put(p, {"status": s}, token=token)
        if status != 200:
            expect_cc_error(r, status)
            return None
        return cc_data(r)
    move("closed", 409)                  # resolved first
    move("open", 409)                    # already
    check(move("pending")["status"] == "pending", "pending")
    r = move("resolved")
    check(r["status"] == "resolved" and r["resolved_at"] and r["first_response_at"],
          "resolved: %r" % r)
    move("pending", 409)
    r = move("closed")
    check(r["status"] == "closed" and r["closed_at"] and r["resolved_at"], "closed: %r" % r)
    move("resolved", 409)
    r = move("reopen")
    check(r["status"] == "open" and r["resolved_at"] in ("", None)
          and r["closed_at"] in ("", None), "reopened: %r" % r)
    move("in_progress")
    move("resolved")
    check(move("open")["status"] == "open", "reopen from resolved")
    move("bogus", 422)
    expect_cc_error(ctx.put(p, {}, token=token), 422)
    expect_cc_error(ctx.put(T + "/tkt_nope/status", {"status": "pending"}, token=token), 404)
    expect_cc_error(ctx.put(p, {"status": "pending"}), 401)
    check(_events(ctx, tid, "ticket.status_changed") == 7, "status events")


# -- messages and search ------------------------------------------------------------------

def test_ticket_messages(ctx):
    token, tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    t = _new(ctx, token)
    p = T + "/%s/messages" % t["id"]
    n = cc_data(ctx.post(p, {"body": "Customer is angry", "is_internal": True},
                         token=agent["token"]), 201)
    check(n["is_internal"] is True and n["author_id"] == agent["user"]["id"]
          and n["author_type"] == "agent" and n["created_at"], "note: %r" % n)
    check(n["author_email"] == agent["user"]["email"], "author: %r" % n)
    g = cc_data(ctx.get(T + "/" + t["id"], token=token))
    check(g["first_response_at"] in ("", None), "a note is no response: %r" % g)
    m = cc_data(ctx.post(p, {"message": "We are on it"}, token=token), 201)
    check(m["is_internal"] is False and m["body"] == "We are on it", "reply: %r" % m)
    g = cc_data(ctx.get(T + "/" + t["id"], token=token))
    check(g["first_response_at"], "the reply is the first response: %r" % g)
    lst = cc_data(ctx.get(p, token=token))
    check([x["id"] for x in lst] == [n["id"], m["id"]], "oldest first: %r" % lst)
    pub = cc_data(ctx.get(p + "?is_internal=false", token=token))
    check([x["id"] for x in pub] == [m["id"]], "public only: %r" % pub)
    check(_events(ctx, tid, "ticket.message") == 2, "ticket.message events")
    expect_cc_error(ctx.post(p, {"body": ""}, token=token), 422)
    expect_cc_error(ctx.post(p, {}, token=token), 422)
    expect_cc_error(ctx.post(T + "/tkt_nope/messages", {"body": "x"}, token=token), 404)
    expect_cc_error(ctx.get(T + "/tkt_nope/messages", token=token), 404)
    expect_cc_error(ctx.post(p, {"body": "x"}), 401)


def test_ticket_full_text_search(ctx):
    token, _ = sb.tenant(ctx)
    word = "zq" + sb.uid()[:8]
    a = _new(ctx, token, subject="Router blinking amber")
    b = _new(ctx, token, subject="Invoice question")
    cc_data(ctx.post(T + "/%s/messages" % b["id"], {"body": "the code is %s please" % word},
                     token=token), 201)

    def found(q):
        return [x["id"] for x in cc_data(ctx.get(T + "/search?q=" + q, token=token))]
    check(found(word) == [b["id"]], "a word only in a message: %r" % found(word))
    check(found("amber") == [a["id"]], "a subject word: %r" % found("amber"))
    check(found("nothingmatcheszz") == [], "no match")
    expect_cc_error(ctx.get(T + "/search", token=token), 422)
    expect_cc_error(ctx.get(T + "/search?q=", token=token), 422)
    expect_cc_error(ctx.get(T + "/search?q=amber"), 401)


# -- stats, overdue, SLA ------------------------------------------------------------------

def test_ticket_stats_exact(ctx):
    token, tid = sb.tenant(ctx)
    a = _new(ctx, token, priority="high")
    b = _new(ctx, token)
    c = _new(ctx, token, priority="low")
    sb.sql(ctx, "UPDATE tickets SET created_at = '2026-01-10 10:00:00', first_response_at ="
           " '2026-01-10 10:10:00', resolved_at = '2026-01-10 12:00:00', status = 'resolved'"
           " WHERE id = '%s'" % a["id"])
    sb.sql(ctx, "UPDATE tickets SET created_at = '2026-01-10 11:00:00', first_response_at ="
           " '2026-01-10 11:30:00', first_response_breached_at = '2026-01-10 11:20:00',"
           " status = 'pending' WHERE id = '%s'" % b["id"])
    sb.sql(ctx, "UPDATE tickets SET created_at = '2026-01-09 09:00:00', resolved_at ="
           " '2026-01-10 09:00:00', status = 'resolved' WHERE id = '%s'" % c["id"])
    s = cc_data(ctx.get(T + "/stats?from=2026-01-10&to=2026-01-10", token=token))
    check(s["from"] == "2026-01-10T00:00:00Z" and s["to"] == "2026-01-11T00:00:00Z", "range: %r" % s)
    check(s["created"] == 2 and s["resolved"] == 2, "counts: %r" % s)
    check(s["by_status"] == {"open": 0, "pending": 1, "in_progress": 0, "on_hold": 0,
                             "resolved": 1, "closed": 0}, "by_status: %r" % s)
    check(s["by_priority"] == {"low": 0, "normal": 1, "high": 1, "urgent": 0},
          "by_priority: %r" % s)
    check(s["first_responses"] == 2 and s["avg_first_response_seconds"] == 1200,
          "first response: %r" % s)
    check(s["avg_resolution_seconds"] == (7200 + 86400) / 2, "resolution: %r" % s)
    check(s["first_response_breached"] == 1 and s["resolution_breached"] == 0, "breaches: %r" % s)
    e = cc_data(ctx.get(T + "/stats?from=2025-01-01&to=2025-01-02", token=token))
    check(e["created"] == 0 and e["avg_first_response_seconds"] is None, "empty: %r" % e)
    expect_cc_error(ctx.get(T + "/stats?from=2026-01-10&to=2026-01-09", token=token), 422)
    expect_cc_error(ctx.get(T + "/stats?from=yesterday", token=token), 422)
    expect_cc_error(ctx.get(T + "/stats"), 401)


def test_ticket_sla_routes(ctx):
    token, _ = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    s = cc_data(ctx.get(T + "/sla", token=agent["token"]))
    check({x["priority"]: (x["first_response_minutes"], x["resolution_minutes"], x["is_default"])
           for x in s} == {"urgent": (15, 240, True), "high": (60, 480, True),
                           "normal": (240, 1440, True), "low": (480, 2880, True)}, "defaults: %r" % s)
    body = {"priority": "urgent", "first_response_minutes": 5, "resolution_minutes": 30}
    expect_cc_error(ctx.put(T + "/sla", body, token=agent["token"]), 403)
    expect_cc_error(ctx.put(T + "/sla", body), 401)
    for bad in ({"priority": "urgent", "first_response_minutes": 0, "resolution_minutes": 30},
                {"priority": "urgent", "first_response_minutes": 50, "resolution_minutes": 30},
                {"priority": "soon", "first_response_minutes": 5, "resolution_minutes": 30},
                {"priority": "urgent", "first_response_minutes": 5}):
        expect_cc_error(ctx.put(T + "/sla", bad, token=token), 422)
    s = cc_data(ctx.put(T + "/sla", body, token=token))
    u = [x for x in s if x["priority"] == "urgent"][0]
    check(u == {"priority": "urgent", "first_response_minutes": 5, "resolution_minutes": 30,
                "is_default": False}, "set: %r" % u)
    t = _new(ctx, token, priority="urgent")
    diff = sb.sql(ctx, "SELECT TIMESTAMPDIFF(MINUTE, created_at, first_response_due_at),"
                  " TIMESTAMPDIFF(MINUTE, created_at, due_at) FROM tickets WHERE id = '%s'"
                  % t["id"]).split()
    check(diff == ["5", "30"], "the tenant's targets: %r" % diff)


def test_ticket_sla_breach_once(ctx):
    token, tid = sb.tenant(ctx)
    admin_id = _admin_id(ctx, tid)
    agent = sb.user(ctx, token, "agent")
    cc_data(ctx.put(T + "/sla", {"priority": "urgent", "first_response_minutes": 1,
                                 "resolution_minutes": 2}, token=token))
    t = _new(ctx, token, priority="urgent")
    check(cc_data(ctx.get(T + "/overdue", token=token)) == [], "nothing overdue yet")
    # The test cannot wait a minute: the due time is moved back instead.
    sb.sql(ctx, "UPDATE tickets SET first_response_due_at = NOW() - INTERVAL 1 SECOND"
           " WHERE id = '%s'" % t["id"])
    ok = sb.wait(lambda: _events(ctx, tid, "ticket.sla_breached") >= 1, 15, 0.2)
    check(ok, "no ticket.sla_breached after the first-response due time")
    check(_notices(ctx, tid, admin_id, "sla.breached") == 1, "unassigned: the admin is told")
    g = cc_data(ctx.get(T + "/" + t["id"], token=token))
    check(g["first_response_breached_at"], "marked: %r" % g)
    check([x["id"] for x in cc_data(ctx.get(T + "/overdue", token=token))] == [t["id"]],
          "overdue list")
    # The clock goes on ticking: still exactly one.
    time.sleep(3)
    check(_events(ctx, tid, "ticket.sla_breached") == 1, "breach told twice")
    check(_notices(ctx, tid, admin_id, "sla.breached") == 1, "notified twice")
    # The resolution target, with an assignee: they are told, and only they.
    cc_data(ctx.post(T + "/%s/assign" % t["id"], {"assigned_to": agent["user"]["id"]},
                     token=token))
    sb.sql(ctx, "UPDATE tickets SET due_at = NOW() - INTERVAL 1 SECOND WHERE id = '%s'" % t["id"])
    ok = sb.wait(lambda: _events(ctx, tid, "ticket.sla_breached") >= 2, 15, 0.2)
    check(ok, "no resolution breach")
    time.sleep(2)
    check(_events(ctx, tid, "ticket.sla_breached") == 2, "resolution breach told twice")
    check(_notices(ctx, tid, agent["user"]["id"], "sla.breached") == 1, "assignee told")
    check(_notices(ctx, tid, admin_id, "sla.breached") == 1, "admin told of the second")
    # A ticket answered in time is not breached.
    u = _new(ctx, token, priority="urgent")
    cc_data(ctx.post(T + "/%s/messages" % u["id"], {"body": "on it"}, token=token), 201)
    sb.sql(ctx, "UPDATE tickets SET first_response_due_at = NOW() - INTERVAL 1 SECOND"
           " WHERE id = '%s'" % u["id"])
    time.sleep(2)
    check(cc_data(ctx.get(T + "/" + u["id"], token=token))["first_response_breached_at"]
          in ("", None), "answered in time, yet breached")


def test_ticket_message_mentions(ctx):
    """"@<e-mail>" in a reply or note notifies that user of the tenant once, through the
    notifications routes; the writer, a plain address, an unknown one and another tenant's
    user with the same address hear nothing."""
    admin, tid = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    email = agent["user"]["email"]
    other_admin, other_tid = sb.tenant(ctx)
    twin = ctx.post("/api/users", {"email": email, "password": "pw-" + sb.uid() * 2,
                                   "role": "agent"}, token=other_admin)
    check(twin.status == 201, "same address in another tenant: %r" % twin)
    t = _new(ctx, admin)
    body = ("@%s can you look? (also @%s and @nobody@example.test; plain %s)"
            % (email.upper(), email, email))
    cc_data(ctx.post(T + "/%s/messages" % t["id"], {"body": body, "is_internal": True},
                     token=admin), 201)
    got = cc_data(ctx.get("/api/v1/notifications?type=mention", token=agent["token"]))
    check(len(got) == 1, "one notification: %r" % got)
    n = got[0]
    check(("#%s" % t["number"]) in n["title"] and n["data"]["ticket_id"] == t["id"], repr(n))
    check(n["body"] == body, "the text that mentions: %r" % n)
    check(_notices(ctx, tid, _admin_id(ctx, tid), "mention") == 0, "the writer: none")
    check(_notices(ctx, other_tid, twin.json["user"]["id"], "mention") == 0, "other tenant: none")
    # A mention of oneself notifies nobody.
    cc_data(ctx.post(T + "/%s/messages" % t["id"], {"body": "note to @%s" % email},
                     token=agent["token"]), 201)
    check(len(cc_data(ctx.get("/api/v1/notifications?type=mention", token=agent["token"]))) == 1,
          "no self-mention")

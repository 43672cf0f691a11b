"""Queues and queue members (issue 8): CRUD with every column, validation naming the field,
overflow targets of the tenant, deletes refused while something routes to the queue, members
with penalty/position/pause, the queue.member.* events, roles and tenant isolation. These
routes belong to the callcenter family: /api/queues and /api/v1/queues answer its dialect."""
import concurrent.futures
import re

import sb
from sb import check, expect_cc_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
QUEUE_FIELDS = {"id", "tenant_id", "name", "description", "strategy", "timeout", "retry",
                "wrapup_time", "max_wait_time", "max_callers", "service_level",
                "short_abandon_seconds", "music_on_hold", "announce_position", "overflow_type",
                "overflow_target_id", "schedule_id", "is_active", "member_count", "created_at",
                "updated_at"}
MEMBER_FIELDS = {"id", "queue_id", "user_id", "username", "first_name", "last_name", "email",
                 "penalty", "position", "paused", "paused_reason", "paused_at", "created_at",
                 "updated_at"}


# -- private helpers ------------------------------------------------------------------

def _queue(ctx, token, prefix="/api", **extra):
    body = {"name": "Queue " + sb.uid()}
    body.update(extra)
    return sb.cc_data(ctx.post(prefix + "/queues", body, token=token), 201)


def _details(r):
    """The field names of a callcenter 422 (error.details)."""
    return set(((r.json or {}).get("error") or {}).get("details") or {})


def _refused(r, status, field=None):
    expect_cc_error(r, status)
    if field is not None:
        check(field in _details(r), "details.%s: %r" % (field, r))


def _user(ctx, token, role="agent"):
    """A user of the admin's tenant: its user object (the login's) and token."""
    s = sb.user(ctx, token, role)
    return s["user"], s["token"]


def _member(ctx, token, queue_id, user_id, **extra):
    body = {"user_id": user_id}
    body.update(extra)
    return sb.cc_data(ctx.post("/api/queues/%s/members" % queue_id, body, token=token), 201)


def _members(ctx, token, queue_id, query=""):
    return sb.cc_data(ctx.get("/api/queues/%s/members%s" % (queue_id, query), token=token))


def _schedule(ctx, tid):
    sid = "sched_" + sb.uid()
    sb.sql(ctx, "INSERT INTO schedules (id, tenant_id, name) VALUES ('%s', '%s', 'S %s')"
           % (sid, tid, sid))
    return sid


def _events(ctx, token, prefix="queue.member."):
    r = ctx.get("/api/events/poll?after=0&timeout=1", token=token)
    check(r.status == 200, "poll: %r" % r)
    return [e for e in r.json["events"] if e["type"].startswith(prefix)]


# -- queues ---------------------------------------------------------------------------

def test_queue_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    q = _queue(ctx, token)
    check(set(q) == QUEUE_FIELDS, "queue fields: %r" % sorted(q))
    check(q["id"].startswith("queue_") and q["tenant_id"] == tid, "id/tenant: %r" % q)
    defaults = {"strategy": "ringall", "timeout": 30, "retry": 5, "wrapup_time": 0,
                "max_wait_time": 300, "max_callers": 0, "service_level": 20,
                "short_abandon_seconds": 5, "music_on_hold": "default",
                "announce_position": False, "is_active": True, "member_count": 0,
                # The callcenter dialect writes "" for a text without a value.
                "description": "", "overflow_type": "", "overflow_target_id": "",
                "schedule_id": ""}
    for k, v in defaults.items():
        check(q[k] == v, "default %s: %r, want %r" % (k, q[k], v))
    check(RFC3339.match(q["created_at"]) and RFC3339.match(q["updated_at"]), "times: %r" % q)
    sid = _schedule(ctx, tid)
    other = _queue(ctx, token)
    body = {"name": "Sales " + sb.uid(), "description": "Inbound sales", "strategy": "linear",
            "timeout": 15, "retry": 2, "wrapup_time": 30, "max_wait_time": 600,
            "max_callers": 50, "service_level": 30, "short_abandon_seconds": 10,
            "music_on_hold": "jazz", "announce_position": True, "overflow_type": "queue",
            "overflow_target_id": other["id"], "schedule_id": sid, "is_active": False}
    full = _queue(ctx, token, **body)
    for k, v in body.items():
        check(full[k] == v, "%s: %r, want %r" % (k, full[k], v))
    g = sb.cc_data(ctx.get("/api/queues/" + full["id"], token=token))
    check(g == full, "GET differs from the create's answer: %r vs %r" % (g, full))
    g1 = sb.cc_data(ctx.get("/api/v1/queues/" + full["id"], token=token))
    check(g1 == full, "/api/v1 GET: %r" % g1)
    # The same for a create under /api/v1.
    v1 = _queue(ctx, token, prefix="/api/v1", strategy="random")
    check(v1["strategy"] == "random" and set(v1) == QUEUE_FIELDS, "v1 create: %r" % v1)


def test_queue_validation(ctx):
    token, _ = sb.tenant(ctx)
    cases = (({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 256}, "name"),
             ({"strategy": "fifo"}, "strategy"), ({"timeout": 0}, "timeout"),
             ({"timeout": 601}, "timeout"), ({"retry": -1}, "retry"),
             ({"wrapup_time": 3601}, "wrapup_time"), ({"max_wait_time": -5}, "max_wait_time"),
             ({"max_callers": "ten"}, "max_callers"), ({"service_level": -1}, "service_level"),
             ({"short_abandon_seconds": 601}, "short_abandon_seconds"),
             ({"music_on_hold": ""}, "music_on_hold"),
             ({"announce_position": "yes"}, "announce_position"),
             ({"overflow_type": "fax"}, "overflow_type"),
             ({"overflow_type": "queue"}, "overflow_target_id"),
             ({"overflow_type": "department"}, "overflow_target_id"),
             ({"overflow_target_id": "queue_x"}, "overflow_type"),
             ({"overflow_type": "voicemail", "overflow_target_id": "queue_x"},
              "overflow_target_id"),
             ({"overflow_type": "queue", "overflow_target_id": "queue_nope"},
              "overflow_target_id"),
             ({"schedule_id": "sched_nope"}, "schedule_id"),
             ({"is_active": 1}, "is_active"))
    for extra, field in cases:
        body = {"name": "Q " + sb.uid()}
        body.update(extra)
        if "name" in extra or extra == {}:
            body = dict(extra)
        for prefix in ("/api", "/api/v1"):
            _refused(ctx.post(prefix + "/queues", body, token=token), 422, field)
    r = ctx.get("/api/queues", token=token)
    check(sb.cc_data(r) == [] and r.json["meta"]["total_count"] == 0,
          "a refused queue was stored: %r" % r)


def test_queue_overflow_targets(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    gone = sb.dept(ctx, token)
    check(ctx.delete("/api/departments/" + gone["id"], token=token).status == 200)
    foreign_q = _queue(ctx, other)
    foreign_dept = sb.dept(ctx, other)
    foreign_sched = _schedule(ctx, other_tid)
    target = _queue(ctx, token)
    for extra, field in (({"overflow_type": "queue", "overflow_target_id": foreign_q["id"]},
                          "overflow_target_id"),
                         ({"overflow_type": "queue", "overflow_target_id": dept["id"]},
                          "overflow_target_id"),
                         ({"overflow_type": "department", "overflow_target_id": target["id"]},
                          "overflow_target_id"),
                         ({"overflow_type": "department",
                           "overflow_target_id": foreign_dept["id"]}, "overflow_target_id"),
                         ({"overflow_type": "department", "overflow_target_id": gone["id"]},
                          "overflow_target_id"),
                         ({"schedule_id": foreign_sched}, "schedule_id")):
        body = {"name": "Q " + sb.uid()}
        body.update(extra)
        _refused(ctx.post("/api/queues", body, token=token), 422, field)
    q = _queue(ctx, token, overflow_type="department", overflow_target_id=dept["id"])
    check(q["overflow_type"] == "department" and q["overflow_target_id"] == dept["id"], "%r" % q)
    path = "/api/queues/" + q["id"]
    # A queue cannot overflow to itself.
    _refused(ctx.put(path, {"overflow_type": "queue", "overflow_target_id": q["id"]},
                     token=token), 422, "overflow_target_id")
    # PUT checks the pair as it will be: changing only the type re-checks the old target.
    _refused(ctx.put(path, {"overflow_type": "queue"}, token=token), 422, "overflow_target_id")
    _refused(ctx.put(path, {"overflow_target_id": None}, token=token), 422, "overflow_target_id")
    u = sb.cc_data(ctx.put(path, {"overflow_type": "queue", "overflow_target_id": target["id"]},
                           token=token))
    check(u["overflow_type"] == "queue" and u["overflow_target_id"] == target["id"], "%r" % u)
    # Voicemail (or none) drops the target without it being sent.
    u = sb.cc_data(ctx.put(path, {"overflow_type": "voicemail"}, token=token))
    check(u["overflow_type"] == "voicemail" and u["overflow_target_id"] == "", "vm: %r" % u)
    u = sb.cc_data(ctx.put(path, {"overflow_type": "hangup"}, token=token))
    check(u["overflow_type"] == "hangup", "hangup: %r" % u)
    u = sb.cc_data(ctx.put(path, {"overflow_type": None}, token=token))
    check(u["overflow_type"] == "" and u["overflow_target_id"] == "", "none: %r" % u)
    sid = _schedule(ctx, tid)
    u = sb.cc_data(ctx.put(path, {"schedule_id": sid}, token=token))
    check(u["schedule_id"] == sid, "schedule: %r" % u)
    u = sb.cc_data(ctx.put(path, {"schedule_id": None}, token=token))
    check(u["schedule_id"] == "", "schedule cleared: %r" % u)


def test_queue_list_update_delete(ctx):
    token, _ = sb.tenant(ctx)
    names = sorted("Q%d %s" % (i, sb.uid()) for i in range(3))
    made = [_queue(ctx, token, name=n) for n in names]
    r = ctx.get("/api/queues", token=token)
    lst = sb.cc_data(r)
    check([q["id"] for q in lst] == [q["id"] for q in made], "by name: %r" % lst)
    check(r.json["meta"]["total_count"] == 3 and r.json["meta"]["page"] == 1, "meta: %r" % r.json)
    r = ctx.get("/api/v1/queues?page=2&page_size=2", token=token)
    check(len(sb.cc_data(r)) == 1 and r.json["meta"]["total_pages"] == 2, "page 2: %r" % r.json)
    sb.cc_data(ctx.put("/api/queues/" + made[1]["id"], {"strategy": "linear"}, token=token))
    lst = sb.cc_data(ctx.get("/api/queues?strategy=linear", token=token))
    check([q["id"] for q in lst] == [made[1]["id"]], "strategy filter: %r" % lst)
    _refused(ctx.get("/api/queues?strategy=fifo", token=token), 422, "strategy")
    # Partial update keeps what was not sent.
    q = made[0]
    u = sb.cc_data(ctx.put("/api/queues/" + q["id"], {"timeout": 45, "description": "d"},
                           token=token))
    check(u["timeout"] == 45 and u["description"] == "d", "PUT: %r" % u)
    for k in ("name", "strategy", "retry", "max_wait_time", "created_at"):
        check(u[k] == q[k], "%s changed by a PUT that did not send it" % k)
    _refused(ctx.put("/api/queues/" + q["id"], {"timeout": 0}, token=token), 422, "timeout")
    _refused(ctx.put("/api/queues/" + q["id"], {"name": made[1]["name"]}, token=token), 409)
    _refused(ctx.post("/api/queues", {"name": made[1]["name"]}, token=token), 409)
    _refused(ctx.put("/api/queues/queue_nope", {"timeout": 9}, token=token), 404)
    # Delete: the queue and its members.
    user, _ = _user(ctx, token)
    _member(ctx, token, q["id"], user["id"])
    r = ctx.delete("/api/v1/queues/" + q["id"], token=token)
    d = sb.cc_data(r)
    check(d["id"] == q["id"] and isinstance(r.json.get("message"), str), "delete: %r" % r.json)
    _refused(ctx.get("/api/queues/" + q["id"], token=token), 404)
    _refused(ctx.delete("/api/queues/" + q["id"], token=token), 404)
    left = sb.sql(ctx, "SELECT COUNT(*) FROM queue_members WHERE queue_id = '%s'" % q["id"])
    check(left.strip() == "0", "members outlived their queue: %r" % left)
    check(len(sb.cc_data(ctx.get("/api/queues", token=token))) == 2, "after delete")


def test_queue_delete_refused_while_routed_to(ctx):
    token, tid = sb.tenant(ctx)
    q = _queue(ctx, token)
    # A DID routed to the queue.
    n = "+1555%08d" % (int(sb.uid(), 16) % 10 ** 8)
    r = ctx.post("/api/dids", {"number": n, "route_type": "queue", "route_target": q["id"]},
                 token=token)
    check(r.status == 201, "DID: %r" % r)
    did = r.json["did"]
    r = ctx.delete("/api/queues/" + q["id"], token=token)
    _refused(r, 409)
    check("phone number" in r.json["error"]["message"], "message: %r" % r.json)
    # Its after-hours route (set by hand: its API is another slice's).
    check(ctx.put("/api/dids/" + did["id"], {"route_type": "voicemail", "route_target": None},
                  token=token).status == 200)
    sb.sql(ctx, "UPDATE dids SET after_hours_route_type = 'queue', after_hours_route_target = "
                "'%s' WHERE id = '%s'" % (q["id"], did["id"]))
    _refused(ctx.delete("/api/queues/" + q["id"], token=token), 409)
    sb.sql(ctx, "UPDATE dids SET after_hours_route_type = NULL, after_hours_route_target = NULL"
                " WHERE id = '%s'" % did["id"])
    # Another queue overflowing to it.
    o = _queue(ctx, token, overflow_type="queue", overflow_target_id=q["id"])
    r = ctx.delete("/api/queues/" + q["id"], token=token)
    _refused(r, 409)
    check("overflow" in r.json["error"]["message"], "message: %r" % r.json)
    sb.cc_data(ctx.put("/api/queues/" + o["id"], {"overflow_type": "hangup"}, token=token))
    sb.cc_data(ctx.delete("/api/queues/" + q["id"], token=token))


# -- members --------------------------------------------------------------------------

def test_members_add_list_pause_remove(ctx):
    token, _ = sb.tenant(ctx)
    q = _queue(ctx, token, strategy="linear")
    q2 = _queue(ctx, token)
    u1, _ = _user(ctx, token)
    u2, _ = _user(ctx, token)
    u3, _ = _user(ctx, token, "manager")
    m1 = _member(ctx, token, q["id"], u1["id"])
    check(set(m1) == MEMBER_FIELDS, "member fields: %r" % sorted(m1))
    check(m1["queue_id"] == q["id"] and m1["user_id"] == u1["id"] and m1["email"] == u1["email"]
          and m1["username"] == u1["email"], "member: %r" % m1)
    check(m1["penalty"] == 0 and m1["position"] == 1 and m1["paused"] is False
          and m1["paused_reason"] == "" and m1["paused_at"] is None, "defaults: %r" % m1)
    # Appended after the last, whatever the last is.
    m2 = _member(ctx, token, q["id"], u2["id"], position=7)
    m3 = _member(ctx, token, q["id"], u3["id"], penalty=0, paused=True,
                 paused_reason="training")
    check(m2["position"] == 7 and m3["position"] == 8, "positions: %r %r" % (m2, m3))
    check(m3["paused"] is True and m3["paused_reason"] == "training"
          and RFC3339.match(m3["paused_at"]), "paused on add: %r" % m3)
    # A user may be in several queues, in each once.
    o = _member(ctx, token, q2["id"], u1["id"], penalty=5)
    check(o["position"] == 1 and o["penalty"] == 5, "second queue: %r" % o)
    r = ctx.post("/api/queues/%s/members" % q["id"], {"user_id": u1["id"]}, token=token)
    _refused(r, 409)
    # Listed by penalty, then position.
    sb.cc_data(ctx.put("/api/queues/members/" + m2["id"], {"penalty": 0, "position": 0},
                       token=token))
    sb.cc_data(ctx.put("/api/queues/members/" + m1["id"], {"penalty": 3}, token=token))
    lst = _members(ctx, token, q["id"])
    check([m["id"] for m in lst] == [m2["id"], m3["id"], m1["id"]], "order: %r" % lst)
    check(all(set(m) == MEMBER_FIELDS for m in lst), "list fields: %r" % lst)
    check([m["id"] for m in _members(ctx, token, q["id"], "?paused=true")] == [m3["id"]],
          "paused filter")
    g = sb.cc_data(ctx.get("/api/queues/" + q["id"], token=token))
    check(g["member_count"] == 3, "member_count: %r" % g)
    lq = {x["id"]: x for x in sb.cc_data(ctx.get("/api/queues", token=token))}
    check(lq[q["id"]]["member_count"] == 3 and lq[q2["id"]]["member_count"] == 1,
          "list member_count: %r" % lq)
    # Pause with a reason, change the reason, unpause (clears both; a time without a value
    # stays null, only texts become "").
    p = sb.cc_data(ctx.put("/api/v1/queues/members/" + m1["id"],
                           {"paused": True, "paused_reason": "lunch"}, token=token))
    check(p["paused"] is True and p["paused_reason"] == "lunch" and RFC3339.match(p["paused_at"]),
          "paused: %r" % p)
    p2 = sb.cc_data(ctx.put("/api/queues/members/" + m1["id"], {"paused_reason": "coffee"},
                            token=token))
    check(p2["paused_reason"] == "coffee" and p2["paused_at"] == p["paused_at"], "%r" % p2)
    up = sb.cc_data(ctx.put("/api/queues/members/" + m1["id"], {"paused": False}, token=token))
    check(up["paused"] is False and up["paused_reason"] == "" and up["paused_at"] is None,
          "unpaused: %r" % up)
    check(up["penalty"] == 3, "penalty kept: %r" % up)
    # Remove.
    r = ctx.delete("/api/queues/%s/members/%s" % (q["id"], u1["id"]), token=token)
    d = sb.cc_data(r)
    check(d["id"] == m1["id"] and isinstance(r.json.get("message"), str), "remove: %r" % r.json)
    _refused(ctx.delete("/api/queues/%s/members/%s" % (q["id"], u1["id"]), token=token), 404)
    _refused(ctx.put("/api/queues/members/" + m1["id"], {"penalty": 1}, token=token), 404)
    check(len(_members(ctx, token, q["id"])) == 2, "after remove")
    check(len(_members(ctx, token, q2["id"])) == 1, "the other queue keeps the user")


def test_member_validation(ctx):
    token, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    q = _queue(ctx, token)
    u, _ = _user(ctx, token)
    stranger, _ = _user(ctx, other)
    inactive, _ = _user(ctx, token)
    check(ctx.post("/api/users/%s/deactivate" % inactive["id"], token=token).status == 200)
    path = "/api/queues/%s/members" % q["id"]
    for body, field in (({}, "user_id"), ({"user_id": ""}, "user_id"),
                        ({"user_id": "usr_nope"}, "user_id"),
                        ({"user_id": stranger["id"]}, "user_id"),
                        ({"user_id": inactive["id"]}, "user_id"),
                        ({"user_id": u["id"], "penalty": 101}, "penalty"),
                        ({"user_id": u["id"], "penalty": -1}, "penalty"),
                        ({"user_id": u["id"], "position": -1}, "position"),
                        ({"user_id": u["id"], "paused": "no"}, "paused"),
                        ({"user_id": u["id"], "paused_reason": "x" * 256, "paused": True},
                         "paused_reason"),
                        ({"user_id": u["id"], "paused_reason": "lunch"}, "paused_reason")):
        _refused(ctx.post(path, body, token=token), 422, field)
    check(_members(ctx, token, q["id"]) == [], "a refused member was stored")
    m = _member(ctx, token, q["id"], u["id"], paused_reason="")
    mp = "/api/queues/members/" + m["id"]
    _refused(ctx.put(mp, {"penalty": 200}, token=token), 422, "penalty")
    _refused(ctx.put(mp, {"paused_reason": "lunch"}, token=token), 422, "paused_reason")
    _refused(ctx.put(mp, {"paused": False, "paused_reason": "x"}, token=token), 422,
             "paused_reason")
    # Unknown queue: 404 for every member route.
    _refused(ctx.post("/api/queues/queue_nope/members", {"user_id": u["id"]}, token=token), 404)
    _refused(ctx.get("/api/queues/queue_nope/members", token=token), 404)
    _refused(ctx.delete("/api/queues/queue_nope/members/" + u["id"], token=token), 404)
    _refused(ctx.put("/api/queues/members/qm_nope", {"penalty": 1}, token=token), 404)


def test_member_events(ctx):
    token, tid = sb.tenant(ctx)
    q = _queue(ctx, token)
    u, _ = _user(ctx, token)
    m = _member(ctx, token, q["id"], u["id"], penalty=2)
    mp = "/api/queues/members/" + m["id"]
    sb.cc_data(ctx.put(mp, {"paused": True, "paused_reason": "break"}, token=token))
    sb.cc_data(ctx.put(mp, {"paused": True}, token=token))  # no change: no event
    sb.cc_data(ctx.put(mp, {"penalty": 4}, token=token))    # no pause change: no event
    sb.cc_data(ctx.put(mp, {"paused": False}, token=token))
    sb.cc_data(ctx.delete("/api/queues/%s/members/%s" % (q["id"], u["id"]), token=token))
    evs = sb.wait(lambda: (lambda e: e if len(e) >= 4 else None)(_events(ctx, token)), 5)
    check(evs, "no queue events")
    check([e["type"] for e in evs] == ["queue.member.added", "queue.member.paused",
                                       "queue.member.unpaused", "queue.member.removed"],
          "types: %r" % [e["type"] for e in evs])
    for e in evs:
        check(e["tenant_id"] == tid and e["queue_id"] == q["id"] and e["queue_name"] == q["name"]
              and e["user_id"] == u["id"] and e["username"] == u["email"]
              and e["member_id"] == m["id"], "event: %r" % e)
    added, paused, unpaused, removed = evs
    check(added["penalty"] == 2 and added["paused"] is False and added["reason"] is None,
          "added: %r" % added)
    check(paused["paused"] is True and paused["reason"] == "break", "paused: %r" % paused)
    check(unpaused["paused"] is False and unpaused["penalty"] == 4, "unpaused: %r" % unpaused)
    check(removed["penalty"] == 4, "removed: %r" % removed)
    # A queue delete tells of each member that goes with it; a refused one of none.
    q2 = _queue(ctx, token)
    u2, _ = _user(ctx, token)
    _member(ctx, token, q2["id"], u["id"])
    _member(ctx, token, q2["id"], u2["id"], paused=True, paused_reason="away")
    blocker = _queue(ctx, token, overflow_type="queue", overflow_target_id=q2["id"])
    _refused(ctx.delete("/api/queues/" + q2["id"], token=token), 409)
    sb.cc_data(ctx.delete("/api/queues/" + blocker["id"], token=token))
    sb.cc_data(ctx.delete("/api/queues/" + q2["id"], token=token))
    evs = sb.wait(lambda: (lambda e: e if len(e) >= 8 else None)(_events(ctx, token)), 5)
    check(evs and len(evs) == 8, "events after the queue delete: %r" % evs)
    gone = evs[6:]
    check([e["type"] for e in gone] == ["queue.member.removed"] * 2
          and {e["user_id"] for e in gone} == {u["id"], u2["id"]}
          and all(e["queue_id"] == q2["id"] and e["queue_name"] == q2["name"] for e in gone),
          "removed with the queue: %r" % gone)
    check([e["paused"] for e in gone] == [False, True] and gone[1]["reason"] == "away",
          "as they were: %r" % gone)


# -- roles and isolation --------------------------------------------------------------

def test_queue_roles(ctx):
    token, _ = sb.tenant(ctx)
    q = _queue(ctx, token)
    mgr = sb.user(ctx, token, "manager")["token"]
    agent_user, agent = _user(ctx, token, "agent")
    # A manager writes.
    mq = _queue(ctx, mgr)
    sb.cc_data(ctx.put("/api/queues/" + mq["id"], {"retry": 9}, token=mgr))
    m = _member(ctx, mgr, q["id"], agent_user["id"])
    sb.cc_data(ctx.put("/api/queues/members/" + m["id"], {"paused": True}, token=mgr))
    sb.cc_data(ctx.delete("/api/queues/" + mq["id"], token=mgr))
    # An agent reads queues and members, and writes nothing.
    check(len(sb.cc_data(ctx.get("/api/queues", token=agent))) == 1, "agent lists")
    sb.cc_data(ctx.get("/api/queues/" + q["id"], token=agent))
    check(len(_members(ctx, agent, q["id"])) == 1, "agent lists members")
    for method, path, body in (("POST", "/api/queues", {"name": "A " + sb.uid()}),
                               ("PUT", "/api/queues/" + q["id"], {"retry": 1}),
                               ("DELETE", "/api/queues/" + q["id"], None),
                               ("POST", "/api/queues/%s/members" % q["id"],
                                {"user_id": agent_user["id"]}),
                               ("PUT", "/api/queues/members/" + m["id"], {"paused": False}),
                               ("DELETE", "/api/queues/%s/members/%s" % (q["id"],
                                                                         agent_user["id"]), None)):
        for prefix in ("", "/api/v1"):
            p = path if not prefix else "/api/v1" + path[4:]
            _refused(ctx.request(method, p, body=body, token=agent), 403)
    # No token.
    for method, path in (("GET", "/api/queues"), ("GET", "/api/v1/queues/" + q["id"]),
                         ("POST", "/api/queues"), ("GET", "/api/queues/%s/members" % q["id"]),
                         ("PUT", "/api/queues/members/" + m["id"])):
        _refused(ctx.request(method, path, body={}), 401)


def test_queue_tenant_isolation(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    q = _queue(ctx, token_a)
    ua, _ = _user(ctx, token_a)
    ub, _ = _user(ctx, token_b)
    m = _member(ctx, token_a, q["id"], ua["id"])
    qp = "/api/queues/" + q["id"]
    for method, path, body in (("GET", qp, None), ("PUT", qp, {"retry": 1}),
                               ("DELETE", qp, None), ("GET", qp + "/members", None),
                               ("POST", qp + "/members", {"user_id": ub["id"]}),
                               ("DELETE", qp + "/members/" + ua["id"], None),
                               ("PUT", "/api/queues/members/" + m["id"], {"paused": True})):
        _refused(ctx.request(method, path, body=body, token=token_b), 404)
        _refused(ctx.request(method, "/api/v1" + path[4:], body=body, token=token_b), 404)
    check(sb.cc_data(ctx.get("/api/queues", token=token_b)) == [], "B lists A's queues")
    # Nothing of A's moved.
    g = sb.cc_data(ctx.get(qp, token=token_a))
    check(g["retry"] == q["retry"] and g["member_count"] == 1, "A's queue changed: %r" % g)
    mm = _members(ctx, token_a, q["id"])
    check(len(mm) == 1 and mm[0]["paused"] is False, "A's member changed: %r" % mm)
    # B cannot add A's user to its own queue either.
    qb = _queue(ctx, token_b)
    _refused(ctx.post("/api/queues/%s/members" % qb["id"], {"user_id": ua["id"]},
                      token=token_b), 422, "user_id")


# -- concurrency and retries ----------------------------------------------------------

def test_member_positions_under_concurrent_adds(ctx):
    """Members added at the same moment each get their own place after the last: the
    default position is computed with the queue locked, not from a counter."""
    token, _ = sb.tenant(ctx)
    q = _queue(ctx, token, strategy="linear")
    users = [_user(ctx, token)[0] for _ in range(8)]
    path = "/api/queues/%s/members" % q["id"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        rs = list(ex.map(lambda u: ctx.post(path, {"user_id": u["id"]}, token=token), users))
    made = [sb.cc_data(r, 201) for r in rs]
    check(sorted(m["position"] for m in made) == list(range(1, 9)), "positions: %r"
          % sorted(m["position"] for m in made))
    lst = _members(ctx, token, q["id"])
    check([m["position"] for m in lst] == list(range(1, 9)), "list order: %r" % lst)


def test_member_add_idempotency_key(ctx):
    token, _ = sb.tenant(ctx)
    q = _queue(ctx, token)
    u, _ = _user(ctx, token)
    path = "/api/v1/queues/%s/members" % q["id"]
    h = {"Idempotency-Key": "add-" + sb.uid()}
    first = ctx.post(path, {"user_id": u["id"]}, token=token, headers=h)
    again = ctx.post(path, {"user_id": u["id"]}, token=token, headers=h)
    check(sb.cc_data(again, 201)["id"] == sb.cc_data(first, 201)["id"], "replay: %r" % again)
    check(again.headers.get("idempotent-replayed") == "true", "replay header: %r"
          % again.headers)
    check(len(_members(ctx, token, q["id"])) == 1, "the replay added a member")
    # Without the key, the same body is a duplicate.
    _refused(ctx.post(path, {"user_id": u["id"]}, token=token), 409)


def test_queue_search_and_sort(ctx):
    token, _ = sb.tenant(ctx)
    tag = sb.uid()
    a = _queue(ctx, token, name="Alpha " + tag)
    b = _queue(ctx, token, name="Beta " + tag)
    _queue(ctx, token, name="Gamma")
    lst = sb.cc_data(ctx.get("/api/queues?search=" + tag, token=token))
    check([q["id"] for q in lst] == [a["id"], b["id"]], "search: %r" % lst)
    lst = sb.cc_data(ctx.get("/api/queues?search=%s&sort=name&order=desc" % tag, token=token))
    check([q["id"] for q in lst] == [b["id"], a["id"]], "sort desc: %r" % lst)
    sb.cc_data(ctx.put("/api/queues/" + a["id"], {"is_active": False}, token=token))
    lst = sb.cc_data(ctx.get("/api/queues?is_active=false", token=token))
    check([q["id"] for q in lst] == [a["id"]], "is_active filter: %r" % lst)

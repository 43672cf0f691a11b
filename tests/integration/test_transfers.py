"""Transfers: choosing the agent (priority, then fewest calls), waiting when nobody has room,
the transfer state machine and the capacity it holds, isolation, and the capacity race:
concurrent transfers never over-book an agent."""
import concurrent.futures
import random
import re
import threading

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TRANSFER_FIELDS = {"id", "call_id", "department_id", "target_department", "agent_id",
                   "agent_name", "transfer_type", "transfer_reason", "urgency_level", "status",
                   "transfer_time", "connection_time", "completion_time", "context"}
POST_FIELDS = {"id", "call_id", "department_id", "agent_id", "status"}
_rng = random.SystemRandom()


# -- private helpers ------------------------------------------------------------------

def _agent(ctx, token, dept_id, **extra):
    body = {"name": "Agent " + sb.uid(), "phone_number": "+15550001111", "department_id": dept_id,
            "status": "available"}
    body.update(extra)
    r = ctx.post("/api/agents", body, token=token)
    check(r.status == 201, "create agent: %r" % r)
    return r.json["agent"]


def _get_agent(ctx, token, aid):
    r = ctx.get("/api/agents/" + aid, token=token)
    check(r.status == 200, "GET agent: %r" % r)
    return r.json["agent"]


def _calls_of(ctx, token, aid):
    return _get_agent(ctx, token, aid)["current_calls"]


def _call(ctx, token, **extra):
    body = {"caller_number": "+1444%07d" % _rng.randrange(10 ** 7),
            "called_number": "+15553334444", "status": "active"}
    body.update(extra)
    r = ctx.post("/api/calls", body, token=token)
    check(r.status == 201, "create call: %r" % r)
    return r.json["call"]


def _transfer(ctx, token, call_id, dept_id, key="target_department", **extra):
    body = {"call_id": call_id, key: dept_id}
    body.update(extra)
    r = ctx.post("/api/calls/transfer", body, token=token)
    check(r.status == 200 and r.json.get("success") is True, "transfer %r: %r" % (body, r))
    return r.json["transfer"]


def _move(ctx, token, tid, status):
    r = ctx.put("/api/calls/transfers/" + tid, {"status": status}, token=token)
    check(r.status == 200, "transfer %s -> %s: %r" % (tid, status, r))
    return r.json["transfer"]


# -- transfer ---------------------------------------------------------------------------

def test_transfer_contract(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"], max_concurrent_calls=5)
    c = _call(ctx, token)
    r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": dept["id"],
                                         "transfer_type": "cold", "transfer_reason": "billing",
                                         "urgency_level": "high",
                                         "context_summary": "wants a refund"}, token=token)
    check(r.status == 200 and r.json.get("success") is True, "transfer: %r" % r)
    t = r.json["transfer"]
    check(POST_FIELDS <= set(t), "transfer answer misses %r" % sorted(POST_FIELDS - set(t)))
    check(t["id"].startswith("transfer_") and len(t["id"]) > 9, "id: %r" % t)
    check(t["call_id"] == c["id"] and t["department_id"] == dept["id"]
          and t["agent_id"] == a["id"] and t["status"] == "initiated", "transfer: %r" % t)
    check(_calls_of(ctx, token, a["id"]) == 1, "capacity not reserved")
    # The same with department_id instead of target_department.
    c2 = _call(ctx, token)
    t2 = _transfer(ctx, token, c2["id"], dept["id"], key="department_id")
    check(t2["call_id"] == c2["id"] and t2["department_id"] == dept["id"]
          and t2["agent_id"] == a["id"] and t2["status"] == "initiated", "by department_id: %r"
          % t2)
    check(_calls_of(ctx, token, a["id"]) == 2, "second reservation")
    # The stored transfer, in full.
    r = ctx.get("/api/calls/%s/transfers" % c["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True, "call transfers: %r" % r)
    check(len(r.json["transfers"]) == 1, "one transfer: %r" % r)
    s = r.json["transfers"][0]
    check(set(s) == TRANSFER_FIELDS, "transfer object fields: %r" % sorted(s))
    check(s["id"] == t["id"] and s["call_id"] == c["id"] and s["department_id"] == dept["id"]
          and s["target_department"] == dept["name"] and s["agent_id"] == a["id"]
          and s["agent_name"] == a["name"] and s["transfer_type"] == "cold"
          and s["transfer_reason"] == "billing" and s["urgency_level"] == "high"
          and s["status"] == "initiated", "stored transfer: %r" % s)
    check(RFC3339.match(s["transfer_time"] or ""), "transfer_time: %r" % s["transfer_time"])
    check(s["connection_time"] is None and s["completion_time"] is None, "times: %r" % s)
    check(s["context"] == {"context_summary": "wants a refund"}, "context: %r" % s["context"])
    g = ctx.get("/api/calls/" + c["id"], token=token)
    check(g.status == 200 and g.json["call"]["transfers"] == [s], "call with its transfers: %r"
          % g)
    # Defaults.
    check(ctx.get("/api/calls/%s/transfers" % c2["id"],
                  token=token).json["transfers"][0]["transfer_type"] == "warm", "default warm")


def test_transfer_picks_priority_then_fewest_calls(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    other = sb.dept(ctx, token)
    _agent(ctx, token, dept["id"], priority=1, status="offline", max_concurrent_calls=9)
    _agent(ctx, token, dept["id"], priority=1, status="busy", max_concurrent_calls=9)
    _agent(ctx, token, other["id"], priority=1, max_concurrent_calls=9)
    low = _agent(ctx, token, dept["id"], priority=3, max_concurrent_calls=9)
    a = _agent(ctx, token, dept["id"], priority=2, max_concurrent_calls=2)
    b = _agent(ctx, token, dept["id"], priority=2, max_concurrent_calls=2)
    got = [_transfer(ctx, token, _call(ctx, token)["id"], dept["id"])["agent_id"]
           for _ in range(6)]
    # Priority 2 first: a and b, alternating by fewest calls, until both are full.
    check(set(got[:2]) == {a["id"], b["id"]}, "first two go to a and b: %r" % got)
    check(set(got[2:4]) == {a["id"], b["id"]}, "then a and b again: %r" % got)
    check(got[4:] == [low["id"], low["id"]], "then the priority 3 agent: %r" % got)
    check(_calls_of(ctx, token, a["id"]) == 2 and _calls_of(ctx, token, b["id"]) == 2
          and _calls_of(ctx, token, low["id"]) == 2, "capacity counts")
    # Fewest calls among equal priority: give a a call back, the next one goes to a.
    a_transfer = [t for t in ctx.get("/api/calls/logs?has_transfer=true&limit=200",
                                     token=token).json["call_logs"]
                  if t["transfers"][0]["agent_id"] == a["id"]][0]["transfers"][0]["id"]
    _move(ctx, token, a_transfer, "failed")
    check(_calls_of(ctx, token, a["id"]) == 1, "failed gives capacity back")
    t = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(t["agent_id"] == a["id"], "the freed priority 2 seat wins: %r" % t)
    # A change of priority changes the choice.
    check(ctx.put("/api/agents/" + low["id"], {"priority": 1}, token=token).status == 200)
    t = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(t["agent_id"] == low["id"], "priority 1 now: %r" % t)
    c = _call(ctx, token)
    d2 = sb.dept(ctx, token)
    x = _agent(ctx, token, d2["id"], priority=5, max_concurrent_calls=3)
    y = _agent(ctx, token, d2["id"], priority=5, max_concurrent_calls=3)
    first = _transfer(ctx, token, c["id"], d2["id"])["agent_id"]
    second = _transfer(ctx, token, _call(ctx, token)["id"], d2["id"])["agent_id"]
    check({first, second} == {x["id"], y["id"]}, "fewest current calls: %r %r" % (first, second))


def test_transfer_waits_when_nobody_has_capacity(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    t = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(t["agent_id"] is None and t["status"] == "waiting", "no agents: %r" % t)
    off = _agent(ctx, token, dept["id"], status="offline")
    busy = _agent(ctx, token, dept["id"], status="busy")
    full = _agent(ctx, token, dept["id"], max_concurrent_calls=1)
    t = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(t["agent_id"] == full["id"] and t["status"] == "initiated", "the one free seat: %r" % t)
    c = _call(ctx, token)
    t = _transfer(ctx, token, c["id"], dept["id"])
    check(t["agent_id"] is None and t["status"] == "waiting", "all full or away: %r" % t)
    for a in (off, busy):
        check(_calls_of(ctx, token, a["id"]) == 0, "an unavailable agent was booked")
    check(_calls_of(ctx, token, full["id"]) == 1, "over-booked: %r" % _get_agent(ctx, token,
                                                                                 full["id"]))
    s = ctx.get("/api/calls/%s/transfers" % c["id"], token=token).json["transfers"][0]
    check(s["status"] == "waiting" and s["agent_id"] is None and s["agent_name"] is None,
          "stored waiting transfer: %r" % s)
    # A waiting transfer reserved nothing: failing it gives nothing back.
    f = _move(ctx, token, t["id"], "failed")
    check(f["status"] == "failed", "waiting -> failed: %r" % f)
    check(_calls_of(ctx, token, full["id"]) == 1, "failing a waiting transfer freed a seat")


def test_transfer_validation(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    c = _call(ctx, token)
    for body, fields in (({"target_department": dept["id"]}, {"call_id"}),
                         ({"call_id": c["id"]}, {"target_department", "department_id"}),
                         ({"call_id": c["id"], "target_department": dept["id"],
                           "transfer_type": "hot"}, {"transfer_type"}),
                         ({"call_id": c["id"], "target_department": dept["id"],
                           "urgency_level": "extreme"}, {"urgency_level"}),
                         ({"call_id": 5, "target_department": dept["id"]}, {"call_id"})):
        r = ctx.post("/api/calls/transfer", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(sb.fields(r) & fields, "fields %r for %r: %r" % (fields, body, r))
    r = ctx.get("/api/calls/%s/transfers" % c["id"], token=token)
    check(r.status == 200 and r.json["transfers"] == [], "a refused transfer was stored: %r" % r)
    agent_tok = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.post("/api/calls/transfer", {"call_id": c["id"],
                                                  "target_department": dept["id"]},
                          token=agent_tok), 403, "forbidden")


def test_transfer_not_found_and_conflicts(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    dept_a = sb.dept(ctx, token_a)
    dept_b = sb.dept(ctx, token_b)
    agent_b = _agent(ctx, token_b, dept_b["id"])
    call_a = _call(ctx, token_a)
    call_b = _call(ctx, token_b)
    # Another tenant's call or department: 404, and nothing reserved.
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_a["id"],
                                                  "target_department": dept_b["id"]},
                          token=token_b), 404, "not_found")
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_b["id"],
                                                  "target_department": dept_a["id"]},
                          token=token_b), 404, "not_found")
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_a["id"],
                                                  "target_department": dept_b["id"]},
                          token=token_a), 404, "not_found")
    expect_error(ctx.post("/api/calls/transfer", {"call_id": "call_nope",
                                                  "target_department": dept_a["id"]},
                          token=token_a), 404, "not_found")
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_a["id"],
                                                  "department_id": "dept_nope"},
                          token=token_a), 404, "not_found")
    check(_calls_of(ctx, token_b, agent_b["id"]) == 0, "a refused transfer reserved capacity")
    # An inactive (deleted) department: 409.
    gone = sb.dept(ctx, token_a)
    check(ctx.delete("/api/departments/" + gone["id"], token=token_a).status == 200)
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_a["id"],
                                                  "target_department": gone["id"]},
                          token=token_a), 409, "conflict")
    # A finished call: 409.
    r = ctx.put("/api/calls/" + call_b["id"], {"status": "completed"}, token=token_b)
    check(r.status == 200, "finish: %r" % r)
    expect_error(ctx.post("/api/calls/transfer", {"call_id": call_b["id"],
                                                  "target_department": dept_b["id"]},
                          token=token_b), 409, "conflict")
    check(_calls_of(ctx, token_b, agent_b["id"]) == 0, "a finished call reserved capacity")
    for cid, tok in ((call_a["id"], token_a), (call_b["id"], token_b)):
        r = ctx.get("/api/calls/%s/transfers" % cid, token=tok)
        check(r.status == 200 and r.json["transfers"] == [], "refused transfers stored: %r" % r)
    expect_error(ctx.get("/api/calls/call_nope/transfers", token=token_a), 404, "not_found")


# -- the state machine ----------------------------------------------------------------

def test_transfer_lifecycle_gives_capacity_back(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"], max_concurrent_calls=1)
    c = _call(ctx, token)
    t = _transfer(ctx, token, c["id"], dept["id"])
    check(t["agent_id"] == a["id"], "agent: %r" % t)
    check(_calls_of(ctx, token, a["id"]) == 1, "reserved")
    s = _move(ctx, token, t["id"], "connecting")
    check(set(s) == TRANSFER_FIELDS, "PUT answer fields: %r" % sorted(s))
    check(s["status"] == "connecting" and s["id"] == t["id"] and s["agent_id"] == a["id"],
          "connecting: %r" % s)
    check(_calls_of(ctx, token, a["id"]) == 1, "connecting keeps the seat")
    s = _move(ctx, token, t["id"], "connected")
    check(s["status"] == "connected" and RFC3339.match(s["connection_time"] or ""),
          "connected: %r" % s)
    check(s["completion_time"] is None, "completion_time before the end: %r" % s)
    check(_calls_of(ctx, token, a["id"]) == 1, "connected keeps the seat")
    # The call stays live, showing where it is now.
    rows = [x for x in ctx.get("/api/calls/active", token=token).json["active_calls"]
            if x["id"] == c["id"]]
    check(len(rows) == 1, "transferred call left the live list: %r" % rows)
    check(rows[0]["current_department"] == dept["name"] and rows[0]["assigned_agent"] == a["name"],
          "live row names: %r" % rows[0])
    s = _move(ctx, token, t["id"], "completed")
    check(s["status"] == "completed" and RFC3339.match(s["completion_time"] or ""),
          "completed: %r" % s)
    check(_calls_of(ctx, token, a["id"]) == 0, "completed must give the seat back: %r"
          % _get_agent(ctx, token, a["id"]))
    # The seat is free for the next transfer.
    t2 = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(t2["agent_id"] == a["id"] and t2["status"] == "initiated", "seat reused: %r" % t2)
    f = _move(ctx, token, t2["id"], "failed")
    check(f["status"] == "failed" and RFC3339.match(f["completion_time"] or ""), "failed: %r" % f)
    check(_calls_of(ctx, token, a["id"]) == 0, "failed must give the seat back")
    # connecting -> failed, and initiated -> connected directly.
    t3 = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    _move(ctx, token, t3["id"], "connecting")
    _move(ctx, token, t3["id"], "failed")
    check(_calls_of(ctx, token, a["id"]) == 0, "connecting -> failed gives the seat back")
    t4 = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    check(_move(ctx, token, t4["id"], "connected")["status"] == "connected", "initiated->connected")
    _move(ctx, token, t4["id"], "failed")
    check(_calls_of(ctx, token, a["id"]) == 0, "connected -> failed gives the seat back")


def test_transfer_illegal_moves(ctx):
    token, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"], max_concurrent_calls=10)
    t = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    expect_error(ctx.put("/api/calls/transfers/" + t["id"], {"status": "completed"},
                         token=token), 409, "conflict")      # initiated -> completed
    _move(ctx, token, t["id"], "connected")
    expect_error(ctx.put("/api/calls/transfers/" + t["id"], {"status": "connecting"},
                         token=token), 409, "conflict")      # connected -> connecting
    _move(ctx, token, t["id"], "completed")
    for status in ("connecting", "connected", "completed", "failed"):
        expect_error(ctx.put("/api/calls/transfers/" + t["id"], {"status": status},
                             token=token), 409, "conflict")  # completed is final
    check(_calls_of(ctx, token, a["id"]) == 0, "illegal moves changed the count")
    f = _transfer(ctx, token, _call(ctx, token)["id"], dept["id"])
    _move(ctx, token, f["id"], "failed")
    for status in ("connecting", "connected", "completed", "failed"):
        expect_error(ctx.put("/api/calls/transfers/" + f["id"], {"status": status},
                             token=token), 409, "conflict")  # failed is final
    check(_calls_of(ctx, token, a["id"]) == 0, "a second failure gave back a seat twice")
    # A waiting transfer has no agent to connect to.
    empty = sb.dept(ctx, token)
    w = _transfer(ctx, token, _call(ctx, token)["id"], empty["id"])
    check(w["status"] == "waiting", "waiting: %r" % w)
    for status in ("connecting", "connected", "completed"):
        expect_error(ctx.put("/api/calls/transfers/" + w["id"], {"status": status},
                             token=token), 409, "conflict")
    # Validation, absence, isolation.
    for body in ({}, {"status": "initiated"}, {"status": "waiting"}, {"status": "done"}):
        r = ctx.put("/api/calls/transfers/" + w["id"], body, token=token)
        expect_error(r, 422, "validation_failed")
        check("status" in sb.fields(r), "fields.status for %r: %r" % (body, r))
    expect_error(ctx.put("/api/calls/transfers/transfer_nope", {"status": "failed"},
                         token=token), 404, "not_found")
    expect_error(ctx.put("/api/calls/transfers/" + w["id"], {"status": "failed"},
                         token=token_b), 404, "not_found")
    check(ctx.get("/api/calls/%s/transfers" % w["call_id"],
                  token=token).json["transfers"][0]["status"] == "waiting",
          "another tenant moved the transfer")
    agent_tok = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.put("/api/calls/transfers/" + w["id"], {"status": "failed"},
                         token=agent_tok), 403, "forbidden")


def test_call_end_gives_transfer_capacity_back(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"], max_concurrent_calls=3)
    c1, c2, c3 = _call(ctx, token), _call(ctx, token), _call(ctx, token)
    t1 = _transfer(ctx, token, c1["id"], dept["id"])
    t2 = _transfer(ctx, token, c2["id"], dept["id"])
    t3 = _transfer(ctx, token, c3["id"], dept["id"])
    _move(ctx, token, t2["id"], "connecting")
    _move(ctx, token, t3["id"], "connected")
    check(_calls_of(ctx, token, a["id"]) == 3, "three seats held")
    for c in (c1, c2, c3):
        r = ctx.put("/api/calls/" + c["id"], {"status": "completed"}, token=token)
        check(r.status == 200, "end call: %r" % r)
    check(_calls_of(ctx, token, a["id"]) == 0, "ending the calls must give the seats back: %r"
          % _get_agent(ctx, token, a["id"]))
    states = {}
    for c, t in ((c1, t1), (c2, t2), (c3, t3)):
        s = ctx.get("/api/calls/%s/transfers" % c["id"], token=token).json["transfers"][0]
        states[t["id"]] = s["status"]
        check(s["completion_time"] is not None, "open transfer not closed: %r" % s)
    check(states[t3["id"]] == "completed", "a connected transfer completes with the call")
    check(states[t1["id"]] == "failed" and states[t2["id"]] == "failed",
          "unconnected transfers fail with the call: %r" % states)
    # The agent can be deleted no longer for capacity reasons.
    check(_get_agent(ctx, token, a["id"])["current_calls"] == 0, "count")
    expect_error(ctx.put("/api/calls/transfers/" + t3["id"], {"status": "failed"}, token=token),
                 409, "conflict")


def test_transferred_call_in_live_list_and_transfers_route(ctx):
    token, _ = sb.tenant(ctx)
    sales = sb.dept(ctx, token, name="Sales " + sb.uid())
    support = sb.dept(ctx, token, name="Support " + sb.uid())
    s_agent = _agent(ctx, token, sales["id"], name="Sam " + sb.uid())
    c = _call(ctx, token)
    t1 = _transfer(ctx, token, c["id"], sales["id"])
    row = [x for x in ctx.get("/api/calls/active", token=token).json["active_calls"]
           if x["id"] == c["id"]][0]
    check(row["current_department"] == sales["name"] and row["assigned_agent"] == s_agent["name"],
          "after the transfer: %r" % row)
    check(isinstance(row["can_transfer"], bool), "can_transfer: %r" % row)
    _move(ctx, token, t1["id"], "connected")
    _move(ctx, token, t1["id"], "completed")
    # Second hop, to a department with nobody free: the call shows that department, no agent.
    t2 = _transfer(ctx, token, c["id"], support["id"])
    check(t2["status"] == "waiting", "waiting: %r" % t2)
    row = [x for x in ctx.get("/api/calls/active", token=token).json["active_calls"]
           if x["id"] == c["id"]]
    check(len(row) == 1, "call left the live list: %r" % row)
    check(row[0]["current_department"] == support["name"] and row[0]["assigned_agent"] is None,
          "after the second transfer: %r" % row[0])
    r = ctx.get("/api/calls/%s/transfers" % c["id"], token=token)
    check(r.status == 200, "transfers: %r" % r)
    ts = r.json["transfers"]
    check([t["id"] for t in ts] == [t1["id"], t2["id"]], "order of transfers: %r" % ts)
    check([t["status"] for t in ts] == ["completed", "waiting"], "statuses: %r" % ts)
    check(ts[0]["target_department"] == sales["name"] and ts[0]["agent_name"] == s_agent["name"]
          and ts[1]["target_department"] == support["name"], "names: %r" % ts)
    for t in ts:
        check(set(t) == TRANSFER_FIELDS, "transfer fields: %r" % sorted(t))
    agent_tok = sb.user(ctx, token, "agent")["token"]
    r = ctx.get("/api/calls/%s/transfers" % c["id"], token=agent_tok)
    check(r.status == 200 and len(r.json["transfers"]) == 2, "any role reads: %r" % r)


# -- the capacity race ----------------------------------------------------------------

def _race(ctx, token, dept_id, call_ids):
    """One POST /api/calls/transfer per call, all at once. Returns the answers."""
    start = threading.Barrier(len(call_ids))

    def one(cid):
        start.wait(timeout=60)
        return ctx.post("/api/calls/transfer", {"call_id": cid, "target_department": dept_id},
                        token=token, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(call_ids)) as ex:
        return list(ex.map(one, call_ids))


def _check_race(ctx, token, agents, answers, call_ids, round_no):
    bad = [r for r in answers if r.status != 200]
    check(not bad, "round %d: %d transfers failed, e.g. %r" % (round_no, len(bad), bad[:3]))
    ts = [r.json["transfer"] for r in answers]
    check(sorted(t["call_id"] for t in ts) == sorted(call_ids), "round %d: call ids" % round_no)
    booked = [t for t in ts if t["agent_id"] is not None]
    waiting = [t for t in ts if t["agent_id"] is None]
    check(len(booked) == 3, "round %d: %d transfers got an agent, want exactly 3: %r"
          % (round_no, len(booked), [t["agent_id"] for t in booked]))
    check(sorted(t["agent_id"] for t in booked) == sorted(a["id"] for a in agents),
          "round %d: the 3 transfers must have 3 distinct agents: %r"
          % (round_no, [t["agent_id"] for t in booked]))
    check(all(t["status"] == "initiated" for t in booked), "round %d: booked status" % round_no)
    check(len(waiting) == 47 and all(t["status"] == "waiting" for t in waiting),
          "round %d: %d waiting, statuses %r" % (round_no, len(waiting),
                                                 sorted({t["status"] for t in waiting})))
    for a in agents:
        g = _get_agent(ctx, token, a["id"])
        check(g["current_calls"] == 1, "round %d: agent %s has current_calls %r (max 1)"
              % (round_no, a["id"], g["current_calls"]))
    return booked


def test_transfer_capacity_race(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    agents = [_agent(ctx, token, dept["id"], max_concurrent_calls=1, priority=p)
              for p in (1, 1, 2)]
    for round_no in (1, 2):
        call_ids = [_call(ctx, token)["id"] for _ in range(50)]
        answers = _race(ctx, token, dept["id"], call_ids)
        booked = _check_race(ctx, token, agents, answers, call_ids, round_no)
        # Everything stored agrees with the answers.
        r = ctx.get("/api/calls/logs?has_transfer=true&limit=200&date_range=1day", token=token)
        open_rows = [x for x in r.json["call_logs"] if x["id"] in set(call_ids)]
        check(len(open_rows) == 50, "round %d: transfers stored: %d" % (round_no, len(open_rows)))
        stored_agents = [x["transfers"][-1]["agent_id"] for x in open_rows
                         if x["transfers"][-1]["agent_id"] is not None]
        check(sorted(stored_agents) == sorted(a["id"] for a in agents),
              "round %d: stored agents %r" % (round_no, stored_agents))
        # Release the seats for the next round: fail the booked transfers, end every call.
        for t in booked:
            _move(ctx, token, t["id"], "failed")
        for a in agents:
            check(_calls_of(ctx, token, a["id"]) == 0, "round %d: seat not given back" % round_no)
        for cid in call_ids:
            r = ctx.put("/api/calls/" + cid, {"status": "completed"}, token=token)
            check(r.status == 200, "end call: %r" % r)
        for a in agents:
            check(_calls_of(ctx, token, a["id"]) == 0, "round %d: ending calls changed the count"
                  % round_no)


def test_transfer_capacity_race_fresh_tenant(ctx):
    """The same race again on a fresh tenant, with equal priorities."""
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    agents = [_agent(ctx, token, dept["id"], max_concurrent_calls=1) for _ in range(3)]
    call_ids = [_call(ctx, token)["id"] for _ in range(50)]
    answers = _race(ctx, token, dept["id"], call_ids)
    _check_race(ctx, token, agents, answers, call_ids, 1)

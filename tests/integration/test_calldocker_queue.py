"""CallDocker queue moves: an agent pulls the next waiting call of their queues (the
distributor's reservation: a pending offer), two agents pulling at once never get the same
call; staff assign a waiting call to an agent (409 at capacity or once it is not waiting)."""
import concurrent.futures

import sb
from sb import cc_data, check, expect_error


def _queue(ctx, token):
    return cc_data(ctx.post("/api/queues", {"name": "Q " + sb.uid(), "strategy": "linear",
                                            "timeout": 60, "retry": 0, "wrapup_time": 0,
                                            "max_wait_time": 0}, token=token), 201)


def _member(ctx, admin, queue_id, presence):
    s = sb.user(ctx, admin, "agent")
    r = ctx.post("/api/queues/%s/members" % queue_id, {"user_id": s["user"]["id"]}, token=admin)
    check(r.status == 201, "member: %r" % r)
    if presence:
        r = ctx.put("/api/agents/%s/availability" % s["user"]["id"], {"availability": presence},
                    token=s["token"])
        check(r.status == 200, "presence: %r" % r)
    return {"id": s["user"]["id"], "token": s["token"]}


def _setup(ctx, ncalls):
    """A queue with a logged-in (busy) member, so calls wait; the calls held back from the
    clock's dispatch, so only pulls and assigns move them."""
    admin, tid = sb.tenant(ctx)
    q = _queue(ctx, admin)
    _member(ctx, admin, q["id"], "busy")
    calls = []
    for i in range(ncalls):
        c = cc_data(ctx.post("/api/queues/%s/calls" % q["id"],
                             {"caller_number": "+1555010%04d" % i}, token=admin), 201)
        check(c["status"] == "waiting", "waits: %r" % c)
        calls.append(c["id"])
    sb.sql(ctx, "UPDATE queue_calls SET next_offer_at = NOW(3) + INTERVAL 1 HOUR"
                " WHERE tenant_id = '%s'" % tid)
    return admin, tid, q, calls


def _pull(ctx, agent):
    return ctx.get("/api/calls/queue/next", token=agent["token"])


def _pending(ctx, tid):
    return sb.sql(ctx, "SELECT queue_call_id, user_id FROM queue_offers WHERE tenant_id = '%s'"
                       " AND status = 'pending'" % tid).split("\n")[:-1]


def test_pull_next_call(ctx):
    admin, tid, q, calls = _setup(ctx, 2)
    agent = _member(ctx, admin, q["id"], "available")
    r = _pull(ctx, agent)
    check(r.status == 200 and r.json["success"] is True, "pull: %r" % r)
    d = r.json["data"]
    check(d["id"] == calls[0] and d["status"] == "offered" and d["offer_id"].startswith("offer_")
          and d["offer_expires_at"], "first in line, offered: %r" % d)
    # Capacity 1: the agent holds an offer, so a second pull is refused.
    e = _pull(ctx, agent)
    expect_error(e, 409)
    check(e.json.get("message"), "calldocker message: %r" % e)
    acc = ctx.post("/api/offers/%s/accept" % d["offer_id"], {}, token=agent["token"])
    check(acc.status == 200 and cc_data(acc)["status"] == "answered", "accept: %r" % acc)
    # A non-member finds nothing; nothing waiting answers data null with a message.
    outsider = sb.user(ctx, admin, "agent")
    ctx.post("/api/agent-state/me/available", {}, token=outsider["token"])
    n = ctx.get("/api/calls/queue/next", token=outsider["token"])
    check(n.status == 200 and n.json["data"] is None and n.json.get("message"), "none: %r" % n)
    expect_error(ctx.get("/api/calls/queue/next"), 401)


def test_two_agents_pulling_at_once_never_share_a_call(ctx):
    for _ in range(4):
        admin, tid, q, calls = _setup(ctx, 1)
        agents = [_member(ctx, admin, q["id"], "available") for _ in range(3)]
        with concurrent.futures.ThreadPoolExecutor(len(agents)) as ex:
            got = list(ex.map(lambda a: _pull(ctx, a), agents))
        check(all(g.status == 200 for g in got), "pulls: %r" % got)
        taken = [g.json["data"]["id"] for g in got if g.json["data"] is not None]
        check(taken == [calls[0]], "exactly one agent got the call: %r" % got)
        check(len(_pending(ctx, tid)) == 1, "one offer: %r" % _pending(ctx, tid))
    # Many calls, many agents: every agent gets a different call.
    admin, tid, q, calls = _setup(ctx, 6)
    agents = [_member(ctx, admin, q["id"], "available") for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(len(agents)) as ex:
        got = list(ex.map(lambda a: _pull(ctx, a), agents))
    taken = [g.json["data"]["id"] for g in got]
    check(len(set(taken)) == 4 and set(taken) <= set(calls), "distinct calls: %r" % taken)
    pend = _pending(ctx, tid)
    check(len(pend) == 4 and len(set(p.split("\t")[0] for p in pend)) == 4, "offers: %r" % pend)


def test_assign_capacity_and_errors(ctx):
    admin, tid, q, calls = _setup(ctx, 3)
    a = _member(ctx, admin, q["id"], "available")
    b = _member(ctx, admin, q["id"], "available")
    r = ctx.post("/api/calls/%s/assign" % calls[0], {"agent_id": a["id"]}, token=admin)
    check(r.status == 200 and r.json["data"]["id"] == calls[0]
          and r.json["data"]["status"] == "offered", "assign: %r" % r)
    check(_pending(ctx, tid) == ["%s\t%s" % (calls[0], a["id"])], "offer to a")
    # a is at capacity (1); the first call is no longer waiting.
    e = ctx.post("/api/calls/%s/assign" % calls[1], {"agent_id": a["id"]}, token=admin)
    expect_error(e, 409)
    e = ctx.post("/api/calls/%s/assign" % calls[0], {"agent_id": b["id"]}, token=admin)
    expect_error(e, 409)
    check("no longer waiting" in e.json["message"], "message: %r" % e)
    # The call's own id works when the queued call carries one (here: the queued call id).
    r = ctx.post("/api/calls/%s/assign" % calls[1], {"user_id": b["id"]}, token=admin)
    check(r.status == 200 and r.json["data"]["offer_id"], "alias user_id: %r" % r)
    expect_error(ctx.post("/api/calls/qc_nothing/assign", {"agent_id": b["id"]}, token=admin), 404)
    e = ctx.post("/api/calls/%s/assign" % calls[2], {}, token=admin)
    check(e.status == 422 and "agent_id" in sb.fields(e), "422: %r" % e)
    e = ctx.post("/api/calls/%s/assign" % calls[2], {"agent_id": "usr_nobody"}, token=admin)
    check(e.status == 422 and "agent_id" in sb.fields(e), "422 unknown agent: %r" % e)
    expect_error(ctx.post("/api/calls/%s/assign" % calls[2], {"agent_id": b["id"]},
                          token=a["token"]), 403)
    other, _ = sb.tenant(ctx)
    expect_error(ctx.post("/api/calls/%s/assign" % calls[2], {"agent_id": b["id"]},
                          token=other), 404)
    expect_error(ctx.post("/api/calls/%s/assign" % calls[2], {"agent_id": b["id"]}), 401)

"""CallDocker: the shared paths (/api/users, /api/agents, /api/calls) carry calldocker's
data and pagination beside the transfer keys; a company's users and agents (another
company is 404 unless super_admin); an agent's availability drives the agent state."""

import sb
from sb import check, expect_error



def _cd_page(r, total_min=1):
    """A calldocker list page: data is a list, pagination{page,limit,total,pages}."""
    check(r.status == 200 and r.json.get("success") is True, "list: %r" % r)
    check(isinstance(r.json.get("data"), list), "data list: %r" % r)
    p = r.json.get("pagination") or {}
    check({"page", "limit", "total", "pages"} <= set(p), "pagination: %r" % p)
    check(p["total"] >= total_min and p["pages"] >= 1, "counts: %r" % p)
    return r.json["data"]


def test_shared_paths_carry_calldocker_and_transfer_keys(ctx):
    token, tid = sb.tenant(ctx)
    d = sb.dept(ctx, token)
    r = ctx.get("/api/users?page=1&limit=5&sortBy=email&sortOrder=asc", token=token)
    data = _cd_page(r)
    check(r.json.get("users") == data and r.json.get("total") >= 1, "transfer keys: %r" % r)
    check(r.json["pagination"].get("total_pages") == r.json["pagination"]["pages"],
          "both names: %r" % r.json["pagination"])
    a = ctx.post("/api/agents", {"name": "A " + sb.uid(), "phone_number": "+15550002222",
                                 "department_id": d["id"]}, token=token)
    check(a.status == 201 and a.json["data"] == a.json["agent"], "agent create: %r" % a)
    r = ctx.get("/api/agents", token=token)
    check(_cd_page(r) == r.json["agents"], "agents: %r" % r)
    c = ctx.post("/api/calls", {"caller_number": "+15550003333", "called_number": "+15550004444"},
                 token=token)
    check(c.status == 201 and c.json["data"]["id"] == c.json["call"]["id"], "call: %r" % c)
    g = ctx.get("/api/calls/" + c.json["call"]["id"], token=token)
    check(g.status == 200 and g.json["data"]["id"] == c.json["call"]["id"], "get call: %r" % g)
    r = ctx.get("/api/calls?page=1&limit=10&sortBy=start_time&sortOrder=desc", token=token)
    check(_cd_page(r)[0].get("id"), "calls list: %r" % r)
    # calldocker reads message on an error.
    e = ctx.get("/api/users/usr_nope", token=token)
    check(e.status == 404 and e.json.get("message") and e.json.get("success") is False, "%r" % e)


def test_company_users_and_agents(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    d = sb.dept(ctx, token)
    ctx.post("/api/agents", {"name": "A " + sb.uid(), "phone_number": "+15550002222",
                             "department_id": d["id"]}, token=token)
    users = _cd_page(ctx.get("/api/users/company/%s?limit=10" % tid, token=token))
    check(all(u["tenant_id"] == tid for u in users), "own users: %r" % users)
    agents = _cd_page(ctx.get("/api/agents/company/%s" % tid, token=token))
    check(len(agents) == 1 and agents[0]["tenant_id"] == tid, "agents: %r" % agents)
    for path in ("/api/users/company/", "/api/agents/company/"):
        expect_error(ctx.get(path + other_tid, token=token), 404)
        expect_error(ctx.get(path + "ten_nothing", token=token), 404)
        expect_error(ctx.get(path + tid), 401)
    agent = sb.user(ctx, token, "agent")
    expect_error(ctx.get("/api/users/company/" + tid, token=agent["token"]), 403)
    sup = sb.super_admin(ctx)["token"]
    users = _cd_page(ctx.get("/api/users/company/" + other_tid, token=sup))
    check(all(u["tenant_id"] == other_tid for u in users), "super sees other: %r" % users)
    _cd_page(ctx.get("/api/agents/company/" + tid, token=sup))
    expect_error(ctx.get("/api/users/company/ten_nothing", token=sup), 404)


def test_agent_availability_drives_agent_state(ctx):
    token, tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    other = sb.user(ctx, token, "agent")
    uid = agent["user"]["id"]
    r = ctx.put("/api/agents/%s/availability" % uid, {"availability": "available"},
                token=agent["token"])
    check(r.status == 200 and r.json["data"]["presence"] == "available"
          and r.json["data"]["availability"] == "available", "own: %r" % r)
    st = ctx.get("/api/v1/agent-state/" + uid, token=token)
    check(st.json["data"]["presence"] == "available", "agent state: %r" % st)
    r = ctx.put("/api/agents/%s/availability" % uid, {"status": "busy", "reason": "lunch"},
                token=token)
    check(r.status == 200 and r.json["data"]["presence"] == "away"
          and r.json["data"]["availability"] == "busy" and r.json["data"]["reason"] == "lunch",
          "staff sets busy: %r" % r)
    # An agent record linked to the user works as :id too.
    d = sb.dept(ctx, token)
    a = ctx.post("/api/agents", {"name": "A", "phone_number": "+15550002222",
                                 "department_id": d["id"], "user_id": uid}, token=token)
    r = ctx.put("/api/agents/%s/availability" % a.json["agent"]["id"], {"availability": "offline"},
                token=token)
    check(r.status == 200 and r.json["data"]["user_id"] == uid
          and r.json["data"]["state"] == "offline", "by agent record: %r" % r)
    expect_error(ctx.put("/api/agents/%s/availability" % uid, {"availability": "available"},
                         token=other["token"]), 403)
    e = ctx.put("/api/agents/%s/availability" % uid, {"availability": "napping"}, token=token)
    check(e.status == 422 and "availability" in sb.fields(e), "422: %r" % e)
    e = ctx.put("/api/agents/%s/availability" % uid, {}, token=token)
    check(e.status == 422 and "availability" in sb.fields(e), "422 missing: %r" % e)
    o_token, _ = sb.tenant(ctx)
    expect_error(ctx.put("/api/agents/%s/availability" % uid, {"availability": "away"},
                         token=o_token), 404)
    expect_error(ctx.put("/api/agents/%s/availability" % uid, {"availability": "away"}), 401)

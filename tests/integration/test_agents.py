"""Agents: create, list, get, partial update, status changes (and who may make them),
the department's agent list, validation, tenant isolation, delete refused while busy."""
import re

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
AGENT_FIELDS = {"id", "tenant_id", "department_id", "user_id", "name", "phone_number", "email",
                "status", "priority", "max_concurrent_calls", "current_calls", "created_at",
                "updated_at"}


# -- private helpers ------------------------------------------------------------------

def _agent(ctx, token, dept_id, **extra):
    body = {"name": "Agent " + sb.uid(), "phone_number": "+15550001111", "department_id": dept_id}
    body.update(extra)
    r = ctx.post("/api/agents", body, token=token)
    check(r.status == 201, "create agent %r: %r" % (body, r))
    return r.json["agent"]


def _get_agent(ctx, token, aid):
    r = ctx.get("/api/agents/" + aid, token=token)
    check(r.status == 200, "GET agent %s: %r" % (aid, r))
    return r.json["agent"]


# -- create / get / list --------------------------------------------------------------

def test_agent_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    user = sb.user(ctx, token, "agent")["user"]
    r = ctx.post("/api/agents", {"name": "Ada Lovelace", "phone_number": "+15550002222",
                                 "department_id": dept["id"], "email": "ada@example.test",
                                 "status": "available", "priority": 3,
                                 "max_concurrent_calls": 4, "user_id": user["id"]}, token=token)
    check(r.status == 201, "create: %r" % r)
    check(r.json.get("success") is True, "success: %r" % r)
    a = r.json["agent"]
    check(set(a) == AGENT_FIELDS, "agent fields: %r" % sorted(a))
    check(a["id"].startswith("agent_") and len(a["id"]) > 6, "id: %r" % a["id"])
    check(a["tenant_id"] == tid, "tenant_id: %r" % a["tenant_id"])
    check(a["department_id"] == dept["id"], "department_id: %r" % a["department_id"])
    check(a["user_id"] == user["id"], "user_id: %r" % a["user_id"])
    check(a["name"] == "Ada Lovelace", "name: %r" % a["name"])
    check(a["phone_number"] == "+15550002222", "phone_number: %r" % a["phone_number"])
    check(a["email"] == "ada@example.test", "email: %r" % a["email"])
    check(a["status"] == "available", "status: %r" % a["status"])
    check(a["priority"] == 3 and a["max_concurrent_calls"] == 4, "numbers: %r" % a)
    check(a["current_calls"] == 0, "current_calls: %r" % a["current_calls"])
    check(RFC3339.match(a["created_at"] or "") and RFC3339.match(a["updated_at"] or ""),
          "times: %r" % a)
    # Defaults: status offline, priority 1, max_concurrent_calls 1, email/user_id null.
    b = _agent(ctx, token, dept["id"])
    check(b["status"] == "offline", "default status: %r" % b["status"])
    check(b["priority"] == 1, "default priority: %r" % b["priority"])
    check(b["max_concurrent_calls"] == 1, "default max_concurrent_calls: %r" % b)
    check(b["current_calls"] == 0 and b["email"] is None and b["user_id"] is None,
          "defaults: %r" % b)
    check(b["id"] != a["id"], "two agents, one id")
    # GET returns the same record.
    g = ctx.get("/api/agents/" + a["id"], token=token)
    check(g.status == 200 and g.json.get("success") is True, "GET: %r" % g)
    check(g.json["agent"] == a, "GET differs from the create answer: %r vs %r"
          % (g.json["agent"], a))
    # Limits that are allowed.
    c = _agent(ctx, token, dept["id"], priority=10, max_concurrent_calls=100)
    check(c["priority"] == 10 and c["max_concurrent_calls"] == 100, "limits: %r" % c)


def test_agent_list_and_filters(ctx):
    token, tid = sb.tenant(ctx)
    d1, d2 = sb.dept(ctx, token), sb.dept(ctx, token)
    a1 = _agent(ctx, token, d1["id"], name="Alpha " + sb.uid(), status="available")
    a2 = _agent(ctx, token, d1["id"], name="Bravo " + sb.uid())
    a3 = _agent(ctx, token, d2["id"], name="Charlie " + sb.uid(), status="busy")
    r = ctx.get("/api/agents", token=token)
    check(r.status == 200 and r.json.get("success") is True, "list: %r" % r)
    check(r.json["total"] == 3, "total: %r" % r.json.get("total"))
    check([a["id"] for a in r.json["agents"]] == [a1["id"], a2["id"], a3["id"]],
          "agents by name: %r" % [a["name"] for a in r.json["agents"]])
    for a in r.json["agents"]:
        check(set(a) == AGENT_FIELDS, "listed agent fields: %r" % sorted(a))
    pg = r.json.get("pagination")
    check(pg == {"page": 1, "limit": 25, "total": 3, "total_pages": 1, "pages": 1}, "pagination: %r" % pg)
    r = ctx.get("/api/agents?department_id=" + d1["id"], token=token)
    check(r.status == 200 and r.json["total"] == 2, "department filter: %r" % r)
    check({a["id"] for a in r.json["agents"]} == {a1["id"], a2["id"]}, "dept filter: %r" % r)
    r = ctx.get("/api/agents?status=busy", token=token)
    check(r.status == 200 and [a["id"] for a in r.json["agents"]] == [a3["id"]],
          "status filter: %r" % r)
    r = ctx.get("/api/agents?status=offline&department_id=" + d1["id"], token=token)
    check(r.status == 200 and [a["id"] for a in r.json["agents"]] == [a2["id"]],
          "combined filters: %r" % r)
    r = ctx.get("/api/agents?limit=2&page=2", token=token)
    check(r.status == 200 and len(r.json["agents"]) == 1 and r.json["total"] == 3,
          "page 2 of 2: %r" % r)
    check(r.json["pagination"] == {"page": 2, "limit": 2, "total": 3, "total_pages": 2, "pages": 2},
          "pagination page 2: %r" % r.json["pagination"])
    r = ctx.get("/api/agents?status=sleeping", token=token)
    expect_error(r, 422, "validation_failed")
    check("status" in sb.fields(r), "fields.status: %r" % r)
    r = ctx.get("/api/agents?limit=201", token=token)
    expect_error(r, 422, "validation_failed")
    check("limit" in sb.fields(r), "fields.limit: %r" % r)
    # Any role may list.
    agent_tok = sb.user(ctx, token, "agent")["token"]
    r = ctx.get("/api/agents", token=agent_tok)
    check(r.status == 200 and r.json["total"] == 3, "agent role lists: %r" % r)
    check(ctx.get("/api/agents").status == 401, "no token must be 401")


# -- validation -----------------------------------------------------------------------

def test_agent_create_validation(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    gone = sb.dept(ctx, token)
    r = ctx.delete("/api/departments/" + gone["id"], token=token)
    check(r.status == 200, "delete department: %r" % r)
    other_token, _ = sb.tenant(ctx)
    foreign = sb.dept(ctx, other_token)
    base = {"name": "Val " + sb.uid(), "phone_number": "+15550003333", "department_id": dept["id"]}

    def refused(body, field):
        r = ctx.post("/api/agents", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
        return r

    body = dict(base)
    del body["department_id"]
    r = refused(body, "department_id")
    check(sb.fields(r) == {"department_id"}, "only department_id is wrong: %r" % r)
    for field in ("name", "phone_number"):
        body = dict(base)
        del body[field]
        refused(body, field)
    refused(dict(base, department_id=gone["id"]), "department_id")       # inactive
    refused(dict(base, department_id=foreign["id"]), "department_id")    # another tenant's
    refused(dict(base, department_id="dept_does_not_exist"), "department_id")
    refused(dict(base, priority=0), "priority")
    refused(dict(base, priority=11), "priority")
    refused(dict(base, priority="1"), "priority")
    refused(dict(base, max_concurrent_calls=0), "max_concurrent_calls")
    refused(dict(base, max_concurrent_calls=101), "max_concurrent_calls")
    refused(dict(base, status="on_break"), "status")
    refused(dict(base, phone_number="5551234567"), "phone_number")
    refused(dict(base, user_id="usr_nobody"), "user_id")
    r = refused(dict(base, current_calls=0), "current_calls")
    check(sb.fields(r) == {"current_calls"}, "only current_calls is wrong: %r" % r)
    refused(dict(base, current_calls=5), "current_calls")
    # A user of another tenant cannot be linked.
    other_user = sb.user(ctx, other_token, "agent")["user"]
    refused(dict(base, user_id=other_user["id"]), "user_id")
    # Nothing of the refused bodies was stored.
    r = ctx.get("/api/agents", token=token)
    check(r.status == 200 and r.json["total"] == 0, "a refused create was stored: %r" % r)
    # Roles: agents may not create.
    agent_tok = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.post("/api/agents", base, token=agent_tok), 403, "forbidden")
    manager_tok = sb.user(ctx, token, "manager")["token"]
    r = ctx.post("/api/agents", base, token=manager_tok)
    check(r.status == 201, "a manager creates agents: %r" % r)


# -- update ---------------------------------------------------------------------------

def test_agent_partial_update(ctx):
    token, _ = sb.tenant(ctx)
    d1, d2 = sb.dept(ctx, token), sb.dept(ctx, token)
    a = _agent(ctx, token, d1["id"], name="Original", email="o@example.test", priority=4,
               max_concurrent_calls=2)
    r = ctx.put("/api/agents/" + a["id"], {"priority": 7}, token=token)
    check(r.status == 200 and r.json.get("success") is True, "PUT priority: %r" % r)
    b = r.json["agent"]
    check(set(b) == AGENT_FIELDS, "fields: %r" % sorted(b))
    check(b["priority"] == 7, "priority: %r" % b["priority"])
    for k in ("name", "phone_number", "email", "status", "department_id",
              "max_concurrent_calls", "current_calls", "user_id", "created_at"):
        check(b[k] == a[k], "%s changed by a PUT that did not send it: %r -> %r"
              % (k, a[k], b[k]))
    r = ctx.put("/api/agents/" + a["id"], {"name": "Renamed", "department_id": d2["id"],
                                            "max_concurrent_calls": 9, "email": None},
                token=token)
    check(r.status == 200, "PUT several: %r" % r)
    b = r.json["agent"]
    check(b["name"] == "Renamed" and b["department_id"] == d2["id"]
          and b["max_concurrent_calls"] == 9 and b["priority"] == 7, "update: %r" % b)
    check(b["email"] is None, "email null clears it: %r" % b["email"])
    check(_get_agent(ctx, token, a["id"]) == b, "GET after PUT differs")
    # Validation on PUT.
    gone = sb.dept(ctx, token)
    check(ctx.delete("/api/departments/" + gone["id"], token=token).status == 200)
    for body, field in (({"priority": 0}, "priority"), ({"priority": 11}, "priority"),
                        ({"current_calls": 3}, "current_calls"),
                        ({"department_id": gone["id"]}, "department_id"),
                        ({"status": "lunch"}, "status"), ({"name": ""}, "name"),
                        ({"max_concurrent_calls": 0}, "max_concurrent_calls")):
        r = ctx.put("/api/agents/" + a["id"], body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "PUT fields.%s for %r: %r" % (field, body, r))
    check(_get_agent(ctx, token, a["id"]) == b, "a refused PUT changed the agent")
    expect_error(ctx.put("/api/agents/agent_nope", {"priority": 2}, token=token), 404,
                 "not_found")


# -- status ---------------------------------------------------------------------------

def test_agent_status_change_and_agent_role(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    me = sb.user(ctx, token, "agent")
    mine = _agent(ctx, token, dept["id"], user_id=me["user"]["id"])
    theirs = _agent(ctx, token, dept["id"])
    check(mine["status"] == "offline", "start offline: %r" % mine)
    # Staff may set any agent's status.
    r = ctx.put("/api/agents/%s/status" % theirs["id"], {"status": "busy"}, token=token)
    check(r.status == 200 and r.json.get("success") is True, "admin sets status: %r" % r)
    check(set(r.json["agent"]) == AGENT_FIELDS and r.json["agent"]["status"] == "busy",
          "status answer: %r" % r)
    check(_get_agent(ctx, token, theirs["id"])["status"] == "busy", "status not stored")
    # The agent user changes its own seat…
    r = ctx.put("/api/agents/%s/status" % mine["id"], {"status": "available"},
                token=me["token"])
    check(r.status == 200 and r.json["agent"]["status"] == "available", "own status: %r" % r)
    check(_get_agent(ctx, token, mine["id"])["status"] == "available", "own status not stored")
    # …but not another agent's.
    r = ctx.put("/api/agents/%s/status" % theirs["id"], {"status": "available"},
                token=me["token"])
    expect_error(r, 403, "forbidden")
    check(_get_agent(ctx, token, theirs["id"])["status"] == "busy",
          "a refused status change was stored")
    # An agent user without a linked agent cannot change any.
    stranger = sb.user(ctx, token, "agent")
    expect_error(ctx.put("/api/agents/%s/status" % mine["id"], {"status": "offline"},
                         token=stranger["token"]), 403, "forbidden")
    # Agent users cannot use the general PUT either.
    expect_error(ctx.put("/api/agents/" + mine["id"], {"status": "busy"}, token=me["token"]),
                 403, "forbidden")
    # A manager may.
    mgr = sb.user(ctx, token, "manager")
    r = ctx.put("/api/agents/%s/status" % mine["id"], {"status": "offline"},
                token=mgr["token"])
    check(r.status == 200 and r.json["agent"]["status"] == "offline", "manager: %r" % r)
    # Validation.
    for body in ({}, {"status": "lunch"}, {"status": None}, {"status": 1}):
        r = ctx.put("/api/agents/%s/status" % mine["id"], body, token=token)
        expect_error(r, 422, "validation_failed")
        check("status" in sb.fields(r), "fields.status for %r: %r" % (body, r))
    expect_error(ctx.put("/api/agents/agent_missing/status", {"status": "busy"}, token=token),
                 404, "not_found")
    # Setting the same status again is fine.
    r = ctx.put("/api/agents/%s/status" % mine["id"], {"status": "offline"}, token=token)
    check(r.status == 200 and r.json["agent"]["status"] == "offline", "same status: %r" % r)


# -- department agents ----------------------------------------------------------------

def test_department_agents_list(ctx):
    token, _ = sb.tenant(ctx)
    d1, d2 = sb.dept(ctx, token), sb.dept(ctx, token)
    a1 = _agent(ctx, token, d1["id"], name="Al", status="available", priority=2)
    a2 = _agent(ctx, token, d1["id"], name="Zed", priority=1)
    a3 = _agent(ctx, token, d1["id"], name="Amy", priority=1, max_concurrent_calls=5)
    a4 = _agent(ctx, token, d1["id"], name="Bob", priority=1)
    sb.sql(ctx, "UPDATE agents SET current_calls = 1 WHERE id = '%s'" % a3["id"])
    _agent(ctx, token, d2["id"], status="available")
    r = ctx.get("/api/departments/%s/agents" % d1["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True, "dept agents: %r" % r)
    check(r.json["total"] == 4, "total: %r" % r.json.get("total"))
    # By priority, then current calls, then name.
    check([a["id"] for a in r.json["agents"]] == [a4["id"], a2["id"], a3["id"], a1["id"]],
          "order of d1's agents: %r" % [(a["name"], a["priority"], a["current_calls"])
                                        for a in r.json["agents"]])
    for a in r.json["agents"]:
        check(set(a) == AGENT_FIELDS and a["department_id"] == d1["id"], "row: %r" % a)
    sb.sql(ctx, "UPDATE agents SET current_calls = 0 WHERE id = '%s'" % a3["id"])
    r = ctx.get("/api/departments/%s/agents?status=available" % d1["id"], token=token)
    check(r.status == 200 and [a["id"] for a in r.json["agents"]] == [a1["id"]]
          and r.json["total"] == 1, "status filter: %r" % r)
    r = ctx.get("/api/departments/%s/agents?status=busy" % d1["id"], token=token)
    check(r.status == 200 and r.json["agents"] == [] and r.json["total"] == 0,
          "no busy agents: %r" % r)
    r = ctx.get("/api/departments/%s/agents?status=weird" % d1["id"], token=token)
    expect_error(r, 422, "validation_failed")
    check("status" in sb.fields(r), "fields.status: %r" % r)
    expect_error(ctx.get("/api/departments/dept_nope/agents", token=token), 404, "not_found")
    agent_tok = sb.user(ctx, token, "agent")["token"]
    r = ctx.get("/api/departments/%s/agents" % d1["id"], token=agent_tok)
    check(r.status == 200 and r.json["total"] == 4, "any role: %r" % r)


# -- isolation ------------------------------------------------------------------------

def test_agent_tenant_isolation(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token_a)
    a = _agent(ctx, token_a, dept["id"], status="available")
    dept_b = sb.dept(ctx, token_b)
    expect_error(ctx.get("/api/agents/" + a["id"], token=token_b), 404, "not_found")
    expect_error(ctx.put("/api/agents/" + a["id"], {"name": "Stolen"}, token=token_b), 404,
                 "not_found")
    expect_error(ctx.put("/api/agents/%s/status" % a["id"], {"status": "offline"},
                         token=token_b), 404, "not_found")
    expect_error(ctx.delete("/api/agents/" + a["id"], token=token_b), 404, "not_found")
    expect_error(ctx.get("/api/departments/%s/agents" % dept["id"], token=token_b), 404,
                 "not_found")
    r = ctx.get("/api/agents", token=token_b)
    check(r.status == 200 and r.json["total"] == 0 and r.json["agents"] == [],
          "B lists A's agents: %r" % r)
    r = ctx.get("/api/agents?department_id=" + dept["id"], token=token_b)
    check(r.status == 200 and r.json["agents"] == [], "B filters on A's department: %r" % r)
    # B cannot move its own agent into A's department either.
    b = _agent(ctx, token_b, dept_b["id"])
    r = ctx.put("/api/agents/" + b["id"], {"department_id": dept["id"]}, token=token_b)
    expect_error(r, 422, "validation_failed")
    check("department_id" in sb.fields(r), "fields.department_id: %r" % r)
    # A's agent is untouched.
    g = _get_agent(ctx, token_a, a["id"])
    check(g == a, "A's agent changed: %r vs %r" % (g, a))


# -- delete ---------------------------------------------------------------------------

def test_agent_delete(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"])
    r = ctx.delete("/api/agents/" + a["id"], token=token)
    check(r.status == 200 and r.json.get("success") is True, "delete: %r" % r)
    check(isinstance(r.json.get("message"), str) and r.json["message"], "message: %r" % r)
    check(r.json.get("agent", {}).get("id") == a["id"], "deleted agent echoed: %r" % r)
    expect_error(ctx.get("/api/agents/" + a["id"], token=token), 404, "not_found")
    expect_error(ctx.delete("/api/agents/" + a["id"], token=token), 404, "not_found")
    r = ctx.get("/api/agents", token=token)
    check(r.status == 200 and r.json["total"] == 0, "deleted agent still listed: %r" % r)
    agent_tok = sb.user(ctx, token, "agent")["token"]
    b = _agent(ctx, token, dept["id"])
    expect_error(ctx.delete("/api/agents/" + b["id"], token=agent_tok), 403, "forbidden")


def test_agent_delete_refused_while_on_a_call(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    a = _agent(ctx, token, dept["id"], status="available")
    r = ctx.post("/api/calls", {"caller_number": "+15557770001",
                                "called_number": "+15557770002"}, token=token)
    check(r.status == 201, "create call: %r" % r)
    r = ctx.post("/api/calls/transfer", {"call_id": r.json["call"]["id"],
                                         "target_department": dept["id"]}, token=token)
    check(r.status == 200 and r.json["transfer"]["agent_id"] == a["id"], "transfer: %r" % r)
    check(_get_agent(ctx, token, a["id"])["current_calls"] == 1, "capacity not reserved")
    expect_error(ctx.delete("/api/agents/" + a["id"], token=token), 409, "conflict")
    g = _get_agent(ctx, token, a["id"])
    check(g["current_calls"] == 1, "a refused delete changed the agent: %r" % g)
    # Same with a count set directly, and a delete succeeds once it is back to 0.
    b = _agent(ctx, token, dept["id"])
    sb.sql(ctx, "UPDATE agents SET current_calls = 2 WHERE id = '%s'" % b["id"])
    expect_error(ctx.delete("/api/agents/" + b["id"], token=token), 409, "conflict")
    sb.sql(ctx, "UPDATE agents SET current_calls = 0 WHERE id = '%s'" % b["id"])
    r = ctx.delete("/api/agents/" + b["id"], token=token)
    check(r.status == 200, "delete once idle: %r" % r)

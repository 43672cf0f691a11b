"""IVR flows (calldocker): versions and activate, the validation of a graph (422 naming the
node for each rule of docs/ivr.md), sessions walked into a queue (the caller lands in
queue_calls), a session keeping its version, the preview, analytics, routing rules,
cross-tenant 404s and roles."""
import copy

import ivr_fixtures as fx
import sb
from sb import check, expect_error

FLOW_FIELDS = {"id", "tenant_id", "name", "description", "status", "latest_version",
               "active_version", "versions", "created_by", "created_at", "updated_at"}


def _dock(r, status=200):
    """The data of a calldocker success."""
    check(r.status == status, "expected %d, got %r" % (status, r))
    check(r.json.get("success") is True and "data" in r.json, "not calldocker: %r" % r)
    return r.json["data"]


def _refused(ctx, token, g, field, node_id):
    r = ctx.post("/api/ivr/flows", {"name": "Bad " + sb.uid(), "graph": g}, token=token)
    expect_error(r, 422)
    fields = r.json.get("fields") or {}
    check(field in fields, "expected %s in %r" % (field, r))
    check(("'%s'" % node_id) in fields[field], "message does not name %s: %r" % (node_id, r))
    check(isinstance(r.json.get("message"), str), "calldocker message: %r" % r)


def test_ivr_flow_versions_and_activate(ctx):
    token, tenant = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    g = fx.graph(q["id"])
    name = "Main " + sb.uid()
    f = _dock(ctx.post("/api/ivr/flows", {"name": name, "description": "d", "graph": g},
                       token=token), 201)
    check(FLOW_FIELDS <= set(f), "flow fields: %r" % f)
    check(f["id"].startswith("ivf_") and f["tenant_id"] == tenant, "id: %r" % f)
    check(f["latest_version"] == 1 and f["version"] == 1 and f["status"] == "draft" and
          f["active_version"] is None and f["graph"] == g, "created: %r" % f)
    # the list and the legacy path read the same flows
    lst = ctx.get("/api/ivr/flows?limit=5", token=token)
    data = _dock(lst)
    check([x["id"] for x in data] == [f["id"]] and "graph" not in data[0], "list: %r" % lst)
    check(lst.json["pagination"] == {"page": 1, "limit": 5, "total": 1, "pages": 1},
          "pagination: %r" % lst.json)
    check(_dock(ctx.get("/api/ivr/" + f["id"], token=token))["graph"] == g, "alias get")
    # a new graph is version 2; the old one stays readable
    g2 = fx.graph(q["id"], welcome="Version two")
    f2 = _dock(ctx.put("/api/ivr/" + f["id"], {"graph": g2}, token=token))
    check(f2["latest_version"] == 2 and f2["versions"] == 2 and f2["graph"] == g2, "v2: %r" % f2)
    old = _dock(ctx.get("/api/ivr/flows/%s?version=1" % f["id"], token=token))
    check(old["version"] == 1 and old["graph"] == g, "version 1: %r" % old)
    expect_error(ctx.get("/api/ivr/flows/%s?version=7" % f["id"], token=token), 404)
    expect_error(ctx.get("/api/ivr/flows/%s?version=x" % f["id"], token=token), 422)
    # renaming alone adds no version
    f3 = _dock(ctx.put("/api/ivr/flows/" + f["id"], {"name": name + " b"}, token=token))
    check(f3["latest_version"] == 2 and f3["name"] == name + " b", "rename: %r" % f3)
    # activate: the latest by default, or a version given
    a = _dock(ctx.post("/api/ivr/flows/%s/activate" % f["id"], {}, token=token))
    check(a["active_version"] == 2 and a["status"] == "active", "activate: %r" % a)
    a = _dock(ctx.post("/api/ivr/%s/activate" % f["id"], {"version": 1}, token=token))
    check(a["active_version"] == 1, "activate 1: %r" % a)
    r = ctx.post("/api/ivr/flows/%s/activate" % f["id"], {"version": 3}, token=token)
    expect_error(r, 422)
    check("version" in r.json["fields"], "names version: %r" % r)
    # a flow without a graph cannot be activated; a name is unique in the tenant
    e = _dock(ctx.post("/api/ivr", {"name": "Empty " + sb.uid()}, token=token), 201)
    check(e["latest_version"] == 0 and e["graph"] is None, "empty: %r" % e)
    expect_error(ctx.post("/api/ivr/flows/%s/activate" % e["id"], {}, token=token), 409)
    expect_error(ctx.post("/api/ivr/flows", {"name": name + " b"}, token=token), 409)
    expect_error(ctx.post("/api/ivr/flows", {"graph": g}, token=token), 422)
    expect_error(ctx.request("POST", "/api/ivr/flows", raw="{nope", token=token), 400)
    # delete
    check(_dock(ctx.delete("/api/ivr/flows/" + e["id"], token=token)) is not None or True, "")
    expect_error(ctx.get("/api/ivr/flows/" + e["id"], token=token), 404)


def test_ivr_flow_invalid_each_way(ctx):
    token, _ = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    base = fx.graph(q["id"])

    def g_with(fn):
        g = copy.deepcopy(base)
        fn(g)
        return g

    nodes = lambda g: {n["id"]: n for n in g["nodes"]}  # noqa: E731
    # rule 1: ids unique and well formed, types known, numbers within bounds, start
    _refused(ctx, token, g_with(lambda g: g["nodes"].append({"id": "bye", "type": "hangup"})),
             "graph.nodes[7].id", "bye")
    _refused(ctx, token, g_with(lambda g: nodes(g)["op"].update(type="teleport")),
             "graph.nodes[5].type", "op")
    _refused(ctx, token, g_with(lambda g: nodes(g)["main"].update(timeout=61)),
             "graph.nodes[1].timeout", "main")
    _refused(ctx, token, g_with(lambda g: nodes(g)["acct"].update(num_digits=0)),
             "graph.nodes[2].num_digits", "acct")
    r = ctx.post("/api/ivr/flows", {"name": "B " + sb.uid(),
                                    "graph": g_with(lambda g: g.update(start="nowhere"))},
                 token=token)
    expect_error(r, 422)
    check("graph.start" in r.json["fields"], "start: %r" % r)
    # rule 2: a dangling branch
    _refused(ctx, token, g_with(lambda g: nodes(g)["main"]["options"].update({"5": "ghost"})),
             "graph.nodes[1].options.5", "main")
    _refused(ctx, token, g_with(lambda g: nodes(g)["welcome"].update(next="ghost")),
             "graph.nodes[0].next", "welcome")
    # rule 3: a node nothing reaches
    _refused(ctx, token, g_with(lambda g: g["nodes"].append(
        {"id": "island", "type": "hangup"})), "graph.nodes[7]", "island")
    # rule 4: a loop without input (welcome -> again -> welcome; main still reachable)
    _refused(ctx, token, g_with(lambda g: (
        nodes(g)["welcome"].update(next="again"),
        g["nodes"].append({"id": "again", "type": "branch", "variable": "caller_number",
                           "cases": [{"op": "eq", "value": "+1", "next": "welcome"}],
                           "default": "main"}))),
        "graph.nodes[7]", "again")
    # rule 5: targets of the tenant (another tenant's queue is absent), E.164, schedules,
    # content
    other, _ = sb.tenant(ctx)
    oq = fx.queue(ctx, other)
    _refused(ctx, token, g_with(lambda g: nodes(g)["sales"].update(target=oq["id"])),
             "graph.nodes[4].target", "sales")
    _refused(ctx, token, g_with(lambda g: nodes(g)["op"].update(target="not a number")),
             "graph.nodes[5].target", "op")
    _refused(ctx, token, g_with(lambda g: nodes(g)["op"].update(target_type="voicemail",
                                                                 target="vmb_nope")),
             "graph.nodes[5].target", "op")
    _refused(ctx, token, g_with(lambda g: (
        nodes(g)["welcome"].update(next="hours"),
        g["nodes"].append({"id": "hours", "type": "schedule", "schedule_id": "sch_nope",
                           "open": "main", "closed": "bye"}))),
        "graph.nodes[7].schedule_id", "hours")
    _refused(ctx, token, g_with(lambda g: nodes(g)["main"].update(
        prompt={"content_id": "ivc_nope"})), "graph.nodes[1].prompt.content_id", "main")
    _refused(ctx, token, g_with(lambda g: nodes(g)["sales"].update(
        target_type="flow", target="ivf_nope")), "graph.nodes[4].target", "sales")
    # an update is validated the same way and adds no version
    f = fx.flow(ctx, token, base, activate=False)
    r = ctx.put("/api/ivr/flows/" + f["id"], {"graph": g_with(
        lambda g: nodes(g)["welcome"].update(next="ghost"))}, token=token)
    expect_error(r, 422)
    check(_dock(ctx.get("/api/ivr/flows/" + f["id"], token=token))["latest_version"] == 1, "v")


def _start(ctx, token, flow_id, caller="+15557654321"):
    return _dock(ctx.post("/api/ivr/sessions", {"flow_id": flow_id, "caller_number": caller,
                                                "called_number": "+15550000000"},
                          token=token), 201)


def test_ivr_session_walk_into_queue(ctx):
    token, _ = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    s = _start(ctx, token, f["id"])
    check(s["id"].startswith("ivs_") and s["status"] == "active" and s["version"] == 1 and
          s["node_id"] == "main", "start: %r" % s)
    check([p["text"] for p in s["prompts"]] == ["Welcome & hello <caller>",
                                                 "Press 1 for sales"], "prompts: %r" % s)
    check(s["waiting"]["type"] == "menu" and s["waiting"]["options"] == ["0", "1", "2"] and
          s["waiting"]["timeout"] == 5 and s["outcome"] is None, "waiting: %r" % s)
    check(s["variables"]["caller_number"] == "+15557654321", "variables: %r" % s)
    # a key with no option re-prompts (retries 1)
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "7"}, token=token))
    check(n["status"] == "active" and n["waiting"]["node_id"] == "main" and
          [p["text"] for p in n["prompts"]] == ["Press 1 for sales"], "invalid: %r" % n)
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"digits": "1"}, token=token))
    check(n["status"] == "routed" and n["waiting"] is None and
          n["outcome"]["target_type"] == "queue" and n["outcome"]["target"] == q["id"],
          "routed: %r" % n)
    qc = n["outcome"]["queue_call_id"]
    rows = sb.sql(ctx, "SELECT queue_id, caller_number, status FROM queue_calls WHERE id = '%s'"
                  % qc).split()
    check(rows[:2] == [q["id"], "+15557654321"], "queue_calls: %r" % rows)
    # the steps, in order
    g = _dock(ctx.get("/api/ivr/sessions/" + s["id"], token=token))
    check([(x["node_id"], x["result"]) for x in g["steps"]] ==
          [("welcome", "played"), ("main", "played"), ("main", "invalid"), ("main", "played"),
           ("main", "input"), ("sales", "routed")], "steps: %r" % g["steps"])
    check(g["status"] == "routed" and g["outcome_type"] == "queue" and g["ended_at"], "row")
    expect_error(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "1"}, token=token),
                 409)
    e = _dock(ctx.put("/api/ivr/sessions/%s/end" % s["id"], token=token))
    check(e["status"] == "routed", "end after routed: %r" % e)
    # a gather into a branch: 99… goes to sales too, the variable kept
    s = _start(ctx, token, f["id"])
    _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "2"}, token=token))
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "991234#"},
                       token=token))
    check(n["status"] == "routed" and n["variables"]["account"] == "991234", "gather: %r" % n)
    # no input twice: no_input, the goodbye, completed
    s = _start(ctx, token, f["id"])
    _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {}, token=token))
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": ""}, token=token))
    check(n["status"] == "completed" and n["prompts"][-1]["text"] == "Goodbye" and
          n["outcome"]["status"] == "completed", "no input: %r" % n)
    expect_error(ctx.post("/api/ivr/sessions", {}, token=token), 422)


def test_ivr_session_keeps_its_version(ctx):
    token, _ = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    old = _start(ctx, token, f["id"])
    # version 2: option 1 hangs up; made live while the old session waits
    _dock(ctx.put("/api/ivr/flows/" + f["id"], {"graph": fx.graph(q["id"], one="bye")},
                  token=token))
    _dock(ctx.post("/api/ivr/flows/%s/activate" % f["id"], {}, token=token))
    new = _start(ctx, token, f["id"])
    check(old["version"] == 1 and new["version"] == 2, "versions: %r %r" % (old, new))
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % old["id"], {"input": "1"}, token=token))
    check(n["status"] == "routed" and n["version"] == 1, "old keeps v1: %r" % n)
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % new["id"], {"input": "1"}, token=token))
    check(n["status"] == "completed" and n["version"] == 2, "new runs v2: %r" % n)


def test_ivr_preview_abandon_and_analytics(ctx):
    token, tenant = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    p = _dock(ctx.get("/api/ivr/flows/%s/preview?inputs=7,1" % f["id"], token=token))
    check(p["version"] == 1 and p["status"] == "routed" and len(p["turns"]) == 3 and
          p["turns"][2]["input"] == "1" and p["turns"][2]["outcome"]["target"] == q["id"],
          "preview: %r" % p)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM ivr_sessions WHERE flow_id = '%s'" % f["id"])
          .strip() == "0", "the preview stores nothing")
    # one caller hangs up at the menu, one presses 0
    s = _start(ctx, token, f["id"])
    e = _dock(ctx.put("/api/ivr/sessions/%s/end" % s["id"], token=token))
    check(e["status"] == "abandoned", "abandoned: %r" % e)
    s = _start(ctx, token, f["id"])
    _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "0"}, token=token))
    a = _dock(ctx.get("/api/ivr/analytics", token=token))
    check(a["sessions"] == 2 and a["abandoned"] == 1 and a["routed"] == 1 and
          a["abandon_rate"] == 0.5 and a["completion_rate"] == 0.5, "totals: %r" % a)
    check({"outcome_type": "external", "sessions": 1} in a["outcomes"], "outcomes: %r" % a)
    main = [n for n in a["nodes"] if n["node_id"] == "main"][0]
    check(main["drops"] == 1 and main["zero_presses"] == 1 and main["sessions"] == 2,
          "main: %r" % main)
    same = _dock(ctx.get("/api/ivr/analytics/" + tenant, token=token))
    check(same["sessions"] == 2, "by company: %r" % same)
    other, other_tenant = sb.tenant(ctx)
    expect_error(ctx.get("/api/ivr/analytics/" + tenant, token=other), 404)
    # the platform's super_admin reads any company's
    sa = sb.super_admin(ctx)["token"]
    check(_dock(ctx.get("/api/ivr/analytics/" + tenant, token=sa))["sessions"] == 2, "super")
    expect_error(ctx.get("/api/ivr/analytics/ten_nope", token=sa), 404)
    h = _dock(ctx.get("/api/ivr/health", token=token))
    check(h["status"] == "ok" and h["flows_active"] == 1 and h["sessions_active"] == 0,
          "health: %r" % h)


def test_ivr_did_routes_to_flow(ctx):
    token, _ = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    number = "+1555%08d" % (int(sb.uid()[:7], 16) % 10 ** 8)
    r = ctx.post("/api/dids", {"number": number}, token=token)
    check(r.status == 201, "did: %r" % r)
    did = r.json["did"]
    r = ctx.put("/api/dids/%s/routing" % did["id"], {"route_type": "ivr",
                                                       "route_target": "ivf_nope"}, token=token)
    expect_error(r, 422)
    r = ctx.put("/api/dids/%s/routing" % did["id"], {"route_type": "ivr",
                                                       "route_target": f["id"]}, token=token)
    check(r.status == 200 and r.json["did"]["route_target"] == f["id"], "routing: %r" % r)
    rules = ctx.get("/api/ivr/routing-rules", token=token)
    data = _dock(rules)
    check(len(data) == 1 and data[0]["number"] == number and data[0]["flow_name"] == f["name"],
          "rules: %r" % rules)
    r = ctx.delete("/api/ivr/flows/" + f["id"], token=token)
    expect_error(r, 409)
    check(number in r.json["error"], "names the number: %r" % r)
    ctx.put("/api/dids/%s/routing" % did["id"], {"route_type": "voicemail"}, token=token)
    # the live version of another flow routing to it keeps it too
    g = fx.graph(q["id"])
    g["nodes"][5].update(target_type="flow", target=f["id"])
    other = fx.flow(ctx, token, g)
    r = ctx.delete("/api/ivr/flows/" + f["id"], token=token)
    expect_error(r, 409)
    check(other["name"] in r.json["error"], "names the flow: %r" % r)
    _dock(ctx.delete("/api/ivr/flows/" + other["id"], token=token))
    # and an option of a callcenter menu
    menu = "ivm_" + sb.uid()
    sb.sql(ctx, "INSERT INTO ivr_menus (id, tenant_id, name, greeting_text) SELECT '%s',"
                " tenant_id, 'Menu %s', 'Hi' FROM ivr_flows WHERE id = '%s'" % (menu, menu, f["id"]))
    sb.sql(ctx, "INSERT INTO ivr_options (id, tenant_id, menu_id, digit, route_type,"
                " route_target) SELECT 'ivo_%s', tenant_id, '%s', '1', 'ivr', id FROM ivr_flows"
                " WHERE id = '%s'" % (sb.uid(), menu, f["id"]))
    r = ctx.delete("/api/ivr/flows/" + f["id"], token=token)
    expect_error(r, 409)
    check(("Menu " + menu) in r.json["error"], "names the menu: %r" % r)
    sb.sql(ctx, "DELETE FROM ivr_options WHERE menu_id = '%s'" % menu)
    _dock(ctx.delete("/api/ivr/flows/" + f["id"], token=token))


def test_ivr_tenants_and_roles(ctx):
    token, _ = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    f = fx.flow(ctx, token, fx.graph(q["id"]))
    s = _start(ctx, token, f["id"])
    other, _ = sb.tenant(ctx)
    for path in ("/api/ivr/flows/" + f["id"], "/api/ivr/" + f["id"],
                 "/api/ivr/sessions/" + s["id"], "/api/ivr/flows/%s/preview" % f["id"]):
        expect_error(ctx.get(path, token=other), 404)
    expect_error(ctx.put("/api/ivr/flows/" + f["id"], {"name": "x"}, token=other), 404)
    expect_error(ctx.delete("/api/ivr/flows/" + f["id"], token=other), 404)
    expect_error(ctx.post("/api/ivr/flows/%s/activate" % f["id"], {}, token=other), 404)
    expect_error(ctx.post("/api/ivr/sessions", {"flow_id": f["id"]}, token=other), 404)
    expect_error(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "1"}, token=other),
                 404)
    expect_error(ctx.put("/api/ivr/sessions/%s/end" % s["id"], token=other), 404)
    check(_dock(ctx.get("/api/ivr/flows", token=other)) == [], "other's list is empty")
    # roles: an agent reads flows but writes nothing and runs no sessions
    agent = sb.user(ctx, token, "agent")["token"]
    check(len(_dock(ctx.get("/api/ivr/flows", token=agent))) == 1, "agent reads")
    expect_error(ctx.post("/api/ivr/flows", {"name": "x"}, token=agent), 403)
    expect_error(ctx.put("/api/ivr/" + f["id"], {"name": "x"}, token=agent), 403)
    expect_error(ctx.post("/api/ivr/sessions", {"flow_id": f["id"]}, token=agent), 403)
    expect_error(ctx.get("/api/ivr/analytics", token=agent), 403)
    manager = sb.user(ctx, token, "manager")["token"]
    expect_error(ctx.post("/api/ivr/flows", {"name": "x"}, token=manager), 403)
    _start(ctx, manager, f["id"])
    for path in ("/api/ivr/flows", "/api/ivr", "/api/ivr/health", "/api/ivr/routing-rules"):
        expect_error(ctx.get(path), 401)


def test_ivr_session_of_a_callcenter_menu(ctx):
    """The sessions API runs a callcenter menu (menu_id) through the same engine."""
    token, tenant = sb.tenant(ctx)
    q = fx.queue(ctx, token)
    menu = "ivm_" + sb.uid()
    sb.sql(ctx, "INSERT INTO ivr_menus (id, tenant_id, name, greeting_text) VALUES"
                " ('%s', '%s', 'Menu %s', 'Hi from the menu')" % (menu, tenant, menu))
    sb.sql(ctx, "INSERT INTO ivr_options (id, tenant_id, menu_id, digit, route_type,"
                " route_target) VALUES ('ivo_%s', '%s', '%s', '1', 'queue', '%s')"
                % (sb.uid(), tenant, menu, q["id"]))
    s = _dock(ctx.post("/api/ivr/sessions", {"menu_id": menu}, token=token), 201)
    check(s["menu_id"] == menu and s["flow_id"] is None and s["waiting"]["options"] == ["1"] and
          s["prompts"][0]["text"] == "Hi from the menu", "menu session: %r" % s)
    n = _dock(ctx.post("/api/ivr/sessions/%s/next" % s["id"], {"input": "1"}, token=token))
    check(n["status"] == "routed" and n["outcome"]["target"] == q["id"] and
          n["outcome"]["queue_call_id"], "menu routed: %r" % n)
    r = ctx.post("/api/ivr/sessions", {"menu_id": menu, "flow_id": "ivf_x"}, token=token)
    expect_error(r, 422)
    check("flow_id" in r.json["fields"], "both: %r" % r)
    other, _ = sb.tenant(ctx)
    expect_error(ctx.post("/api/ivr/sessions", {"menu_id": menu}, token=other), 404)

"""Live chat (issue 9, REST side): widgets, the visitor's public routes (widget key, origin,
per-session secret, rate limit), the agents' sessions, assignment within capacity, transfers,
messages with read receipts, typing, stats, and a chat nobody answered becoming 'missed'."""
import time

import sb
from sb import check, expect_cc_error, cc_data

ORIGIN = "https://shop.example"
V1 = "/api/v1/chat"


# -- helpers --------------------------------------------------------------------------

def _widget(ctx, token, **extra):
    body = {"name": "Widget " + sb.uid(), "allowed_origins": [ORIGIN],
            "greeting_message": "Hello! How can we help?",
            "offline_message": "We are away; we will write back.",
            "settings": {"max_wait_seconds": 600}}
    body.update(extra)
    r = ctx.post(V1 + "/widgets", body, token=token)
    return cc_data(r, 201)


def _vh(widget, secret=None, origin=ORIGIN):
    h = {"X-Widget-Key": widget["public_key"]}
    if origin:
        h["Origin"] = origin
    if secret:
        h["X-Chat-Secret"] = secret
    return h


def _start(ctx, widget, source=None, **body):
    body.setdefault("visitor_name", "Vera Visitor")
    r = ctx.post(V1 + "/public/start", body, headers=_vh(widget), source=source)
    return cc_data(r, 201)


def _events(ctx, session_id):
    out = sb.sql(ctx, "SELECT type FROM call_events WHERE audience = 'chat:%s' ORDER BY id"
                 % session_id)
    return out.split()


def _chat_agent(ctx, admin, max_chats=1, status="online"):
    u = sb.user(ctx, admin, "agent")
    r = ctx.post(V1 + "/agents", {"user_id": u["user"]["id"], "max_concurrent_chats": max_chats},
                 token=admin)
    a = cc_data(r, 201)
    r = ctx.put(V1 + "/agents/%s/availability" % a["id"], {"status": status}, token=u["token"])
    cc_data(r)
    return u, a


# -- widgets --------------------------------------------------------------------------

def test_chat_widget_crud(ctx):
    admin, tid = sb.tenant(ctx)
    w = _widget(ctx, admin, allowed_origins=["HTTPS://Shop.Example", "http://localhost:8080"])
    check(w["public_key"].startswith("pk_") and len(w["public_key"]) > 20, "key: %r" % w)
    check(w["allowed_origins"] == ["https://shop.example", "http://localhost:8080"], "%r" % w)
    check(w["tenant_id"] == tid and w["is_active"] is True and w["schedule_id"] == "", "%r" % w)
    g = cc_data(ctx.get(V1 + "/widgets/" + w["id"], token=admin))
    check(g["id"] == w["id"] and g["settings"] == {"max_wait_seconds": 600}, "get: %r" % g)
    # Also under /api (no v1), in the same dialect.
    plain = ctx.get("/api/chat/widgets/" + w["id"], token=admin)
    check(cc_data(plain)["id"] == w["id"], "/api/chat: %r" % plain)
    lst = ctx.get(V1 + "/widgets", token=admin)
    check(any(x["id"] == w["id"] for x in cc_data(lst)) and "meta" in lst.json, "list: %r" % lst)
    u = cc_data(ctx.put(V1 + "/widgets/" + w["id"], {"allowed_origins": ["*"],
                                                     "greeting_message": "Hi"}, token=admin))
    check(u["allowed_origins"] == ["*"] and u["greeting_message"] == "Hi"
          and u["public_key"] == w["public_key"], "update: %r" % u)
    # 422s
    for bad in ({}, {"name": "x", "allowed_origins": ["ftp://x"]},
                {"name": "x", "allowed_origins": "https://a.example"},
                {"name": "x", "settings": {"max_wait_seconds": 0}},
                {"name": "x", "settings": {"pre_chat_fields": [{"label": "no name"}]}},
                {"name": "x", "schedule_id": "sch_nope"}):
        expect_cc_error(ctx.post(V1 + "/widgets", bad, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/widgets", {"name": w["name"]}, token=admin), 409)
    # 401, 403, 404, cross-tenant
    expect_cc_error(ctx.get(V1 + "/widgets"), 401)
    agent = sb.user(ctx, admin, "agent")
    expect_cc_error(ctx.get(V1 + "/widgets", token=agent["token"]), 403)
    manager = sb.user(ctx, admin, "manager")
    expect_cc_error(ctx.post(V1 + "/widgets", {"name": "m"}, token=manager["token"]), 403)
    expect_cc_error(ctx.get(V1 + "/widgets/cw_nope", token=admin), 404)
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(V1 + "/widgets/" + w["id"], token=other), 404)
    expect_cc_error(ctx.put(V1 + "/widgets/" + w["id"], {"name": "z"}, token=other), 404)
    expect_cc_error(ctx.delete(V1 + "/widgets/" + w["id"], token=other), 404)
    # A widget with sessions is kept (deactivate it); one without is deleted.
    _start(ctx, u)
    expect_cc_error(ctx.delete(V1 + "/widgets/" + w["id"], token=admin), 409)
    w2 = _widget(ctx, admin)
    cc_data(ctx.delete(V1 + "/widgets/" + w2["id"], token=admin))
    expect_cc_error(ctx.get(V1 + "/widgets/" + w2["id"], token=admin), 404)


# -- the visitor ----------------------------------------------------------------------

def test_chat_public_visitor(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin, settings={"max_wait_seconds": 600, "pre_chat_fields": [
        {"name": "order", "label": "Order number", "required": True}, {"name": "topic"}]})
    start = V1 + "/public/start"
    # The widget key, the origin, the required pre-chat answers.
    expect_cc_error(ctx.post(start, {"pre_chat": {"order": "1"}}, headers={"Origin": ORIGIN}), 401)
    expect_cc_error(ctx.post(start, {"widget_key": "pk_nope", "pre_chat": {"order": "1"}},
                             headers={"Origin": ORIGIN}), 401)
    expect_cc_error(ctx.post(start, {"pre_chat": {"order": "1"}},
                             headers=_vh(w, origin="https://evil.example")), 403)
    expect_cc_error(ctx.post(start, {"pre_chat": {"order": "1"}}, headers=_vh(w, origin=None)),
                    403)
    r = ctx.post(start, {"pre_chat": {"topic": "x"}}, headers=_vh(w))
    expect_cc_error(r, 422)
    expect_cc_error(ctx.post(start, {"visitor_email": "nope", "pre_chat": {"order": "1"}},
                             headers=_vh(w)), 422)
    # The key in the body works as well as the header.
    s = cc_data(ctx.post(start, {"widget_key": w["public_key"], "visitor_name": "Vera",
                                 "visitor_email": "vera@example.test", "pre_chat": {"order": "42"},
                                 "message": "Where is my parcel?"},
                         headers={"Origin": ORIGIN}), 201)
    check(isinstance(s["session_key"], str) and s["session_key"].startswith("ck_"), "%r" % s)
    check(s["session_id"].startswith("chs_") and len(s["visitor_secret"]) >= 40, "%r" % s)
    check(s["greeting"] == "Hello! How can we help?" and s["status"] == "waiting"
          and s["online"] is True, "%r" % s)
    sid, secret = s["session_id"], s["visitor_secret"]
    hv = _vh(w, secret)
    stored = sb.sql(ctx, "SELECT visitor_secret_hash FROM chat_sessions WHERE id='%s'" % sid)
    check(secret not in stored and len(stored.strip()) == 64, "only the hash is stored")
    # Messages: by header and by body fields; the secret is checked.
    m = cc_data(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "Hello?"},
                         headers=hv), 201)
    check(m["sender_type"] == "visitor" and m["body"] == "Hello?" and m["sender_name"] == "Vera",
          "%r" % m)
    cc_data(ctx.post(V1 + "/public/message", {"session_id": s["session_key"], "body": "again",
                                              "widget_key": w["public_key"], "secret": secret},
                     headers={"Origin": ORIGIN}), 201)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "x"},
                             headers=_vh(w)), 401)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "x"},
                             headers=_vh(w, "wrong-secret")), 403)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": "chs_nope", "body": "x"},
                             headers=hv), 404)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": sid, "body": ""},
                             headers=hv), 422)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "x"},
                             headers=_vh(w, secret, "https://evil.example")), 403)
    # Another tenant's widget cannot reach the session.
    other, _ = sb.tenant(ctx)
    w_other = _widget(ctx, other)
    expect_cc_error(ctx.get(V1 + "/public/session/" + sid, headers=_vh(w_other, secret)), 404)
    # Reads.
    got = cc_data(ctx.get(V1 + "/public/session/" + sid, headers=hv))
    bodies = [x["body"] for x in got["messages"]]
    check(bodies == ["Where is my parcel?", "Hello?", "again"], "messages: %r" % bodies)
    check(got["status"] == "waiting" and got["session_key"] == s["session_key"], "%r" % got)
    after = got["messages"][0]["id"]
    newer = cc_data(ctx.get(V1 + "/public/session/%s?after=%d" % (sid, after), headers=hv))
    check(len(newer["messages"]) == 2, "after: %r" % newer)
    st = cc_data(ctx.get(V1 + "/public/status/" + s["session_key"], headers=hv))
    check(st["status"] == "waiting" and st["agent_name"] == "", "status: %r" % st)
    expect_cc_error(ctx.get(V1 + "/public/status/" + sid, headers=_vh(w)), 401)
    expect_cc_error(ctx.get(V1 + "/public/status/" + sid, headers=_vh(w, "nope")), 403)
    # Typing is an event only; handover with nobody online leaves it waiting.
    n_before = sb.sql(ctx, "SELECT COUNT(*) FROM chat_messages WHERE session_id='%s'" % sid)
    cc_data(ctx.post(V1 + "/public/typing", {"session_id": sid}, headers=hv))
    n_after = sb.sql(ctx, "SELECT COUNT(*) FROM chat_messages WHERE session_id='%s'" % sid)
    check(n_before == n_after, "typing stored nothing")
    h = cc_data(ctx.post(V1 + "/public/handover", {"session_id": sid}, headers=hv))
    check(h["status"] == "waiting", "handover: %r" % h)
    e = cc_data(ctx.post(V1 + "/public/end", {"session_id": sid}, headers=hv))
    check(e["status"] == "closed", "end: %r" % e)
    expect_cc_error(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "x"},
                             headers=hv), 409)
    expect_cc_error(ctx.post(V1 + "/public/end", {"session_id": sid}, headers=hv), 409)
    ev = _events(ctx, sid)
    for t in ("chat.session.started", "chat.message", "chat.typing", "chat.session.ended"):
        check(t in ev, "event %s in %r" % (t, ev))
    check(ev.count("chat.message") == 3, "message events: %r" % ev)


def test_chat_public_rate_limit(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    src = sb.random_loopback()
    codes = [ctx.post(V1 + "/public/start", {"visitor_name": "v"}, headers=_vh(w),
                      source=src).status for _ in range(11)]
    check(codes[:10] == [201] * 10 and codes[10] == 429, "starts: %r" % codes)
    # Another address is not held back.
    _start(ctx, w, source=sb.random_loopback())


# -- agents and assignment ------------------------------------------------------------

def test_chat_agents_and_auto_assign_capacity(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    a1, ca1 = _chat_agent(ctx, admin, max_chats=1)
    a2, ca2 = _chat_agent(ctx, admin, max_chats=1)
    check(ca1["status"] == "offline" and ca1["current_chats"] == 0, "new agent: %r" % ca1)
    # Registration: 409 twice, 422 for another tenant's user, 403 for an agent, 401.
    expect_cc_error(ctx.post(V1 + "/agents", {"user_id": a1["user"]["id"]}, token=admin), 409)
    other, _ = sb.tenant(ctx)
    ou = sb.user(ctx, other, "agent")
    expect_cc_error(ctx.post(V1 + "/agents", {"user_id": ou["user"]["id"]}, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/agents", {}, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/agents", {"user_id": ou["user"]["id"]},
                             token=a1["token"]), 403)
    expect_cc_error(ctx.post(V1 + "/agents", {"user_id": "x"}), 401)
    # Availability: own only for an agent; 404, 422, cross-tenant 404.
    expect_cc_error(ctx.put(V1 + "/agents/%s/availability" % ca2["id"], {"status": "away"},
                            token=a1["token"]), 403)
    expect_cc_error(ctx.put(V1 + "/agents/cha_nope/availability", {"status": "away"},
                            token=admin), 404)
    expect_cc_error(ctx.put(V1 + "/agents/%s/availability" % ca1["id"], {"status": "gone"},
                            token=admin), 422)
    expect_cc_error(ctx.put(V1 + "/agents/%s/availability" % ca1["id"], {"status": "away"},
                            token=other), 404)
    avail = cc_data(ctx.get(V1 + "/agents/available", token=a1["token"]))
    check({x["user_id"] for x in avail} == {a1["user"]["id"], a2["user"]["id"]}, "%r" % avail)
    expect_cc_error(ctx.get(V1 + "/agents/available"), 401)
    # Three visitors ask for a human; two agents with room for one each.
    sessions = [_start(ctx, w, visitor_name="V%d" % i) for i in range(3)]
    got = []
    for s in sessions:
        h = cc_data(ctx.post(V1 + "/public/handover", {"session_id": s["session_id"]},
                             headers=_vh(w, s["visitor_secret"])))
        got.append(h)
    check([g["status"] for g in got] == ["active", "active", "waiting"], "handover: %r" % got)
    check(got[0]["agent_name"] != got[1]["agent_name"], "one chat each: %r" % got)
    counts = sb.sql(ctx, "SELECT current_chats, max_concurrent_chats FROM chat_agents"
                         " WHERE id IN ('%s','%s')" % (ca1["id"], ca2["id"]))
    check(counts.split() == ["1", "1", "1", "1"], "capacity kept: %r" % counts)
    check(cc_data(ctx.get(V1 + "/agents/available", token=admin)) == [], "nobody free")
    third = sessions[2]["session_id"]
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third, {}, token=admin), 409)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third,
                             {"user_id": a1["user"]["id"]}, token=admin), 409)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third,
                             {"user_id": admin_user_id(ctx, admin)}, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third,
                             {"user_id": a2["user"]["id"]}, token=a1["token"]), 403)
    expect_cc_error(ctx.post(V1 + "/sessions/chs_nope/assign", {}, token=admin), 404)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third, {}, token=other), 404)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % third, {}), 401)
    # The first agent ends a chat: the third, waiting for a human, goes to them (the clock).
    first = sessions[0]["session_id"]
    owner = cc_data(ctx.get(V1 + "/sessions/" + first, token=admin))["user_id"]
    tok = a1["token"] if owner == a1["user"]["id"] else a2["token"]
    cc_data(ctx.post(V1 + "/sessions/%s/end" % first, token=tok))

    def third_row():
        return cc_data(ctx.get(V1 + "/sessions/" + third, token=admin))
    check(sb.wait(lambda: third_row()["status"] == "active", 10, 0.2), "third not assigned")
    s3 = third_row()
    check(s3["user_id"] == owner and s3["accepted_at"], "%r" % s3)
    check(isinstance(s3["session_key"], str) and s3["agent_name"], "%r" % s3)
    ev = _events(ctx, third)
    check("chat.session.assigned" in ev and "chat.agent.joined" in ev, "events: %r" % ev)
    n = sb.sql(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = '%s'"
                    " AND type = 'chat.assigned'" % owner)
    check(int(n) == 2, "notifications: %r" % n)


def admin_user_id(ctx, token):
    r = ctx.get("/api/auth/me", token=token)
    if r.status == 200 and r.json.get("user"):
        return r.json["user"]["id"]
    return sb.sql(ctx, "SELECT id FROM users ORDER BY created_at DESC LIMIT 1").strip()


# -- sessions, messages, transfers ---------------------------------------------------

def test_chat_sessions_messages_transfer(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    a1, _ = _chat_agent(ctx, admin, max_chats=3)
    a2, _ = _chat_agent(ctx, admin, max_chats=3)
    # An agent opens a session: theirs, active, the visitor's secret once.
    r = ctx.post(V1 + "/sessions", {"visitor_name": "Walk-in", "widget_id": w["id"],
                                    "message": "Hello from us"}, token=a1["token"])
    s = cc_data(r, 201)
    check(s["status"] == "active" and s["user_id"] == a1["user"]["id"]
          and s["visitor_secret"] and isinstance(s["session_key"], str), "open: %r" % s)
    sid = s["session_id"] if "session_id" in s else s["id"]
    ev = _events(ctx, sid)
    check(ev[:3] == ["chat.session.started", "chat.session.assigned", "chat.agent.joined"]
          and "chat.message" in ev, "open events: %r" % ev)
    expect_cc_error(ctx.post(V1 + "/sessions", {}, token=a1["token"]), 422)
    expect_cc_error(ctx.post(V1 + "/sessions", {"visitor_name": "x"}, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/sessions", {"visitor_name": "x", "widget_id": "cw_x"},
                             token=a1["token"]), 422)
    expect_cc_error(ctx.post(V1 + "/sessions", {"visitor_name": "x"}), 401)
    # Lists, filters, active, get.
    lst = cc_data(ctx.get(V1 + "/sessions?status=active", token=a2["token"]))
    check([x["id"] for x in lst] == [sid], "list: %r" % lst)
    check(cc_data(ctx.get(V1 + "/sessions?status=closed", token=admin)) == [], "closed: none")
    check([x["id"] for x in cc_data(ctx.get(V1 + "/sessions?agent_id=" + a1["user"]["id"],
                                            token=admin))] == [sid], "by agent")
    expect_cc_error(ctx.get(V1 + "/sessions?status=bogus", token=admin), 422)
    check([x["id"] for x in cc_data(ctx.get(V1 + "/sessions/active", token=admin))] == [sid],
          "active")
    expect_cc_error(ctx.get(V1 + "/sessions"), 401)
    expect_cc_error(ctx.get(V1 + "/sessions/chs_nope", token=admin), 404)
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(V1 + "/sessions/" + sid, token=other), 404)
    check(cc_data(ctx.get(V1 + "/sessions", token=other)) == [], "other tenant sees none")
    # Messages: the agent's, the visitor's; the list; first response; read receipts.
    m = cc_data(ctx.post(V1 + "/messages", {"session_id": sid, "body": "Anything else?"},
                         token=a1["token"]), 201)
    check(m["sender_type"] == "agent" and m["sender_id"] == a1["user"]["id"]
          and m["sender_name"], "agent message: %r" % m)
    vm = cc_data(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "No, thanks"},
                          headers=_vh(w, s["visitor_secret"])), 201)
    expect_cc_error(ctx.post(V1 + "/messages", {"session_id": sid}, token=a1["token"]), 422)
    expect_cc_error(ctx.post(V1 + "/messages", {"session_id": "chs_nope", "body": "x"},
                             token=a1["token"]), 404)
    expect_cc_error(ctx.post(V1 + "/messages", {"session_id": sid, "body": "x"}, token=other),
                    404)
    expect_cc_error(ctx.post(V1 + "/messages", {"session_id": sid, "body": "x"}), 401)
    msgs = cc_data(ctx.get(V1 + "/sessions/%s/messages" % sid, token=a2["token"]))
    check([x["body"] for x in msgs] == ["Hello from us", "Anything else?", "No, thanks"],
          "messages: %r" % msgs)
    expect_cc_error(ctx.get(V1 + "/sessions/chs_nope/messages", token=admin), 404)
    expect_cc_error(ctx.get(V1 + "/sessions/%s/messages" % sid, token=other), 404)
    first = cc_data(ctx.get(V1 + "/sessions/" + sid, token=admin))
    check(first["first_response_at"] != "", "first response: %r" % first)
    rd = cc_data(ctx.post(V1 + "/messages/%d/read" % vm["id"], token=a1["token"]))
    check(rd["read_at"] and rd["id"] == vm["id"], "read: %r" % rd)
    again = cc_data(ctx.post(V1 + "/messages/%d/read" % vm["id"], token=a1["token"]))
    check(again["read_at"] == rd["read_at"], "read once")
    expect_cc_error(ctx.post(V1 + "/messages/999999999/read", token=admin), 404)
    expect_cc_error(ctx.post(V1 + "/messages/abc/read", token=admin), 404)
    expect_cc_error(ctx.post(V1 + "/messages/%d/read" % vm["id"], token=other), 404)
    # Typing: an event, nothing stored.
    cc_data(ctx.post(V1 + "/sessions/%s/typing" % sid, {"is_typing": True}, token=a1["token"]))
    expect_cc_error(ctx.post(V1 + "/sessions/chs_nope/typing", {}, token=a1["token"]), 404)
    # Transfers: to the other agent, then to a queue.
    expect_cc_error(ctx.post(V1 + "/sessions/%s/transfer" % sid, {}, token=a1["token"]), 422)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/transfer" % sid,
                             {"to_user_id": a1["user"]["id"]}, token=a1["token"]), 409)
    t = cc_data(ctx.post(V1 + "/sessions/%s/transfer" % sid,
                         {"to_user_id": a2["user"]["id"], "reason": "billing"},
                         token=a1["token"]))
    check(t["user_id"] == a2["user"]["id"] and t["status"] == "active", "transfer: %r" % t)
    rows = sb.sql(ctx, "SELECT from_user_id, to_user_id, reason, status FROM chat_transfers"
                       " WHERE session_id = '%s'" % sid).split()
    check(rows == [a1["user"]["id"], a2["user"]["id"], "billing", "accepted"], "%r" % rows)
    counts = sb.sql(ctx, "SELECT current_chats FROM chat_agents WHERE user_id IN ('%s','%s')"
                         " ORDER BY user_id = '%s'" % (a1["user"]["id"], a2["user"]["id"],
                                                       a2["user"]["id"])).split()
    check(counts == ["0", "1"], "capacity moved: %r" % counts)
    q = ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=admin)
    qid = cc_data(q, 201)["id"]
    tq = cc_data(ctx.post(V1 + "/sessions/%s/transfer" % sid, {"to_queue_id": qid},
                          token=a2["token"]))
    check(tq["queue_id"] == qid and tq["status"] == "waiting" and tq["user_id"] == "",
          "to a queue with no member online: %r" % tq)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/transfer" % sid, {"to_queue_id": "q_x"},
                             token=admin), 422)
    # Waiting in the queue: an agent takes it for themselves (manual assignment).
    mine = cc_data(ctx.post(V1 + "/sessions/%s/assign" % sid, {"user_id": a1["user"]["id"]},
                            token=a1["token"]))
    check(mine["user_id"] == a1["user"]["id"] and mine["status"] == "active", "%r" % mine)
    again = cc_data(ctx.post(V1 + "/sessions/%s/assign" % sid, {"user_id": a1["user"]["id"]},
                             token=admin))
    check(again["user_id"] == a1["user"]["id"], "assigning to the same agent changes nothing")
    expect_cc_error(ctx.post(V1 + "/sessions/%s/assign" % sid, {"user_id": 5}, token=admin), 422)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/transfer" % sid,
                             {"to_user_id": a1["user"]["id"]}, token=other), 404)
    check("chat.transferred" in _events(ctx, sid), "transfer event")
    # End: once; the visitor then reads 'closed'.
    e = cc_data(ctx.post(V1 + "/sessions/%s/end" % sid, token=a1["token"]))
    check(e["status"] == "closed" and e["ended_at"], "end: %r" % e)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/end" % sid, token=a1["token"]), 409)
    expect_cc_error(ctx.post(V1 + "/sessions/chs_nope/end", token=a1["token"]), 404)
    expect_cc_error(ctx.post(V1 + "/sessions/%s/end" % sid, token=other), 404)
    expect_cc_error(ctx.post(V1 + "/messages", {"session_id": sid, "body": "late"},
                             token=a1["token"]), 409)


def test_chat_unanswered_becomes_missed(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin, settings={"max_wait_seconds": 5},
                offline_message="Nobody here, we will e-mail you")
    s = _start(ctx, w, visitor_email="late@example.test", message="Is anyone there?")
    sid = s["session_id"]
    hv = _vh(w, s["visitor_secret"])

    def missed():
        st = cc_data(ctx.get(V1 + "/public/status/" + sid, headers=hv))
        return st["status"] == "missed"
    check(sb.wait(missed, 20, 0.5), "the session was not moved to missed")
    got = cc_data(ctx.get(V1 + "/public/session/" + sid, headers=hv))
    check(got["messages"][-1]["body"] == "Nobody here, we will e-mail you"
          and got["messages"][-1]["sender_type"] == "system", "offline message: %r" % got)
    check("chat.session.ended" in _events(ctx, sid), "ended event")
    # What the visitor wrote is a ticket now.
    row = cc_data(ctx.get(V1 + "/sessions/" + sid, token=admin))
    check(row["status"] == "missed" and row["ticket_id"], "ticket_id: %r" % row)
    t = cc_data(ctx.get("/api/v1/tickets/" + row["ticket_id"], token=admin))
    check(t["channel"] == "chat" and "Is anyone there?" in t["description"]
          and "Vera Visitor" in t["subject"], "ticket: %r" % t)
    # A session with nothing from the visitor makes no ticket.
    s2 = _start(ctx, w)
    check(sb.wait(lambda: cc_data(ctx.get(V1 + "/sessions/" + s2["session_id"], token=admin))
                  ["status"] == "missed", 20, 0.5), "second session not missed")
    check(cc_data(ctx.get(V1 + "/sessions/" + s2["session_id"], token=admin))["ticket_id"] == "",
          "no ticket without a question")


def test_chat_outside_business_hours(ctx):
    """A widget whose schedule is closed: the chat starts offline and is missed at once."""
    admin, tid = sb.tenant(ctx)
    sch = "sch_" + sb.uid()
    sb.sql(ctx, "INSERT INTO schedules (id, tenant_id, name, timezone, hours) VALUES"
                " ('%s', '%s', 'Never', 'UTC', '{}')" % (sch, tid))
    w = _widget(ctx, admin, schedule_id=sch)
    check(w["schedule_id"] == sch, "schedule: %r" % w)
    s = _start(ctx, w, message="Hello at night")
    check(s["online"] is False and s["offline_message"], "offline start: %r" % s)
    hv = _vh(w, s["visitor_secret"])
    check(sb.wait(lambda: cc_data(ctx.get(V1 + "/public/status/" + s["session_id"],
                                          headers=hv))["status"] == "missed", 20, 0.5),
          "not missed")


def test_chat_waiting_visitor_goes_to_the_next_free_agent(ctx):
    """Nobody free at the handover: the clock gives the chat to the agent who comes online,
    then to the one whose chat ends."""
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    a1, ca1 = _chat_agent(ctx, admin, max_chats=1, status="offline")
    s1, s2 = _start(ctx, w), _start(ctx, w)
    for s in (s1, s2):
        h = cc_data(ctx.post(V1 + "/public/handover", {"session_id": s["session_id"]},
                             headers=_vh(w, s["visitor_secret"])))
        check(h["status"] == "waiting", "nobody online yet: %r" % h)
    cc_data(ctx.put(V1 + "/agents/%s/availability" % ca1["id"], {"status": "online"},
                    token=a1["token"]))

    def status(s):
        return cc_data(ctx.get(V1 + "/sessions/" + s["session_id"], token=admin))
    check(sb.wait(lambda: status(s1)["status"] == "active", 10, 0.2), "first not taken")
    check(status(s1)["user_id"] == a1["user"]["id"] and status(s2)["status"] == "waiting",
          "the first asked is the first served, within capacity")
    cc_data(ctx.post(V1 + "/sessions/%s/end" % s1["session_id"], token=a1["token"]))
    check(sb.wait(lambda: status(s2)["status"] == "active", 10, 0.2), "second not taken")


def test_chat_concurrent_assign_keeps_capacity(ctx):
    """Six visitors ask for a human at once; the one agent online takes two, no more."""
    import threading
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    _, ca = _chat_agent(ctx, admin, max_chats=2)
    sessions = [_start(ctx, w, source=sb.random_loopback()) for _ in range(6)]
    out = []

    def ask(s):
        r = ctx.post(V1 + "/public/handover", {"session_id": s["session_id"]},
                     headers=_vh(w, s["visitor_secret"]))
        out.append(r.status)
    threads = [threading.Thread(target=ask, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(out == [200] * 6, "handovers: %r" % out)
    n = sb.sql(ctx, "SELECT COUNT(*) FROM chat_sessions WHERE widget_id = '%s'"
                    " AND status = 'active'" % w["id"])
    cur = sb.sql(ctx, "SELECT current_chats FROM chat_agents WHERE id = '%s'" % ca["id"])
    check(int(n) == 2 and int(cur) == 2, "active %r, current_chats %r" % (n, cur))


def test_chat_stats(ctx):
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    a1, _ = _chat_agent(ctx, admin, max_chats=2)
    s = _start(ctx, w)
    cc_data(ctx.post(V1 + "/public/handover", {"session_id": s["session_id"]},
                     headers=_vh(w, s["visitor_secret"])))
    cc_data(ctx.post(V1 + "/messages", {"session_id": s["session_id"], "body": "hi"},
                     token=a1["token"]), 201)
    cc_data(ctx.post(V1 + "/sessions/%s/end" % s["session_id"], token=a1["token"]))
    _start(ctx, w)
    st = cc_data(ctx.get(V1 + "/stats", token=admin))
    check(st["total_sessions"] == 2 and st["closed_sessions"] == 1
          and st["open_sessions"] == 1, "stats: %r" % st)
    for k in ("avg_wait_seconds", "avg_first_response_seconds", "avg_duration_seconds"):
        check(k in st, "%s in %r" % (k, st))
    check(len(st["per_agent"]) == 1 and st["per_agent"][0]["user_id"] == a1["user"]["id"]
          and st["per_agent"][0]["total_sessions"] == 1, "per agent: %r" % st["per_agent"])
    empty = cc_data(ctx.get(V1 + "/stats?from=2001-01-01&to=2001-01-02", token=admin))
    check(empty["total_sessions"] == 0, "range: %r" % empty)
    expect_cc_error(ctx.get(V1 + "/stats?from=yesterday", token=admin), 422)
    expect_cc_error(ctx.get(V1 + "/stats", token=a1["token"]), 403)
    expect_cc_error(ctx.get(V1 + "/stats"), 401)


def test_chat_public_cors_preflight(ctx):
    """A customer's page on any origin may call the visitor routes (the pool then checks the
    origin against the widget's list), with the widget's headers allowed by the preflight."""
    for path in ("/api/v1/chat/public/start", "/api/chat/public/session/x"):
        r = ctx.request("OPTIONS", path, headers={"Origin": "https://shop.example",
                                                  "Access-Control-Request-Method": "POST"})
        check(r.status == 204, "preflight: %r" % r)
        check(r.headers.get("access-control-allow-origin") == "https://shop.example",
              "origin reflected: %r" % r.headers)
        allowed = r.headers.get("access-control-allow-headers", "")
        check("X-Widget-Key" in allowed and "X-Chat-Secret" in allowed, allowed)


def test_chat_visitor_read_receipts(ctx):
    """The visitor marks the agents' messages read up to one id: each once, the visitor's
    own untouched, the staff told; a wrong secret or another session's id refused."""
    admin, _ = sb.tenant(ctx)
    w = _widget(ctx, admin)
    a1, _ = _chat_agent(ctx, admin, max_chats=3)
    s = cc_data(ctx.post(V1 + "/sessions", {"visitor_name": "Reader", "widget_id": w["id"],
                                            "message": "First"}, token=a1["token"]), 201)
    sid, secret = s["id"], s["visitor_secret"]
    m2 = cc_data(ctx.post(V1 + "/messages", {"session_id": sid, "body": "Second"},
                          token=a1["token"]), 201)
    vm = cc_data(ctx.post(V1 + "/public/message", {"session_id": sid, "body": "Mine"},
                          headers=_vh(w, secret)), 201)
    m3 = cc_data(ctx.post(V1 + "/messages", {"session_id": sid, "body": "Third"},
                          token=a1["token"]), 201)
    read = cc_data(ctx.post(V1 + "/public/read", {"session_id": sid, "message_id": m2["id"]},
                            headers=_vh(w, secret)))
    check(read["marked"] == 2 and read["reader_type"] == "visitor", "read: %r" % read)
    again = cc_data(ctx.post(V1 + "/public/read", {"session_id": sid, "message_id": vm["id"]},
                             headers=_vh(w, secret)))
    check(again["marked"] == 0, "nothing new before the visitor's own: %r" % again)
    msgs = {x["body"]: x for x in cc_data(ctx.get(V1 + "/sessions/%s/messages" % sid,
                                                  token=admin))}
    check(msgs["First"]["read_at"] and msgs["Second"]["read_at"], "agents' read: %r" % msgs)
    check(not msgs["Mine"]["read_at"] and not msgs["Third"]["read_at"], "others: %r" % msgs)
    check(_events(ctx, sid).count("chat.message.read") == 1, "told once")
    expect_cc_error(ctx.post(V1 + "/public/read", {"session_id": sid, "message_id": m3["id"]},
                             headers=_vh(w, "wrong-secret")), 403)
    expect_cc_error(ctx.post(V1 + "/public/read", {"session_id": sid, "message_id": 0},
                             headers=_vh(w, secret)), 422)
    expect_cc_error(ctx.post(V1 + "/public/read", {"session_id": sid},
                             headers=_vh(w, secret)), 422)

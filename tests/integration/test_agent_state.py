"""Agent state (callcenter family): the two axes (presence chosen by the agent, activity
driven by the system), the combined word the Go clients read, every route under /api and
/api/v1, the history intervals (closed and opened at one instant), the per-day summary,
the events, roles, validation and tenant isolation."""
import concurrent.futures
import datetime
import time

import sb
from sb import check, expect_cc_error, cc_data

STATE_FIELDS = {"id", "user_id", "tenant_id", "email", "first_name", "last_name", "username",
                "role", "extension", "state", "presence", "activity", "reason",
                "presence_since", "activity_since", "capacity", "active_calls",
                "calls_answered_today", "wrapup_until", "last_call_ended_at", "logged_in_at",
                "break_started_at", "current_call_sid", "changed_at"}
TEXT_FIELDS = {"id", "email", "first_name", "last_name", "username", "role", "extension",
               "reason", "current_call_sid"}
PAYLOAD_FIELDS = {"user_id", "username", "state", "presence", "activity", "reason", "extension"}
PREFIXES = ("/api", "/api/v1")


# -- helpers --------------------------------------------------------------------------

def _setup(ctx):
    """A tenant: admin token, tenant id, an agent's session, a manager's token."""
    token, tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    mgr = sb.user(ctx, token, "manager")["token"]
    return token, tid, agent, mgr


def _data(r, status=200):
    return cc_data(r, status)


def _me(ctx, tok, prefix="/api/v1"):
    return _data(ctx.get(prefix + "/agent-state/me", token=tok))


def _history(ctx, tid, uid, axis=None):
    """[(axis, value, reason, started_at, ended_at)] in order, times as text (NULL: None)."""
    q = ("SELECT axis, value, IFNULL(reason, 'NULL'), started_at, IFNULL(ended_at, 'NULL')"
         " FROM agent_state_history WHERE tenant_id = '%s' AND user_id = '%s'" % (tid, uid))
    if axis:
        q += " AND axis = '%s'" % axis
    q += " ORDER BY started_at, IFNULL(ended_at, '9999-12-31'), axis"
    out = []
    for line in sb.sql(ctx, q).splitlines():
        a, v, reason, s, e = line.split("\t")
        out.append((a, v, None if reason == "NULL" else reason, s, None if e == "NULL" else e))
    return out


def _check_chain(rows, what):
    """One axis's intervals: each closed one ends where the next starts; only the last open."""
    check(rows, "%s: no history" % what)
    for prev, nxt in zip(rows, rows[1:]):
        check(prev[4] is not None and prev[4] == nxt[3],
              "%s: interval %r does not end where %r starts" % (what, prev, nxt))
    check(rows[-1][4] is None, "%s: the last interval is closed: %r" % (what, rows[-1]))


def _events(ctx, tid, uid):
    """[(type, payload)] of the user's agent events, in order (from call_events)."""
    import json
    out = []
    for line in sb.sql(ctx, "SELECT type, payload FROM call_events WHERE tenant_id = '%s'"
                            " AND type LIKE 'agent.%%' ORDER BY id" % tid).splitlines():
        t, p = line.split("\t", 1)
        p = json.loads(p)
        if p.get("user_id") == uid:
            out.append((t, p))
    return out


def _secs(t):
    return datetime.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").timestamp()


# -- the record ---------------------------------------------------------------------------

def test_agent_state_me_reads_offline_before_any_change(ctx):
    token, tid, agent, _ = _setup(ctx)
    for prefix in PREFIXES:
        r = ctx.get(prefix + "/agent-state/me", token=agent["token"])
        d = _data(r)
        check(set(d) == STATE_FIELDS, "fields: %r" % sorted(d))
        check(d["user_id"] == agent["user"]["id"] and d["tenant_id"] == tid, "who: %r" % d)
        check((d["state"], d["presence"], d["activity"]) == ("offline", "offline", "idle"),
              "a new agent: %r" % d)
        check(d["capacity"] == 1 and d["active_calls"] == 0 and d["calls_answered_today"] == 0,
              "counters: %r" % d)
        check(d["role"] == "agent" and d["username"] == agent["user"]["email"], "names: %r" % d)
        # The Go encoder's habit: a text field without a value is "", never null.
        for k in TEXT_FIELDS:
            check(isinstance(d[k], str), "%s is not text in %s: %r" % (k, prefix, d[k]))
        check(d["id"] == "" and d["reason"] == "" and d["presence_since"] is None,
              "no row yet: %r" % d)
    # Reading creates nothing.
    check(_history(ctx, tid, agent["user"]["id"]) == [], "a read wrote history")
    # The admin has a state too (every user of the tenant has one).
    d = _me(ctx, token)
    check(d["role"] == "admin" and d["state"] == "offline", "admin: %r" % d)


def test_agent_state_presence_routes(ctx):
    _, tid, agent, _ = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    steps = [
        ("PUT", "/agent-state/me", {"state": "available"}, ("available", "available", "")),
        ("POST", "/agent-state/me/break", {"reason": "lunch"}, ("break", "break", "lunch")),
        ("POST", "/agent-state/me/break/end", None, ("available", "available", "")),
        ("POST", "/agent-state/me/away", {"reason": "meeting"}, ("away", "busy", "meeting")),
        ("POST", "/agent-state/me/available", None, ("available", "available", "")),
        ("POST", "/agent-state/me/break", None, ("break", "break", "")),
        ("PUT", "/agent-state/me", {"state": "busy", "reason": "coaching"},
         ("away", "busy", "coaching")),
        ("PUT", "/agent-state/me", {"presence": "break", "reason": ""}, ("break", "break", "")),
        ("PUT", "/agent-state/me", {"state": "offline", "presence": "offline"},
         ("offline", "offline", "")),
    ]
    for i, (m, path, body, (presence, state, reason)) in enumerate(steps):
        prefix = PREFIXES[i % 2]
        r = ctx.request(m, prefix + path, body=body, token=tok)
        d = _data(r)
        check((d["presence"], d["state"], d["reason"], d["activity"])
              == (presence, state, reason, "idle"), "%s %s %r: %r" % (m, path, body, d))
        check(d == _me(ctx, tok, prefix), "GET me differs after %s %s" % (m, path))
        check(set(d) == STATE_FIELDS, "write answer fields: %r" % sorted(d))
    # Ending a break that is not one.
    for prefix in PREFIXES:
        r = ctx.post(prefix + "/agent-state/me/break/end", token=tok)
        expect_cc_error(r, 409)
    check(_me(ctx, tok)["presence"] == "offline", "a refused break/end changed the state")
    pres = _history(ctx, tid, uid, "presence")
    check([(v, reason) for _, v, reason, _, _ in pres]
          == [("available", None), ("break", "lunch"), ("available", None),
              ("away", "meeting"), ("available", None), ("break", None),
              ("away", "coaching"), ("break", None), ("offline", None)],
          "presence history: %r" % pres)
    _check_chain(pres, "presence")
    act = _history(ctx, tid, uid, "activity")
    check([a[1] for a in act] == ["idle"] and act[0][3] == pres[0][3] and act[0][4] is None,
          "activity history (opened with the first change): %r" % act)


def test_agent_state_same_value_changes_nothing(ctx):
    _, tid, agent, _ = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "lunch"}, token=tok))
    before = _me(ctx, tok)
    n_hist, n_ev = len(_history(ctx, tid, uid)), len(_events(ctx, tid, uid))
    d = _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "lunch"}, token=tok))
    check(d == before, "the same break again moved the state: %r vs %r" % (d, before))
    check(len(_history(ctx, tid, uid)) == n_hist and len(_events(ctx, tid, uid)) == n_ev,
          "the same value wrote history or events")
    # A new reason for the same break is a change: a new interval, an event.
    d = _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "training"}, token=tok))
    check(d["reason"] == "training" and d["presence"] == "break", "new reason: %r" % d)
    pres = _history(ctx, tid, uid, "presence")
    check([(p[1], p[2]) for p in pres] == [("break", "lunch"), ("break", "training")],
          "history: %r" % pres)
    _check_chain(pres, "presence")
    check(len(_events(ctx, tid, uid)) == n_ev + 1, "no event for the new reason")
    # break_started_at stays when only the reason changes.
    check(d["break_started_at"] == before["break_started_at"], "the break restarted: %r" % d)


# -- the two axes -----------------------------------------------------------------------

def test_agent_state_two_axes_and_combined_word(ctx):
    token, tid, agent, mgr = _setup(ctx)
    uid = agent["user"]["id"]
    path = "/api/v1/agent-state/" + uid
    _data(ctx.put("/api/v1/agent-state/me", {"state": "available"}, token=agent["token"]))
    combos = [({"activity": "offered"}, ("available", "offered", "on_call")),
              ({"activity": "on_call"}, ("available", "on_call", "on_call")),
              ({"activity": "wrap_up"}, ("available", "wrap_up", "wrap_up")),
              ({"state": "away", "activity": "on_call"}, ("away", "on_call", "busy")),
              ({"state": "break"}, ("break", "on_call", "break")),
              ({"state": "available", "activity": "idle"}, ("available", "idle", "available")),
              ({"presence": "offline"}, ("offline", "idle", "offline"))]
    for body, want in combos:
        d = _data(ctx.put(path, body, token=mgr))
        check((d["presence"], d["activity"], d["state"]) == want, "%r: %r" % (body, d))
    pres, act = _history(ctx, tid, uid, "presence"), _history(ctx, tid, uid, "activity")
    _check_chain(pres, "presence")
    _check_chain(act, "activity")
    check([a[1] for a in act] == ["idle", "offered", "on_call", "wrap_up", "on_call", "idle"],
          "activity history: %r" % act)
    check([p[1] for p in pres] == ["available", "away", "break", "available", "offline"],
          "presence history: %r" % pres)
    # A change of both axes closes and opens both at the same instant.
    both = [a for a in act if a[1] == "on_call"][1]
    check(any(p[1] == "away" and p[3] == both[3] for p in pres),
          "away and on_call did not start together: %r / %r" % (pres, act))
    # since: each axis's own last change.
    d = _data(ctx.get(path, token=token))
    check(d["presence_since"] is not None and d["activity_since"] is not None
          and d["presence_since"] >= d["activity_since"], "since: %r" % d)


def test_agent_state_history_instants(ctx):
    """Every closed interval ends exactly where its successor starts, and under concurrent
    changes of one agent the chain stays whole (the row lock serialises them)."""
    _, tid, agent, _ = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    paths = ["/api/v1/agent-state/me/break", "/api/v1/agent-state/me/available",
             "/api/v1/agent-state/me/away", "/api/agent-state/me/available"] * 6
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda p: ctx.post(p, {"reason": "r"} if "break" in p
                                                 or "away" in p else None, token=tok), paths))
    for r in results:
        check(r.status == 200, "concurrent change: %r" % r)
    pres = _history(ctx, tid, uid, "presence")
    _check_chain(pres, "presence")
    for prev, nxt in zip(pres, pres[1:]):
        check((prev[1], prev[2]) != (nxt[1], nxt[2]), "two equal intervals in a row: %r %r"
              % (prev, nxt))
    check(_secs(pres[-1][3]) >= _secs(pres[0][3]), "time ran backwards: %r" % pres)
    last = _me(ctx, tok)
    check(last["presence"] == pres[-1][1], "the row (%s) and the open interval (%s) differ"
          % (last["presence"], pres[-1][1]))
    check(len(_history(ctx, tid, uid, "activity")) == 1, "activity moved")


# -- lists ----------------------------------------------------------------------------------

def test_agent_state_lists(ctx):
    token, tid, a1, mgr = _setup(ctx)
    a2, a3, a4 = (sb.user(ctx, token, "agent") for _ in range(3))
    u1, u2, u3, u4 = (a["user"]["id"] for a in (a1, a2, a3, a4))
    _data(ctx.post("/api/v1/agent-state/me/available", token=a1["token"]))
    _data(ctx.post("/api/v1/agent-state/me/available", token=a2["token"]))
    _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "lunch"}, token=a3["token"]))
    _data(ctx.put("/api/v1/agent-state/" + u2, {"activity": "on_call"}, token=mgr))
    # a4 never changed: offline. The admin and the manager are users too (offline).
    for prefix in PREFIXES:
        r = ctx.get(prefix + "/agent-state", token=a1["token"])
        d = _data(r)
        check(r.json["meta"]["total_count"] == 6 and len(d) == 6, "list: %r" % r)
        by = {x["user_id"]: x for x in d}
        check(by[u1]["state"] == "available" and by[u2]["state"] == "on_call"
              and by[u3]["state"] == "break" and by[u4]["state"] == "offline", "states: %r" % by)
        got = _data(ctx.get(prefix + "/agent-state/available", token=a1["token"]))
        check([x["user_id"] for x in got] == [u1], "available: %r" % got)
        got = _data(ctx.get(prefix + "/agent-state/by-state/offline", token=token))
        check(len(got) == 3 and u4 in {x["user_id"] for x in got}, "offline: %r" % got)
        got = _data(ctx.get(prefix + "/agent-state/by-state/on_call", token=token))
        check([x["user_id"] for x in got] == [u2], "on_call: %r" % got)
        got = _data(ctx.get(prefix + "/agent-state/by-state/busy", token=token))
        check(got == [], "busy: %r" % got)
    for q, want in (("presence=available", {u1, u2}), ("activity=on_call", {u2}),
                    ("state=break", {u3}), ("presence=offline&role=agent", {u4}),
                    ("presence=available&activity=idle", {u1})):
        got = _data(ctx.get("/api/v1/agent-state?" + q, token=token))
        check({x["user_id"] for x in got} == want, "?%s: %r" % (q, got))
    r = ctx.get("/api/v1/agent-state?page=2&page_size=4", token=token)
    check(len(_data(r)) == 2 and r.json["meta"]["page"] == 2
          and r.json["meta"]["total_pages"] == 2, "page 2: %r" % r)
    # Capacity left: an agent whose active calls fill its capacity is not available.
    sb.sql(ctx, "UPDATE agent_states SET active_calls = 1 WHERE tenant_id = '%s' AND user_id = '%s'"
           % (tid, u1))
    check(_data(ctx.get("/api/v1/agent-state/available", token=token)) == [],
          "a full agent is available")
    d = _data(ctx.put("/api/v1/agent-state/" + u1, {"capacity": 2}, token=mgr))
    check(d["capacity"] == 2 and d["active_calls"] == 1, "capacity: %r" % d)
    got = _data(ctx.get("/api/v1/agent-state/available", token=token))
    check([x["user_id"] for x in got] == [u1], "capacity left: %r" % got)


def test_agent_state_capacity(ctx):
    token, tid, agent, mgr = _setup(ctx)
    uid = agent["user"]["id"]
    path = "/api/v1/agent-state/" + uid
    d = _data(ctx.put(path, {"capacity": 3}, token=mgr))
    check(d["capacity"] == 3 and d["presence"] == "offline", "capacity alone: %r" % d)
    check(_history(ctx, tid, uid) == [], "a capacity change wrote history")
    sb.sql(ctx, "UPDATE agent_states SET active_calls = 2 WHERE tenant_id = '%s' AND user_id = '%s'"
           % (tid, uid))
    for prefix in PREFIXES:
        r = ctx.put(prefix + "/agent-state/" + uid, {"capacity": 1, "state": "available"},
                    token=token)
        expect_cc_error(r, 409)
    d = _data(ctx.get(path, token=token))
    check(d["capacity"] == 3 and d["presence"] == "offline", "a refused write changed: %r" % d)
    d = _data(ctx.put(path, {"capacity": 2}, token=token))
    check(d["capacity"] == 2, "down to the active calls: %r" % d)
    d = _data(ctx.put(path, {"capacity": 20}, token=token))
    check(d["capacity"] == 20, "the most: %r" % d)
    rows = sb.sql(ctx, "SELECT action FROM audit_logs WHERE tenant_id = '%s' AND"
                       " entity_id = '%s'" % (tid, uid)).split()
    check(rows.count("agent_state.update") == 3, "audit: %r" % rows)


# -- the summary ------------------------------------------------------------------------

def test_agent_state_summary_sums_elapsed_time(ctx):
    _, tid, agent, mgr = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    t0 = time.time()
    _data(ctx.post("/api/v1/agent-state/me/available", token=tok))
    time.sleep(0.4)
    _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "coffee"}, token=tok))
    time.sleep(0.3)
    _data(ctx.post("/api/v1/agent-state/me/break/end", token=tok))
    _data(ctx.put("/api/v1/agent-state/" + uid, {"activity": "on_call"}, token=mgr))
    time.sleep(0.2)
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    for prefix, path, who in (("/api/v1", "/agent-state/me/summary", tok),
                              ("/api", "/agent-state/%s/summary?date=%s" % (uid, today), mgr)):
        s = _data(ctx.get(prefix + path, token=who))
        elapsed = time.time() - t0
        check(set(s) == {"user_id", "date", "presence", "activity", "logged_in_seconds",
                         "tracked_seconds"} and s["date"] == today and s["user_id"] == uid,
              "summary: %r" % s)
        p, a = s["presence"], s["activity"]
        check(set(p) == {"available", "away", "break", "offline"}
              and set(a) == {"idle", "offered", "on_call", "wrap_up"}, "keys: %r" % s)
        # Both axes were opened by the first change and end at the same now.
        check(abs(sum(p.values()) - s["tracked_seconds"]) < 0.0015
              and abs(sum(a.values()) - s["tracked_seconds"]) < 0.0015,
              "axes do not sum to the tracked time: %r" % s)
        check(0.85 <= s["tracked_seconds"] <= elapsed + 0.01,
              "tracked %.3f, elapsed %.3f" % (s["tracked_seconds"], elapsed))
        check(s["logged_in_seconds"] == s["tracked_seconds"] and p["offline"] == 0,
              "never offline: %r" % s)
        # The closed break is exactly its interval.
        brk = [h for h in _history(ctx, tid, uid, "presence") if h[1] == "break"][0]
        check(abs(p["break"] - (_secs(brk[4]) - _secs(brk[3]))) < 0.0015,
              "break %r vs interval %r" % (p["break"], brk))
        check(0.25 <= p["break"] <= 0.6 and a["on_call"] >= 0.15 and a["idle"] >= 0.65,
              "values: %r" % s)


def test_agent_state_summary_clips_to_the_day(ctx):
    token, tid, agent, mgr = _setup(ctx)
    uid = agent["user"]["id"]
    rows = [  # axis, value, reason, started, ended
        ("presence", "away", "x", "2025-01-09 22:00:00", "2025-01-09 22:00:00"),  # zero-length
        ("presence", "available", None, "2025-01-09 22:00:00", "2025-01-10 02:00:00"),
        ("presence", "break", "lunch", "2025-01-10 02:00:00", "2025-01-10 02:30:00.500"),
        ("presence", "offline", None, "2025-01-10 02:30:00.500", "2025-01-11 01:00:00"),
        ("presence", "available", None, "2025-01-11 01:00:00", None),
        ("activity", "idle", None, "2025-01-09 22:00:00", None),
    ]
    for i, (axis, value, reason, s, e) in enumerate(rows):
        sb.sql(ctx, "INSERT INTO agent_state_history (id, tenant_id, user_id, axis, value, reason,"
                    " started_at, ended_at) VALUES ('ash_t%d_%s', '%s', '%s', '%s', '%s', %s,"
                    " '%s', %s)" % (i, sb.uid(), tid, uid, axis, value,
                                    "'%s'" % reason if reason else "NULL", s,
                                    "'%s'" % e if e else "NULL"))
    path = "/api/v1/agent-state/%s/summary?date=" % uid
    s = _data(ctx.get(path + "2025-01-10", token=mgr))
    check(s["presence"] == {"available": 7200, "away": 0, "break": 1800.5,
                            "offline": 77399.5}, "2025-01-10 presence: %r" % s)
    check(s["activity"] == {"idle": 86400, "offered": 0, "on_call": 0, "wrap_up": 0},
          "an open interval over the whole day: %r" % s)
    check(s["tracked_seconds"] == 86400 and s["logged_in_seconds"] == 9000.5, "totals: %r" % s)
    s = _data(ctx.get(path + "2025-01-09", token=mgr))
    check(s["presence"] == {"available": 7200, "away": 0, "break": 0, "offline": 0}
          and s["activity"]["idle"] == 7200, "the day before: %r" % s)
    s = _data(ctx.get(path + "2025-01-11", token=mgr))
    check(s["presence"]["offline"] == 3600 and s["presence"]["available"] == 82800,
          "the day after: %r" % s)
    s = _data(ctx.get(path + "2025-01-08", token=token))
    check(s["tracked_seconds"] == 0 and s["activity"]["idle"] == 0, "before any: %r" % s)
    s = _data(ctx.get(path + "2099-01-01", token=token))
    check(s["tracked_seconds"] == 0, "the future: %r" % s)


# -- events ---------------------------------------------------------------------------------

def test_agent_state_events(ctx):
    token, tid, agent, mgr = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    # A named user linked to an agent record: username and extension come from them.
    r = ctx.put("/api/users/" + uid, {"first_name": "Ann", "last_name": "Lee"}, token=token)
    check(r.status == 200, "rename: %r" % r)
    dept = sb.dept(ctx, token)
    r = ctx.post("/api/agents", {"name": "Ann", "phone_number": "+15550001234",
                                 "department_id": dept["id"], "user_id": uid}, token=token)
    check(r.status == 201, "agent record: %r" % r)
    _data(ctx.post("/api/v1/agent-state/me/available", token=tok))
    _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "lunch"}, token=tok))
    _data(ctx.put("/api/v1/agent-state/" + uid, {"state": "available", "activity": "on_call"},
                  token=mgr))
    _data(ctx.put("/api/v1/agent-state/me", {"state": "offline"}, token=tok))
    evs = _events(ctx, tid, uid)
    check([t for t, _ in evs] == ["agent.state.changed", "agent.login", "agent.state.changed",
                                  "agent.state.changed", "agent.state.changed",
                                  "agent.logout"], "types: %r" % evs)
    for _, p in evs:
        check(set(p) == PAYLOAD_FIELDS, "payload fields: %r" % p)
        check(p["username"] == "Ann Lee" and p["extension"] == "+15550001234"
              and p["user_id"] == uid, "who: %r" % p)
    check([(p["state"], p["presence"], p["activity"], p["reason"]) for _, p in evs]
          == [("available", "available", "idle", ""), ("available", "available", "idle", ""),
              ("break", "break", "idle", "lunch"), ("on_call", "available", "on_call", ""),
              ("offline", "offline", "on_call", ""), ("offline", "offline", "on_call", "")],
          "payloads: %r" % evs)
    # They reach the event stream like the other events (the long poll).
    r = ctx.get("/api/events/poll?after=0&timeout=5", token=token)
    check(r.status == 200, "poll: %r" % r)
    got = [(e["type"], e.get("state"), e.get("username"))
           for e in r.json["events"] if e["type"].startswith("agent.") and e.get("user_id") == uid]
    check(got[:2] == [("agent.state.changed", "available", "Ann Lee"),
                      ("agent.login", "available", "Ann Lee")]
          and got[-1] == ("agent.logout", "offline", "Ann Lee") and len(got) == 6,
          "streamed: %r" % got)


# -- errors, roles, isolation ---------------------------------------------------------------

def test_agent_state_validation(ctx):
    token, _, agent, mgr = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    for prefix in PREFIXES:
        for body, field in (({}, "state"), ({"state": "on_call"}, "state"),
                            ({"state": "lunch"}, "state"), ({"presence": 3}, "presence"),
                            ({"state": "away", "presence": "break"}, "presence"),
                            ({"state": "break", "reason": "x" * 65}, "reason"),
                            ({"state": "break", "reason": 5}, "reason")):
            r = ctx.put(prefix + "/agent-state/me", body, token=tok)
            expect_cc_error(r, 422)
            check(field in (r.json["error"].get("details") or {}), "%r: %r" % (body, r))
        r = ctx.post(prefix + "/agent-state/me/break", {"reason": "y" * 65}, token=tok)
        expect_cc_error(r, 422)
        r = ctx.request("PUT", prefix + "/agent-state/me", raw="{", token=tok)
        expect_cc_error(r, 400)
        for body, field in (({}, "state"), ({"capacity": 0}, "capacity"),
                            ({"capacity": 21}, "capacity"), ({"capacity": "2"}, "capacity"),
                            ({"activity": "ringing"}, "activity")):
            r = ctx.put(prefix + "/agent-state/" + uid, body, token=mgr)
            expect_cc_error(r, 422)
            check(field in (r.json["error"].get("details") or {}), "%r: %r" % (body, r))
        for q in ("/agent-state/by-state/lunch", "/agent-state/by-state/away",
                  "/agent-state?presence=busy", "/agent-state?activity=x",
                  "/agent-state?page_size=0", "/agent-state/me/summary?date=2025-02-30",
                  "/agent-state/me/summary?date=today",
                  "/agent-state/%s/summary?date=2025-1-1" % uid):
            expect_cc_error(ctx.get(prefix + q, token=token), 422)
    d = _me(ctx, tok)
    check(d["presence"] == "offline" and d["id"] == "", "a refused write changed: %r" % d)


def test_agent_state_auth_and_roles(ctx):
    token, _, agent, mgr = _setup(ctx)
    tok, uid = agent["token"], agent["user"]["id"]
    routes = [("GET", "/agent-state/me", None), ("PUT", "/agent-state/me", {"state": "away"}),
              ("GET", "/agent-state/me/summary", None),
              ("POST", "/agent-state/me/break", None), ("POST", "/agent-state/me/break/end", None),
              ("POST", "/agent-state/me/away", None), ("POST", "/agent-state/me/available", None),
              ("GET", "/agent-state", None), ("GET", "/agent-state/available", None),
              ("GET", "/agent-state/by-state/offline", None), ("GET", "/agent-state/" + uid, None),
              ("PUT", "/agent-state/" + uid, {"capacity": 2}),
              ("GET", "/agent-state/%s/summary" % uid, None)]
    for prefix in PREFIXES:
        for m, path, body in routes:
            expect_cc_error(ctx.request(m, prefix + path, body=body), 401)
            expect_cc_error(ctx.request(m, prefix + path, body=body, token="x.y.z"), 401)
        # An agent changes only its own presence, and reads no one's time sheet.
        expect_cc_error(ctx.put(prefix + "/agent-state/" + uid, {"state": "available"},
                                token=tok), 403)
        expect_cc_error(ctx.get(prefix + "/agent-state/%s/summary" % uid, token=tok), 403)
        # What an agent may read.
        for path in ("/agent-state", "/agent-state/available", "/agent-state/" + uid,
                     "/agent-state/by-state/offline", "/agent-state/me/summary"):
            _data(ctx.get(prefix + path, token=tok))
    # Managers and admins may override.
    check(_data(ctx.put("/api/v1/agent-state/" + uid, {"state": "away"}, token=mgr))["state"]
          == "busy", "manager override")
    check(_data(ctx.put("/api/agent-state/" + uid, {"state": "offline"}, token=token))["state"]
          == "offline", "admin override")


def test_agent_state_not_found_and_tenant_isolation(ctx):
    token_a, _, agent_a, _ = _setup(ctx)
    token_b, tid_b, agent_b, mgr_b = _setup(ctx)
    ua = agent_a["user"]["id"]
    _data(ctx.post("/api/v1/agent-state/me/break", {"reason": "A's"}, token=agent_a["token"]))
    for prefix in PREFIXES:
        for uid in (ua, "usr_nope"):
            expect_cc_error(ctx.get(prefix + "/agent-state/" + uid, token=token_b), 404)
            expect_cc_error(ctx.put(prefix + "/agent-state/" + uid, {"state": "available"},
                                    token=mgr_b), 404)
            expect_cc_error(ctx.put(prefix + "/agent-state/" + uid, {"capacity": 2},
                                    token=token_b), 404)
            expect_cc_error(ctx.get(prefix + "/agent-state/%s/summary" % uid, token=mgr_b), 404)
        got = _data(ctx.get(prefix + "/agent-state", token=token_b))
        check(ua not in {x["user_id"] for x in got} and {x["tenant_id"] for x in got} == {tid_b},
              "B lists A's users: %r" % got)
        got = _data(ctx.get(prefix + "/agent-state/by-state/break", token=token_b))
        check(got == [], "B sees A's break: %r" % got)
    d = _me(ctx, agent_a["token"])
    check(d["presence"] == "break" and d["reason"] == "A's", "A's state changed: %r" % d)
    # Unknown paths beside the fixed segments are still 404 routes, not user ids.
    expect_cc_error(ctx.get("/api/v1/agent-state/me/nope", token=token_b), 404)


def test_agent_state_user_deactivated_and_deleted(ctx):
    token, tid, agent, _ = _setup(ctx)
    uid = agent["user"]["id"]
    _data(ctx.post("/api/v1/agent-state/me/available", token=agent["token"]))
    r = ctx.post("/api/users/%s/deactivate" % uid, token=token)
    check(r.status == 200, "deactivate: %r" % r)
    d = _data(ctx.get("/api/v1/agent-state/" + uid, token=token))
    check((d["presence"], d["state"], d["reason"]) == ("offline", "offline", "deactivated"),
          "a deactivated user stays available: %r" % d)
    check(_data(ctx.get("/api/v1/agent-state/available", token=token)) == [], "still offered")
    evs = _events(ctx, tid, uid)
    check([t for t, _ in evs][-2:] == ["agent.state.changed", "agent.logout"]
          and evs[-1][1]["reason"] == "deactivated", "events: %r" % evs)
    # A user never signed in as an agent is deactivated without a state change.
    other = sb.user(ctx, token, "agent")["user"]["id"]
    check(ctx.post("/api/users/%s/deactivate" % other, token=token).status == 200, "deactivate")
    check(_history(ctx, tid, other) == [] and _events(ctx, tid, other) == [], "no change")
    # Deleting the user deletes its state and history with it.
    check(ctx.delete("/api/users/" + uid, token=token).status == 200, "delete user")
    expect_cc_error(ctx.get("/api/v1/agent-state/" + uid, token=token), 404)
    check(_history(ctx, tid, uid) == [], "history outlived its user")
    check(sb.sql(ctx, "SELECT COUNT(*) FROM agent_states WHERE tenant_id = '%s' AND user_id = '%s'"
                 % (tid, uid)).strip() == "0", "the state row outlived its user")

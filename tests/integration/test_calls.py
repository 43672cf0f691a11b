"""Calls: create, the live list, updates, finishing (times and minutes), the finished-is-final
rule, tenant isolation, and the call logs (filters, search, pagination, keyset cursor)."""
import base64
import random
import re
import urllib.parse
import uuid

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
CALL_FIELDS = {"id", "call_id", "tenant_id", "call_sid", "caller_number", "called_number",
               "direction", "status", "current_flow", "flow_id", "department_id", "agent_id",
               "ai_minutes", "transfer_minutes", "total_duration", "start_time", "end_time",
               "context", "created_at", "updated_at"}
ACTIVE_FIELDS = {"call_id", "id", "caller_number", "called_number", "duration", "status",
                 "current_flow", "assigned_agent", "current_department", "can_transfer",
                 "start_time"}
LOG_FIELDS = {"call_id", "id", "caller_number", "called_number", "start_time", "end_time",
              "total_duration", "ai_minutes", "transfer_minutes", "status", "transfers"}
LOG_TRANSFER_FIELDS = {"id", "target_department", "department_id", "agent_id", "agent_name",
                       "transfer_time", "status"}
_rng = random.SystemRandom()


# -- private helpers ------------------------------------------------------------------

def _phone(prefix="+1444"):
    return prefix + "%07d" % _rng.randrange(10 ** 7)


def _agent(ctx, token, dept_id, **extra):
    body = {"name": "Agent " + sb.uid(), "phone_number": "+15550001111", "department_id": dept_id,
            "status": "available"}
    body.update(extra)
    r = ctx.post("/api/agents", body, token=token)
    check(r.status == 201, "create agent: %r" % r)
    return r.json["agent"]


def _call(ctx, token, caller=None, **extra):
    body = {"caller_number": caller or _phone(), "called_number": "+15553334444"}
    body.update(extra)
    r = ctx.post("/api/calls", body, token=token)
    check(r.status == 201, "create call %r: %r" % (body, r))
    return r.json["call"]


def _get_call(ctx, token, cid):
    r = ctx.get("/api/calls/" + cid, token=token)
    check(r.status == 200, "GET call: %r" % r)
    return r.json["call"]


def _set_status(ctx, token, cid, status):
    r = ctx.put("/api/calls/" + cid, {"status": status}, token=token)
    check(r.status == 200, "PUT status %s: %r" % (status, r))
    return r.json["call"]


def _logs(ctx, token, query=""):
    r = ctx.get("/api/calls/logs" + query, token=token)
    check(r.status == 200 and r.json.get("success") is True, "logs %s: %r" % (query, r))
    return r.json


def _ids(listing, key="call_logs"):
    return [c["id"] for c in listing[key]]


def _active(ctx, token):
    r = ctx.get("/api/calls/active", token=token)
    check(r.status == 200 and r.json.get("success") is True, "active: %r" % r)
    return r.json


def _age(ctx, cid, seconds):
    """Moves the call's start back by this many seconds (relative: no time zone involved)."""
    sb.sql(ctx, "UPDATE calls SET start_time = start_time - INTERVAL %d SECOND WHERE id = '%s'"
         % (seconds, cid))


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# -- create ---------------------------------------------------------------------------

def test_call_create_contract(ctx):
    token, tid = sb.tenant(ctx)
    caller = _phone()
    r = ctx.post("/api/calls", {"caller_number": caller, "called_number": "+15553334444"},
                 token=token)
    check(r.status == 201 and r.json.get("success") is True, "create: %r" % r)
    c = r.json["call"]
    check(CALL_FIELDS <= set(c), "call fields missing: %r" % sorted(CALL_FIELDS - set(c)))
    check(set(c) - CALL_FIELDS <= {"transfers"}, "undocumented call fields: %r"
          % sorted(set(c) - CALL_FIELDS))
    check(c["id"].startswith("call_") and len(c["id"]) > 5 and c["call_id"] == c["id"],
          "ids: %r" % c)
    check(c["tenant_id"] == tid, "tenant_id: %r" % c["tenant_id"])
    check(c["caller_number"] == caller and c["called_number"] == "+15553334444", "numbers")
    check(c["status"] == "ringing", "default status: %r" % c["status"])
    check(c["direction"] == "inbound", "default direction: %r" % c["direction"])
    for k in ("call_sid", "current_flow", "flow_id", "department_id", "agent_id", "end_time",
              "context", "ai_minutes", "transfer_minutes"):
        check(c[k] is None, "%s should be null on a new call: %r" % (k, c[k]))
    check(c["total_duration"] == 0 and _is_int(c["total_duration"]), "total_duration: %r" % c)
    check(RFC3339.match(c["start_time"] or ""), "start_time: %r" % c["start_time"])
    check(c.get("transfers", []) == [], "transfers of a new call: %r" % c.get("transfers"))
    g = _get_call(ctx, token, c["id"])
    check(CALL_FIELDS | {"transfers"} == set(g), "GET call fields: %r" % sorted(g))
    check(g["transfers"] == [], "GET transfers: %r" % g["transfers"])
    check({k: g[k] for k in CALL_FIELDS} == {k: c[k] for k in CALL_FIELDS},
          "GET differs from create")
    # Every optional field.
    sid = "CA" + uuid.uuid4().hex
    ctx_obj = {"intent": "billing", "score": 0.9, "tags": ["vip"], "nested": {"a": None}}
    d = _call(ctx, token, call_sid=sid, direction="outbound", status="active",
              current_flow="ivr_main", flow_id="flow-7", context=ctx_obj)
    check(d["call_sid"] == sid and d["direction"] == "outbound" and d["status"] == "active",
          "optionals: %r" % d)
    check(d["current_flow"] == "ivr_main" and d["flow_id"] == "flow-7", "flow: %r" % d)
    check(d["context"] == ctx_obj, "context round-trip: %r" % d["context"])


def test_call_create_validation(ctx):
    token, _ = sb.tenant(ctx)
    base = {"caller_number": _phone(), "called_number": "+15553334444"}
    for body, field in (({"called_number": "+15553334444"}, "caller_number"),
                        ({"caller_number": _phone()}, "called_number"),
                        (dict(base, caller_number="call me"), "caller_number"),
                        (dict(base, caller_number=15551234567), "caller_number"),
                        (dict(base, status="completed"), "status"),
                        (dict(base, status="missed"), "status"),
                        (dict(base, status="bogus"), "status"),
                        (dict(base, direction="sideways"), "direction"),
                        (dict(base, context="text"), "context"),
                        (dict(base, context=[1, 2]), "context"),
                        (dict(base, current_flow="f" * 101), "current_flow")):
        r = ctx.post("/api/calls", body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
    check(_logs(ctx, token)["total"] == 0, "a refused call was stored")
    r = ctx.post("/api/calls", raw="[1]", token=token)
    expect_error(r, 400, "invalid_json")
    agent_tok = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.post("/api/calls", base, token=agent_tok), 403, "forbidden")
    mgr_tok = sb.user(ctx, token, "manager")["token"]
    check(ctx.post("/api/calls", base, token=mgr_tok).status == 201, "a manager creates calls")
    expect_error(ctx.post("/api/calls", base), 401, "unauthorized")


# -- the live list --------------------------------------------------------------------

def test_calls_active_contract(ctx):
    token, _ = sb.tenant(ctx)
    c1 = _call(ctx, token, current_flow="greeting")
    c2 = _call(ctx, token, status="active")
    c3 = _call(ctx, token)
    _age(ctx, c1["id"], 65)
    _set_status(ctx, token, c3["id"], "completed")
    j = _active(ctx, token)
    check(j["total"] == 2, "total: %r" % j.get("total"))
    # Issue 7: the list appears once (the portal reads active_calls; no client reads calls).
    check("calls" not in j, "the list is sent twice: %r" % sorted(j))
    rows = {row["id"]: row for row in j["active_calls"]}
    check(set(rows) == {c1["id"], c2["id"]}, "active calls: %r" % sorted(rows))
    for row in rows.values():
        check(ACTIVE_FIELDS <= set(row), "active row misses %r" % sorted(ACTIVE_FIELDS - set(row)))
        check(row["call_id"] == row["id"], "call_id: %r" % row)
        check(_is_int(row["duration"]), "duration is not an integer: %r" % row["duration"])
        check(isinstance(row["can_transfer"], bool), "can_transfer: %r" % row["can_transfer"])
        check(row["assigned_agent"] is None and row["current_department"] is None,
              "no agent/department yet: %r" % row)
        check(RFC3339.match(row["start_time"] or ""), "start_time: %r" % row["start_time"])
    r1 = rows[c1["id"]]
    check(65 <= r1["duration"] <= 75, "duration of a call started 65 s ago: %r" % r1["duration"])
    check(r1["status"] == "ringing" and r1["current_flow"] == "greeting", "row 1: %r" % r1)
    check(r1["caller_number"] == c1["caller_number"]
          and r1["called_number"] == c1["called_number"], "numbers: %r" % r1)
    check(r1["can_transfer"] is True, "a fresh call can be transferred: %r" % r1)
    check(0 <= rows[c2["id"]]["duration"] <= 10 and rows[c2["id"]]["status"] == "active",
          "row 2: %r" % rows[c2["id"]])
    # Any role may watch.
    agent_tok = sb.user(ctx, token, "agent")["token"]
    r = ctx.get("/api/calls/active", token=agent_tok)
    check(r.status == 200 and r.json["total"] == 2, "agent role: %r" % r)


def test_calls_active_cache_follows_writes(ctx):
    """The live list is cached per tenant and dialect (issue 7); every acknowledged call
    write shows in the next read, whichever worker answers it, in both dialects."""
    token, _ = sb.tenant(ctx)
    live = set()
    for i in range(12):
        c = _call(ctx, token)
        live.add(c["id"])
        if i % 3 == 2:
            _set_status(ctx, token, c["id"], "completed")
            live.discard(c["id"])
        j = _active(ctx, token)
        check({row["id"] for row in j["active_calls"]} == live and j["total"] == len(live),
              "transfer dialect after write %d: %r" % (i, j))
        r = ctx.get("/api/v1/calls/active", token=token)
        check(r.status == 200 and {row["id"] for row in r.json["data"]} == live,
              "callcenter dialect after write %d: %r" % (i, r))


# -- updates --------------------------------------------------------------------------

def test_call_update_fields(ctx):
    token, _ = sb.tenant(ctx)
    c = _call(ctx, token, context={"a": 1})
    u = _set_status(ctx, token, c["id"], "active")
    check(u["status"] == "active", "status: %r" % u["status"])
    r = ctx.put("/api/calls/" + c["id"], {"context": {"intent": "refund", "order": [1, 2]}},
                token=token)
    check(r.status == 200 and r.json["call"]["context"] == {"intent": "refund", "order": [1, 2]},
          "context: %r" % r)
    check(r.json["call"]["status"] == "active", "a context PUT changed the status: %r" % r)
    r = ctx.put("/api/calls/" + c["id"], {"ai_minutes": 1.25}, token=token)
    check(r.status == 200 and r.json["call"]["ai_minutes"] == 1.25, "ai_minutes: %r" % r)
    r = ctx.put("/api/calls/" + c["id"], {"current_flow": "ivr_main"}, token=token)
    check(r.status == 200 and r.json["call"]["current_flow"] == "ivr_main", "flow: %r" % r)
    r = ctx.put("/api/calls/" + c["id"], {"flow": "billing"}, token=token)
    check(r.status == 200 and r.json["call"]["current_flow"] == "billing", "flow alias: %r" % r)
    r = ctx.put("/api/calls/" + c["id"], {"ai_response": "How can I help you today?"},
                token=token)
    check(r.status == 200 and r.json.get("success") is True, "ai_response: %r" % r)
    g = _get_call(ctx, token, c["id"])
    check(g["context"] == {"intent": "refund", "order": [1, 2]} and g["ai_minutes"] == 1.25
          and g["current_flow"] == "billing" and g["status"] == "active",
          "stored after the PUTs: %r" % g)
    r = ctx.put("/api/calls/" + c["id"], {"status": "on_hold", "current_flow": "hold_music"},
                token=token)
    check(r.status == 200 and r.json["call"]["status"] == "on_hold"
          and r.json["call"]["current_flow"] == "hold_music", "two fields at once: %r" % r)
    # Validation.
    for body, field in (({"status": "bogus"}, "status"), ({"context": "x"}, "context"),
                        ({"context": [1]}, "context"), ({"ai_minutes": -1}, "ai_minutes"),
                        ({"ai_minutes": "2"}, "ai_minutes"),
                        ({"current_flow": "f" * 101}, "current_flow"),
                        ({"flow": 5}, "flow"), ({"ai_response": 5}, "ai_response")):
        r = ctx.put("/api/calls/" + c["id"], body, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields.%s for %r: %r" % (field, body, r))
    check(_get_call(ctx, token, c["id"])["current_flow"] == "hold_music",
          "a refused PUT changed the call")
    expect_error(ctx.put("/api/calls/call_nope", {"status": "active"}, token=token), 404,
                 "not_found")
    expect_error(ctx.get("/api/calls/call_nope", token=token), 404, "not_found")
    agent_tok = sb.user(ctx, token, "agent")["token"]
    expect_error(ctx.put("/api/calls/" + c["id"], {"status": "active"}, token=agent_tok), 403,
                 "forbidden")
    r = ctx.get("/api/calls/" + c["id"], token=agent_tok)
    check(r.status == 200, "any role reads a call: %r" % r)


# -- finishing ------------------------------------------------------------------------

def test_call_finish_sets_times_and_minutes(ctx):
    token, _ = sb.tenant(ctx)
    c = _call(ctx, token, status="active")
    _age(ctx, c["id"], 120)
    f = _set_status(ctx, token, c["id"], "completed")
    check(f["status"] == "completed", "status: %r" % f["status"])
    check(RFC3339.match(f["end_time"] or ""), "end_time not set: %r" % f["end_time"])
    check(f["end_time"] >= f["start_time"], "end before start: %r" % f)
    check(_is_int(f["total_duration"]) and 119 <= f["total_duration"] <= 130,
          "total_duration of a 120 s call: %r" % f["total_duration"])
    check(_is_num(f["ai_minutes"]) and 1.98 <= f["ai_minutes"] <= 2.2,
          "ai_minutes of a 2 minute call without transfer: %r" % f["ai_minutes"])
    check(f["transfer_minutes"] in (0, None), "transfer_minutes without a transfer: %r"
          % f["transfer_minutes"])
    check(c["id"] not in _ids(_active(ctx, token), "active_calls"), "finished call still live")
    # An ai_minutes value the AI flow reported is kept.
    d = _call(ctx, token, status="active")
    _age(ctx, d["id"], 300)
    check(ctx.put("/api/calls/" + d["id"], {"ai_minutes": 0.75}, token=token).status == 200)
    f = _set_status(ctx, token, d["id"], "completed")
    check(f["ai_minutes"] == 0.75, "reported ai_minutes overwritten: %r" % f["ai_minutes"])
    check(295 <= f["total_duration"] <= 310, "total_duration: %r" % f["total_duration"])
    # Every finished status ends the call the same way.
    for status in ("missed", "abandoned", "failed", "busy"):
        e = _call(ctx, token)
        _age(ctx, e["id"], 30)
        f = _set_status(ctx, token, e["id"], status)
        check(f["status"] == status and f["end_time"] is not None
              and 29 <= f["total_duration"] <= 40, "finish as %s: %r" % (status, f))


def test_call_finish_splits_ai_and_transfer_minutes(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    _agent(ctx, token, dept["id"])
    c = _call(ctx, token, status="active")
    r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": dept["id"]},
                 token=token)
    check(r.status == 200 and r.json["transfer"]["status"] == "initiated", "transfer: %r" % r)
    tr = r.json["transfer"]["id"]
    r = ctx.put("/api/calls/transfers/" + tr, {"status": "connected"}, token=token)
    check(r.status == 200, "connect: %r" % r)
    # Call started 5 minutes ago, transfer asked 200 s ago, connected 2 minutes ago.
    _age(ctx, c["id"], 300)
    sb.sql(ctx, "UPDATE call_transfers SET transfer_time = transfer_time - INTERVAL 200 SECOND,"
              " connection_time = connection_time - INTERVAL 120 SECOND WHERE id = '%s'" % tr)
    f = _set_status(ctx, token, c["id"], "completed")
    check(_is_num(f["ai_minutes"]) and 2.97 <= f["ai_minutes"] <= 3.1,
          "ai_minutes (start to connect, 3 min): %r" % f["ai_minutes"])
    check(_is_num(f["transfer_minutes"]) and 1.97 <= f["transfer_minutes"] <= 2.1,
          "transfer_minutes (connect to end, 2 min): %r" % f["transfer_minutes"])
    check(299 <= f["total_duration"] <= 310, "total_duration: %r" % f["total_duration"])
    row = [x for x in _logs(ctx, token)["call_logs"] if x["id"] == c["id"]]
    check(len(row) == 1, "finished call in the logs: %r" % row)
    check(row[0]["ai_minutes"] == f["ai_minutes"]
          and row[0]["transfer_minutes"] == f["transfer_minutes"], "log minutes: %r" % row)


def test_finished_call_cannot_go_back_live(ctx):
    token, _ = sb.tenant(ctx)
    c = _call(ctx, token, status="active")
    f = _set_status(ctx, token, c["id"], "completed")
    for status in ("active", "ringing", "on_hold", "transferring", "connected"):
        r = ctx.put("/api/calls/" + c["id"], {"status": status}, token=token)
        expect_error(r, 409, "conflict")
    g = _get_call(ctx, token, c["id"])
    check(g["status"] == "completed" and g["end_time"] == f["end_time"]
          and g["total_duration"] == f["total_duration"], "a refused move changed it: %r" % g)
    check(c["id"] not in _ids(_active(ctx, token), "active_calls"), "back in the live list")
    # The other fields may still be written on a finished call.
    r = ctx.put("/api/calls/" + c["id"], {"context": {"note": "callback"}}, token=token)
    check(r.status == 200 and r.json["call"]["status"] == "completed"
          and r.json["call"]["context"] == {"note": "callback"}, "context after end: %r" % r)
    m = _call(ctx, token)
    _set_status(ctx, token, m["id"], "missed")
    expect_error(ctx.put("/api/calls/" + m["id"], {"status": "active"}, token=token), 409,
                 "conflict")


# -- isolation ------------------------------------------------------------------------

def test_call_tenant_isolation(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    c = _call(ctx, token_a)
    expect_error(ctx.get("/api/calls/" + c["id"], token=token_b), 404, "not_found")
    expect_error(ctx.put("/api/calls/" + c["id"], {"status": "completed"}, token=token_b), 404,
                 "not_found")
    expect_error(ctx.get("/api/calls/%s/transfers" % c["id"], token=token_b), 404, "not_found")
    check(_active(ctx, token_b)["active_calls"] == [], "B sees A's live call")
    logs = _logs(ctx, token_b)
    check(logs["call_logs"] == [] and logs["total"] == 0, "B sees A's call log: %r" % logs)
    logs = _logs(ctx, token_b, "?search=" + c["id"])
    check(logs["call_logs"] == [], "B finds A's call by id: %r" % logs)
    check(_get_call(ctx, token_a, c["id"])["status"] == "ringing", "A's call changed")


# -- call logs ------------------------------------------------------------------------

def test_call_logs_rows_and_transfers(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token, name="Billing " + sb.uid())
    agent = _agent(ctx, token, dept["id"], name="Grace " + sb.uid())
    plain = _call(ctx, token)
    moved = _call(ctx, token, status="active")
    r = ctx.post("/api/calls/transfer", {"call_id": moved["id"], "target_department": dept["id"]},
                 token=token)
    check(r.status == 200, "transfer: %r" % r)
    tr = r.json["transfer"]
    logs = _logs(ctx, token)
    check(logs["total"] == 2, "total: %r" % logs.get("total"))
    check(logs["pagination"] == {"page": 1, "limit": 25, "total": 2, "total_pages": 1},
          "pagination: %r" % logs.get("pagination"))
    check("next_cursor" in logs and logs["next_cursor"] is None, "next_cursor: %r" % logs)
    rows = {x["id"]: x for x in logs["call_logs"]}
    check(set(rows) == {plain["id"], moved["id"]}, "rows: %r" % sorted(rows))
    for row in rows.values():
        check(set(row) == LOG_FIELDS, "log row fields: %r" % sorted(row))
        check(row["call_id"] == row["id"], "call_id: %r" % row)
        check(row["ai_minutes"] is None and row["transfer_minutes"] is None,
              "minutes of a live call: %r" % row)
        check(row["end_time"] is None and row["total_duration"] == 0, "live call times: %r" % row)
    check(rows[plain["id"]]["transfers"] == [], "no transfers: %r" % rows[plain["id"]])
    check(rows[plain["id"]]["caller_number"] == plain["caller_number"]
          and rows[plain["id"]]["status"] == "ringing", "plain row: %r" % rows[plain["id"]])
    ts = rows[moved["id"]]["transfers"]
    check(isinstance(ts, list) and len(ts) == 1, "one transfer: %r" % ts)
    t = ts[0]
    check(set(t) == LOG_TRANSFER_FIELDS, "log transfer fields: %r" % sorted(t))
    check(t["id"] == tr["id"] and t["department_id"] == dept["id"]
          and t["target_department"] == dept["name"] and t["agent_id"] == agent["id"]
          and t["agent_name"] == agent["name"] and t["status"] == "initiated",
          "log transfer: %r" % t)
    check(RFC3339.match(t["transfer_time"] or ""), "transfer_time: %r" % t["transfer_time"])
    # Finished instantly: the minutes round to zero and show as null.
    _set_status(ctx, token, plain["id"], "completed")
    row = [x for x in _logs(ctx, token)["call_logs"] if x["id"] == plain["id"]][0]
    check(row["ai_minutes"] is None and row["transfer_minutes"] is None,
          "zero minutes must be null: %r" % row)
    check(row["end_time"] is not None and row["status"] == "completed", "finished row: %r" % row)
    # Non-zero minutes are numbers.
    long_call = _call(ctx, token, status="active")
    _age(ctx, long_call["id"], 90)
    _set_status(ctx, token, long_call["id"], "completed")
    row = [x for x in _logs(ctx, token)["call_logs"] if x["id"] == long_call["id"]][0]
    check(_is_num(row["ai_minutes"]) and 1.48 <= row["ai_minutes"] <= 1.6,
          "ai_minutes of 90 s: %r" % row["ai_minutes"])
    check(row["transfer_minutes"] is None, "no transfer minutes: %r" % row)
    check(89 <= row["total_duration"] <= 100, "total_duration: %r" % row)


def test_call_logs_pagination_and_limits(ctx):
    token, _ = sb.tenant(ctx)
    made = [_call(ctx, token) for _ in range(5)]
    for i, c in enumerate(made):
        _age(ctx, c["id"], 60 * (i + 1))        # made[0] is the newest
    newest_first = [c["id"] for c in made]
    logs = _logs(ctx, token, "?limit=2")
    check(_ids(logs) == newest_first[:2], "page 1: %r" % _ids(logs))
    check(logs["total"] == 5 and logs["pagination"] == {"page": 1, "limit": 2, "total": 5,
                                                         "total_pages": 3},
          "pagination: %r" % logs.get("pagination"))
    logs = _logs(ctx, token, "?limit=2&page=3")
    check(_ids(logs) == newest_first[4:], "page 3: %r" % _ids(logs))
    check(logs["pagination"]["page"] == 3, "page 3 pagination: %r" % logs["pagination"])
    check(_logs(ctx, token, "?limit=2&page=4")["call_logs"] == [], "past the end")
    check(_ids(_logs(ctx, token, "?limit=200")) == newest_first, "limit 200")
    for q, field in (("?limit=201", "limit"), ("?limit=0", "limit"), ("?limit=x", "limit"),
                     ("?page=0", "page"), ("?date_range=forever", "date_range"),
                     ("?has_transfer=maybe", "has_transfer")):
        r = ctx.get("/api/calls/logs" + q, token=token)
        expect_error(r, 422, "validation_failed")
        check(field in sb.fields(r), "fields.%s for %s: %r" % (field, q, r))


def test_call_logs_date_range(ctx):
    token, _ = sb.tenant(ctx)
    now = _call(ctx, token)
    d3 = _call(ctx, token)
    d20 = _call(ctx, token)
    d60 = _call(ctx, token)
    d120 = _call(ctx, token)
    for c, days in ((d3, 3), (d20, 20), (d60, 60), (d120, 120)):
        _age(ctx, c["id"], days * 86400)
    want = {"1day": [now], "7days": [now, d3], "30days": [now, d3, d20],
            "90days": [now, d3, d20, d60]}
    for rng, calls in want.items():
        logs = _logs(ctx, token, "?date_range=" + rng)
        check(_ids(logs) == [c["id"] for c in calls], "date_range=%s: %r" % (rng, _ids(logs)))
        check(logs["total"] == len(calls), "total for %s: %r" % (rng, logs["total"]))
    check(_ids(_logs(ctx, token)) == [now["id"], d3["id"]], "default date_range is 7days")
    r = ctx.get("/api/calls/logs?date_range=forever", token=token)
    expect_error(r, 422, "validation_failed")
    check("date_range" in sb.fields(r), "fields.date_range: %r" % r)


def test_call_logs_status_and_transfer_filters(ctx):
    token, _ = sb.tenant(ctx)
    dept = sb.dept(ctx, token)
    ringing = _call(ctx, token)
    missed = _call(ctx, token)
    abandoned = _call(ctx, token)
    completed = _call(ctx, token, status="active")
    _set_status(ctx, token, missed["id"], "missed")
    _set_status(ctx, token, abandoned["id"], "abandoned")
    r = ctx.post("/api/calls/transfer", {"call_id": completed["id"], "department_id": dept["id"]},
                 token=token)
    check(r.status == 200 and r.json["transfer"]["status"] == "waiting", "transfer: %r" % r)
    _set_status(ctx, token, completed["id"], "completed")
    every = {c["id"] for c in (ringing, missed, abandoned, completed)}
    check(set(_ids(_logs(ctx, token, "?status=missed"))) == {missed["id"]}, "status=missed")
    check(set(_ids(_logs(ctx, token, "?status=abandoned"))) == {abandoned["id"]},
          "status=abandoned")
    check(set(_ids(_logs(ctx, token, "?status=completed"))) == {completed["id"]},
          "status=completed")
    check(set(_ids(_logs(ctx, token, "?status=ringing"))) == {ringing["id"]}, "status=ringing")
    logs = _logs(ctx, token, "?status=nonsense")
    check(logs["call_logs"] == [] and logs["total"] == 0, "unknown status: %r" % logs)
    check(set(_ids(_logs(ctx, token, "?status=all"))) == every, "status=all")
    check(set(_ids(_logs(ctx, token, "?status="))) == every, "empty status")
    logs = _logs(ctx, token, "?has_transfer=true")
    check(_ids(logs) == [completed["id"]] and logs["total"] == 1, "has_transfer=true: %r" % logs)
    logs = _logs(ctx, token, "?has_transfer=false")
    check(set(_ids(logs)) == every - {completed["id"]} and logs["total"] == 3,
          "has_transfer=false: %r" % logs)
    logs = _logs(ctx, token, "?has_transfer=false&status=missed")
    check(_ids(logs) == [missed["id"]], "combined filters: %r" % logs)
    logs = _logs(ctx, token, "?has_transfer=true&status=missed")
    check(logs["call_logs"] == [], "combined filters, none: %r" % logs)
    row = _logs(ctx, token, "?has_transfer=true")["call_logs"][0]
    check(row["transfers"][0]["status"] == "failed" and row["transfers"][0]["agent_id"] is None
          and row["transfers"][0]["agent_name"] is None,
          "a waiting transfer fails when the call ends: %r" % row["transfers"])


def test_call_logs_search(ctx):
    token, _ = sb.tenant(ctx)
    caller = _phone("+1666")
    target = _call(ctx, token, caller=caller)
    other = _call(ctx, token, caller=_phone("+1777"))
    plus_encoded = urllib.parse.quote(caller, safe="")
    for q in ("?search=" + plus_encoded,        # %2B1666…
              "?search=" + caller,              # a literal '+' arrives as a space
              "?search=" + caller[1:],          # digits only
              "?search=" + caller[5:],          # a part of the number
              "?search=%20" + caller[1:] + "%20",
              "?search=" + target["id"]):
        logs = _logs(ctx, token, q)
        check(_ids(logs) == [target["id"]] and logs["total"] == 1, "search %s: %r" % (q, logs))
    logs = _logs(ctx, token, "?search=" + other["id"])
    check(_ids(logs) == [other["id"]], "search by the other id: %r" % logs)
    logs = _logs(ctx, token, "?search=%2B1999")
    check(logs["call_logs"] == [] and logs["total"] == 0, "no match: %r" % logs)
    # LIKE wildcards are literal characters.
    logs = _logs(ctx, token, "?search=%25")
    check(logs["call_logs"] == [], "'%%' matched everything: %r" % _ids(logs))
    logs = _logs(ctx, token, "?search=c_ll")
    check(logs["call_logs"] == [], "'_' matched any character: %r" % _ids(logs))


def test_call_logs_cursor_walk(ctx):
    token, _ = sb.tenant(ctx)
    made = [_call(ctx, token) for _ in range(7)]
    # Distinct starts, except three calls sharing one start time (the id breaks the tie).
    offsets = [10, 70, 130, 130, 130, 250, 310]
    base = sb.sql(ctx, "SELECT DATE_FORMAT(UTC_TIMESTAMP(3) - INTERVAL 1 HOUR,"
                     " '%Y-%m-%d %H:%i:%s.%f')").strip()
    for c, off in zip(made, offsets):
        sb.sql(ctx, "UPDATE calls SET start_time = '%s' + INTERVAL %d SECOND WHERE id = '%s'"
             % (base, 3600 - off, c["id"]))
    # Newest first: smallest offset first; equal starts by id, descending.
    expected = [cid for _, cid in sorted(((-off, c["id"]) for c, off in zip(made, offsets)),
                                         reverse=True)]
    full = _ids(_logs(ctx, token, "?limit=200"))
    check(full == expected, "newest first, ties by id descending: %r vs %r" % (full, expected))
    first = _logs(ctx, token, "?limit=2")
    check(first["total"] == 7 and first["pagination"]["total_pages"] == 4,
          "first page totals: %r" % first)
    seen, pages, cursor = list(_ids(first)), 1, first["next_cursor"]
    check(isinstance(cursor, str) and cursor, "first page next_cursor: %r" % cursor)
    while cursor is not None:
        check(pages < 10, "the cursor never ends")
        page = _logs(ctx, token, "?limit=2&after=" + urllib.parse.quote(cursor, safe=""))
        check(len(page["call_logs"]) in (1, 2), "page size: %r" % page)
        seen += _ids(page)
        pages += 1
        cursor = page["next_cursor"]
        check(cursor is None or isinstance(cursor, str), "next_cursor: %r" % cursor)
    check(pages == 4, "7 rows at 2 a page make 4 pages, walked %d" % pages)
    check(seen == expected, "cursor walk: %r vs %r" % (seen, expected))
    check(len(set(seen)) == 7, "a call came twice: %r" % seen)
    # With after, page is ignored.
    c1 = first["next_cursor"]
    a = _logs(ctx, token, "?limit=2&after=" + c1)
    b = _logs(ctx, token, "?limit=2&page=3&after=" + c1)
    check(_ids(a) == _ids(b) == expected[2:4], "page with after: %r %r" % (_ids(a), _ids(b)))
    # The cursor works together with filters.
    _set_status(ctx, token, expected[0], "missed")
    _set_status(ctx, token, expected[3], "missed")
    _set_status(ctx, token, expected[6], "missed")
    p1 = _logs(ctx, token, "?status=missed&limit=2")
    check(_ids(p1) == [expected[0], expected[3]], "filtered page 1: %r" % _ids(p1))
    p2 = _logs(ctx, token, "?status=missed&limit=2&after=" + p1["next_cursor"])
    check(_ids(p2) == [expected[6]] and p2["next_cursor"] is None, "filtered page 2: %r" % p2)


def test_call_logs_garbage_cursor(ctx):
    token, _ = sb.tenant(ctx)
    _call(ctx, token)
    bad = ["garbage!!", "AAAA",
           base64.urlsafe_b64encode(b"2026-01-01|call_x").decode().rstrip("="),
           base64.urlsafe_b64encode(b"no separator at all here").decode().rstrip("="),
           "A" * 400]
    for cur in bad:
        r = ctx.get("/api/calls/logs?after=" + cur, token=token)
        expect_error(r, 422, "validation_failed")
        check(sb.fields(r) == {"after"}, "fields.after for %r: %r" % (cur, r))

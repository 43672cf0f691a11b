"""Cold Caller's own jest + supertest suite, as ../shared/clients.md describes it: one login per
run, then a call started, updated and ended through the coldcaller routes; health with a status
and a latency; unknown routes, malformed JSON and oversized bodies answered in its error shape;
security headers on every /api answer."""
import sb
from sb import check


def _login(ctx):
    """The suite's login: email and password, camelCase tokens under data."""
    s, pw = ctx.new_tenant()
    r = ctx.post("/api/auth/login", {"email": s["user"]["email"], "password": pw})
    check(r.status == 200 and r.json["success"] is True, "login: %r" % r)
    d = r.json["data"]
    check(d["tokenType"] == "Bearer" and d["accessToken"] and d["refreshToken"]
          and isinstance(d["expiresIn"], int) and d["user"]["email"] == s["user"]["email"],
          "login data: %r" % d)
    return d["accessToken"]


def _headers_ok(r):
    check(r.headers.get("x-content-type-options") == "nosniff" and
          r.headers.get("x-frame-options") == "DENY", "security headers: %r" % r.headers)


def test_suite_call_lifecycle(ctx):
    token = _login(ctx)
    r = ctx.post("/api/calls/start", {"phoneNumber": "+1 (555) 123-4567", "agentId": "agent_001"},
                 token=token)
    check(r.status == 201 and r.json["success"] is True and isinstance(r.json["message"], str)
          and isinstance(r.json["timestamp"], str), "start: %r" % r)
    _headers_ok(r)
    call = r.json["data"]["call"]
    check(call["status"] == "connecting" and call["phoneNumber"] == "+1 (555) 123-4567"
          and call["phone"] == "+1 (555) 123-4567" and call["id"], "call: %r" % call)
    q = {"latency": 85, "jitter": 12, "packetLoss": 0.5, "mos": 4.2}
    r = ctx.put("/api/calls/%s/update" % call["id"], {"status": "connected", "quality": q,
                                                      "notes": "Customer interested"},
                token=token)
    check(r.status == 200, "update: %r" % r)
    got = r.json["data"]["call"]
    check(got["status"] == "connected" and got["quality"]["mos"] == 4.2
          and got["quality"]["packetLoss"] == 0.5, "update merged: %r" % got)
    r = ctx.put("/api/calls/%s/update" % call["id"], {"quality": {"mos": 3.9}}, token=token)
    got = r.json["data"]["call"]
    check(r.status == 200 and got["quality"]["mos"] == 3.9 and got["quality"]["latency"] == 85,
          "quality merged, not replaced: %r" % r)
    r = ctx.post("/api/calls/%s/end" % call["id"],
                 {"outcome": "Interested", "disposition": "qualified", "notes": "demo",
                  "tags": ["demo-scheduled"], "objections": ["pricing_concern"],
                  "nextActions": ["send_proposal"]}, token=token)
    check(r.status == 200, "end: %r" % r)
    got = r.json["data"]["call"]
    check(got["outcome"] == "Interested" and got["disposition"] == "qualified"
          and got["nextActions"] == ["send_proposal"], "end echoes: %r" % got)
    r = ctx.get("/api/calls/" + call["id"], token=token)
    check(r.status == 200 and r.json["data"]["id"] == call["id"], "by id: %r" % r)


def test_suite_validation_and_errors(ctx):
    token = _login(ctx)
    d = sb.cold_field(ctx.post("/api/calls/start", {"phoneNumber": "12-34"}, token=token),
                      "phoneNumber")
    check(d["message"] == "Invalid phone number format" and d["value"] == "12-34", repr(d))
    sb.cold_field(ctx.post("/api/calls/start", {}, token=token), "phoneNumber")
    d = sb.cold_field(ctx.post("/api/calls/start", {"phoneNumber": "+15551234567",
                                                    "leadId": -3}, token=token), "leadId")
    check(d["message"] == "Lead ID must be a positive integer", repr(d))
    r = ctx.get("/api/definitely-not-here", token=token)
    sb.expect_cold_error(r, 404, "not_found")
    check("not found" in r.json["message"], repr(r))
    _headers_ok(r)
    sb.expect_cold_error(ctx.request("POST", "/api/calls/start", raw=b'{"phoneNumber":',
                                     token=token), 400)
    big = b'{"notes":"' + b"x" * (3 << 20) + b'"}'
    sb.expect_cold_error(ctx.request("POST", "/api/calls/start", raw=big, token=token), 413)
    sb.expect_cold_error(ctx.post("/api/calls/start", {"phoneNumber": "+15551234567"}), 401)


def test_suite_health(ctx):
    r = ctx.get("/api/health")
    check(r.status == 200 and r.json["success"] is True, "health: %r" % r)
    _headers_ok(r)
    data = r.json["data"]
    check(data["status"] in ("ok", "healthy"), "status: %r" % data)
    check(any(isinstance(v, (int, float)) for k, v in _walk(data) if "atency" in k),
          "a latency figure: %r" % data)


def _walk(o, prefix=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield prefix + k, v
            yield from _walk(v, prefix + k + ".")


def test_suite_shared_call_paths(ctx):
    """POST and PUT /api/calls, which coldcaller's clients call beside the transfer portal's
    routes: its envelope with the record in camelCase, the transfer key kept."""
    token = _login(ctx)
    r = ctx.post("/api/calls", {"callerNumber": "+15550100001", "calledNumber": "+15550100002"},
                 token=token)
    check(r.status == 201 and r.json["data"]["callerNumber"] == "+15550100001"
          and r.json["call"]["caller_number"] == "+15550100001"
          and isinstance(r.json["timestamp"], str), "create: %r" % r)
    cid = r.json["data"]["id"]
    r = ctx.put("/api/calls/" + cid, {"status": "active"}, token=token)
    check(r.status == 200 and r.json["data"]["status"] == "active", "update: %r" % r)
    d = sb.cold_field(ctx.post("/api/calls", {"callerNumber": "+15550100001"}, token=token),
                      "called_number")
    check(d["value"] is None and d["location"] == "body", repr(d))

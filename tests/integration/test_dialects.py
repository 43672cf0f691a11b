"""The four client dialects (issue 7): every route under /api/v1 answers the callcenter
shape, the callcenter SPA signs in, shared paths carry what each family reads, and the
words the transfer portal sends are accepted."""
import base64
import json
import uuid

import sb
from sb import check, expect_error


def _jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _setup(ctx):
    token, tid = sb.tenant(ctx)
    d = sb.dept(ctx, token)
    r = ctx.post("/api/agents", {"name": "A " + sb.uid(), "phone_number": "+15550001111",
                                 "department_id": d["id"]}, token=token)
    check(r.status == 201, "agent: %r" % r)
    agent = r.json["agent"]
    r = ctx.post("/api/calls", {"caller_number": "+15550002222", "called_number": "+15550003333"},
                 token=token)
    check(r.status == 201, "call: %r" % r)
    return token, tid, d, agent, r.json["call"]


def test_every_v1_route_answers_the_callcenter_shape(ctx):
    token, tid, d, agent, call = _setup(ctx)
    u = sb.user(ctx, token, "agent")["user"]
    n = "+1555%07d" % (uuid.uuid4().int % 10 ** 7)
    reads = ["/auth/me", "/auth/profile", "/departments", "/departments/" + d["id"],
             "/departments/%s/agents" % d["id"], "/agents", "/agents/" + agent["id"], "/dids",
             "/users", "/users/search?q=a", "/users/" + u["id"], "/calls/active",
             "/calls/logs", "/calls/" + call["id"], "/calls/%s/transfers" % call["id"],
             "/health"]
    for path in reads:
        data = sb.cc_data(ctx.get("/api/v1" + path, token=token))
        check(data is not None, "%s: no data" % path)
    lst = ctx.get("/api/v1/departments?page=1&page_size=1", token=token).json
    check(lst["meta"]["page_size"] == 1 and lst["meta"]["total_count"] >= 1,
          "page_size: %r" % lst)
    writes = [("POST", "/departments", {"name": "V " + sb.uid(), "phone_number": "+15551230000"}, 201),
              ("PUT", "/departments/" + d["id"], {"description": "x"}, 200),
              ("POST", "/agents", {"name": "B", "phone_number": "+15550001112",
                                   "department_id": d["id"]}, 201),
              ("PUT", "/agents/%s/status" % agent["id"], {"status": "available"}, 200),
              ("POST", "/dids", {"number": n, "route_target": d["id"]}, 201),
              ("POST", "/calls", {"caller_number": "+15550002223",
                                  "called_number": "+15550003333"}, 201),
              ("PUT", "/calls/" + call["id"], {"status": "in_progress"}, 200),
              ("POST", "/calls/transfer", {"call_id": call["id"], "target_department": d["id"],
                                           "urgency_level": "medium"}, 200),
              ("POST", "/events/ticket", None, 200),
              ("PUT", "/users/%s/role" % u["id"], {"role": "manager"}, 200)]
    for method, path, body, status in writes:
        r = ctx.request(method, "/api/v1" + path, body=body if body is not None else {},
                        token=token)
        sb.cc_data(r, status)
    # Errors: 401, 403, 404, 405, 409, 422, 400, all in the callcenter shape.
    sb.expect_cc_error(ctx.get("/api/v1/departments"), 401)
    agent_tok = sb.user(ctx, token, "agent")["token"]
    sb.expect_cc_error(ctx.post("/api/v1/departments", {"name": "x", "phone_number": "+15551230000"},
                                token=agent_tok), 403)
    sb.expect_cc_error(ctx.get("/api/v1/departments/dept_nope", token=token), 404)
    sb.expect_cc_error(ctx.request("PATCH", "/api/v1/departments", token=token), 405,
                       "method_not_allowed")
    r = ctx.post("/api/v1/departments", {"name": "", "phone_number": "x"}, token=token)
    sb.expect_cc_error(r, 422)
    check(set(r.json["error"]["details"]) == {"name", "phone_number"}, "details: %r" % r.json)
    sb.expect_cc_error(ctx.request("POST", "/api/v1/departments", raw=b"{nope", token=token), 400)
    r = ctx.post("/api/v1/departments", {"name": d["name"], "phone_number": "+15551230000"},
                 token=token)
    sb.expect_cc_error(r, 409)


def test_callcenter_spa_signs_in_with_a_slug(ctx):
    name = "Slug Center " + sb.uid()
    email = "spa-%s@example.test" % sb.uid()
    pw = "pw-" + uuid.uuid4().hex
    r = ctx.post("/api/auth/register", {"tenant_name": name, "email": email, "password": pw})
    check(r.status == 201, "register: %r" % r)
    slug = name.lower().replace(" ", "-")
    r = ctx.post("/api/v1/auth/login", {"email": email, "password": pw, "tenant_id": slug})
    data = sb.cc_data(r)
    for k in ("access_token", "refresh_token", "expires_in", "user"):
        check(k in data, "login data lacks %s: %r" % (k, data))
    user = data["user"]
    check(user["roles"] == [{"tenant_id": user["tenant_id"], "role": "admin"}]
          and user["status"] == "active", "user roles/status: %r" % user)
    # The Go encoder's habit: a text field without a value is "".
    check(user["first_name"] == "" and user["phone"] == "", "null text: %r" % user)
    claims = _jwt_payload(data["access_token"])
    check(claims.get("user_id") == user["id"] and claims.get("email") == email
          and claims.get("role") == "admin" and claims.get("tenant_id") == user["tenant_id"]
          and claims.get("token_type") == "access", "JWT claims: %r" % claims)
    r = ctx.post("/api/v1/auth/refresh", {"refresh_token": data["refresh_token"]})
    check(sb.cc_data(r).get("access_token") and r.json.get("access_token")
          == r.json["data"]["access_token"], "refresh: the SPA reads a top-level token: %r" % r)
    # A tenant by domain too; an unknown slug is a failed login.
    sb.expect_cc_error(ctx.post("/api/v1/auth/login", {"email": email, "password": pw,
                                                      "tenant_id": "no-such-" + sb.uid()}), 401)


def test_shared_auth_paths_carry_every_familys_fields(ctx):
    s, pw = ctx.new_tenant()
    email = s["user"]["email"]
    r = ctx.post("/api/auth/login", {"email": email, "password": pw})
    j = r.json
    check(r.status == 200 and j["token"] and j["user"]["email"] == email, "ours: %r" % j)
    check(j["data"]["token"] == j["token"] and j["data"]["user"]["email"] == email,
          "calldocker reads data.token and data.user: %r" % j)
    check(j["data"]["accessToken"] == j["token"] and j["data"]["refreshToken"]
          and j["data"]["tokenType"] == "Bearer" and j["data"]["expiresIn"] == 900,
          "coldcaller reads camelCase tokens: %r" % j["data"])
    check(isinstance(j.get("message"), str) and isinstance(j.get("timestamp"), str),
          "message and timestamp: %r" % j)
    r = ctx.post("/api/auth/login", {"email": email, "password": "wrong-" + sb.uid()})
    expect_error(r, 401, "invalid_credentials")
    check(r.json["message"] == r.json["error"]["message"], "coldcaller's error: %r" % r.json)
    # coldcaller's camelCase in: a registration with firstName.
    r = ctx.post("/api/auth/register", {"tenantName": "Camel " + sb.uid(),
                                        "email": "camel-%s@example.test" % sb.uid(),
                                        "password": "pw-" + sb.uid(), "firstName": "Ada"})
    check(r.status == 201 and r.json["user"]["first_name"] == "Ada"
          and r.json["data"]["user"]["firstName"] == "Ada", "camelCase register: %r" % r)
    r = ctx.get("/api/health")
    check(r.status == 200 and r.json["status"] == "ok" and r.json["data"]["status"] == "ok",
          "health for ours and coldcaller: %r" % r.json)


def test_transfer_portal_words_are_accepted(ctx):
    token, tid, d, agent, call = _setup(ctx)
    check(ctx.put("/api/agents/%s/status" % agent["id"], {"status": "available"},
                  token=token).status == 200, "agent available")
    r = ctx.post("/api/calls", {"caller_number": "+15550002224", "called_number": "+15550003333",
                                "status": "in_progress"}, token=token)
    check(r.status == 201 and r.json["call"]["status"] == "active", "in_progress: %r" % r)
    c = r.json["call"]
    r = ctx.put("/api/calls/" + call["id"], {"status": "in-progress"}, token=token)
    check(r.status == 200 and r.json["call"]["status"] == "active", "in-progress: %r" % r)
    r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": d["id"],
                                         "urgency_level": "medium",
                                         "transfer_type": "conference"}, token=token)
    check(r.status == 200 and r.json["transfer"]["transfer_type"] == "conference"
          and r.json["transfer"]["agent_id"] == agent["id"], "portal transfer: %r" % r)
    tr = r.json["transfer"]["id"]
    t = ctx.get("/api/calls/%s/transfers" % c["id"], token=token).json["transfers"][0]
    check(t["urgency_level"] == "normal", "medium is stored as normal: %r" % t)
    # Still refused: values no client sends.
    r = ctx.post("/api/calls/transfer", {"call_id": c["id"], "target_department": d["id"],
                                         "urgency_level": "whenever"}, token=token)
    expect_error(r, 422, "validation_failed")
    # Connected: the call reads "transferred" in the logs, and the portal's filter finds it.
    for status in ("connecting", "connected"):
        check(ctx.put("/api/calls/transfers/" + tr, {"status": status}, token=token).status
              == 200, "transfer %s" % status)
    logs = ctx.get("/api/calls/logs?status=transferred", token=token).json
    check([x["id"] for x in logs["call_logs"]] == [c["id"]]
          and logs["call_logs"][0]["status"] == "transferred" and logs["total"] == 1,
          "status=transferred: %r" % logs)
    logs = ctx.get("/api/calls/logs?status=in_progress", token=token).json
    check([x["id"] for x in logs["call_logs"]] == [call["id"]], "status=in_progress: %r" % logs)
    check(ctx.put("/api/calls/transfers/" + tr, {"status": "completed"}, token=token).status
          == 200, "completed")
    r = ctx.put("/api/calls/" + c["id"], {"status": "completed"}, token=token)
    check(r.status == 200, "end: %r" % r)
    logs = ctx.get("/api/calls/logs?status=transferred", token=token).json
    check(logs["call_logs"][0]["status"] == "transferred", "after the end: %r" % logs)


def test_coldcaller_errors_have_its_shape(ctx):
    """Coldcaller's clients: security headers, a 404 naming the route, malformed JSON 400,
    a validation failure as a 400 whose first detail names the field (with the value sent
    and where), and nginx's own 413 in the same shape."""
    r = ctx.get("/api/nope/" + sb.uid())
    sb.expect_cold_error(r, 404, "not_found")
    check("not found" in r.json["message"] and "/api/nope/" in r.json["message"], repr(r))
    check(r.headers.get("x-frame-options") == "DENY", repr(r.headers))
    check(r.headers.get("x-content-type-options") == "nosniff", repr(r.headers))
    sb.expect_cold_error(ctx.request("POST", "/api/auth/login", raw=b"{nope"), 400)
    r = ctx.post("/api/auth/register", {"tenantName": "T " + sb.uid(), "email": "not-an-email",
                                        "password": "Str0ng!pass-" + sb.uid()})
    d = sb.cold_field(r, "email")
    check(d["value"] == "not-an-email" and d["location"] == "body", repr(d))
    check(r.json["message"] == "email " + d["message"], repr(r))
    big = b'{"email":"' + b"x" * (3 << 20) + b'"}'
    sb.expect_cold_error(ctx.request("POST", "/api/auth/login", raw=big), 413)

"""Twilio integration settings (the auth token is never returned) and the signed Twilio
call-status webhook: signature checks, status mapping, finished-is-final, and the tenant
taken from the called number."""
import base64
import hashlib
import hmac
import os
import random
import re
import urllib.parse

import sb
from sb import check, expect_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
HOOK = "/webhooks/twilio/call-status"
INTEGRATION_FIELDS = {"provider", "account_sid", "auth_token_set", "updated_at"}
_rng = random.SystemRandom()


# -- private helpers ------------------------------------------------------------------

def _hex(n):
    return "".join(_rng.choice("0123456789abcdef") for _ in range(n))


def _number():
    return "+1555%08d" % _rng.randrange(10 ** 8)


def _caller():
    return "+1444%07d" % _rng.randrange(10 ** 7)



def _sign(auth_token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def _post_form(ctx, path, params, signature):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return ctx.request("POST", path, raw=urllib.parse.urlencode(params), headers=headers)


def _hook(ctx, auth_token, params, path=HOOK, signed_params=None):
    """POSTs a correctly signed callback (signed over signed_params when given)."""
    sig = _sign(auth_token, sb.public_base_url(ctx) + path,
                params if signed_params is None else signed_params)
    return _post_form(ctx, path, params, sig)


class _Line:
    """A tenant with a phone number and Twilio credentials."""

    def __init__(self, ctx):
        self.token, self.tenant_id = sb.tenant(ctx)
        self.number = _number()
        r = ctx.post("/api/dids", {"number": self.number}, token=self.token)
        check(r.status == 201, "create DID: %r" % r)
        self.did_id = r.json["did"]["id"]
        self.account_sid = "AC" + _hex(32)
        self.auth_token = _hex(32)
        r = ctx.put("/api/integrations/twilio", {"account_sid": self.account_sid,
                                                 "auth_token": self.auth_token},
                    token=self.token)
        check(r.status == 200, "set Twilio credentials: %r" % r)

    def params(self, status, sid=None, caller=None, **extra):
        p = {"CallSid": sid or "CA" + _hex(32), "AccountSid": self.account_sid,
             "From": caller or _caller(), "To": self.number, "Direction": "inbound",
             "ApiVersion": "2010-04-01"}
        if status is not None:
            p["CallStatus"] = status
        p.update(extra)
        return p


def _ok(r, what):
    check(r.status == 200 and r.json is not None and r.json.get("success") is True,
          "%s: %r" % (what, r))
    c = r.json.get("call")
    check(isinstance(c, dict) and c.get("id"), "%s: no call in %r" % (what, r))
    return c


def _get_call(ctx, token, cid):
    r = ctx.get("/api/calls/" + cid, token=token)
    check(r.status == 200, "GET call: %r" % r)
    return r.json["call"]


def _log_ids(ctx, token, query=""):
    r = ctx.get("/api/calls/logs?limit=200" + query, token=token)
    check(r.status == 200, "logs: %r" % r)
    return [c["id"] for c in r.json["call_logs"]]


# -- integration settings -------------------------------------------------------------

def test_twilio_integration_contract(ctx):
    token, tid = sb.tenant(ctx)
    expect_error(ctx.get("/api/integrations/twilio", token=token), 404, "not_found")
    sid, secret = "AC" + _hex(32), _hex(32)
    r = ctx.put("/api/integrations/twilio", {"account_sid": sid, "auth_token": secret},
                token=token)
    check(r.status == 200 and r.json.get("success") is True, "PUT: %r" % r)
    i = r.json["integration"]
    check(set(i) == INTEGRATION_FIELDS, "integration fields: %r" % sorted(i))
    check(i["provider"] == "twilio" and i["account_sid"] == sid and i["auth_token_set"] is True,
          "integration: %r" % i)
    check(RFC3339.match(i["updated_at"] or ""), "updated_at: %r" % i["updated_at"])
    check(secret not in r.text and secret.upper() not in r.text, "the token came back: %r" % r)
    g = ctx.get("/api/integrations/twilio", token=token)
    check(g.status == 200 and g.json["integration"] == i, "GET: %r" % g)
    check(secret not in g.text, "the token came back from GET")
    # Replace both.
    sid2, secret2 = "AC" + _hex(32), _hex(32)
    r = ctx.put("/api/integrations/twilio", {"account_sid": sid2, "auth_token": secret2},
                token=token)
    check(r.status == 200 and r.json["integration"]["account_sid"] == sid2, "replace: %r" % r)
    check(secret2 not in r.text and secret not in r.text, "a token came back")
    check(ctx.get("/api/integrations/twilio", token=token).json["integration"]["account_sid"]
          == sid2, "replacement not stored")
    # Sealed at rest, and not in the audit trail or any log.
    rows = sb.sql(ctx, "SELECT HEX(auth_token_sealed), account_sid FROM tenant_integrations"
                     " WHERE tenant_id = '%s'" % tid).split()
    check(len(rows) == 2 and rows[1] == sid2, "stored row: %r" % rows)
    check(secret2.encode().hex().upper() not in rows[0], "the token is stored in clear")
    audit = sb.sql(ctx, "SELECT COALESCE(details, '') FROM audit_logs WHERE tenant_id = '%s'" % tid)
    check(secret not in audit and secret2 not in audit, "the token is in the audit trail")
    logs = os.path.join(ctx.var, "log")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as f:
            text = f.read()
        check(secret not in text and secret2 not in text, "the token is in log %s" % name)


def test_twilio_integration_validation(ctx):
    token, _ = sb.tenant(ctx)
    good_sid, good_token = "AC" + _hex(32), _hex(32)
    for sid in ("AC" + _hex(31), "AC" + _hex(33), "XY" + _hex(32), "ac" + _hex(32),
                "AC" + "g" * 32, "", 12345, None):
        r = ctx.put("/api/integrations/twilio", {"account_sid": sid, "auth_token": good_token},
                    token=token)
        expect_error(r, 422, "validation_failed")
        check(sb.fields(r) == {"account_sid"}, "fields.account_sid only for %r: %r" % (sid, r))
        check(good_token not in r.text, "the token came back in an error")
    for tok in (_hex(31), _hex(33), "z" * 32, _hex(16) + " " + _hex(15), "", 7, None):
        r = ctx.put("/api/integrations/twilio", {"account_sid": good_sid, "auth_token": tok},
                    token=token)
        expect_error(r, 422, "validation_failed")
        check(sb.fields(r) == {"auth_token"}, "fields.auth_token only for %r: %r" % (tok, r))
        if isinstance(tok, str) and len(tok) >= 8:
            check(tok not in r.text, "the malformed token came back: %r" % r)
    r = ctx.put("/api/integrations/twilio", {}, token=token)
    expect_error(r, 422, "validation_failed")
    check(sb.fields(r) == {"account_sid", "auth_token"}, "both fields: %r" % r)
    expect_error(ctx.get("/api/integrations/twilio", token=token), 404, "not_found")


def test_twilio_integration_roles_and_isolation(ctx):
    token_a, _ = sb.tenant(ctx)
    token_b, _ = sb.tenant(ctx)
    body = {"account_sid": "AC" + _hex(32), "auth_token": _hex(32)}
    check(ctx.put("/api/integrations/twilio", body, token=token_a).status == 200, "A sets")
    expect_error(ctx.get("/api/integrations/twilio", token=token_b), 404, "not_found")
    mgr = sb.user(ctx, token_a, "manager")["token"]
    expect_error(ctx.get("/api/integrations/twilio", token=mgr), 403, "forbidden")
    expect_error(ctx.put("/api/integrations/twilio", body, token=mgr), 403, "forbidden")
    agent = sb.user(ctx, token_a, "agent")["token"]
    expect_error(ctx.get("/api/integrations/twilio", token=agent), 403, "forbidden")
    expect_error(ctx.get("/api/integrations/twilio"), 401, "unauthorized")


# -- the webhook: lifecycle -------------------------------------------------------------

def test_webhook_call_lifecycle(ctx):
    line = _Line(ctx)
    sid, caller = "CA" + _hex(32), _caller()
    r = _hook(ctx, line.auth_token, line.params("ringing", sid=sid, caller=caller))
    c = _ok(r, "ringing")
    check(c["status"] == "ringing" and c.get("call_sid") == sid, "first callback: %r" % c)
    cid = c["id"]
    g = _get_call(ctx, line.token, cid)
    check(g["tenant_id"] == line.tenant_id and g["call_sid"] == sid
          and g["caller_number"] == caller and g["called_number"] == line.number
          and g["direction"] == "inbound" and g["status"] == "ringing", "stored call: %r" % g)
    active = ctx.get("/api/calls/active", token=line.token).json["active_calls"]
    check([x["id"] for x in active] == [cid], "live list: %r" % active)
    # A repeated ringing is harmless and creates no second call.
    c = _ok(_hook(ctx, line.auth_token, line.params("ringing", sid=sid, caller=caller)), "again")
    check(c["id"] == cid and c["status"] == "ringing", "repeat ringing: %r" % c)
    c = _ok(_hook(ctx, line.auth_token, line.params("in-progress", sid=sid, caller=caller)),
            "in-progress")
    check(c["id"] == cid and c["status"] == "active", "in-progress -> active: %r" % c)
    check(_get_call(ctx, line.token, cid)["status"] == "active", "stored active")
    c = _ok(_hook(ctx, line.auth_token, line.params("completed", sid=sid, caller=caller,
                                                    CallDuration="42")), "completed")
    check(c["id"] == cid and c["status"] == "completed", "completed: %r" % c)
    g = _get_call(ctx, line.token, cid)
    check(g["status"] == "completed" and g["total_duration"] == 42, "finished call: %r" % g)
    check(RFC3339.match(g["end_time"] or ""), "end_time: %r" % g["end_time"])
    check(ctx.get("/api/calls/active", token=line.token).json["active_calls"] == [],
          "a completed call is still live")
    # Late or repeated callbacks never bring it back.
    for late in ("ringing", "in-progress", "queued", "ringing"):
        c = _ok(_hook(ctx, line.auth_token, line.params(late, sid=sid, caller=caller)), late)
        check(c["status"] == "completed", "late %s moved the call: %r" % (late, c))
    c = _ok(_hook(ctx, line.auth_token, line.params("completed", sid=sid, caller=caller,
                                                    CallDuration="99")), "completed again")
    g2 = _get_call(ctx, line.token, cid)
    check(g2["status"] == "completed" and g2["total_duration"] == 42
          and g2["end_time"] == g["end_time"], "a repeated completed changed it: %r" % g2)
    check(_log_ids(ctx, line.token) == [cid], "one call in the logs")


def test_webhook_status_mapping(ctx):
    line = _Line(ctx)
    want = {"no-answer": "missed", "canceled": "abandoned", "busy": "busy", "failed": "failed",
            "queued": "ringing", "ringing": "ringing", "in-progress": "active",
            "completed": "completed"}
    made = {}
    for twilio, ours in want.items():
        c = _ok(_hook(ctx, line.auth_token, line.params(twilio)), twilio)
        check(c["status"] == ours, "%s -> %r, want %s" % (twilio, c["status"], ours))
        g = _get_call(ctx, line.token, c["id"])
        check(g["status"] == ours, "stored status for %s: %r" % (twilio, g["status"]))
        finished = ours not in ("ringing", "active")
        check((g["end_time"] is not None) == finished, "end_time for %s: %r" % (twilio, g))
        made[ours] = c["id"]
    # The mapped statuses are real statuses of the call logs.
    for ours in ("missed", "abandoned", "busy"):
        check(_log_ids(ctx, line.token, "&status=" + ours) == [made[ours]],
              "logs status=%s" % ours)
    # A live call that ends unanswered.
    sid = "CA" + _hex(32)
    _ok(_hook(ctx, line.auth_token, line.params("ringing", sid=sid)), "ringing")
    c = _ok(_hook(ctx, line.auth_token, line.params("no-answer", sid=sid)), "no-answer")
    check(c["status"] == "missed", "ringing then no-answer: %r" % c)
    c = _ok(_hook(ctx, line.auth_token, line.params("in-progress", sid=sid)), "late answer")
    check(c["status"] == "missed", "a missed call was answered late: %r" % c)
    # Duration is read from Duration when CallDuration is absent.
    sid = "CA" + _hex(32)
    _ok(_hook(ctx, line.auth_token, line.params("in-progress", sid=sid)), "in-progress")
    c = _ok(_hook(ctx, line.auth_token, line.params("completed", sid=sid, Duration="17")), "end")
    check(_get_call(ctx, line.token, c["id"])["total_duration"] == 17, "Duration alias")


def test_webhook_signature_covers_query_string(ctx):
    line = _Line(ctx)
    path = HOOK + "?source=" + sb.uid()
    p = line.params("ringing")
    sig_with_query = _sign(line.auth_token, sb.public_base_url(ctx) + path, p)
    _ok(_post_form(ctx, path, p, sig_with_query), "signed with the query")
    p = line.params("ringing")
    sig_without = _sign(line.auth_token, sb.public_base_url(ctx) + HOOK, p)
    expect_error(_post_form(ctx, path, p, sig_without), 403, "invalid_signature")


# -- the webhook: refusals ----------------------------------------------------------------

def test_webhook_refusals(ctx):
    line = _Line(ctx)
    base = sb.public_base_url(ctx)
    caller = _caller()
    # No signature header.
    r = _post_form(ctx, HOOK, line.params("ringing", caller=caller), None)
    expect_error(r, 403, "invalid_signature")
    r = _post_form(ctx, HOOK, line.params("ringing", caller=caller), "")
    expect_error(r, 403, "invalid_signature")
    # A parameter changed after signing.
    p = line.params("ringing", caller=caller)
    tampered = dict(p, CallStatus="completed")
    expect_error(_hook(ctx, line.auth_token, tampered, signed_params=p), 403, "invalid_signature")
    tampered = dict(p, From=_caller())
    expect_error(_hook(ctx, line.auth_token, tampered, signed_params=p), 403, "invalid_signature")
    extra = dict(p, Extra="1")
    expect_error(_hook(ctx, line.auth_token, extra, signed_params=p), 403, "invalid_signature")
    # Signed with another token, or over another URL, or garbage.
    expect_error(_hook(ctx, _hex(32), p), 403, "invalid_signature")
    other_url = base.replace("127.0.0.1", "localhost") + HOOK
    expect_error(_post_form(ctx, HOOK, p, _sign(line.auth_token, other_url, p)), 403,
                 "invalid_signature")
    expect_error(_post_form(ctx, HOOK, p, _sign(line.auth_token, base + HOOK + "/", p)), 403,
                 "invalid_signature")
    good = _sign(line.auth_token, base + HOOK, p)
    expect_error(_post_form(ctx, HOOK, p, good[:-2]), 403, "invalid_signature")
    expect_error(_post_form(ctx, HOOK, p, "x" * len(good)), 403, "invalid_signature")
    check(_log_ids(ctx, line.token) == [], "a refused callback created a call")
    # An unknown called number.
    q = line.params("ringing", To=_number())
    expect_error(_hook(ctx, line.auth_token, q), 404, "not_found")
    # A number that is no longer active.
    other = _number()
    r = ctx.post("/api/dids", {"number": other, "is_active": False}, token=line.token)
    check(r.status == 201, "inactive DID: %r" % r)
    expect_error(_hook(ctx, line.auth_token, line.params("ringing", To=other)), 404, "not_found")
    # A required parameter missing (correctly signed).
    r = _hook(ctx, line.auth_token, line.params(None))
    expect_error(r, 422, "validation_failed")
    check("CallStatus" in sb.fields(r), "fields.CallStatus: %r" % r)
    r = _hook(ctx, line.auth_token, line.params("exploded"))
    expect_error(r, 422, "validation_failed")
    check("CallStatus" in sb.fields(r), "fields.CallStatus for an unknown value: %r" % r)
    q = line.params("ringing")
    del q["CallSid"]
    r = _hook(ctx, line.auth_token, q)
    expect_error(r, 422, "validation_failed")
    check("CallSid" in sb.fields(r), "fields.CallSid: %r" % r)
    check(_log_ids(ctx, line.token) == [], "a refused callback created a call")
    # The signature is still right after all that.
    _ok(_hook(ctx, line.auth_token, p), "the untampered callback")


def test_webhook_without_credentials_is_refused(ctx):
    token, _ = sb.tenant(ctx)
    number = _number()
    check(ctx.post("/api/dids", {"number": number}, token=token).status == 201, "DID")
    p = {"CallSid": "CA" + _hex(32), "From": _caller(), "To": number, "CallStatus": "ringing"}
    expect_error(_hook(ctx, _hex(32), p), 403, "invalid_signature")
    check(_log_ids(ctx, token) == [], "a call was created without credentials")


def test_webhook_tenant_comes_from_the_number(ctx):
    a = _Line(ctx)
    b = _Line(ctx)
    c = _ok(_hook(ctx, b.auth_token, b.params("ringing")), "call to B's number")
    check(_get_call(ctx, b.token, c["id"])["tenant_id"] == b.tenant_id, "B owns the call")
    expect_error(ctx.get("/api/calls/" + c["id"], token=a.token), 404, "not_found")
    check(_log_ids(ctx, a.token) == [], "A sees B's call in its logs")
    check(ctx.get("/api/calls/active", token=a.token).json["active_calls"] == [],
          "A sees B's call live")
    check(_log_ids(ctx, b.token) == [c["id"]], "B's logs")
    # B's number signed with A's token: refused; A's own number works with A's token.
    expect_error(_hook(ctx, a.auth_token, b.params("ringing")), 403, "invalid_signature")
    d = _ok(_hook(ctx, a.auth_token, a.params("ringing")), "call to A's number")
    check(_log_ids(ctx, a.token) == [d["id"]] and _log_ids(ctx, b.token) == [c["id"]],
          "each tenant sees only its own call")
    # A CallSid of B's call sent to A's number does not touch B's call.
    r = _hook(ctx, a.auth_token, a.params("completed", sid=_get_call(ctx, b.token,
                                                                     c["id"])["call_sid"]))
    check(r.status != 200 or r.json["call"]["id"] != c["id"], "A's callback reached B's call")
    check(_get_call(ctx, b.token, c["id"])["status"] == "ringing", "B's call was changed by A")


def test_status_callbacks_of_new_calls_at_once(ctx):
    """First callbacks of many new calls at once, each sent twice together: all answered,
    one call per CallSid, and no InnoDB deadlock (a locking read of an absent CallSid would
    gap-lock, and the inserts would deadlock; sids with one prefix share that gap)."""
    import concurrent.futures
    line = _Line(ctx)
    prefix = "CA" + _hex(28)
    params = [line.params("ringing", sid=prefix + "%04x" % i) for i in range(40)]
    before = sb.innodb_deadlocks(ctx)
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
        answers = list(ex.map(lambda p: _hook(ctx, line.auth_token, p), params + params))
    for r in answers:
        _ok(r, "callback")
    after = sb.innodb_deadlocks(ctx)
    check(after == before, "InnoDB deadlocks: %d" % (after - before))
    n = sb.sql(ctx, "SELECT COUNT(*) FROM calls WHERE call_sid LIKE '%s%%'" % prefix).strip()
    check(n == "40", "one call per CallSid: %s" % n)

"""CallDocker webhooks: the company's incoming webhook (secret made by an admin, shown
once, sealed; events signed with HMAC-SHA256 of the raw body), Twilio's status callback per
company (the call-status code), and the company's outgoing webhooks."""
import hashlib
import hmac
import json
import random
import urllib.parse
import uuid

import sb
from sb import check, expect_error

_rng = random.SystemRandom()



def _send(ctx, tid, raw, secret=None, sig=None):
    h = {"Content-Type": "application/json"}
    if secret is not None:
        sig = "sha256=" + hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    if sig is not None:
        h["X-Webhook-Signature"] = sig
    return ctx.request("POST", "/api/webhooks/incoming/" + tid, raw=raw, headers=h)


def test_incoming_webhook_signature(ctx):
    token, tid = sb.tenant(ctx)
    raw = json.dumps({"event": "lead.created", "lead": {"phone": "+15550001111"}})
    # No secret yet: refused.
    expect_error(_send(ctx, tid, raw, secret="whin_guess"), 403)
    manager = sb.user(ctx, token, "manager")
    expect_error(ctx.post("/api/webhooks/company/%s/incoming-secret" % tid, {},
                          token=manager["token"]), 403)
    other, other_tid = sb.tenant(ctx)
    expect_error(ctx.post("/api/webhooks/company/%s/incoming-secret" % tid, {}, token=other), 404)
    r = ctx.post("/api/webhooks/company/%s/incoming-secret" % tid, {}, token=token)
    check(r.status == 201 and r.json["data"]["secret"].startswith("whin_")
          and r.json["data"]["url"].endswith("/api/webhooks/incoming/" + tid), "secret: %r" % r)
    secret = r.json["data"]["secret"]
    stored = sb.sql(ctx, "SELECT HEX(auth_token_sealed) FROM tenant_integrations WHERE"
                         " tenant_id = '%s' AND provider = 'incoming_webhook'" % tid).strip()
    check(stored and secret.encode().hex().upper() not in stored, "sealed at rest")
    ok = _send(ctx, tid, raw, secret=secret)
    check(ok.status == 202 and ok.json["success"] is True
          and ok.json["data"]["event_type"] == "lead.created"
          and ok.json["data"]["id"].startswith("iwe_"), "accepted: %r" % ok)
    row = sb.sql(ctx, "SELECT event_type, JSON_VALUE(payload, '$.lead.phone') FROM"
                      " incoming_webhook_events WHERE id = '%s'" % ok.json["data"]["id"])
    check(row.strip() == "lead.created\t+15550001111", "stored: %r" % row)
    audit = sb.sql(ctx, "SELECT COUNT(*) FROM audit_logs WHERE tenant_id = '%s' AND action ="
                        " 'webhook.incoming'" % tid)
    check(audit.strip() == "1", "audited: %r" % audit)
    expect_error(_send(ctx, tid, raw), 401)
    expect_error(_send(ctx, tid, raw, sig="sha256=" + "0" * 64), 403)
    expect_error(_send(ctx, tid, raw, secret=secret + "x"), 403)
    # The signature covers the raw body: one changed byte fails.
    sig = "sha256=" + hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    expect_error(_send(ctx, tid, raw.replace("1111", "1112"), sig=sig), 403)
    expect_error(_send(ctx, "ten_nothing", raw, secret=secret), 404)
    expect_error(_send(ctx, other_tid, raw, secret=secret), 403)
    expect_error(_send(ctx, tid, "[1, 2]", secret=secret), 400)
    # Rotation: the old secret stops.
    new = ctx.post("/api/webhooks/company/%s/incoming-secret" % tid, {}, token=token)
    expect_error(_send(ctx, tid, raw, secret=secret), 403)
    check(_send(ctx, tid, raw, secret=new.json["data"]["secret"]).status == 202, "new secret")



def test_twilio_status_per_company(ctx):
    token, tid = sb.tenant(ctx)
    auth = "".join(_rng.choice("0123456789abcdef") for _ in range(32))
    r = ctx.put("/api/integrations/twilio", {"account_sid": "AC" + "a" * 32, "auth_token": auth},
                token=token)
    check(r.status == 200, "twilio: %r" % r)
    path = "/api/webhooks/twilio/" + tid
    sid = "CA" + uuid.uuid4().hex
    params = {"CallSid": sid, "From": "+15550001111", "To": "+15559998888",
              "CallStatus": "in-progress", "Direction": "outbound-api"}
    r = sb.twilio_post(ctx, auth, path, params)
    check(r.status == 200 and r.json["data"]["call_sid"] == sid
          and r.json["data"]["status"] == "active"
          and r.json["data"]["direction"] == "outbound", "status: %r" % r)
    params.update(CallStatus="completed", CallDuration="42")
    r = sb.twilio_post(ctx, auth, path, params)
    check(r.status == 200 and r.json["data"]["status"] == "completed", "completed: %r" % r)
    expect_error(sb.twilio_post(ctx, auth, path, params, tamper=True), 403)
    r = ctx.request("POST", path, raw=urllib.parse.urlencode(params),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_error(r, 403)
    expect_error(sb.twilio_post(ctx, auth, "/api/webhooks/twilio/ten_nothing", params), 404)
    other, other_tid = sb.tenant(ctx)
    expect_error(sb.twilio_post(ctx, auth, "/api/webhooks/twilio/" + other_tid, params), 403)
    bad = dict(params, CallStatus="dancing")
    e = sb.twilio_post(ctx, auth, path, bad)
    check(e.status == 422 and "CallStatus" in sb.fields(e), "422: %r" % e)


def test_company_outgoing_webhooks(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    body = {"name": "CRM", "url": "https://example.com/hook", "events": ["call.ended"]}
    r = ctx.post("/api/webhooks/company/" + tid, body, token=token)
    check(r.status == 201 and r.json["data"]["secret"].startswith("whsec_")
          and r.json["data"]["tenant_id"] == tid, "create: %r" % r)
    lst = ctx.get("/api/webhooks/company/" + tid, token=token)
    check(lst.status == 200 and [w["id"] for w in lst.json["data"]] == [r.json["data"]["id"]]
          and lst.json["pagination"]["total"] == 1 and "secret" not in lst.json["data"][0],
          "list: %r" % lst)
    # The same webhooks as the callcenter's /api/v1/webhooks.
    v1 = ctx.get("/api/v1/webhooks", token=token)
    check([w["id"] for w in v1.json["data"]] == [r.json["data"]["id"]], "same: %r" % v1)
    e = ctx.post("/api/webhooks/company/" + tid, {"name": "x", "url": "ftp://nope"}, token=token)
    check(e.status == 422 and "url" in sb.fields(e), "422: %r" % e)
    expect_error(ctx.get("/api/webhooks/company/" + other_tid, token=token), 404)
    expect_error(ctx.post("/api/webhooks/company/" + other_tid, body, token=token), 404)
    agent = sb.user(ctx, token, "agent")
    expect_error(ctx.get("/api/webhooks/company/" + tid, token=agent["token"]), 403)
    expect_error(ctx.get("/api/webhooks/company/" + tid), 401)
    sup = sb.super_admin(ctx)["token"]
    r = ctx.post("/api/webhooks/company/" + other_tid, body, token=sup)
    check(r.status == 201 and r.json["data"]["tenant_id"] == other_tid, "super: %r" % r)
    check(ctx.get("/api/webhooks/company/" + other_tid, token=other).json["pagination"]["total"]
          == 1, "in the other company")

"""Blacklist (callcenter family): CRUD, 422 naming the field, 409 for a number on the list,
roles, tenant isolation; the same rows as coldcaller's /api/dnc; and inbound blocking: a
blocked caller never reaches a queue, through POST /api/v1/queues/:id/calls and through the
Twilio call-status webhook, while an expired entry, an outbound-only one or another tenant's
does not block."""
import random
import uuid

import sb
from sb import cc_data, check, expect_cc_error

BASE = "/api/v1/blacklist"
FIELDS = {"id", "number", "reason", "direction", "expires_at", "active", "created_by",
          "created_at", "updated_at"}


def _number():
    return "+1444%07d" % random.randrange(10 ** 7)


def _entry(ctx, token, number=None, **kw):
    body = {"number": number or _number()}
    body.update(kw)
    return cc_data(ctx.post(BASE, body, token=token), 201)


def _queue(ctx, token):
    return cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid(), "max_wait_time": 0},
                            token=token), 201)


def _queued(ctx, queue_id, caller):
    return int(sb.sql(ctx, "SELECT COUNT(*) FROM queue_calls WHERE queue_id = '%s'"
                           " AND caller_number = '%s'" % (queue_id, caller)).strip())


def test_blacklist_crud_contract(ctx):
    admin, _ = sb.tenant(ctx)
    num = _number()
    e = _entry(ctx, admin, num.replace("+1", "+1 "), reason="spam", direction="both",
               expires_at="2099-01-01T00:00:00Z")
    check(set(e) == FIELDS, "fields: %r" % sorted(e))
    check(e["id"].startswith("bl_") and e["number"] == num, "normalised: %r" % e)
    check(e["direction"] == "both" and e["reason"] == "spam" and e["active"] is True, "%r" % e)
    check(e["expires_at"].startswith("2099-01-01"), "expires_at: %r" % e)
    d = _entry(ctx, admin)
    check(d["direction"] == "inbound" and d["expires_at"] in (None, ""), "defaults: %r" % d)
    got = cc_data(ctx.get("%s/%s" % (BASE, e["id"]), token=admin))
    check(got["id"] == e["id"], "get: %r" % got)
    upd = cc_data(ctx.put("%s/%s" % (BASE, e["id"]), {"direction": "outbound",
                                                      "expires_at": None}, token=admin))
    check(upd["direction"] == "outbound" and upd["expires_at"] in (None, ""), "put: %r" % upd)
    lst = cc_data(ctx.get(BASE + "?direction=outbound", token=admin))
    check([i["id"] for i in lst] == [e["id"]], "filter: %r" % lst)
    check(len(cc_data(ctx.get(BASE + "?number=%2B" + num[1:], token=admin))) == 1, "by number")
    # The same rows as the do-not-call list of coldcaller.
    dnc = ctx.get("/api/dnc", token=admin).json["data"]
    check([x["id"] for x in dnc] == [e["id"]], "dnc shows the outbound entry: %r" % dnc)
    expect_cc_error(ctx.post(BASE, {"number": num}, token=admin), 409)
    cc_data(ctx.delete("%s/%s" % (BASE, e["id"]), token=admin))
    expect_cc_error(ctx.get("%s/%s" % (BASE, e["id"]), token=admin), 404)


def test_blacklist_validation_roles_isolation(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")["token"]
    for body, field in (({}, "number"), ({"number": "call me"}, "number"),
                        ({"number": _number(), "direction": "sideways"}, "direction"),
                        ({"number": _number(), "expires_at": "soon"}, "expires_at"),
                        ({"number": _number(), "reason": "x" * 256}, "reason")):
        r = ctx.post(BASE, body, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s not named: %r" % (field, r))
    e = _entry(ctx, admin)
    expect_cc_error(ctx.get(BASE), 401)
    expect_cc_error(ctx.post(BASE, {"number": _number()}, token=agent), 403)
    expect_cc_error(ctx.delete("%s/%s" % (BASE, e["id"]), token=agent), 403)
    cc_data(ctx.get("%s/%s" % (BASE, e["id"]), token=agent))
    for r in (ctx.get("%s/%s" % (BASE, e["id"]), token=other),
              ctx.put("%s/%s" % (BASE, e["id"]), {"reason": "x"}, token=other),
              ctx.delete("%s/%s" % (BASE, e["id"]), token=other)):
        expect_cc_error(r, 404)
    check(cc_data(ctx.get(BASE, token=other)) == [], "other tenant's list is empty")
    # The same number in another tenant is another entry.
    _entry(ctx, other, e["number"])


def test_blocked_caller_never_enters_a_queue_by_api(ctx):
    admin, _ = sb.tenant(ctx)
    other, _ = sb.tenant(ctx)
    q = _queue(ctx, admin)
    blocked, outbound_only, expired, free = _number(), _number(), _number(), _number()
    _entry(ctx, admin, blocked, direction="inbound")
    _entry(ctx, admin, outbound_only, direction="outbound")
    _entry(ctx, admin, expired, direction="both", expires_at="2020-01-01T00:00:00Z")
    _entry(ctx, other, free, direction="both")
    path = "/api/v1/queues/%s/calls" % q["id"]
    r = ctx.post(path, {"caller_number": blocked}, token=admin)
    expect_cc_error(r, 403)
    check("blacklist" in r.json["error"]["message"], "says why: %r" % r)
    # Any notation of the number is the number.
    expect_cc_error(ctx.post(path, {"caller_number": blocked[:5] + " " + blocked[5:]},
                             token=admin), 403)
    check(_queued(ctx, q["id"], blocked) == 0, "nothing queued for the blocked caller")
    for caller in (outbound_only, expired, free, "anonymous"):
        cc_data(ctx.post(path, {"caller_number": caller}, token=admin), 201)
        check(_queued(ctx, q["id"], caller) == 1, "%s queued" % caller)
    # Unblocked, the caller gets in.
    entry = cc_data(ctx.get(BASE + "?number=%2B" + blocked[1:], token=admin))[0]
    cc_data(ctx.delete("%s/%s" % (BASE, entry["id"]), token=admin))
    cc_data(ctx.post(path, {"caller_number": blocked}, token=admin), 201)


def test_blocked_caller_never_enters_a_queue_by_webhook(ctx):
    admin, _ = sb.tenant(ctx)
    q = _queue(ctx, admin)
    line = sb.twilio_line(ctx, admin)
    r = ctx.put("/api/dids/%s/routing" % line["did_id"],
                {"route_type": "queue", "route_target": q["id"]}, token=admin)
    check(r.status == 200, "routing: %r" % r)
    blocked, free = _number(), _number()
    _entry(ctx, admin, blocked, direction="both")

    def ring(caller):
        p = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": line["account_sid"],
             "From": caller, "To": line["number"], "Direction": "inbound",
             "ApiVersion": "2010-04-01", "CallStatus": "ringing"}
        r = sb.twilio_post(ctx, line["auth_token"], "/webhooks/twilio/call-status", p)
        check(r.status == 200 and r.json.get("success") is True, "webhook: %r" % r)
        return r.json["call"]

    ring(free)
    check(_queued(ctx, q["id"], free) == 1, "a free caller is queued")
    call = ring(blocked)
    check(call["caller_number"] == blocked, "the call is recorded: %r" % call)
    check(_queued(ctx, q["id"], blocked) == 0, "the blocked caller is not queued")

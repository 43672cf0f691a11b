"""SMS (callcenter family, issue 11): sending through the outbox to a fake Twilio Messages
API (the form and the basic auth it receives), retries and a final refusal, the signed
status and inbound webhooks, STOP/START on the do-not-call list, threads, errors and
tenant isolation. The fake listens where the stack's twilio_api_base points (scripts/test.sh
sets a loopback port)."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import threading
import urllib.parse

import sb
from sb import check, expect_cc_error, cc_data

V1 = "/api/v1/sms"
STATUS_HOOK = "/webhooks/twilio/sms-status"
INBOUND_HOOK = "/webhooks/twilio/sms"
MSG_FIELDS = {"id", "direction", "from_number", "to_number", "body", "status", "segments",
              "provider_sid", "error_code", "error_message", "user_id", "sent_at",
              "delivered_at", "read_at", "created_at", "updated_at"}
_rng = random.SystemRandom()


# -- the fake provider ----------------------------------------------------------------

class _Fake:
    """Twilio's Messages API as far as the sender uses it. A `To` in fail_once answers 500
    the first time; in reject, 400 with Twilio's error JSON."""

    def __init__(self, port):
        self.calls = []
        self.fail_once, self.reject, self.seen = set(), set(), set()
        self.lock = threading.Lock()
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                call = {"path": self.path, "form": form,
                        "auth": self.headers.get("Authorization", ""),
                        "type": self.headers.get("Content-Type", "")}
                to = form.get("To", "")
                with fake.lock:
                    fake.calls.append(call)
                    first = to not in fake.seen
                    fake.seen.add(to)
                if to in fake.reject:
                    status, body = 400, {"code": 21211, "message": "Invalid 'To' Phone Number"}
                elif to in fake.fail_once and first:
                    status, body = 500, {"message": "try later"}
                else:
                    status, body = 201, {"sid": "SM" + os.urandom(16).hex(), "status": "queued"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls_to(self, to):
        with self.lock:
            return [c for c in self.calls if c["form"].get("To") == to]


_fake = None


def _conf(ctx, key):
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == key:
                return v.strip()
    return None


def _provider(ctx):
    global _fake
    if _fake is None:
        base = urllib.parse.urlparse(_conf(ctx, "twilio_api_base") or "")
        check(base.hostname == "127.0.0.1" and base.port,
              "twilio_api_base must be a loopback URL for the tests: %r" % base.geturl())
        _fake = _Fake(base.port)
    return _fake


# -- helpers --------------------------------------------------------------------------

def _hex(n):
    return "".join(_rng.choice("0123456789abcdef") for _ in range(n))


def _number():
    return "+1555%08d" % _rng.randrange(10 ** 8)


def _sign(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _hook(ctx, line, path, params, signature=True):
    base = (_conf(ctx, "public_base_url") or "http://127.0.0.1:%d" % ctx.port).rstrip("/")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature:
        headers["X-Twilio-Signature"] = _sign(line.auth_token, base + path, params)
    return ctx.request("POST", path, raw=urllib.parse.urlencode(params), headers=headers)


class _Line:
    """A tenant with an SMS-enabled number and Twilio credentials."""

    def __init__(self, ctx):
        self.token, self.tenant_id = sb.tenant(ctx)
        self.number = _number()
        r = ctx.post("/api/dids", {"number": self.number, "sms_enabled": True},
                     token=self.token)
        check(r.status == 201 and r.json["did"]["sms_enabled"] is True, "create DID: %r" % r)
        self.account_sid = "AC" + _hex(32)
        self.auth_token = _hex(32)
        r = ctx.put("/api/integrations/twilio", {"account_sid": self.account_sid,
                                                 "auth_token": self.auth_token},
                    token=self.token)
        check(r.status == 200, "set Twilio credentials: %r" % r)

    def send(self, ctx, to, body="Hello", status=201, **extra):
        b = {"to": to, "body": body}
        b.update(extra)
        r = ctx.post(V1, b, token=self.token)
        return cc_data(r, status) if status < 300 else r


def _get(ctx, line, sms_id):
    return cc_data(ctx.get(V1 + "/" + sms_id, token=line.token))


def _wait_status(ctx, line, sms_id, want, timeout=10):
    last = {}

    def done():
        last["m"] = _get(ctx, line, sms_id)
        return last["m"]["status"] in want
    sb.wait(done, timeout, 0.1)
    check(last["m"]["status"] in want, "status %r, want %r" % (last["m"]["status"], want))
    return last["m"]


# -- tests ----------------------------------------------------------------------------

def test_sms_send_reaches_provider(ctx):
    fake = _provider(ctx)
    line = _Line(ctx)
    to = _number()
    m = line.send(ctx, to, "Hello there")
    check(set(m) == MSG_FIELDS, "fields: %r" % sorted(m))
    check(m["id"].startswith("sms_") and m["status"] == "queued" and m["direction"] == "outbound"
          and m["from_number"] == line.number and m["to_number"] == to and m["segments"] == 1,
          "queued message: %r" % m)
    sent = _wait_status(ctx, line, m["id"], ("sent",))
    calls = fake.calls_to(to)
    check(len(calls) == 1, "one provider call: %r" % calls)
    c = calls[0]
    check(c["path"] == "/2010-04-01/Accounts/%s/Messages.json" % line.account_sid,
          "path: %r" % c["path"])
    want_auth = "Basic " + base64.b64encode(
        ("%s:%s" % (line.account_sid, line.auth_token)).encode()).decode()
    check(c["auth"] == want_auth, "basic auth: %r" % c["auth"])
    check(c["type"].startswith("application/x-www-form-urlencoded"), "form: %r" % c["type"])
    f = c["form"]
    check(f.get("To") == to and f.get("From") == line.number and f.get("Body") == "Hello there"
          and f.get("StatusCallback", "").endswith(STATUS_HOOK), "form: %r" % f)
    check(sent["provider_sid"].startswith("SM") and sent["sent_at"], "sent: %r" % sent)
    # Twilio's status callback: delivered.
    r = _hook(ctx, line, STATUS_HOOK, {"MessageSid": sent["provider_sid"],
                                       "MessageStatus": "delivered", "To": to})
    check(r.status == 200 and b"<Response/>" in r.body, "status hook: %r" % r)
    d = _get(ctx, line, m["id"])
    check(d["status"] == "delivered" and d["delivered_at"], "delivered: %r" % d)
    # The live views heard each step (sms.status events in the tenant's feed).
    ev = sb.sql(ctx, "SELECT JSON_VALUE(payload, '$.status') FROM call_events WHERE tenant_id ="
                     " '%s' AND type = 'sms.status' AND JSON_VALUE(payload, '$.sms_id') = '%s'"
                     " ORDER BY id" % (line.tenant_id, m["id"])).split()
    check(ev == ["queued", "sent", "delivered"], "events: %r" % ev)
    # A late 'sent' does not undo it.
    r = _hook(ctx, line, STATUS_HOOK, {"MessageSid": sent["provider_sid"], "MessageStatus": "sent"})
    check(r.status == 200 and _get(ctx, line, m["id"])["status"] == "delivered", "kept: %r" % r)


def test_sms_retry_and_final_failure(ctx):
    fake = _provider(ctx)
    line = _Line(ctx)
    flaky, bad = _number(), _number()
    fake.fail_once.add(flaky)
    fake.reject.add(bad)
    m1 = line.send(ctx, flaky)
    m2 = line.send(ctx, bad)
    s1 = _wait_status(ctx, line, m1["id"], ("sent",))
    check(len(fake.calls_to(flaky)) == 2 and s1["error_code"] in ("", None),
          "retried once then sent: %r %r" % (fake.calls_to(flaky), s1))
    s2 = _wait_status(ctx, line, m2["id"], ("failed",))
    check(len(fake.calls_to(bad)) == 1, "a 4xx is not retried: %r" % fake.calls_to(bad))
    check(s2["error_code"] == "21211" and "Invalid" in s2["error_message"], "error: %r" % s2)
    rows = cc_data(ctx.get(V1 + "?status=failed", token=line.token))
    check([x["id"] for x in rows] == [m2["id"]], "status filter: %r" % rows)


def test_sms_without_twilio_fails(ctx):
    _provider(ctx)
    token, _ = sb.tenant(ctx)
    num = _number()
    r = ctx.post("/api/dids", {"number": num}, token=token)
    check(r.json["did"]["sms_enabled"] is False, "sms_enabled defaults to false: %r" % r)
    r = ctx.put("/api/dids/" + r.json["did"]["id"], {"sms_enabled": True}, token=token)
    check(r.status == 200 and r.json["did"]["sms_enabled"] is True, "sms_enabled: %r" % r)
    m = cc_data(ctx.post(V1, {"to": _number(), "body": "x"}, token=token), 201)
    sb.wait(lambda: cc_data(ctx.get(V1 + "/" + m["id"], token=token))["status"] == "failed",
            10, 0.1)
    got = cc_data(ctx.get(V1 + "/" + m["id"], token=token))
    check(got["status"] == "failed" and got["error_code"] == "not_configured", "%r" % got)


def test_sms_validation_and_roles(ctx):
    _provider(ctx)
    line = _Line(ctx)
    cases = [({"body": "x"}, "to"), ({"to": "nope", "body": "x"}, "to"),
             ({"to": _number()}, "body"), ({"to": _number(), "body": ""}, "body"),
             ({"to": _number(), "body": "x" * 1601}, "body"),
             ({"to": _number(), "body": "x", "from": _number()}, "from")]
    for body, field in cases:
        r = ctx.post(V1, body, token=line.token)
        expect_cc_error(r, 422)
        check(field in sb.fields(r) or field in json.dumps(r.json), "%r names %s: %r"
              % (body, field, r))
    # Segments: 161 GSM characters are 2; 71 UCS-2 are 2.
    check(line.send(ctx, _number(), "a" * 161)["segments"] == 2, "gsm segments")
    check(line.send(ctx, _number(), "\u00e7" * 71)["segments"] == 2, "ucs-2 segments")
    check(line.send(ctx, _number(), "x", **{"from": line.number})["from_number"] == line.number,
          "from given")
    expect_cc_error(ctx.post(V1, {"to": _number(), "body": "x"}), 401)
    expect_cc_error(ctx.get(V1), 401)
    agent = sb.user(ctx, line.token, "agent")
    m = cc_data(ctx.post(V1, {"to": _number(), "body": "from an agent"},
                         token=agent["token"]), 201)
    check(m["user_id"] == agent["user"]["id"], "sender recorded: %r" % m)
    # A tenant with no SMS-enabled number: 422 naming from.
    token, _ = sb.tenant(ctx)
    r = ctx.post(V1, {"to": _number(), "body": "x"}, token=token)
    expect_cc_error(r, 422)
    check("from" in sb.fields(r) or "from" in json.dumps(r.json), "names from: %r" % r)


def test_sms_inbound_stop_and_start(ctx):
    _provider(ctx)
    line = _Line(ctx)
    customer = _number()
    # Unsigned or wrongly signed: 403; a number not ours: 404.
    r = _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": customer, "Body": "hi",
                                        "MessageSid": "SM" + _hex(32)}, signature=False)
    check(r.status == 403, "unsigned: %r" % r)
    r = _hook(ctx, line, INBOUND_HOOK, {"To": _number(), "From": customer, "Body": "hi",
                                        "MessageSid": "SM" + _hex(32)})
    check(r.status == 404, "not our number: %r" % r)
    sid = "SM" + _hex(32)
    params = {"To": line.number, "From": customer, "Body": "Hi, is this the shop?",
              "MessageSid": sid}
    r = _hook(ctx, line, INBOUND_HOOK, params)
    check(r.status == 200 and r.body.strip().endswith(b"<Response/>")
          and "xml" in r.headers.get("content-type", ""), "inbound: %r" % r)
    r = _hook(ctx, line, INBOUND_HOOK, params)  # Twilio retrying: stored once
    check(r.status == 200, "repeat: %r" % r)
    rows = cc_data(ctx.get(V1 + "?direction=inbound", token=line.token))
    check(len(rows) == 1 and rows[0]["status"] == "received" and rows[0]["from_number"] == customer
          and rows[0]["provider_sid"] == sid, "stored once: %r" % rows)
    ev = sb.sql(ctx, "SELECT COUNT(*) FROM call_events WHERE tenant_id = '%s' AND type ="
                     " 'sms.received'" % line.tenant_id).strip()
    check(ev == "1", "one sms.received event: %r" % ev)
    # STOP (any case, trimmed): on the do-not-call list; a send is refused.
    r = _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": customer, "Body": "  stop ",
                                        "MessageSid": "SM" + _hex(32)})
    check(r.status == 200, "stop: %r" % r)
    dnc = sb.sql(ctx, "SELECT direction FROM blacklist WHERE tenant_id = '%s' AND number = '%s'"
                 % (line.tenant_id, customer)).split()
    check(dnc == ["outbound"], "on the list: %r" % dnc)
    r = line.send(ctx, customer, "buy now", status=409)
    expect_cc_error(r, 409)
    # START lifts it.
    r = _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": customer, "Body": "START",
                                        "MessageSid": "SM" + _hex(32)})
    check(r.status == 200, "start: %r" % r)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM blacklist WHERE tenant_id = '%s' AND number = '%s'"
                 % (line.tenant_id, customer)).strip() == "0", "lifted")
    line.send(ctx, customer, "welcome back")
    # A number blocked for inbound calls becomes both, and START keeps the inbound block.
    other = _number()
    sb.sql(ctx, "INSERT INTO blacklist (id, tenant_id, number, direction) VALUES"
                " ('dnc_%s', '%s', '%s', 'inbound')" % (_hex(12), line.tenant_id, other))
    _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": other, "Body": "UNSUBSCRIBE",
                                    "MessageSid": "SM" + _hex(32)})
    q = "SELECT direction FROM blacklist WHERE tenant_id = '%s' AND number = '%s'" % (
        line.tenant_id, other)
    check(sb.sql(ctx, q).split() == ["both"], "both")
    _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": other, "Body": "unstop",
                                    "MessageSid": "SM" + _hex(32)})
    check(sb.sql(ctx, q).split() == ["inbound"], "inbound kept")
    # 422 naming the parameter.
    r = _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": "x", "Body": "hi",
                                        "MessageSid": "SM" + _hex(32)})
    check(r.status == 422 and "From" in json.dumps(r.json), "bad From: %r" % r)


def test_sms_threads(ctx):
    _provider(ctx)
    line = _Line(ctx)
    a, b = _number(), _number()
    sb.sql(ctx, "INSERT INTO contacts (id, tenant_id, first_name, last_name, phone) VALUES"
                " ('con_%s', '%s', 'Ada', 'Lovelace', '%s')" % (_hex(12), line.tenant_id, a))
    _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": a, "Body": "first",
                                    "MessageSid": "SM" + _hex(32)})
    line.send(ctx, a, "reply one")
    line.send(ctx, b, "to b")
    sb.sql(ctx, "UPDATE sms_messages SET created_at = created_at - INTERVAL 1 HOUR"
                " WHERE tenant_id = '%s' AND to_number = '%s'" % (line.tenant_id, b))
    _hook(ctx, line, INBOUND_HOOK, {"To": line.number, "From": a, "Body": "last",
                                    "MessageSid": "SM" + _hex(32)})
    r = ctx.get(V1 + "/threads", token=line.token)
    threads = cc_data(r)
    check([t["number"] for t in threads] == [a, b], "threads latest first: %r" % threads)
    ta = threads[0]
    check(ta["message_count"] == 3 and ta["inbound_count"] == 2 and ta["unread_count"] == 2
          and ta["last_body"] == "last"
          and ta["last_direction"] == "inbound" and ta["contact_name"] == "Ada Lovelace",
          "thread a: %r" % ta)
    check(threads[1]["message_count"] == 1 and threads[1]["inbound_count"] == 0
          and threads[1]["contact_name"] == "", "thread b: %r" % threads[1])
    check(r.json["meta"]["total_count"] == 2, "meta: %r" % r.json["meta"])
    conv = cc_data(ctx.get(V1 + "/threads/" + urllib.parse.quote(a), token=line.token))
    check([m["body"] for m in conv] == ["last", "reply one", "first"], "conversation: %r"
          % [m["body"] for m in conv])
    expect_cc_error(ctx.get(V1 + "/threads/abc", token=line.token), 422)
    # Reading the conversation: its unread count drops to 0; the other tenant's is untouched.
    r = ctx.put(V1 + "/threads/%s/read" % urllib.parse.quote(a), token=line.token)
    check(cc_data(r) == {"number": a, "marked_read": 2}, "read: %r" % r)
    threads = cc_data(ctx.get(V1 + "/threads", token=line.token))
    check(threads[0]["unread_count"] == 0 and threads[0]["inbound_count"] == 2, "%r" % threads)
    conv = cc_data(ctx.get(V1 + "/threads/" + urllib.parse.quote(a), token=line.token))
    check(all(m["read_at"] for m in conv if m["direction"] == "inbound")
          and all(m["read_at"] is None for m in conv if m["direction"] == "outbound"),
          "read_at: %r" % conv)
    expect_cc_error(ctx.put(V1 + "/threads/abc/read", token=line.token), 422)
    expect_cc_error(ctx.put(V1 + "/threads/%s/read" % urllib.parse.quote(a)), 401)
    rows = cc_data(ctx.get(V1 + "?number=" + urllib.parse.quote(b), token=line.token))
    check(len(rows) == 1 and rows[0]["to_number"] == b, "number filter: %r" % rows)
    rows = cc_data(ctx.get(V1 + "?number=" + b, token=line.token))  # a raw '+' is a space
    check(len(rows) == 1 and rows[0]["to_number"] == b, "raw + in the filter: %r" % rows)
    r = ctx.get(V1 + "?number=abc", token=line.token)
    expect_cc_error(r, 422)
    check("number" in json.dumps(r.json), "names number: %r" % r)


def test_sms_tenant_isolation(ctx):
    _provider(ctx)
    one, two = _Line(ctx), _Line(ctx)
    m = one.send(ctx, _number())
    expect_cc_error(ctx.get(V1 + "/" + m["id"], token=two.token), 404)
    check(cc_data(ctx.get(V1, token=two.token)) == [], "other tenant's list is empty")
    check(cc_data(ctx.get(V1 + "/threads", token=two.token)) == [], "no threads")
    sent = _wait_status(ctx, one, m["id"], ("sent",))
    # A status callback signed with the other tenant's token is refused.
    base = (_conf(ctx, "public_base_url") or "").rstrip("/")
    params = {"MessageSid": sent["provider_sid"], "MessageStatus": "failed"}
    r = ctx.request("POST", STATUS_HOOK, raw=urllib.parse.urlencode(params),
                    headers={"Content-Type": "application/x-www-form-urlencoded",
                             "X-Twilio-Signature": _sign(two.auth_token, base + STATUS_HOOK,
                                                         params)})
    check(r.status == 403, "wrong tenant's signature: %r" % r)
    r = _hook(ctx, one, STATUS_HOOK, {"MessageSid": "SM" + _hex(32), "MessageStatus": "failed"})
    check(r.status == 404, "unknown sid: %r" % r)

"""The Twilio voice webhook of a number routed to an IVR flow: correctly signed requests
answered in TwiML (compared as parsed XML), the caller landing in the contact-center
queue, the gather callback, signatures refused, and a number not routed to a flow."""
import random
import urllib.parse
import xml.etree.ElementTree as ET

import ivr_fixtures as fx
import sb
from sb import check, expect_error

VOICE = "/webhooks/twilio/voice"
_rng = random.SystemRandom()


def _hex(n):
    return "".join(_rng.choice("0123456789abcdef") for _ in range(n))


def _tree(e):
    """An element as comparable data: (tag, attributes, text, children)."""
    return (e.tag, dict(e.attrib), (e.text or "").strip(), [_tree(c) for c in e])


def _twiml(r):
    check(r.status == 200, "expected 200, got %r" % r)
    check(r.headers.get("content-type", "").startswith("text/xml"), "not XML: %r" % r.headers)
    root = ET.fromstring(r.body)
    check(root.tag == "Response", "root: %r" % r)
    return _tree(root)


def _gather(session_id, prompts, num_digits="1", finish=None):
    a = {"input": "dtmf", "method": "POST", "actionOnEmptyResult": "true",
         "action": "%s/%s" % (VOICE, session_id), "timeout": "5", "numDigits": num_digits}
    if finish is not None:
        a["finishOnKey"] = finish
    return ("Gather", a, "", [("Say", attrs, text, []) for attrs, text in prompts])


class _Line:
    """A tenant with Twilio credentials, a queue, an active flow, a number routed to it."""

    def __init__(self, ctx):
        self.token, self.tenant_id = sb.tenant(ctx)
        self.auth_token = _hex(32)
        r = ctx.put("/api/integrations/twilio", {"account_sid": "AC" + _hex(32),
                                                 "auth_token": self.auth_token},
                    token=self.token)
        check(r.status == 200, "twilio credentials: %r" % r)
        self.queue = fx.queue(ctx, self.token)
        self.flow = fx.flow(ctx, self.token, fx.graph(self.queue["id"]))
        self.number = "+1555%08d" % _rng.randrange(10 ** 8)
        r = ctx.post("/api/dids", {"number": self.number}, token=self.token)
        check(r.status == 201, "did: %r" % r)
        self.did = r.json["did"]
        r = ctx.put("/api/dids/%s/routing" % self.did["id"],
                    {"route_type": "ivr", "route_target": self.flow["id"]}, token=self.token)
        check(r.status == 200, "routing: %r" % r)

    def call(self, ctx, sid=None, caller="+15559876543", path=VOICE, signed=True, **extra):
        params = {"CallSid": sid or "CA" + _hex(32), "From": caller, "To": self.number,
                  "CallStatus": "ringing", "Direction": "inbound"}
        params.update(extra)
        return params["CallSid"], _post(ctx, self.auth_token, path, params, signed)


def _post(ctx, auth_token, path, params, signed=True):
    """A Twilio form to path: signed, signed with a wrong token ("wrong"), or unsigned."""
    if signed is False:
        return ctx.request("POST", path, raw=urllib.parse.urlencode(params),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    return sb.twilio_post(ctx, ("x" if signed == "wrong" else "") + auth_token, path, params)


def _session_of(ctx, sid):
    return sb.sql(ctx, "SELECT id FROM ivr_sessions WHERE call_sid = '%s'" % sid).strip()


def test_ivr_voice_call_into_queue(ctx):
    line = _Line(ctx)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    check(session.startswith("ivs_"), "session of the call: %r" % session)
    want = ("Response", {}, "", [_gather(session, [
        ({"language": "en-US"}, "Welcome & hello <caller>"), ({}, "Press 1 for sales")])])
    got = _twiml(r)
    check(got == want, "TwiML:\n%r\n%r" % (got, want))
    check(b"Welcome &amp; hello &lt;caller&gt;" in r.body, "escaped: %r" % r.body)
    # the call is recorded, the session runs on the flow's active version
    call_id = sb.sql(ctx, "SELECT id FROM calls WHERE call_sid = '%s'" % sid).strip()
    check(call_id.startswith("call_"), "call row: %r" % call_id)
    row = sb.sql(ctx, "SELECT channel, version, status FROM ivr_sessions WHERE id = '%s'"
                 % session).split()
    check(row == ["twilio", "1", "active"], "session row: %r" % row)
    # Twilio retrying the webhook gets the same prompt again, no second session
    _, again = line.call(ctx, sid=sid)
    check(_twiml(again) == ("Response", {}, "", [_gather(session, [({}, "Press 1 for sales")])]),
          "retry: %r" % again)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM ivr_sessions WHERE call_id = '%s'" % call_id).strip()
          == "1", "one session")
    # the caller presses 1: <Enqueue> and a place in the queue
    params = {"CallSid": sid, "From": "+15559876543", "To": line.number, "Digits": "1"}
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session), params)
    check(_twiml(r) == ("Response", {}, "", [("Enqueue", {}, line.queue["id"], [])]),
          "enqueue: %r" % r)
    q = sb.sql(ctx, "SELECT queue_id, caller_number, did_id FROM queue_calls WHERE call_id = '%s'"
               % call_id).split()
    check(q == [line.queue["id"], "+15559876543", line.did["id"]], "queue_calls: %r" % q)
    # the same session through the API: routed, its steps recorded
    s = ctx.get("/api/ivr/sessions/" + session, token=line.token).json["data"]
    check(s["status"] == "routed" and [x["result"] for x in s["steps"]] ==
          ["played", "played", "input", "routed"], "session: %r" % s)
    # a late callback of an ended session hangs up
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session), params)
    check(_twiml(r) == ("Response", {}, "", [("Hangup", {}, "", [])]), "ended: %r" % r)


def test_ivr_voice_gather_branches(ctx):
    line = _Line(ctx)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    path = "%s/%s" % (VOICE, session)
    base = {"CallSid": sid, "From": "+15559876543", "To": line.number}
    # 2: the account gather (6 digits, #)
    r = _post(ctx, line.auth_token, path, dict(base, Digits="2"))
    check(_twiml(r) == ("Response", {}, "", [_gather(session, [({}, "Your account")], "6", "#")]),
          "gather: %r" % r)
    # an account not starting 99: goodbye and hang up
    r = _post(ctx, line.auth_token, path, dict(base, Digits="123456"))
    check(_twiml(r) == ("Response", {}, "", [("Say", {}, "Goodbye", []), ("Hangup", {}, "", [])]),
          "hangup: %r" % r)
    # 0: the operator, an external number
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session),
                       dict(base, CallSid=sid, Digits="0"))
    check(_twiml(r) == ("Response", {}, "", [("Dial", {}, "+15550001111", [])]), "dial: %r" % r)
    # no digits before the timeout re-prompts (retries 1)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session), dict(base, CallSid=sid))
    check(_twiml(r) == ("Response", {}, "", [_gather(session, [({}, "Press 1 for sales")])]),
          "re-prompt: %r" % r)


def test_ivr_voice_signatures_and_routes(ctx):
    line = _Line(ctx)
    _, r = line.call(ctx, signed=False)
    expect_error(r, 403, "invalid_signature")
    _, r = line.call(ctx, signed="wrong")
    expect_error(r, 403, "invalid_signature")
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    params = {"CallSid": sid, "From": "+15559876543", "To": line.number, "Digits": "1"}
    expect_error(_post(ctx, line.auth_token, "%s/%s" % (VOICE, session), params,
                                signed="wrong"), 403)
    expect_error(_post(ctx, line.auth_token, "%s/%s" % (VOICE, session), params,
                                signed=False), 403)
    expect_error(_post(ctx, line.auth_token, VOICE + "/ivs_nope", params), 404)
    # another tenant's token cannot drive this tenant's session
    other = _Line(ctx)
    expect_error(_post(ctx, other.auth_token, "%s/%s" % (VOICE, session), params), 403)
    # a number not routed yet: a short message and a hang-up, no session
    number = "+1555%08d" % _rng.randrange(10 ** 8)
    check(ctx.post("/api/dids", {"number": number}, token=line.token).status == 201, "did")
    params = {"CallSid": "CA" + _hex(32), "From": "+15559876543", "To": number}
    got = _twiml(_post(ctx, line.auth_token, VOICE, params))
    check([c[0] for c in got[3]] == ["Say", "Hangup"], "not routed: %r" % (got,))
    check(_session_of(ctx, params["CallSid"]) == "", "no session")
    # a number that is not ours
    params = {"CallSid": "CA" + _hex(32), "From": "+15559876543", "To": "+15550000001"}
    expect_error(_post(ctx, line.auth_token, VOICE, params), 404)


def test_ivr_voice_hangup_abandons_the_session(ctx):
    """The call-status webhook's end of the call ends its IVR session abandoned, the drop
    counted at the node where the caller was."""
    line = _Line(ctx)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    params = {"CallSid": sid, "From": "+15559876543", "To": line.number,
              "CallStatus": "completed", "Direction": "inbound", "CallDuration": "7"}
    r = _post(ctx, line.auth_token, "/webhooks/twilio/call-status", params)
    check(r.status == 200, "status webhook: %r" % r)
    s = ctx.get("/api/ivr/sessions/" + session, token=line.token).json["data"]
    check(s["status"] == "abandoned" and s["steps"][-1]["result"] == "ended" and
          s["steps"][-1]["node_id"] == "main", "abandoned: %r" % s)
    a = ctx.get("/api/ivr/analytics", token=line.token).json["data"]
    main = [n for n in a["nodes"] if n["node_id"] == "main"][0]
    check(a["abandoned"] == 1 and main["drops"] == 1, "analytics: %r" % a)


def test_ivr_voice_runs_a_callcenter_menu(ctx):
    """A number routed to a callcenter IVR menu (ivr_menus/ivr_options) runs it through the
    same engine: its greeting in a Gather, its keys, `repeat`, its queue."""
    line = _Line(ctx)
    menu = "ivm_" + _hex(12)
    sb.sql(ctx, "INSERT INTO ivr_menus (id, tenant_id, name, greeting_text, timeout,"
                " max_retries) VALUES ('%s', '%s', 'Menu %s', 'Hello menu', 7, 1)"
                % (menu, line.tenant_id, menu))
    for digit, rtype, target in (("1", "queue", line.queue["id"]), ("9", "repeat", None),
                                 ("t", "hangup", None)):
        sb.sql(ctx, "INSERT INTO ivr_options (id, tenant_id, menu_id, digit, route_type,"
                    " route_target) VALUES ('ivo_%s', '%s', '%s', '%s', '%s', %s)"
                    % (_hex(12), line.tenant_id, menu, digit, rtype,
                       "'%s'" % target if target else "NULL"))
    r = ctx.put("/api/dids/%s/routing" % line.did["id"],
                {"route_type": "ivr", "route_target": menu}, token=line.token)
    check(r.status == 200, "route to the menu: %r" % r)
    rules = ctx.get("/api/ivr/routing-rules", token=line.token).json["data"]
    check([(x["number"], x["menu_name"], x["flow_name"]) for x in rules] ==
          [(line.number, "Menu " + menu, None)], "rules: %r" % rules)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    gather = _gather(session, [({"language": "en-US"}, "Hello menu")])
    gather[1]["timeout"] = "7"
    check(_twiml(r) == ("Response", {}, "", [gather]), "menu TwiML: %r" % r)
    row = sb.sql(ctx, "SELECT menu_id, flow_id FROM ivr_sessions WHERE id = '%s'"
                 % session).split()
    check(row == [menu, "NULL"], "menu session: %r" % row)
    base = {"CallSid": sid, "From": "+15559876543", "To": line.number}
    path = "%s/%s" % (VOICE, session)
    r = _post(ctx, line.auth_token, path, dict(base, Digits="9"))
    check(_twiml(r) == ("Response", {}, "", [gather]), "repeat: %r" % r)
    r = _post(ctx, line.auth_token, path, dict(base, Digits="1"))
    check(_twiml(r) == ("Response", {}, "", [("Enqueue", {}, line.queue["id"], [])]),
          "menu enqueue: %r" % r)


def test_ivr_voice_redirect_into_another_flow(ctx):
    """A route to another flow is a <Redirect> to the webhook with ?flow=; that flow's
    session belongs to the same call."""
    line = _Line(ctx)
    second = fx.flow(ctx, line.token, fx.graph(line.queue["id"], welcome="Second flow"))
    g = fx.graph(line.queue["id"])
    for n in g["nodes"]:
        if n["id"] == "op":
            n.update(target_type="flow", target=second["id"])
    r = ctx.put("/api/ivr/flows/" + line.flow["id"], {"graph": g}, token=line.token)
    check(r.status == 200, "v2: %r" % r)
    ctx.post("/api/ivr/flows/%s/activate" % line.flow["id"], {}, token=line.token)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    base = {"CallSid": sid, "From": "+15559876543", "To": line.number}
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session), dict(base, Digits="0"))
    target = "%s?flow=%s" % (VOICE, second["id"])
    check(_twiml(r) == ("Response", {}, "", [("Redirect", {"method": "POST"}, target, [])]),
          "redirect: %r" % r)
    r = line.call(ctx, sid=sid, path=target)[1]
    got = _twiml(r)
    check(got[3][0][0] == "Gather" and got[3][0][3][0][2] == "Second flow", "second: %r" % r)
    rows = sb.sql(ctx, "SELECT flow_id, IFNULL(call_sid, '-') FROM ivr_sessions WHERE call_id ="
                       " (SELECT id FROM calls WHERE call_sid = '%s') ORDER BY started_at, id"
                  % sid).split("\n")
    check(sorted(x.split("\t")[0] for x in rows if x) == sorted([line.flow["id"], second["id"]]),
          "two sessions of the call: %r" % rows)


def test_ivr_voice_voicemail_records_into_the_box(ctx):
    """A route to a voicemail box (of the tenant: checked on save) is a <Record> whose
    action is the voicemail webhook of that box."""
    line = _Line(ctx)
    r = ctx.post("/api/v1/voicemail/boxes", {"name": "Box " + sb.uid(), "owner_type": "queue",
                                             "owner_id": line.queue["id"]}, token=line.token)
    check(r.status == 201, "box: %r" % r)
    box = r.json["data"]["id"]
    g = fx.graph(line.queue["id"])
    for n in g["nodes"]:
        if n["id"] == "op":
            n.update(target_type="voicemail", target=box)
    check(ctx.put("/api/ivr/flows/" + line.flow["id"], {"graph": g}, token=line.token).status
          == 200, "v2")
    ctx.post("/api/ivr/flows/%s/activate" % line.flow["id"], {}, token=line.token)
    sid, r = line.call(ctx)
    session = _session_of(ctx, sid)
    r = _post(ctx, line.auth_token, "%s/%s" % (VOICE, session),
              {"CallSid": sid, "From": "+15559876543", "To": line.number, "Digits": "0"})
    got = _twiml(r)
    check(len(got[3]) == 1 and got[3][0][0] == "Record" and
          got[3][0][1]["action"] == "/webhooks/twilio/voicemail?box=" + box, "record: %r" % r)


def test_ivr_voice_number_routed_without_ivr(ctx):
    """A number routed straight to a queue or a number answers that route's TwiML; the
    queue's caller is in queue_calls once, also when Twilio retries the webhook."""
    line = _Line(ctx)
    r = ctx.put("/api/dids/%s/routing" % line.did["id"],
                {"route_type": "queue", "route_target": line.queue["id"]}, token=line.token)
    check(r.status == 200, "routing: %r" % r)
    sid, r = line.call(ctx)
    check(_twiml(r) == ("Response", {}, "", [("Enqueue", {}, line.queue["id"], [])]),
          "enqueue: %r" % r)
    _, r = line.call(ctx, sid=sid)
    check(_twiml(r) == ("Response", {}, "", [("Enqueue", {}, line.queue["id"], [])]), "retry")
    n = sb.sql(ctx, "SELECT COUNT(*) FROM queue_calls WHERE call_id ="
                    " (SELECT id FROM calls WHERE call_sid = '%s')" % sid).strip()
    check(n == "1" and _session_of(ctx, sid) == "", "one queued call, no session: %r" % n)
    ctx.put("/api/dids/%s/routing" % line.did["id"],
            {"route_type": "external", "route_target": "+15550002222"}, token=line.token)
    _, r = line.call(ctx)
    check(_twiml(r) == ("Response", {}, "", [("Dial", {}, "+15550002222", [])]), "dial: %r" % r)


def test_ivr_voice_blacklisted_caller_is_rejected(ctx):
    """A caller blocked for inbound calls never reaches the IVR (nor the queue)."""
    line = _Line(ctx)
    caller = "+1444%07d" % _rng.randrange(10 ** 7)
    r = ctx.post("/api/v1/blacklist", {"number": caller, "direction": "inbound"},
                 token=line.token)
    check(r.status == 201, "blacklist: %r" % r)
    sid, r = line.call(ctx, caller=caller)
    check(_twiml(r) == ("Response", {}, "", [("Reject", {"reason": "rejected"}, "", [])]),
          "rejected: %r" % r)
    check(_session_of(ctx, sid) == "", "no session")


def test_ivr_voice_concurrent_new_calls_and_retries(ctx):
    """Many new calls at once, each webhook sent twice at the same moment (Twilio's retry
    racing the first): every request answered with TwiML, never a 503 of calls deadlocking
    on their inserts; each CallSid one call and one session."""
    import concurrent.futures
    line = _Line(ctx)
    # One prefix: the new CallSids share a gap of the unique key, as a fresh table's do.
    prefix = "CA" + _hex(28)
    sids = [prefix + "%04x" % i for i in range(40)]
    before = sb.innodb_deadlocks(ctx)
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
        answers = list(ex.map(lambda sid: line.call(ctx, sid=sid)[1], sids + sids))
    # A retried deadlock still answers: the server's count is what shows the gap locks gone.
    after = sb.innodb_deadlocks(ctx)
    check(after == before, "InnoDB deadlocks: %d" % (after - before))
    bad = [r for r in answers if r.status != 200]
    check(not bad, "%d of %d not answered: %r" % (len(bad), len(answers), bad[:3]))
    for r in answers:
        _twiml(r)
    counts = sb.sql(ctx, "SELECT COUNT(DISTINCT c.id), COUNT(DISTINCT s.id) FROM calls c"
                         " JOIN ivr_sessions s ON s.call_sid = c.call_sid"
                         " WHERE c.tenant_id = '%s'" % line.tenant_id).split()
    check(counts == ["40", "40"], "calls and sessions per CallSid: %r" % counts)

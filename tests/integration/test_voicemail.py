"""Voicemail (callcenter family): boxes CRUD (owner of the tenant, 422 naming the field,
409 while a box has messages), messages arriving by Twilio's signed recording callback
(caller, duration, the owners notified: a user, a queue's members), the list by box and
status, what an agent sees, status (listened_at), forward (a copy in another box, the same
file), delete (the file goes with the last row naming it), the audio served by nginx with
Range; roles and cross-tenant 404s."""
import io
import os
import uuid
import wave

import sb
from sb import cc_data, check, expect_cc_error, expect_error

BOXES = "/api/v1/voicemail/boxes"
MSGS = "/api/v1/voicemail/messages"
HOOK = "/webhooks/twilio/voicemail"
BOX_FIELDS = {"id", "name", "owner_type", "owner_id", "greeting", "email_notify",
              "max_message_seconds", "new_count", "created_at", "updated_at"}
MSG_FIELDS = {"id", "box_id", "box_name", "call_sid", "recording_sid", "caller_number",
              "caller_name", "called_number", "format", "duration", "size_bytes",
              "transcription", "status", "listened_at", "remote_url", "forwarded_from_id",
              "created_at", "updated_at", "audio_url"}


def _box(ctx, token, owner_type, owner_id, **kw):
    body = {"name": "Box " + sb.uid(), "owner_type": owner_type, "owner_id": owner_id}
    body.update(kw)
    return cc_data(ctx.post(BOXES, body, token=token), 201)


def _voicemail(ctx, line, box_id, caller="+14445550101", duration="17", status="completed",
               rec_sid=None):
    p = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": line["account_sid"],
         "From": caller, "To": line["number"], "RecordingSid": rec_sid or "RE" + uuid.uuid4().hex,
         "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/%s/Recordings/x"
                         % line["account_sid"],
         "RecordingStatus": status, "RecordingDuration": duration}
    return sb.twilio_post(ctx, line["auth_token"], "%s?box=%s" % (HOOK, box_id), p), p


def _notified(ctx, user_id, message_id):
    return int(sb.sql(ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = '%s' AND"
                           " type = 'voicemail.new' AND JSON_VALUE(data, '$.message_id') = '%s'"
                           % (user_id, message_id)).strip())


def _mailed(ctx, tenant, email):
    return int(sb.sql(ctx, "SELECT COUNT(*) FROM outbox WHERE tenant_id = '%s' AND"
                           " kind = 'voicemail' AND recipient = '%s'" % (tenant, email)).strip())


def _wav(n=4000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(range(256)) * (n // 128))
    return buf.getvalue()


def _setup(ctx):
    admin, tenant = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    line = sb.twilio_line(ctx, admin)
    return admin, tenant, agent, line


def test_voicemail_box_crud(ctx):
    admin, _, agent, _ = _setup(ctx)
    other, _ = sb.tenant(ctx)
    b = _box(ctx, admin, "user", agent["user"]["id"], greeting="Leave a message",
             email_notify=True, max_message_seconds=90)
    check(set(b) == BOX_FIELDS, "box fields: %r" % sorted(b))
    check(b["id"].startswith("vmb_") and b["new_count"] == 0 and b["max_message_seconds"] == 90,
          "box: %r" % b)
    q = cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=admin), 201)
    qb = _box(ctx, admin, "queue", q["id"])
    check(qb["max_message_seconds"] == 120 and qb["greeting"] == "", "defaults: %r" % qb)
    upd = cc_data(ctx.put("%s/%s" % (BOXES, b["id"]), {"greeting": None}, token=admin))
    check(upd["greeting"] == "", "put: %r" % upd)
    listed = cc_data(ctx.get(BOXES + "?owner_type=queue", token=agent["token"]))
    check([x["id"] for x in listed] == [qb["id"]], "filter: %r" % listed)
    for body, field in (({"owner_type": "user", "owner_id": q["id"]}, "owner_id"),
                        ({"owner_type": "room", "owner_id": q["id"]}, "owner_type"),
                        ({"owner_type": "queue"}, "owner_id"),
                        ({"owner_type": "queue", "owner_id": q["id"],
                          "max_message_seconds": 0}, "max_message_seconds")):
        body["name"] = "B " + sb.uid()
        r = ctx.post(BOXES, body, token=admin)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "%s not named: %r" % (field, r))
    # Another tenant's queue is no owner here.
    oq = cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=other), 201)
    expect_cc_error(ctx.post(BOXES, {"name": "x", "owner_type": "queue", "owner_id": oq["id"]},
                             token=admin), 422)
    expect_cc_error(ctx.post(BOXES, {"name": "x", "owner_type": "queue", "owner_id": q["id"]},
                             token=agent["token"]), 403)
    expect_cc_error(ctx.get(BOXES), 401)
    expect_cc_error(ctx.post(BOXES, {"name": b["name"], "owner_type": "queue",
                                     "owner_id": q["id"]}, token=admin), 409)
    for r in (ctx.get("%s/%s" % (BOXES, b["id"]), token=other),
              ctx.put("%s/%s" % (BOXES, b["id"]), {"name": "y"}, token=other),
              ctx.delete("%s/%s" % (BOXES, b["id"]), token=other)):
        expect_cc_error(r, 404)
    cc_data(ctx.delete("%s/%s" % (BOXES, qb["id"]), token=admin))
    expect_cc_error(ctx.get("%s/%s" % (BOXES, qb["id"]), token=admin), 404)


def test_voicemail_arrives_by_twilio_and_notifies(ctx):
    admin, tenant, agent, line = _setup(ctx)
    b = _box(ctx, admin, "user", agent["user"]["id"], email_notify=True)
    r, p = _voicemail(ctx, line, b["id"], caller="+14445550199", duration="23")
    check(r.status == 201 and r.json["voicemail"]["created"] is True, "hook: %r" % r)
    mid = r.json["voicemail"]["message_id"]
    # Twilio retries the same RecordingSid: still one message.
    again = sb.twilio_post(ctx, line["auth_token"], "%s?box=%s" % (HOOK, b["id"]), p)
    check(again.status == 200 and again.json["voicemail"]["message_id"] == mid, "%r" % again)
    m = cc_data(ctx.get("%s/%s" % (MSGS, mid), token=agent["token"]))
    check(set(m) == MSG_FIELDS, "message fields: %r" % sorted(m))
    check(m["caller_number"] == "+14445550199" and m["duration"] == 23 and
          m["status"] == "new" and m["box_id"] == b["id"] and
          m["called_number"] == line["number"] and m["recording_sid"] == p["RecordingSid"] and
          m["remote_url"] == p["RecordingUrl"] and m["audio_url"] == "", "message: %r" % m)
    check(_notified(ctx, agent["user"]["id"], mid) == 1, "the owner is notified")
    check(_mailed(ctx, tenant, agent["user"]["email"]) == 1, "and e-mailed (email_notify)")
    n = cc_data(ctx.get("/api/v1/notifications", token=agent["token"]))
    check(any(x["type"] == "voicemail.new" for x in n), "in the owner's list: %r" % n)
    check(cc_data(ctx.get("%s/%s" % (BOXES, b["id"]), token=admin))["new_count"] == 1, "count")
    # A queue's box tells every member.
    q = cc_data(ctx.post("/api/v1/queues", {"name": "Q " + sb.uid()}, token=admin), 201)
    members = [sb.user(ctx, admin, "agent") for _ in range(2)]
    for s in members:
        check(ctx.post("/api/v1/queues/%s/members" % q["id"], {"user_id": s["user"]["id"]},
                       token=admin).status == 201, "member")
    qb = _box(ctx, admin, "queue", q["id"])
    r, _ = _voicemail(ctx, line, qb["id"])
    qmid = r.json["voicemail"]["message_id"]
    for s in members:
        check(_notified(ctx, s["user"]["id"], qmid) == 1, "member notified")
    check(_notified(ctx, agent["user"]["id"], qmid) == 0, "not a member: not notified")
    for s in members:
        check(_mailed(ctx, tenant, s["user"]["email"]) == 0, "no email_notify: no e-mail")
    # ?box= is ?box_id=.
    listed = cc_data(ctx.get(MSGS + "?box=" + qb["id"], token=admin))
    check([x["id"] for x in listed] == [qmid], "by box: %r" % listed)


def test_voicemail_webhook_refusals(ctx):
    admin, _, agent, line = _setup(ctx)
    b = _box(ctx, admin, "user", agent["user"]["id"])
    r, p = _voicemail(ctx, line, b["id"], status="in-progress")
    check(r.status == 200, "in progress acknowledged: %r" % r)
    check(cc_data(ctx.get(MSGS + "?box_id=" + b["id"], token=admin)) == [], "no message")
    # A bad signature, an unknown box, a missing caller.
    bad = ctx.request("POST", "%s?box=%s" % (HOOK, b["id"]), raw="From=%2B1",
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "X-Twilio-Signature": "AAAA"})
    expect_error(bad, 403, "invalid_signature")
    r, _ = _voicemail(ctx, line, "vmb_nope")
    expect_error(r, 404)
    r, _ = _voicemail(ctx, line, b["id"], caller="")
    expect_error(r, 422)
    # Signed for one box, posted to another: the query is signed too.
    b2 = _box(ctx, admin, "user", agent["user"]["id"])
    _, p = _voicemail(ctx, line, b["id"])
    p["RecordingSid"] = "RE" + uuid.uuid4().hex
    r = sb.twilio_post(ctx, line["auth_token"], "%s?box=%s" % (HOOK, b2["id"]), p,
                       sign_path="%s?box=%s" % (HOOK, b["id"]))
    expect_error(r, 403, "invalid_signature")
    check(cc_data(ctx.get(MSGS + "?box_id=" + b2["id"], token=admin)) == [], "nothing in b2")


def test_voicemail_messages_flow(ctx):
    admin, tenant, agent, line = _setup(ctx)
    other, _ = sb.tenant(ctx)
    stranger = sb.user(ctx, admin, "agent")
    mine = _box(ctx, admin, "user", agent["user"]["id"])
    theirs = _box(ctx, admin, "user", stranger["user"]["id"])
    ids = [_voicemail(ctx, line, mine["id"])[0].json["voicemail"]["message_id"] for _ in range(2)]
    other_id = _voicemail(ctx, line, theirs["id"])[0].json["voicemail"]["message_id"]
    # Staff see all; an agent their own boxes'.
    check(len(cc_data(ctx.get(MSGS, token=admin))) == 3, "staff see all")
    seen = [m["id"] for m in cc_data(ctx.get(MSGS, token=agent["token"]))]
    check(sorted(seen) == sorted(ids), "agent sees own: %r" % seen)
    expect_cc_error(ctx.get("%s/%s" % (MSGS, other_id), token=agent["token"]), 404)
    expect_cc_error(ctx.delete("%s/%s" % (MSGS, other_id), token=agent["token"]), 404)
    expect_cc_error(ctx.get("%s/%s" % (MSGS, ids[0]), token=other), 404)
    expect_cc_error(ctx.get(MSGS), 401)
    # Status: read sets listened_at once; back to new keeps it.
    m = cc_data(ctx.put("%s/%s" % (MSGS, ids[0]), {"status": "read"}, token=agent["token"]))
    check(m["status"] == "read" and m["listened_at"], "read: %r" % m)
    r = ctx.put("%s/%s" % (MSGS, ids[0]), {"status": "gone"}, token=agent["token"])
    expect_cc_error(r, 422)
    check("status" in r.json["error"]["details"], "names status: %r" % r)
    news = cc_data(ctx.get(MSGS + "?status=new", token=agent["token"]))
    check([x["id"] for x in news] == [ids[1]], "status filter: %r" % news)
    # Forward into the stranger's box: a copy, the same file, its owner told.
    f = cc_data(ctx.post("%s/%s/forward" % (MSGS, ids[0]), {"box_id": theirs["id"]},
                         token=agent["token"]), 201)
    check(f["id"] != ids[0] and f["box_id"] == theirs["id"] and f["status"] == "new" and
          f["forwarded_from_id"] == ids[0], "copy: %r" % f)
    check(_notified(ctx, stranger["user"]["id"], f["id"]) == 1, "forward notifies")
    r = ctx.post("%s/%s/forward" % (MSGS, ids[0]), {"box_id": mine["id"]}, token=agent["token"])
    expect_cc_error(r, 422)
    r = ctx.post("%s/%s/forward" % (MSGS, ids[0]), {"box_id": "vmb_nope"}, token=admin)
    expect_cc_error(r, 422)
    check("box_id" in r.json["error"]["details"], "names box_id: %r" % r)
    # A box with messages stays.
    expect_cc_error(ctx.delete("%s/%s" % (BOXES, mine["id"]), token=admin), 409)
    cc_data(ctx.delete("%s/%s" % (MSGS, ids[1]), token=agent["token"]))
    expect_cc_error(ctx.get("%s/%s" % (MSGS, ids[1]), token=agent["token"]), 404)


def test_voicemail_audio_range_and_shared_file(ctx):
    admin, tenant, agent, line = _setup(ctx)
    mine = _box(ctx, admin, "user", agent["user"]["id"])
    other_box = _box(ctx, admin, "user", sb.user(ctx, admin, "manager")["user"]["id"])
    mid = _voicemail(ctx, line, mine["id"])[0].json["voicemail"]["message_id"]
    expect_cc_error(ctx.get("%s/%s/audio" % (MSGS, mid), token=agent["token"]), 404)
    # The audio stored by the telephony side: nginx writes the body to a file, the pool
    # checks it with libsndfile and links it under the recordings directory.
    data = _wav()
    put = lambda body, token, ctype="audio/wav": ctx.request(
        "PUT", "%s/%s/audio" % (MSGS, mid), raw=body, token=token,
        headers={"Content-Type": ctype})
    expect_cc_error(put(data, agent["token"]), 403)
    expect_cc_error(put(b"not audio at all" * 10, admin, "application/octet-stream"), 415,
                    "unsupported_media_type")
    stored = cc_data(put(data, admin))
    check(stored["size_bytes"] == len(data) and stored["format"] == "wav", "%r" % stored)
    expect_cc_error(put(data, admin), 409)
    rel = sb.sql(ctx, "SELECT file_path FROM voicemail_messages WHERE id = '%s'" % mid).strip()
    check(rel.startswith(tenant + "/") and rel.endswith("/%s.wav" % mid), "stored at %r" % rel)
    path = os.path.join(ctx.var, "recordings", rel)
    check(open(path, "rb").read() == data, "the file is the body")
    m = cc_data(ctx.get("%s/%s" % (MSGS, mid), token=agent["token"]))
    check(m["audio_url"] == "/api/v1/voicemail/messages/%s/audio" % mid, "url: %r" % m)
    r = ctx.get(m["audio_url"], token=agent["token"])
    check(r.status == 200 and r.body == data, "whole: %r" % r.status)
    check(r.headers.get("content-type") == "audio/wav", "type: %r" % r.headers)
    r1 = ctx.get(m["audio_url"], token=agent["token"], headers={"Range": "bytes=0-99"})
    check(r1.status == 206 and r1.body == data[:100], "range: %r" % r1.status)
    check(r1.headers.get("content-range") == "bytes 0-99/%d" % len(data), "%r" % r1.headers)
    r2 = ctx.get(m["audio_url"], token=agent["token"], headers={"Range": "bytes=100-"})
    check(r2.status == 206 and r1.body + r2.body == data, "rest: %r" % r2.status)
    other, _ = sb.tenant(ctx)
    expect_cc_error(ctx.get(m["audio_url"], token=other), 404)
    expect_cc_error(ctx.get(m["audio_url"]), 401)
    check(ctx.get("/_recordings/" + rel).status == 404, "internal location not public")
    # The copy shares the file; it goes with the last row that names it.
    f = cc_data(ctx.post("%s/%s/forward" % (MSGS, mid), {"box_id": other_box["id"]},
                         token=admin), 201)
    cc_data(ctx.delete("%s/%s" % (MSGS, mid), token=admin))
    check(os.path.exists(path), "the copy still names the file")
    r = ctx.get("%s/%s/audio" % (MSGS, f["id"]), token=admin, headers={"Range": "bytes=0-9"})
    check(r.status == 206 and r.body == data[:10], "copy's audio: %r" % r.status)
    cc_data(ctx.delete("%s/%s" % (MSGS, f["id"]), token=admin))
    check(sb.wait(lambda: not os.path.exists(path), 5), "the file is gone with the last row")

"""Call recordings (coldcaller): start/stop and their events, the audio's upload (a temp
file of nginx's, checked by libsndfile), the download through nginx (X-Accel-Redirect:
Range, If-Range, 206), the list and its filters, delete, retention by the clock; roles and
tenant isolation, the internal location unreachable from outside."""
import base64
import ctypes
import ctypes.util
import glob
import hashlib
import hmac
import http.client
import io
import math
import os
import struct
import urllib.parse
import uuid
import wave

import sb
from sb import check, expect_cold_error


# -- audio fixtures -----------------------------------------------------------------------

def _wav(seconds=1.0, rate=8000):
    """A real mono 16-bit WAV: a 440 Hz tone."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(n))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


class _SfInfo(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int),
                ("channels", ctypes.c_int), ("format", ctypes.c_int),
                ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def _ogg(path, seconds=2, rate=8000):
    """An OGG Vorbis file written by libsndfile itself (through ctypes); None without it."""
    name = ctypes.util.find_library("sndfile")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_SfInfo)]
    lib.sf_writef_short.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short),
                                    ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    info = _SfInfo(0, rate, 1, 0x200000 | 0x0060, 0, 0)  # SF_FORMAT_OGG | SF_FORMAT_VORBIS
    f = lib.sf_open(path.encode(), 0x20, ctypes.byref(info))  # SFM_WRITE
    if not f:
        return None
    n = seconds * rate
    samples = (ctypes.c_short * n)(*[int(8000 * math.sin(2 * math.pi * 330 * i / rate))
                                     for i in range(n)])
    lib.sf_writef_short(f, samples, n)
    lib.sf_close(f)
    with open(path, "rb") as fh:
        return fh.read()


# -- helpers --------------------------------------------------------------------------------

def _call(ctx, token):
    r = ctx.post("/api/calls", {"caller_number": "+15551112222", "called_number": "+15553334444"},
                 token=token)
    check(r.status == 201, "create call: %r" % r)
    return r.json["call"]["id"]


def _upload(ctx, token, call_id, data, ctype="audio/wav"):
    return ctx.request("PUT", "/api/calls/%s/recording" % call_id, raw=data, token=token,
                       headers={"Content-Type": ctype})


def _stored(ctx, call_id, data, token):
    r = _upload(ctx, token, call_id, data)
    check(r.status == 201 and r.json["success"] is True, "upload: %r" % r)
    return r.json["data"]


def _files(ctx, tenant):
    return glob.glob(os.path.join(ctx.var, "recordings", tenant, "*", "*", "*", "*"))


def _conf(ctx, key):
    with open(os.path.join(ctx.var, "switchboard.conf")) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
    return None


def _rows(ctx, query):
    return [l.split("\t") for l in sb.sql(ctx, query).splitlines() if l]


# -- tests ----------------------------------------------------------------------------------

def test_start_stop_states_and_events(ctx):
    token, tenant = sb.tenant(ctx)
    call = _call(ctx, token)
    r = ctx.post("/api/calls/%s/recording/start" % call, {"format": "mp3"}, token=token)
    check(r.status == 200, "start: %r" % r)
    rec = r.json["data"]
    check(rec["status"] == "recording" and rec["format"] == "mp3" and rec["callId"] == call,
          "started: %r" % rec)
    expect_cold_error(ctx.post("/api/calls/%s/recording/start" % call, {}, token=token), 409)
    r = ctx.post("/api/calls/%s/recording/stop" % call, {}, token=token)
    check(r.status == 200 and r.json["data"]["status"] == "processing", "stop: %r" % r)
    expect_cold_error(ctx.post("/api/calls/%s/recording/stop" % call, {}, token=token), 409)
    expect_cold_error(ctx.post("/api/calls/%s/recording/start" % call, {}, token=token), 409)
    check(sb.sql(ctx, "SELECT recording_state FROM calls WHERE id='%s'" % call).strip()
          == "stopped", "state stopped")
    ev = _rows(ctx, "SELECT type, JSON_VALUE(payload,'$.recording_id'), JSON_VALUE(payload,"
                    "'$.format') FROM call_events WHERE call_id='%s' AND type LIKE "
                    "'recording.%%' ORDER BY id" % call)
    check(ev == [["recording.started", rec["id"], "mp3"], ["recording.stopped", rec["id"], "mp3"]],
          "events: %r" % ev)
    # the audio uploaded after stop fills the same recording in
    got = _stored(ctx, call, _wav(), token)
    check(got["id"] == rec["id"] and got["status"] == "available" and got["format"] == "wav",
          "filled in: %r" % got)
    r = ctx.post("/api/calls/%s/recording/start" % call, {"format": "flac"}, token=token)
    sb.cold_field(r, "format")
    # another call: start while recording, then an upload ends the recording
    call2 = _call(ctx, token)
    check(ctx.post("/api/calls/%s/recording/start" % call2, {}, token=token).status == 200,
          "start 2")
    got = _stored(ctx, call2, _wav(), token)
    check(got["status"] == "available", "upload while recording: %r" % got)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM call_events WHERE call_id='%s' AND type="
                 "'recording.stopped'" % call2).strip() == "1", "stopped by the upload")


def test_upload_and_ranges_through_nginx(ctx):
    token, tenant = sb.tenant(ctx)
    call = _call(ctx, token)
    data = _wav(1.5)
    rec = _stored(ctx, call, data, token)
    check(rec["format"] == "wav" and rec["duration"] == 2 and rec["sizeBytes"] == len(data) and
          rec["sampleRate"] == 8000 and rec["channels"] == 1 and len(rec["checksum"]) == 64,
          "measured by libsndfile: %r" % rec)
    check(rec["url"] == "/api/calls/%s/recording" % call, "url: %r" % rec)
    files = _files(ctx, tenant)
    check(len(files) == 1 and files[0].endswith("/%s.wav" % rec["id"]), "stored: %r" % files)
    with open(files[0], "rb") as f:
        check(f.read() == data, "the file is the upload")

    r = ctx.get("/api/calls/%s/recording" % call, token=token)
    check(r.status == 200 and r.body == data, "whole: %r" % r.status)
    check(r.headers.get("content-type") == "audio/wav", "type: %r" % r.headers)
    check("content-disposition" not in r.headers, "inline by default: %r" % r.headers)
    check(r.headers.get("accept-ranges") == "bytes", "ranges: %r" % r.headers)
    etag = r.headers.get("etag")
    check(etag, "etag: %r" % r.headers)

    r1 = ctx.get("/api/calls/%s/recording" % call, token=token, headers={"Range": "bytes=0-99"})
    check(r1.status == 206 and r1.body == data[:100], "first range: %r" % r1.status)
    check(r1.headers.get("content-range") == "bytes 0-99/%d" % len(data), "%r" % r1.headers)
    r2 = ctx.get("/api/calls/%s/recording" % call, token=token, headers={"Range": "bytes=100-"})
    check(r2.status == 206 and r2.body == data[100:], "second range: %r" % r2.status)
    check(r2.headers.get("content-range") == "bytes 100-%d/%d" % (len(data) - 1, len(data)),
          "%r" % r2.headers)
    check(r1.body + r2.body == data, "the two ranges are the file")
    r = ctx.get("/api/calls/%s/recording" % call, token=token,
                headers={"Range": "bytes=10-19", "If-Range": etag})
    check(r.status == 206 and r.body == data[10:20], "If-Range matching: %r" % r.status)
    r = ctx.get("/api/calls/%s/recording" % call, token=token,
                headers={"Range": "bytes=10-19", "If-Range": '"changed"'})
    check(r.status == 200 and r.body == data, "If-Range not matching: whole: %r" % r.status)

    r = ctx.get("/api/calls/%s/recording?download=true" % call, token=token)
    check(r.status == 200 and r.body == data, "download")
    check(r.headers.get("content-disposition") == 'attachment; filename="%s.wav"' % rec["id"],
          "attachment: %r" % r.headers)
    r = ctx.get("/api/v1/calls/%s/recording" % call, token=token)
    check(r.status == 200 and r.body == data, "/api/v1 too")

    # a new upload replaces the recording and its file; it may be larger than
    # max_body_bytes (the JSON cap): the body goes to nginx's temp file, not the pool
    big = _wav(80.0)
    check(len(big) > int(_conf(ctx, "max_body_bytes")), "bigger than the JSON cap")
    rec2 = _stored(ctx, call, big, token)
    check(rec2["id"] != rec["id"] and rec2["duration"] == 80 and rec2["sizeBytes"] == len(big),
          "replaced: %r" % rec2)
    files = _files(ctx, tenant)
    check(len(files) == 1 and rec2["id"] in files[0], "old file gone: %r" % files)
    r = ctx.get("/api/calls/%s/recording" % call, token=token,
                headers={"Range": "bytes=%d-" % (len(big) - 1000)})
    check(r.status == 206 and r.body == big[-1000:], "tail of the big one: %r" % r.status)


def test_ogg_upload(ctx):
    token, tenant = sb.tenant(ctx)
    path = "/tmp/rec-test-%s.ogg" % sb.uid()
    try:
        data = _ogg(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    if data is None:
        return  # no libsndfile to write one with
    call = _call(ctx, token)
    rec = _stored(ctx, call, data, token)
    check(rec["format"] == "ogg" and rec["duration"] == 2, "ogg: %r" % rec)
    r = ctx.get("/api/calls/%s/recording" % call, token=token)
    check(r.status == 200 and r.body == data and r.headers["content-type"] == "audio/ogg",
          "ogg served: %r" % r.headers)


def test_bad_uploads_keep_nothing(ctx):
    token, tenant = sb.tenant(ctx)
    call = _call(ctx, token)
    r = _upload(ctx, token, call, b"this is not audio at all, just text" * 10)
    expect_cold_error(r, 415, "unsupported_media_type")
    check("WAV" in r.json["message"], "says what to send: %r" % r)
    # a WAV header whose data is cut off is still not audio libsndfile reads
    expect_cold_error(_upload(ctx, token, call, _wav()[:20]), 415)
    expect_cold_error(_upload(ctx, token, call, b""), 400)
    check(_files(ctx, tenant) == [], "nothing kept")
    check(sb.sql(ctx, "SELECT COUNT(*) FROM recordings WHERE call_id='%s'" % call).strip() == "0",
          "no row")
    # over recording_max_bytes: nginx answers 413 from the Content-Length alone, in
    # coldcaller's error shape
    limit = int(_conf(ctx, "recording_max_bytes"))
    conn = http.client.HTTPConnection(ctx.host, ctx.port, timeout=10)
    try:
        conn.putrequest("PUT", "/api/calls/%s/recording" % call)
        conn.putheader("Authorization", "Bearer " + token)
        conn.putheader("Content-Type", "audio/wav")
        conn.putheader("Content-Length", str(limit + 1))
        conn.endheaders()
        resp = conn.getresponse()
        r = sb.Resp(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
    expect_cold_error(r, 413)
    check(_files(ctx, tenant) == [], "nothing kept after the 413")


def test_list_filters_and_paging(ctx):
    token, tenant = sb.tenant(ctx)
    calls = [_call(ctx, token) for _ in range(3)]
    ids = [_stored(ctx, c, _wav(), token)["id"] for c in calls]
    ctx.post("/api/calls/%s/recording/start" % _call(ctx, token), {"format": "mp3"}, token=token)
    r = ctx.get("/api/calls/recordings?format=wav&page=1&limit=2", token=token)
    check(r.status == 200 and r.json["success"] is True, "list: %r" % r)
    p = r.json["pagination"]
    check(p["total"] == 3 and p["totalPages"] == 2 and p["hasNext"] is True and
          p["hasPrev"] is False and p["limit"] == 2, "pagination: %r" % p)
    check(len(r.json["data"]) == 2, "a page of 2")
    r = ctx.get("/api/calls/recordings?format=wav&page=2&limit=2", token=token)
    seen = {x["id"] for x in r.json["data"]}
    check(len(seen) == 1 and seen < set(ids), "page 2: %r" % r.json["data"])
    r = ctx.get("/api/calls/recordings?format=mp3", token=token)
    check([x["status"] for x in r.json["data"]] == ["recording"], "mp3: %r" % r.json)
    check(ctx.get("/api/calls/recordings", token=token).json["pagination"]["total"] == 4, "all")
    r = ctx.get("/api/calls/recordings?dateFrom=2999-01-01", token=token)
    check(r.json["pagination"]["total"] == 0, "dateFrom: %r" % r.json)
    r = ctx.get("/api/calls/recordings?dateTo=2000-01-01", token=token)
    check(r.json["pagination"]["total"] == 0, "dateTo: %r" % r.json)
    r = ctx.get("/api/calls/recordings?dateFrom=2000-01-01&dateTo=2037-12-31&format=wav",
                token=token)
    check(r.json["pagination"]["total"] == 3, "range: %r" % r.json)
    sb.cold_field(ctx.get("/api/calls/recordings?format=flac", token=token), "format")
    sb.cold_field(ctx.get("/api/calls/recordings?dateFrom=yesterday", token=token), "dateFrom")


def test_delete_removes_row_and_file(ctx):
    admin, tenant = sb.tenant(ctx)
    owner = sb.user(ctx, admin, "agent")
    other = sb.user(ctx, admin, "agent")
    call = _call(ctx, admin)
    rec = _stored(ctx, call, _wav(), owner["token"])
    check(rec["userId"] == owner["user"]["id"], "owner: %r" % rec)
    check(len(_files(ctx, tenant)) == 1, "stored")
    expect_cold_error(ctx.delete("/api/calls/%s/recording" % call, token=other["token"]), 403)
    r = ctx.delete("/api/calls/%s/recording" % call, token=owner["token"])
    check(r.status == 200 and r.json["success"] is True, "owner deletes: %r" % r)
    check(_files(ctx, tenant) == [], "file gone")
    expect_cold_error(ctx.get("/api/calls/%s/recording" % call, token=admin), 404)
    expect_cold_error(ctx.delete("/api/calls/%s/recording" % call, token=admin), 404)
    # deleted: the call may be recorded again; a manager deletes anyone's
    mgr = sb.user(ctx, admin, "manager")
    check(ctx.post("/api/calls/%s/recording/start" % call, {}, token=admin).status == 200, "again")
    _stored(ctx, call, _wav(), owner["token"])
    check(ctx.delete("/api/calls/%s/recording" % call, token=mgr["token"]).status == 200, "mgr")
    check(_files(ctx, tenant) == [], "file gone again")


def test_tenant_isolation_and_internal_location(ctx):
    a, ta = sb.tenant(ctx)
    b, _ = sb.tenant(ctx)
    call = _call(ctx, a)
    _stored(ctx, call, _wav(), a)
    base = "/api/calls/%s/recording" % call
    expect_cold_error(ctx.get(base, token=b), 404)
    expect_cold_error(ctx.delete(base, token=b), 404)
    expect_cold_error(_upload(ctx, b, call, _wav()), 404)
    expect_cold_error(ctx.post(base + "/start", {}, token=b), 404)
    expect_cold_error(ctx.post(base + "/stop", {}, token=b), 404)
    check(ctx.get("/api/calls/recordings", token=b).json["pagination"]["total"] == 0, "b's list")
    check(ctx.get(base, token=a).status == 200, "still a's")
    # the file's internal path, guessed exactly, is not reachable from outside
    path = _files(ctx, ta)[0]
    rel = os.path.relpath(path, os.path.join(ctx.var, "recordings"))
    for tok in (None, a, b):
        r = ctx.get("/_recordings/" + rel, token=tok)
        check(r.status == 404 and r.body != open(path, "rb").read(), "internal: %r" % r)


def test_auth_and_roles(ctx):
    admin, _ = sb.tenant(ctx)
    agent = sb.user(ctx, admin, "agent")
    call = _call(ctx, admin)
    base = "/api/calls/%s/recording" % call
    for m, p in [("POST", base + "/start"), ("POST", base + "/stop"), ("PUT", base),
                 ("GET", base), ("DELETE", base), ("GET", "/api/calls/recordings"),
                 ("GET", "/api/calls/recordings/retention"),
                 ("PUT", "/api/calls/recordings/retention")]:
        expect_cold_error(ctx.request(m, p, body={} if m != "GET" else None), 401)
    t = agent["token"]
    expect_cold_error(ctx.get("/api/calls/recordings/retention", token=t), 403)
    expect_cold_error(ctx.put("/api/calls/recordings/retention", {"retention_days": 5}, token=t),
                      403)
    # an agent records and uploads
    check(ctx.post(base + "/start", {"format": "wav"}, token=t).status == 200, "agent starts")
    check(_upload(ctx, t, call, _wav()).status == 201, "agent uploads")
    check(ctx.get(base, token=t).status == 200, "agent listens")


def test_retention_and_clock_expiry(ctx):
    token, tenant = sb.tenant(ctx)
    r = ctx.get("/api/calls/recordings/retention", token=token)
    check(r.status == 200 and r.json["data"]["retentionDays"] is None, "kept: %r" % r)
    keep = _call(ctx, token)
    _stored(ctx, keep, _wav(), token)
    r = ctx.put("/api/calls/recordings/retention", {"retentionDays": 30}, token=token)
    check(r.status == 200 and r.json["data"]["retentionDays"] == 30, "set: %r" % r)
    check(ctx.get("/api/calls/recordings/retention", token=token).json["data"]["retentionDays"]
          == 30, "read back")
    call = _call(ctx, token)
    rec = _stored(ctx, call, _wav(), token)
    check(rec["expiresAt"] is not None, "expires: %r" % rec)
    # the existing recording's expiry followed the setting
    check(sb.sql(ctx, "SELECT COUNT(*) FROM recordings WHERE tenant_id='%s' AND expires_at"
                 " IS NOT NULL" % tenant).strip() == "2", "both expire")
    sb.cold_field(ctx.put("/api/calls/recordings/retention", {"retention_days": 0}, token=token),
                  "retention_days")
    sb.cold_field(ctx.put("/api/calls/recordings/retention", {}, token=token), "retentionDays")
    # time passes for one of them: the clock deletes its row, then its file
    sb.sql(ctx, "UPDATE recordings SET expires_at = NOW() - INTERVAL 1 SECOND WHERE id='%s'"
           % rec["id"])
    gone = sb.wait(lambda: sb.sql(ctx, "SELECT COUNT(*) FROM recordings WHERE id='%s'"
                                  % rec["id"]).strip() == "0", 10)
    check(gone, "the clock deleted the expired recording")
    check(sb.wait(lambda: len(_files(ctx, tenant)) == 1, 5), "its file too: %r"
          % _files(ctx, tenant))
    expect_cold_error(ctx.get("/api/calls/%s/recording" % call, token=token), 404)
    check(ctx.get("/api/calls/%s/recording" % keep, token=token).status == 200, "other kept")
    # null: kept again
    r = ctx.put("/api/calls/recordings/retention", {"retention_days": None}, token=token)
    check(r.status == 200 and r.json["data"]["retentionDays"] is None, "unset: %r" % r)
    check(sb.sql(ctx, "SELECT COUNT(*) FROM recordings WHERE tenant_id='%s' AND expires_at"
                 " IS NOT NULL" % tenant).strip() == "0", "none expire")


# -- Twilio's recording status callback -------------------------------------------------------

HOOK = "/webhooks/twilio/recording-status"


def _twilio_post(ctx, auth_token, params, sign=True):
    base = (_conf(ctx, "public_base_url") or "http://127.0.0.1:%d" % ctx.port).rstrip("/")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        data = base + HOOK + "".join(k + v for k, v in sorted(params.items()))
        headers["X-Twilio-Signature"] = base64.b64encode(
            hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return ctx.request("POST", HOOK, raw=urllib.parse.urlencode(params), headers=headers)


def test_twilio_recording_status_webhook(ctx):
    token, tenant = sb.tenant(ctx)
    auth = uuid.uuid4().hex
    r = ctx.put("/api/integrations/twilio", {"account_sid": "AC" + uuid.uuid4().hex,
                                              "auth_token": auth}, token=token)
    check(r.status == 200, "twilio credentials: %r" % r)
    sid = "CA" + uuid.uuid4().hex
    r = ctx.post("/api/calls", {"caller_number": "+15551112222", "called_number": "+15553334444",
                                "call_sid": sid}, token=token)
    check(r.status == 201, "call: %r" % r)
    call = r.json["call"]["id"]
    rec_sid = "RE" + uuid.uuid4().hex
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/" + rec_sid
    p = {"CallSid": sid, "RecordingSid": rec_sid, "RecordingUrl": url,
         "RecordingStatus": "in-progress"}
    r = _twilio_post(ctx, auth, p)
    check(r.status == 200 and r.json["recording"]["status"] == "recording", "started: %r" % r)
    rec_id = r.json["recording"]["recording_id"]
    check(sb.sql(ctx, "SELECT recording_state FROM calls WHERE id='%s'" % call).strip()
          == "recording", "call recording")
    p.update(RecordingStatus="completed", RecordingDuration="42")
    r = _twilio_post(ctx, auth, p)
    check(r.status == 200 and r.json["recording"]["recording_id"] == rec_id, "done: %r" % r)
    ev = _rows(ctx, "SELECT type FROM call_events WHERE call_id='%s' AND type LIKE "
                    "'recording.%%' ORDER BY id" % call)
    check(ev == [["recording.started"], ["recording.stopped"]], "events: %r" % ev)
    r = ctx.get("/api/calls/recordings?call_id=%s" % call, token=token)
    got = r.json["data"][0]
    check(got["remoteUrl"] == url and got["storage"] == "twilio" and got["duration"] == 42 and
          got["status"] == "available" and got["url"] is None, "listed: %r" % got)
    # nothing fetched: no local file, so no download
    expect_cold_error(ctx.get("/api/calls/%s/recording" % call, token=token), 404)
    check(_files(ctx, tenant) == [], "no file")
    # refused: unsigned, wrong signature, unknown call, bad status
    sb.expect_error(_twilio_post(ctx, auth, p, sign=False), 403, "invalid_signature")
    sb.expect_error(_twilio_post(ctx, "0" * 32, p), 403, "invalid_signature")
    sb.expect_error(_twilio_post(ctx, auth, dict(p, CallSid="CAnope")), 404)
    sb.expect_error(_twilio_post(ctx, auth, dict(p, RecordingStatus="weird")), 422)
    sb.expect_error(_twilio_post(ctx, auth, dict(p, RecordingUrl="http://10.0.0.1/x")), 422)

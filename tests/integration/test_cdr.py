"""CDRs and their KPIs: an Asterisk Master.csv imported with switchboard-admin import-cdrs,
then stats and call volume equal to figures computed by hand below; list filters and
paging; the CSV export (header, RFC 4180 quoting, formula protection); a transfer-service
call writes its CDR; an agent sees only their own calls; 401/403/404/422, other tenants."""
import csv
import io
import os
import tempfile
import time
import uuid

import sb
from sb import check, expect_cc_error

V1 = "/api/v1/cdr"

# Queue "support": service level 20 s, short abandon under 5 s; "sales": 30 s and 5 s.
# Row by row (wait = answer - start, or the duration when not answered):
#  1 support 10:00:00 answered, wait 10 (in SL), talk 120
#  2 support 10:03:00 answered, wait 30 (out of SL), talk 180
#  3 support 10:05:00 not answered, wait 3: a short abandon
#  4 support 10:07:00 not answered, wait 60: abandoned
#  5 support 10:16:00 answered, wait 20 (in SL: <= 20), talk 60
#  6 support 11:00:00 not answered, wait 5: abandoned (5 is not under 5)
#  7 support 11:10:00 answered, wait 5 (in SL), talk 300
#  8 sales   10:10:00 answered, wait 25 (in SL), talk 60
#  9 sales   10:20:00 BUSY in the queue: abandoned, wait 2, short
# 10 Queue(nosuch): no queue, inbound, answered, wait 4 (threshold 0: out of SL), talk 60
# 11 1001 -> 15551234567 Dial: outbound, no uniqueid column: a CDR, not an offered call
# plus two bad lines (a start that is no time, too few columns).
DAY = "2026-11-20"


def _row(src, dst, app, data, start, answer, end, dur, bill, disp, uid, clid="", extra=True):
    f = ["acc1", src, dst, "from-pstn", clid, "SIP/trunk-0001", "SIP/1001-0002", app, data,
         DAY + " " + start, (DAY + " " + answer) if answer else "", DAY + " " + end,
         str(dur), str(bill), disp, "DOCUMENTATION"]
    if extra:
        f += [uid, ""]
    return f


def _master_csv():
    rows = [
        _row("+15550001", "100", "Queue", "support,t,,,300", "10:00:00", "10:00:10", "10:02:10",
             130, 120, "ANSWERED", "u1", clid='"Doe, John" <+15550001>'),
        _row("+15550002", "100", "Queue", "support,t", "10:03:00", "10:03:30", "10:06:30",
             210, 180, "ANSWERED", "u2", clid='"=HYPERLINK(1)" <+15550002>'),
        _row("+15550003", "100", "Queue", "support", "10:05:00", "", "10:05:03", 3, 0,
             "NO ANSWER", "u3"),
        _row("+15550004", "100", "Queue", "support", "10:07:00", "", "10:08:00", 60, 0,
             "NO ANSWER", "u4"),
        _row("+15550005", "100", "Queue", "support", "10:16:00", "10:16:20", "10:17:20", 80,
             60, "ANSWERED", "u5"),
        _row("+15550006", "100", "Queue", "support", "11:00:00", "", "11:00:05", 5, 0,
             "NO ANSWER", "u6"),
        _row("+15550007", "100", "Queue", "support", "11:10:00", "11:10:05", "11:15:05", 305,
             300, "ANSWERED", "u7"),
        _row("+15550008", "200", "Queue", "sales,t", "10:10:00", "10:10:25", "10:11:25", 85, 60,
             "ANSWERED", "u8"),
        _row("+15550009", "200", "Queue", "sales", "10:20:00", "", "10:20:02", 2, 0, "BUSY",
             "u9"),
        _row("+15550010", "300", "Queue", "nosuch,t", "10:30:00", "10:30:04", "10:31:04", 64,
             60, "ANSWERED", "u10"),
        _row("1001", "15551234567", "Dial", "SIP/trunk/15551234567", "10:40:00", "10:40:10",
             "10:41:10", 70, 60, "ANSWERED", "", extra=False),
    ]
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for r in rows[:5]:
        w.writerow(r)
    bad_date = list(rows[0])
    bad_date[9], bad_date[16] = "not a date", "ubad"
    w.writerow(bad_date)  # line 6
    for r in rows[5:]:
        w.writerow(r)
    out.write('"acc1","+1555","100"\n')  # line 13: too few columns
    return out.getvalue(), [6, 13]


def _setup(ctx):
    token, tid = sb.tenant(ctx)
    q = {}
    for name, sl in (("support", 20), ("sales", 30)):
        qid = "queue_" + uuid.uuid4().hex[:12]
        sb.sql(ctx, "INSERT INTO queues (id, tenant_id, name, service_level,"
                    " short_abandon_seconds) VALUES ('%s', '%s', '%s', %d, 5)"
               % (qid, tid, name, sl))
        q[name] = qid
    return token, tid, q


def _import(ctx, tid, text):
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    try:
        return ctx.admin("import-cdrs", "--tenant", tid, path)
    finally:
        os.unlink(path)


def _imported(ctx):
    token, tid, q = _setup(ctx)
    text, bad_lines = _master_csv()
    rc, out, err = _import(ctx, tid, text)
    check(rc == 0, "import: %r %r %r" % (rc, out, err))
    return token, tid, q, text, bad_lines, out, err


def _stats(ctx, token, query):
    return sb.cc_data(ctx.get(V1 + "/stats?" + query, token=token))


# -- import and KPIs ---------------------------------------------------------------------

def test_cdr_import_and_kpis(ctx):
    token, tid, q, text, bad_lines, out, err = _imported(ctx)
    check("imported 11, already there 0, bad 2" in out, "counts: %r" % out)
    for n in bad_lines:
        check("line %d:" % n in err, "bad line %d not reported: %r" % (n, err))
    window = "start=%sT10:00:00Z&end=%sT12:00:00Z" % (DAY, DAY)
    s = _stats(ctx, token, window)
    want = {"offered": 10, "answered": 6, "abandoned": 4, "short_abandoned": 2,
            "answered_in_sl": 4, "overflowed": 0, "longest_wait": 60,
            "abandonment_rate": 0.25,   # (4 - 2) / (10 - 2)
            "service_level": 0.5,       # 4 / (10 - 2)
            "asa": 15.67,               # (10 + 30 + 20 + 5 + 25 + 4) / 6
            "avg_wait": 16.4,           # (133 + 27 + 4) / 10
            "aht": 130.0,               # (660 + 60 + 60) / 6
            "talk_time": 780}
    for k, v in want.items():
        check(s[k] == v, "tenant %s: %r, want %r (%r)" % (k, s[k], v, s))
    check(s["window"]["start"] == DAY + "T10:00:00Z" and s["window"]["end"] == DAY + "T12:00:00Z"
          and s["window"]["kind"] == "range", "window: %r" % s["window"])
    sup = _stats(ctx, token, window + "&queue_id=" + q["support"])
    want = {"offered": 7, "answered": 4, "abandoned": 3, "short_abandoned": 1,
            "answered_in_sl": 3, "longest_wait": 60,
            "abandonment_rate": 0.3333,  # (3 - 1) / (7 - 1)
            "service_level": 0.5,        # 3 / 6
            "asa": 16.25,                # 65 / 4
            "avg_wait": 19.0,            # 133 / 7
            "aht": 165.0}                # 660 / 4
    for k, v in want.items():
        check(sup[k] == v, "support %s: %r, want %r" % (k, sup[k], v))
    check(sup["queue_id"] == q["support"], "queue_id: %r" % sup["queue_id"])
    # A window is whole quarter hours: 10:07-10:20 reads the buckets 10:00 and 10:15.
    part = _stats(ctx, token, "start=%sT10:07:00Z&end=%sT10:20:00Z&queue_id=%s"
                  % (DAY, DAY, q["support"]))
    check(part["offered"] == 5 and part["window"]["start"] == DAY + "T10:00:00Z"
          and part["window"]["end"] == DAY + "T10:30:00Z", "rounded window: %r" % part)
    # Call volume per hour.
    vol = sb.cc_data(ctx.get(V1 + "/call-volume?" + window, token=token))
    check(vol == [{"hour": DAY + "T10:00:00Z", "offered": 8, "answered": 5, "abandoned": 3},
                  {"hour": DAY + "T11:00:00Z", "offered": 2, "answered": 1, "abandoned": 1}],
          "call volume: %r" % vol)
    quarters = sb.cc_data(ctx.get(V1 + "/call-volume?interval=15m&" + window, token=token))
    check(sum(b["offered"] for b in quarters) == 10 and
          all(b["start"][14:16] in ("00", "15", "30", "45") for b in quarters) and
          all(b["service_level"] is None or 0 <= b["service_level"] <= 1 for b in quarters) and
          sum(b["answered"] for b in quarters if b["start"].startswith(DAY + "T10:")) == 5,
          "call volume per 15 minutes: %r" % quarters)
    expect_cc_error(ctx.get(V1 + "/call-volume?interval=5m&" + window, token=token), 422)
    vol = sb.cc_data(ctx.get(V1 + "/call-volume?%s&queue_id=%s" % (window, q["sales"]),
                             token=token))
    check(vol == [{"hour": DAY + "T10:00:00Z", "offered": 2, "answered": 1, "abandoned": 1}],
          "sales volume: %r" % vol)
    # Importing the same file again adds nothing.
    rc, out2, _ = _import(ctx, tid, text)
    check(rc == 0 and "imported 0, already there 11, bad 2" in out2, "re-import: %r" % out2)
    again = _stats(ctx, token, window)
    check(again == dict(s, window=again["window"]), "stats moved: %r vs %r" % (again, s))
    r = ctx.get(V1 + "?page_size=100", token=token)
    check(r.json["meta"]["total_count"] == 11, "CDRs after re-import: %r" % r.json["meta"])


def test_cdr_import_rows(ctx):
    token, tid, q, *_ = _imported(ctx)
    rows = sb.cc_data(ctx.get(V1 + "?page_size=100", token=token))
    by_uid = {c["uniqueid"]: c for c in rows}
    c1 = by_uid["u1"]
    check(c1["queue_id"] == q["support"] and c1["queue_name"] == "support"
          and c1["disposition"] == "answered" and c1["wait_time"] == 10
          and c1["billsec"] == 120 and c1["duration"] == 130 and c1["direction"] == "inbound"
          and c1["caller_name"] == "Doe, John" and c1["start_time"] == DAY + "T10:00:00Z"
          and c1["answer_time"] == DAY + "T10:00:10Z", "row 1: %r" % c1)
    check(c1["metadata"]["lastapp"] == "Queue" and c1["user_id"] == "", "row 1 extras: %r" % c1)
    check(by_uid["u3"]["disposition"] == "abandoned" and by_uid["u3"]["wait_time"] == 3,
          "row 3: %r" % by_uid["u3"])
    check(by_uid["u9"]["disposition"] == "abandoned", "busy in a queue: %r" % by_uid["u9"])
    check(by_uid["u10"]["queue_id"] == "" and by_uid["u10"]["direction"] == "inbound",
          "unknown queue: %r" % by_uid["u10"])
    out = by_uid[""]
    check(out["direction"] == "outbound" and out["caller_number"] == "1001", "row 11: %r" % out)


# -- list, filters, paging --------------------------------------------------------------

def test_cdr_list_filters_and_paging(ctx):
    token, tid, q, *_ = _imported(ctx)
    r = ctx.get(V1 + "?page=2&page_size=4", token=token)
    data = sb.cc_data(r)
    check(len(data) == 4 and r.json["meta"] == {"page": 2, "page_size": 4, "total_pages": 3,
                                                "total_count": 11}, "page 2: %r" % r.json)
    first = sb.cc_data(ctx.get(V1 + "?page_size=100", token=token))
    starts = [c["start_time"] for c in first]
    check(starts == sorted(starts, reverse=True), "newest first: %r" % starts)
    check(first[4:8] == data, "page 2 is rows 5-8")

    def count(query):
        r = ctx.get(V1 + "?" + query, token=token)
        sb.cc_data(r)
        return r.json["meta"]["total_count"]
    check(count("queue_id=" + q["support"]) == 7, "queue filter")
    check(count("disposition=abandoned") == 4, "disposition filter")
    check(count("direction=outbound") == 1, "direction filter")
    check(count("caller=%2B15550004") == 1, "caller filter")
    check(count("called=200") == 2, "called filter")
    check(count("start=%sT10:15:00Z&end=%sT11:00:00Z" % (DAY, DAY)) == 4, "time filter")
    check(count("start=" + DAY) == 11 and count("end=" + DAY) == 11, "a date is a whole day")
    check(count("disposition=abandoned&queue_id=" + q["sales"]) == 1, "filters combine")
    r = ctx.get(V1 + "/by-date-range?start=%sT11:00:00Z&end=%sT12:00:00Z" % (DAY, DAY),
                token=token)
    check(len(sb.cc_data(r)) == 2, "by-date-range: %r" % r)
    r = ctx.get(V1 + "/by-queue/sales", token=token)
    check({c["uniqueid"] for c in sb.cc_data(r)} == {"u8", "u9"}, "by-queue: %r" % r)
    expect_cc_error(ctx.get(V1 + "/by-queue/nosuch", token=token), 404)
    one = first[0]
    got = sb.cc_data(ctx.get(V1 + "/" + one["id"], token=token))
    check(got == one, "by id: %r vs %r" % (got, one))
    # Under /api as well, in the same (callcenter) envelope.
    r = ctx.get("/api/cdr?limit=2", token=token)
    check(r.status == 200 and len(r.json["data"]) == 2, "/api/cdr: %r" % r)


def test_cdr_validation(ctx):
    token, *_ = _setup(ctx)
    for query, field in (("start=yesterday", "start"), ("end=2026-13-01", "end"),
                         ("start=2026-11-20T10:00:00Z&end=2026-11-20T09:00:00Z", "end"),
                         ("direction=sideways", "direction"), ("disposition=lost", "disposition"),
                         ("page_size=0", "page_size"), ("sort=nope", "sort")):
        r = ctx.get(V1 + "?" + query, token=token)
        expect_cc_error(r, 422)
        check(field in (r.json["error"].get("details") or {}), "%s: %r" % (query, r))
    for query, field in (("", "start"), ("start=2026-11-20", "end")):
        r = ctx.get(V1 + "/by-date-range?" + query, token=token)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "by-date-range %r: %r" % (query, r))
    for query, field in (("last=5m", "last"), ("last=15m&start=2026-11-20", "last"),
                         ("start=2026-02-30", "start"), ("end=2026-11-20", "start")):
        r = ctx.get(V1 + "/stats?" + query, token=token)
        expect_cc_error(r, 422)
        check(field in r.json["error"]["details"], "stats %r: %r" % (query, r))


# -- CSV ------------------------------------------------------------------------------

def test_cdr_csv_export(ctx):
    token, *_ = _imported(ctx)
    r = ctx.get(V1 + "?format=csv&queue_id=", token=token)
    check(r.status == 200 and r.headers["content-type"].startswith("text/csv"), "csv: %r" % r)
    check("attachment" in r.headers.get("content-disposition", ""), "disposition: %r" % r.headers)
    check(r.text.endswith("\r\n") and "\r\n" in r.text, "CRLF records")
    rows = list(csv.reader(io.StringIO(r.text, newline="")))
    head = rows[0]
    check(head[:3] == ["id", "call_sid", "uniqueid"] and "caller_name" in head
          and "wait_time" in head, "header: %r" % head)
    check(len(rows) == 12, "11 CDRs and the header: %d" % len(rows))
    name = head.index("caller_name")
    names = {row[head.index("uniqueid")]: row[name] for row in rows[1:]}
    check(names["u1"] == "Doe, John", "quoted comma: %r" % names["u1"])
    check(names["u2"] == "'=HYPERLINK(1)", "formula protected: %r" % names["u2"])
    check('"Doe, John"' in r.text, "RFC 4180 quoting in the text")
    # Numbers stay numbers; filters apply; Accept: text/csv works too.
    wait = head.index("wait_time")
    check(sorted(int(row[wait]) for row in rows[1:] if row[wait]) ==
          sorted([10, 30, 3, 60, 20, 5, 5, 25, 2, 4, 10]), "wait column")
    r = ctx.get(V1 + "/by-queue/sales", token=token, headers={"Accept": "text/csv"})
    check(r.status == 200 and len(list(csv.reader(io.StringIO(r.text)))) == 3, "sales csv: %r" % r)
    r = ctx.get(V1 + "?format=csv&caller=nobody", token=token)
    check(r.status == 200 and list(csv.reader(io.StringIO(r.text))) == [head],
          "an empty export is its header: %r" % r.text)
    expect_cc_error(ctx.get(V1 + "?format=csv&direction=up", token=token), 422)


# -- calls of the transfer service, agents, tenants --------------------------------------

def _agent_call(ctx, admin_token, agent_session):
    dept = sb.dept(ctx, admin_token)
    r = ctx.post("/api/agents", {"name": "Agent " + sb.uid(), "phone_number": "+15550001111",
                                 "department_id": dept["id"], "status": "available",
                                 "user_id": agent_session["user"]["id"]}, token=admin_token)
    check(r.status == 201, "agent: %r" % r)
    r = ctx.post("/api/calls", {"caller_number": "+15557770000", "called_number": "+15553334444",
                                "status": "active"}, token=admin_token)
    check(r.status == 201, "call: %r" % r)
    call = r.json["call"]
    r = ctx.post("/api/calls/transfer", {"call_id": call["id"], "department_id": dept["id"]},
                 token=admin_token)
    check(r.status == 200 and r.json["transfer"]["agent_id"], "transfer: %r" % r)
    r = ctx.put("/api/calls/" + call["id"], {"status": "completed"}, token=admin_token)
    check(r.status == 200, "end: %r" % r)
    return call


def test_cdr_agent_sees_own_and_call_writes_cdr(ctx):
    token, tid, q, *_ = _imported(ctx)
    agent = sb.user(ctx, token, "agent")
    manager = sb.user(ctx, token, "manager")
    _agent_call(ctx, token, agent)
    mine = sb.cc_data(ctx.get(V1, token=agent["token"]))
    check(len(mine) == 1 and mine[0]["user_id"] == agent["user"]["id"]
          and mine[0]["disposition"] == "answered" and mine[0]["caller_number"] == "+15557770000"
          and mine[0]["direction"] == "inbound", "the agent's CDRs: %r" % mine)
    r = ctx.get(V1 + "?page_size=100", token=manager["token"])
    check(sb.cc_data(r) and r.json["meta"]["total_count"] == 12, "manager sees all: %r" % r.json)
    other = [c for c in sb.cc_data(r) if c["user_id"] != agent["user"]["id"]][0]
    expect_cc_error(ctx.get(V1 + "/" + other["id"], token=agent["token"]), 404)
    check(sb.cc_data(ctx.get(V1 + "/" + mine[0]["id"], token=agent["token"]))["id"]
          == mine[0]["id"], "own CDR by id")
    r = ctx.get(V1 + "/by-user/" + agent["user"]["id"], token=agent["token"])
    check(len(sb.cc_data(r)) == 1, "own by-user: %r" % r)
    expect_cc_error(ctx.get(V1 + "/by-user/" + manager["user"]["id"], token=agent["token"]), 403)
    r = ctx.get(V1 + "/by-user/" + agent["user"]["id"], token=manager["token"])
    check(len(sb.cc_data(r)) == 1, "manager by-user: %r" % r)
    r = ctx.get(V1 + "?format=csv", token=agent["token"])
    check(len(list(csv.reader(io.StringIO(r.text)))) == 2, "agent CSV: %r" % r.text)
    for path in ("/stats", "/call-volume"):
        expect_cc_error(ctx.get(V1 + path, token=agent["token"]), 403)
    # The call is in the live windows, with its agent.
    s = _stats(ctx, manager["token"], "last=15m")
    check(s["offered"] == 1 and s["answered"] == 1 and s["window"]["kind"] == "last",
          "last 15 minutes: %r" % s)
    ag = [a for a in s["agents"] if a["user_id"] == agent["user"]["id"]]
    check(len(ag) == 1 and ag[0]["handled"] == 1, "per agent: %r" % s["agents"])
    today = _stats(ctx, manager["token"], "")
    check(today["window"]["kind"] == "today" and today["window"]["timezone"] == "UTC"
          and today["offered"] >= 1, "today: %r" % today)


def test_cdr_auth_and_tenants(ctx):
    token, tid, q, *_ = _imported(ctx)
    other, _ = sb.tenant(ctx)
    one = sb.cc_data(ctx.get(V1 + "?page_size=1", token=token))[0]
    for path in ("", "/" + one["id"], "/by-date-range?start=2026-11-20&end=2026-11-21",
                 "/by-user/usr_x", "/by-queue/support", "/stats", "/call-volume"):
        expect_cc_error(ctx.get(V1 + path), 401)
    expect_cc_error(ctx.get(V1 + "/" + one["id"], token=other), 404)
    expect_cc_error(ctx.get(V1 + "/cdr_nope", token=token), 404)
    expect_cc_error(ctx.get(V1 + "/by-queue/support", token=other), 404)
    expect_cc_error(ctx.get(V1 + "/stats?queue_id=" + q["support"], token=other), 404)
    expect_cc_error(ctx.get(V1 + "/call-volume?queue_id=" + q["support"], token=other), 404)
    r = ctx.get(V1 + "?format=csv", token=other)
    check(r.status == 200 and len(list(csv.reader(io.StringIO(r.text)))) == 1,
          "another tenant's export is empty: %r" % r.text)
    s = _stats(ctx, other, "start=%s&end=%s" % (DAY, DAY))
    check(s["offered"] == 0 and s["service_level"] == 0 and s["agents"] == [],
          "another tenant's stats: %r" % s)
    rc, out, err = _import(ctx, "ten_nope", "")
    check(rc != 0 and "no such tenant" in err, "unknown tenant: %r %r" % (out, err))


def test_cdr_csv_export_at_depth(ctx):
    """20,000 CDRs out in one streamed answer (no Content-Length: written as read), a value
    longer than the first buffer (grown, not cut), and the same rows paged as JSON."""
    token, tid = sb.tenant(ctx)
    n = 20000
    tag = uuid.uuid4().hex[:8]
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                " start_time, duration, billsec, disposition) SELECT CONCAT('cdr_%s_', seq),"
                " '%s', 'inbound', CONCAT('+1555', LPAD(seq, 7, '0')), '100',"
                " '2026-11-01 00:00:00' + INTERVAL seq SECOND, 10, 5, 'answered'"
                " FROM seq_1_to_%d" % (tag, tid, n))
    long_name = "N" * 240 + ", \"quoted\""
    long_tags = '["vip", "=x", "%s"]' % ("T" * 3000)
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, caller_name,"
                " called_number, start_time, duration, billsec, disposition, tags) VALUES"
                " ('cdr_%s_long', '%s', 'inbound', '+15559999999', '%s', '100',"
                " '2026-11-02 00:00:00', 1, 0, 'no_answer', '%s')"
                % (tag, tid, long_name.replace('"', '\\"'), long_tags.replace('"', '\\"')))
    t0 = time.time()
    r = ctx.get(V1 + "?format=csv", token=token, timeout=120)
    check(r.status == 200 and "content-length" not in r.headers, "streamed: %r" % r.headers)
    rows = list(csv.reader(io.StringIO(r.text, newline="")))
    check(len(rows) == n + 2, "rows: %d (%.1fs)" % (len(rows), time.time() - t0))
    head = rows[0]
    first = rows[1]
    check(first[head.index("caller_name")] == long_name, "quoted: %r" % first[4][-20:])
    check(first[head.index("tags")] == long_tags, "the long JSON whole: %r" % first[-1][:80])
    starts = [row[head.index("start_time")] for row in rows[1:]]
    check(starts == sorted(starts, reverse=True), "newest first")
    check(rows[-1][head.index("caller_number")] == "'+15550000001", "a + number is protected")
    r = ctx.get(V1 + "?page=1000&page_size=20", token=token)
    check(len(sb.cc_data(r)) == 20 and r.json["meta"]["total_count"] == n + 1,
          "deep page: %r" % r.json["meta"])
    r = ctx.get(V1 + "?format=xml", token=token)
    expect_cc_error(r, 422)


def test_cdr_today_in_tenant_zone(ctx):
    """"Today" starts at midnight in tenants.timezone; an unknown zone reads as UTC."""
    import datetime
    import zoneinfo
    token, tid = sb.tenant(ctx)
    for zone in ("Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu"):
        sb.sql(ctx, "UPDATE tenants SET timezone = '%s' WHERE id = '%s'" % (zone, tid))
        s = _stats(ctx, token, "")
        now = datetime.datetime.now(zoneinfo.ZoneInfo(zone))
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        want = midnight.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        check(s["window"] == dict(s["window"], start=want, kind="today", timezone=zone),
              "%s: %r, want start %s" % (zone, s["window"], want))
    sb.sql(ctx, "UPDATE tenants SET timezone = '../etc/passwd' WHERE id = '%s'" % tid)
    s = _stats(ctx, token, "")
    check(s["window"]["timezone"] == "UTC" and s["window"]["start"].endswith("T00:00:00Z"),
          "unknown zone: %r" % s["window"])


def test_cdr_of_unanswered_calls(ctx):
    """A transfer-service call that ends unanswered writes its CDR too: no_answer for a
    missed call, abandoned for an abandoned one (an inbound call is offered; the wait is
    the whole call), linked back to the call in metadata."""
    token, tid = sb.tenant(ctx)
    ids = {}
    for status in ("missed", "abandoned", "busy"):
        r = ctx.post("/api/calls", {"caller_number": "+15557770001",
                                    "called_number": "+15553334444"}, token=token)
        check(r.status == 201, "call: %r" % r)
        ids[status] = r.json["call"]["id"]
        r = ctx.put("/api/calls/" + ids[status], {"status": status}, token=token)
        check(r.status == 200, "end %s: %r" % (status, r))
        # A repeated end changes nothing and writes no second CDR.
        check(ctx.put("/api/calls/" + ids[status], {"status": status}, token=token).status
              == 200, "repeat")
    rows = sb.cc_data(ctx.get(V1 + "?page_size=10", token=token))
    check(len(rows) == 3, "one CDR per call: %r" % rows)
    by_call = {c["metadata"]["call_id"]: c for c in rows}
    check(by_call[ids["missed"]]["disposition"] == "no_answer"
          and by_call[ids["abandoned"]]["disposition"] == "abandoned"
          and by_call[ids["busy"]]["disposition"] == "busy", "dispositions: %r" % rows)
    for c in rows:
        check(c["answer_time"] is None and c["billsec"] == 0 and c["wait_time"] == c["duration"]
              and c["user_id"] == "" and c["queue_id"] == "", "unanswered CDR: %r" % c)
    s = _stats(ctx, token, "last=15m")
    check(s["offered"] == 3 and s["answered"] == 0 and s["abandoned"] == 1, "stats: %r" % s)


def test_cdr_import_local_times(ctx):
    """--timezone: the file's times are that zone's wall clock (Asterisk's default)."""
    token, tid, q = _setup(ctx)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(
        _row("+15550001", "100", "Queue", "support", "05:00:00", "05:00:08", "05:01:08", 68, 60,
             "ANSWERED", "tz1"))
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as f:
        f.write(out.getvalue())
    os.chmod(path, 0o644)
    try:
        rc, res, err = ctx.admin("import-cdrs", "--tenant", tid, "--timezone", "Mars/Olympus",
                                 path)
        check(rc != 0 and "time zone" in err, "unknown zone: %r %r" % (res, err))
        rc, res, err = ctx.admin("import-cdrs", "--tenant", tid, "--timezone",
                                 "America/New_York", path)
        check(rc == 0 and "imported 1," in res, "import: %r %r" % (res, err))
    finally:
        os.unlink(path)
    c = sb.cc_data(ctx.get(V1, token=token))[0]
    # 05:00 in New York in November (EST, UTC-5) is 10:00 UTC.
    check(c["start_time"] == DAY + "T10:00:00Z" and c["answer_time"] == DAY + "T10:00:08Z",
          "local times: %r" % c)
    s = _stats(ctx, token, "start=%sT10:00:00Z&end=%sT10:15:00Z" % (DAY, DAY))
    check(s["offered"] == 1 and s["answered_in_sl"] == 1, "in the 10:00 bucket: %r" % s)


def test_cdr_list_keyset_cursor(ctx):
    """Pages carry next_cursor; ?after= walks the list by an index range, newest first,
    with ties on start_time broken by id, ending with a null cursor."""
    token, tid = sb.tenant(ctx)
    # 25 CDRs, five of them on the same second
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                " start_time, end_time, duration, disposition) SELECT"
                " CONCAT('cdr_k%s_', LPAD(seq, 3, '0')), '%s', 'inbound', '+15550001111',"
                " '+15550002222', UTC_TIMESTAMP() - INTERVAL GREATEST(seq, 5) MINUTE,"
                " UTC_TIMESTAMP() - INTERVAL GREATEST(seq, 5) MINUTE, 0, 'no_answer'"
                " FROM seq_1_to_25" % (tid[-6:], tid))
    first = ctx.get("/api/v1/cdr?page_size=10", token=token)
    check(first.status == 200 and len(first.json["data"]) == 10, "first page: %r" % first)
    seen = [c["id"] for c in first.json["data"]]
    cursor = first.json.get("next_cursor")
    pages = 1
    while cursor:
        r = ctx.get("/api/v1/cdr?page_size=10&after=%s" % cursor, token=token)
        check(r.status == 200, "page after a cursor: %r" % r)
        seen += [c["id"] for c in r.json["data"]]
        cursor = r.json.get("next_cursor")
        pages += 1
    check(pages == 3 and len(seen) == 25 and len(set(seen)) == 25, "every CDR once: %r" % seen)
    by_offset = []
    for page in (1, 2, 3):
        r = ctx.get("/api/v1/cdr?page_size=10&page=%d" % page, token=token)
        by_offset += [c["id"] for c in r.json["data"]]
    check(seen == by_offset, "the cursor walks the same order as the pages")
    r = ctx.get("/api/v1/cdr?after=bm90LWEtY3Vyc29y", token=token)
    check(r.status == 422, "a made-up cursor: %r" % r)
    r = ctx.get("/api/v1/cdr?after=%s&sort=duration" % first.json["next_cursor"], token=token)
    check(r.status == 422, "a cursor with another order: %r" % r)

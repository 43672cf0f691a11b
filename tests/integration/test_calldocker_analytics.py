"""CallDocker analytics per company: overview, calls per bucket, agents' performance from
the KPI buckets, insights as sentences against the previous window, the CSV export of a
window's CDRs streamed (a large one too); roles and cross-company 404."""
import csv
import io
import uuid

import sb
from sb import check, expect_error

WINDOW = "from=2026-01-08&to=2026-01-14"  # 7 days; the previous 7 are Jan 1..7


def _bucket(ctx, tid, start, **v):
    cols = ", ".join(["tenant_id", "queue_id", "bucket_start"] + list(v))
    vals = ", ".join(["'%s'" % tid, "''", "'%s'" % start] + [str(x) for x in v.values()])
    sb.sql(ctx, "INSERT INTO kpi_queue_buckets (%s) VALUES (%s)" % (cols, vals))


def _cdrs(ctx, tid, n, day="2026-01-10", direction="inbound"):
    sb.sql(ctx, "INSERT INTO cdrs (id, tenant_id, direction, caller_number, called_number,"
                " start_time, duration, billsec, disposition) SELECT CONCAT('cdr_%s_', seq),"
                " '%s', '%s', CONCAT('+1555', LPAD(seq, 7, '0')), '+15550000000',"
                " TIMESTAMP('%s') + INTERVAL seq SECOND, 30, 20, 'answered'"
                " FROM seq_1_to_%d" % (uuid.uuid4().hex[:8], tid, direction, day, n))


def _setup(ctx):
    token, tid = sb.tenant(ctx)
    _bucket(ctx, tid, "2026-01-03 10:00:00", offered=10, answered=6, abandoned=4,
            answer_wait_sum=60, talk_sum=600)
    _bucket(ctx, tid, "2026-01-09 10:00:00", offered=12, answered=7, abandoned=5,
            answer_wait_sum=70, talk_sum=700)
    _bucket(ctx, tid, "2026-01-12 15:15:00", offered=8, answered=4, abandoned=4,
            answer_wait_sum=50, talk_sum=400)
    return token, tid


def _get(ctx, tid, what, token, q=WINDOW):
    return ctx.get("/api/analytics/company/%s/%s?%s" % (tid, what, q), token=token)


def test_overview_calls_and_agents(ctx):
    token, tid = _setup(ctx)
    _cdrs(ctx, tid, 3, day="2026-01-09", direction="outbound")
    r = _get(ctx, tid, "overview", token)
    check(r.status == 200 and r.json["success"] is True, "overview: %r" % r)
    d = r.json["data"]
    check(d["calls_total"] == 20 and d["answered"] == 11 and d["abandoned"] == 9
          and d["outbound_calls"] == 3 and d["chats"] == 0 and d["tickets"] == 0, "%r" % d)
    check(abs(d["asa"] - 120 / 11) < 0.01, "asa: %r" % d["asa"])
    check(d["window"]["start"] == "2026-01-08T00:00:00Z"
          and d["window"]["end"] == "2026-01-15T00:00:00Z", "window: %r" % d["window"])
    r = _get(ctx, tid, "calls", token)
    rows = r.json["data"]
    check(r.status == 200 and r.json["window"]["interval"] == "day", "calls: %r" % r)
    check([(x["bucket"], x["offered"], x["outbound"]) for x in rows]
          == [("2026-01-09", 12, 3), ("2026-01-12", 8, 0)], "days: %r" % rows)
    r = _get(ctx, tid, "calls", token, "from=2026-01-12&to=2026-01-12&interval=hour")
    check([x["bucket"] for x in r.json["data"]] == ["2026-01-12T15:00:00Z"], "hours: %r" % r)
    e = _get(ctx, tid, "calls", token, "interval=week")
    check(e.status == 422 and "interval" in sb.fields(e), "422 interval: %r" % e)
    agent = sb.user(ctx, token, "agent")
    uid = agent["user"]["id"]
    sb.sql(ctx, "INSERT INTO kpi_agent_buckets (tenant_id, user_id, bucket_start, handled,"
                " talk_sum) VALUES ('%s', '%s', '2026-01-09 10:00:00', 5, 500),"
                " ('%s', 'usr_gone', '2026-01-09 10:00:00', 2, 100)" % (tid, uid, tid))
    r = _get(ctx, tid, "agents/performance", token)
    a = r.json["data"]
    check(r.status == 200 and [x["user_id"] for x in a] == [uid, "usr_gone"], "agents: %r" % a)
    check(a[0]["handled"] == 5 and a[0]["talk_time"] == 500 and a[0]["aht"] == 100, "%r" % a)
    # today (the default) and 7d answer.
    for q in ("", "period=7d", "period=30d"):
        check(_get(ctx, tid, "overview", token, q).status == 200, "period %r" % q)


def test_insights_sentences(ctx):
    token, tid = _setup(ctx)
    r = _get(ctx, tid, "insights", token)
    check(r.status == 200, "insights: %r" % r)
    ins = r.json["data"]["insights"]
    texts = [i["text"] for i in ins]
    check(texts[:3] == ["Abandoned calls rose from 4 to 9 (+125%)",
                        "Calls rose from 10 to 20 (+100%)",
                        "Answered calls rose from 6 to 11 (+83%)"], "sentences: %r" % texts)
    check(ins[0]["metric"] == "abandoned" and ins[0]["change_percent"] == 125.0
          and ins[0]["direction"] == "up", "first: %r" % ins[0])
    asa = [i for i in ins if i["metric"] == "asa"][0]
    check(asa["text"] == "Average speed of answer rose from 10s to 11s (+9%)", "asa: %r" % asa)
    check(r.json["data"]["previous_window"]["start"] == "2026-01-01T00:00:00Z", "%r" % r.json)
    # Nothing changed: no insights.
    empty = _get(ctx, tid, "insights", token, "from=2025-06-01&to=2025-06-02")
    check(empty.json["data"]["insights"] == [], "none: %r" % empty)


def test_export_csv_streamed(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    _cdrs(ctx, tid, 20000)
    _cdrs(ctx, tid, 5, day="2026-02-01")     # outside the window
    _cdrs(ctx, other_tid, 5)                 # another company's
    r = _get(ctx, tid, "export", token)
    check(r.status == 200 and r.headers["content-type"].startswith("text/csv"), "%r" % r)
    check("content-length" not in r.headers, "streamed: %r" % r.headers)
    check("cdrs.csv" in r.headers.get("content-disposition", ""), "%r" % r.headers)
    rows = list(csv.reader(io.StringIO(r.text)))
    check(rows[0][0] == "id" and "disposition" in rows[0], "header: %r" % rows[0])
    check(len(rows) == 20001, "rows: %d" % len(rows))
    check(all(x[0].startswith("cdr_") for x in rows[1:]), "ids")
    empty = _get(ctx, tid, "export", token, "from=2025-06-01&to=2025-06-02")
    check(empty.status == 200 and len(list(csv.reader(io.StringIO(empty.text)))) == 1, "empty")
    e = _get(ctx, tid, "export", token, "from=nope")
    check(e.status == 422 and "from" in sb.fields(e), "422: %r" % e)


def test_analytics_roles_and_companies(ctx):
    token, tid = sb.tenant(ctx)
    other, other_tid = sb.tenant(ctx)
    agent = sb.user(ctx, token, "agent")
    for what in ("overview", "calls", "agents/performance", "insights", "export"):
        expect_error(_get(ctx, other_tid, what, token), 404)
        expect_error(_get(ctx, tid, what, agent["token"]), 403)
        expect_error(ctx.get("/api/analytics/company/%s/%s" % (tid, what)), 401)
    e = _get(ctx, tid, "overview", token, "period=year")
    check(e.status == 422 and "period" in sb.fields(e), "422 period: %r" % e)
    e = _get(ctx, tid, "overview", token, "from=2026-01-10&to=2026-01-01")
    check(e.status == 422 and "to" in sb.fields(e), "422 to: %r" % e)
    e = _get(ctx, tid, "overview", token, "period=7d&from=2026-01-01")
    check(e.status == 422 and "period" in sb.fields(e), "422 both: %r" % e)

/*
 * GET /api/calls/analytics: coldcaller's dashboard figures of a period, read from the
 * aggregates the end of each call adds to (outbound_stats, sql/023), never from the calls:
 * its cost is the number of (day, hour, agent, campaign, outcome) buckets in the period.
 *
 * Days are UTC days: period=day is today, week the last 7 days, month the last 30, year
 * the last 365 (today included); dateFrom/dateTo (dates, both included) replace it. Rates
 * are percentages with one decimal; averageCallDuration is over every ended call (start to
 * end); quality averages are over calls that reported quality (each call's mean once).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "outbound.h"
#include "qb.h"
#include "request.h"
#include "routes.h"
#include "validate.h"

static const char *const periods[] = {"day", "week", "month", "year", NULL};

struct window {
    const char *name;
    long long from_day, to_day; /* days since 1970, to excluded */
    const char *agent, *campaign;
};

static int window_of(struct request *r, struct window *w)
{
    static const int days[] = {1, 7, 30, 365};
    long long today = (long long)time(NULL) / 86400, from = 0, to = 0;
    const char *asked = NULL;
    if (query_enum(r, "period", periods, &asked) < 0)
        return request_check_fields(r);
    w->name = asked ? asked : "month";
    size_t i = 0;
    while (strcmp(periods[i], w->name) != 0)
        i++;
    w->from_day = today - days[i] + 1;
    w->to_day = today + 1;
    int hf = cdr_query_time(r, "dateFrom", false, &from);
    int ht = cdr_query_time(r, "dateTo", true, &to);
    if (hf < 0 || ht < 0)
        return request_check_fields(r);
    if (hf > 0)
        w->from_day = from / 86400;
    if (ht > 0)
        w->to_day = (to + 86399) / 86400;
    if (w->to_day <= w->from_day || w->to_day - w->from_day > 3660) {
        request_field_error(r, "dateTo", "must be after dateFrom, within ten years");
        return request_check_fields(r);
    }
    if (hf > 0 || ht > 0)
        w->name = "custom";
    w->agent = request_query(r, "agentId");
    w->campaign = request_query(r, "campaignId");
    if (w->agent && (*w->agent == '\0' || strlen(w->agent) > 64))
        w->agent = NULL;
    if (w->campaign && (*w->campaign == '\0' || strlen(w->campaign) > 64))
        w->campaign = NULL;
    return 0;
}

/* SELECT `what` over the window's buckets [GROUP BY … ORDER BY …] (tail). */
static int window_query(struct request *r, const struct window *w, const char *what,
                        const char *tail, struct db_result **out)
{
    struct qb q;
    qb_init(&q, r->arena);
    qb_add(&q, what);
    qb_addv(&q, " FROM outbound_stats WHERE tenant_id = ?"
                " AND day >= DATE(FROM_UNIXTIME(?)) AND day < DATE(FROM_UNIXTIME(?))",
            DB_STR(r->auth.tenant_id), DB_INT(w->from_day * 86400), DB_INT(w->to_day * 86400));
    if (w->agent)
        qb_addv(&q, " AND agent_ref = ?", DB_STR(w->agent));
    if (w->campaign)
        qb_addv(&q, " AND campaign_id = ?", DB_STR(w->campaign));
    if (tail)
        qb_add(&q, tail);
    return qb_exec(&q, r->db, out);
}

static double pct(long long part, long long whole)
{
    return whole > 0 ? outbound_round(100.0 * (double)part / (double)whole, 1) : 0;
}

static double mean(double sum, long long n, int decimals)
{
    return n > 0 ? outbound_round(sum / (double)n, decimals) : 0;
}

static double dbl(const struct db_result *res, size_t row, const char *name)
{
    const char *v = db_get(res, row, name);
    return v ? strtod(v, NULL) : 0;
}

#define SUMS                                                                               \
    "SELECT COALESCE(SUM(calls), 0) AS calls, COALESCE(SUM(connected), 0) AS connected,"   \
    " COALESCE(SUM(recorded), 0) AS recorded, COALESCE(SUM(conversions), 0) AS conversions," \
    " COALESCE(SUM(duration_sum), 0) AS duration"

/* The figures of one row of SUMS: a summary, an agent's, a campaign's. */
static int figures(struct json_object *o, const struct db_result *res, size_t i)
{
    long long calls = db_get_int(res, i, "calls", 0), conn = db_get_int(res, i, "connected", 0);
    long long conv = db_get_int(res, i, "conversions", 0);
    long long dur = db_get_int(res, i, "duration", 0);
    char hms[24];
    outbound_hms(hms, sizeof(hms), calls > 0 ? (dur + calls / 2) / calls : 0);
    return json_set_int(o, "total_calls", calls) | json_set_int(o, "connected_calls", conn) |
           json_set_int(o, "recorded_calls", db_get_int(res, i, "recorded", 0)) |
           json_set_int(o, "conversions", conv) | json_set_str(o, "average_call_duration", hms) |
           json_set_double(o, "conversion_rate", pct(conv, calls)) |
           json_set_double(o, "connection_rate", pct(conn, calls));
}

static int summary_quality(struct request *r, const struct window *w, struct json_object *out)
{
    struct db_result *res;
    int rc = window_query(r, w,
                          SUMS ", COALESCE(SUM(quality_n), 0) AS qn,"
                               " COALESCE(SUM(latency_sum), 0) AS lat,"
                               " COALESCE(SUM(jitter_sum), 0) AS jit,"
                               " COALESCE(SUM(packet_loss_sum), 0) AS pl,"
                               " COALESCE(SUM(mos_sum), 0) AS mos",
                          NULL, &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *s = json_object_new_object(), *q = json_object_new_object();
    long long n = db_get_int(res, 0, "qn", 0), calls = db_get_int(res, 0, "calls", 0);
    long long days = w->to_day - w->from_day;
    struct json_object *t = json_object_new_object();
    int e = json_add(out, "summary", s) | json_add(out, "quality", q) |
            json_add(out, "trends", t) | figures(s, res, 0);
    /* Written camelCase already: "averageMOS" is not what camelCasing average_mos gives. */
    e |= json_set_double(q, "averageLatency", mean(dbl(res, 0, "lat"), n, 1)) |
         json_set_double(q, "averageJitter", mean(dbl(res, 0, "jit"), n, 1)) |
         json_set_double(q, "averagePacketLoss", mean(dbl(res, 0, "pl"), n, 2)) |
         json_set_double(q, "averageMOS", mean(dbl(res, 0, "mos"), n, 2)) |
         json_set_int(q, "reportingCalls", n) |
         json_set_double(t, "calls_per_day", mean((double)calls, days, 2));
    return e ? DB_ERROR : DB_OK;
}

static int outcomes_trends(struct request *r, const struct window *w, struct json_object *out)
{
    struct db_result *oc, *hours;
    int rc = window_query(r, w, "SELECT outcome, SUM(calls) AS n",
                          " AND outcome <> '' GROUP BY outcome ORDER BY outcome", &oc);
    if (rc == DB_OK)
        rc = window_query(r, w, "SELECT hour, SUM(calls) AS calls",
                          " GROUP BY hour ORDER BY SUM(calls) DESC, hour LIMIT 3", &hours);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = json_object_new_object(), *t, *peaks = json_object_new_array();
    int e = json_add(out, "outcomes", o);
    for (size_t i = 0; e == 0 && i < oc->nrows; i++)
        e = json_set_int(o, db_get(oc, i, "outcome"), db_get_int(oc, i, "n", 0));
    if (!json_object_object_get_ex(out, "trends", &t) || json_add(t, "peak_hours", peaks) != 0)
        return DB_ERROR;
    for (size_t i = 0; e == 0 && i < hours->nrows; i++) {
        struct json_object *h = json_object_new_object();
        e = json_push(peaks, h) | json_set_int(h, "hour", db_get_int(hours, i, "hour", 0)) |
            json_set_int(h, "calls", db_get_int(hours, i, "calls", 0));
    }
    return e ? DB_ERROR : DB_OK;
}

/* agents[] or campaigns[]: the figures per agent_ref / campaign_id, most calls first. */
static int per_key(struct request *r, const struct window *w, const char *col,
                   const char *name, const char *id_key, struct json_object *out)
{
    struct db_result *res;
    const char *what = arena_printf(r->arena, SUMS ", %s AS k", col);
    const char *tail = arena_printf(r->arena,
                                    " AND %s <> '' GROUP BY %s ORDER BY SUM(calls) DESC, %s"
                                    " LIMIT 100", col, col, col);
    if (what == NULL || tail == NULL)
        return DB_ERROR;
    /* Interned by qb: the texts are one of two fixed shapes, never input. */
    int rc = window_query(r, w, what, tail, &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *arr = json_object_new_array();
    int e = json_add(out, name, arr);
    for (size_t i = 0; e == 0 && i < res->nrows; i++) {
        struct json_object *a = json_object_new_object();
        e = json_push(arr, a) | json_set_str(a, id_key, db_get(res, i, "k")) | figures(a, res, i);
    }
    return e ? DB_ERROR : DB_OK;
}

static int calls_analytics(struct request *r)
{
    struct window w;
    if (window_of(r, &w) != 0)
        return -1;
    struct json_object *out = arena_json(r->arena, json_object_new_object());
    struct json_object *per = json_object_new_object();
    char from[16], to[16];
    time_t f = (time_t)(w.from_day * 86400), t = (time_t)((w.to_day - 1) * 86400);
    struct tm tf, tt;
    strftime(from, sizeof(from), "%Y-%m-%d", gmtime_r(&f, &tf));
    strftime(to, sizeof(to), "%Y-%m-%d", gmtime_r(&t, &tt));
    if (json_add(out, "period", per) | json_set_str(per, "name", w.name) |
        json_set_str(per, "date_from", from) | json_set_str(per, "date_to", to) |
        json_set_int(per, "days", w.to_day - w.from_day))
        return request_oom(r);
    int rc = summary_quality(r, &w, out);
    if (rc == DB_OK)
        rc = outcomes_trends(r, &w, out);
    if (rc == DB_OK)
        rc = per_key(r, &w, "agent_ref", "agents", "agent_id", out);
    if (rc == DB_OK)
        rc = per_key(r, &w, "campaign_id", "campaigns", "campaign_id", out);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_one(r, 200, NULL, out);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/calls/analytics", calls_analytics, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Outbound analytics of a period, from the aggregates"),
};

ROUTE_GROUP(outbound_analytics_routes, routes);

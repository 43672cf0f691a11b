/*
 * Analytics per company (calldocker): the overview of a window, calls per hour or day, and
 * per-agent performance. Calls come from the 15-minute KPI buckets the CDR writer keeps
 * (cdr_stats.c reads them; sql/011), outbound calls from the CDRs, chats and tickets from
 * their tables. Staff of the company, or a super_admin (company_scope).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cd_analytics.h"
#include "cdr_store.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "router.h"
#include "routes.h"
#include "validate.h"

#define DAY 86400LL

static const char *const periods[] = {"today", "7d", "30d", NULL};

/* The window from the query (no company yet): 0 or -1 with the 422 reasons recorded. */
static int period_query(struct request *r, struct cd_period *p, long long now, int *today)
{
    const char *name = NULL;
    long long from = 0, to = 0;
    int hp = query_enum(r, "period", periods, &name);
    int hf = cdr_query_time(r, "from", false, &from);
    int ht = cdr_query_time(r, "to", true, &to);
    if (hp == 1 && (hf == 1 || ht == 1))
        request_field_error(r, "period", "give either period or from and to");
    if (ht == 1 && hf != 1)
        request_field_error(r, "from", "is required with to");
    if (hf == 1 && ht == 1 && to <= from)
        request_field_error(r, "to", "must be after from");
    if (request_check_fields(r) != 0)
        return -1;
    *today = 0;
    p->to = now + 1;
    if (hf == 1) {
        p->name = "range";
        p->from = from;
        p->to = ht == 1 ? to : now + 1;
    } else if (name != NULL && strcmp(name, "today") != 0) {
        p->name = name;
        p->from = now - (strcmp(name, "7d") == 0 ? 7 : 30) * DAY;
    } else {
        p->name = "today";
        *today = 1;
    }
    return 0;
}

int cd_period_read(struct request *r, struct cd_period *p)
{
    long long now = (long long)time(NULL);
    int today;
    if (company_scope(r) != 0 || period_query(r, p, now, &today) != 0)
        return -1;
    if (today) {
        int rc = cdr_stats_day_start(r, now, &p->from);
        if (rc != DB_OK)
            return request_db_error(r, rc);
    }
    p->from = cdr_bucket_of(p->from);
    p->to = cdr_bucket_of(p->to + CDR_BUCKET_SECONDS - 1);
    return 0;
}

struct json_object *cd_period_json(struct request *r, const struct cd_period *p)
{
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_utc(o, "start", p->from) || json_set_utc(o, "end", p->to) ||
        json_set_str(o, "period", p->name))
        return NULL;
    return o;
}

/* Chats started and tickets opened in the window, outbound calls made. */
#define OTHER_COUNTS                                                                       \
    "SELECT (SELECT COUNT(*) FROM chat_sessions WHERE tenant_id = ?"                       \
    " AND started_at >= FROM_UNIXTIME(?) AND started_at < FROM_UNIXTIME(?)) AS chats,"     \
    " (SELECT COUNT(*) FROM tickets WHERE tenant_id = ? AND created_at >= FROM_UNIXTIME(?)" \
    " AND created_at < FROM_UNIXTIME(?)) AS tickets,"                                      \
    " (SELECT COUNT(*) FROM cdrs WHERE tenant_id = ? AND direction = 'outbound'"           \
    " AND start_time >= FROM_UNIXTIME(?) AND start_time < FROM_UNIXTIME(?)) AS outbound"

int cd_overview(struct request *r, const struct cd_period *p, struct json_object **out)
{
    struct db_result *res;
    const char *t = r->auth.tenant_id;
    int rc = cdr_stats_sums(r, p->from, p->to, out);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, OTHER_COUNTS,
                     DB_PARAMS(DB_STR(t), DB_INT(p->from), DB_INT(p->to), DB_STR(t),
                               DB_INT(p->from), DB_INT(p->to), DB_STR(t), DB_INT(p->from),
                               DB_INT(p->to)),
                     &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *offered = json_object_object_get(*out, "offered");
    if (json_set_int(*out, "calls_total", json_object_get_int64(offered)) ||
        json_set_int(*out, "outbound_calls", db_get_int(res, 0, "outbound", 0)) ||
        json_set_int(*out, "chats", db_get_int(res, 0, "chats", 0)) ||
        json_set_int(*out, "tickets", db_get_int(res, 0, "tickets", 0)))
        return DB_ERROR;
    return DB_OK;
}

static int overview_get(struct request *r)
{
    struct cd_period p;
    struct json_object *o;
    if (cd_period_read(r, &p) != 0)
        return -1;
    int rc = cd_overview(r, &p, &o);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (json_set(o, "window", json_object_get(cd_period_json(r, &p))) != 0)
        return request_oom(r);
    return reply_one(r, 200, "overview", o);
}

/* Offered, answered and abandoned (KPI buckets) and outbound (CDRs) per hour or day. */
#define CALLS_SERIES                                                                       \
    "SELECT b AS bucket, SUM(offered) AS offered, SUM(answered) AS answered,"              \
    " SUM(abandoned) AS abandoned, SUM(outbound) AS outbound FROM ("                       \
    "SELECT DATE_FORMAT(bucket_start, ?) AS b, offered, answered, abandoned, 0 AS outbound"  \
    " FROM kpi_queue_buckets WHERE tenant_id = ? AND bucket_start >= FROM_UNIXTIME(?)"     \
    " AND bucket_start < FROM_UNIXTIME(?) UNION ALL SELECT DATE_FORMAT(start_time, ?),"    \
    " 0, 0, 0, 1 FROM cdrs WHERE tenant_id = ? AND direction = 'outbound'"                 \
    " AND start_time >= FROM_UNIXTIME(?) AND start_time < FROM_UNIXTIME(?)) x"             \
    " GROUP BY b ORDER BY b"

static const char *const intervals[] = {"hour", "day", NULL};

static int calls_get(struct request *r)
{
    struct cd_period p;
    const char *interval = NULL;
    struct db_result *res;
    /* A bad interval is recorded here and answered with the window's 422s. */
    query_enum(r, "interval", intervals, &interval);
    if (cd_period_read(r, &p) != 0)
        return -1;
    if (interval == NULL)
        interval = p.to - p.from <= 2 * DAY ? "hour" : "day";
    const char *fmt = strcmp(interval, "hour") == 0 ? "%Y-%m-%dT%H:00:00Z" : "%Y-%m-%d";
    const char *t = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena, CALLS_SERIES,
                     DB_PARAMS(DB_STR(fmt), DB_STR(t), DB_INT(p.from), DB_INT(p.to),
                               DB_STR(fmt), DB_STR(t), DB_INT(p.from), DB_INT(p.to)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *arr = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    struct json_object *win = cd_period_json(r, &p);
    if (arr == NULL || win == NULL || json_set_str(win, "interval", interval) ||
        reply_one(r, 200, "calls", arr) != 0 || reply_set(r, "window", json_object_get(win)))
        return request_oom(r);
    return 0;
}

static int by_handled(const void *a, const void *b)
{
    struct json_object *x = *(struct json_object *const *)a, *y = *(struct json_object *const *)b;
    long long hx = json_object_get_int64(json_object_object_get(x, "handled"));
    long long hy = json_object_get_int64(json_object_object_get(y, "handled"));
    return hx < hy ? 1 : hx > hy ? -1 : 0;
}

static int agents_get(struct request *r)
{
    struct cd_period p;
    struct json_object *arr;
    if (cd_period_read(r, &p) != 0)
        return -1;
    int rc = cdr_stats_agents(r, p.from, p.to, &arr);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    json_object_array_sort(arr, by_handled);
    struct json_object *win = cd_period_json(r, &p);
    if (win == NULL || reply_one(r, 200, "agents", arr) != 0 ||
        reply_set(r, "window", json_object_get(win)))
        return request_oom(r);
    return 0;
}

#define CD_ROUTE(p, h, s, k)                                                               \
    ROUTE("GET", "/api/analytics/company/:companyId" p, h, ROLES_STAFF, FAM_CALLDOCKER,   \
          .summary = s, .key = k)

static const struct route routes[] = {
    CD_ROUTE("/overview", overview_get,
             "Calls, answered, abandoned, service level, ASA, AHT, chats, tickets", "overview"),
    CD_ROUTE("/calls", calls_get, "Calls per hour or day", "calls"),
    CD_ROUTE("/agents/performance", agents_get, "Calls handled, talk time, AHT per agent",
             "agents"),
};

ROUTE_GROUP(cd_analytics_routes, routes);

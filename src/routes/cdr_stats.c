/*
 * The windowed KPIs of the CDRs: GET /api/cdr/stats and /api/cdr/call-volume, read from
 * the 15-minute buckets the CDR writer keeps (cdr_store.h), never from the CDRs: a window
 * costs a few rows per queue and quarter hour whether the tenant has a thousand CDRs or a
 * million. So windows are whole buckets: a window's start is rounded down and its end up
 * to a quarter hour (UTC), and the answer says the window it really covers.
 *
 * Windows: `last=15m|30m|60m` (the buckets from now minus that, rounded down, to now),
 * `start`/`end`, or by default today in the tenant's time zone (tenants.timezone).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "cdr_store.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "validate.h"

struct window {
    long long from, to; /* bucket starts: from <= bucket_start < to */
    const char *kind;   /* today, last, range */
    const char *timezone;
};

/* An IANA name the system knows (a file under /usr/share/zoneinfo), else NULL. */
static const char *known_zone(const char *tz)
{
    char path[160];
    if (tz == NULL || tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
        strlen(tz) > 64)
        return NULL;
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) == 0 ? tz : NULL;
}

/*
 * Midnight of now's day in zone tz, as Unix seconds. The pool serves one request at a
 * time per process, so TZ is switched for the computation and put back.
 */
static long long day_start(const char *tz, long long now)
{
    const char *old = getenv("TZ");
    char saved[128] = "";
    if (old != NULL)
        snprintf(saved, sizeof(saved), "%s", old);
    setenv("TZ", tz, 1);
    tzset();
    time_t t = (time_t)now;
    struct tm lt;
    long long start = now - now % 86400;
    if (localtime_r(&t, &lt) != NULL) {
        lt.tm_hour = lt.tm_min = lt.tm_sec = 0;
        lt.tm_isdst = -1;
        time_t s = mktime(&lt);
        if (s != (time_t)-1)
            start = (long long)s;
    }
    if (old != NULL)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    return start;
}

static long long bucket_ceil(long long t)
{
    long long b = cdr_bucket_of(t);
    return b == t ? b : b + CDR_BUCKET_SECONDS;
}

/* The window of the query; the tenant's zone for today. 0, or -1 answered (422/5xx). */
static int read_window(struct request *r, struct window *w)
{
    static const char *const lasts[] = {"15m", "30m", "60m", NULL};
    const char *last = NULL;
    long long start = 0, end = 0, now = (long long)time(NULL);
    int hl = query_enum(r, "last", lasts, &last);
    int hs = cdr_query_time(r, "start", false, &start);
    int he = cdr_query_time(r, "end", true, &end);
    if (hl == 1 && (hs != 0 || he != 0))
        request_field_error(r, "last", "give either last or start and end");
    if (hs == 1 && he == 1 && end <= start)
        request_field_error(r, "end", "must be after start");
    if (he == 1 && hs == 0)
        request_field_error(r, "start", "is required with end");
    if (request_check_fields(r) != 0)
        return -1;
    w->to = bucket_ceil(he == 1 ? end : now + 1);
    if (hl == 1) {
        w->kind = "last";
        w->from = cdr_bucket_of(now - atoll(last) * 60);
        return 0;
    }
    if (hs == 1) {
        w->kind = "range";
        w->from = cdr_bucket_of(start);
        return 0;
    }
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT timezone FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    const char *tz = known_zone(db_get(res, 0, "timezone"));
    w->kind = "today";
    w->timezone = tz ? tz : "UTC";
    w->from = cdr_bucket_of(day_start(w->timezone, now));
    return 0;
}

static struct json_object *window_json(const struct window *w)
{
    struct json_object *o = json_object_new_object();
    if (o == NULL || json_set_utc(o, "start", w->from) || json_set_utc(o, "end", w->to) ||
        json_set_str(o, "kind", w->kind) ||
        (w->timezone && json_set_str(o, "timezone", w->timezone))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* ?queue_id=: a queue of the tenant (1 with *id), absent (0), or answered 404/5xx (-1). */
static int read_queue(struct request *r, const char **id)
{
    const char *q = request_query(r, "queue_id");
    struct db_result *res = NULL;
    *id = NULL;
    if (q == NULL || q[0] == '\0')
        return 0;
    int rc = strlen(q) > 64 || validate_text(q, strlen(q)) != 0
                 ? 1
                 : db_exec(r->db, r->arena, "SELECT id FROM queues WHERE tenant_id = ? AND id = ?",
                           DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(q)), &res);
    if (rc < 0)
        return request_db_error(r, rc);
    if (rc == 1 || res->nrows == 0)
        return request_error(r, 404, "not_found", "Queue not found");
    *id = q;
    return 1;
}

/* ---- stats ----------------------------------------------------------------------------- */

#define SUMS                                                                                 \
    "SELECT COALESCE(SUM(offered), 0) AS offered, COALESCE(SUM(answered), 0) AS answered,"  \
    " COALESCE(SUM(abandoned), 0) AS abandoned,"                                            \
    " COALESCE(SUM(short_abandoned), 0) AS short_abandoned,"                                \
    " COALESCE(SUM(answered_in_sl), 0) AS answered_in_sl,"                                  \
    " COALESCE(SUM(overflowed), 0) AS overflowed, COALESCE(SUM(wait_sum), 0) AS wait_sum,"  \
    " COALESCE(MAX(wait_max), 0) AS wait_max,"                                              \
    " COALESCE(SUM(answer_wait_sum), 0) AS answer_wait_sum,"                                \
    " COALESCE(SUM(talk_sum), 0) AS talk_sum, COALESCE(SUM(hold_sum), 0) AS hold_sum,"      \
    " COALESCE(SUM(wrapup_sum), 0) AS wrapup_sum FROM kpi_queue_buckets WHERE tenant_id = ?"

static int load_sums(struct request *r, const struct window *w, const char *queue,
                     struct cdr_kpi_sums *s)
{
    struct db_result *res;
    int rc = queue != NULL
                 ? db_exec(r->db, r->arena,
                           SUMS " AND queue_id = ? AND bucket_start >= FROM_UNIXTIME(?)"
                                " AND bucket_start < FROM_UNIXTIME(?)",
                           DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue), DB_INT(w->from),
                                     DB_INT(w->to)),
                           &res)
                 : db_exec(r->db, r->arena,
                           SUMS " AND bucket_start >= FROM_UNIXTIME(?)"
                                " AND bucket_start < FROM_UNIXTIME(?)",
                           DB_PARAMS(DB_STR(r->auth.tenant_id), DB_INT(w->from), DB_INT(w->to)),
                           &res);
    if (rc != DB_OK)
        return rc;
#define GET(f) s->f = db_get_int(res, 0, #f, 0)
    GET(offered), GET(answered), GET(abandoned), GET(short_abandoned), GET(answered_in_sl);
    GET(overflowed), GET(wait_sum), GET(wait_max), GET(answer_wait_sum), GET(talk_sum);
    GET(hold_sum), GET(wrapup_sum);
#undef GET
    return DB_OK;
}

static struct json_object *sums_json(const struct cdr_kpi_sums *s)
{
    struct cdr_kpi_figures f;
    cdr_kpi_figures(s, &f);
    struct json_object *o = json_object_new_object();
    if (o == NULL || json_set_int(o, "offered", s->offered) ||
        json_set_int(o, "answered", s->answered) || json_set_int(o, "abandoned", s->abandoned) ||
        json_set_int(o, "short_abandoned", s->short_abandoned) ||
        json_set_int(o, "answered_in_sl", s->answered_in_sl) ||
        json_set_int(o, "overflowed", s->overflowed) ||
        json_set_double(o, "abandonment_rate", f.abandonment_rate) ||
        json_set_double(o, "service_level", f.service_level) ||
        json_set_double(o, "asa", f.asa) || json_set_double(o, "avg_wait", f.avg_wait) ||
        json_set_int(o, "longest_wait", s->wait_max) || json_set_double(o, "aht", f.aht) ||
        json_set_int(o, "talk_time", s->talk_sum) || json_set_int(o, "hold_time", s->hold_sum) ||
        json_set_int(o, "wrapup_time", s->wrapup_sum)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* Per agent: handled and AHT over the window (agents' buckets are not per queue). */
static int agents_json(struct request *r, const struct window *w, struct json_object **out)
{
    struct db_result *res;
    int rc = db_exec(
        r->db, r->arena,
        "SELECT b.user_id, COALESCE(CONCAT_WS(' ', u.first_name, u.last_name), '') AS name,"
        " SUM(b.handled) AS handled, SUM(b.talk_sum) AS talk_time,"
        " SUM(b.hold_sum) AS hold_time, SUM(b.wrapup_sum) AS wrapup_time,"
        /* closed staffed intervals, plus the one still open, clipped to the window */
        " ROUND((SUM(b.staffed_ms) + COALESCE((SELECT GREATEST(0, TIMESTAMPDIFF(MICROSECOND,"
        " GREATEST(a.presence_since, FROM_UNIXTIME(?)), LEAST(NOW(3), FROM_UNIXTIME(?)))"
        " DIV 1000) FROM agent_states a WHERE a.tenant_id = b.tenant_id"
        " AND a.user_id = b.user_id AND a.presence IN ('available','away')), 0)) / 1000)"
        " AS staffed_time"
        " FROM kpi_agent_buckets b"
        " LEFT JOIN users u ON u.tenant_id = b.tenant_id AND u.id = b.user_id"
        " WHERE b.tenant_id = ? AND b.bucket_start >= FROM_UNIXTIME(?)"
        " AND b.bucket_start < FROM_UNIXTIME(?) GROUP BY b.user_id, u.first_name, u.last_name"
        " ORDER BY b.user_id",
        DB_PARAMS(DB_INT(w->from), DB_INT(w->to), DB_STR(r->auth.tenant_id), DB_INT(w->from),
                  DB_INT(w->to)),
        &res);
    if (rc != DB_OK)
        return rc;
    *out = db_rows_json(res, res->nrows, NULL);
    for (size_t i = 0; *out != NULL && i < res->nrows; i++) {
        struct json_object *a = json_object_array_get_idx(*out, i);
        long long talk = db_get_int(res, i, "talk_time", 0);
        long long wrapup = db_get_int(res, i, "wrapup_time", 0);
        if (json_set_double(a, "aht", cdr_kpi_aht(db_get_int(res, i, "handled", 0), talk,
                                                  db_get_int(res, i, "hold_time", 0), wrapup)) ||
            json_set_double(a, "occupancy",
                            cdr_kpi_occupancy(talk, wrapup,
                                              db_get_int(res, i, "staffed_time", 0))))
            return DB_ERROR;
    }
    return *out != NULL ? DB_OK : DB_ERROR;
}

static int cdr_stats(struct request *r)
{
    struct window w = {0};
    const char *queue;
    struct cdr_kpi_sums s;
    struct json_object *agents = NULL;
    if (read_window(r, &w) != 0 || read_queue(r, &queue) < 0)
        return -1;
    int rc = load_sums(r, &w, queue, &s);
    if (rc == DB_OK)
        rc = agents_json(r, &w, &agents);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, sums_json(&s));
    if (o == NULL || json_set(o, "agents", agents) || json_set(o, "window", window_json(&w)) ||
        json_set_str(o, "queue_id", queue ? queue : ""))
        return request_oom(r);
    return reply_one(r, 200, "stats", o);
}

/* ---- call volume ------------------------------------------------------------------------- */

/* Per hour (the default), or per 15-minute bucket with each bucket's service level
 * (answered in SL over offered less short abandons, as in sums_json; null with none). */
static const char *const call_volume_sql[] = {
    "SELECT DATE_FORMAT(bucket_start, '%Y-%m-%dT%H:00:00Z') AS hour,"
    " SUM(offered) AS offered, SUM(answered) AS answered, SUM(abandoned) AS abandoned"
    " FROM kpi_queue_buckets WHERE tenant_id = ? AND (? IS NULL OR queue_id = ?)"
    " AND bucket_start >= FROM_UNIXTIME(?) AND bucket_start < FROM_UNIXTIME(?)"
    " GROUP BY hour ORDER BY hour",
    "SELECT DATE_FORMAT(bucket_start, '%Y-%m-%dT%H:%i:00Z') AS start,"
    " SUM(offered) AS offered, SUM(answered) AS answered, SUM(abandoned) AS abandoned,"
    " ROUND(SUM(answered_in_sl) / NULLIF(SUM(offered) - SUM(short_abandoned), 0), 4)"
    " AS service_level"
    " FROM kpi_queue_buckets WHERE tenant_id = ? AND (? IS NULL OR queue_id = ?)"
    " AND bucket_start >= FROM_UNIXTIME(?) AND bucket_start < FROM_UNIXTIME(?)"
    " GROUP BY start ORDER BY start",
};

static int cdr_call_volume(struct request *r)
{
    struct window w = {0};
    const char *queue, *interval = request_query(r, "interval");
    struct db_result *res;
    int quarter = interval != NULL && strcmp(interval, "15m") == 0;
    if (interval != NULL && !quarter && strcmp(interval, "hour") != 0) {
        request_field_error(r, "interval", "must be hour or 15m");
        return request_check_fields(r);
    }
    if (read_window(r, &w) != 0 || read_queue(r, &queue) < 0)
        return -1;
    /* NULL queue: every queue's rows (and '' ones); the text is one, so one statement. */
    int rc = db_exec(r->db, r->arena, call_volume_sql[quarter],
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue), DB_STR(queue),
                               DB_INT(w.from), DB_INT(w.to)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *arr = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    if (arr == NULL || reply_one(r, 200, "call_volume", arr) != 0)
        return request_oom(r);
    struct json_object *win = window_json(&w);
    return win != NULL && reply_set(r, "window", win) == 0 ? 0 : request_oom(r);
}

/* ---- for the calldocker analytics (routes.h) --------------------------------------------- */

int cdr_stats_sums(struct request *r, long long from, long long to, struct json_object **out)
{
    struct window w = {.from = from, .to = to};
    struct cdr_kpi_sums s;
    int rc = load_sums(r, &w, NULL, &s);
    if (rc == DB_OK && (*out = arena_json(r->arena, sums_json(&s))) == NULL)
        rc = DB_ERROR;
    return rc;
}

int cdr_stats_agents(struct request *r, long long from, long long to, struct json_object **out)
{
    struct window w = {.from = from, .to = to};
    int rc = agents_json(r, &w, out);
    if (rc == DB_OK && arena_json(r->arena, *out) == NULL)
        rc = DB_ERROR;
    return rc;
}

int cdr_stats_day_start(struct request *r, long long now, long long *start)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT timezone FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    const char *tz = known_zone(db_get(res, 0, "timezone"));
    *start = day_start(tz ? tz : "UTC", now);
    return DB_OK;
}

static const struct route routes[] = {
    ROUTE("GET", "/api/cdr/stats", cdr_stats, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "KPIs of a window, from the 15-minute buckets", .key = "stats"),
    ROUTE("GET", "/api/cdr/call-volume", cdr_call_volume, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "Calls offered, answered and abandoned per hour", .key = "call_volume"),
};

ROUTE_GROUP(cdr_stats_routes, routes);

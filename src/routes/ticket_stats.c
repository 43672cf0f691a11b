/*
 * Tickets' figures over a range, and the tenant's SLA targets per priority (the source of
 * every ticket's first-response and resolution due times: ticket_store.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "ticket_store.h"
#include "txn.h"

#define DEFAULT_RANGE_SECONDS (30LL * 86400)
#define SLA_MAX_MINUTES 525600

static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
static const char *const statuses[] = {"open",     "pending", "in_progress", "on_hold",
                                       "resolved", "closed",  NULL};

/* An object with a 0 member per name. */
static struct json_object *zeroes(const char *const *names)
{
    struct json_object *o = json_object_new_object();
    int rc = 0;
    for (size_t i = 0; names[i] != NULL; i++)
        rc |= json_set_int(o, names[i], 0);
    return json_done(o, rc);
}

static void bump(struct json_object *o, const char *key, long long n)
{
    struct json_object *v;
    if (key != NULL && json_object_object_get_ex(o, key, &v))
        json_object_set_int64(v, json_object_get_int64(v) + n);
}

/* sum / n seconds, or null when n is 0. */
static int set_avg(struct json_object *o, const char *key, double sum, long long n)
{
    if (n <= 0)
        return json_set(o, key, NULL);
    return json_set_double(o, key, sum / (double)n);
}

/* A SUM() cell (a DECIMAL's text, NULL over no rows) as a number. */
static double sum_of(const struct db_result *res, size_t row, const char *col)
{
    const char *v = db_get(res, row, col);
    return v != NULL ? strtod(v, NULL) : 0;
}

/* Tickets created in the range, by their status now and by priority, with their first
 * responses and breaches. */
static int created_figures(struct request *r, long long from, long long to, struct json_object *o)
{
    struct db_result *res;
    int rc = db_exec(
        r->db, r->arena,
        "SELECT status, priority, COUNT(*) AS n,"
        " SUM(first_response_breached_at IS NOT NULL) AS frb,"
        " SUM(resolution_breached_at IS NOT NULL) AS rb,"
        " SUM(TIMESTAMPDIFF(SECOND, created_at, first_response_at)) AS frt,"
        " COUNT(first_response_at) AS frn FROM tickets WHERE tenant_id = ?"
        " AND created_at >= FROM_UNIXTIME(?) AND created_at < FROM_UNIXTIME(?)"
        " GROUP BY status, priority",
        DB_PARAMS(DB_STR(r->auth.tenant_id), DB_INT(from), DB_INT(to)), &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *by_status = zeroes(statuses), *by_priority = zeroes(priorities);
    long long n = 0, frb = 0, rb = 0, frn = 0;
    double frt = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        long long k = db_get_int(res, i, "n", 0);
        bump(by_status, db_get(res, i, "status"), k);
        bump(by_priority, db_get(res, i, "priority"), k);
        n += k;
        frb += db_get_int(res, i, "frb", 0);
        rb += db_get_int(res, i, "rb", 0);
        frn += db_get_int(res, i, "frn", 0);
        frt += sum_of(res, i, "frt");
    }
    int jr = json_add(o, "by_status", by_status) | json_add(o, "by_priority", by_priority) |
             json_set_int(o, "created", n) | json_set_int(o, "first_response_breached", frb) |
             json_set_int(o, "resolution_breached", rb) | json_set_int(o, "first_responses", frn) |
             set_avg(o, "avg_first_response_seconds", frt, frn);
    return jr ? DB_ERROR : DB_OK;
}

/* Tickets resolved in the range (whenever created), with their time to resolution. */
static int resolved_figures(struct request *r, long long from, long long to, struct json_object *o)
{
    struct db_result *res, *late;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS n, SUM(TIMESTAMPDIFF(SECOND, created_at, resolved_at))"
                     " AS s FROM tickets WHERE tenant_id = ? AND resolved_at >= FROM_UNIXTIME(?)"
                     " AND resolved_at < FROM_UNIXTIME(?)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_INT(from), DB_INT(to)), &res);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS n FROM tickets WHERE tenant_id = ?"
                     " AND status NOT IN ('resolved','closed') AND (due_at <= NOW()"
                     " OR (first_response_at IS NULL AND first_response_due_at <= NOW()))",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &late);
    if (rc != DB_OK)
        return rc;
    long long n = db_get_int(res, 0, "n", 0);
    int jr = json_set_int(o, "resolved", n) |
             set_avg(o, "avg_resolution_seconds", sum_of(res, 0, "s"), n) |
             json_set_int(o, "overdue_now", db_get_int(late, 0, "n", 0));
    return jr ? DB_ERROR : DB_OK;
}

/* ?from= and ?to= (dates or RFC 3339; a date as `to` is the end of that day); default the
 * last 30 days. */
static int ticket_stats(struct request *r)
{
    long long from = 0, to = 0, now = (long long)time(NULL);
    int hf = cdr_query_time(r, "from", false, &from);
    int ht = cdr_query_time(r, "to", true, &to);
    if (ht != 1)
        to = now;
    if (hf != 1)
        from = to - DEFAULT_RANGE_SECONDS;
    if (hf >= 0 && ht >= 0 && to <= from)
        request_field_error(r, "to", "must be after from");
    if (request_check_fields(r) != 0)
        return -1;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_utc(o, "from", from) || json_set_utc(o, "to", to))
        return request_oom(r);
    int rc = created_figures(r, from, to, o);
    if (rc == DB_OK)
        rc = resolved_figures(r, from, to, o);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_one(r, 200, "stats", o);
}

/* ---- SLA targets ------------------------------------------------------------------------- */

/* Every priority's targets, the tenant's or the defaults (is_default), as the answer. */
static int sla_answer(struct request *r)
{
    struct json_object *list = arena_json(r->arena, json_object_new_array());
    if (list == NULL)
        return DB_ERROR;
    for (size_t i = 0; priorities[i] != NULL; i++) {
        long long frt, res_min, d_frt, d_res;
        int rc = ticket_sla_minutes(r, priorities[i], &frt, &res_min);
        if (rc != DB_OK)
            return rc;
        ticket_sla_default(priorities[i], &d_frt, &d_res);
        struct json_object *o = json_object_new_object();
        int jr = json_set_str(o, "priority", priorities[i]) |
                 json_set_int(o, "first_response_minutes", frt) |
                 json_set_int(o, "resolution_minutes", res_min) |
                 json_set_bool(o, "is_default", frt == d_frt && res_min == d_res);
        if (json_push(list, json_done(o, jr)) != 0)
            return DB_ERROR;
    }
    return reply_one(r, 200, "sla", list) == 0 ? DB_OK : DB_ERROR;
}

static int sla_get(struct request *r)
{
    int rc = sla_answer(r);
    return rc == DB_OK ? 0 : request_db_error(r, rc);
}

enum { L_PRIORITY, L_FIRST, L_RESOLUTION, L_NFIELDS };

static const struct field_def sla_fields[] = {
    [L_PRIORITY] = {"priority", FT_ENUM, F_ALWAYS, 0, 0, priorities, NULL, NULL},
    [L_FIRST] = {"first_response_minutes", FT_INT, F_ALWAYS, 1, SLA_MAX_MINUTES, NULL, NULL,
                 NULL},
    [L_RESOLUTION] = {"resolution_minutes", FT_INT, F_ALWAYS, 1, SLA_MAX_MINUTES, NULL, NULL,
                      NULL},
};

struct sla_set {
    struct field_value v[L_NFIELDS];
    struct json_object *body;
};

static int sla_step(struct request *r, void *arg)
{
    struct sla_set *s = arg;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO ticket_sla (tenant_id, priority, first_response_minutes,"
                     " resolution_minutes) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                     " first_response_minutes = VALUES(first_response_minutes),"
                     " resolution_minutes = VALUES(resolution_minutes)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(s->v[L_PRIORITY].s),
                               DB_INT(s->v[L_FIRST].i), DB_INT(s->v[L_RESOLUTION].i)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "ticket_sla.update", "ticket_sla",
                          s->v[L_PRIORITY].s, json_text(s->body, NULL));
    return rc == DB_OK ? sla_answer(r) : rc;
}

/* One priority's targets; tickets already open keep the due times they were given. */
static int sla_put(struct request *r)
{
    struct sla_set s;
    if (fields_declared(r, FIELDS_UPDATE, s.v, L_NFIELDS, &s.body) != 0)
        return -1;
    if (s.v[L_RESOLUTION].i < s.v[L_FIRST].i) {
        request_field_error(r, "resolution_minutes", "must be at least first_response_minutes");
        return request_check_fields(r);
    }
    return txn_reply(r, txn_run(r, sla_step, &s));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/tickets/stats", ticket_stats, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Ticket figures for ?from= to ?to= (default: the last 30 days)",
          .key = "stats"),
    ROUTE("GET", "/api/tickets/sla", sla_get, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The tenant's SLA targets per priority (minutes)", .key = "sla"),
    ROUTE("PUT", "/api/tickets/sla", sla_put, ROLES_ADMIN, FAM_CALLCENTER,
          .summary = "Set one priority's SLA targets (minutes); new tickets get them",
          ROUTE_BODY(sla_fields), .key = "sla"),
};

ROUTE_GROUP(ticket_stats_routes, routes);

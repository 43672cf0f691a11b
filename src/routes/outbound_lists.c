/*
 * Coldcaller's call lists and statistics: the list, history, recent, a lead's calls, and
 * the totals of a period (statistics, stats, stats/today). Lists are every call of the
 * tenant in coldcaller's record (outbound.h), newest first; the statistics count outbound
 * calls from the calls table (the analytics, from the aggregates, are
 * outbound_analytics.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "outbound.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "validate.h"

static const struct filter_def call_filters[] = {
    {"status", FILTER_EQ, " AND c.status = ?", NULL, NULL},
    {"outcome", FILTER_EQ, " AND c.outcome = ?", NULL, NULL},
    {"leadId", FILTER_EQ, " AND l.lead_no = ?", NULL, NULL},
    {"campaignId", FILTER_ID, " AND c.campaign_id = ?", NULL, NULL},
    {"agentId", FILTER_EQ, " AND c.agent_ref = ?", NULL, NULL},
    {"direction", FILTER_EQ, " AND c.direction = ?", NULL, NULL},
};

static const struct sort_def call_sorts[] = {
    {"startTime", "c.start_time"}, {"duration", "c.total_duration"}, {"status", "c.status"},
    /* calldocker's pages sort by snake_case names */
    {"start_time", "c.start_time"}, {"created_at", "c.created_at"}, {NULL, NULL},
};

static const struct resource outbound_calls = {
    .table = "calls",
    .columns = OUTBOUND_CALL_COLUMNS,
    .from = OUTBOUND_CALL_FROM,
    .id_col = "c.id",
    .tenant_col = "c.tenant_id",
    .json_cols = outbound_call_json_cols,
    .id_prefix = "call_",
    RESOURCE_NAMES("call", "calls", "Call not found"),
    .order = "c.start_time DESC, c.id DESC",
    RESOURCE_FILTERS(call_filters),
    .sorts = call_sorts,
    .default_limit = 20,
    .max_limit = 100,
};

/* dateFrom / dateTo into w ("2026-12-03" as an end is the whole day). 0, or -1 answered. */
static int date_range(struct request *r, struct qb *w)
{
    long long from = 0, to = 0;
    qb_init(w, r->arena);
    int hf = cdr_query_time(r, "dateFrom", false, &from);
    int ht = cdr_query_time(r, "dateTo", true, &to);
    if (hf < 0 || ht < 0)
        return request_check_fields(r);
    if (hf > 0)
        qb_addv(w, " AND c.start_time >= FROM_UNIXTIME(?)", DB_INT(from));
    if (ht > 0)
        qb_addv(w, " AND c.start_time < FROM_UNIXTIME(?)", DB_INT(to));
    return 0;
}

static int calls_list(struct request *r)
{
    struct qb w;
    if (date_range(r, &w) != 0)
        return -1;
    return resource_list(r, &outbound_calls, &w);
}

static int calls_by_lead(struct request *r)
{
    const char *p = request_param(r, "leadId");
    char *end = NULL;
    long long no = p ? strtoll(p, &end, 10) : 0;
    if (p == NULL || *p == '\0' || *end != '\0' || no < 1 || no > 4294967295LL) {
        request_field_error(r, "leadId", "Lead ID must be a positive integer");
        return request_check_fields(r);
    }
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM contacts WHERE tenant_id = ? AND lead_no = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_INT(no)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "Lead not found");
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w, " AND c.lead_id = ?", DB_STR(db_get(res, 0, "id")));
    return resource_list(r, &outbound_calls, &w);
}

/* ---- statistics ---------------------------------------------------------------------- */

struct period {
    long long from, to;
    const char *agent, *campaign;
};

/* The period asked (dateFrom/dateTo; default the last `days` days, or today from 00:00 UTC
 * when days is 0) and the agentId/campaignId filters. 0, or -1 answered. */
static int period_of(struct request *r, int days, struct period *p)
{
    long long now = (long long)time(NULL);
    p->to = now + 1;
    p->from = days > 0 ? now - days * 86400LL : now - now % 86400;
    if (cdr_query_time(r, "dateFrom", false, &p->from) < 0 ||
        cdr_query_time(r, "dateTo", true, &p->to) < 0)
        return request_check_fields(r);
    if (p->to <= p->from) {
        request_field_error(r, "dateTo", "must be after dateFrom");
        return request_check_fields(r);
    }
    p->agent = request_query(r, "agentId");
    p->campaign = request_query(r, "campaignId");
    if (p->agent && (*p->agent == '\0' || strlen(p->agent) > 64))
        p->agent = NULL;
    if (p->campaign && (*p->campaign == '\0' || strlen(p->campaign) > 64))
        p->campaign = NULL;
    return 0;
}

static void period_where(struct qb *q, const struct request *r, const struct period *p)
{
    qb_addv(q, " FROM calls c WHERE c.tenant_id = ? AND c.direction = 'outbound'"
               " AND c.start_time >= FROM_UNIXTIME(?) AND c.start_time < FROM_UNIXTIME(?)",
            DB_STR(r->auth.tenant_id), DB_INT(p->from), DB_INT(p->to));
    if (p->agent)
        qb_addv(q, " AND c.agent_ref = ?", DB_STR(p->agent));
    if (p->campaign)
        qb_addv(q, " AND c.campaign_id = ?", DB_STR(p->campaign));
}

/* {key: count} of a two-column result (NULL keys left out), added to out under name. */
static int counts_attach(struct json_object *out, const char *name, const struct db_result *res)
{
    struct json_object *o = json_object_new_object();
    int rc = json_add(out, name, o);
    for (size_t i = 0; rc == 0 && i < res->nrows; i++)
        if (db_cell(res, i, 0) != NULL)
            rc = json_set_int(o, db_cell(res, i, 0), db_get_int(res, i, "n", 0));
    return rc;
}

static double pct(long long part, long long whole)
{
    return whole > 0 ? outbound_round(100.0 * (double)part / (double)whole, 1) : 0;
}

static int totals_json(const struct period *p, const struct db_result *t,
                       struct json_object *o)
{
    long long total = db_get_int(t, 0, "total", 0), ended = db_get_int(t, 0, "ended", 0);
    long long connected = db_get_int(t, 0, "connected", 0);
    long long conv = db_get_int(t, 0, "conversions", 0), dur = db_get_int(t, 0, "dur", 0);
    long long avg = ended > 0 ? (dur + ended / 2) / ended : 0;
    char hms[24];
    outbound_hms(hms, sizeof(hms), avg);
    struct json_object *per = json_object_new_object();
    int rc = json_add(o, "period", per) | json_set_int(per, "from", p->from) |
             json_set_int(per, "to", p->to) | json_set_int(o, "total_calls", total) |
             json_set_int(o, "ended_calls", ended) | json_set_int(o, "connected_calls", connected) |
             json_set_int(o, "conversions", conv) | json_set_int(o, "average_duration", avg) |
             json_set_str(o, "average_call_duration", hms) |
             json_set_double(o, "connection_rate", pct(connected, total)) |
             json_set_double(o, "conversion_rate", pct(conv, total));
    return rc;
}

static int statistics_for(struct request *r, int days)
{
    struct period p;
    if (period_of(r, days, &p) != 0)
        return -1;
    struct db_result *t, *st, *oc;
    struct qb q;
    qb_init(&q, r->arena);
    qb_add(&q, "SELECT COUNT(*) AS total, COALESCE(SUM(c.end_time IS NOT NULL), 0) AS ended,"
               " COALESCE(SUM(c.answer_time IS NOT NULL), 0) AS connected,"
               " COALESCE(SUM(c.converted), 0) AS conversions,"
               " COALESCE(SUM(IF(c.end_time IS NULL, 0, c.total_duration)), 0) AS dur");
    period_where(&q, r, &p);
    int rc = qb_exec(&q, r->db, &t);
    if (rc == DB_OK) {
        qb_init(&q, r->arena);
        qb_add(&q, "SELECT c.status, COUNT(*) AS n");
        period_where(&q, r, &p);
        qb_add(&q, " GROUP BY c.status ORDER BY c.status");
        rc = qb_exec(&q, r->db, &st);
    }
    if (rc == DB_OK) {
        qb_init(&q, r->arena);
        qb_add(&q, "SELECT c.outcome_key, COUNT(*) AS n");
        period_where(&q, r, &p);
        qb_add(&q, " GROUP BY c.outcome_key ORDER BY c.outcome_key");
        rc = qb_exec(&q, r->db, &oc);
    }
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || totals_json(&p, t, o) != 0 || counts_attach(o, "by_status", st) != 0 ||
        counts_attach(o, "by_outcome", oc) != 0)
        return request_oom(r);
    return reply_one(r, 200, NULL, o);
}

static int calls_statistics(struct request *r)
{
    return statistics_for(r, 30);
}

static int calls_stats_today(struct request *r)
{
    return statistics_for(r, 0);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/calls", calls_list, ROLES_ANY, FAM_COLDCALLER | FAM_CALLDOCKER,
          .summary = "The tenant's calls, newest first (filters as history)", .key = "calls",
          .flags = ROUTE_LIST, .resource = &outbound_calls),
    ROUTE("GET", "/api/calls/history", calls_list, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Call history: status, outcome, leadId, campaignId, agentId, dateFrom,"
                     " dateTo",
          .key = "calls", .flags = ROUTE_LIST, .resource = &outbound_calls),
    ROUTE("GET", "/api/calls/recent", calls_list, ROLES_ANY, FAM_COLDCALLER,
          .summary = "The latest calls (limit)", .key = "calls", .flags = ROUTE_LIST,
          .resource = &outbound_calls),
    ROUTE("GET", "/api/calls/lead/:leadId", calls_by_lead, ROLES_ANY, FAM_COLDCALLER,
          .summary = "A lead's calls, by its number", .key = "calls", .flags = ROUTE_LIST,
          .resource = &outbound_calls),
    ROUTE("GET", "/api/calls/statistics", calls_statistics, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Outbound totals of a period (default the last 30 days)"),
    ROUTE("GET", "/api/calls/stats", calls_statistics, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Outbound totals of a period (as statistics)"),
    ROUTE("GET", "/api/calls/stats/today", calls_stats_today, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Outbound totals since 00:00 UTC"),
};

ROUTE_GROUP(outbound_lists_routes, routes);

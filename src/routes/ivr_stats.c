/*
 * What the IVR shows about itself (calldocker): analytics from ivr_sessions and ivr_steps
 * (sessions, outcomes by type, completion and abandon rates, per node visits, drops — the
 * last step of an abandoned session — and presses of 0), the routing rules (the tenant's
 * numbers whose route or after-hours route is an IVR flow or menu: derived, read-only),
 * and the engine's health.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"

struct period {
    const char *tenant, *flow_id;
    long long from, to;
};

static const char *const totals_sql =
    "SELECT COUNT(*) AS sessions, COALESCE(SUM(status = 'active'), 0) AS active,"
    " COALESCE(SUM(status = 'routed'), 0) AS routed,"
    " COALESCE(SUM(status = 'completed'), 0) AS completed,"
    " COALESCE(SUM(status = 'abandoned'), 0) AS abandoned FROM ivr_sessions"
    " WHERE tenant_id = ? AND started_at >= FROM_UNIXTIME(?) AND started_at < FROM_UNIXTIME(?)"
    " AND (? IS NULL OR flow_id = ?)";

static int totals(struct request *r, const struct period *p, struct json_object *o)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, totals_sql,
                     DB_PARAMS(DB_STR(p->tenant), DB_INT(p->from), DB_INT(p->to),
                               DB_STR(p->flow_id), DB_STR(p->flow_id)),
                     &res);
    if (rc != DB_OK)
        return rc;
    long long all = db_get_int(res, 0, "sessions", 0), ab = db_get_int(res, 0, "abandoned", 0);
    long long done = db_get_int(res, 0, "routed", 0) + db_get_int(res, 0, "completed", 0);
    long long ended = done + ab;
    if (json_set_int(o, "sessions", all) ||
        json_set_int(o, "active", db_get_int(res, 0, "active", 0)) ||
        json_set_int(o, "routed", db_get_int(res, 0, "routed", 0)) ||
        json_set_int(o, "completed", db_get_int(res, 0, "completed", 0)) ||
        json_set_int(o, "abandoned", ab) ||
        json_set_double(o, "completion_rate", ended ? (double)done / (double)ended : 0) ||
        json_set_double(o, "abandon_rate", ended ? (double)ab / (double)ended : 0))
        return DB_ERROR;
    return DB_OK;
}

static int by_outcome_and_node(struct request *r, const struct period *p,
                               struct json_object *o)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT outcome_type, COUNT(*) AS sessions FROM ivr_sessions"
                     " WHERE tenant_id = ? AND started_at >= FROM_UNIXTIME(?)"
                     " AND started_at < FROM_UNIXTIME(?) AND (? IS NULL OR flow_id = ?)"
                     " AND outcome_type IS NOT NULL GROUP BY outcome_type ORDER BY sessions DESC",
                     DB_PARAMS(DB_STR(p->tenant), DB_INT(p->from), DB_INT(p->to),
                               DB_STR(p->flow_id), DB_STR(p->flow_id)),
                     &res);
    if (rc == DB_OK && db_rows_attach(o, "outcomes", res, NULL) != 0)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT st.flow_id, st.node_id, MIN(st.node_type) AS node_type,"
                     " COALESCE(SUM(st.result <> 'ended'), 0) AS visits,"
                     " COUNT(DISTINCT st.session_id) AS sessions,"
                     " COALESCE(SUM(s.status = 'abandoned' AND st.seq = s.seq), 0) AS drops,"
                     " COALESCE(SUM(st.input = '0'), 0) AS zero_presses"
                     " FROM ivr_steps st JOIN ivr_sessions s"
                     " ON s.tenant_id = st.tenant_id AND s.id = st.session_id"
                     " WHERE s.tenant_id = ? AND s.started_at >= FROM_UNIXTIME(?)"
                     " AND s.started_at < FROM_UNIXTIME(?) AND (? IS NULL OR s.flow_id = ?)"
                     " GROUP BY st.flow_id, st.node_id ORDER BY visits DESC, st.node_id"
                     " LIMIT 500",
                     DB_PARAMS(DB_STR(p->tenant), DB_INT(p->from), DB_INT(p->to),
                               DB_STR(p->flow_id), DB_STR(p->flow_id)),
                     &res);
    if (rc == DB_OK && db_rows_attach(o, "nodes", res, NULL) != 0)
        rc = DB_ERROR;
    return rc;
}

static int analytics_for(struct request *r, const char *tenant)
{
    struct period p = {.tenant = tenant, .flow_id = request_query(r, "flow_id")};
    long long now = (long long)time(NULL);
    int a = cdr_query_time(r, "from", false, &p.from), b = cdr_query_time(r, "to", true, &p.to);
    if (a < 0 || b < 0)
        return request_check_fields(r);
    if (b == 0)
        p.to = now + 1;
    if (a == 0)
        p.from = p.to - 30 * 86400;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_int(o, "from", p.from) || json_set_int(o, "to", p.to))
        return request_oom(r);
    int rc = totals(r, &p, o);
    if (rc == DB_OK)
        rc = by_outcome_and_node(r, &p, o);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_one(r, 200, "analytics", o);
}

static int ivr_analytics(struct request *r)
{
    return analytics_for(r, r->auth.tenant_id);
}

/* A company is a tenant: another one than the caller's is absent, unless super_admin. */
static int ivr_analytics_company(struct request *r)
{
    const char *company = request_param(r, "companyId");
    if (strcmp(company, r->auth.tenant_id) == 0)
        return analytics_for(r, company);
    if (!(r->auth.role_bit & ROLE_SUPER_ADMIN))
        return request_error(r, 404, "not_found", "Company not found");
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(company)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "Company not found");
    return analytics_for(r, company);
}

static int ivr_routing_rules(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT d.id AS did_id, d.number, d.friendly_name, d.route_type,"
                     " d.route_target, d.schedule_id, s.name AS schedule_name,"
                     " d.after_hours_route_type, d.after_hours_route_target,"
                     " f.name AS flow_name, f.active_version, m.name AS menu_name, d.is_active"
                     " FROM dids d LEFT JOIN schedules s"
                     " ON s.tenant_id = d.tenant_id AND s.id = d.schedule_id"
                     " LEFT JOIN ivr_flows f ON f.tenant_id = d.tenant_id AND f.id ="
                     " IF(d.route_type = 'ivr', d.route_target, d.after_hours_route_target)"
                     " LEFT JOIN ivr_menus m ON m.tenant_id = d.tenant_id AND m.id ="
                     " IF(d.route_type = 'ivr', d.route_target, d.after_hours_route_target)"
                     " WHERE d.tenant_id = ? AND (d.route_type = 'ivr'"
                     " OR d.after_hours_route_type = 'ivr') ORDER BY d.number LIMIT 1000",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    if (rows == NULL)
        return request_oom(r);
    long long n = (long long)res->nrows;
    return reply_list(r, "rules", json_object_get(rows), 1, n ? n : 1, n);
}

static int ivr_health(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT (SELECT COUNT(*) FROM ivr_flows WHERE tenant_id = ?"
                     " AND status = 'active' AND active_version IS NOT NULL) AS flows_active,"
                     " (SELECT COUNT(*) FROM ivr_sessions WHERE tenant_id = ?"
                     " AND status = 'active') AS sessions_active",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.tenant_id)), &res);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL)
        return request_oom(r);
    bool ok = rc == DB_OK;
    if (json_set_str(o, "status", ok ? "ok" : "degraded") || json_set_str(o, "engine", "ok") ||
        json_set_str(o, "database", ok ? "ok" : "unavailable") ||
        json_set_int(o, "flows_active", ok ? db_get_int(res, 0, "flows_active", 0) : 0) ||
        json_set_int(o, "sessions_active", ok ? db_get_int(res, 0, "sessions_active", 0) : 0))
        return request_oom(r);
    return reply_one(r, ok ? 200 : 503, "health", o);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/ivr/analytics", ivr_analytics, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "IVR sessions, outcomes, rates and per-node visits, drops and 0s"
                     " (?from, ?to, ?flow_id)",
          .key = "analytics"),
    ROUTE("GET", "/api/ivr/analytics/:companyId", ivr_analytics_company, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "The IVR analytics of a company (its own, or any for"
                                     " super_admin)",
          .key = "analytics"),
    ROUTE("GET", "/api/ivr/routing-rules", ivr_routing_rules, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "The numbers routed to an IVR flow or menu, with their schedule",
          .key = "rules", .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("GET", "/api/ivr/health", ivr_health, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "The IVR engine's health: active flows and sessions",
          .key = "health"),
};

ROUTE_GROUP(ivr_stats_routes, routes);

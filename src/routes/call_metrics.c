/*
 * GET /api/calls/metrics/realtime: coldcaller's dashboard of its outbound calls now.
 *
 * Live outbound calls are the tenant's `calls` rows with direction 'outbound' and a
 * status still in progress (CALL_METRICS_LIVE_SQL). Three indexed reads: the live ones'
 * counts, quality averages and list by idx_calls_tenant_status (tenant_id, status, …);
 * the totals by idx_calls_tenant_direction (tenant_id, direction, start_time), the
 * day's through its start_time (the session's time zone is UTC: today is the UTC day).
 * The total is a range of that index as long as the tenant's outbound history: cheap
 * while it is thousands, worth taking from the outbound slice's aggregates past that.
 *
 * calls.connecting counts the calls not answered yet (connecting, ringing);
 * calls.connected the answered ones still up (connected, active, on_hold, transferring).
 * A call's quality is its latest report (calls.quality, sql/022), read as latency,
 * jitter, packetLoss (or packet_loss) and mos; performance averages them over the live
 * calls that have one. system.uptime is the pool's: seconds since its master started.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "call_metrics.h"
#include "db.h"
#include "jsonutil.h"
#include "metrics.h"
#include "request.h"
#include "routes.h"

#define LIVE_OUTBOUND \
    "tenant_id = ? AND status IN " CALL_METRICS_LIVE_SQL " AND direction = 'outbound'"
#define Q_PACKET_LOSS \
    "COALESCE(JSON_VALUE(quality, '$.packetLoss'), JSON_VALUE(quality, '$.packet_loss'))"
/* At most this many live calls are listed (the counts are over all of them). */
#define ACTIVE_MAX 200

bool call_metrics_sip_registered(struct request *r, const char **quality)
{
    struct db_result *res;
    *quality = "unknown";
    /* sip_trunks has one row per tenant (uq_sip_trunks_tenant). */
    if (db_exec(r->db, r->arena,
                "SELECT registration_state, last_rtt_ms FROM sip_trunks WHERE tenant_id = ?",
                DB_PARAMS(DB_STR(r->auth.tenant_id)), &res) != DB_OK ||
        res->nrows == 0)
        return false; /* no trunk, or the database cannot say now: not registered */
    *quality = call_metrics_link_label(db_get_int(res, 0, "last_rtt_ms", -1));
    const char *state = db_get(res, 0, "registration_state");
    return state != NULL && strcmp(state, "registered") == 0;
}

const char *call_metrics_quality_label(double mos)
{
    if (mos <= 0)
        return "unknown";
    return mos >= 4.3 ? "excellent" : mos >= 4.0 ? "good" : mos >= 3.6 ? "fair" : "poor";
}

static double cell_double(const struct db_result *res, size_t row, const char *name)
{
    const char *v = db_get(res, row, name);
    return v != NULL ? strtod(v, NULL) : 0.0;
}

/* A quality cell as a number, or JSON null when the call has none. */
static struct json_object *num_or_null(const struct db_result *res, size_t row, const char *name)
{
    const char *v = db_get(res, row, name);
    return v != NULL ? json_object_new_double(strtod(v, NULL)) : NULL;
}

static int load(struct request *r, struct db_result **live, struct db_result **totals,
                struct db_result **list)
{
    const char *t = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS active,"
                     " COALESCE(SUM(status IN ('connecting','ringing')), 0) AS connecting,"
                     " COALESCE(SUM(status NOT IN ('connecting','ringing')), 0) AS connected,"
                     " COALESCE(SUM(recording_state = 'recording'), 0) AS recording,"
                     " AVG(JSON_VALUE(quality, '$.latency')) AS latency,"
                     " AVG(" Q_PACKET_LOSS ") AS packet_loss,"
                     " AVG(JSON_VALUE(quality, '$.mos')) AS mos"
                     " FROM calls WHERE " LIVE_OUTBOUND,
                     DB_PARAMS(DB_STR(t)), live);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS total, COALESCE(SUM(start_time >= CURDATE()), 0) AS today"
                     " FROM calls WHERE tenant_id = ? AND direction = 'outbound'",
                     DB_PARAMS(DB_STR(t)), totals);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, COALESCE(phone_as_sent, called_number) AS phone_number, status,"
                     " GREATEST(0, TIMESTAMPDIFF(SECOND, start_time, NOW(3))) AS duration,"
                     " recording_state = 'recording' AS recording,"
                     " JSON_VALUE(quality, '$.latency') AS q_latency,"
                     " JSON_VALUE(quality, '$.jitter') AS q_jitter,"
                     " " Q_PACKET_LOSS " AS q_packet_loss, JSON_VALUE(quality, '$.mos') AS q_mos"
                     " FROM calls WHERE " LIVE_OUTBOUND
                     " ORDER BY start_time DESC, id DESC LIMIT ?",
                     DB_PARAMS(DB_STR(t), DB_INT(ACTIVE_MAX)), list);
    return rc;
}

static struct json_object *system_json(struct request *r)
{
    const char *quality;
    bool registered = call_metrics_sip_registered(r, &quality);
    struct json_object *o = json_object_new_object();
    double up = metrics_uptime_seconds();
    int rc = o == NULL || json_set_str(o, "status", "online") != 0 ||
             json_set_bool(o, "sip_registered", registered) != 0 ||
             json_set_str(o, "connection_quality", quality) != 0 ||
             json_set_int(o, "uptime", up >= 0 ? (long long)up : 0) != 0;
    return json_done(o, rc);
}

static struct json_object *calls_json(const struct db_result *live, const struct db_result *tot)
{
    struct json_object *o = json_object_new_object();
    int rc = o == NULL || json_set_int(o, "active", db_get_int(live, 0, "active", 0)) != 0 ||
             json_set_int(o, "total", db_get_int(tot, 0, "total", 0)) != 0 ||
             json_set_int(o, "today_total", db_get_int(tot, 0, "today", 0)) != 0 ||
             json_set_int(o, "connecting", db_get_int(live, 0, "connecting", 0)) != 0 ||
             json_set_int(o, "connected", db_get_int(live, 0, "connected", 0)) != 0 ||
             json_set_int(o, "recording", db_get_int(live, 0, "recording", 0)) != 0;
    return json_done(o, rc);
}

static struct json_object *performance_json(const struct db_result *live)
{
    double load[1] = {0};
    if (getloadavg(load, 1) != 1)
        load[0] = 0;
    struct json_object *o = json_object_new_object();
    int rc = o == NULL ||
             json_set_double(o, "average_latency", cell_double(live, 0, "latency")) != 0 ||
             json_set_double(o, "packet_loss", cell_double(live, 0, "packet_loss")) != 0 ||
             json_set_str(o, "call_quality",
                          call_metrics_quality_label(cell_double(live, 0, "mos"))) != 0 ||
             json_set_double(o, "system_load", load[0]) != 0;
    return json_done(o, rc);
}

static struct json_object *call_json(const struct db_result *res, size_t i)
{
    struct json_object *o = json_object_new_object(), *q = NULL;
    int rc = o == NULL || json_set_str(o, "id", db_get(res, i, "id")) != 0 ||
             json_set_str(o, "phone_number", db_get(res, i, "phone_number")) != 0 ||
             json_set_str(o, "status", db_get(res, i, "status")) != 0 ||
             json_set_int(o, "duration", db_get_int(res, i, "duration", 0)) != 0;
    bool has_quality = db_get(res, i, "q_latency") || db_get(res, i, "q_jitter") ||
                       db_get(res, i, "q_packet_loss") || db_get(res, i, "q_mos");
    if (!rc && has_quality) {
        q = json_object_new_object();
        rc = q == NULL || json_set(q, "latency", num_or_null(res, i, "q_latency")) != 0 ||
             json_set(q, "jitter", num_or_null(res, i, "q_jitter")) != 0 ||
             json_set(q, "packet_loss", num_or_null(res, i, "q_packet_loss")) != 0 ||
             json_set(q, "mos", num_or_null(res, i, "q_mos")) != 0;
    }
    if (!rc) {
        rc = json_set(o, "quality", q);
        q = NULL;
    }
    rc = rc || json_set_bool(o, "recording", db_get_int(res, i, "recording", 0) != 0) != 0;
    json_object_put(q);
    return json_done(o, rc);
}

static int realtime(struct request *r)
{
    struct db_result *live, *totals, *list;
    int rc = load(r, &live, &totals, &list);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    struct json_object *active = json_object_new_array();
    int bad = data == NULL || active == NULL;
    for (size_t i = 0; !bad && i < list->nrows; i++)
        bad = json_push(active, call_json(list, i)) != 0;
    bad = bad || json_add(data, "system", system_json(r)) != 0 ||
          json_add(data, "calls", calls_json(live, totals)) != 0 ||
          json_add(data, "performance", performance_json(live)) != 0;
    if (bad) {
        json_object_put(active);
        return request_oom(r);
    }
    if (json_set(data, "active_calls", active) != 0)
        return request_oom(r);
    return reply_one(r, 200, NULL, data);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/calls/metrics/realtime", realtime, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Outbound calls now: counts by state, quality, the live calls"),
};

ROUTE_GROUP(call_metrics_routes, routes);

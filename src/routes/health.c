/*
 * Liveness, readiness (database, memcached, event worker), the no-op bench ceiling, and
 * coldcaller's detailed views: /api/health/monitoring (every dependency with its
 * latency, the pool, this worker's memory, the host's load) and /api/health/websocket
 * (the tenant's event streams: by kind and family on this host's event worker, and
 * across every host from stream_presence, sql/020).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "metrics.h"
#include "procstat.h"
#include "request.h"
#include "routes.h"
#include "unixhttp.h"

static long usec_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000L;
}

static int health_live(struct request *r)
{
    static const char body[] = "{\"success\":true,\"status\":\"ok\"}";
    return reply_raw(r, 200, body, sizeof(body) - 1);
}

static int pool_noop(struct request *r)
{
    static const char body[] = "{\"success\":true}";
    return reply_raw(r, 200, body, sizeof(body) - 1);
}

/* GET /api/events/health on the event worker's unix socket, 500 ms at most. */
static int event_worker_probe(const char *path)
{
    struct unixhttp_answer a;
    if (unixhttp_get(path, "/api/events/health", 500, 4096, &a) != 0)
        return -1;
    free(a.body);
    return a.status == 200 ? 0 : -1;
}

static int add_check(struct json_object *checks, const char *name, int ok, long usec)
{
    struct json_object *c = json_object_new_object();
    if (c == NULL)
        return -1;
    char ms[32];
    snprintf(ms, sizeof(ms), "%.3f", (double)usec / 1000.0);
    json_set_bool(c, "ok", ok);
    json_set_str(c, "status", ok ? "ok" : "down");
    json_set(c, "latency_ms", json_object_new_double_s((double)usec / 1000.0, ms));
    return json_set(checks, name, c);
}

/* What a readiness check found: each dependency, up or not, and how long it took. */
struct probes {
    int db_ok, mc_ok, ev_ok;
    long db_us, mc_us, ev_us;
};

static void probe_all(struct request *r, struct probes *p)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p->db_ok = db_ping(r->db) == DB_OK;
    p->db_us = usec_since(&t0);
    p->mc_us = 0;
    p->mc_ok = cache_ping(r->cache, &p->mc_us) == 0;
    if (!p->db_ok)
        metrics_db_error(METRICS_DB_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p->ev_ok = event_worker_probe(r->cfg->event_socket) == 0;
    p->ev_us = usec_since(&t0);
}

/* {status, checks {database, memcached, event_worker}, database, latency_ms} in the
 * arena; NULL when out of memory. */
static struct json_object *probes_json(struct request *r, const struct probes *p)
{
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    struct json_object *checks = json_object_new_object();
    if (data == NULL || checks == NULL || json_set(data, "checks", checks) != 0)
        return NULL;
    if (add_check(checks, "database", p->db_ok, p->db_us) != 0 ||
        add_check(checks, "memcached", p->mc_ok, p->mc_us) != 0 ||
        add_check(checks, "event_worker", p->ev_ok, p->ev_us) != 0)
        return NULL;
    const char *status = !p->db_ok ? "down" : p->mc_ok && p->ev_ok ? "ok" : "degraded";
    struct json_object *db = json_object_object_get(checks, "database");
    /* Coldcaller reads a status and a latency at the top: the database's. */
    if (json_set_str(data, "status", status) != 0 ||
        json_set(data, "database", json_object_get(db)) != 0 ||
        json_set(data, "latency_ms", json_object_get(json_object_object_get(db, "latency_ms"))))
        return NULL;
    return data;
}

/* The database is away: the error envelope, and what was checked beside it. */
static int answer_down(struct request *r, struct json_object *data, const char *status)
{
    request_error(r, 503, "service_unavailable", "The database is unavailable");
    reply_set(r, "status", json_object_new_string(status));
    reply_set(r, "checks", json_object_get(json_object_object_get(data, "checks")));
    return -1;
}

static int health_ready(struct request *r)
{
    struct probes p;
    probe_all(r, &p);
    struct json_object *data = probes_json(r, &p);
    if (data == NULL)
        return request_oom(r);
    /* Readiness says degraded, not down: its clients know ok and degraded. */
    if (!p.db_ok)
        return answer_down(r, data, "degraded");
    return reply_one(r, 200, NULL, data);
}

/* The pool, this worker process and the host. */
static int monitoring_extra(struct request *r, struct json_object *data)
{
    struct procstat_mem m;
    procstat_memory(&m); /* without /proc the heap figures still stand */
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) != 3)
        load[0] = load[1] = load[2] = 0;
    double up = metrics_uptime_seconds();
    struct json_object *pool = json_object_new_object(), *proc = json_object_new_object();
    struct json_object *sys = json_object_new_object(), *la = json_object_new_array();
    int rc = pool == NULL || proc == NULL || sys == NULL || la == NULL ||
             json_set_int(pool, "workers", r->cfg->workers) != 0 ||
             json_set_int(pool, "uptime_seconds", up >= 0 ? (long long)up : 0) != 0 ||
             json_set_int(proc, "pid", (long long)getpid()) != 0 ||
             json_set_int(proc, "rss_bytes", (long long)m.rss_bytes) != 0 ||
             json_set_int(proc, "vm_bytes", (long long)m.vm_bytes) != 0 ||
             json_set_int(proc, "heap_used", (long long)m.heap_used) != 0 ||
             json_set_int(proc, "heap_total", (long long)m.heap_total) != 0 ||
             json_set_int(sys, "cpus", sysconf(_SC_NPROCESSORS_ONLN)) != 0;
    for (int i = 0; !rc && i < 3; i++)
        rc = json_push(la, json_object_new_double(load[i]));
    rc = rc || json_set(sys, "load", json_object_get(la)) != 0 ||
         json_set(data, "pool", json_object_get(pool)) != 0 ||
         json_set(data, "process", json_object_get(proc)) != 0 ||
         json_set(data, "system", json_object_get(sys)) != 0 ||
         json_set_int(data, "uptime", up >= 0 ? (long long)up : 0) != 0;
    json_object_put(pool);
    json_object_put(proc);
    json_object_put(sys);
    json_object_put(la);
    return rc ? -1 : 0;
}

static int health_monitoring(struct request *r)
{
    struct probes p;
    probe_all(r, &p);
    struct json_object *data = probes_json(r, &p);
    if (data == NULL || monitoring_extra(r, data) != 0)
        return request_oom(r);
    if (!p.db_ok)
        return answer_down(r, data, "down");
    return reply_one(r, 200, NULL, data);
}

/* The tenant's streams on this host's event worker (GET /streams on its socket), parsed
 * into the arena; NULL when the worker does not answer. */
static struct json_object *worker_streams(struct request *r)
{
    char path[128];
    int n = snprintf(path, sizeof(path), "/streams?tenant_id=%s", r->auth.tenant_id);
    struct unixhttp_answer a;
    if (n < 0 || (size_t)n >= sizeof(path) ||
        unixhttp_get(r->cfg->event_socket, path, 500, 4096, &a) != 0)
        return NULL;
    struct json_object *o = NULL;
    if (a.status != 200 || json_parse_object(a.body, a.len, &o) != 0)
        o = NULL;
    free(a.body);
    return arena_json(r->arena, o);
}

static int health_websocket(struct request *r)
{
    /* Every host: the rows of event workers still refreshing them (ws_online.c's TTL). */
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COALESCE(SUM(streams), 0) AS streams, COALESCE(SUM(sockets), 0) AS"
                     " sockets, COUNT(DISTINCT user_id) AS"
                     " users, COUNT(DISTINCT worker) AS workers FROM stream_presence"
                     " WHERE tenant_id = ? AND streams > 0 AND seen_at > NOW(3) - INTERVAL 90 SECOND",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    long long streams = db_get_int(res, 0, "streams", 0), sockets = db_get_int(res, 0, "sockets", 0);
    struct json_object *here = worker_streams(r);
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    struct json_object *all = json_object_new_object();
    rc = data == NULL || all == NULL ||
         json_set_int(all, "staff_streams", streams) != 0 ||
         json_set_int(all, "websocket", sockets) != 0 ||
         json_set_int(all, "sse", streams > sockets ? streams - sockets : 0) != 0 ||
         json_set_int(all, "users_online", db_get_int(res, 0, "users", 0)) != 0 ||
         json_set_int(all, "event_workers", db_get_int(res, 0, "workers", 0)) != 0 ||
         json_set(data, "all_hosts", json_object_get(all)) != 0 ||
         json_set_str(data, "status", here != NULL ? "ok" : "degraded") != 0 ||
         json_set_bool(data, "event_worker_reachable", here != NULL) != 0 ||
         json_set(data, "this_host", json_object_get(here)) != 0;
    json_object_put(all);
    if (rc)
        return request_oom(r);
    return reply_one(r, 200, NULL, data);
}

static const struct route routes[] = {
    ROUTE("GET", "/health", health_live, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "Liveness"),
    ROUTE("GET", "/api/health", health_ready, ROLES_PUBLIC, FAM_TRANSFER | FAM_COLDCALLER,
          .summary = "Readiness: database and cache"),
    ROUTE("GET", "/api/health/monitoring", health_monitoring, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Every dependency with its latency, the pool, memory, load"),
    /* calldocker's settings page shows the same. */
    ROUTE("GET", "/api/settings/system/status", health_monitoring, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "Database, memcached and event worker status and latency, pool, load"),
    ROUTE("GET", "/api/health/websocket", health_websocket, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "The tenant's event streams by kind, here and on every host"),
    ROUTE("GET", "/api/noop", pool_noop, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "The pool's ceiling: answers without work"),
};

ROUTE_GROUP(health_routes, routes);

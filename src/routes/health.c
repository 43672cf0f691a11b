/* Liveness, readiness (database, memcached, event worker) and the no-op bench ceiling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "metrics.h"
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
    json_set(c, "latency_ms", json_object_new_double_s((double)usec / 1000.0, ms));
    return json_set(checks, name, c);
}

static int health_ready(struct request *r)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int db_ok = db_ping(r->db) == DB_OK;
    long db_us = usec_since(&t0);

    long mc_us = 0;
    int mc_ok = cache_ping(r->cache, &mc_us) == 0;
    if (!db_ok)
        metrics_db_error(METRICS_DB_UNAVAILABLE);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ev_ok = event_worker_probe(r->cfg->event_socket) == 0;
    long ev_us = usec_since(&t0);

    struct json_object *data = arena_json(r->arena, json_object_new_object());
    struct json_object *checks = json_object_new_object();
    if (data == NULL || checks == NULL || json_set(data, "checks", checks) != 0)
        return request_oom(r);
    add_check(checks, "database", db_ok, db_us);
    add_check(checks, "memcached", mc_ok, mc_us);
    add_check(checks, "event_worker", ev_ok, ev_us);
    json_set_str(data, "status", db_ok && mc_ok && ev_ok ? "ok" : "degraded");
    if (!db_ok) {
        /* The error envelope, and what was checked beside it. */
        request_error(r, 503, "service_unavailable", "The database is unavailable");
        reply_set(r, "status", json_object_new_string("degraded"));
        reply_set(r, "checks", json_object_get(checks));
        return -1;
    }
    return reply_one(r, 200, NULL, data);
}

static const struct route routes[] = {
    ROUTE("GET", "/health", health_live, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "Liveness"),
    ROUTE("GET", "/api/health", health_ready, ROLES_PUBLIC, FAM_TRANSFER | FAM_COLDCALLER,
          .summary = "Readiness: database and cache"),
    ROUTE("GET", "/api/noop", pool_noop, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "The pool's ceiling: answers without work"),
};

ROUTE_GROUP(health_routes, routes);

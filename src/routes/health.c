/* Liveness, readiness (database, memcached, event worker) and the no-op bench ceiling. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"

static long usec_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000L;
}

int health_live(struct request *r)
{
    struct json_object *resp = response_new(r);
    if (resp == NULL || json_set_str(resp, "status", "ok") != 0)
        return request_error(r, 500, "internal_error", "Out of memory");
    return request_reply(r, 200, resp);
}

int pool_noop(struct request *r)
{
    static const char body[] = "{\"success\":true}";
    return request_reply_raw(r, 200, body, sizeof(body) - 1);
}

/* GET /api/events/health on the event worker's unix socket, 500 ms at most. */
static int event_worker_probe(const char *path)
{
    struct sockaddr_un sa;
    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int rc = -1;
    static const char req[] =
        "GET /api/events/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    char buf[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1) || poll(&p, 1, 500) != 1)
        goto out;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n > 12) {
        buf[n] = '\0';
        rc = strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
    }
out:
    close(fd);
    return rc;
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

int health_ready(struct request *r)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int db_ok = db_ping(r->db) == DB_OK;
    long db_us = usec_since(&t0);

    long mc_us = 0;
    int mc_ok = cache_ping(r->cache, &mc_us) == 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ev_ok = event_worker_probe(r->cfg->event_socket) == 0;
    long ev_us = usec_since(&t0);

    struct json_object *resp = response_new(r);
    struct json_object *checks = json_object_new_object();
    if (resp == NULL || checks == NULL || json_set(resp, "checks", checks) != 0)
        return request_error(r, 500, "internal_error", "Out of memory");
    add_check(checks, "database", db_ok, db_us);
    add_check(checks, "memcached", mc_ok, mc_us);
    add_check(checks, "event_worker", ev_ok, ev_us);
    json_set_str(resp, "status", db_ok && mc_ok && ev_ok ? "ok" : "degraded");
    if (!db_ok) {
        json_set_bool(resp, "success", 0);
        json_set_str(resp, "error", "The database is unavailable");
        json_set_str(resp, "code", "service_unavailable");
        json_set_str(resp, "request_id", r->request_id);
        return request_reply(r, 503, resp);
    }
    return request_reply(r, 200, resp);
}

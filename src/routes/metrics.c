/*
 * GET /metrics: the pool's counters (metrics.h) in the Prometheus text format, followed by
 * the event worker's own when it serves them (GET /metrics on its unix socket). Served to
 * loopback clients, or to others with `Authorization: Bearer <metrics token>`. nginx
 * refuses anonymous non-loopback clients before this (nginx.conf.in); this check does not
 * rely on it. The client address is FastCGI's REMOTE_ADDR, which nginx sets from the
 * connection ($remote_addr): the pool's socket is nginx's alone.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "request.h"
#include "routes.h"
#include "unixhttp.h"

/* The event worker's part of a scrape: its text, at most this long, within this time. */
#define EVENTS_MAX_BYTES (1024 * 1024)
#define EVENTS_TIMEOUT_MS 500

/* 127.0.0.0/8, ::1, or 127/8 mapped into IPv6. */
static bool is_loopback(const char *addr)
{
    if (addr == NULL)
        return false;
    if (strncasecmp(addr, "::ffff:", 7) == 0)
        addr += 7;
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

/* The configured token, compared in constant time (as digests: lengths leak nothing). */
static bool token_ok(struct request *r)
{
    const char *want = r->cfg->metrics_token;
    const char *h = r->authorization;
    if (want[0] == '\0' || h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    char a[65], b[65];
    crypto_sha256_hex(h + 7, strlen(h + 7), a);
    crypto_sha256_hex(want, strlen(want), b);
    return crypto_equal(a, b, 64);
}

static int refuse(struct request *r, int status, const char *text)
{
    return reply_text(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* Appends the event worker's text; 1 when it did, 0 when the worker has none to give. */
static int append_events(struct request *r, struct buf *b)
{
    struct unixhttp_answer a;
    if (unixhttp_get(r->cfg->event_socket, "/metrics", EVENTS_TIMEOUT_MS, EVENTS_MAX_BYTES,
                     &a) != 0)
        return 0;
    int ok = a.status == 200 && strncmp(a.content_type, "text/plain", 10) == 0;
    if (ok)
        buf_add(b, a.body, a.len);
    free(a.body);
    return ok;
}

static void free_text(void *p)
{
    free(p);
}

static int metrics_get(struct request *r)
{
    if (!is_loopback(r->remote_addr) && !token_ok(r)) {
        if (r->cfg->metrics_token[0] == '\0')
            return refuse(r, 403, "Forbidden: /metrics is served to loopback clients only\n");
        return refuse(r, 401, "Unauthorized: /metrics wants the metrics token as a bearer "
                              "token from this address\n");
    }
    struct buf b;
    buf_init(&b);
    if (metrics_render(&b) != 0) {
        buf_free(&b);
        return refuse(r, 503, "Metrics are unavailable\n");
    }
    int up = append_events(r, &b);
    prom_family(&b, "switchboard_event_metrics_up", "gauge",
                "1 when the event worker's metrics are part of this scrape.");
    prom_sample_u64(&b, "switchboard_event_metrics_up", NULL, 0, (uint64_t)up);
    if (b.failed)
        buf_free(&b);
    /* (A cleanup that cannot be added runs at once: the text is freed either way.) */
    if (b.p == NULL || arena_cleanup_add(r->arena, free_text, b.p) != 0) {
        log_error("metrics: out of memory rendering /metrics");
        return refuse(r, 500, "Out of memory\n");
    }
    return reply_text(r, 200, PROM_CONTENT_TYPE, b.p, b.len);
}

static const struct route routes[] = {
    ROUTE("GET", "/metrics", metrics_get, ROLES_PUBLIC, FAM_PLAIN,
          .summary = "Prometheus metrics: loopback clients, or the metrics token"),
};

ROUTE_GROUP(metrics_routes, routes);

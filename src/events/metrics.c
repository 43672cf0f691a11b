/*
 * GET /metrics on the event worker's own socket (event_socket): its families
 * (metrics_text.c), which the pool's /metrics fetches and appends to its own
 * (src/routes/metrics.c). The pool is the one scrape target and does the access check;
 * here, access is the socket's (mode 0600, nobody's: nginx's and the pool's workers).
 *
 * nginx reaches this socket too, but only through its event-stream location, whose
 * normalised paths all start with /api/ (nginx.conf.in): the raw path it passes on is
 * never exactly /metrics. Should that change, a request that came through nginx still
 * carries the X-Real-IP and X-Forwarded-For headers nginx sets on everything it proxies
 * here, and is answered as an unknown route.
 */
#include "events.h"
#include "http.h"
#include "prom.h"

void events_metrics_reply(struct ev *ev, struct http_conn *c, const struct http_request *req)
{
    if (http_request_header(req, "X-Real-IP") != NULL ||
        http_request_header(req, "X-Forwarded-For") != NULL) {
        http_reply_error(c, 404, "not_found", "No such route", NULL);
        return;
    }
    const struct ev_metrics m = {
        .counters = ev->counters,
        .feed_events = feed_events(ev->feed),
        .connections = http_server_connections(ev->srv),
        .streams = hub_streams(ev->hub) - hub_sockets(ev->hub),
        .sockets = hub_sockets(ev->hub),
        .polls = hub_polls(ev->hub),
    };
    struct buf b;
    buf_init(&b);
    events_metrics_text(&b, &m);
    if (b.failed || b.p == NULL)
        http_reply_error(c, 500, "internal_error", "Out of memory", NULL);
    else
        http_reply(c, 200, PROM_CONTENT_TYPE, NULL, b.p, b.len);
    buf_free(&b);
}

/*
 * The event worker's families in the Prometheus text format (events.h). Pure: no I/O and
 * no globals, so tests/unit/test_event_metrics.c includes this file as it is.
 *
 * Names start with switchboard_event_ or switchboard_events_: the pool's /metrics appends
 * this text to its own, so no family may share a name with one of the pool's.
 */
#include <stdint.h>

#include "events.h"
#include "prom.h"

/* One sample; a row with a type begins its family, the rows after it without one add
 * samples to the same family. */
struct row {
    const char *name, *type, *help;
    const char *label, *value; /* NULL: no label */
    unsigned long long v;
};

void events_metrics_text(struct buf *b, const struct ev_metrics *m)
{
    const struct ev_counters *k = &m->counters;
    const struct row rows[] = {
        {"switchboard_event_streams", "gauge",
         "Subscribers held now: SSE streams, WebSocket clients, and long-polls waiting for "
         "events.",
         "kind", "sse", m->streams},
        {"switchboard_event_streams", NULL, NULL, "kind", "websocket", m->sockets},
        {"switchboard_event_streams", NULL, NULL, "kind", "long_poll", m->polls},
        {"switchboard_event_connections", "gauge",
         "Open HTTP connections of the event worker, this scrape's included.", NULL, NULL,
         m->connections},
        {"switchboard_events_delivered_total", "counter",
         "Events written to subscribers, once per subscriber: stream frames (live and "
         "replayed) and events in long-poll answers.",
         NULL, NULL, k->delivered},
        {"switchboard_event_feed_events_total", "counter",
         "Events the tailer read from the database (call_events) and fanned out.", NULL, NULL,
         m->feed_events},
        {"switchboard_event_streams_refused_total", "counter",
         "Streams and long-polls refused (429 too_many_streams), by the cap that was reached.",
         "reason", "session_cap", k->refused_session},
        {"switchboard_event_streams_refused_total", NULL, NULL, "reason", "tenant_cap",
         k->refused_tenant},
        {"switchboard_event_revocations_total", "counter",
         "Streams and long-polls ended with session_revoked because their session ended.",
         NULL, NULL, k->revocations},
        {"switchboard_event_db_errors_total", "counter",
         "Failed database calls of the feed (tail reads, replays, retention), and requests "
         "answered 503 or 500 because of the database.",
         "source", "feed", k->db_errors_feed},
        {"switchboard_event_db_errors_total", NULL, NULL, "source", "request",
         k->db_errors_request},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (r->type != NULL)
            prom_family(b, r->name, r->type, r->help);
        struct prom_label l = {r->label, r->value};
        prom_sample_u64(b, r->name, r->label ? &l : NULL, r->label ? 1 : 0, (uint64_t)r->v);
    }
}

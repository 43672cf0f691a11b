/*
 * src/events/metrics_text.c: the event worker's families, which the pool's /metrics
 * appends to its own. The file is pure, so it is included here as it is (the unit tests
 * link the core and the routes, not the event worker).
 */
#include <stdio.h>
#include <string.h>

#include "../../src/events/metrics_text.c"

#include "metrics.h"
#include "routes.h"
#include "unit.h"

/* Each value distinct, so that a sample showing another's value is caught. */
static const struct ev_metrics ut_snapshot = {
    .counters = {.delivered = 1234567890123ULL,
                 .refused_session = 3,
                 .refused_tenant = 4,
                 .revocations = 5,
                 .db_errors_feed = 6,
                 .db_errors_request = 7},
    .feed_events = 8,
    .connections = 9,
    .streams = 10,
    .sockets = 12,
    .polls = 11,
};

static void whole_text(void)
{
    struct buf b;
    buf_init(&b);
    events_metrics_text(&b, &ut_snapshot);
    REQUIRE(!b.failed && b.p != NULL);
    CHECK_EQ_STR(
        b.p,
        "# HELP switchboard_event_streams Subscribers held now: SSE streams, WebSocket clients, "
        "and long-polls waiting for events.\n"
        "# TYPE switchboard_event_streams gauge\n"
        "switchboard_event_streams{kind=\"sse\"} 10\n"
        "switchboard_event_streams{kind=\"websocket\"} 12\n"
        "switchboard_event_streams{kind=\"long_poll\"} 11\n"
        "# HELP switchboard_event_connections Open HTTP connections of the event worker, this "
        "scrape's included.\n"
        "# TYPE switchboard_event_connections gauge\n"
        "switchboard_event_connections 9\n"
        "# HELP switchboard_events_delivered_total Events written to subscribers, once per "
        "subscriber: stream frames (live and replayed) and events in long-poll answers.\n"
        "# TYPE switchboard_events_delivered_total counter\n"
        "switchboard_events_delivered_total 1234567890123\n"
        "# HELP switchboard_event_feed_events_total Events the tailer read from the database "
        "(call_events) and fanned out.\n"
        "# TYPE switchboard_event_feed_events_total counter\n"
        "switchboard_event_feed_events_total 8\n"
        "# HELP switchboard_event_streams_refused_total Streams and long-polls refused (429 "
        "too_many_streams), by the cap that was reached.\n"
        "# TYPE switchboard_event_streams_refused_total counter\n"
        "switchboard_event_streams_refused_total{reason=\"session_cap\"} 3\n"
        "switchboard_event_streams_refused_total{reason=\"tenant_cap\"} 4\n"
        "# HELP switchboard_event_revocations_total Streams and long-polls ended with "
        "session_revoked because their session ended.\n"
        "# TYPE switchboard_event_revocations_total counter\n"
        "switchboard_event_revocations_total 5\n"
        "# HELP switchboard_event_db_errors_total Failed database calls of the feed (tail "
        "reads, replays, retention), and requests answered 503 or 500 because of the "
        "database.\n"
        "# TYPE switchboard_event_db_errors_total counter\n"
        "switchboard_event_db_errors_total{source=\"feed\"} 6\n"
        "switchboard_event_db_errors_total{source=\"request\"} 7\n");
    buf_free(&b);
}

/* Every series is there from the start, at 0: a rate over a fresh worker needs no guess. */
static void zero_series_present(void)
{
    const struct ev_metrics zero = {0};
    struct buf b;
    buf_init(&b);
    events_metrics_text(&b, &zero);
    REQUIRE(b.p != NULL);
    size_t samples = 0;
    for (const char *p = b.p; *p != '\0'; p = strchr(p, '\n') + 1) {
        if (*p == '#')
            continue;
        samples++;
        const char *nl = strchr(p, '\n');
        REQUIRE(nl != NULL && nl - p > 2);
        CHECK(nl[-2] == ' ' && nl[-1] == '0');
    }
    CHECK_EQ_INT(samples, 11);
    buf_free(&b);
}

/* Joined into one scrape, the two texts name no family twice; the worker's own names say
 * whose they are. */
static void names_apart_from_the_pool(void)
{
    struct buf ev, pool;
    buf_init(&ev);
    buf_init(&pool);
    events_metrics_text(&ev, &ut_snapshot);
    REQUIRE(ev.p != NULL);
    REQUIRE(metrics_create(4, 2, route_table, route_table_len) == 0);
    int rc = metrics_render(&pool);
    metrics_destroy();
    REQUIRE(rc == 0 && pool.p != NULL);
    size_t families = 0;
    for (const char *p = ev.p; (p = strstr(p, "# TYPE ")) != NULL; p += 7) {
        char type_line[128];
        int n = snprintf(type_line, sizeof(type_line), "# TYPE %.*s ",
                         (int)strcspn(p + 7, " "), p + 7);
        REQUIRE(n > 0 && (size_t)n < sizeof(type_line));
        const char *name = type_line + 7;
        families++;
        CHECK(strncmp(name, "switchboard_event_", 18) == 0 ||
              strncmp(name, "switchboard_events_", 19) == 0);
        if (strstr(pool.p, type_line) != NULL)
            ut_fail(__FILE__, __LINE__, "family %sis the pool's too", name);
    }
    CHECK_EQ_INT(families, 7);
    buf_free(&ev);
    buf_free(&pool);
}

const struct ut_case ut_event_metrics_cases[] = {
    {"whole_text", whole_text},
    {"zero_series_present", zero_series_present},
    {"names_apart_from_the_pool", names_apart_from_the_pool},
    {NULL, NULL},
};

/* prom.c (the text format) and metrics.c (the pool's counters, rendered). */
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"
#include "routes.h"
#include "unit.h"

#define MS 1000000u /* nanoseconds */

/* The text of b, or "" when nothing was written. */
static const char *ut_text(const struct buf *b)
{
    return b->p != NULL ? b->p : "";
}

/* The text holds this whole line. */
static int ut_has_line(const struct buf *b, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = ut_text(b); (p = strstr(p, line)) != NULL; p++)
        if ((p == ut_text(b) || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

#define CHECK_LINE(b, line)                                                                    \
    do {                                                                                       \
        if (!ut_has_line((b), (line)))                                                         \
            ut_fail(__FILE__, __LINE__, "no line \"%s\" in:\n%s", (line), ut_text(b));         \
    } while (0)

static void label_escaping(void)
{
    struct buf b;
    buf_init(&b);
    prom_label_value(&b, "a\\b\"c\nd");
    CHECK_EQ_STR(ut_text(&b), "a\\\\b\\\"c\\nd");
    buf_free(&b);
    prom_label_value(&b, "plain /api/users/:id");
    CHECK_EQ_STR(ut_text(&b), "plain /api/users/:id");
    buf_free(&b);
    prom_label_value(&b, "");
    CHECK_EQ_STR(ut_text(&b), "");
    buf_free(&b);
}

static void help_and_type(void)
{
    struct buf b;
    buf_init(&b);
    /* HELP escapes backslash and line feed, never the double quote. */
    prom_family(&b, "x_total", "counter", "say \"hi\"\\ now\nthen");
    CHECK_EQ_STR(ut_text(&b), "# HELP x_total say \"hi\"\\\\ now\\nthen\n# TYPE x_total counter\n");
    buf_free(&b);
}

static void samples(void)
{
    struct buf b;
    buf_init(&b);
    prom_sample_u64(&b, "up", NULL, 0, 1);
    struct prom_label l[2] = {{"route", "GET /x\"y"}, {"status", "200"}};
    prom_sample_u64(&b, "req_total", l, 2, 18446744073709551615u);
    prom_sample_f64(&b, "uptime", NULL, 0, 12.5);
    CHECK_EQ_STR(ut_text(&b), "up 1\n"
                              "req_total{route=\"GET /x\\\"y\",status=\"200\"} 18446744073709551615\n"
                              "uptime 12.5\n");
    CHECK(!b.failed);
    buf_free(&b);
}

static void printf_long(void)
{
    struct buf b;
    buf_init(&b);
    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 20; i++)
        buf_printf(&b, "%s|", big);
    CHECK_EQ_INT(b.len, 20 * 1000);
    CHECK_EQ_INT(strlen(ut_text(&b)), 20 * 1000);
    CHECK(ut_text(&b)[999] == '|');
    buf_free(&b);
}

static void bucket_index(void)
{
    const struct prom_buckets *bk = &metrics_latency_buckets;
    REQUIRE(bk->n == 12);
    CHECK_EQ_INT(prom_bucket_index(bk, 0), 0);
    CHECK_EQ_INT(prom_bucket_index(bk, MS / 2), 0); /* le is "less or equal" */
    CHECK_EQ_INT(prom_bucket_index(bk, MS / 2 + 1), 1);
    CHECK_EQ_INT(prom_bucket_index(bk, MS), 1);
    CHECK_EQ_INT(prom_bucket_index(bk, 7 * MS), 4);       /* 5 < 7 <= 10 ms */
    CHECK_EQ_INT(prom_bucket_index(bk, 2500 * MS), 11);   /* 2.5 s */
    CHECK_EQ_INT(prom_bucket_index(bk, 2500 * MS + 1), 12); /* +Inf only */
    CHECK_EQ_INT(prom_bucket_index(bk, (uint64_t)-1), 12);
    for (size_t i = 1; i < bk->n; i++)
        CHECK(bk->bound[i - 1] < bk->bound[i]);
}

static void histogram_cumulative(void)
{
    static const uint64_t bound[3] = {10, 20, 30};
    static const char *const le[3] = {"0.01", "0.02", "0.03"};
    const struct prom_buckets bk = {3, bound, le};
    const uint64_t counts[4] = {2, 0, 3, 1};
    struct prom_label l[1] = {{"route", "GET /a"}};
    struct buf b;
    buf_init(&b);
    prom_histogram(&b, "d_seconds", l, 1, &bk, counts, 1500000001u, 1000000000u);
    CHECK_EQ_STR(ut_text(&b), "d_seconds_bucket{route=\"GET /a\",le=\"0.01\"} 2\n"
                              "d_seconds_bucket{route=\"GET /a\",le=\"0.02\"} 2\n"
                              "d_seconds_bucket{route=\"GET /a\",le=\"0.03\"} 5\n"
                              "d_seconds_bucket{route=\"GET /a\",le=\"+Inf\"} 6\n"
                              "d_seconds_sum{route=\"GET /a\"} 1.500000001\n"
                              "d_seconds_count{route=\"GET /a\"} 6\n");
    buf_free(&b);
    /* Without labels, and a sum in whole units. */
    prom_histogram(&b, "h", NULL, 0, &bk, counts, 7, 1);
    CHECK_LINE(&b, "h_bucket{le=\"+Inf\"} 6");
    CHECK_LINE(&b, "h_sum 7");
    CHECK_LINE(&b, "h_count 6");
    buf_free(&b);
}

static void status_index(void)
{
    CHECK_EQ_INT(metrics_status_index(200), 0);
    CHECK_EQ_INT(metrics_status_index(503), METRICS_NSTATUS - 2);
    CHECK_EQ_INT(metrics_status_index(418), METRICS_NSTATUS - 1);
    CHECK_EQ_INT(metrics_status_index(0), METRICS_NSTATUS - 1);
}

/* The route_table index of method + pattern; NULL when absent. */
static const struct route *ut_route(const char *method, const char *pattern)
{
    for (size_t i = 0; i < route_table_len; i++)
        if (strcmp(route_table[i].method, method) == 0 &&
            strcmp(route_table[i].pattern, pattern) == 0)
            return &route_table[i];
    return NULL;
}

static void no_block(void)
{
    struct buf b;
    buf_init(&b);
    CHECK_EQ_INT(metrics_render(&b), -1);
    /* Recording without a block does nothing (and does not crash). */
    metrics_attach(0);
    metrics_observe(NULL, 200, MS);
    metrics_db_error(METRICS_DB_OTHER);
    metrics_respawn(METRICS_RESPAWN_CRASHED);
    metrics_request_end(NULL, 200, metrics_request_begin());
    buf_free(&b);
}

/* Two worker slots of a pool of two, each counting, summed in one text. */
static void block_render(void)
{
    const struct route *health = ut_route("GET", "/health");
    REQUIRE(health != NULL);
    REQUIRE(metrics_create(4, 2, route_table, route_table_len) == 0);
    metrics_slot_open(0);
    metrics_slot_open(1);
    metrics_attach(0);
    metrics_observe(health, 200, MS);
    metrics_observe(health, 200, 3 * MS);
    metrics_db_error(METRICS_DB_UNAVAILABLE);
    metrics_attach(1);
    metrics_observe(health, 200, 3 * MS);
    metrics_observe(NULL, 404, 3000 * MS);
    metrics_observe(health, 418, 0);
    uint64_t t0 = metrics_request_begin(); /* slot 1 busy, with a cache failure */
    metrics_cache_error();
    metrics_cache_error();
    metrics_respawn(METRICS_RESPAWN_CRASHED);
    metrics_respawn(METRICS_RESPAWN_RECYCLED);
    metrics_respawn(METRICS_RESPAWN_RECYCLED);

    struct buf b;
    buf_init(&b);
    REQUIRE(metrics_render(&b) == 0);
    CHECK_LINE(&b, "# TYPE switchboard_http_requests_total counter");
    CHECK_LINE(&b, "switchboard_http_requests_total{route=\"GET /health\",status=\"200\"} 3");
    CHECK_LINE(&b, "switchboard_http_requests_total{route=\"GET /health\",status=\"other\"} 1");
    CHECK_LINE(&b, "switchboard_http_requests_total{route=\"unmatched\",status=\"404\"} 1");
    CHECK(strstr(ut_text(&b), "status=\"201\"") == NULL); /* only series seen */
    CHECK_LINE(&b, "# TYPE switchboard_http_request_duration_seconds histogram");
    static const char *const histogram[] = {
        "_bucket{route=\"GET /health\",le=\"0.0005\"} 1",
        "_bucket{route=\"GET /health\",le=\"0.001\"} 2",
        "_bucket{route=\"GET /health\",le=\"0.0025\"} 2",
        "_bucket{route=\"GET /health\",le=\"0.005\"} 4",
        "_bucket{route=\"GET /health\",le=\"+Inf\"} 4",
        "_sum{route=\"GET /health\"} 0.007000000",
        "_count{route=\"GET /health\"} 4",
        "_bucket{route=\"unmatched\",le=\"2.5\"} 0",
        "_bucket{route=\"unmatched\",le=\"+Inf\"} 1",
    };
    for (size_t i = 0; i < sizeof(histogram) / sizeof(histogram[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "switchboard_http_request_duration_seconds%s",
                 histogram[i]);
        CHECK_LINE(&b, line);
    }
    CHECK_LINE(&b, "switchboard_workers{state=\"busy\"} 1");
    CHECK_LINE(&b, "switchboard_workers{state=\"idle\"} 1");
    CHECK_LINE(&b, "switchboard_http_requests_in_flight 1");
    CHECK_LINE(&b, "switchboard_workers_configured 2");
    CHECK_LINE(&b, "switchboard_worker_respawns_total{cause=\"recycled\"} 2");
    CHECK_LINE(&b, "switchboard_worker_respawns_total{cause=\"crashed\"} 1");
    CHECK_LINE(&b, "switchboard_worker_respawns_total{cause=\"failed\"} 0");
    CHECK_LINE(&b, "switchboard_db_errors_total{kind=\"unavailable\"} 1");
    CHECK_LINE(&b, "switchboard_db_errors_total{kind=\"other\"} 0");
    CHECK_LINE(&b, "switchboard_cache_errors_total 0"); /* counted when the request ends */
    buf_free(&b);

    /* The request ends: idle again, one cache error (not two), one more request. */
    metrics_request_end(NULL, 500, t0);
    metrics_slot_close(0);
    REQUIRE(metrics_render(&b) == 0);
    CHECK_LINE(&b, "switchboard_cache_errors_total 1");
    CHECK_LINE(&b, "switchboard_workers{state=\"busy\"} 0");
    CHECK_LINE(&b, "switchboard_workers{state=\"idle\"} 1");
    CHECK_LINE(&b, "switchboard_http_requests_total{route=\"unmatched\",status=\"500\"} 1");
    CHECK(b.p != NULL && b.p[b.len - 1] == '\n');
    buf_free(&b);
    metrics_destroy();
}

const struct ut_case ut_metrics_cases[] = {
    {"label_escaping", label_escaping},
    {"help_and_type", help_and_type},
    {"samples", samples},
    {"printf_long", printf_long},
    {"bucket_index", bucket_index},
    {"histogram_cumulative", histogram_cumulative},
    {"status_index", status_index},
    {"no_block", no_block},
    {"block_render", block_render},
    {NULL, NULL},
};

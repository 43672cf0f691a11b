/* The CDR module's pure parts: CSV both ways (csv.c), the bucket arithmetic and the KPI
 * figures (cdr_store.c), the times the CDR routes take. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cdr_store.h"
#include "csv.h"
#include "request.h"
#include "unit.h"

static void csv_write_quoting(void)
{
    struct buf b;
    buf_init(&b);
    csv_cell_str(&b, "plain", true);
    csv_cell_str(&b, "a,b", false);
    csv_cell_str(&b, "say \"hi\"", false);
    csv_cell_str(&b, "two\nlines", false);
    csv_cell_str(&b, NULL, false);
    csv_cell_number(&b, "-5", false);
    csv_end_record(&b);
    REQUIRE(!b.failed);
    CHECK_EQ_STR(b.p, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,-5\r\n");
    buf_free(&b);
}

static void csv_write_formulas(void)
{
    static const char *const in[] = {"=1+1", "+15551234", "-2", "@SUM(A1)", "\tx", "a=b"};
    static const char *const out[] = {"'=1+1", "'+15551234", "'-2", "'@SUM(A1)", "'\tx", "a=b"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        struct buf b;
        buf_init(&b);
        csv_cell_str(&b, in[i], true);
        CHECK_EQ_STR(b.p, out[i]);
        buf_free(&b);
    }
    struct buf b;
    buf_init(&b);
    csv_cell_str(&b, "=HYPERLINK(\"x\",\"y\")", true);
    CHECK_EQ_STR(b.p, "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
    buf_free(&b);
}

static FILE *text_file(const char *s)
{
    return fmemopen((void *)s, strlen(s), "r");
}

static void csv_read_records(void)
{
    const char *text = "\"a\",\"b,c\",\"d \"\"q\"\"\"\r\n"
                       "\n"
                       "plain,,\"multi\nline\"\n"
                       "\"x\"junk,1\n"
                       "last,row";
    FILE *f = text_file(text);
    REQUIRE(f != NULL);
    struct csv_reader rd;
    csv_reader_init(&rd, f);
    CHECK_EQ_INT(csv_read(&rd), 1);
    CHECK_EQ_INT(rd.nfields, 3);
    CHECK_EQ_STR(csv_field(&rd, 0), "a");
    CHECK_EQ_STR(csv_field(&rd, 1), "b,c");
    CHECK_EQ_STR(csv_field(&rd, 2), "d \"q\"");
    CHECK_EQ_STR(csv_field(&rd, 3), "");
    CHECK_EQ_INT(rd.record_line, 1);
    CHECK_EQ_INT(csv_read(&rd), 1);
    CHECK_EQ_INT(rd.record_line, 3);
    CHECK_EQ_INT(rd.nfields, 3);
    CHECK_EQ_STR(csv_field(&rd, 1), "");
    CHECK_EQ_STR(csv_field(&rd, 2), "multi\nline");
    CHECK_EQ_INT(csv_read(&rd), -1);
    CHECK_EQ_INT(rd.record_line, 5);
    CHECK_NOT_NULL(rd.error);
    CHECK_EQ_INT(csv_read(&rd), 1);
    CHECK_EQ_INT(rd.record_line, 6);
    CHECK_EQ_STR(csv_field(&rd, 0), "last");
    CHECK_EQ_STR(csv_field(&rd, 1), "row");
    CHECK_EQ_INT(csv_read(&rd), 0);
    csv_reader_free(&rd);
    fclose(f);
    f = text_file("\"open,\nnever closed");
    csv_reader_init(&rd, f);
    CHECK_EQ_INT(csv_read(&rd), -1);
    CHECK_EQ_INT(csv_read(&rd), 0);
    csv_reader_free(&rd);
    fclose(f);
}

static void cdr_buckets(void)
{
    CHECK_EQ_INT(cdr_bucket_of(0), 0);
    CHECK_EQ_INT(cdr_bucket_of(899), 0);
    CHECK_EQ_INT(cdr_bucket_of(900), 900);
    CHECK_EQ_INT(cdr_bucket_of(1763632799), 1763631900); /* 2025-11-20 09:59:59 -> 09:45 */
    CHECK_EQ_INT(cdr_bucket_of(-1), -900);
}

static void cdr_deltas(void)
{
    struct cdr c = {.direction = "inbound", .queue_id = "queue_1", .start = 1000, .answer = 1010,
                    .duration = 130, .billsec = 120, .wait = -1, .hold = 7, .wrapup = 3,
                    .disposition = "answered", .user_id = "usr_1", .sl_threshold = 10,
                    .short_abandon_seconds = 5};
    struct cdr_delta d;
    cdr_kpi_delta(&c, &d);
    CHECK(d.in_queue_bucket && d.in_agent_bucket);
    CHECK_EQ_INT(d.bucket, 900);
    CHECK_EQ_INT(d.offered, 1);
    CHECK_EQ_INT(d.answered, 1);
    CHECK_EQ_INT(d.answered_in_sl, 1); /* wait 10 <= 10 */
    CHECK_EQ_INT(d.wait, 10);
    CHECK_EQ_INT(d.answer_wait, 10);
    CHECK_EQ_INT(d.talk, 120);
    CHECK_EQ_INT(d.handled, 1);
    c.sl_threshold = 9;
    cdr_kpi_delta(&c, &d);
    CHECK_EQ_INT(d.answered_in_sl, 0);
    /* Abandoned: short below the threshold only. */
    struct cdr a = {.direction = "inbound", .queue_id = "queue_1", .start = 1000, .duration = 4,
                    .wait = -1, .disposition = "abandoned", .short_abandon_seconds = 5};
    cdr_kpi_delta(&a, &d);
    CHECK(d.in_queue_bucket && !d.in_agent_bucket);
    CHECK_EQ_INT(d.abandoned, 1);
    CHECK_EQ_INT(d.short_abandoned, 1);
    CHECK_EQ_INT(d.wait, 4);
    CHECK_EQ_INT(d.answer_wait, 0);
    a.duration = 5;
    cdr_kpi_delta(&a, &d);
    CHECK_EQ_INT(d.short_abandoned, 0);
    a.disposition = "timeout";
    cdr_kpi_delta(&a, &d);
    CHECK_EQ_INT(d.overflowed, 1);
    CHECK_EQ_INT(d.abandoned, 0);
    /* Outbound outside a queue: no offered call; the agent's call still counts. */
    struct cdr o = {.direction = "outbound", .start = 1000, .answer = 1005, .duration = 65,
                    .billsec = 60, .wait = -1, .disposition = "answered", .user_id = "usr_1"};
    cdr_kpi_delta(&o, &d);
    CHECK(!d.in_queue_bucket && d.in_agent_bucket);
    CHECK_EQ_INT(d.offered, 0);
    CHECK_EQ_INT(d.handled, 1);
    CHECK_EQ_INT(d.talk, 60);
    CHECK_EQ_INT(cdr_wait_of(&o), 5);
    CHECK(cdr_disposition_known("no_agent") && !cdr_disposition_known("lost"));
}

static void cdr_figures(void)
{
    /* The integration test's file, by hand: 10 offered, 6 answered, 4 abandoned (2 short). */
    struct cdr_kpi_sums s = {.offered = 10, .answered = 6, .abandoned = 4, .short_abandoned = 2,
                             .answered_in_sl = 4, .wait_sum = 164, .wait_max = 60,
                             .answer_wait_sum = 94, .talk_sum = 780};
    struct cdr_kpi_figures f;
    cdr_kpi_figures(&s, &f);
    CHECK(f.abandonment_rate == 0.25);
    CHECK(f.service_level == 0.5);
    CHECK(f.asa == 15.67);
    CHECK(f.avg_wait == 16.4);
    CHECK(f.aht == 130.0);
    struct cdr_kpi_sums none = {0};
    cdr_kpi_figures(&none, &f);
    CHECK(f.abandonment_rate == 0 && f.service_level == 0 && f.asa == 0 && f.aht == 0);
    CHECK(cdr_kpi_aht(3, 100, 20, 0) == 40.0);
    CHECK(cdr_kpi_aht(3, 100, 0, 0) == 33.33);
    /* occupancy: (talk + wrap-up) / staffed, capped at 1, 0 without staffed time */
    CHECK(cdr_kpi_occupancy(1800, 600, 3600) == 0.6667);
    CHECK(cdr_kpi_occupancy(100, 0, 0) == 0.0);
    CHECK(cdr_kpi_occupancy(5000, 0, 3600) == 1.0);
}

static void cdr_times(void)
{
    long long t;
    bool date_only;
    CHECK_EQ_INT(cdr_parse_time("2026-11-20", &t, &date_only), 0);
    CHECK(date_only);
    CHECK_EQ_INT(t, 1795132800);
    CHECK_EQ_INT(cdr_parse_time("2026-11-20T10:00:00Z", &t, &date_only), 0);
    CHECK(!date_only);
    CHECK_EQ_INT(t, 1795132800 + 36000);
    CHECK_EQ_INT(cdr_parse_time("2026-11-20 10:00:00", &t, &date_only), 0);
    CHECK_EQ_INT(t, 1795132800 + 36000);
    CHECK_EQ_INT(cdr_parse_time("2026-11-20T11:00:00.250+01:00", &t, &date_only), 0);
    CHECK_EQ_INT(t, 1795132800 + 36000);
    static const char *const bad[] = {"", "2026-11", "2026-02-30", "2026-13-01", "26-11-20",
                                      "2026-11-20T25:00:00Z", "2026-11-20T10:00:00X",
                                      "2026-11-20T10:00Z", "yesterday", "2026-11-20T10:00:00+1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(cdr_parse_time(bad[i], &t, &date_only) != 0);
}

/* A transport that keeps what a streamed answer wrote. */
static char ut_streamed[256];
static size_t ut_streamed_len;
static int ut_stream_fail;

static int ut_open(struct request *r, const char *content_type, const char *filename)
{
    (void)r;
    ut_streamed_len = (size_t)snprintf(ut_streamed, sizeof(ut_streamed), "[%s|%s]",
                                       content_type, filename ? filename : "-");
    return 0;
}

static int ut_put(struct request *r, const char *data, size_t len)
{
    (void)r;
    if (ut_stream_fail || ut_streamed_len + len >= sizeof(ut_streamed))
        return -1;
    memcpy(ut_streamed + ut_streamed_len, data, len);
    ut_streamed_len += len;
    ut_streamed[ut_streamed_len] = '\0';
    return 0;
}

static void request_streaming(void)
{
    struct request r;
    memset(&r, 0, sizeof(r));
    /* No streaming transport: refused, nothing answered. */
    CHECK_EQ_INT(request_stream_begin(&r, 200, "text/csv", NULL), -1);
    CHECK(!request_answered(&r));
    CHECK_EQ_INT(request_stream_write(&r, "x", 1), -1);
    r.stream_open = ut_open;
    r.stream_put = ut_put;
    ut_stream_fail = 0;
    CHECK_EQ_INT(request_stream_write(&r, "x", 1), -1); /* not begun */
    CHECK_EQ_INT(request_stream_begin(&r, 200, "text/csv", "cdrs.csv"), 0);
    CHECK(request_answered(&r) && r.streamed);
    CHECK_EQ_INT(r.reply.status, 200);
    CHECK_EQ_INT(request_stream_write(&r, "a,b\r\n", 5), 0);
    CHECK_EQ_INT(request_stream_write(&r, "", 0), 0);
    CHECK_EQ_STR(ut_streamed, "[text/csv|cdrs.csv]a,b\r\n");
    CHECK_EQ_INT(request_stream_begin(&r, 200, "text/csv", NULL), -1); /* once only */
    ut_stream_fail = 1;
    CHECK_EQ_INT(request_stream_write(&r, "c", 1), -1); /* the client went away */
}

const struct ut_case ut_cdr_cases[] = {
    {"request_streaming", request_streaming},
    {"csv_write_quoting", csv_write_quoting},
    {"csv_write_formulas", csv_write_formulas},
    {"csv_read_records", csv_read_records},
    {"buckets", cdr_buckets},
    {"deltas", cdr_deltas},
    {"figures", cdr_figures},
    {"times", cdr_times},
    {NULL, NULL},
};

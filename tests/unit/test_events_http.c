/*
 * src/events/http_head.c and api_query.c: the event worker's request heads and the cursor
 * a subscription resumes after. Both files are pure (no I/O), so they are included here as
 * they are (the unit tests do not link the event worker).
 */
#include <stdio.h>
#include <string.h>

#include "../../src/events/http_head.c"
#include "../../src/events/api_query.c"

#include "arena.h"
#include "unit.h"

/* Parses text as a head (a copy: parsing cuts it into strings); the status, h filled. */
static int ut_head(const char *text, char *buf, size_t cap, struct http_head *h)
{
    size_t n = strlen(text);
    if (n >= cap)
        return -1;
    memcpy(buf, text, n + 1);
    size_t end = http_head_end(buf, n, 0);
    return end == 0 ? 0 : http_head_parse(buf, end, h);
}

static void heads(void)
{
    char buf[1024];
    struct http_head h;
    CHECK_EQ_INT(ut_head("GET /api/events/poll?after=0 HTTP/1.1\r\nHost: a\r\n"
                         "X-Request-Id: abc-1\r\nLast-Event-ID:  x \r\n\r\n", buf, sizeof(buf), &h),
                 0);
    CHECK_EQ_STR(h.req.method, "GET");
    CHECK_EQ_INT(h.req.path_len, strlen("/api/events/poll"));
    CHECK(http_request_path_is(&h.req, "/api/events/poll"));
    CHECK_EQ_STR(h.req.query, "after=0");
    CHECK_EQ_STR(h.req.request_id, "abc-1");
    CHECK_EQ_STR(http_request_header(&h.req, "last-event-id"), "x");
    CHECK_EQ_INT(h.keepalive, 1);
    CHECK_EQ_INT(h.head, 0);

    CHECK_EQ_INT(ut_head("HEAD / HTTP/1.0\nConnection: keep-alive\n\n", buf, sizeof(buf), &h), 0);
    CHECK_EQ_INT(h.keepalive, 1);
    CHECK_EQ_INT(h.head, 1);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf), &h), 0);
    CHECK_EQ_INT(h.keepalive, 0);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", buf,
                         sizeof(buf), &h), 0);
    CHECK_EQ_INT(h.keepalive, 0);
    CHECK_EQ_INT(ut_head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof(buf), &h), 0);
    /* Not yet complete. */
    CHECK_EQ_INT(http_head_end("GET / HTTP/1.1\r\nHost: a\r\n", 25, 0), 0);
}

static void refusals(void)
{
    char buf[1024];
    struct http_head h;
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\n\r\n", buf, sizeof(buf), &h), 400); /* no Host */
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", buf, sizeof(buf), &h),
                 400);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", buf, sizeof(buf), &h),
                 400);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost : a\r\n\r\n", buf, sizeof(buf), &h), 400);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", buf, sizeof(buf), &h), 400);
    CHECK_EQ_INT(ut_head("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof(buf), &h), 400);
    CHECK_EQ_INT(ut_head("GET x HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof(buf), &h), 400);
    CHECK_EQ_INT(ut_head("GET / HTTP/2.0\r\nHost: a\r\n\r\n", buf, sizeof(buf), &h), 505);
    CHECK_EQ_INT(ut_head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", buf,
                         sizeof(buf), &h), 413);
    CHECK_EQ_INT(ut_head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                         "Content-Length: 4\r\n\r\n", buf, sizeof(buf), &h), 400);
    CHECK_EQ_INT(ut_head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                         buf, sizeof(buf), &h), 413);
    CHECK_EQ_INT(ut_head("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: a b\r\n\r\n", buf,
                         sizeof(buf), &h), 0);
    CHECK_EQ_STR(h.request_id, "-");
    /* More header lines than HTTP_MAX_HEADERS. */
    char big[HTTP_HEADER_MAX];
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: v\r\n", i);
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
    CHECK_EQ_INT(http_head_parse(big, http_head_end(big, n, 0), &h), 431);
}

static void resume_cursor(void)
{
    char buf[1024];
    struct http_head h;
    struct arena *a = arena_create(1024);
    REQUIRE(a != NULL);
    CHECK_EQ_INT(ut_head("GET /api/calls/events?x=1&after=A%2Bb&after=2 HTTP/1.1\r\nHost: a\r\n"
                         "Last-Event-ID: L\r\n\r\n", buf, sizeof(buf), &h), 0);
    struct query q;
    struct resume cur;
    REQUIRE(api_query_parse(a, h.req.query, &q) == 0);
    CHECK_EQ_STR(q.after, "A+b"); /* the first one, %-decoded */
    api_resume_pick(&h.req, &q, 0, &cur); /* a stream: Last-Event-ID first */
    CHECK_EQ_STR(cur.text, "L");
    CHECK_EQ_STR(cur.field, "Last-Event-ID");
    api_resume_pick(&h.req, &q, 1, &cur); /* a long-poll: ?after= first */
    CHECK_EQ_STR(cur.text, "A+b");
    CHECK_EQ_STR(cur.field, "after");

    CHECK_EQ_INT(ut_head("GET /api/events HTTP/1.1\r\nHost: a\r\nLast-Event-ID:\r\n\r\n", buf,
                         sizeof(buf), &h), 0);
    REQUIRE(api_query_parse(a, h.req.query, &q) == 0);
    api_resume_pick(&h.req, &q, 0, &cur); /* an empty header is no cursor */
    CHECK(cur.text == NULL);
    arena_destroy(a);
}

const struct ut_case ut_events_http_cases[] = {
    {"heads", heads},
    {"refusals", refusals},
    {"resume_cursor", resume_cursor},
    {NULL, NULL},
};

/*
 * What a subscription request of the event worker asks for, read without I/O (api.c
 * answers it; tests/fuzz/fuzz_events_http.c feeds it any request): the query parameters
 * the routes know and the cursor it resumes after.
 */
#include <string.h>

#include "arena.h"
#include "http.h"
#include "httputil.h"
#include "api_internal.h"

int api_query_parse(struct arena *a, const char *qs, struct query *q)
{
    memset(q, 0, sizeof(*q));
    if (qs == NULL)
        return 0;
    const char *p = qs;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char *key = url_decode(a, p, klen, 1);
        if (key == NULL)
            return -1;
        const char **slot = strcmp(key, "after") == 0          ? &q->after
                            : strcmp(key, "timeout") == 0      ? &q->timeout
                            : strcmp(key, "types") == 0        ? &q->types
                            : strcmp(key, "access_token") == 0 ? &q->access_token
                            : strcmp(key, "ticket") == 0       ? &q->ticket
                                                               : NULL;
        if (slot != NULL && *slot == NULL) {
            *slot = eq ? url_decode(a, eq + 1, len - klen - 1, 1) : "";
            if (*slot == NULL)
                return -1;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

void api_resume_pick(const struct http_request *req, const struct query *q, int is_poll,
                     struct resume *cur)
{
    /* A reconnecting EventSource sends Last-Event-ID (newer than the ?after= of its URL);
     * a long-poll names its cursor with ?after=. An empty header is no cursor. */
    const char *lei = http_request_header(req, "Last-Event-ID");
    if (lei != NULL && *lei == '\0')
        lei = NULL;
    const char *first = is_poll ? q->after : lei, *second = is_poll ? lei : q->after;
    cur->text = first ? first : second;
    cur->field = cur->text == q->after ? "after" : "Last-Event-ID";
}

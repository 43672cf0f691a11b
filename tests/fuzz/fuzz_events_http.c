/*
 * The bytes a client sends on the event worker's socket, read as the worker reads them
 * (http_parse.c's conn_process): into an input buffer of HTTP_HEADER_MAX bytes, empty
 * lines skipped, each head cut out and parsed (http_head.c), pipelined heads one after
 * the other until one is refused, does not fit, or upgrades the connection. Each request
 * is then read as the routes read it (api.c, ws_api.c): the /api/v1 fold, the query
 * parameters, the cursor a stream or a long-poll resumes after (Last-Event-ID, ?after=),
 * checked and decrypted with the tenant's cursor key.
 */
#include <string.h>
#include <strings.h>

#include "../../src/events/api_internal.h"
#include "../../src/events/http_internal.h"
#include "arena.h"
#include "cursor.h"
#include "fuzz.h"
#include "httputil.h"

static void read_cursor(const struct cursor_cipher *cc, const char *text)
{
    unsigned long long pos;
    if (text != NULL && cursor_well_formed(text) && cursor_decode(cc, text, &pos) == 0) {
        char again[CURSOR_TEXT_LEN + 1];
        (void)cursor_encode(cc, pos, again);
    }
}

/* A request as the routes read it. */
static void route_reads(struct arena *a, const struct cursor_cipher *cc,
                        const struct http_request *req)
{
    char *path = arena_strndup(a, req->path, req->path_len);
    if (path != NULL)
        (void)path_fold_v1(a, path);
    struct query q;
    if (api_query_parse(a, req->query, &q) == 0) {
        for (int is_poll = 0; is_poll <= 1; is_poll++) {
            struct resume cur;
            api_resume_pick(req, &q, is_poll, &cur);
            read_cursor(cc, cur.text);
        }
    }
    struct query_pair *pairs = NULL;
    size_t n = 0;
    if (req->query != NULL &&
        http_pairs_parse(a, req->query, strlen(req->query), &pairs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(pairs[i].key, "after") == 0)
                read_cursor(cc, pairs[i].value);
    }
    arena_reset(a);
}

/* Empty lines before a request line (RFC 9112 2.2), as conn_process skips them. */
static size_t empty_lines(const char *in, size_t len)
{
    size_t skip = 0;
    while (skip < len && (in[skip] == '\n' ||
                          (in[skip] == '\r' && skip + 1 < len && in[skip + 1] == '\n')))
        skip += in[skip] == '\n' ? 1 : 2;
    return skip;
}

/* The stream: 0 while heads keep being served, -1 once the connection would close. */
static int serve_stream(struct arena *a, const struct cursor_cipher *cc, const uint8_t *data,
                        size_t size, char *in)
{
    size_t in_len = 0, used = 0;
    for (;;) {
        size_t take = size - used < HTTP_HEADER_MAX - in_len ? size - used
                                                             : HTTP_HEADER_MAX - in_len;
        memcpy(in + in_len, data + used, take);
        in_len += take;
        used += take;
        size_t skip = empty_lines(in, in_len);
        memmove(in, in + skip, in_len - skip);
        in_len -= skip;
        size_t end = http_head_end(in, in_len, 0);
        if (end == 0)
            return -1; /* incomplete at the end of the input, or 431 */
        struct http_head h;
        if (http_head_parse(in, end, &h) != 0)
            return -1;
        route_reads(a, cc, &h.req);
        const char *up = http_request_header(&h.req, "Upgrade");
        if (up != NULL && strcasecmp(up, "websocket") == 0)
            return 0; /* what follows is WebSocket frames (fuzz-ws) */
        if (!h.keepalive)
            return 0;
        memmove(in, in + end, in_len - end);
        in_len -= end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cursor_cipher *cc;
    static struct arena *a;
    static char in[HTTP_HEADER_MAX];
    static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
    if (cc == NULL && (cc = cursor_cipher_new(key, sizeof(key), "ten_fuzz")) == NULL)
        return 0;
    if (a == NULL && (a = arena_create(4096)) == NULL)
        return 0;
    (void)serve_stream(a, cc, data, size, in);
    return 0;
}

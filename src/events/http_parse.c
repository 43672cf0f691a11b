/*
 * The requests of a connection of the event worker's HTTP server (http.h for the contract):
 * each head from the input buffer through the parser (http_head.c); one that is refused
 * closes the connection after the answer; otherwise the handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "http_internal.h"

/* Answers a request that could not be parsed or is refused as a whole, and closes
 * the connection after it: what follows it in the stream cannot be trusted. */
static void reject(struct http_conn *c, int status, const char *code, const char *message)
{
    log_info("events: conn %llu: %d %s", c->id, status, message);
    c->flags = (c->flags & ~(unsigned)(C_KEEPALIVE | C_HEAD)) | C_REPLY_DUE;
    if (http_reply_error(c, status, code, message, c->srv->extra_headers) != 0)
        conn_close(c, "rejected");
}

static int reject_status(struct http_conn *c, int status)
{
    switch (status) {
    case 413:
        reject(c, 413, "payload_too_large", "Request bodies are not accepted here");
        break;
    case 431:
        reject(c, 431, "headers_too_large", "Request header fields too large");
        break;
    case 505:
        reject(c, 505, "http_version_not_supported", "HTTP version not supported");
        break;
    default:
        reject(c, 400, "bad_request", "Bad request");
        break;
    }
    return -1;
}

/* Calls the handler for a parsed request; a handler that gave no answer gets a 500. */
static void serve(struct http_conn *c, const struct http_head *h)
{
    const struct http_request *req = &h->req;
    c->flags &= ~(unsigned)(C_KEEPALIVE | C_HEAD | C_HTTP10);
    c->flags |= C_REPLY_DUE | (h->keepalive ? C_KEEPALIVE : 0) |
                (req->minor == 0 ? C_HTTP10 : 0) | (h->head ? C_HEAD : 0);
    /* Serving a request is not idling; an answer re-arms the timer. */
    loop_timer_stop(c->srv->loop, &c->idle);

    log_set_request_id(c->request_id);
    log_debug("events: conn %llu: %s %.*s", c->id, req->method, (int)req->path_len, req->path);
    c->srv->handler(c, req, c->srv->data);
    if ((c->flags & (C_DEAD | C_REPLY_DUE | C_DEFERRED)) == C_REPLY_DUE) {
        log_error("events: handler gave no answer to %s %.*s", req->method,
                  (int)req->path_len, req->path);
        if (http_reply_error(c, 500, "internal_error", "The handler produced no answer",
                             c->srv->extra_headers) != 0)
            conn_close(c, "no answer");
    }
    log_set_request_id(NULL);
}

/*
 * Parses the head in in[0..end) (end is just past the blank line) and calls the
 * handler. 1 when a request was handled, -1 when it was rejected.
 */
static int handle_request(struct http_conn *c, size_t end)
{
    struct http_head h;
    int st = http_head_parse(c->in, end, &h);
    /* The answer, a refusal too, carries the client's X-Request-Id when it was sane. */
    memcpy(c->request_id, h.request_id, sizeof(c->request_id));
    h.req.request_id = c->request_id;
    if (st != 0)
        return reject_status(c, st);
    serve(c, &h);
    return 1;
}

void conn_process(struct http_conn *c)
{
    if (c->flags & C_UPGRADED) {
        conn_upgraded_input(c);
        return;
    }
    while (c->in_len > 0 && !(c->flags & (C_DEAD | C_CLOSE_AFTER | C_REPLY_DUE | C_STREAM)) &&
           out_pending(c) == 0) {
        /* Empty lines before a request line are allowed (RFC 9112 2.2). */
        size_t skip = 0;
        while (skip < c->in_len && (c->in[skip] == '\n' ||
                                    (c->in[skip] == '\r' && skip + 1 < c->in_len &&
                                     c->in[skip + 1] == '\n')))
            skip += c->in[skip] == '\n' ? 1 : 2;
        if (skip > 0) {
            memmove(c->in, c->in + skip, c->in_len - skip);
            c->in_len -= skip;
            c->scan = 0;
            continue;
        }
        /* The head ends with an empty line: LF (CR) LF. Resume where the last scan
         * stopped so a head trickling in byte by byte costs O(n), not O(n^2). */
        size_t end = http_head_end(c->in, c->in_len, c->scan);
        if (end == 0) {
            c->scan = c->in_len;
            if (c->in_len >= HTTP_HEADER_MAX) {
                reject_status(c, 431);
                c->in_len = 0;
            }
            break;
        }
        int handled = handle_request(c, end);
        if (c->flags & C_DEAD)
            break;
        if (handled < 0) {
            /* Rejected: the connection closes after the answer; drop the rest. */
            c->in_len = 0;
            break;
        }
        memmove(c->in, c->in + end, c->in_len - end);
        c->in_len -= end;
        c->scan = 0;
    }
    if (c->flags & C_DEAD)
        return;
    if (c->flags & C_UPGRADED) {
        /* The handler upgraded: what followed the head is the new protocol's. */
        conn_upgraded_input(c);
        return;
    }
    if (c->in_len == 0) {
        free(c->in);
        c->in = NULL;
        c->scan = 0;
    }
    conn_update_mask(c);
}

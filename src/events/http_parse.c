/*
 * The request parser of the event worker's HTTP server (http.h for the contract): a strict
 * HTTP/1.1 head (RFC 9112) from the input buffer, refused as a whole (and the connection
 * closed after the answer) when anything in it cannot be trusted; then the handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "loop.h"
#include "http_internal.h"

/* ---- parsing -------------------------------------------------------------------- */

const char *http_request_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

int http_request_path_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* One or more tchars, nothing else. */
static int is_token(const char *s)
{
    const char *p = s;
    while (is_tchar((unsigned char)*p))
        p++;
    return p != s && *p == '\0';
}

/* Field values: visible ASCII, SP, HTAB and obs-text; no other control characters. */
static int is_field_value(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return 0;
    }
    return 1;
}

static void set_request_id(struct http_conn *c, const char *v)
{
    size_t n = strlen(v);
    int ok = n > 0 && n <= HTTP_REQUEST_ID_MAX;
    /* It goes into JSON answers and log lines verbatim: allow only a plain charset
     * (nginx's $request_id is 32 hex digits). */
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '-' || ch == '_' || ch == '.' || ch == ':';
    }
    if (ok)
        memcpy(c->request_id, v, n + 1);
    else
        memcpy(c->request_id, "-", 2);
}

/* Does a comma-separated Connection value name the option? */
static int has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == n && strncasecmp(p, tok, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* What parsing found besides the request itself. */
struct parse_state {
    int hosts;
    int te;
    int conn_close, conn_keepalive;
    int have_cl;
    unsigned long long cl;
};

/* Answers a request that could not be parsed or is refused as a whole, and closes
 * the connection after it: what follows it in the stream cannot be trusted. */
static void reject(struct http_conn *c, int status, const char *code, const char *message)
{
    log_info("events: conn %llu: %d %s", c->id, status, message);
    c->flags = (c->flags & ~(unsigned)(C_KEEPALIVE | C_HEAD)) | C_REPLY_DUE;
    if (http_reply_error(c, status, code, message, c->srv->extra_headers) != 0)
        conn_close(c, "rejected");
}

/* One header line (NUL-terminated, no CR/LF). 0, or an HTTP status to reject with. */
static int parse_header(struct http_conn *c, char *line, struct http_request *req,
                        struct parse_state *ps)
{
    if (line[0] == ' ' || line[0] == '\t')
        return 400; /* obsolete line folding */
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return 400;
    *colon = '\0';
    if (!is_token(line))
        return 400; /* includes whitespace before the colon */
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    char *e = v + strlen(v);
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *e = '\0';
    if (!is_field_value(v))
        return 400;
    if (req->nheaders == HTTP_MAX_HEADERS)
        return 431;
    req->headers[req->nheaders].name = line;
    req->headers[req->nheaders].value = v;
    req->nheaders++;

    if (strcasecmp(line, "host") == 0) {
        ps->hosts++;
    } else if (strcasecmp(line, "content-length") == 0) {
        unsigned long long n = 0;
        if (*v == '\0')
            return 400;
        for (const char *p = v; *p; p++) {
            if (*p < '0' || *p > '9')
                return 400;
            /* Saturate: any huge length is refused as 413 anyway. */
            n = n > 1000000000ULL ? n : n * 10 + (unsigned long long)(*p - '0');
        }
        if (ps->have_cl && ps->cl != n)
            return 400; /* conflicting lengths: a smuggling attempt or a broken client */
        ps->have_cl = 1;
        ps->cl = n;
    } else if (strcasecmp(line, "transfer-encoding") == 0) {
        ps->te = 1;
    } else if (strcasecmp(line, "connection") == 0) {
        ps->conn_close |= has_token(v, "close");
        ps->conn_keepalive |= has_token(v, "keep-alive");
    } else if (strcasecmp(line, "x-request-id") == 0) {
        set_request_id(c, v);
    }
    return 0;
}

static int reject_status(struct http_conn *c, int status)
{
    switch (status) {
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

/* Cuts the head in[0..end) into NUL-terminated lines. A CR is allowed only before LF.
 * 0, or -1 for a stray CR or a NUL. */
static int cut_lines(char *in, size_t end)
{
    for (size_t i = 0; i < end; i++) {
        if (in[i] == '\n') {
            in[i] = '\0';
            if (i > 0 && in[i - 1] == '\r')
                in[i - 1] = '\0';
        } else if (in[i] == '\r' && (i + 1 >= end || in[i + 1] != '\n')) {
            return -1;
        } else if (in[i] == '\0') {
            return -1;
        }
    }
    return 0;
}

/* Request line: method SP request-target SP HTTP-version, single spaces. 0 with the
 * three parts cut out of line and *minor set, or an HTTP status to reject with. */
static int parse_request_line(char *line, char **method, char **target, char **version,
                              int *minor)
{
    char *sp1 = strchr(line, ' ');
    *target = sp1 ? sp1 + 1 : NULL;
    char *sp2 = *target ? strchr(*target, ' ') : NULL;
    *version = sp2 ? sp2 + 1 : NULL;
    if (*version == NULL || strchr(*version, ' ') != NULL)
        return 400;
    *sp1 = '\0';
    *sp2 = '\0';
    *method = line;
    if (!is_token(*method) || **target == '\0')
        return 400;
    for (const char *p = *target; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return 400;
    const char *v = *version;
    if (strcmp(v, "HTTP/1.1") == 0)
        *minor = 1;
    else if (strcmp(v, "HTTP/1.0") == 0)
        *minor = 0;
    else if (strncmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
             v[7] >= '0' && v[7] <= '9' && v[8] == '\0')
        return 505;
    else
        return 400;
    return 0;
}

/* Header lines from line up to end, until the empty one. 0, or an HTTP status. */
static int parse_headers(struct http_conn *c, char *line, const char *end,
                         struct http_request *req, struct parse_state *ps)
{
    for (;;) {
        /* Skip the NULs that replaced CR LF. */
        while (line < end && *line == '\0')
            line++;
        if (line >= end)
            return 0;
        /* Before parse_header, which puts more NULs into the line. */
        char *next = line + strlen(line);
        int st = parse_header(c, line, req, ps);
        if (st != 0)
            return st;
        line = next;
    }
}

/* Calls the handler for a parsed request; a handler that gave no answer gets a 500. */
static void serve(struct http_conn *c, struct http_request *req, const struct parse_state *ps)
{
    int keep = req->minor == 1 ? !ps->conn_close : (ps->conn_keepalive && !ps->conn_close);
    c->flags &= ~(unsigned)(C_KEEPALIVE | C_HEAD | C_HTTP10);
    c->flags |= C_REPLY_DUE | (keep ? C_KEEPALIVE : 0) | (req->minor == 0 ? C_HTTP10 : 0) |
                (strcmp(req->method, "HEAD") == 0 ? C_HEAD : 0);
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
    struct http_request req;
    struct parse_state ps;
    memset(&req, 0, sizeof(req));
    memset(&ps, 0, sizeof(ps));
    memcpy(c->request_id, "-", 2);

    if (cut_lines(c->in, end) != 0)
        return reject_status(c, 400);
    char *method, *target, *version;
    int st = parse_request_line(c->in, &method, &target, &version, &req.minor);
    if (st != 0)
        return reject_status(c, st);
    st = parse_headers(c, version + strlen(version), c->in + end, &req, &ps);
    if (st != 0)
        return reject_status(c, st);

    if (ps.hosts > 1 || (req.minor == 1 && ps.hosts == 0))
        return reject_status(c, 400);
    if (ps.te || ps.cl > 0) {
        /* Bodies are never read, so the connection cannot continue after this. */
        reject(c, 413, "payload_too_large", "Request bodies are not accepted here");
        return -1;
    }
    if (target[0] != '/' && !(strcmp(target, "*") == 0 && strcmp(method, "OPTIONS") == 0))
        return reject_status(c, 400);

    req.method = method;
    req.target = target;
    req.path = target;
    char *q = strchr(target, '?');
    req.path_len = q ? (size_t)(q - target) : strlen(target);
    req.query = q ? q + 1 : NULL;
    req.request_id = c->request_id;
    serve(c, &req, &ps);
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
        size_t end = 0;
        for (size_t i = c->scan; i < c->in_len; i++) {
            if (c->in[i] != '\n')
                continue;
            if ((i >= 1 && c->in[i - 1] == '\n') ||
                (i >= 2 && c->in[i - 1] == '\r' && c->in[i - 2] == '\n')) {
                end = i + 1;
                break;
            }
        }
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

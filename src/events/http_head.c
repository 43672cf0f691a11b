/*
 * The event worker's request head parser, without I/O (http_parse.c drives it on a
 * connection; tests/fuzz/fuzz_events_http.c feeds it any bytes): a strict HTTP/1.1 head
 * (RFC 9112), refused as a whole when anything in it cannot be trusted.
 */
#include <string.h>
#include <strings.h>

#include "http_internal.h"

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

static void set_request_id(struct http_head *h, const char *v)
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
        memcpy(h->request_id, v, n + 1);
    else
        memcpy(h->request_id, "-", 2);
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

/* Content-Length: digits only, equal to any earlier one. 0, or 400. */
static int parse_length(const char *v, struct parse_state *ps)
{
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
    return 0;
}

/* One header line (NUL-terminated, no CR/LF). 0, or an HTTP status to reject with. */
static int parse_header(struct http_head *h, char *line, struct parse_state *ps)
{
    struct http_request *req = &h->req;
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
        return parse_length(v, ps);
    } else if (strcasecmp(line, "transfer-encoding") == 0) {
        ps->te = 1;
    } else if (strcasecmp(line, "connection") == 0) {
        ps->conn_close |= has_token(v, "close");
        ps->conn_keepalive |= has_token(v, "keep-alive");
    } else if (strcasecmp(line, "x-request-id") == 0) {
        set_request_id(h, v);
    }
    return 0;
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
static int parse_headers(struct http_head *h, char *line, const char *end,
                         struct parse_state *ps)
{
    for (;;) {
        /* Skip the NULs that replaced CR LF. */
        while (line < end && *line == '\0')
            line++;
        if (line >= end)
            return 0;
        /* Before parse_header, which puts more NULs into the line. */
        char *next = line + strlen(line);
        int st = parse_header(h, line, ps);
        if (st != 0)
            return st;
        line = next;
    }
}

size_t http_head_end(const char *in, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        if (in[i] != '\n')
            continue;
        if ((i >= 1 && in[i - 1] == '\n') ||
            (i >= 2 && in[i - 1] == '\r' && in[i - 2] == '\n'))
            return i + 1;
    }
    return 0;
}

int http_head_parse(char *in, size_t end, struct http_head *h)
{
    struct parse_state ps;
    memset(h, 0, sizeof(*h));
    memset(&ps, 0, sizeof(ps));
    memcpy(h->request_id, "-", 2);
    struct http_request *req = &h->req;
    req->request_id = h->request_id;

    if (cut_lines(in, end) != 0)
        return 400;
    char *method, *target, *version;
    int st = parse_request_line(in, &method, &target, &version, &req->minor);
    if (st == 0)
        st = parse_headers(h, version + strlen(version), in + end, &ps);
    if (st != 0)
        return st;
    if (ps.hosts > 1 || (req->minor == 1 && ps.hosts == 0))
        return 400;
    if (ps.te || ps.cl > 0)
        return 413; /* bodies are never read, so the connection cannot continue */
    if (target[0] != '/' && !(strcmp(target, "*") == 0 && strcmp(method, "OPTIONS") == 0))
        return 400;

    req->method = method;
    req->target = target;
    req->path = target;
    char *q = strchr(target, '?');
    req->path_len = q ? (size_t)(q - target) : strlen(target);
    req->query = q ? q + 1 : NULL;
    h->keepalive = req->minor == 1 ? !ps.conn_close : (ps.conn_keepalive && !ps.conn_close);
    h->head = strcmp(method, "HEAD") == 0;
    return 0;
}

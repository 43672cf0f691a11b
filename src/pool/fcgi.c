/*
 * The FastCGI side of a request (libfcgi): its parameters and body in, the rendered answer
 * out. The only file of the pool that speaks FastCGI; the rest sees struct request.
 */
#include "request_io.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcgiapp.h>

#include "arena.h"
#include "config.h"
#include "httputil.h"
#include "log.h"

static const char *param(FCGX_Request *f, const char *name)
{
    return FCGX_GetParam(name, f->envp);
}

/* A request header by its HTTP name ("X-Twilio-Signature"): FastCGI's HTTP_* parameter. */
static const char *fcgi_header(struct request *r, const char *name)
{
    char key[128] = "HTTP_";
    size_t k = 5;
    for (const char *p = name; *p != '\0'; p++) {
        if (k + 1 >= sizeof(key))
            return NULL;
        key[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    }
    key[k] = '\0';
    return r->transport ? param(r->transport, key) : NULL;
}

/*
 * A streamed answer's head. No Content-Length: nginx ends the body where the FastCGI
 * record stream ends (chunked to an HTTP/1.1 client). nginx's response buffering stays on,
 * so a slow client holds nginx's buffer, not a pool worker.
 */
static int fcgi_stream_open(struct request *r, const char *content_type, const char *filename)
{
    FCGX_Request *f = r->transport;
    char head[512], disp[160] = "";
    if (filename != NULL)
        snprintf(disp, sizeof(disp), "Content-Disposition: attachment; filename=\"%s\"\r\n",
                 filename);
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Cache-Control: no-store\r\n"
                     "%s"
                     "\r\n",
                     r->reply.status, http_status_text(r->reply.status), content_type, disp);
    if (f == NULL || n < 0 || (size_t)n >= sizeof(head))
        return -1;
    return FCGX_PutStr(head, n, f->out) == n ? 0 : -1;
}

static int fcgi_stream_put(struct request *r, const char *data, size_t len)
{
    FCGX_Request *f = r->transport;
    while (len > 0) {
        int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
        if (FCGX_PutStr(data, chunk, f->out) != chunk) {
            log_warn("the client went away during a streamed answer");
            return -1;
        }
        data += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

int request_begin(struct request *r, void *fcgx_request, struct arena *a,
                  const struct config *cfg, struct db *db, struct cache *cache)
{
    FCGX_Request *f = fcgx_request;
    memset(r, 0, sizeof(*r));
    r->arena = a;
    r->cfg = cfg;
    r->db = db;
    r->cache = cache;
    r->transport = f;
    r->header = fcgi_header;
    r->stream_open = fcgi_stream_open;
    r->stream_put = fcgi_stream_put;
    r->reply.status = 500;

    const char *v;
    r->method = (v = param(f, "REQUEST_METHOD")) ? v : "GET";
    r->request_id = (v = param(f, "REQUEST_ID")) ? v : "-";
    r->remote_addr = param(f, "REMOTE_ADDR");
    r->content_type = param(f, "CONTENT_TYPE");
    r->authorization = param(f, "HTTP_AUTHORIZATION");
    r->user_agent = param(f, "HTTP_USER_AGENT");
    r->query = (v = param(f, "QUERY_STRING")) ? v : "";
    r->request_uri = (v = param(f, "REQUEST_URI")) ? v : "/";

    /* nginx's DOCUMENT_URI is $uri: already decoded and normalised. */
    const char *path = param(f, "DOCUMENT_URI");
    if (path == NULL) {
        const char *uri = (v = param(f, "REQUEST_URI")) ? v : "/";
        const char *q = strchr(uri, '?');
        path = url_decode(a, uri, q ? (size_t)(q - uri) : strlen(uri), 0);
        if (path == NULL)
            return -1;
    }
    r->original_path = path;
    r->path = path_fold_v1(a, path);
    if (r->path == NULL)
        return -1;

    /* Only the upload location sets it (clients cannot: theirs are HTTP_* params). */
    v = param(f, "SB_BODY_FILE");
    r->body_file = v != NULL && *v != '\0' ? v : NULL;

    const char *cl = param(f, "CONTENT_LENGTH");
    long long len = cl && *cl ? strtoll(cl, NULL, 10) : 0;
    if (len < 0)
        len = 0;
    if (len > cfg->max_body_bytes) {
        r->body_too_large = true;
        return 0;
    }
    if (len > 0) {
        char *body = arena_alloc(a, (size_t)len + 1);
        if (body == NULL)
            return -1;
        int got = 0;
        while (got < len) {
            int n = FCGX_GetStr(body + got, (int)(len - got), f->in);
            if (n <= 0)
                break;
            got += n;
        }
        body[got] = '\0';
        r->body = body;
        r->body_len = (size_t)got;
    }
    return 0;
}

void request_send(struct request *r)
{
    FCGX_Request *f = r->transport;
    struct rendered body;
    /* Its head and body went out as it was made; FCGX_Finish_r flushes the rest. */
    if (r->streamed)
        return;
    if (!request_answered(r))
        request_error(r, 500, "internal_error", "The handler produced no answer");
    if (request_render(r, &body) != 0) {
        static const char oom[] =
            "{\"success\":false,\"error\":\"Out of memory\",\"code\":\"internal_error\"}";
        body.part[0] = oom;
        body.len[0] = body.total = sizeof(oom) - 1;
        body.n = 1;
        r->reply.status = 500;
        r->reply.content_type = NULL;
    }
    /* libfcgi's own printf knows no %zu: headers are formatted here. */
    char head[1024], retry[80] = "", accel[640] = "";
    if (r->reply.accel_uri != NULL &&
        (size_t)snprintf(accel, sizeof(accel), "X-Accel-Redirect: %s\r\n%s%s%s",
                         r->reply.accel_uri, r->reply.disposition ? "Content-Disposition: " : "",
                         r->reply.disposition ? r->reply.disposition : "",
                         r->reply.disposition ? "\r\n" : "") >= sizeof(accel)) {
        log_warn("an X-Accel-Redirect answer does not fit its header");
        return;
    }
    if (r->retry_after > 0)
        snprintf(retry, sizeof(retry), "Retry-After: %ld\r\n", r->retry_after);
    else if (r->replayed)
        snprintf(retry, sizeof(retry), "Idempotent-Replayed: true\r\n");
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Cache-Control: no-store\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s%s%s%s"
                     "\r\n",
                     r->reply.status, http_status_text(r->reply.status),
                     r->reply.content_type ? r->reply.content_type
                                           : "application/json; charset=utf-8",
                     body.total,
                     r->allow[0] ? "Allow: " : "", r->allow, r->allow[0] ? "\r\n" : "", retry, accel);
    if (n < 0 || (size_t)n >= sizeof(head))
        return;
    if (FCGX_PutStr(head, n, f->out) != n)
        return;
    /* The pieces go into libfcgi's buffer as they are: a cached body is never reformatted. */
    for (int i = 0; i < body.n; i++) {
        if (FCGX_PutStr(body.part[i], (int)body.len[i], f->out) != (int)body.len[i]) {
            log_warn("the client went away before the answer was written");
            return;
        }
    }
}

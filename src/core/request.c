#include "request.h"
#include "request_io.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcgiapp.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *url_decode(struct arena *a, const char *s, size_t len, int plus_space)
{
    char *out = arena_alloc(a, len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

const char *path_fold_v1(struct arena *a, const char *s)
{
    if (strncmp(s, "/api/v1", 7) == 0 && (s[7] == '/' || s[7] == '\0'))
        return arena_printf(a, "/api%s", s + 7);
    return s;
}

static const char *param(FCGX_Request *f, const char *name)
{
    return FCGX_GetParam(name, f->envp);
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

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/* RFC 3339 UTC with milliseconds, for the dialects that stamp their answers. */
static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int request_render(struct request *r, struct rendered *out)
{
    char ts[32];
    now_rfc3339(ts);
    struct render_ctx ctx = {r->families, r->request_id, ts, r->original_path,
                             r->reply.is_error && r->reply.status == 422 ? r->field_errors
                                                                         : NULL};
    return render_reply(r->arena, &r->reply, &ctx, out);
}

void request_send(struct request *r)
{
    FCGX_Request *f = r->transport;
    struct rendered body;
    if (!request_answered(r))
        request_error(r, 500, "internal_error", "The handler produced no answer");
    if (request_render(r, &body) != 0) {
        static const char oom[] =
            "{\"success\":false,\"error\":\"Out of memory\",\"code\":\"internal_error\"}";
        body.part[0] = oom;
        body.len[0] = body.total = sizeof(oom) - 1;
        body.n = 1;
        r->reply.status = 500;
    }
    /* libfcgi's own printf knows no %zu: headers are formatted here. */
    char head[512], retry[80] = "";
    if (r->retry_after > 0)
        snprintf(retry, sizeof(retry), "Retry-After: %ld\r\n", r->retry_after);
    else if (r->replayed)
        snprintf(retry, sizeof(retry), "Idempotent-Replayed: true\r\n");
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Cache-Control: no-store\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s%s%s"
                     "\r\n",
                     r->reply.status, status_text(r->reply.status), body.total,
                     r->allow[0] ? "Allow: " : "", r->allow, r->allow[0] ? "\r\n" : "", retry);
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

const char *request_param(struct request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->match.nparams; i++) {
        const struct route_param *p = &r->match.params[i];
        if (p->name_len == n && memcmp(p->name, name, n) == 0)
            return arena_strndup(r->arena, p->value, p->value_len);
    }
    return NULL;
}

/* Splits "a=1&b=2" into decoded pairs; '+' is a space. */
static int pairs_parse(struct arena *a, const char *s, size_t len, struct query_pair **out,
                       size_t *n)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == '&';
    *n = 0;
    *out = arena_calloc(a, cap, sizeof(**out));
    if (*out == NULL)
        return -1;
    const char *end = s + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        size_t plen = amp ? (size_t)(amp - s) : (size_t)(end - s);
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        if (klen > 0) {
            struct query_pair *qp = &(*out)[*n];
            qp->key = url_decode(a, s, klen, 1);
            qp->value = eq ? url_decode(a, eq + 1, plen - klen - 1, 1) : arena_strdup(a, "");
            if (qp->key == NULL || qp->value == NULL)
                return -1;
            (*n)++;
        }
        s += plen;
        if (s < end && *s == '&')
            s++;
    }
    return 0;
}

static void query_parse(struct request *r)
{
    r->query_parsed = true;
    if (pairs_parse(r->arena, r->query, strlen(r->query), &r->query_pairs, &r->nquery) != 0)
        r->nquery = 0;
}

int request_form(struct request *r, struct query_pair **pairs, size_t *n)
{
    return pairs_parse(r->arena, r->body ? r->body : "", r->body_len, pairs, n);
}

const char *request_header(struct request *r, const char *name)
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

const char *request_query(struct request *r, const char *name)
{
    if (!r->query_parsed)
        query_parse(r);
    for (size_t i = 0; i < r->nquery; i++)
        if (strcmp(r->query_pairs[i].key, name) == 0)
            return r->query_pairs[i].value;
    return NULL;
}

int request_body_object(struct request *r, struct json_object **out)
{
    struct json_object *obj = NULL;
    *out = NULL;
    if (r->body == NULL || r->body_len == 0)
        return request_error(r, 400, "invalid_json", "A JSON object body is required");
    if (json_parse_object(r->body, r->body_len, &obj) != 0)
        return request_error(r, 400, "invalid_json", "The body is not a valid JSON object");
    if (arena_json(r->arena, obj) == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    *out = obj;
    return 0;
}

bool request_answered(const struct request *r)
{
    const struct reply *p = &r->reply;
    return p->is_error || p->raw != NULL || p->data != NULL || p->data_text != NULL;
}

void request_unanswer(struct request *r)
{
    memset(&r->reply, 0, sizeof(r->reply));
    r->reply.status = 500;
}

int request_reply_found(struct request *r, int status, int fetch_rc, const char *key,
                        struct json_object *obj, const char *not_found)
{
    if (fetch_rc < 0)
        return request_db_error(r, fetch_rc);
    if (fetch_rc == 1)
        return request_error(r, 404, "not_found", not_found);
    return reply_one(r, status, key, obj);
}

int request_error(struct request *r, int status, const char *code, const char *message)
{
    memset(&r->reply, 0, sizeof(r->reply));
    r->reply.status = status;
    r->reply.is_error = true;
    r->reply.code = code;
    r->reply.message = message;
    return -1;
}

int request_db_error(struct request *r, int db_rc)
{
    switch (db_rc) {
    case DB_UNAVAILABLE:
        return request_error(r, 503, "service_unavailable",
                             "The database is unavailable; retry shortly");
    case DB_DEADLOCK:
        return request_error(r, 503, "service_unavailable",
                             "The request conflicted with another; retry");
    case DB_DUPLICATE:
        return request_error(r, 409, "conflict", "A record with these values already exists");
    case DB_FOREIGN_KEY:
        return request_error(r, 409, "conflict", "The record is referenced by other records");
    default:
        log_error("database error %u: %s", db_last_errno(r->db), db_last_error(r->db));
        return request_error(r, 500, "internal_error", "Internal error");
    }
}

void request_field_error(struct request *r, const char *field, const char *reason)
{
    if (r->field_errors == NULL) {
        r->field_errors = arena_json(r->arena, json_object_new_object());
        if (r->field_errors == NULL)
            return;
    }
    if (json_object_object_get_ex(r->field_errors, field, NULL))
        return;
    json_set_str(r->field_errors, field, reason);
}

int request_check_fields(struct request *r)
{
    if (r->field_errors == NULL || json_object_object_length(r->field_errors) == 0)
        return 0;
    struct json_object_iterator it = json_object_iter_begin(r->field_errors);
    const char *first = json_object_iter_peek_name(&it);
    struct json_object *reason = json_object_iter_peek_value(&it);
    char *msg = arena_printf(r->arena, "Validation failed: %s %s", first,
                             json_object_get_string(reason));
    return request_error(r, 422, "validation_failed", msg ? msg : "Validation failed");
}

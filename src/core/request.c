#include "request.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "metrics.h"

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

static void query_parse(struct request *r)
{
    r->query_parsed = true;
    if (http_pairs_parse(r->arena, r->query, strlen(r->query), &r->query_pairs, &r->nquery) != 0)
        r->nquery = 0;
}

int request_form(struct request *r, struct query_pair **pairs, size_t *n)
{
    return http_pairs_parse(r->arena, r->body ? r->body : "", r->body_len, pairs, n);
}

const char *request_header(struct request *r, const char *name)
{
    return r->header != NULL ? r->header(r, name) : NULL;
}

static const char *query_of(void *r, const char *name)
{
    return request_query(r, name);
}

/* A validation failure: a 422, or the 400 coldcaller's clients expect instead. */
static bool is_validation(const struct request *r)
{
    return r->reply.is_error && r->field_errors != NULL &&
           (r->reply.status == 422 ||
            (r->reply.status == 400 && r->reply.code != NULL &&
             strcmp(r->reply.code, "validation_failed") == 0));
}

int request_render(struct request *r, struct rendered *out)
{
    char ts[32];
    http_now_rfc3339(ts);
    struct render_ctx ctx = {r->families, r->request_id, ts, r->original_path,
                             is_validation(r) ? r->field_errors : NULL, NULL, query_of, r};
    struct json_object *sent = NULL;
    if (ctx.fields != NULL && (r->families & FAM_COLDCALLER) && r->body != NULL &&
        json_parse_value(r->body, r->body_len, &sent) == 0 &&
        json_object_is_type(sent, json_type_object))
        ctx.body = sent;
    int rc = render_reply(r->arena, &r->reply, &ctx, out);
    json_object_put(sent);
    return rc;
}

/* Coldcaller's clients read a validation failure as a 400. The paths it shares with
 * transfer are called only by coldcaller's clients (../shared/routes.tsv), so there too. */
static int validation_status(const struct request *r, int status)
{
    if (status == 422 && (r->families & FAM_COLDCALLER) && !(r->families & FAM_CALLCENTER))
        return 400;
    return status;
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
        return request_oom(r);
    *out = obj;
    return 0;
}

int request_stream_begin(struct request *r, int status, const char *content_type,
                         const char *filename)
{
    if (r->streamed || r->stream_open == NULL)
        return -1;
    memset(&r->reply, 0, sizeof(r->reply));
    r->reply.status = validation_status(r, status);
    r->reply.content_type = content_type;
    if (r->stream_open(r, content_type, filename) != 0)
        return -1;
    r->streamed = true;
    return 0;
}

int request_stream_write(struct request *r, const char *data, size_t len)
{
    if (!r->streamed || r->stream_put == NULL)
        return -1;
    return len == 0 ? 0 : r->stream_put(r, data, len);
}

bool request_answered(const struct request *r)
{
    const struct reply *p = &r->reply;
    return r->streamed || p->is_error || p->raw != NULL || p->data != NULL || p->data_text != NULL;
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
    r->reply.status = validation_status(r, status);
    r->reply.is_error = true;
    r->reply.code = code;
    r->reply.message = message;
    return -1;
}

int request_oom(struct request *r)
{
    return request_error(r, 500, "internal_error", "Out of memory");
}

int request_db_error(struct request *r, int db_rc)
{
    switch (db_rc) {
    case DB_UNAVAILABLE:
        metrics_db_error(METRICS_DB_UNAVAILABLE);
        return request_error(r, 503, "service_unavailable",
                             "The database is unavailable; retry shortly");
    case DB_DEADLOCK:
        metrics_db_error(METRICS_DB_DEADLOCK);
        return request_error(r, 503, "service_unavailable",
                             "The request conflicted with another; retry");
    case DB_DUPLICATE:
        return request_error(r, 409, "conflict", "A record with these values already exists");
    case DB_FOREIGN_KEY:
        return request_error(r, 409, "conflict", "The record is referenced by other records");
    default:
        metrics_db_error(METRICS_DB_OTHER);
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

/* What a handler answers (reply.h); render.c turns it into the route's dialect. */
#include "reply.h"

#include <string.h>

#include "arena.h"
#include "jsonutil.h"
#include "request.h"

static int success(struct request *r, int status)
{
    struct json_object *keep = r->reply.extra;
    memset(&r->reply, 0, sizeof(r->reply));
    r->reply.status = status;
    r->reply.extra = keep;
    return 0;
}

int reply_one(struct request *r, int status, const char *key, struct json_object *data)
{
    if (data == NULL)
        return request_oom(r);
    success(r, status);
    r->reply.key = key;
    r->reply.data = data;
    return 0;
}

static void list_meta(struct request *r, long long page, long long limit, long long total)
{
    r->reply.is_list = true;
    r->reply.page = page;
    r->reply.limit = limit;
    r->reply.total = total;
}

int reply_list(struct request *r, const char *key, struct json_object *items, long long page,
               long long limit, long long total)
{
    if (reply_one(r, 200, key, items) != 0)
        return -1;
    list_meta(r, page, limit, total);
    return 0;
}

int reply_list_text(struct request *r, const char *key, const char *items, size_t len,
                    long long page, long long limit, long long total)
{
    success(r, 200);
    r->reply.key = key;
    r->reply.data_text = items;
    r->reply.data_len = len;
    list_meta(r, page, limit, total);
    return 0;
}

void reply_list_by_cursor(struct request *r, bool has_more)
{
    r->reply.by_cursor = true;
    r->reply.has_more = has_more;
}

int reply_set(struct request *r, const char *name, struct json_object *value)
{
    if (r->reply.extra == NULL) {
        r->reply.extra = arena_json(r->arena, json_object_new_object());
        if (r->reply.extra == NULL) {
            json_object_put(value);
            return -1;
        }
    }
    return json_set(r->reply.extra, name, value);
}

int reply_message(struct request *r, int status, const char *message)
{
    struct json_object *m = json_object_new_string(message);
    if (m == NULL || reply_set(r, "message", m) != 0)
        return request_oom(r);
    return reply_one(r, status, NULL, arena_json(r->arena, json_object_new_object()));
}

int reply_raw(struct request *r, int status, const char *body, size_t len)
{
    memset(&r->reply, 0, sizeof(r->reply));
    r->reply.status = status;
    r->reply.raw = body;
    r->reply.raw_len = len;
    return 0;
}

int reply_text(struct request *r, int status, const char *content_type, const char *body,
               size_t len)
{
    reply_raw(r, status, body, len);
    r->reply.content_type = content_type;
    return 0;
}

int reply_accel(struct request *r, const char *uri, const char *content_type,
                const char *disposition)
{
    reply_text(r, 200, content_type, "", 0);
    r->reply.accel_uri = uri;
    r->reply.disposition = disposition;
    return 0;
}

unsigned reply_families(const char *original_path, unsigned route_families)
{
    if (original_path != NULL && strncmp(original_path, "/api/v1", 7) == 0 &&
        (original_path[7] == '/' || original_path[7] == '\0'))
        return FAM_CALLCENTER;
    return route_families ? route_families : FAM_TRANSFER;
}

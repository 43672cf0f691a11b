/* Notifications for one user (notify.h). */
#include "notify.h"

#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "request.h"
#include "utf8.h"

#define TITLE_MAX 255

/* The title cut to at most TITLE_MAX characters (the column's), never inside one. */
static char *title_cut(struct arena *a, const char *title)
{
    size_t at = 0, chars = 0, len = strlen(title);
    while (at < len && chars < TITLE_MAX) {
        size_t n = utf8_next((const unsigned char *)title + at, len - at);
        at += n ? n : 1;
        chars++;
    }
    return arena_strndup(a, title, at);
}

/* The event's payload: the row as the list route shows it, so a client can prepend it. */
static const char *notice_payload(struct request *r, const char *id, const struct notice *n,
                                  const char *title)
{
    struct json_object *o = json_object_new_object(), *data = NULL;
    const char *text = NULL;
    if (n->data_json != NULL && json_parse_object(n->data_json, strlen(n->data_json), &data) != 0)
        data = NULL;
    int rc = json_set_str(o, "id", id);
    rc = rc ? rc : json_set_str(o, "user_id", n->user_id);
    rc = rc ? rc : json_set_str(o, "type", n->type);
    rc = rc ? rc : json_set_str(o, "title", title);
    rc = rc ? rc : json_set_str(o, "body", n->body ? n->body : "");
    rc = rc ? rc : json_set_str(o, "priority", n->priority ? n->priority : "normal");
    rc = rc ? rc : json_set_bool(o, "is_read", 0);
    if (rc == 0)
        rc = json_set(o, "data", data != NULL ? data : json_object_new_object());
    else
        json_object_put(data);
    if (rc == 0 && (text = json_text(o, NULL)) != NULL)
        text = arena_strdup(r->arena, text);
    json_object_put(o);
    return text;
}

int notify_user(struct request *r, const struct notice *n)
{
    char *id = id_new(r->arena, "ntf_");
    char *title = n->title ? title_cut(r->arena, n->title) : NULL;
    if (id == NULL || title == NULL || n->user_id == NULL || n->type == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO notifications (id, tenant_id, user_id, type, title, body, data,"
                     " priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(n->user_id),
                               DB_STR(n->type), DB_STR(title), DB_STR(n->body),
                               DB_STR(n->data_json),
                               DB_STR(n->priority ? n->priority : "normal")),
                     NULL);
    if (rc != DB_OK)
        return rc;
    const char *payload = notice_payload(r, id, n, title);
    const char *audience = arena_printf(r->arena, "user:%s", n->user_id);
    if (payload == NULL || audience == NULL)
        return DB_ERROR;
    return event_emit_for(r, "notification", NULL, audience, payload);
}

/*
 * Chat widgets: what a web page embeds to offer a chat. The public key names the widget
 * in the visitor's calls (chat_public.c); it is random and unique over all tenants, made
 * here and never taken from the body. allowed_origins lists the page origins the visitor's
 * calls may come from ("*" for any); settings carries max_wait_seconds (how long a visitor
 * waits for an agent before the offline message and a ticket; default 120) and
 * pre_chat_fields (what the start form asks). Business hours are a schedule of the tenant.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "chat_store.h"
#include "chat_widget.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

#define ORIGINS_MAX 50
#define PRECHAT_MAX 20

const struct field_def chat_widget_fields[CW_NFIELDS] = {
    [CW_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [CW_GREETING] = {"greeting_message", FT_TEXT, F_NULLABLE, 0, 1000, NULL, NULL, NULL},
    [CW_OFFLINE] = {"offline_message", FT_TEXT, F_NULLABLE, 0, 1000, NULL, NULL, NULL},
    [CW_SCHEDULE] = {"schedule_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [CW_SETTINGS] = {"settings", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [CW_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [CW_ORIGINS] = {"allowed_origins", FT_STRINGS, F_NULLABLE, 0, ORIGINS_MAX, NULL, NULL, NULL},
};

const char *const chat_widget_columns_of[CW_NFIELDS] = {
    "name", "greeting_message", "offline_message", "schedule_id", "settings", "is_active",
    "allowed_origins"};

static const char *const widget_json_cols[] = {"allowed_origins", "settings", NULL};

static const struct resource_writes widget_writes;

static const struct resource chat_widgets = {
    .table = "chat_widgets",
    .columns = "id, tenant_id, name, public_key, allowed_origins, greeting_message,"
               " offline_message, schedule_id, settings, is_active, created_at, updated_at",
    .tenant_col = "tenant_id",
    .json_cols = widget_json_cols,
    .id_prefix = "cw_",
    RESOURCE_NAMES("widget", "widgets", "Chat widget not found"),
    .entity = "chat_widget",
    .order = "name, id",
    RESOURCE_FIELDS(chat_widget_fields, chat_widget_columns_of),
    .writes = &widget_writes,
};

/*
 * allowed_origins, as declared strings, each normalised (chat_origin_normalise: scheme,
 * host and port, lower-case; or "*") and written back. Not sent on create, or null, is
 * "[]": no page may start a chat until the admin names one.
 */
static void normalise_origins(struct request *r, enum crud_op op, struct field_value *v)
{
    if ((!v->sent && op == CRUD_CREATE) || (v->sent && v->null)) {
        *v = (struct field_value){.sent = true, .s = "[]"};
        return;
    }
    if (!v->sent)
        return;
    struct json_object *a = NULL;
    struct json_object *norm = arena_json(r->arena, json_object_new_array());
    bool ok = norm != NULL && json_parse_value(v->s, strlen(v->s), &a) == 0;
    for (size_t i = 0; ok && i < json_object_array_length(a); i++) {
        char *o = arena_strdup(r->arena, json_object_get_string(json_object_array_get_idx(a, i)));
        ok = o != NULL && chat_origin_normalise(o) && json_push(norm, json_object_new_string(o)) == 0;
    }
    json_object_put(a);
    const char *text = ok ? json_text(norm, NULL) : NULL;
    if (text == NULL || (v->s = arena_strdup(r->arena, text)) == NULL)
        request_field_error(r, "allowed_origins",
                            "must be an array of at most 50 origins (https://host[:port] or *)");
}

/* settings: max_wait_seconds 5..86400, pre_chat_fields [{name, label?, type?, required?}]. */
static void check_settings(struct request *r, const char *text)
{
    struct json_object *o = NULL, *v;
    if (text == NULL || json_parse_object(text, strlen(text), &o) != 0)
        return;
    arena_json(r->arena, o);
    if (json_object_object_get_ex(o, "max_wait_seconds", &v) &&
        (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 5 ||
         json_object_get_int64(v) > 86400))
        request_field_error(r, "settings", "max_wait_seconds must be an integer 5..86400");
    if (!json_object_object_get_ex(o, "pre_chat_fields", &v) || v == NULL)
        return;
    bool ok = json_object_is_type(v, json_type_array) && json_object_array_length(v) <= PRECHAT_MAX;
    for (size_t i = 0; ok && i < json_object_array_length(v); i++) {
        struct json_object *f = json_object_array_get_idx(v, i), *name;
        ok = json_object_is_type(f, json_type_object) &&
             json_object_object_get_ex(f, "name", &name) &&
             json_object_is_type(name, json_type_string) && json_object_get_string_len(name) > 0 &&
             json_object_get_string_len(name) <= 64;
    }
    if (!ok)
        request_field_error(r, "settings",
                            "pre_chat_fields must be an array of at most 20 {name, label, type,"
                            " required}");
}


int chat_widget_check(struct request *r, enum crud_op op, struct field_value *v)
{
    normalise_origins(r, op, &v[CW_ORIGINS]);
    check_settings(r, v[CW_SETTINGS].s);
    return request_check_fields(r);
}

static int widget_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    if (chat_widget_check(r, w->op, w->v) != 0)
        return -1;
    if (w->op == CRUD_CREATE) {
        char *key = crypto_random_token(r->arena, 18);
        const char *public_key = key ? arena_printf(r->arena, "pk_%s", key) : NULL;
        if (public_key == NULL)
            return request_oom(r);
        w->data = (void *)public_key;
    }
    return 0;
}

static int widget_write(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return crud_write_columns(r, w);
    /* The public key is made once, at create, and never taken from a body. */
    if (w->op == CRUD_CREATE) {
        struct column_value key = {"public_key", DB_STR((const char *)w->data)};
        return resource_insert(r, w->res, w->id, w->v, &key, 1);
    }
    return resource_update(r, w->res, w->id, w->v, NULL, 0);
}

static const struct crud_ref widget_refs[] = {
    {CW_SCHEDULE, "SELECT id FROM schedules WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a schedule of this tenant"},
};

static const char *const widget_delete_details[] = {"name", "public_key", NULL};

static const struct resource_writes widget_writes = {
    .prepare = widget_prepare,
    CRUD_REFS(widget_refs),
    .write = widget_write,
    .duplicate = "A chat widget with this name already exists",
    .referenced = "The widget has chat sessions; deactivate it instead",
    .deleted = "Chat widget deleted successfully",
    .delete_details = widget_delete_details,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/chat/widgets", &chat_widgets, chat_widget_fields, ROLES_STAFF, ROLES_ADMIN,
                FAM_CALLCENTER,
                CRUD_NAMES_AS("widget", "widgets", "a", "chat widget", "chat widgets")),
};

ROUTE_GROUP(chat_widgets_routes, routes);

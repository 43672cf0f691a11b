/*
 * IVR menus of the caller's tenant (callcenter family, /api/v1/ivr/menus): a greeting
 * (spoken in language and voice, or an audio file), how long to wait for a key, how many
 * retries, and the options (ivr_options.c) that say where each key goes. A menu's record
 * carries its options; /graph answers the menu as the graph document the IVR engine runs
 * (ivr_menu.h, docs/ivr.md). Deleting a menu deletes its options (the table's cascade).
 */
#include <stdbool.h>
#include <string.h>

#include "crud.h"
#include "db.h"
#include "ivr_media.h"
#include "ivr_menu.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const greeting_types[] = {"tts", "audio", NULL};

static const struct filter_def menu_filters[] = {
    {"is_active", FILTER_BOOL, " AND is_active = ?", NULL, NULL},
    {"search", FILTER_LIKE, " AND name LIKE ? ESCAPE '\\\\'", NULL, NULL},
};

enum { M_NAME, M_DESCRIPTION, M_GTYPE, M_GTEXT, M_GAUDIO, M_LANGUAGE, M_VOICE, M_TIMEOUT,
       M_RETRIES, M_ACTIVE };

static const struct field_def menu_fields[] = {
    [M_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [M_DESCRIPTION] = {"description", FT_TEXT, F_NULLABLE, 0, 4000, NULL, NULL, NULL},
    [M_GTYPE] = {"greeting_type", FT_ENUM, 0, 0, 0, greeting_types, NULL, NULL},
    [M_GTEXT] = {"greeting_text", FT_TEXT, F_NULLABLE, 1, 4000, NULL, NULL, NULL},
    [M_GAUDIO] = {"greeting_audio_path", FT_TEXT, F_NULLABLE, 1, 1024, NULL, NULL, NULL},
    [M_LANGUAGE] = {"language", FT_TEXT, 0, 2, 16, NULL, NULL, NULL},
    [M_VOICE] = {"voice", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [M_TIMEOUT] = {"timeout", FT_INT, 0, 1, 60, NULL, NULL, NULL},
    [M_RETRIES] = {"max_retries", FT_INT, 0, 0, 10, NULL, NULL, NULL},
    [M_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const menu_columns_of[] = {
    "name",  "description", "greeting_type", "greeting_text", "greeting_audio_path",
    "language", "voice",    "timeout",       "max_retries",   "is_active"};

static const struct resource_writes menu_writes;

static const struct resource ivr_menus = {
    .table = "ivr_menus",
    .columns = "id, tenant_id, name, description, greeting_type, greeting_text,"
               " greeting_audio_path, language, voice, timeout, max_retries, is_active,"
               " created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "ivm_",
    .entity = "ivr_menu",
    RESOURCE_NAMES("menu", "menus", "IVR menu not found"),
    .order = "name, id",
    RESOURCE_FILTERS(menu_filters),
    RESOURCE_FIELDS(menu_fields, menu_columns_of),
    .attach = ivr_options_attach,
    .writes = &menu_writes,
};

static int menu_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    ivr_media_refuse(r, w->v[M_LANGUAGE].s, w->v[M_GAUDIO].s, "greeting_audio_path");
    return request_check_fields(r);
}

/* The value field i will have: as sent, else the old row's (NULL on create). */
static const char *will_be(const struct crud_write *w, size_t i)
{
    if (w->v[i].sent)
        return w->v[i].s;
    return w->old ? db_get(w->old, 0, menu_columns_of[i]) : NULL;
}

/* Another menu's option or a DID's route (or after-hours route) that leads to the menu. */
static int menu_in_use(struct request *r, const char *id, bool *used)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM ivr_options WHERE tenant_id = ? AND route_type = 'ivr'"
                     " AND route_target = ? AND menu_id <> ?"
                     " UNION ALL SELECT id FROM dids WHERE tenant_id = ?"
                     " AND ((route_type = 'ivr' AND route_target = ?)"
                     " OR (after_hours_route_type = 'ivr' AND after_hours_route_target = ?))"
                     " LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id), DB_STR(id),
                               DB_STR(r->auth.tenant_id), DB_STR(id), DB_STR(id)),
                     &res);
    if (rc == DB_OK)
        *used = res->nrows > 0;
    return rc;
}

/* The greeting as it will be: a spoken one has its text, an audio one its file. A menu
 * that callers are routed to stays. */
static int menu_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE) {
        bool used = false;
        int rc = menu_in_use(r, w->id, &used);
        if (rc == DB_OK && used)
            return txn_fail(r, 409, "conflict",
                            "This IVR menu is the route of a phone number or another menu");
        return rc;
    }
    const char *type = will_be(w, M_GTYPE);
    bool audio = type != NULL && strcmp(type, "audio") == 0;
    return ivr_media_pair(r, audio, will_be(w, M_GTEXT), "greeting_text", will_be(w, M_GAUDIO),
                          "greeting_audio_path");
}

static const char *const menu_delete_details[] = {"name", NULL};

static const struct resource_writes menu_writes = {
    .prepare = menu_prepare,
    .check = menu_check,
    .duplicate = "An IVR menu with this name already exists",
    .deleted = "IVR menu deleted successfully",
    .delete_details = menu_delete_details,
};

/* The menu as the graph document the engine runs. */
static int menu_graph(struct request *r)
{
    struct json_object *graph = NULL;
    int rc = ivr_menu_store_graph(r, request_param(r, "id"), &graph);
    return request_reply_found(r, 200, rc, "graph", graph, ivr_menus.not_found);
}

static const struct route routes[] = {
    CRUD_ROUTES("/api/ivr/menus", &ivr_menus, menu_fields, ROLES_STAFF, ROLES_ADMIN,
                FAM_CALLCENTER, CRUD_NAMES_AS("menu", "menus", "an", "IVR menu", "IVR menus")),
    ROUTE("GET", "/api/ivr/menus/:id/graph", menu_graph, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "An IVR menu as the graph document the IVR engine runs", .key = "graph"),
};

ROUTE_GROUP(ivr_menus_routes, routes);

/*
 * IVR content items of the caller's tenant (calldocker family, /api/ivr/content): what a
 * flow's say and play nodes speak, by content_id (docs/ivr.md). A text item is read by
 * the telephony side's TTS in its language and voice; an audio item is a file at
 * audio_url (an https URL, or a path under the tenant's files). An item a flow version's
 * graph names cannot be deleted (409): sessions still running on old versions would lose
 * their prompt.
 */
#include <stdbool.h>
#include <string.h>

#include "crud.h"
#include "db.h"
#include "ivr_media.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const content_types[] = {"text", "audio", NULL};

static const struct filter_def content_filters[] = {
    {"type", FILTER_ENUM, " AND type = ?", content_types, NULL},
    {"language", FILTER_EQ, " AND language = ?", NULL, NULL},
    {"search", FILTER_LIKE, " AND (name LIKE ? ESCAPE '\\\\' OR text LIKE ? ESCAPE '\\\\')",
     NULL, NULL},
};

static const struct sort_def content_sorts[] = {
    {"name", "name"},       {"type", "type"},       {"language", "language"},
    {"created_at", "created_at"}, {"updated_at", "updated_at"}, {NULL, NULL},
};

enum { C_NAME, C_TYPE, C_TEXT, C_AUDIO, C_LANGUAGE, C_VOICE };

static const struct field_def content_fields[] = {
    [C_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [C_TYPE] = {"type", FT_ENUM, 0, 0, 0, content_types, NULL, NULL},
    [C_TEXT] = {"text", FT_TEXT, F_NULLABLE, 1, 4000, NULL, NULL, NULL},
    [C_AUDIO] = {"audio_url", FT_TEXT, F_NULLABLE, 1, 1024, NULL, NULL, NULL},
    [C_LANGUAGE] = {"language", FT_TEXT, 0, 2, 16, NULL, NULL, NULL},
    [C_VOICE] = {"voice", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

static const char *const content_columns_of[] = {"name",     "type",  "text", "audio_url",
                                                 "language", "voice"};

static const struct resource_writes content_writes;

static const struct resource content = {
    .table = "ivr_content",
    .columns = "id, tenant_id, name, type, text, audio_url, language, voice, created_by,"
               " created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "ivc_",
    .entity = "ivr_content",
    RESOURCE_NAMES("content", "contents", "Content not found"),
    .order = "name, id",
    RESOURCE_FILTERS(content_filters),
    .sorts = content_sorts,
    RESOURCE_FIELDS(content_fields, content_columns_of),
    .writes = &content_writes,
};

/* The checks that need no row: the language tag and the audio location's scheme. */
static int content_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    ivr_media_refuse(r, w->v[C_LANGUAGE].s, w->v[C_AUDIO].s, "audio_url");
    return request_check_fields(r);
}

/* The value field i will have: as sent, else the old row's (NULL on create). */
static const char *will_be(const struct crud_write *w, size_t i)
{
    if (w->v[i].sent)
        return w->v[i].s;
    return w->old ? db_get(w->old, 0, content_columns_of[i]) : NULL;
}

/* A flow version's graph that names the item (its content_id anywhere in the document).
 * JSON_SEARCH matches a LIKE pattern: the id's '_' and '%' are escaped to match only it. */
static int content_in_use(struct request *r, const char *id, bool *used)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM ivr_flow_versions WHERE tenant_id = ?"
                     " AND JSON_SEARCH(graph, 'one',"
                     " REPLACE(REPLACE(REPLACE(?, '\\\\', '\\\\\\\\'), '%', '\\\\%'),"
                     " '_', '\\\\_'), NULL, '$**.content_id') IS NOT NULL"
                     " LIMIT 1 LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &res);
    if (rc == DB_OK)
        *used = res->nrows > 0;
    return rc;
}

static int content_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE) {
        bool used = false;
        int rc = content_in_use(r, w->id, &used);
        if (rc == DB_OK && used)
            return txn_fail(r, 409, "conflict", "This content is used by an IVR flow");
        return rc;
    }
    const char *type = will_be(w, C_TYPE);
    bool audio = type != NULL && strcmp(type, "audio") == 0;
    return ivr_media_pair(r, audio, will_be(w, C_TEXT), "text", will_be(w, C_AUDIO),
                          "audio_url");
}

static int content_write(struct request *r, struct crud_write *w)
{
    const struct column_value by[] = {{"created_by", DB_STR(r->auth.user_id)}};
    if (w->op == CRUD_CREATE)
        return resource_insert(r, &content, w->id, w->v, by, 1);
    return crud_write_columns(r, w);
}

static const char *const content_delete_details[] = {"name", NULL};

static const struct resource_writes content_writes = {
    .prepare = content_prepare,
    .check = content_check,
    .write = content_write,
    .duplicate = "Content with this name already exists",
    .deleted = "Content deleted successfully",
    .delete_details = content_delete_details,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/ivr/content", &content, content_fields, ROLES_STAFF, ROLES_ADMIN,
                FAM_CALLDOCKER, CRUD_NAMES_AS("content", "contents", "an", "IVR content item",
                                              "IVR content items")),
};

ROUTE_GROUP(ivr_content_routes, routes);

/*
 * Speed dials (callcenter family, /api/v1/speed-dials): a short code that dials a number.
 * One is tenant-wide (user_id NULL) or a user's own; a user sees the tenant-wide ones and
 * their own, never another user's (404). Managers and admins manage the tenant-wide ones,
 * anyone their own (an agent touching a tenant-wide one: 403). A code is unique per owner
 * (sql/034: the tenant's, or the user's), so a personal code may shadow a tenant-wide one.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const scopes[] = {"tenant", "personal", NULL};

enum { V_CODE, V_NAME, V_NUMBER, V_SCOPE, V_NFIELDS };

static const struct field_def speed_dial_fields[] = {
    [V_CODE] = {"code", FT_TEXT, F_REQUIRED, 1, 10, NULL, NULL, NULL},
    [V_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [V_NUMBER] = {"number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [V_SCOPE] = {"scope", FT_ENUM, 0, 0, 0, scopes, NULL, NULL},
};

static const char *const speed_dial_columns_of[] = {"code", "name", "number", NULL};

static const struct resource_writes speed_dial_writes;

static const struct resource speed_dials = {
    .table = "speed_dials",
    .columns = "id, code, name, number, user_id,"
               " IF(user_id IS NULL, 'tenant', 'personal') AS scope, created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "sd_",
    .entity = "speed_dial",
    RESOURCE_NAMES("speed_dial", "speed_dials", "Speed dial not found"),
    .order = "code, user_id IS NULL, id",
    RESOURCE_FIELDS(speed_dial_fields, speed_dial_columns_of),
    .writes = &speed_dial_writes,
};

static bool is_staff(const struct request *r)
{
    return (r->auth.role_bit & ROLES_STAFF) != 0;
}

static bool code_ok(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789*#") == strlen(s);
}

static int speed_dial_prepare(struct request *r, struct crud_write *w)
{
    struct field_value *v = w->v;
    if (w->op == CRUD_DELETE)
        return 0;
    if (v[V_CODE].sent && !code_ok(v[V_CODE].s))
        request_field_error(r, "code", "must be 1 to 10 of the digits 0-9, * and #");
    if (w->op == CRUD_UPDATE && v[V_SCOPE].sent)
        request_field_error(r, "scope", "cannot change: delete and create the speed dial");
    if (request_check_fields(r) != 0)
        return -1;
    if (w->op == CRUD_CREATE && !v[V_SCOPE].sent)
        v[V_SCOPE] = (struct field_value){.sent = true, .s = is_staff(r) ? "tenant" : "personal"};
    if (w->op == CRUD_CREATE && strcmp(v[V_SCOPE].s, "tenant") == 0 && !is_staff(r))
        return request_error(r, 403, "forbidden",
                             "Only managers and admins manage tenant-wide speed dials");
    return 0;
}

/* Update and delete: another user's is absent; a tenant-wide one is the staff's. */
static int speed_dial_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_CREATE)
        return DB_OK;
    const char *owner = db_get(w->old, 0, "user_id");
    if (owner != NULL && strcmp(owner, r->auth.user_id) != 0)
        return txn_fail(r, 404, "not_found", speed_dials.not_found);
    if (owner == NULL && !is_staff(r))
        return txn_fail(r, 403, "forbidden",
                        "Only managers and admins manage tenant-wide speed dials");
    return DB_OK;
}

static int speed_dial_write(struct request *r, struct crud_write *w)
{
    if (w->op != CRUD_CREATE)
        return crud_write_columns(r, w);
    bool personal = strcmp(w->v[V_SCOPE].s, "personal") == 0;
    struct column_value extra[] = {{"user_id", DB_STR(personal ? r->auth.user_id : NULL)}};
    return resource_insert(r, &speed_dials, w->id, w->v, extra, 1);
}

static const char *const speed_dial_delete_details[] = {"code", "number", NULL};

static const struct resource_writes speed_dial_writes = {
    .prepare = speed_dial_prepare,
    .check = speed_dial_check,
    .write = speed_dial_write,
    .duplicate = "This code is already in use",
    .deleted = "Speed dial deleted successfully",
    .delete_details = speed_dial_delete_details,
};

/* What the caller sees: the tenant-wide ones and their own. */
static void visible(struct request *r, struct qb *q)
{
    qb_init(q, r->arena);
    qb_addv(q, " AND (user_id IS NULL OR user_id = ?)", DB_STR(r->auth.user_id));
}

static int speed_dial_list(struct request *r)
{
    struct qb q;
    visible(r, &q);
    return resource_list(r, &speed_dials, &q);
}

static int speed_dial_get(struct request *r)
{
    struct json_object *o = NULL;
    int rc = resource_fetch(r, &speed_dials, request_param(r, "id"), &o);
    struct json_object *owner;
    if (rc == DB_OK && json_object_object_get_ex(o, "user_id", &owner) &&
        json_object_get_type(owner) == json_type_string &&
        json_object_get_string_len(owner) > 0 &&
        strcmp(json_object_get_string(owner), r->auth.user_id) != 0)
        rc = 1;
    return request_reply_found(r, 200, rc, "speed_dial", o, speed_dials.not_found);
}

#define SD_NAMES CRUD_NAMES_AS("speed_dial", "speed_dials", "a", "speed dial", "speed dials")

static const struct route routes[] = {
    ROUTE("GET", "/api/speed-dials", speed_dial_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "List speed dials (the tenant's and the caller's own)",
          .key = "speed_dials", .flags = ROUTE_LIST, .resource = &speed_dials),
    CRUD_CREATE_ROUTE("/api/speed-dials", &speed_dials, speed_dial_fields, ROLES_ANY,
                      FAM_CALLCENTER, SD_NAMES),
    ROUTE("GET", "/api/speed-dials/:id", speed_dial_get, ROLES_ANY, FAM_CALLCENTER,
          .summary = "One speed dial", .key = "speed_dial", .resource = &speed_dials),
    CRUD_UPDATE_ROUTE("/api/speed-dials/:id", &speed_dials, speed_dial_fields, ROLES_ANY,
                      FAM_CALLCENTER, SD_NAMES),
    CRUD_DELETE_ROUTE("/api/speed-dials/:id", &speed_dials, ROLES_ANY, FAM_CALLCENTER,
                      SD_NAMES),
};

ROUTE_GROUP(speed_dials_routes, routes);

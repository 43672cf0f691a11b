/*
 * The options of an IVR menu (callcenter family, /api/v1/ivr/menus/:menuId/options): the
 * key a caller presses (0-9, *, #; 't' when they press nothing, 'i' when they press a key
 * the menu has no option for) and where it goes. One option per key and menu (409).
 *
 *   queue, department, agent, voicemail, external: the target is checked as a DID's is
 *     (did_route.h): a record of the tenant, an E.164 number (voicemail may have none)
 *   ivr: another menu (ivm_…) or a flow of the tenant; the graph routes there as a flow
 *   repeat, hangup: no target (a target left from another type is cleared)
 */
#include <stdbool.h>
#include <string.h>

#include "crud.h"
#include "db.h"
#include "did_route.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

#define OPTION_COLUMNS                                                                      \
    "id, menu_id, digit, label, route_type, route_target, created_at, updated_at"
#define MENU_NOT_FOUND "IVR menu not found"

static const char *const digits[] = {"0", "1", "2", "3", "4", "5", "6", "7",
                                     "8", "9", "*", "#", "t", "i", NULL};
static const char *const option_types[] = {"queue",    "ivr",    "department", "agent",
                                           "voicemail", "external", "repeat",   "hangup",
                                           NULL};

enum { O_DIGIT, O_LABEL, O_TYPE, O_TARGET };

static const struct field_def option_fields[] = {
    [O_DIGIT] = {"digit", FT_ENUM, F_REQUIRED, 0, 0, digits, NULL, NULL},
    [O_LABEL] = {"label", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [O_TYPE] = {"route_type", FT_ENUM, F_REQUIRED, 0, 0, option_types, NULL, NULL},
    [O_TARGET] = {"route_target", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

static const char *const option_columns_of[] = {"digit", "label", "route_type", "route_target"};

static const struct resource_writes option_writes;

static const struct resource options = {
    .table = "ivr_options",
    .columns = OPTION_COLUMNS,
    .tenant_col = "tenant_id",
    .id_prefix = "ivo_",
    .entity = "ivr_option",
    RESOURCE_NAMES("option", "options", "IVR option not found"),
    .order = "digit, id",
    RESOURCE_FIELDS(option_fields, option_columns_of),
    .writes = &option_writes,
};

int ivr_options_attach(struct request *r, const char *menu_id, struct json_object *menu)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " OPTION_COLUMNS " FROM ivr_options WHERE tenant_id = ?"
                     " AND menu_id = ? ORDER BY digit, id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(menu_id)), &res);
    if (rc != DB_OK)
        return rc;
    return db_rows_attach(menu, "options", res, NULL) == 0 ? DB_OK : DB_ERROR;
}

/* The path's menu in the caller's tenant, locked in share mode inside a write (a menu
 * delete waits): DB_OK, 1 when absent, or a db_rc. */
static int menu_exists(struct request *r, bool lock)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     lock ? "SELECT id FROM ivr_menus WHERE id = ? AND tenant_id = ?"
                            " LOCK IN SHARE MODE"
                          : "SELECT id FROM ivr_menus WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(request_param(r, "menuId")), DB_STR(r->auth.tenant_id)),
                     &res);
    return rc == DB_OK && res->nrows == 0 ? 1 : rc;
}

/* The value field i will have: as sent, else the old row's (NULL on create). */
static const char *will_be(const struct crud_write *w, size_t i)
{
    if (w->v[i].sent)
        return w->v[i].s;
    return w->old ? db_get(w->old, 0, option_columns_of[i]) : NULL;
}

/* An ivr option goes to another menu or to a flow of the tenant. */
static int ivr_target_check(struct request *r, const char *target)
{
    if (target == NULL) {
        request_field_error(r, "route_target", "is required for this route type");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    return crud_refer(r,
                      strncmp(target, "ivm_", 4) == 0
                          ? "SELECT id FROM ivr_menus WHERE id = ? AND tenant_id = ?"
                            " LOCK IN SHARE MODE"
                          : "SELECT id FROM ivr_flows WHERE id = ? AND tenant_id = ?"
                            " LOCK IN SHARE MODE",
                      target, "route_target", "must be an IVR menu or flow of this tenant");
}

/* The route as it will be: its target checked, normalised, or cleared. */
static int target_check(struct request *r, struct crud_write *w)
{
    struct field_value *v = w->v;
    const char *type = will_be(w, O_TYPE), *target = will_be(w, O_TARGET);
    if (strcmp(type, "repeat") == 0 || strcmp(type, "hangup") == 0) {
        if (v[O_TARGET].sent && v[O_TARGET].s != NULL) {
            request_field_error(r, "route_target", "must be empty for this route type");
            request_check_fields(r);
            return TXN_ANSWERED;
        }
        v[O_TARGET] = (struct field_value){.sent = true, .null = true};
        return DB_OK;
    }
    int rc = strcmp(type, "ivr") == 0
                 ? ivr_target_check(r, target)
                 : did_target_check(r, type, &target, "route_target", true);
    if (rc == DB_OK && target != NULL)
        v[O_TARGET] = (struct field_value){.sent = true, .s = target};
    return rc;
}

static int option_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_CREATE) {
        int rc = menu_exists(r, true);
        if (rc == 1)
            return txn_fail(r, 404, "not_found", MENU_NOT_FOUND);
        if (rc != DB_OK)
            return rc;
    } else if (strcmp(db_get(w->old, 0, "menu_id"), request_param(r, "menuId")) != 0) {
        return txn_fail(r, 404, "not_found", options.not_found);
    }
    if (w->op == CRUD_DELETE ||
        (w->op == CRUD_UPDATE && !w->v[O_TYPE].sent && !w->v[O_TARGET].sent))
        return DB_OK;
    return target_check(r, w);
}

static int option_write(struct request *r, struct crud_write *w)
{
    const struct column_value menu[] = {{"menu_id", DB_STR(request_param(r, "menuId"))}};
    if (w->op == CRUD_CREATE)
        return resource_insert(r, &options, w->id, w->v, menu, 1);
    return crud_write_columns(r, w);
}

static const char *const option_delete_details[] = {"menu_id", "digit", NULL};

static const struct resource_writes option_writes = {
    .check = option_check,
    .write = option_write,
    .duplicate = "This menu already has an option for this key",
    .deleted = "IVR option deleted successfully",
    .delete_details = option_delete_details,
};

/* The options of the path's menu (404 when the tenant has no such menu). */
static int option_list(struct request *r)
{
    int rc = menu_exists(r, false);
    if (rc != DB_OK)
        return request_reply_found(r, 200, rc, "options", NULL, MENU_NOT_FOUND);
    struct qb of_menu;
    qb_init(&of_menu, r->arena);
    qb_addv(&of_menu, " AND menu_id = ?", DB_STR(request_param(r, "menuId")));
    return resource_list(r, &options, &of_menu);
}

#define OPTIONS_PATH "/api/ivr/menus/:menuId/options"
#define OPTION_NAMES CRUD_NAMES_AS("option", "options", "an", "IVR menu option", "IVR menu options")

static const struct route routes[] = {
    ROUTE("GET", OPTIONS_PATH, option_list, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "List an IVR menu's options", .key = "options", .flags = ROUTE_LIST,
          .resource = &options),
    CRUD_CREATE_ROUTE(OPTIONS_PATH, &options, option_fields, ROLES_ADMIN, FAM_CALLCENTER,
                      OPTION_NAMES),
    CRUD_UPDATE_ROUTE(OPTIONS_PATH "/:id", &options, option_fields, ROLES_ADMIN,
                      FAM_CALLCENTER, OPTION_NAMES),
    CRUD_DELETE_ROUTE(OPTIONS_PATH "/:id", &options, ROLES_ADMIN, FAM_CALLCENTER, OPTION_NAMES),
};

ROUTE_GROUP(ivr_options_routes, routes);

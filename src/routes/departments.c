/*
 * Departments: the seed 000 contract. The list of active departments is cached per
 * tenant (by generation, moved after every write's commit); a delete is soft (is_active
 * 0), refused while an agent of the department is not offline.
 */
#include <stdbool.h>

#include "arena.h"
#include "cached.h"
#include "config.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define DEPT_COLUMNS                                                                         \
    "id, tenant_id, name, phone_number, description, color, is_active, business_hours, " \
    "created_at, updated_at"

enum { D_NAME, D_PHONE, D_DESC, D_COLOR, D_HOURS, D_ACTIVE };

static const struct field_def dept_fields[] = {
    [D_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [D_PHONE] = {"phone_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [D_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    /* null on create means the default colour; an update must name one */
    [D_COLOR] = {"color", FT_TEXT, F_NULLABLE, 1, 20, NULL, NULL, NULL},
    [D_HOURS] = {"business_hours", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    /* updates only: PUT is_active true restores a deleted department */
    [D_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const dept_columns_of[] = {"name",  "phone_number",   "description",
                                              "color", "business_hours", "is_active"};
static const char *const dept_json_cols[] = {"business_hours", NULL};

static const struct resource_writes dept_writes;

static const struct resource departments = {
    .table = "departments",
    .columns = DEPT_COLUMNS,
    .tenant_col = "tenant_id",
    .json_cols = dept_json_cols,
    .id_prefix = "dept_",
    RESOURCE_NAMES("department", "departments", "Department not found"),
    .order = "name, id",
    .soft_delete_col = "is_active",
    RESOURCE_FIELDS(dept_fields, dept_columns_of),
    .writes = &dept_writes,
};

/* ---- the cached list ------------------------------------------------------------------- */

/*
 * The whole list of active departments per tenant, cached (cached.h) under the "dept"
 * namespace that every department write moves after its commit; pages are cut from it.
 */
static int list_load(struct request *r, const char **text, size_t *len, long long *count)
{
    if (cached_list(r, count, text, len) == 0)
        return DB_OK;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " DEPT_COLUMNS " FROM departments"
                     " WHERE tenant_id = ? AND is_active = 1 ORDER BY name, id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *arr = arena_json(r->arena, db_rows_json(res, res->nrows, dept_json_cols));
    const char *atext = arr ? json_text(arr, len) : NULL;
    if (atext == NULL)
        return DB_ERROR;
    *count = (long long)res->nrows;
    *text = atext;
    cached_list_store(r, *count, atext, *len, (unsigned)r->cfg->cache_ttl);
    return DB_OK;
}

static int department_list(struct request *r)
{
    struct page p;
    if (query_page(r, 100, 500, &p) != 0)
        return request_check_fields(r);
    const char *text;
    size_t len;
    long long total;
    int rc = list_load(r, &text, &len, &total);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    /* The usual case: the whole list, the cached text sent as it is. */
    if (p.offset == 0 && total <= p.limit)
        return reply_list_text(r, "departments", text, len, p.page, p.limit, total);
    struct json_object *all;
    if (json_parse_value(text, len, &all) != 0 || arena_json(r->arena, all) == NULL ||
        !json_object_is_type(all, json_type_array))
        return request_error(r, 500, "internal_error", "Internal error");
    struct json_object *slice = arena_json(r->arena, json_object_new_array());
    if (slice == NULL)
        return request_oom(r);
    for (long long i = p.offset; i < total && i < p.offset + p.limit; i++)
        json_object_array_add(slice, json_object_get(json_object_array_get_idx(all, (size_t)i)));
    return reply_list(r, "departments", slice, p.page, p.limit, total);
}

/* ---- writes ---------------------------------------------------------------------------- */

static int dept_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_CREATE) {
        w->v[D_ACTIVE].sent = false; /* a new department is active */
        if (w->v[D_COLOR].null)
            w->v[D_COLOR].sent = false; /* the column's default */
    } else if (w->op == CRUD_UPDATE && w->v[D_COLOR].null) {
        request_field_error(r, "color", "must not be null");
        return request_check_fields(r);
    }
    return 0;
}

/* Refused while an agent of the department is not offline. */
static int dept_check(struct request *r, struct crud_write *w)
{
    struct db_result *busy;
    if (w->op != CRUD_DELETE)
        return DB_OK;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS busy FROM agents"
                     " WHERE tenant_id = ? AND department_id = ? AND status <> 'offline'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->id)), &busy);
    if (rc == DB_OK && db_get_int(busy, 0, "busy", 0) > 0)
        return txn_fail(r, 409, "conflict", "Cannot delete department with active agents");
    return rc;
}

/* department_changed, and the cached list moved after the commit. */
static int dept_written(struct request *r, struct crud_write *w)
{
    static const char *const actions[] = {
        [CRUD_CREATE] = "created", [CRUD_UPDATE] = "updated", [CRUD_DELETE] = "deleted"};
    const char *name = w->v && w->v[D_NAME].sent ? w->v[D_NAME].s : db_get(w->old, 0, "name");
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "department_id", w->id) != 0 ||
        json_set_str(p, "action", actions[w->op]) != 0 || json_set_str(p, "name", name) != 0)
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    int rc = text ? event_emit(r, "department_changed", NULL, text) : DB_ERROR;
    if (rc != DB_OK)
        return rc;
    txn_after_commit(r, cached_invalidate, "dept");
    event_wake_after_commit(r);
    return DB_OK;
}

static const struct resource_writes dept_writes = {
    .prepare = dept_prepare,
    .check = dept_check,
    .written = dept_written,
    .duplicate = "Department with this name already exists",
    .deleted = "Department deleted successfully",
    .delete_answers_record = true,
};

static const struct route routes[] = {
    ROUTE("GET", "/api/departments", department_list, ROLES_ANY, FAM_TRANSFER,
          .summary = "List departments", .key = "departments", .flags = ROUTE_LIST,
          .cache = "dept"),
    CRUD_RECORD_ROUTES("/api/departments", &departments, dept_fields, ROLES_ANY, ROLES_STAFF,
                       FAM_TRANSFER, CRUD_NAMES("a", "department", "departments")),
};

ROUTE_GROUP(departments_routes, routes);

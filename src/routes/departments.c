/*
 * Departments: the seed 000 contract. The list of active departments is cached per
 * tenant (by generation, moved after every write's commit); a delete is soft (is_active
 * 0), refused while an agent of the department is not offline.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cached.h"
#include "config.h"
#include "crypto.h"
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

enum { D_NAME, D_PHONE, D_DESC, D_COLOR, D_HOURS, D_ACTIVE, D_NFIELDS };

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

static const struct resource departments = {
    .table = "departments",
    .columns = DEPT_COLUMNS,
    .tenant_col = "tenant_id",
    .json_cols = dept_json_cols,
    .id_prefix = "dept_",
    .one = "department",
    .many = "departments",
    .entity = "department",
    .not_found = "Department not found",
    .order = "name, id",
    .soft_delete_col = "is_active",
    .fields = dept_fields,
    .columns_of = dept_columns_of,
    .nfields = D_NFIELDS,
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
        return request_error(r, 500, "internal_error", "Out of memory");
    for (long long i = p.offset; i < total && i < p.offset + p.limit; i++)
        json_object_array_add(slice, json_object_get(json_object_array_get_idx(all, (size_t)i)));
    return reply_list(r, "departments", slice, p.page, p.limit, total);
}

static int department_get(struct request *r)
{
    return resource_get(r, &departments);
}

/* ---- writes ---------------------------------------------------------------------------- */

/* department_changed, inside the write's transaction. */
static int department_event(struct request *r, const char *id, const char *action,
                            const char *name)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "department_id", id) != 0 ||
        json_set_str(p, "action", action) != 0 || json_set_str(p, "name", name) != 0)
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    return text ? event_emit(r, "department_changed", NULL, text) : DB_ERROR;
}

/* The end of every write: the event, the audit, the answer, the cache after the commit. */
static int dept_written(struct request *r, const char *id, const char *action,
                        const char *name, const char *details, int status)
{
    int rc = department_event(r, id, action, name);
    if (rc == DB_OK)
        rc = resource_audit(r, &departments,
                            strcmp(action, "created") == 0   ? "create"
                            : strcmp(action, "deleted") == 0 ? "delete"
                                                             : "update",
                            id, details);
    if (rc == DB_OK && strcmp(action, "deleted") == 0 &&
        reply_set(r, "message", json_object_new_string("Department deleted successfully")) != 0)
        rc = DB_ERROR;
    if (rc != DB_OK)
        return rc;
    txn_after_commit(r, cached_invalidate, "dept");
    event_wake_after_commit(r);
    return resource_answer(r, &departments, status, id);
}

struct dept_write {
    const char *id;
    struct field_value v[D_NFIELDS];
    struct json_object *body;
};

static int dept_create_step(struct request *r, void *arg)
{
    struct dept_write *w = arg;
    int rc = resource_insert(r, &departments, w->id, w->v, NULL, 0);
    return rc == DB_OK ? dept_written(r, w->id, "created", w->v[D_NAME].s,
                                      json_text(w->body, NULL), 201)
                       : rc;
}

static int dept_conflict(struct request *r, int rc)
{
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "Department with this name already exists");
    return txn_reply(r, rc);
}

static int department_create(struct request *r)
{
    struct dept_write w;
    if (fields_body(r, dept_fields, D_NFIELDS, FIELDS_CREATE, w.v, &w.body) != 0)
        return -1;
    w.v[D_ACTIVE].sent = false; /* a new department is active */
    if (w.v[D_COLOR].null)
        w.v[D_COLOR].sent = false; /* the column's default */
    w.id = id_new(r->arena, departments.id_prefix);
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    return dept_conflict(r, txn_run(r, dept_create_step, &w));
}

static int dept_update_step(struct request *r, void *arg)
{
    struct dept_write *w = arg;
    struct db_result *old;
    int rc = resource_lock(r, &departments, w->id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", departments.not_found);
    if (rc == DB_OK)
        rc = resource_update(r, &departments, w->id, w->v, NULL, 0);
    if (rc != DB_OK)
        return rc;
    const char *name = w->v[D_NAME].sent ? w->v[D_NAME].s : db_get(old, 0, "name");
    return dept_written(r, w->id, "updated", name, json_text(w->body, NULL), 200);
}

static int department_update(struct request *r)
{
    struct dept_write w;
    w.id = request_param(r, "id");
    if (fields_body(r, dept_fields, D_NFIELDS, FIELDS_UPDATE, w.v, &w.body) != 0)
        return -1;
    if (w.v[D_COLOR].null) {
        request_field_error(r, "color", "must not be null");
        return request_check_fields(r);
    }
    return dept_conflict(r, txn_run(r, dept_update_step, &w));
}

static int dept_delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *old, *busy;
    int rc = resource_lock(r, &departments, id, &old);
    if (rc == 1 || (rc == DB_OK && db_get_int(old, 0, "is_active", 0) == 0))
        return txn_fail(r, 404, "not_found", departments.not_found);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS busy FROM agents"
                     " WHERE tenant_id = ? AND department_id = ? AND status <> 'offline'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &busy);
    if (rc == DB_OK && db_get_int(busy, 0, "busy", 0) > 0)
        return txn_fail(r, 409, "conflict", "Cannot delete department with active agents");
    if (rc == DB_OK)
        rc = resource_remove(r, &departments, id);
    return rc == DB_OK ? dept_written(r, id, "deleted", db_get(old, 0, "name"), NULL, 200) : rc;
}

static int department_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    return txn_reply(r, txn_run(r, dept_delete_step, (void *)id));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/departments", department_list, ROLES_ANY, FAM_TRANSFER,
          .summary = "List departments", .key = "departments", .flags = ROUTE_LIST,
          .cache = "dept"),
    ROUTE("POST", "/api/departments", department_create, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Create a department", ROUTE_BODY(dept_fields), .key = "department",
          .flags = ROUTE_IDEMPOTENT),
    ROUTE("GET", "/api/departments/:id", department_get, ROLES_ANY, FAM_TRANSFER,
          .summary = "One department", .key = "department"),
    ROUTE("PUT", "/api/departments/:id", department_update, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Change a department", ROUTE_BODY(dept_fields), .key = "department"),
    ROUTE("DELETE", "/api/departments/:id", department_delete, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Deactivate a department"),
};

const struct route_group departments_routes = {routes, sizeof(routes) / sizeof(routes[0])};

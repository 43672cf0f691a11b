/* Departments: the seed 000 contract. The active list is cached per tenant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define DEPT_COLUMNS                                                                         \
    "id, tenant_id, name, phone_number, description, color, is_active, business_hours, " \
    "created_at, updated_at"

static const char *const dept_json_cols[] = {"business_hours", NULL};

static const char *cache_ns(struct request *r)
{
    return arena_printf(r->arena, "dept:%s", r->auth.tenant_id);
}

/* Called after a commit: readers move to a new generation. */
static void list_invalidate(struct request *r)
{
    const char *ns = cache_ns(r);
    if (ns != NULL)
        cache_bump(r->cache, ns);
}

static int department_fetch(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " DEPT_COLUMNS " FROM departments WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = arena_json(r->arena, db_row_json(res, 0, dept_json_cols));
    return *out ? DB_OK : DB_ERROR;
}

/* Writes department_changed inside the caller's transaction. */
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

static int reply_department(struct request *r, int status, const char *id)
{
    struct json_object *dept;
    int rc = department_fetch(r, id, &dept);
    return request_reply_found(r, status, rc, "department", dept, "Department not found");
}


/* The cached value is "<count>\n<JSON array of every active department>". */
static int list_load(struct request *r, const char **text, size_t *len, long long *count)
{
    const char *ns = cache_ns(r);
    uint64_t gen = 0;
    char *key = NULL;
    if (ns != NULL && cache_generation(r->cache, ns, &gen) == 0) {
        /* The callcenter dialect writes text nulls as "": its own copy of the list. */
        key = arena_printf(r->arena, "%s:%llu%s", ns, (unsigned long long)gen,
                           r->families == FAM_CALLCENTER ? ":cc" : "");
        char *val;
        size_t vlen;
        if (key != NULL && cache_get(r->cache, r->arena, key, &val, &vlen) == 0) {
            char *nl = memchr(val, '\n', vlen);
            if (nl != NULL) {
                *count = strtoll(val, NULL, 10);
                *text = nl + 1;
                *len = vlen - (size_t)(nl + 1 - val);
                return DB_OK;
            }
        }
    }
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " DEPT_COLUMNS " FROM departments"
                     " WHERE tenant_id = ? AND is_active = 1 ORDER BY name, id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *arr = arena_json(r->arena, db_rows_json(res, res->nrows, dept_json_cols));
    if (arr == NULL)
        return DB_ERROR;
    size_t alen;
    const char *atext = json_text(arr, &alen);
    if (atext == NULL)
        return DB_ERROR;
    *count = (long long)res->nrows;
    *text = atext;
    *len = alen;
    if (key != NULL) {
        char *val = arena_printf(r->arena, "%lld\n%s", *count, atext);
        if (val != NULL)
            cache_set(r->cache, key, val, strlen(val), (unsigned)r->cfg->cache_ttl);
    }
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
    return reply_department(r, 200, request_param(r, "id"));
}

struct dept_input {
    int has_name, has_phone, has_desc, has_color, has_hours, has_active;
    const char *name, *phone, *desc, *color, *hours;
    bool active;
};

static int dept_read_input(struct request *r, struct json_object *body, bool create,
                           struct dept_input *in)
{
    unsigned req = create ? FIELD_REQUIRED : 0;
    memset(in, 0, sizeof(*in));
    in->has_name = field_string(r, body, "name", req, 1, 255, &in->name) == 1;
    in->has_phone = field_phone(r, body, "phone_number", req, &in->phone) == 1;
    in->has_desc = field_string(r, body, "description", FIELD_NULLABLE, 0, 16000, &in->desc) >= 0 &&
                   json_object_object_get_ex(body, "description", NULL);
    in->has_color = field_string(r, body, "color", create ? FIELD_NULLABLE : 0, 0, 20,
                                 &in->color) == 1;
    in->has_hours = field_object_text(r, body, "business_hours", FIELD_NULLABLE, &in->hours) >= 0 &&
                    json_object_object_get_ex(body, "business_hours", NULL);
    if (!create)
        in->has_active = field_bool(r, body, "is_active", 0, &in->active) == 1;
    if (in->color != NULL && in->color[0] == '\0') {
        request_field_error(r, "color", "must not be empty");
    }
    return request_check_fields(r);
}

/* After a write commits: the cached list moves on. */
static void dept_after_commit(struct request *r, const char *arg)
{
    (void)arg;
    list_invalidate(r);
}

/* Inside the transaction: the department as it now is, answered with status. */
static int dept_answer(struct request *r, int status, const char *id, const char *message)
{
    struct json_object *dept;
    int rc = department_fetch(r, id, &dept);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    if (message != NULL && reply_set(r, "message", json_object_new_string(message)) != 0)
        return DB_ERROR;
    txn_after_commit(r, dept_after_commit, NULL);
    event_wake_after_commit(r);
    return reply_one(r, status, "department", dept) == 0 ? DB_OK : DB_ERROR;
}

struct dept_write {
    const char *id;
    struct dept_input in;
    struct json_object *body;
};

static int dept_create_step(struct request *r, void *arg)
{
    struct dept_write *w = arg;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO departments (id, tenant_id, name, phone_number, description,"
                     " color, business_hours) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id), DB_STR(w->in.name),
                               DB_STR(w->in.phone), DB_STR(w->in.desc),
                               DB_STR(w->in.color ? w->in.color : "default"),
                               DB_STR(w->in.hours)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "department.create", "department", w->id,
                          json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = department_event(r, w->id, "created", w->in.name);
    return rc == DB_OK ? dept_answer(r, 201, w->id, NULL) : rc;
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
    if (request_body_object(r, &w.body) != 0 || dept_read_input(r, w.body, true, &w.in) != 0)
        return -1;
    w.id = id_new(r->arena, "dept_");
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    return dept_conflict(r, txn_run(r, TXN_IDEMPOTENT, dept_create_step, &w));
}

static int dept_lock(struct request *r, const char *id, bool active_only, bool *is_active,
                     const char **name)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT is_active, name FROM departments"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *is_active = db_get_int(res, 0, "is_active", 0) != 0;
    *name = db_get(res, 0, "name");
    return (active_only && !*is_active) ? 1 : DB_OK;
}

static int dept_update_step(struct request *r, void *arg)
{
    struct dept_write *w = arg;
    bool active;
    const char *name = NULL;
    int rc = dept_lock(r, w->id, false, &active, &name);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "Department not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE departments SET name = IF(?, ?, name),"
                     " phone_number = IF(?, ?, phone_number), description = IF(?, ?, description),"
                     " color = IF(?, ?, color), business_hours = IF(?, ?, business_hours),"
                     " is_active = IF(?, ?, is_active) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(w->in.has_name), DB_STR(w->in.name),
                               DB_INT(w->in.has_phone), DB_STR(w->in.phone),
                               DB_INT(w->in.has_desc), DB_STR(w->in.desc),
                               DB_INT(w->in.has_color), DB_STR(w->in.color),
                               DB_INT(w->in.has_hours), DB_STR(w->in.hours),
                               DB_INT(w->in.has_active), DB_INT(w->in.active), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "department.update", "department", w->id,
                          json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = department_event(r, w->id, "updated", w->in.has_name ? w->in.name : name);
    return rc == DB_OK ? dept_answer(r, 200, w->id, NULL) : rc;
}

static int department_update(struct request *r)
{
    struct dept_write w;
    w.id = request_param(r, "id");
    if (request_body_object(r, &w.body) != 0 || dept_read_input(r, w.body, false, &w.in) != 0)
        return -1;
    return dept_conflict(r, txn_run(r, 0, dept_update_step, &w));
}

static int dept_delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *res = NULL;
    bool active;
    const char *name = NULL;
    int rc = dept_lock(r, id, true, &active, &name);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "Department not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS busy FROM agents"
                     " WHERE tenant_id = ? AND department_id = ? AND status <> 'offline'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &res);
    if (rc == DB_OK && db_get_int(res, 0, "busy", 0) > 0)
        return txn_fail(r, 409, "conflict", "Cannot delete department with active agents");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE departments SET is_active = 0 WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "department.delete", "department", id, NULL);
    if (rc == DB_OK)
        rc = department_event(r, id, "deleted", name);
    return rc == DB_OK ? dept_answer(r, 200, id, "Department deleted successfully") : rc;
}

static int department_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    return txn_reply(r, txn_run(r, 0, dept_delete_step, (void *)id));
}

static const struct route routes[] = {
    {"GET", "/api/departments", department_list, ROLES_ANY, FAM_TRANSFER},
    {"POST", "/api/departments", department_create, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/departments/:id", department_get, ROLES_ANY, FAM_TRANSFER},
    {"PUT", "/api/departments/:id", department_update, ROLES_STAFF, FAM_TRANSFER},
    {"DELETE", "/api/departments/:id", department_delete, ROLES_STAFF, FAM_TRANSFER},
};

const struct route_group departments_routes = {routes, sizeof(routes) / sizeof(routes[0])};

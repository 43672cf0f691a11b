/*
 * Phone numbers (DIDs) of the caller's tenant. A number belongs to exactly one tenant
 * (uq_dids_number spans all tenants): the Twilio webhook finds the tenant of an inbound
 * call by the number dialled. Reads and writes are still scoped by the caller's tenant,
 * so another tenant's DID is absent (404); only the duplicate number shows it exists.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define DID_COLUMNS                                                                    \
    "id, tenant_id, number, friendly_name, provider, route_type, route_target, is_active," \
    " created_at, updated_at"

/* Results of the checks inside a write's transaction besides the db_rc values. */
enum { DID_ABSENT = 1, DID_BAD_TARGET = 2 };

static const char *const route_types[] = {"queue",     "ivr",      "department", "agent",
                                          "voicemail", "external", NULL};

static int did_fetch(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " DID_COLUMNS " FROM dids WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = arena_json(r->arena, db_row_json(res, 0, NULL));
    return *out ? DB_OK : DB_ERROR;
}

static int reply_did(struct request *r, int status, const char *id)
{
    struct json_object *did;
    int rc = did_fetch(r, id, &did);
    return request_reply_found(r, status, rc, "did", did, "Phone number not found");
}

static int did_list(struct request *r)
{
    struct page p;
    if (query_page(r, 25, 200, &p) != 0)
        return request_check_fields(r);
    struct db_result *cres, *res;
    int rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS total FROM dids WHERE tenant_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &cres);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " DID_COLUMNS " FROM dids WHERE tenant_id = ?"
                     " ORDER BY number, id LIMIT ? OFFSET ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_INT(p.limit), DB_INT(p.offset)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);

    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    return reply_list(r, "dids", rows, p.page, p.limit, db_get_int(cres, 0, "total", 0));
}

static int did_get(struct request *r)
{
    return reply_did(r, 200, request_param(r, "id"));
}

struct did_input {
    int has_number, has_friendly, has_provider, has_type, has_target, has_active;
    const char *number, *friendly, *provider, *type, *target;
    bool active;
};

static int did_read_input(struct request *r, struct json_object *body, bool create,
                          struct did_input *in)
{
    memset(in, 0, sizeof(*in));
    in->has_number = field_phone(r, body, "number", create ? FIELD_REQUIRED : 0, &in->number) == 1;
    in->has_friendly =
        field_string(r, body, "friendly_name", FIELD_NULLABLE, 0, 255, &in->friendly) >= 0 &&
        json_object_object_get_ex(body, "friendly_name", NULL);
    in->has_provider = field_string(r, body, "provider", 0, 1, 50, &in->provider) == 1;
    in->has_type = field_enum(r, body, "route_type", 0, route_types, &in->type) == 1;
    in->has_target =
        field_string(r, body, "route_target", FIELD_NULLABLE, 1, 64, &in->target) >= 0 &&
        json_object_object_get_ex(body, "route_target", NULL);
    in->has_active = field_bool(r, body, "is_active", 0, &in->active) == 1;
    return request_check_fields(r);
}

/*
 * route_target has no FK (its table depends on route_type), so a department or agent
 * target is checked here to belong to the tenant. A NULL target is a number not routed
 * yet. Other types point at things this API does not manage yet and are stored as given.
 */
static int target_check(struct request *r, const char *type, const char *target)
{
    struct db_result *res;
    int rc = DB_OK;
    if (target == NULL)
        return DB_OK;
    if (strcmp(type, "department") == 0)
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM departments WHERE id = ? AND tenant_id = ? AND is_active = 1"
                     " LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(target), DB_STR(r->auth.tenant_id)), &res);
    else if (strcmp(type, "agent") == 0)
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM agents WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(target), DB_STR(r->auth.tenant_id)), &res);
    else
        return DB_OK;
    if (rc != DB_OK)
        return rc;
    return res->nrows == 0 ? DID_BAD_TARGET : DB_OK;
}

static int did_write_error(struct request *r, int rc, const char *type)
{
    switch (rc) {
    case DID_ABSENT:
        return request_error(r, 404, "not_found", "Phone number not found");
    case DID_BAD_TARGET:
        request_field_error(r, "route_target",
                            strcmp(type, "agent") == 0
                                ? "must be an agent of this tenant"
                                : "must be an active department of this tenant");
        return request_check_fields(r);
    case DB_DUPLICATE:
        return request_error(r, 409, "conflict", "This number is already in use");
    case DB_FOREIGN_KEY:
        return request_error(r, 409, "conflict",
                             "This number has call records; deactivate it instead");
    default:
        return request_db_error(r, rc);
    }
}

struct did_write {
    const char *id, *type;
    struct did_input in;
    struct json_object *body;
};

static int did_create_step(struct request *r, void *arg)
{
    struct did_write *w = arg;
    const struct did_input *in = &w->in;
    struct json_object *did;
    int rc = target_check(r, w->type, in->target);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO dids (id, tenant_id, number, friendly_name, provider, route_type,"
                     " route_target, is_active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id), DB_STR(in->number),
                               DB_STR(in->friendly),
                               DB_STR(in->has_provider ? in->provider : "twilio"),
                               DB_STR(w->type), DB_STR(in->target),
                               DB_INT(in->has_active ? in->active : true)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "did.create", "did", w->id,
                          json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = did_fetch(r, w->id, &did);
    if (rc > 0) {
        did_write_error(r, rc, w->type);
        return TXN_ANSWERED;
    }
    return rc == DB_OK ? request_reply_found(r, 201, rc, "did", did, "") : rc;
}

static int did_create(struct request *r)
{
    struct did_write w;
    if (request_body_object(r, &w.body) != 0 || did_read_input(r, w.body, true, &w.in) != 0)
        return -1;
    w.id = id_new(r->arena, "did_");
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    w.type = w.in.has_type ? w.in.type : "department";
    int rc = txn_run(r, TXN_IDEMPOTENT, did_create_step, &w);
    return rc < 0 ? did_write_error(r, rc, w.type) : txn_reply(r, rc);
}

static int did_update(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    struct did_input in;
    struct db_result *old;
    const char *type = NULL;
    if (request_body_object(r, &body) != 0 || did_read_input(r, body, false, &in) != 0)
        return -1;
    int rc = db_begin(r->db);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    rc = db_exec(r->db, r->arena,
                 "SELECT route_type, route_target FROM dids WHERE id = ? AND tenant_id = ?"
                 " FOR UPDATE",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &old);
    if (rc == DB_OK && old->nrows == 0)
        rc = DID_ABSENT;
    /* Either half of the route may change alone; the pair as it will be is what must hold. */
    if (rc == DB_OK) {
        type = in.has_type ? in.type : db_get(old, 0, "route_type");
        if (in.has_type || in.has_target)
            rc = target_check(r, type, in.has_target ? in.target : db_get(old, 0, "route_target"));
    }
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE dids SET number = IF(?, ?, number),"
                     " friendly_name = IF(?, ?, friendly_name), provider = IF(?, ?, provider),"
                     " route_type = IF(?, ?, route_type), route_target = IF(?, ?, route_target),"
                     " is_active = IF(?, ?, is_active) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(in.has_number), DB_STR(in.number), DB_INT(in.has_friendly),
                               DB_STR(in.friendly), DB_INT(in.has_provider), DB_STR(in.provider),
                               DB_INT(in.has_type), DB_STR(in.type), DB_INT(in.has_target),
                               DB_STR(in.target), DB_INT(in.has_active), DB_INT(in.active),
                               DB_STR(id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "did.update", "did", id, json_text(body, NULL));
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    struct json_object *did = NULL;
    if (rc == DB_OK)
        rc = did_fetch(r, id, &did);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return did_write_error(r, rc, type ? type : "department");
    return request_reply_found(r, 200, rc, "did", did, "Phone number not found");
}

static int did_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *old;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    if (details == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    int rc = db_begin(r->db);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    rc = db_exec(r->db, r->arena,
                 "SELECT number FROM dids WHERE id = ? AND tenant_id = ? FOR UPDATE",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &old);
    if (rc == DB_OK && old->nrows == 0)
        rc = DID_ABSENT;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "DELETE FROM dids WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    /* The row is gone afterwards: the number keeps the audit entry readable. */
    if (rc == DB_OK && json_set_str(details, "number", db_get(old, 0, "number")) != 0)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "did.delete", "did", id,
                          json_text(details, NULL));
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return did_write_error(r, rc, "department");
    return reply_message(r, 200, "Phone number deleted successfully");
}

static const struct route routes[] = {
    {"GET", "/api/dids", did_list, ROLES_STAFF, FAM_TRANSFER},
    {"POST", "/api/dids", did_create, ROLES_ADMIN, FAM_TRANSFER},
    {"GET", "/api/dids/:id", did_get, ROLES_STAFF, FAM_TRANSFER},
    {"PUT", "/api/dids/:id", did_update, ROLES_ADMIN, FAM_TRANSFER},
    {"DELETE", "/api/dids/:id", did_delete, ROLES_ADMIN, FAM_TRANSFER},
};

const struct route_group dids_routes = {routes, sizeof(routes) / sizeof(routes[0])};

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
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const route_types[] = {"queue",     "ivr",      "department", "agent",
                                          "voicemail", "external", NULL};

enum { V_NUMBER, V_FRIENDLY, V_PROVIDER, V_TYPE, V_TARGET, V_ACTIVE, V_NFIELDS };

static const struct field_def did_fields[] = {
    [V_NUMBER] = {"number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [V_FRIENDLY] = {"friendly_name", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [V_PROVIDER] = {"provider", FT_TEXT, 0, 1, 50, NULL, NULL, NULL},
    [V_TYPE] = {"route_type", FT_ENUM, 0, 0, 0, route_types, NULL, NULL},
    [V_TARGET] = {"route_target", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [V_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const did_columns_of[] = {"number",     "friendly_name", "provider",
                                             "route_type", "route_target",  "is_active"};

static const struct resource dids = {
    .table = "dids",
    .columns = "id, tenant_id, number, friendly_name, provider, route_type, route_target,"
               " is_active, created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "did_",
    .one = "did",
    .many = "dids",
    .entity = "did",
    .not_found = "Phone number not found",
    .order = "number, id",
    .fields = did_fields,
    .columns_of = did_columns_of,
    .nfields = V_NFIELDS,
};

static int did_list(struct request *r)
{
    return resource_list(r, &dids, NULL);
}

static int did_get(struct request *r)
{
    return resource_get(r, &dids);
}

/*
 * route_target has no FK (its table depends on route_type), so a department or agent
 * target is checked here to belong to the tenant. A NULL target is a number not routed
 * yet. Other types point at things this API does not manage yet and are stored as given.
 * DB_OK, TXN_ANSWERED (a 422 naming route_target), or a db_rc.
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
    if (rc != DB_OK || res->nrows > 0)
        return rc;
    request_field_error(r, "route_target", strcmp(type, "agent") == 0
                                               ? "must be an agent of this tenant"
                                               : "must be an active department of this tenant");
    request_check_fields(r);
    return TXN_ANSWERED;
}

static int did_outcome(struct request *r, int rc)
{
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "This number is already in use");
    if (rc == DB_FOREIGN_KEY)
        return request_error(r, 409, "conflict",
                             "This number has call records; deactivate it instead");
    return txn_reply(r, rc);
}

struct did_write {
    const char *id;
    struct field_value v[V_NFIELDS];
    struct json_object *body;
};

static int did_create_step(struct request *r, void *arg)
{
    struct did_write *w = arg;
    int rc = target_check(r, w->v[V_TYPE].s, w->v[V_TARGET].s);
    if (rc == DB_OK)
        rc = resource_insert(r, &dids, w->id, w->v, NULL, 0);
    if (rc == DB_OK)
        rc = resource_audit(r, &dids, "create", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &dids, 201, w->id) : rc;
}

static int did_create(struct request *r)
{
    struct did_write w;
    if (fields_body(r, did_fields, V_NFIELDS, FIELDS_CREATE, w.v, &w.body) != 0)
        return -1;
    /* Our defaults, not the table's (a queue route needs a queue this API cannot name). */
    if (!w.v[V_PROVIDER].sent)
        w.v[V_PROVIDER] = (struct field_value){.sent = true, .s = "twilio"};
    if (!w.v[V_TYPE].sent)
        w.v[V_TYPE] = (struct field_value){.sent = true, .s = "department"};
    w.id = id_new(r->arena, dids.id_prefix);
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    return did_outcome(r, txn_run(r, did_create_step, &w));
}

static int did_update_step(struct request *r, void *arg)
{
    struct did_write *w = arg;
    struct db_result *old;
    int rc = resource_lock(r, &dids, w->id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", dids.not_found);
    /* Either half of the route may change alone; the pair as it will be is what must hold. */
    if (rc == DB_OK && (w->v[V_TYPE].sent || w->v[V_TARGET].sent))
        rc = target_check(r, w->v[V_TYPE].sent ? w->v[V_TYPE].s : db_get(old, 0, "route_type"),
                          w->v[V_TARGET].sent ? w->v[V_TARGET].s
                                              : db_get(old, 0, "route_target"));
    if (rc == DB_OK)
        rc = resource_update(r, &dids, w->id, w->v, NULL, 0);
    if (rc == DB_OK)
        rc = resource_audit(r, &dids, "update", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &dids, 200, w->id) : rc;
}

static int did_update(struct request *r)
{
    struct did_write w;
    w.id = request_param(r, "id");
    if (fields_body(r, did_fields, V_NFIELDS, FIELDS_UPDATE, w.v, &w.body) != 0)
        return -1;
    return did_outcome(r, txn_run(r, did_update_step, &w));
}

static int did_delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *old;
    int rc = resource_lock(r, &dids, id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", dids.not_found);
    if (rc == DB_OK)
        rc = resource_remove(r, &dids, id);
    /* The row is gone afterwards: the number keeps the audit entry readable. */
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    if (rc == DB_OK &&
        (details == NULL || json_set_str(details, "number", db_get(old, 0, "number")) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = resource_audit(r, &dids, "delete", id, json_text(details, NULL));
    return rc == DB_OK ? reply_message(r, 200, "Phone number deleted successfully") : rc;
}

static int did_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    return did_outcome(r, txn_run(r, did_delete_step, (void *)id));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/dids", did_list, ROLES_STAFF, FAM_TRANSFER,
          .summary = "List phone numbers", .key = "dids", .flags = ROUTE_LIST,
          .resource = &dids),
    ROUTE("POST", "/api/dids", did_create, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Add a phone number", ROUTE_BODY(did_fields), .key = "did",
          .flags = ROUTE_IDEMPOTENT),
    ROUTE("GET", "/api/dids/:id", did_get, ROLES_STAFF, FAM_TRANSFER,
          .summary = "One phone number", .key = "did"),
    ROUTE("PUT", "/api/dids/:id", did_update, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Change a phone number's routing", ROUTE_BODY(did_fields), .key = "did"),
    ROUTE("DELETE", "/api/dids/:id", did_delete, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Remove a phone number"),
};

const struct route_group dids_routes = {routes, sizeof(routes) / sizeof(routes[0])};

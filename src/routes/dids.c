/*
 * Phone numbers (DIDs) of the caller's tenant. A number belongs to exactly one tenant
 * (uq_dids_number spans all tenants): the Twilio webhook finds the tenant of an inbound
 * call by the number dialled. Reads and writes are still scoped by the caller's tenant,
 * so another tenant's DID is absent (404); only the duplicate number shows it exists.
 */
#include <stdbool.h>
#include <string.h>

#include "crud.h"
#include "db.h"
#include "request.h"
#include "resource.h"
#include "routes.h"

static const char *const route_types[] = {"queue",     "ivr",      "department", "agent",
                                          "voicemail", "external", NULL};

enum { V_NUMBER, V_FRIENDLY, V_PROVIDER, V_TYPE, V_TARGET, V_ACTIVE };

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

static const struct resource_writes did_writes;

static const struct resource dids = {
    .table = "dids",
    .columns = "id, tenant_id, number, friendly_name, provider, route_type, route_target,"
               " is_active, created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "did_",
    RESOURCE_NAMES("did", "dids", "Phone number not found"),
    .order = "number, id",
    RESOURCE_FIELDS(did_fields, did_columns_of),
    .writes = &did_writes,
};

/*
 * route_target has no FK (its table depends on route_type), so a department or agent
 * target is checked here to belong to the tenant. A NULL target is a number not routed
 * yet. Other types point at things this API does not manage yet and are stored as given.
 * DB_OK, TXN_ANSWERED (a 422 naming route_target), or a db_rc.
 */
static int target_check(struct request *r, const char *type, const char *target)
{
    if (target != NULL && strcmp(type, "department") == 0)
        return crud_refer(r,
                          "SELECT id FROM departments WHERE id = ? AND tenant_id = ?"
                          " AND is_active = 1 LOCK IN SHARE MODE",
                          target, "route_target", "must be an active department of this tenant");
    if (target != NULL && strcmp(type, "agent") == 0)
        return crud_refer(r,
                          "SELECT id FROM agents WHERE id = ? AND tenant_id = ?"
                          " LOCK IN SHARE MODE",
                          target, "route_target", "must be an agent of this tenant");
    return DB_OK;
}

static int did_prepare(struct request *r, struct crud_write *w)
{
    (void)r;
    /* Our defaults, not the table's (a queue route needs a queue this API cannot name). */
    if (w->op == CRUD_CREATE && !w->v[V_PROVIDER].sent)
        w->v[V_PROVIDER] = (struct field_value){.sent = true, .s = "twilio"};
    if (w->op == CRUD_CREATE && !w->v[V_TYPE].sent)
        w->v[V_TYPE] = (struct field_value){.sent = true, .s = "department"};
    return 0;
}

static int did_check(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    if (w->op == CRUD_CREATE)
        return target_check(r, v[V_TYPE].s, v[V_TARGET].s);
    /* Either half of the route may change alone; the pair as it will be is what must hold. */
    if (w->op == CRUD_UPDATE && (v[V_TYPE].sent || v[V_TARGET].sent))
        return target_check(r, v[V_TYPE].sent ? v[V_TYPE].s : db_get(w->old, 0, "route_type"),
                            v[V_TARGET].sent ? v[V_TARGET].s
                                             : db_get(w->old, 0, "route_target"));
    return DB_OK;
}

/* The row is gone after a delete: the number keeps the audit entry readable. */
static const char *const did_delete_details[] = {"number", NULL};

static const struct resource_writes did_writes = {
    .prepare = did_prepare,
    .check = did_check,
    .duplicate = "This number is already in use",
    .referenced = "This number has call records; deactivate it instead",
    .deleted = "Phone number deleted successfully",
    .delete_details = did_delete_details,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/dids", &dids, did_fields, ROLES_STAFF, ROLES_ADMIN, FAM_TRANSFER,
                CRUD_NAMES_AS("did", "dids", "a", "phone number", "phone numbers")),
};

ROUTE_GROUP(dids_routes, routes);

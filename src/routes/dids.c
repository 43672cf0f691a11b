/*
 * Phone numbers (DIDs) of the caller's tenant. A number belongs to exactly one tenant
 * (uq_dids_number spans all tenants): the Twilio webhook finds the tenant of an inbound
 * call by the number dialled. Reads and writes are still scoped by the caller's tenant,
 * so another tenant's DID is absent (404); only the duplicate number shows it exists.
 * Route targets are checked by did_route.c, which also picks a call's route by schedule.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "did_route.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

static const char *const route_types[] = {"queue",     "ivr",      "department", "agent",
                                          "voicemail", "external", NULL};

enum { V_NUMBER, V_FRIENDLY, V_PROVIDER, V_TYPE, V_TARGET, V_ACTIVE, V_SMS };

static const struct field_def did_fields[] = {
    [V_NUMBER] = {"number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [V_FRIENDLY] = {"friendly_name", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [V_PROVIDER] = {"provider", FT_TEXT, 0, 1, 50, NULL, NULL, NULL},
    [V_TYPE] = {"route_type", FT_ENUM, 0, 0, 0, route_types, NULL, NULL},
    [V_TARGET] = {"route_target", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [V_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    /* The number sends SMS (/api/v1/sms picks the first such number as the sender). */
    [V_SMS] = {"sms_enabled", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const did_columns_of[] = {"number",       "friendly_name", "provider",
                                             "route_type",   "route_target",  "is_active",
                                             "sms_enabled"};

static const struct resource_writes did_writes;

static const struct resource dids = {
    .table = "dids",
    .columns = "id, tenant_id, number, friendly_name, provider, route_type, route_target,"
               " schedule_id, after_hours_route_type, after_hours_route_target, is_active,"
               " sms_enabled, created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "did_",
    RESOURCE_NAMES("did", "dids", "Phone number not found"),
    .order = "number, id",
    RESOURCE_FIELDS(did_fields, did_columns_of),
    .writes = &did_writes,
};

static int did_prepare(struct request *r, struct crud_write *w)
{
    (void)r;
    /* Our defaults, not the table's: the transfer portal's numbers go to departments. */
    if (w->op == CRUD_CREATE && !w->v[V_PROVIDER].sent)
        w->v[V_PROVIDER] = (struct field_value){.sent = true, .s = "twilio"};
    if (w->op == CRUD_CREATE && !w->v[V_TYPE].sent)
        w->v[V_TYPE] = (struct field_value){.sent = true, .s = "department"};
    return 0;
}

/*
 * route_target has no FK (its table depends on route_type): did_target_check() holds it to
 * the tenant. A NULL target is a number not routed yet. An external number is written
 * normalised, so the target is sent again as checked.
 */
static int did_check(struct request *r, struct crud_write *w)
{
    struct field_value *v = w->v;
    if (w->op == CRUD_DELETE)
        return DB_OK;
    /* Either half of the route may change alone; the pair as it will be is what must hold. */
    if (w->op == CRUD_UPDATE && !v[V_TYPE].sent && !v[V_TARGET].sent)
        return DB_OK;
    const char *type = v[V_TYPE].sent ? v[V_TYPE].s : db_get(w->old, 0, "route_type");
    const char *target = v[V_TARGET].sent ? v[V_TARGET].s : db_get(w->old, 0, "route_target");
    int rc = did_target_check(r, type, &target, "route_target", false);
    if (rc == DB_OK && target != NULL)
        v[V_TARGET] = (struct field_value){.sent = true, .s = target};
    return rc;
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

/* ---- lookups ---------------------------------------------------------------------------- */

/* ?number= in any form a phone is written in, as E.164 (arena); NULL when answered (422). */
static const char *query_number(struct request *r)
{
    const char *q = request_query(r, "number");
    char e164[24];
    if (q == NULL || *q == '\0')
        request_field_error(r, "number", "is required");
    else if (validate_phone_e164(q, strlen(q), e164, sizeof(e164)) != 0)
        request_field_error(r, "number", "must be a phone number (E.164)");
    if (request_check_fields(r) != 0)
        return NULL;
    const char *n = arena_strdup(r->arena, e164);
    if (n == NULL)
        request_oom(r);
    return n;
}

static int did_by_number(struct request *r)
{
    const char *number = query_number(r);
    if (number == NULL)
        return -1;
    struct db_result *res;
    struct json_object *obj = NULL;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM dids WHERE number = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(number), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK)
        rc = res->nrows ? resource_fetch(r, &dids, db_get(res, 0, "id"), &obj) : 1;
    return request_reply_found(r, 200, rc, "did", obj, dids.not_found);
}

/* Numbers nobody calls through yet: active, with no target (voicemail needs none). */
static int did_available(struct request *r)
{
    struct qb free_only;
    qb_init(&free_only, r->arena);
    qb_add(&free_only, " AND is_active = 1 AND route_target IS NULL AND route_type <> 'voicemail'");
    return resource_list(r, &dids, &free_only);
}

/* ---- routing ---------------------------------------------------------------------------- */

enum { R_TYPE, R_TARGET, R_SCHEDULE, R_AH_TYPE, R_AH_TARGET, R_NFIELDS };

static const struct field_def routing_fields[] = {
    [R_TYPE] = {"route_type", FT_ENUM, F_ALWAYS, 0, 0, route_types, NULL, NULL},
    [R_TARGET] = {"route_target", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [R_SCHEDULE] = {"schedule_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [R_AH_TYPE] = {"after_hours_route_type", FT_ENUM, F_NULLABLE, 0, 0, route_types, NULL, NULL},
    [R_AH_TARGET] = {"after_hours_route_target", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

struct routing_write {
    const char *id;
    struct field_value v[R_NFIELDS];
    struct json_object *body;
};

/* The after-hours route exists only with a schedule, and a schedule only with one. */
static int routing_pairs(struct request *r, const struct field_value *v)
{
    if (v[R_AH_TYPE].s != NULL && v[R_SCHEDULE].s == NULL)
        request_field_error(r, "after_hours_route_type", "needs a schedule_id");
    if (v[R_SCHEDULE].s != NULL && v[R_AH_TYPE].s == NULL)
        request_field_error(r, "after_hours_route_type", "is required with a schedule_id");
    if (v[R_AH_TARGET].s != NULL && v[R_AH_TYPE].s == NULL)
        request_field_error(r, "after_hours_route_target", "needs an after_hours_route_type");
    return request_check_fields(r);
}

static int routing_step(struct request *r, void *arg)
{
    struct routing_write *w = arg;
    struct field_value *v = w->v;
    struct db_result *old;
    const char *target = v[R_TARGET].s, *ah_target = v[R_AH_TARGET].s;
    int rc = resource_lock(r, &dids, w->id, &old);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", dids.not_found);
    if (rc == DB_OK)
        rc = did_target_check(r, v[R_TYPE].s, &target, "route_target", true);
    if (rc == DB_OK && v[R_SCHEDULE].s != NULL)
        rc = crud_refer(r,
                        "SELECT id FROM schedules WHERE id = ? AND tenant_id = ?"
                        " LOCK IN SHARE MODE",
                        v[R_SCHEDULE].s, "schedule_id", "must be a schedule of this tenant");
    if (rc == DB_OK && v[R_AH_TYPE].s != NULL)
        rc = did_target_check(r, v[R_AH_TYPE].s, &ah_target, "after_hours_route_target", true);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE dids SET route_type = ?, route_target = ?, schedule_id = ?,"
                     " after_hours_route_type = ?, after_hours_route_target = ?"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(v[R_TYPE].s), DB_STR(target), DB_STR(v[R_SCHEDULE].s),
                               DB_STR(v[R_AH_TYPE].s), DB_STR(ah_target), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &dids, "routing", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &dids, 200, w->id) : rc;
}

/* PUT sets the whole routing: a member left out is cleared. */
static int did_set_routing(struct request *r)
{
    struct routing_write w = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, w.v, R_NFIELDS, &w.body) != 0 ||
        routing_pairs(r, w.v) != 0)
        return -1;
    return txn_reply(r, txn_run(r, routing_step, &w));
}

/* A text member as the dialect writes a missing one: "" for the callcenter's clients. */
static const char *text_of(const struct request *r, const char *s)
{
    return s == NULL && r->families == FAM_CALLCENTER ? "" : s;
}

/* Where a call to the number goes at ?at= (Unix seconds; default now). */
static int did_get_routing(struct request *r)
{
    long long at;
    struct did_route route;
    if (query_int(r, "at", 0, 253402300799LL, (long long)time(NULL), &at) < 0)
        return request_check_fields(r);
    int rc = did_route_resolve(r, request_param(r, "id"), (time_t)at, &route);
    if (rc != DB_OK)
        return request_reply_found(r, 200, rc, "routing", NULL, dids.not_found);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "did_id", route.did_id) ||
        json_set_str(o, "number", route.number) ||
        json_set_str(o, "route_type", route.route_type) ||
        json_set_str(o, "route_target", text_of(r, route.route_target)) ||
        json_set_str(o, "schedule_id", text_of(r, route.schedule_id)) ||
        json_set_bool(o, "after_hours", route.after_hours) || json_set_int(o, "at", at))
        return request_oom(r);
    return reply_one(r, 200, "routing", o);
}

static const struct route routes[] = {
    CRUD_ROUTES("/api/dids", &dids, did_fields, ROLES_STAFF, ROLES_ADMIN,
                FAM_TRANSFER | FAM_CALLCENTER,
                CRUD_NAMES_AS("did", "dids", "a", "phone number", "phone numbers")),
    ROUTE("GET", "/api/dids/by-number", did_by_number, ROLES_STAFF, FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "The tenant's phone number with this number (?number=, any notation)",
          .key = "did"),
    ROUTE("GET", "/api/dids/available", did_available, ROLES_STAFF, FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "The tenant's active phone numbers with no route yet", .key = "dids",
          .flags = ROUTE_LIST, .resource = &dids),
    ROUTE("PUT", "/api/dids/:id/routing", did_set_routing, ROLES_ADMIN,
          FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "Set a phone number's route, schedule and after-hours route",
          ROUTE_BODY(routing_fields), .key = "did"),
    ROUTE("GET", "/api/dids/:id/routing", did_get_routing, ROLES_STAFF,
          FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "Where a call to the number goes now (or ?at=, Unix seconds)",
          .key = "routing"),
};

ROUTE_GROUP(dids_routes, routes);

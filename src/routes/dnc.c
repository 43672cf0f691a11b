/*
 * The do-not-call list of the caller's tenant (issue 10, coldcaller family): the
 * `blacklist` rows that block outbound calls (direction outbound, or both when the number
 * was blocked for inbound calls already). Adding a number that is on the list is a 409;
 * adding one blocked for inbound only makes it `both`; removing a `both` entry keeps its
 * inbound block. A row past its expires_at no longer blocks. The dial-time check is the
 * outbound slice's own SQL; refused dials land in dnc_attempts, listed here.
 * Anyone may add a number (a callee asked not to be called); managers and admins remove.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "blacklist_store.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "lead_store.h"
#include "qb.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define DNC_OUT " AND direction IN ('outbound','both')"

static const struct filter_def dnc_filters[] = {
    {"search", FILTER_LIKE,
     " AND (reason LIKE ? ESCAPE '\\\\' OR (CHAR_LENGTH(REGEXP_REPLACE(?, '[^0-9]', '')) >= 3"
     " AND number LIKE CONCAT('%', REGEXP_REPLACE(?, '[^0-9]', ''), '%')))",
     NULL, NULL},
};

enum { D_NUMBER, D_REASON, D_EXPIRES, D_NFIELDS };

static const struct field_def dnc_fields[] = {
    [D_NUMBER] = {"phone_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, "number"},
    [D_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [D_EXPIRES] = {"expires_at", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

static const struct resource dnc = {
    .table = "blacklist",
    .columns = "id, number AS phone_number, reason, direction, expires_at,"
               " " BLACKLIST_ACTIVE_COLUMN ", created_by,"
               " created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "dnc_",
    .entity = "dnc",
    RESOURCE_NAMES("entry", "entries", "Do-not-call entry not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(dnc_filters),
    .default_limit = 20,
    .decorate = blacklist_decorate,
};

static const struct filter_def attempt_filters[] = {
    {"phoneNumber", FILTER_EQ, " AND number = ?", NULL, NULL},
    {"campaignId", FILTER_ID, " AND campaign_id = ?", NULL, NULL},
    {"userId", FILTER_ID, " AND user_id = ?", NULL, NULL},
};

static const struct resource attempts = {
    .table = "dnc_attempts",
    .columns = "id, number AS phone_number, user_id, lead_id, campaign_id, reason, created_at",
    .tenant_col = "tenant_id",
    RESOURCE_NAMES("attempt", "attempts", "Attempt not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(attempt_filters),
    .default_limit = 20,
};

static int dnc_list(struct request *r)
{
    struct qb out;
    qb_init(&out, r->arena);
    qb_add(&out, DNC_OUT);
    return resource_list(r, &dnc, &out);
}

static int attempt_list(struct request *r)
{
    return resource_list(r, &attempts, NULL);
}

struct dnc_write {
    const char *id;
    struct field_value v[D_NFIELDS];
    struct json_object *body;
    char expires[24];
};

static int add_step(struct request *r, void *arg)
{
    struct dnc_write *w = arg;
    const struct field_value *v = w->v;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, direction FROM blacklist WHERE tenant_id = ? AND number = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(v[D_NUMBER].s)), &res);
    if (rc != DB_OK)
        return rc;
    const char *dir = res->nrows ? db_get(res, 0, "direction") : NULL;
    if (dir != NULL && strcmp(dir, "inbound") != 0)
        return txn_fail(r, 409, "conflict", "This number is already on the do-not-call list");
    if (dir != NULL) {
        w->id = db_get(res, 0, "id");
        rc = db_exec(r->db, r->arena,
                     "UPDATE blacklist SET direction = 'both', reason = COALESCE(?, reason),"
                     " expires_at = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(v[D_REASON].s), DB_STR(v[D_EXPIRES].s), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    } else {
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO blacklist (id, tenant_id, number, reason, direction,"
                     " created_by, expires_at) VALUES (?, ?, ?, ?, 'outbound', ?, ?)",
                     DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id), DB_STR(v[D_NUMBER].s),
                               DB_STR(v[D_REASON].s), DB_STR(r->auth.user_id),
                               DB_STR(v[D_EXPIRES].s)),
                     NULL);
    }
    if (rc == DB_OK)
        rc = resource_audit(r, &dnc, "create", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &dnc, 201, w->id) : rc;
}

static int dnc_add(struct request *r)
{
    struct dnc_write *w = arena_calloc(r->arena, 1, sizeof(*w));
    if (w == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, w->v, D_NFIELDS, &w->body) != 0)
        return -1;
    if (w->v[D_EXPIRES].s != NULL) {
        if (lead_store_datetime(w->v[D_EXPIRES].s, w->expires, sizeof(w->expires)) != 0)
            request_field_error(r, "expiresAt", "must be an ISO 8601 date and time");
        w->v[D_EXPIRES].s = w->expires;
    }
    if (request_check_fields(r) != 0)
        return -1;
    if ((w->id = id_new(r->arena, dnc.id_prefix)) == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, add_step, w));
}

/* An entry that also blocks inbound calls keeps doing that. */
static int remove_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *old;
    int rc = resource_lock(r, &dnc, id, &old);
    const char *dir = rc == DB_OK ? db_get(old, 0, "direction") : NULL;
    if (rc == 1 || (rc == DB_OK && (dir == NULL || strcmp(dir, "inbound") == 0)))
        return txn_fail(r, 404, "not_found", dnc.not_found);
    if (rc == DB_OK && strcmp(dir, "both") == 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE blacklist SET direction = 'inbound' WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    else if (rc == DB_OK)
        rc = resource_remove(r, &dnc, id);
    if (rc == DB_OK)
        rc = resource_audit(r, &dnc, "delete", id,
                            arena_printf(r->arena, "{\"number\":\"%s\"}",
                                         db_get(old, 0, "number")));
    if (rc == DB_OK && reply_message(r, 200, "Number removed from the do-not-call list") != 0)
        rc = DB_ERROR;
    return rc;
}

static int dnc_remove(struct request *r)
{
    return txn_reply(r, txn_run(r, remove_step, (void *)request_param(r, "id")));
}

/* ?phoneNumber= (or ?number=) in the dialer's notation, as "+digits"; NULL once answered. */
static const char *query_phone(struct request *r)
{
    const char *q = request_query(r, "phoneNumber");
    char norm[24];
    if (q == NULL)
        q = request_query(r, "number");
    if (q == NULL || *q == '\0')
        request_field_error(r, "phoneNumber", "is required");
    else if (validate_phone_loose(q, strlen(q), norm, sizeof(norm)) != 0)
        request_field_error(r, "phoneNumber", "Invalid phone number format");
    if (request_check_fields(r) != 0)
        return NULL;
    const char *n = arena_strdup(r->arena, norm);
    if (n == NULL)
        request_oom(r);
    return n;
}

static int dnc_check(struct request *r)
{
    const char *number = query_phone(r);
    struct db_result *res, *lead;
    if (number == NULL)
        return -1;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM blacklist WHERE tenant_id = ? AND number = ?" DNC_OUT
                     BLACKLIST_ACTIVE,
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(number)), &res);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT lead_no FROM contacts WHERE tenant_id = ? AND phone = ?"
                     " AND do_not_call = 1 AND lead_no IS NOT NULL LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(number)), &lead);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *entry = NULL;
    if (res->nrows > 0 && (rc = resource_fetch(r, &dnc, db_get(res, 0, "id"), &entry)) != DB_OK)
        return request_db_error(r, rc == 1 ? DB_ERROR : rc);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "phone_number", number) ||
        json_set_bool(o, "blocked", res->nrows > 0) ||
        json_set_bool(o, "lead_do_not_call", lead->nrows > 0) ||
        json_set(o, "entry", json_object_get(entry)))
        return request_oom(r);
    return reply_one(r, 200, "check", o);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/dnc", dnc_list, ROLES_ANY, FAM_COLDCALLER,
          .summary = "List the do-not-call list (search)", .key = "entries", .flags = ROUTE_LIST,
          .resource = &dnc),
    ROUTE("POST", "/api/dnc", dnc_add, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Add a number to the do-not-call list", ROUTE_BODY(dnc_fields),
          .key = "entry", .flags = ROUTE_IDEMPOTENT),
    ROUTE("GET", "/api/dnc/check", dnc_check, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Whether a number is on the do-not-call list (?phoneNumber=)",
          .key = "check"),
    ROUTE("GET", "/api/dnc/attempts", attempt_list, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Dials refused by the do-not-call list, newest first", .key = "attempts",
          .flags = ROUTE_LIST, .resource = &attempts),
    ROUTE("DELETE", "/api/dnc/:id", dnc_remove, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Remove a number from the do-not-call list"),
};

ROUTE_GROUP(dnc_routes, routes);

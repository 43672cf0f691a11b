/*
 * The blacklist of the caller's tenant (the callcenter family; issue 11): numbers blocked
 * for inbound calls, outbound calls or both, until expires_at (none: for ever). These are
 * the rows coldcaller's do-not-call list (dnc.c) shows for outbound; the inbound block is
 * qcall_enter()'s (blacklist_store.h), so a blocked caller never reaches a queue. A number
 * is on the list once (409). Any role reads; admins and managers write.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "blacklist_store.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "lead_store.h"
#include "request.h"
#include "resource.h"
#include "routes.h"

static const char *const directions[] = {"inbound", "outbound", "both", NULL};

enum { B_NUMBER, B_REASON, B_DIRECTION, B_EXPIRES };

static const struct field_def blacklist_fields[] = {
    [B_NUMBER] = {"number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, "phone_number"},
    [B_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [B_DIRECTION] = {"direction", FT_ENUM, 0, 0, 0, directions, NULL, NULL},
    [B_EXPIRES] = {"expires_at", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

static const char *const blacklist_columns_of[] = {
    [B_NUMBER] = "number",
    [B_REASON] = "reason",
    [B_DIRECTION] = "direction",
    [B_EXPIRES] = "expires_at",
};

static const struct filter_def blacklist_filters[] = {
    {"direction", FILTER_ENUM, " AND direction = ?", directions, NULL},
    {"number", FILTER_EQ, " AND number = ?", NULL, NULL},
    {"search", FILTER_LIKE, " AND (number LIKE ? ESCAPE '\\\\' OR reason LIKE ? ESCAPE '\\\\')",
     NULL, NULL},
};

static const struct sort_def blacklist_sorts[] = {
    {"number", "number"},
    {"created_at", "created_at"},
    {"expires_at", "expires_at"},
    {NULL, NULL},
};

static const struct resource_writes blacklist_writes;

static const struct resource blacklist = {
    .table = "blacklist",
    .columns = "id, number, reason, direction, expires_at,"
               " " BLACKLIST_ACTIVE_COLUMN ", created_by, created_at,"
               " updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "bl_",
    RESOURCE_NAMES("entry", "entries", "Blacklist entry not found"),
    .entity = "blacklist",
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(blacklist_filters),
    .sorts = blacklist_sorts,
    RESOURCE_FIELDS(blacklist_fields, blacklist_columns_of),
    .decorate = blacklist_decorate,
    .writes = &blacklist_writes,
};

/* expires_at in any ISO 8601 form, stored as the server's DATETIME (UTC). */
static int blacklist_prepare(struct request *r, struct crud_write *w)
{
    struct field_value *e = &w->v[B_EXPIRES];
    if (w->op == CRUD_DELETE || e->s == NULL)
        return 0;
    char *out = arena_alloc(r->arena, 24);
    if (out == NULL)
        return request_oom(r);
    if (lead_store_datetime(e->s, out, 24) != 0)
        request_field_error(r, "expires_at", "must be an ISO 8601 date and time");
    e->s = out;
    return request_check_fields(r);
}

/* Who added the entry is the caller. */
static int blacklist_write(struct request *r, struct crud_write *w)
{
    if (w->op != CRUD_CREATE)
        return crud_write_columns(r, w);
    const struct column_value by = {"created_by", DB_STR(r->auth.user_id)};
    return resource_insert(r, w->res, w->id, w->v, &by, 1);
}

static const char *const blacklist_delete_details[] = {"number", "direction", NULL};

static const struct resource_writes blacklist_writes = {
    .prepare = blacklist_prepare,
    .write = blacklist_write,
    .duplicate = "This number is already on the blacklist",
    .deleted = "Number removed from the blacklist",
    .delete_details = blacklist_delete_details,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/blacklist", &blacklist, blacklist_fields, ROLES_ANY, ROLES_STAFF,
                FAM_CALLCENTER, CRUD_NAMES_AS("entry", "entries", "a", "blacklist entry",
                                              "blacklist entries")),
};

ROUTE_GROUP(blacklist_routes, routes);

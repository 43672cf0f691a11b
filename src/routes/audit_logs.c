/*
 * The audit log of the caller's tenant, for its admins: who did what to which record,
 * from where (audit.c writes it inside each write's transaction). Filters by user,
 * action, resource type and id, and time; newest first, by page or by keyset cursor.
 */
#include <stdbool.h>

#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "validate.h"

/*
 * `action` is the whole word ("contact.create") or its verb alone ("create"), `resource`
 * (or `resource_type`, `entity_type`) the record's type as the log names it ("contact").
 */
static const struct filter_def audit_filters[] = {
    {"user_id", FILTER_ID, " AND a.user_id = ?", NULL, NULL},
    {"action", FILTER_EQ, " AND (a.action = ? OR a.action LIKE CONCAT('%.', ?))", NULL, NULL},
    {"resource", FILTER_EQ, " AND a.entity_type = ?", NULL, NULL},
    {"resource_type", FILTER_EQ, " AND a.entity_type = ?", NULL, NULL},
    {"entity_type", FILTER_EQ, " AND a.entity_type = ?", NULL, NULL},
    {"resource_id", FILTER_ID, " AND a.entity_id = ?", NULL, NULL},
};

static const char *const audit_json_cols[] = {"details", NULL};

static const struct resource audit_logs = {
    .table = "audit_logs",
    .columns = "a.id, a.user_id, u.email AS user_email,"
               " NULLIF(CONCAT_WS(' ', u.first_name, u.last_name), '') AS user_name,"
               " a.action, a.entity_type AS resource_type, a.entity_id AS resource_id,"
               " a.ip_address, a.request_id, a.details, a.created_at",
    .from = "audit_logs a LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id",
    .page_base = "audit_logs a",
    .cursor_col = "a.created_at",
    .id_col = "a.id",
    .tenant_col = "a.tenant_id",
    .json_cols = audit_json_cols,
    RESOURCE_NAMES("audit_log", "audit_logs", "Audit log entry not found"),
    .order = "a.created_at DESC, a.id DESC",
    RESOURCE_FILTERS(audit_filters),
    .default_limit = 50,
    .max_limit = 200,
};

/* `from` and `to` as the CDR routes read times (a date alone as `to`: its whole day). */
static int audit_list(struct request *r)
{
    long long from = 0, to = 0;
    struct qb w;
    qb_init(&w, r->arena);
    int hf = cdr_query_time(r, "from", false, &from);
    int ht = cdr_query_time(r, "to", true, &to);
    if (hf == 1 && ht == 1 && to <= from)
        request_field_error(r, "to", "must be after from");
    if (request_check_fields(r) != 0)
        return -1;
    if (hf == 1)
        qb_addv(&w, " AND a.created_at >= FROM_UNIXTIME(?)", DB_INT(from));
    if (ht == 1)
        qb_addv(&w, " AND a.created_at < FROM_UNIXTIME(?)", DB_INT(to));
    return resource_list(r, &audit_logs, &w);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/audit-logs", audit_list, ROLES_ADMIN, FAM_CALLCENTER,
          .summary = "The tenant's audit log: who did what to which record, newest first",
          .key = "audit_logs", .flags = ROUTE_LIST, .resource = &audit_logs),
};

ROUTE_GROUP(audit_logs_routes, routes);

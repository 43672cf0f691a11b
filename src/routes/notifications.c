/*
 * The signed-in user's notifications (written by notify.c inside the transaction of the
 * change they tell of). Every query is scoped by the tenant and the user of the verified
 * token: another user's notification is absent (404), like another tenant's record.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const notification_json[] = {"data", NULL};
static const char *const priorities[] = {"low", "normal", "high", NULL};

static const struct filter_def notification_filters[] = {
    {"is_read", FILTER_BOOL, " AND is_read = ?", NULL, NULL},
    {"type", FILTER_EQ, " AND type = ?", NULL, NULL},
    {"priority", FILTER_ENUM, " AND priority = ?", priorities, NULL},
};

static const struct resource notifications = {
    .table = "notifications",
    .columns = "id, user_id, type, title, body, data, priority, is_read, read_at, created_at",
    .tenant_col = "tenant_id",
    .json_cols = notification_json,
    .id_prefix = "ntf_",
    RESOURCE_NAMES("notification", "notifications", "Notification not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(notification_filters),
};

static struct qb *mine(struct request *r)
{
    struct qb *q = arena_alloc(r->arena, sizeof(*q));
    if (q == NULL)
        return NULL;
    qb_init(q, r->arena);
    qb_addv(q, " AND user_id = ?", DB_STR(r->auth.user_id));
    return q;
}

static int notification_list(struct request *r)
{
    struct qb *q = mine(r);
    return q == NULL ? request_oom(r) : resource_list(r, &notifications, q);
}

static int unread_count(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS n FROM notifications"
                     " WHERE tenant_id = ? AND user_id = ? AND is_read = 0",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    const char *n = res->nrows ? db_get(res, 0, "n") : "0";
    if (o == NULL || json_set_int(o, "count", n ? atoll(n) : 0) != 0)
        return request_oom(r);
    return reply_one(r, 200, "unread", o);
}

/* Marks one read (once: read_at keeps the first time), then answers it. */
static int read_one_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *upd;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE notifications SET is_read = 1, read_at = COALESCE(read_at, NOW())"
                     " WHERE id = ? AND tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)),
                     &upd);
    if (rc != DB_OK)
        return rc;
    struct db_result *row;
    rc = db_exec(r->db, r->arena,
                 "SELECT id, user_id, type, title, body, data, priority, is_read, read_at,"
                 " created_at FROM notifications WHERE id = ? AND tenant_id = ? AND user_id = ?",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)),
                 &row);
    if (rc != DB_OK)
        return rc;
    if (row->nrows == 0)
        return txn_fail(r, 404, "not_found", notifications.not_found);
    return resource_reply_row(r, 200, "notification", row, notification_json);
}

static int notification_read(struct request *r)
{
    return txn_reply(r, txn_run(r, read_one_step, (void *)request_param(r, "id")));
}

static int read_all_step(struct request *r, void *arg)
{
    (void)arg;
    struct db_result *upd;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE notifications SET is_read = 1, read_at = NOW()"
                     " WHERE tenant_id = ? AND user_id = ? AND is_read = 0",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)), &upd);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_int(o, "updated", (long long)upd->affected_rows) != 0)
        return DB_ERROR;
    return reply_one(r, 200, "result", o) == 0 ? DB_OK : DB_ERROR;
}

static int notification_read_all(struct request *r)
{
    return txn_reply(r, txn_run(r, read_all_step, NULL));
}

static int delete_step(struct request *r, void *arg)
{
    struct db_result *del;
    int rc = db_exec(r->db, r->arena,
                     "DELETE FROM notifications WHERE id = ? AND tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR((const char *)arg), DB_STR(r->auth.tenant_id),
                               DB_STR(r->auth.user_id)),
                     &del);
    if (rc != DB_OK)
        return rc;
    if (del->affected_rows == 0)
        return txn_fail(r, 404, "not_found", notifications.not_found);
    return reply_message(r, 200, "Notification deleted") == 0 ? DB_OK : DB_ERROR;
}

static int notification_delete(struct request *r)
{
    return txn_reply(r, txn_run(r, delete_step, (void *)request_param(r, "id")));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/notifications", notification_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "My notifications, newest first (?is_read=, ?type=, ?priority=)",
          .key = "notifications", .flags = ROUTE_LIST, .resource = &notifications),
    ROUTE("GET", "/api/notifications/unread-count", unread_count, ROLES_ANY, FAM_CALLCENTER,
          .summary = "How many of my notifications are unread", .key = "unread"),
    ROUTE("POST", "/api/notifications/read-all", notification_read_all, ROLES_ANY,
          FAM_CALLCENTER, .summary = "Mark all my notifications read", .key = "result"),
    ROUTE("POST", "/api/notifications/:id/read", notification_read, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Mark one of my notifications read", .key = "notification"),
    ROUTE("DELETE", "/api/notifications/:id", notification_delete, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Delete one of my notifications", .key = "message"),
};

ROUTE_GROUP(notifications_routes, routes);

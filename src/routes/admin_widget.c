/*
 * A company's chat widget as the platform admin sees it (calldocker, super_admin): read
 * it, change it (the fields and checks of /api/chat/widgets, chat_widget.h), and the HTML
 * that embeds it in a web page. A company has one widget here: its first (approval makes
 * it; the company's admin manages any others through /api/chat/widgets). Every statement
 * names the company; writes are audited under it.
 */
#include <stdbool.h>

#include "arena.h"
#include "chat_widget.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

#define WIDGET_COLUMNS                                                                      \
    "w.id, w.tenant_id AS company_id, w.name, w.public_key, w.allowed_origins,"             \
    " w.greeting_message, w.offline_message, w.settings, w.is_active, w.created_at,"       \
    " w.updated_at"

static const char *const widget_json_cols[] = {"allowed_origins", "settings", NULL};

/* The UPDATE of the sent columns (chat_widgets.c's declaration), by the id
 * company_widget() found in the company. */
static const struct resource company_widget_table = {
    .table = "chat_widgets",
    .entity = "chat_widget",
    RESOURCE_FIELDS(chat_widget_fields, chat_widget_columns_of),
};

/*
 * The widget of company id (locked with lock); DB_OK with *row, TXN_ANSWERED once it
 * answered 404 (no such company, or no widget), or a db_rc.
 */
static int company_widget(struct request *r, const char *id, bool lock, struct db_result **row)
{
    int rc = db_exec(r->db, r->arena,
                     lock ? "SELECT " WIDGET_COLUMNS " FROM tenants t"
                            " LEFT JOIN chat_widgets w ON w.tenant_id = t.id"
                            " WHERE t.id = ? AND t.status <> 'deleted'"
                            " ORDER BY w.created_at, w.id LIMIT 1 FOR UPDATE"
                          : "SELECT " WIDGET_COLUMNS " FROM tenants t"
                            " LEFT JOIN chat_widgets w ON w.tenant_id = t.id"
                            " WHERE t.id = ? AND t.status <> 'deleted'"
                            " ORDER BY w.created_at, w.id LIMIT 1",
                     DB_PARAMS(DB_STR(id)), row);
    if (rc != DB_OK)
        return rc;
    if ((*row)->nrows == 0) {
        request_error(r, 404, "not_found", "Company not found");
        return TXN_ANSWERED;
    }
    if (db_get(*row, 0, "id") == NULL) {
        request_error(r, 404, "not_found",
                      "This company has no chat widget yet (setup-widget creates one)");
        return TXN_ANSWERED;
    }
    return DB_OK;
}

static struct json_object *widget_json(struct request *r, const struct db_result *row)
{
    return arena_json(r->arena, db_row_json(row, 0, widget_json_cols));
}

/* The widget of the path's company, read outside a transaction: 0, or -1 answered. */
static int path_widget(struct request *r, struct db_result **row)
{
    int rc = company_widget(r, request_param(r, "id"), false, row);
    if (rc == TXN_ANSWERED)
        return -1;
    return rc == DB_OK ? 0 : request_db_error(r, rc);
}

static int widget_get(struct request *r)
{
    struct db_result *row;
    if (path_widget(r, &row) != 0)
        return -1;
    struct json_object *o = widget_json(r, row);
    return o ? reply_one(r, 200, "widget", o) : request_oom(r);
}

struct widget_write {
    const char *company;
    struct field_value v[CW_NFIELDS];
    struct json_object *body;
};

/* A schedule the widget keeps its hours by: one of the company's, locked until the commit. */
static int schedule_refer(struct request *r, const char *company, const char *id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM schedules WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(id), DB_STR(company)), &res);
    if (rc != DB_OK || res->nrows > 0)
        return rc;
    request_field_error(r, "schedule_id", "must be a schedule of this company");
    request_check_fields(r);
    return TXN_ANSWERED;
}

static int widget_put_step(struct request *r, void *arg)
{
    struct widget_write *w = arg;
    struct db_result *row;
    int rc = company_widget(r, w->company, true, &row);
    const char *wid = rc == DB_OK ? db_get(row, 0, "id") : NULL;
    const struct field_value *schedule = &w->v[CW_SCHEDULE];
    if (rc == DB_OK && schedule->sent && !schedule->null)
        rc = schedule_refer(r, w->company, schedule->s);
    if (rc == DB_OK)
        rc = resource_update(r, &company_widget_table, wid, w->v, NULL, 0);
    if (rc == DB_OK)
        rc = audit_record(r, w->company, "chat_widget.admin_update", "chat_widget", wid,
                          json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = company_widget(r, w->company, false, &row);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = widget_json(r, row);
    return o && reply_one(r, 200, "widget", o) == 0 ? DB_OK : DB_ERROR;
}

static int widget_put(struct request *r)
{
    struct widget_write w = {.company = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, w.v, CW_NFIELDS, &w.body) != 0 ||
        chat_widget_check(r, CRUD_UPDATE, w.v) != 0)
        return -1;
    int rc = txn_run(r, widget_put_step, &w);
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "A chat widget with this name already exists");
    return txn_reply(r, rc);
}

/* The script tag a company's web page carries: the widget's script and its public key. */
static int embed_code(struct request *r)
{
    struct db_result *row;
    if (path_widget(r, &row) != 0)
        return -1;
    const char *key = db_get(row, 0, "public_key");
    const char *code = arena_printf(r->arena,
                                    "<script src=\"%s/widget.js\" data-widget-key=\"%s\""
                                    " async></script>",
                                    r->cfg->public_base_url, key);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (code == NULL || o == NULL || json_set_str(o, "embed_code", code) ||
        json_set_str(o, "widget_key", key) || json_set_str(o, "widget_id", db_get(row, 0, "id")) ||
        json_set_str(o, "company_id", request_param(r, "id")) ||
        json_set_bool(o, "is_active", db_get_int(row, 0, "is_active", 0) != 0))
        return request_oom(r);
    return reply_one(r, 200, "embed", o);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/admin/companies/:id/widget", widget_get, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "A company's chat widget", .key = "widget"),
    ROUTE("PUT", "/api/admin/companies/:id/widget", widget_put, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Change a company's chat widget (as /api/chat/widgets/:id)",
          ROUTE_BODY(chat_widget_fields), .key = "widget"),
    ROUTE("POST", "/api/admin/companies/:id/embed-code", embed_code, ROLES_SUPER,
          FAM_CALLDOCKER, .summary = "The HTML that embeds a company's chat widget",
          .key = "embed"),
};

ROUTE_GROUP(admin_widget_routes, routes);

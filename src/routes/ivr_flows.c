/*
 * IVR flows of the calldocker family (docs/ivr.md): a name and numbered versions of a
 * graph. Saving a graph validates it (rules 1-4 before the transaction, rule 5 inside it)
 * and adds a version, latest_version + 1 under the flow's row lock; `activate` points
 * active_version at one. The legacy paths `/api/ivr…` its pages call are the same routes.
 * A flow something routes to (a number, a menu's option, another flow's live version)
 * cannot be deleted (409); its versions and sessions go with it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "ivr.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

enum { F_NAME, F_DESC, F_GRAPH };

static const struct field_def flow_fields[] = {
    [F_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [F_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 65535, NULL, NULL, NULL},
    [F_GRAPH] = {"graph", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL},
};
static const char *const flow_columns_of[] = {"name", "description", NULL};

static const char *const flow_statuses[] = {"draft", "active", "inactive", NULL};
static const struct filter_def flow_filters[] = {
    {"status", FILTER_ENUM, " AND status = ?", flow_statuses, NULL},
    {"search", FILTER_LIKE, " AND name LIKE ?", NULL, NULL},
};
static const struct sort_def flow_sorts[] = {
    {"name", "name"}, {"created_at", "created_at"}, {"updated_at", "updated_at"},
    {"createdAt", "created_at"}, {"updatedAt", "updated_at"}, {NULL, NULL},
};

static int flow_attach(struct request *r, const char *id, struct json_object *record);
static int flow_get(struct request *r);
static const struct resource_writes flow_writes;

static const struct resource flows = {
    .table = "ivr_flows",
    .columns = "id, tenant_id, name, description, status, latest_version, active_version,"
               " latest_version AS versions, created_by, created_at, updated_at",
    .tenant_col = "tenant_id",
    .id_prefix = "ivf_",
    RESOURCE_NAMES("flow", "flows", "IVR flow not found"),
    .order = "name, id",
    RESOURCE_FILTERS(flow_filters),
    .sorts = flow_sorts,
    RESOURCE_FIELDS(flow_fields, flow_columns_of),
    .attach = flow_attach,
    .writes = &flow_writes,
};

/* One fetched flow carries the graph of its latest version, or of ?version=N. */
static int flow_attach(struct request *r, const char *id, struct json_object *record)
{
    struct json_object *latest, *graph = NULL;
    json_object_object_get_ex(record, "latest_version", &latest);
    /* flow_get checked ?version; after a write (resource_answer) it is the latest */
    const char *q = r->match.route->handler == flow_get ? request_query(r, "version") : NULL;
    long long version = q ? strtoll(q, NULL, 10) : json_object_get_int64(latest);
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT graph FROM ivr_flow_versions"
                     " WHERE tenant_id = ? AND flow_id = ? AND version = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id), DB_INT(version)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0 && q != NULL)
        return 1;
    const char *text = res->nrows ? db_get(res, 0, "graph") : NULL;
    if (text != NULL && json_parse_object(text, strlen(text), &graph) != 0)
        return DB_ERROR;
    if (json_set(record, "graph", graph) != 0 ||
        json_set(record, "version", res->nrows ? json_object_new_int64(version) : NULL) != 0)
        return DB_ERROR;
    return DB_OK;
}

/* The graph sent, parsed and validated (rules 1-4): a 422 naming the node when not. */
struct flow_graph {
    struct ivr_graph g;
    const char *text;
};

static int flow_prepare(struct request *r, struct crud_write *w)
{
    const struct field_value *v = &w->v[F_GRAPH];
    if (w->op == CRUD_DELETE || !v->sent || v->null)
        return 0;
    struct flow_graph *fg = arena_calloc(r->arena, 1, sizeof(*fg));
    struct json_object *doc = NULL;
    struct ivr_error err;
    if (fg == NULL || json_parse_object(v->s, strlen(v->s), &doc) != 0 ||
        arena_json(r->arena, doc) == NULL)
        return request_oom(r);
    int rc = ivr_graph_parse(r->arena, doc, &fg->g, &err);
    if (rc == -2)
        return request_oom(r);
    if (rc != 0) {
        request_field_error(r, err.field, err.message);
        return request_check_fields(r);
    }
    fg->text = v->s;
    w->data = fg;
    return 0;
}

/* 409 naming what still routes to the flow (row 0's `what`), when res has a row. */
static int refuse_if(struct request *r, int rc, const struct db_result *res, const char *fmt)
{
    if (rc != DB_OK || res->nrows == 0)
        return rc;
    const char *msg = arena_printf(r->arena, fmt, db_get(res, 0, "what"));
    return txn_fail(r, 409, "conflict", msg ? msg : "Something still routes to this IVR flow");
}

/* A flow something routes to stays: a number (its route or after-hours route), an option
 * of a callcenter menu, or the live version of another flow (a route node to it). */
static int flow_in_use(struct request *r, const char *id)
{
    struct db_result *res;
    const char *t = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT number AS what FROM dids WHERE tenant_id = ?"
                     " AND ((route_type = 'ivr' AND route_target = ?)"
                     " OR (after_hours_route_type = 'ivr' AND after_hours_route_target = ?))"
                     " LIMIT 1 LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(t), DB_STR(id), DB_STR(id)), &res);
    rc = refuse_if(r, rc, res, "The phone number %s routes to this IVR flow;"
                               " route it elsewhere first");
    if (rc != DB_OK)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "SELECT m.name AS what FROM ivr_options o JOIN ivr_menus m"
                 " ON m.tenant_id = o.tenant_id AND m.id = o.menu_id WHERE o.tenant_id = ?"
                 " AND o.route_type = 'ivr' AND o.route_target = ? LIMIT 1 LOCK IN SHARE MODE",
                 DB_PARAMS(DB_STR(t), DB_STR(id)), &res);
    rc = refuse_if(r, rc, res, "An option of the IVR menu %s routes to this IVR flow");
    if (rc != DB_OK)
        return rc;
    /* JSON_SEARCH matches a LIKE pattern: '_' and '%' of the id escaped (ivr_content.c). */
    rc = db_exec(r->db, r->arena,
                 "SELECT f.name AS what FROM ivr_flows f JOIN ivr_flow_versions v"
                 " ON v.tenant_id = f.tenant_id AND v.flow_id = f.id"
                 " AND v.version = f.active_version WHERE f.tenant_id = ? AND f.id <> ?"
                 " AND JSON_SEARCH(v.graph, 'one',"
                 " REPLACE(REPLACE(REPLACE(?, '\\\\', '\\\\\\\\'), '%', '\\\\%'),"
                 " '_', '\\\\_'), NULL, '$.nodes[*].target') IS NOT NULL"
                 " LIMIT 1 LOCK IN SHARE MODE",
                 DB_PARAMS(DB_STR(t), DB_STR(id), DB_STR(id)), &res);
    return refuse_if(r, rc, res, "The live version of the IVR flow %s routes to this one");
}

static int flow_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return flow_in_use(r, w->id);
    const struct flow_graph *fg = w->data;
    return fg ? ivr_targets_check(r, &fg->g) : DB_OK;
}

/* The row, then the graph as version latest_version + 1 (the row is locked on update). */
static int flow_write(struct request *r, struct crud_write *w)
{
    const struct flow_graph *fg = w->data;
    if (w->op == CRUD_DELETE)
        return crud_write_columns(r, w);
    long long version = w->op == CRUD_CREATE ? 1 : db_get_int(w->old, 0, "latest_version", 0) + 1;
    struct column_value extra[2];
    size_t n = 0;
    if (fg != NULL)
        extra[n++] = (struct column_value){"latest_version", DB_INT(version)};
    if (w->op == CRUD_CREATE)
        extra[n++] = (struct column_value){"created_by", DB_STR(r->auth.user_id)};
    int rc = w->op == CRUD_CREATE ? resource_insert(r, &flows, w->id, w->v, extra, n)
                                  : resource_update(r, &flows, w->id, w->v, extra, n);
    if (rc != DB_OK || fg == NULL)
        return rc;
    const char *vid = id_new(r->arena, "ivv_");
    if (vid == NULL)
        return DB_ERROR;
    return db_exec(r->db, r->arena,
                   "INSERT INTO ivr_flow_versions (id, tenant_id, flow_id, version, graph,"
                   " created_by) VALUES (?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(vid), DB_STR(r->auth.tenant_id), DB_STR(w->id),
                             DB_INT(version), DB_STR(fg->text), DB_STR(r->auth.user_id)),
                   NULL);
}

static const struct resource_writes flow_writes = {
    .prepare = flow_prepare,
    .check = flow_check,
    .write = flow_write,
    .duplicate = "An IVR flow with this name already exists",
    .referenced = "This IVR flow is still in use",
    .deleted = "IVR flow deleted successfully",
};

/* GET: the flow with the graph of its latest version, or of ?version=N (422 when not a
 * number, 404 when no such version). */
static int flow_get(struct request *r)
{
    long long version;
    if (query_int(r, "version", 1, INT_MAX, 0, &version) < 0)
        return request_check_fields(r);
    return resource_get(r, &flows);
}

/* ---- activate ------------------------------------------------------------------------ */

static const struct field_def activate_fields[] = {
    {"version", FT_INT, 0, 1, INT_MAX, NULL, NULL, NULL},
};

struct activate {
    const char *id;
    struct field_value v[1];
};

static int activate_step(struct request *r, void *arg)
{
    struct activate *a = arg;
    struct db_result *row;
    int rc = resource_lock(r, &flows, a->id, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", flows.not_found);
    if (rc != DB_OK)
        return rc;
    long long latest = db_get_int(row, 0, "latest_version", 0);
    long long version = a->v[0].sent && !a->v[0].null ? a->v[0].i : latest;
    if (latest == 0)
        return txn_fail(r, 409, "conflict", "The IVR flow has no saved graph to activate");
    if (version > latest) {
        request_field_error(r, "version", "is not a saved version of this flow");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    rc = db_exec(r->db, r->arena,
                 "UPDATE ivr_flows SET active_version = ?, status = 'active'"
                 " WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_INT(version), DB_STR(a->id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &flows, "activate", a->id,
                            arena_printf(r->arena, "{\"version\":%lld}", version));
    return rc == DB_OK ? resource_answer(r, &flows, 200, a->id) : rc;
}

static int flow_activate(struct request *r)
{
    struct activate a = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, a.v, 1, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, activate_step, &a));
}

#define FLOW_NAMES CRUD_NAMES_AS("flow", "flows", "an", "IVR flow", "IVR flows")
/* The CRUD routes of a flow path, GET of one with its ?version. */
#define FLOW_ROUTES(path, names)                                                           \
    CRUD_LIST_ROUTE(path, &flows, ROLES_ANY, FAM_CALLDOCKER, names),                       \
    CRUD_CREATE_ROUTE(path, &flows, flow_fields, ROLES_ADMIN, FAM_CALLDOCKER, names),      \
    ROUTE("GET", path "/:id", flow_get, ROLES_ANY, FAM_CALLDOCKER,                         \
          .summary = "One IVR flow with its graph (?version=N: that version's)",           \
          .key = "flow", .resource = &flows),                                              \
    CRUD_UPDATE_ROUTE(path "/:id", &flows, flow_fields, ROLES_ADMIN, FAM_CALLDOCKER, names), \
    CRUD_DELETE_ROUTE(path "/:id", &flows, ROLES_ADMIN, FAM_CALLDOCKER, names)
#define FLOW_ACTIVATE(path)                                                                \
    ROUTE("POST", path, flow_activate, ROLES_ADMIN, FAM_CALLDOCKER,                        \
          .summary = "Make a version of an IVR flow the live one (default: the latest)",   \
          ROUTE_BODY(activate_fields), .key = "flow")

static const struct route routes[] = {
    FLOW_ROUTES("/api/ivr/flows", FLOW_NAMES),
    FLOW_ACTIVATE("/api/ivr/flows/:id/activate"),
    /* The paths the CallDocker pages call for the same flows. */
    FLOW_ROUTES("/api/ivr", CRUD_NAMES_AS("flow", "flows", "an", "IVR flow (legacy path)",
                                          "IVR flows (legacy path)")),
    FLOW_ACTIVATE("/api/ivr/:id/activate"),
};

ROUTE_GROUP(ivr_flows_routes, routes);

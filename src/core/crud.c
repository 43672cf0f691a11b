/* The generic writes of a declared resource (crud.h). */
#include "crud.h"

#include <json-c/json.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "txn.h"

/* A resource without a writes declaration writes its columns and nothing else. */
static const struct resource_writes no_writes;

static const struct resource_writes *writes_of(const struct resource *res)
{
    return res->writes ? res->writes : &no_writes;
}

const char *crud_action(enum crud_op op)
{
    switch (op) {
    case CRUD_CREATE:
        return "create";
    case CRUD_UPDATE:
        return "update";
    default:
        return "delete";
    }
}

const char *crud_conflict_text(const struct resource *res, int rc)
{
    if (rc == DB_DUPLICATE)
        return writes_of(res)->duplicate;
    if (rc == DB_FOREIGN_KEY)
        return writes_of(res)->referenced;
    return NULL;
}

int crud_row_details(struct arena *a, const char *const *cols, const struct db_result *old,
                     const char **out)
{
    *out = NULL;
    if (cols == NULL)
        return 0;
    struct json_object *d = arena_json(a, json_object_new_object());
    if (d == NULL)
        return -1;
    for (size_t i = 0; cols[i] != NULL; i++)
        if (json_set_str(d, cols[i], db_get(old, 0, cols[i])) != 0)
            return -1;
    *out = json_text(d, NULL);
    return *out ? 0 : -1;
}

/* w is NULL for a route of the module's own: then only the declared texts apply. */
static int outcome(struct request *r, const struct resource *res, const struct crud_write *w,
                   int rc)
{
    const char *text = crud_conflict_text(res, rc);
    if (rc == DB_DUPLICATE && w != NULL && writes_of(res)->duplicate_of != NULL)
        text = writes_of(res)->duplicate_of(r, w);
    if (text != NULL)
        return request_error(r, 409, "conflict", text);
    return txn_reply(r, rc);
}

int crud_reply(struct request *r, const struct resource *res, int rc)
{
    return outcome(r, res, NULL, rc);
}

int crud_write_columns(struct request *r, struct crud_write *w)
{
    switch (w->op) {
    case CRUD_CREATE:
        return resource_insert(r, w->res, w->id, w->v, NULL, 0);
    case CRUD_UPDATE:
        return resource_update(r, w->res, w->id, w->v, NULL, 0);
    default:
        return resource_remove(r, w->res, w->id);
    }
}

int crud_refer(struct request *r, const char *sql, const char *id, const char *field,
               const char *why)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, sql, DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)),
                     &res);
    if (rc != DB_OK || res->nrows > 0)
        return rc;
    request_field_error(r, field, why);
    request_check_fields(r);
    return TXN_ANSWERED;
}

/* The declared references the body sets, in their order; the first refusal ends it. */
static int refer_all(struct request *r, const struct crud_write *w)
{
    const struct resource_writes *ws = writes_of(w->res);
    int rc = DB_OK;
    for (size_t i = 0; i < ws->nrefs && rc == DB_OK; i++) {
        const struct crud_ref *ref = &ws->refs[i];
        const struct field_value *v = &w->v[ref->field];
        if (v->sent && v->s != NULL)
            rc = crud_refer(r, ref->sql, v->s, w->res->fields[ref->field].name, ref->why);
    }
    return rc;
}

/* What a delete keeps of the row before it goes: the audit details, the record to answer. */
static int before_delete(struct request *r, struct crud_write *w)
{
    const struct resource_writes *ws = writes_of(w->res);
    if (crud_row_details(r->arena, ws->delete_details, w->old, &w->details) != 0)
        return DB_ERROR;
    w->record = NULL;
    /* A soft-deleted record is answered as it is afterwards; a hard-deleted one as it was. */
    if (!ws->delete_answers_record || w->res->soft_delete_col != NULL)
        return DB_OK;
    int rc = resource_fetch(r, w->res, w->id, &w->record);
    return rc == 1 ? DB_ERROR : rc;
}

/* Inside the transaction, once the write and its audit are done. */
static int answer(struct request *r, const struct crud_write *w)
{
    const struct resource_writes *ws = writes_of(w->res);
    if (w->op != CRUD_DELETE)
        return resource_answer(r, w->res, w->op == CRUD_CREATE ? 201 : 200, w->id);
    if (!ws->delete_answers_record)
        return reply_message(r, 200, ws->deleted) == 0 ? DB_OK : DB_ERROR;
    if (reply_set(r, "message", json_object_new_string(ws->deleted)) != 0)
        return DB_ERROR;
    if (w->record == NULL)
        return resource_answer(r, w->res, 200, w->id);
    return reply_one(r, 200, w->res->one, w->record) == 0 ? DB_OK : DB_ERROR;
}

static int crud_step(struct request *r, void *arg)
{
    struct crud_write *w = arg;
    const struct resource *res = w->res;
    const struct resource_writes *ws = writes_of(res);
    int rc = DB_OK;
    if (w->op != CRUD_CREATE) {
        rc = resource_lock(r, res, w->id, &w->old);
        /* Deleting twice is a 404, as for any record that is gone. */
        if (rc == 1 || (rc == DB_OK && w->op == CRUD_DELETE && resource_is_deleted(res, w->old)))
            return txn_fail(r, 404, "not_found", res->not_found);
    }
    if (rc == DB_OK && w->op != CRUD_DELETE)
        rc = refer_all(r, w);
    if (rc == DB_OK && ws->check != NULL)
        rc = ws->check(r, w);
    if (rc == DB_OK && w->op == CRUD_DELETE)
        rc = before_delete(r, w);
    if (rc == DB_OK)
        rc = ws->write ? ws->write(r, w) : crud_write_columns(r, w);
    if (rc == DB_OK)
        rc = resource_audit(r, res, crud_action(w->op), w->id, w->details);
    if (rc == DB_OK && ws->written != NULL)
        rc = ws->written(r, w);
    return rc == DB_OK ? answer(r, w) : rc;
}

static int run(struct request *r, struct crud_write *w)
{
    const struct resource_writes *ws = writes_of(w->res);
    if (ws->prepare != NULL && ws->prepare(r, w) != 0)
        return -1;
    if (w->op == CRUD_CREATE && (w->id = id_new(r->arena, w->res->id_prefix)) == NULL)
        return request_oom(r);
    return outcome(r, w->res, w, txn_run(r, crud_step, w));
}

/* The route's resource; NULL (a 500 answered) when its declaration lacks one. */
static const struct resource *route_resource(struct request *r)
{
    const struct route *rt = r->match.route;
    if (rt != NULL && rt->resource != NULL)
        return rt->resource;
    log_error("route %s %s declares no resource", r->method, r->path);
    request_error(r, 500, "internal_error", "Internal error");
    return NULL;
}

static int write_body(struct request *r, enum crud_op op)
{
    const struct resource *res = route_resource(r);
    if (res == NULL)
        return -1;
    struct crud_write w = {.res = res, .op = op};
    if (op == CRUD_UPDATE)
        w.id = request_param(r, "id");
    w.v = arena_calloc(r->arena, res->nfields ? res->nfields : 1, sizeof *w.v);
    if (w.v == NULL)
        return request_oom(r);
    if (fields_body(r, res->fields, res->nfields, op == CRUD_CREATE ? FIELDS_CREATE
                                                                    : FIELDS_UPDATE,
                    w.v, &w.body) != 0)
        return -1;
    w.details = json_text(w.body, NULL);
    return run(r, &w);
}

int crud_create(struct request *r)
{
    return write_body(r, CRUD_CREATE);
}

int crud_update(struct request *r)
{
    return write_body(r, CRUD_UPDATE);
}

int crud_delete(struct request *r)
{
    const struct resource *res = route_resource(r);
    if (res == NULL)
        return -1;
    struct crud_write w = {.res = res, .op = CRUD_DELETE, .id = request_param(r, "id")};
    return run(r, &w);
}

int crud_get(struct request *r)
{
    const struct resource *res = route_resource(r);
    return res ? resource_get(r, res) : -1;
}

int crud_list(struct request *r)
{
    const struct resource *res = route_resource(r);
    return res ? resource_list(r, res, NULL) : -1;
}

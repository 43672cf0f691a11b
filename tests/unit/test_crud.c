/*
 * crud.h and the statements of resource.h it runs: the audit action, the declared 409
 * texts, a delete's audit details, soft-deleted rows, the lock and delete statements, and
 * every route of the table that uses a generic handler against its resource's declaration.
 */
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "qb.h"
#include "resource.h"
#include "router.h"
#include "routes.h"
#include "unit.h"

/* One row of text cells named names[0..n). */
struct ut_row {
    struct db_result res;
    const char *names[4];
    enum db_col_kind kinds[4];
    struct db_cell cells[4];
};

static void ut_row_init(struct ut_row *row, unsigned n, const char *const *names,
                        const char *const *values)
{
    memset(row, 0, sizeof(*row));
    for (unsigned i = 0; i < n && i < 4; i++) {
        row->names[i] = names[i];
        row->kinds[i] = DB_COL_STR;
        row->cells[i].v = values[i];
        row->cells[i].len = values[i] ? strlen(values[i]) : 0;
    }
    row->res.ncols = n;
    row->res.names = row->names;
    row->res.kinds = row->kinds;
    row->res.nrows = 1;
    row->res.cells = row->cells;
}

static const struct resource_writes ut_writes = {
    .duplicate = "This number is already in use",
    .referenced = "This number has call records",
    .deleted = "Deleted",
};

static const struct resource ut_dids = {
    .table = "dids", .tenant_col = "tenant_id", .writes = &ut_writes};
static const struct resource ut_depts = {
    .table = "departments", .tenant_col = "tenant_id", .soft_delete_col = "is_active"};
static const struct resource ut_tenants = {
    .table = "tenants", .soft_delete_col = "status", .soft_deleted = "deleted"};
static const struct resource ut_users = {
    .table = "users",
    .from = "users u JOIN user_roles ur ON ur.user_id = u.id",
    .id_col = "u.id",
    .tenant_col = "u.tenant_id"};

static void actions_are_the_audit_words(void)
{
    CHECK_EQ_STR(crud_action(CRUD_CREATE), "create");
    CHECK_EQ_STR(crud_action(CRUD_UPDATE), "update");
    CHECK_EQ_STR(crud_action(CRUD_DELETE), "delete");
}

static void conflicts_answer_the_declared_texts(void)
{
    CHECK_EQ_STR(crud_conflict_text(&ut_dids, DB_DUPLICATE), "This number is already in use");
    CHECK_EQ_STR(crud_conflict_text(&ut_dids, DB_FOREIGN_KEY), "This number has call records");
    CHECK_NULL(crud_conflict_text(&ut_dids, DB_DEADLOCK));
    CHECK_NULL(crud_conflict_text(&ut_dids, DB_OK));
    /* Nothing declared: the generic texts of request_db_error() apply. */
    CHECK_NULL(crud_conflict_text(&ut_depts, DB_DUPLICATE));
    CHECK_NULL(crud_conflict_text(&ut_depts, DB_FOREIGN_KEY));
}

static void delete_details_keep_the_declared_columns(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    static const char *const names[] = {"id", "name", "department_id", "email"};
    static const char *const values[] = {"agent_1", "Ann \"A\"", "dept_1", NULL};
    struct ut_row row;
    ut_row_init(&row, 4, names, values);
    static const char *const cols[] = {"name", "department_id", NULL};
    const char *out = "unset";
    CHECK_EQ_INT(crud_row_details(a, cols, &row.res, &out), 0);
    CHECK_EQ_STR(out, "{\"name\":\"Ann \\\"A\\\"\",\"department_id\":\"dept_1\"}");
    static const char *const null_col[] = {"email", NULL};
    CHECK_EQ_INT(crud_row_details(a, null_col, &row.res, &out), 0);
    CHECK_EQ_STR(out, "{\"email\":null}");
    /* None declared: no details at all, not an empty object. */
    CHECK_EQ_INT(crud_row_details(a, NULL, &row.res, &out), 0);
    CHECK_NULL(out);
    arena_destroy(a);
}

static void soft_deleted_rows_are_told_apart(void)
{
    static const char *const active_name[] = {"is_active"};
    static const char *const zero[] = {"0"}, *const one[] = {"1"};
    static const char *const status_name[] = {"status"};
    static const char *const deleted[] = {"deleted"}, *const suspended[] = {"suspended"};
    struct ut_row row;
    ut_row_init(&row, 1, active_name, zero);
    CHECK(resource_is_deleted(&ut_depts, &row.res));
    CHECK(!resource_is_deleted(&ut_dids, &row.res)); /* rows of a hard delete are never so */
    ut_row_init(&row, 1, active_name, one);
    CHECK(!resource_is_deleted(&ut_depts, &row.res));
    ut_row_init(&row, 1, status_name, deleted);
    CHECK(resource_is_deleted(&ut_tenants, &row.res));
    ut_row_init(&row, 1, status_name, suspended);
    CHECK(!resource_is_deleted(&ut_tenants, &row.res));
    row.res.nrows = 0;
    CHECK(!resource_is_deleted(&ut_tenants, &row.res));
}

static void lock_statements_scope_and_join(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb q;
    qb_init(&q, a);
    resource_lock_sql(&q, &ut_dids, "ten_1", "did_1");
    CHECK_EQ_STR(q.sql, "SELECT * FROM dids WHERE id = ? AND tenant_id = ? FOR UPDATE");
    REQUIRE(q.nparams == 2);
    CHECK_EQ_STR(q.params[0].s, "did_1");
    CHECK_EQ_STR(q.params[1].s, "ten_1");
    /* The rows it joins are locked with it (a user and its role row). */
    qb_init(&q, a);
    resource_lock_sql(&q, &ut_users, "ten_1", "usr_1");
    CHECK_EQ_STR(q.sql, "SELECT * FROM users u JOIN user_roles ur ON ur.user_id = u.id"
                        " WHERE u.id = ? AND u.tenant_id = ? FOR UPDATE");
    CHECK_EQ_INT(q.nparams, 2);
    /* Not tenant-scoped: the tenant given is not bound. */
    qb_init(&q, a);
    resource_lock_sql(&q, &ut_tenants, "ten_1", "ten_2");
    CHECK_EQ_STR(q.sql, "SELECT * FROM tenants WHERE id = ? FOR UPDATE");
    REQUIRE(q.nparams == 1);
    CHECK_EQ_STR(q.params[0].s, "ten_2");
    CHECK(!q.failed);
    arena_destroy(a);
}

static void remove_statements_hard_and_soft(void)
{
    struct arena *a = arena_create(4096);
    REQUIRE(a != NULL);
    struct qb q;
    qb_init(&q, a);
    resource_remove_sql(&q, &ut_dids, "ten_1", "did_1");
    CHECK_EQ_STR(q.sql, "DELETE FROM dids WHERE id = ? AND tenant_id = ?");
    CHECK_EQ_INT(q.nparams, 2);
    qb_init(&q, a);
    resource_remove_sql(&q, &ut_depts, "ten_1", "dept_1");
    CHECK_EQ_STR(q.sql, "UPDATE departments SET is_active = 0 WHERE id = ? AND tenant_id = ?");
    CHECK_EQ_INT(q.nparams, 2);
    qb_init(&q, a);
    resource_remove_sql(&q, &ut_tenants, "ten_1", "ten_2");
    CHECK_EQ_STR(q.sql, "UPDATE tenants SET status = ? WHERE id = ?");
    REQUIRE(q.nparams == 2);
    CHECK_EQ_STR(q.params[0].s, "deleted");
    CHECK_EQ_STR(q.params[1].s, "ten_2");
    arena_destroy(a);
}

static int ut_is_crud(route_handler h)
{
    return h == crud_create || h == crud_update || h == crud_delete || h == crud_get ||
           h == crud_list;
}

/* A generic handler reads everything from the route's resource: it must all be there. */
static void generic_routes_declare_their_resource(void)
{
    size_t seen = 0;
    for (size_t i = 0; i < route_table_len; i++) {
        const struct route *rt = &route_table[i];
        const struct resource *res = rt->resource;
        if (!ut_is_crud(rt->handler))
            continue;
        seen++;
        if (res == NULL) {
            ut_fail(__FILE__, __LINE__, "%s %s: no .resource", rt->method, rt->pattern);
            continue;
        }
        size_t plen = strlen(rt->pattern);
        int by_id = plen > 4 && strcmp(rt->pattern + plen - 4, "/:id") == 0;
        if (rt->handler == crud_list)
            CHECK(rt->flags & ROUTE_LIST);
        else if (rt->handler != crud_create)
            CHECK(by_id);
        if (rt->handler == crud_create || rt->handler == crud_update) {
            /* The body the OpenAPI description shows is the one read. */
            CHECK(rt->body == res->fields && rt->nbody == res->nfields);
            CHECK(res->id_prefix != NULL || rt->handler == crud_update);
        }
        if (rt->handler == crud_delete)
            CHECK(res->writes != NULL && res->writes->deleted != NULL);
        CHECK(res->not_found != NULL && res->one != NULL);
        for (size_t k = 0; res->writes != NULL && k < res->writes->nrefs; k++) {
            const struct crud_ref *ref = &res->writes->refs[k];
            REQUIRE(ref->field < res->nfields);
            CHECK_EQ_INT(res->fields[ref->field].type, FT_ID);
        }
    }
    CHECK(seen > 0);
}

const struct ut_case ut_crud_cases[] = {
    {"actions_are_the_audit_words", actions_are_the_audit_words},
    {"conflicts_answer_the_declared_texts", conflicts_answer_the_declared_texts},
    {"delete_details_keep_the_declared_columns", delete_details_keep_the_declared_columns},
    {"soft_deleted_rows_are_told_apart", soft_deleted_rows_are_told_apart},
    {"lock_statements_scope_and_join", lock_statements_scope_and_join},
    {"remove_statements_hard_and_soft", remove_statements_hard_and_soft},
    {"generic_routes_declare_their_resource", generic_routes_declare_their_resource},
    {NULL, NULL},
};

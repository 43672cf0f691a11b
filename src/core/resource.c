/* Declared resources (resource.h): reads, lists and writes from a module's declaration. */
#include "resource.h"

#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "arena.h"
#include "audit.h"
#include "jsonutil.h"
#include "keyset.h"
#include "list_count.h"
#include "qb.h"
#include "reply.h"
#include "request.h"
#include "validate.h"

static const char *id_col(const struct resource *res)
{
    return res->id_col ? res->id_col : "id";
}

static const char *from_of(const struct resource *res)
{
    return res->from ? res->from : res->table;
}

/* " WHERE <id> = ? [AND <tenant> = ?]" */
static void where_id(const struct resource *res, struct qb *q, const char *tenant,
                     const char *id)
{
    qb_add(q, " WHERE ");
    qb_add(q, id_col(res));
    qb_addv(q, " = ?", DB_STR(id));
    if (res->tenant_col != NULL) {
        qb_add(q, " AND ");
        qb_add(q, res->tenant_col);
        qb_addv(q, " = ?", DB_STR(tenant));
    }
}

static struct json_object *row_json(struct request *r, const struct resource *res,
                                    const struct db_result *rows, size_t i)
{
    struct json_object *o = arena_json(r->arena, db_row_json(rows, i, res->json_cols));
    if (o != NULL && res->decorate != NULL)
        res->decorate(r, o);
    return o;
}

int resource_fetch(struct request *r, const struct resource *res, const char *id,
                   struct json_object **out)
{
    struct qb q;
    struct db_result *rows;
    *out = NULL;
    qb_init(&q, r->arena);
    qb_add(&q, "SELECT ");
    qb_add(&q, res->columns);
    qb_add(&q, " FROM ");
    qb_add(&q, from_of(res));
    where_id(res, &q, r->auth.tenant_id, id);
    int rc = qb_exec(&q, r->db, &rows);
    if (rc != DB_OK)
        return rc;
    if (rows->nrows == 0)
        return 1;
    *out = row_json(r, res, rows, 0);
    if (*out == NULL)
        return DB_ERROR;
    return res->attach ? res->attach(r, id, *out) : DB_OK;
}

int resource_answer(struct request *r, const struct resource *res, int status, const char *id)
{
    struct json_object *obj;
    int rc = resource_fetch(r, res, id, &obj);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return reply_one(r, status, res->one, obj) == 0 ? DB_OK : DB_ERROR;
}

int resource_reply_row(struct request *r, int status, const char *key,
                       const struct db_result *row, const char *const *json_cols)
{
    struct json_object *o = row->nrows ? db_row_json(row, 0, json_cols) : NULL;
    return reply_one(r, status, key, arena_json(r->arena, o)) == 0 ? DB_OK : DB_ERROR;
}

int resource_get(struct request *r, const struct resource *res)
{
    struct json_object *obj;
    int rc = resource_fetch(r, res, request_param(r, "id"), &obj);
    return request_reply_found(r, 200, rc, res->one, obj, res->not_found);
}

/* ---- lists ----------------------------------------------------------------------------- */

static unsigned marks(const char *clause)
{
    unsigned n = 0;
    for (; *clause; clause++)
        n += *clause == '?';
    return n;
}

static const char *query_value(struct request *r, const char *key)
{
    const char *v = request_query(r, key);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* One declared filter, if its parameter was given: its clause and values into q. */
static int add_filter(struct request *r, const struct filter_def *f, struct qb *q)
{
    const char *v = query_value(r, f->param);
    struct db_param p;
    int on = 0;
    if (v == NULL)
        return 0;
    if (f->kind == FILTER_BOOL) {
        if (query_bool(r, f->param, &on) != 1)
            return -1;
        p = DB_INT(on);
    } else if (f->kind == FILTER_LIKE) {
        const char *pattern;
        if (query_like_pattern(r, f->param, v, &pattern) != 1)
            return -1;
        p = DB_STR(pattern);
    } else if (f->kind == FILTER_ENUM) {
        const char *ours = fields_word(f->words, v), *match = NULL;
        for (size_t i = 0; f->values[i] != NULL && match == NULL; i++)
            if (strcmp(f->values[i], ours) == 0)
                match = f->values[i];
        if (match == NULL)
            return query_enum(r, f->param, f->values, &match) < 0 ? -1 : 0;
        p = DB_STR(match);
    } else {
        /* Longer or broken text could never match (and MariaDB refuses invalid UTF-8). */
        size_t max = f->kind == FILTER_ID ? FILTER_ID_MAX : FILTER_TEXT_MAX;
        if (strlen(v) > max || validate_text(v, strlen(v)) != 0) {
            request_field_error(r, f->param, f->kind == FILTER_ID
                                                 ? "must be an id"
                                                 : "must be text of at most 255 bytes");
            return -1;
        }
        p = DB_STR(v);
    }
    unsigned n = marks(f->clause);
    struct db_param ps[8];
    for (unsigned i = 0; i < n && i < 8; i++)
        ps[i] = p;
    qb_addp(q, f->clause, ps, n < 8 ? n : 8);
    return 0;
}

void resource_filters(struct request *r, const struct resource *res, struct qb *q)
{
    for (size_t i = 0; i < res->nfilters; i++)
        add_filter(r, &res->filters[i], q);
}

/* " ORDER BY …": a declared sort key (?sort=, ?sort_by=, ?sortBy=), then the default. */
static void add_order(struct request *r, const struct resource *res, struct qb *q)
{
    const char *key = query_value(r, "sort");
    if (key == NULL)
        key = query_value(r, "sort_by");
    if (key == NULL)
        key = query_value(r, "sortBy");
    const char *dir = query_value(r, "order");
    if (dir == NULL)
        dir = query_value(r, "sort_order");
    if (dir == NULL)
        dir = query_value(r, "sortOrder");
    bool desc = dir != NULL && strcasecmp(dir, "desc") == 0;
    if (dir != NULL && !desc && strcasecmp(dir, "asc") != 0)
        request_field_error(r, "order", "must be asc or desc");
    qb_add(q, " ORDER BY ");
    for (size_t i = 0; key != NULL && res->sorts != NULL && res->sorts[i].key != NULL; i++) {
        if (strcmp(res->sorts[i].key, key) == 0) {
            qb_add(q, res->sorts[i].sql);
            qb_add(q, desc ? " DESC, " : ", ");
            key = NULL;
        }
    }
    if (key != NULL)
        request_field_error(r, "sort", "is not a sort key of this list");
    qb_add(q, res->order);
}

/* The page's rows: directly, or (page_base) the page's ids first, then their joins. */
static void page_query(struct request *r, const struct resource *res, const struct qb *w,
                       const struct page *p, struct qb *page)
{
    qb_init(page, r->arena);
    qb_add(page, "SELECT ");
    qb_add(page, res->columns);
    qb_add(page, " FROM ");
    qb_add(page, from_of(res));
    if (res->page_base != NULL) {
        qb_add(page, " JOIN (SELECT ");
        qb_add(page, res->id_col);
        qb_add(page, " AS _k FROM ");
        qb_add(page, res->page_base);
        qb_append(page, w);
        add_order(r, res, page);
        qb_addv(page, " LIMIT ? OFFSET ?) _p ON ", DB_INT(p->limit), DB_INT(p->offset));
        qb_add(page, res->id_col);
        qb_add(page, " = _p._k");
        add_order(r, res, page);
        return;
    }
    qb_append(page, w);
    add_order(r, res, page);
    qb_addv(page, " LIMIT ? OFFSET ?", DB_INT(p->limit), DB_INT(p->offset));
}

/* ?after=: only the rows after the cursor (keyset.h); 1 when the list is read by cursor. */
static int keyset_where(struct request *r, const struct resource *res, struct qb *w)
{
    const char *after = query_value(r, "after"), *t, *id;
    if (res->cursor_col == NULL || after == NULL || after[0] == '\0')
        return 0;
    if (query_value(r, "sort") || query_value(r, "sort_by") || query_value(r, "sortBy")) {
        request_field_error(r, "after", "goes with the default order only");
        return 0;
    }
    if (keyset_decode(r, after, &t, &id) != 0) {
        request_field_error(r, "after", "is not a cursor this server issued");
        return 0;
    }
    /* The first term bounds an index range, the second breaks ties. */
    qb_add(w, " AND ");
    qb_add(w, res->cursor_col);
    qb_addv(w, " <= ? AND (", DB_STR(t));
    qb_add(w, res->cursor_col);
    qb_addv(w, " < ? OR ", DB_STR(t));
    qb_add(w, res->id_col);
    qb_addv(w, " < ?)", DB_STR(id));
    return 1;
}

/* After a page of a list with a keyset: `next_cursor` (null on the last page). */
static int keyset_reply(struct request *r, const struct resource *res,
                        const struct db_result *rows, size_t shown, bool by_cursor)
{
    const char *col = strchr(res->cursor_col, '.');
    col = col ? col + 1 : res->cursor_col;
    char *next = rows->nrows > shown && shown > 0
                     ? keyset_encode(r, db_get(rows, shown - 1, col), db_get(rows, shown - 1, "id"))
                     : NULL;
    if (rows->nrows > shown && shown > 0 && next == NULL)
        return request_oom(r);
    if (by_cursor)
        reply_list_by_cursor(r, next != NULL);
    struct json_object *nc = next ? json_object_new_string(next) : NULL;
    if ((next != NULL && nc == NULL) || reply_set(r, "next_cursor", nc) != 0)
        return request_oom(r);
    return 0;
}

int resource_list(struct request *r, const struct resource *res, const struct qb *where)
{
    struct page p;
    struct qb w, count, page;
    struct db_result *cres, *rows;
    qb_init(&w, r->arena);
    query_page(r, res->default_limit ? res->default_limit : RESOURCE_DEFAULT_LIMIT,
               res->max_limit ? res->max_limit : RESOURCE_MAX_LIMIT, &p);
    if (res->tenant_col != NULL) {
        qb_add(&w, " WHERE ");
        qb_add(&w, res->tenant_col);
        qb_addv(&w, " = ?", DB_STR(r->auth.tenant_id));
    } else {
        qb_add(&w, " WHERE 1 = 1");
    }
    resource_filters(r, res, &w);
    if (where != NULL)
        qb_append(&w, where);
    bool by_cursor = keyset_where(r, res, &w) == 1;
    /* With a keyset, one row more says whether a next page exists. */
    struct page rows_of = {p.page, p.limit + (res->cursor_col ? 1 : 0), by_cursor ? 0 : p.offset};
    page_query(r, res, &w, &rows_of, &page);
    if (request_check_fields(r) != 0)
        return -1;
    qb_init(&count, r->arena);
    qb_add(&count, "SELECT COUNT(*) AS total FROM ");
    qb_add(&count, from_of(res));
    qb_append(&count, &w);
    long long total = -1;
    int rc = DB_OK;
    if (by_cursor) {
        /* counting every row before a deep cursor would cost what the cursor saves */
    } else if (res->count_ns != NULL) {
        rc = list_count(r, res->count_ns, &count, &total);
    } else {
        rc = qb_exec(&count, r->db, &cres);
        total = rc == DB_OK ? db_get_int(cres, 0, "total", 0) : 0;
    }
    if (rc == DB_OK)
        rc = qb_exec(&page, r->db, &rows);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    size_t shown = rows->nrows > (size_t)p.limit ? (size_t)p.limit : rows->nrows;
    struct json_object *arr = arena_json(r->arena, json_object_new_array());
    for (size_t i = 0; arr != NULL && i < shown; i++) {
        struct json_object *o = row_json(r, res, rows, i);
        if (o == NULL || json_object_array_add(arr, json_object_get(o)) != 0)
            arr = NULL;
    }
    if (arr == NULL)
        return request_oom(r);
    if (reply_list(r, res->many, arr, p.page, p.limit, total) != 0)
        return -1;
    return res->cursor_col != NULL ? keyset_reply(r, res, rows, shown, by_cursor) : 0;
}

/* ---- writes ---------------------------------------------------------------------------- */

struct db_param resource_param(const struct field_def *d, const struct field_value *v)
{
    if (!v->sent || v->null)
        return DB_NULL;
    switch (d->type) {
    case FT_INT:
        return DB_INT(v->i);
    case FT_NUMBER:
        return DB_DOUBLE(v->d);
    case FT_BOOL:
        return DB_INT(v->b);
    default:
        return DB_STR(v->s);
    }
}

int resource_insert(struct request *r, const struct resource *res, const char *id,
                    const struct field_value *vals, const struct column_value *extra,
                    size_t nextra)
{
    struct qb cols, values;
    qb_init(&cols, r->arena);
    qb_init(&values, r->arena);
    qb_add(&cols, "INSERT INTO ");
    qb_add(&cols, res->table);
    qb_add(&cols, " (id");
    qb_addv(&values, ") VALUES (?", DB_STR(id));
    if (res->tenant_col != NULL) {
        qb_add(&cols, ", tenant_id");
        qb_addv(&values, ", ?", DB_STR(r->auth.tenant_id));
    }
    for (size_t i = 0; i < res->nfields; i++) {
        if (res->columns_of == NULL || res->columns_of[i] == NULL || !vals[i].sent)
            continue;
        qb_add(&cols, ", ");
        qb_add(&cols, res->columns_of[i]);
        qb_addp(&values, ", ?", (struct db_param[]){resource_param(&res->fields[i], &vals[i])},
                1);
    }
    for (size_t i = 0; i < nextra; i++) {
        qb_add(&cols, ", ");
        qb_add(&cols, extra[i].column);
        qb_addp(&values, ", ?", &extra[i].value, 1);
    }
    qb_add(&values, ")");
    qb_append(&cols, &values);
    return qb_exec(&cols, r->db, NULL);
}

int resource_update(struct request *r, const struct resource *res, const char *id,
                    const struct field_value *vals, const struct column_value *extra,
                    size_t nextra)
{
    struct qb q;
    size_t nset = 0;
    qb_init(&q, r->arena);
    qb_add(&q, "UPDATE ");
    qb_add(&q, res->table);
    for (size_t i = 0; i < res->nfields + nextra; i++) {
        bool field = i < res->nfields;
        const char *col = field ? (res->columns_of ? res->columns_of[i] : NULL)
                                : extra[i - res->nfields].column;
        if (col == NULL || (field && !vals[i].sent))
            continue;
        struct db_param p = field ? resource_param(&res->fields[i], &vals[i])
                                  : extra[i - res->nfields].value;
        qb_add(&q, nset++ ? ", " : " SET ");
        qb_add(&q, col);
        qb_addp(&q, " = ?", &p, 1);
    }
    if (nset == 0)
        return DB_OK;
    qb_addv(&q, " WHERE id = ?", DB_STR(id));
    if (res->tenant_col != NULL)
        qb_addv(&q, " AND tenant_id = ?", DB_STR(r->auth.tenant_id));
    return qb_exec(&q, r->db, NULL);
}

void resource_lock_sql(struct qb *q, const struct resource *res, const char *tenant,
                       const char *id)
{
    qb_add(q, "SELECT * FROM ");
    qb_add(q, from_of(res));
    where_id(res, q, tenant, id);
    qb_add(q, " FOR UPDATE");
}

int resource_lock(struct request *r, const struct resource *res, const char *id,
                  struct db_result **row)
{
    struct qb q;
    qb_init(&q, r->arena);
    resource_lock_sql(&q, res, r->auth.tenant_id, id);
    int rc = qb_exec(&q, r->db, row);
    if (rc != DB_OK)
        return rc;
    return (*row)->nrows == 0 ? 1 : DB_OK;
}

void resource_remove_sql(struct qb *q, const struct resource *res, const char *tenant,
                         const char *id)
{
    if (res->soft_delete_col != NULL) {
        qb_add(q, "UPDATE ");
        qb_add(q, res->table);
        qb_add(q, " SET ");
        qb_add(q, res->soft_delete_col);
        if (res->soft_deleted != NULL)
            qb_addv(q, " = ?", DB_STR(res->soft_deleted));
        else
            qb_add(q, " = 0");
    } else {
        qb_add(q, "DELETE FROM ");
        qb_add(q, res->table);
    }
    qb_addv(q, " WHERE id = ?", DB_STR(id));
    if (res->tenant_col != NULL)
        qb_addv(q, " AND tenant_id = ?", DB_STR(tenant));
}

int resource_remove(struct request *r, const struct resource *res, const char *id)
{
    struct qb q;
    qb_init(&q, r->arena);
    resource_remove_sql(&q, res, r->auth.tenant_id, id);
    return qb_exec(&q, r->db, NULL);
}

bool resource_is_deleted(const struct resource *res, const struct db_result *row)
{
    if (res->soft_delete_col == NULL || row == NULL || row->nrows == 0)
        return false;
    if (res->soft_deleted == NULL)
        return db_get_int(row, 0, res->soft_delete_col, 0) == 0;
    const char *v = db_get(row, 0, res->soft_delete_col);
    return v != NULL && strcmp(v, res->soft_deleted) == 0;
}

int resource_audit(struct request *r, const struct resource *res, const char *action,
                   const char *id, const char *details_json)
{
    const char *entity = res->entity ? res->entity : res->one;
    const char *what = arena_printf(r->arena, "%s.%s", entity, action);
    if (what == NULL)
        return DB_ERROR;
    return audit_record(r, res->tenant_col ? r->auth.tenant_id : id, what, entity, id,
                        details_json);
}

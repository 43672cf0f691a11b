#ifndef SB_RESOURCE_H
#define SB_RESOURCE_H
/*
 * Declared resources. A resource module declares its table once (columns, JSON columns,
 * id prefix, names, not-found text, tenant scope, default order, list filters, sort keys,
 * body fields with their columns, and what its writes add: crud.h); this layer gives it,
 * from the declaration:
 *   resource_fetch()   one record as JSON (inside or outside a transaction)
 *   resource_get()     the GET /…/:id handler
 *   resource_list()    a page of a list: filters from the query, COUNT(*) and the page
 *   resource_insert(), resource_update()   the INSERT and UPDATE of the declared columns
 *   resource_lock(), resource_remove()     the row locked for a write, hard or soft delete
 *   resource_audit()   the audit record of a write
 * and crud.h builds the create, update and delete routes on them, so a plain CRUD module is
 * its declarations (fields, resource, writes, route table) plus the hooks for the logic that
 * is truly its own.
 */
#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "fields.h"

struct json_object;
struct qb;
struct request;
struct resource_writes;

/* A list's page size when the resource declares none, and the most it may ask for. */
#define RESOURCE_DEFAULT_LIMIT 25
#define RESOURCE_MAX_LIMIT 200
/* The longest filter values (longer ones could never match). */
#define FILTER_TEXT_MAX 255
#define FILTER_ID_MAX 64

enum filter_kind {
    FILTER_EQ,   /* param = value, given as text (at most FILTER_TEXT_MAX bytes) */
    FILTER_ID,   /* param = a record id (at most FILTER_ID_MAX characters) */
    FILTER_ENUM, /* one of values (words of clients mapped too) */
    FILTER_BOOL, /* true/false as 1/0 */
    FILTER_LIKE, /* search text, bound as a LIKE pattern to every `?` of the clause */
};

struct filter_def {
    const char *param;               /* query parameter */
    enum filter_kind kind;
    const char *clause;              /* " AND …" with its `?`s */
    const char *const *values;       /* FILTER_ENUM */
    const struct field_word *words;  /* FILTER_ENUM: client words */
};

struct sort_def {
    const char *key; /* the value of ?sort= / ?sortBy= */
    const char *sql; /* the ORDER BY expression, ascending */
};

struct resource {
    const char *table;             /* for INSERT, UPDATE, DELETE */
    const char *columns;           /* the SELECT list */
    const char *from;              /* FROM …, joins included; NULL: the table */
    /* The table alone with from's alias ("cdrs c"), when filters and order use only its
     * columns: a page's offset is then skipped over its index, and only the page's rows
     * are joined (a deep page of a big table with joins costs its index, not its rows). */
    const char *page_base;
    /* The time column of a keyset (keyset.h) with id_col, when the default order is
     * "<it> DESC, <id_col> DESC": pages then carry `next_cursor`, and `?after=` reads the
     * next page by an index range, with no offset and no count. NULL: offsets only. */
    const char *cursor_col;
    const char *id_col;            /* in WHERE of fetch, e.g. "d.id"; NULL: "id" */
    const char *tenant_col;        /* e.g. "d.tenant_id"; NULL: not tenant-scoped */
    const char *const *json_cols;  /* columns holding JSON text */
    const char *id_prefix;         /* "dept_" */
    const char *one, *many;        /* "department", "departments" */
    const char *entity;            /* the audit log's entity type; NULL: `one` */
    const char *not_found;         /* "Department not found" */
    const char *order;             /* default ORDER BY, e.g. "d.name, d.id" */
    /* A list's total is cached under this namespace's per-tenant generation (list_count.h),
     * which the resource's writers bump; NULL: counted on every page. */
    const char *count_ns;
    const char *soft_delete_col;   /* set to soft_deleted by delete (NULL: rows are deleted) */
    const char *soft_deleted;      /* that column's value once deleted, as text (NULL: 0) */
    const struct filter_def *filters; /* RESOURCE_FILTERS */
    size_t nfilters;
    const struct sort_def *sorts;  /* {NULL, NULL}-terminated, may be NULL */
    const struct field_def *fields; /* the body of create/update (RESOURCE_FIELDS) */
    const char *const *columns_of;  /* columns_of[i]: the column of fields[i] (NULL: none) */
    size_t nfields;
    long long default_limit, max_limit;
    /* Dialect-specific members added to each record (the callcenter user's roles…). */
    void (*decorate)(struct request *r, struct json_object *row);
    /* Related rows one fetched record carries (a call's transfers): DB_OK or a db_rc. */
    int (*attach)(struct request *r, const char *id, struct json_object *record);
    const struct resource_writes *writes; /* crud.h; NULL: no generic writes */
};

/* In a resource's initializer: its names (a record's and a list's key in its answers, and
 * the text of its 404). */
#define RESOURCE_NAMES(one_, many_, not_found_)                                            \
    .one = (one_), .many = (many_), .not_found = (not_found_)
/* Its body fields with their columns (NULL: none), counted. */
#define RESOURCE_FIELDS(defs, cols)                                                        \
    .fields = (defs), .nfields = FIELDS_N(defs), .columns_of = (cols)
/* Its list filters, counted. */
#define RESOURCE_FILTERS(defs) .filters = (defs), .nfilters = FIELDS_N(defs)

/* One record: DB_OK with *out (arena), 1 when absent (in this tenant), or a db_rc. */
int resource_fetch(struct request *r, const struct resource *res, const char *id,
                   struct json_object **out);
/* Inside a write's transaction: answers the record as it now is (reply_one). DB_OK or a
 * db_rc (1 becomes DB_ERROR: the caller just wrote it). */
int resource_answer(struct request *r, const struct resource *res, int status, const char *id);
/* GET /…/:id */
int resource_get(struct request *r, const struct resource *res);
/* Inside a step: answers the first row of a result (JSON columns parsed) under key. DB_OK,
 * or DB_ERROR when out of memory. */
int resource_reply_row(struct request *r, int status, const char *key,
                       const struct db_result *row, const char *const *json_cols);
/*
 * A page of the list: the declared filters read from the query (422 on a bad value), the
 * optional `where` added to them (its text and parameters, may be NULL), COUNT(*) and the
 * page in the default (or requested) order. Answers it; 0 or -1.
 */
int resource_list(struct request *r, const struct resource *res, const struct qb *where);

/* The declared filters given in the query, as resource_list() reads them: their " AND …"
 * clauses into q, a 422 reason recorded for a bad value. For a module that also lists the
 * same rows its own way (a CSV export). */
void resource_filters(struct request *r, const struct resource *res, struct qb *q);

/* A column and its value, for the columns a module computes itself. */
struct column_value {
    const char *column;
    struct db_param value;
};

/*
 * INSERT of the sent declared columns (unsent ones take the table's defaults), with id
 * and, for a tenant-scoped resource, the caller's tenant; extra (n of them, may be NULL)
 * adds the columns the module computes. DB_OK or a db_rc.
 */
int resource_insert(struct request *r, const struct resource *res, const char *id,
                    const struct field_value *vals, const struct column_value *extra,
                    size_t nextra);
/* UPDATE of the sent declared columns (and extra) of record id; DB_OK, also when nothing
 * was sent. */
int resource_update(struct request *r, const struct resource *res, const char *id,
                    const struct field_value *vals, const struct column_value *extra,
                    size_t nextra);
/*
 * Inside a write's transaction: locks record id (in the caller's tenant) until the commit,
 * with the rows `from` joins to it; *row gets all their columns. DB_OK, 1 when absent, or
 * a db_rc.
 */
int resource_lock(struct request *r, const struct resource *res, const char *id,
                  struct db_result **row);
/* Deletes record id (or, with soft_delete_col, sets that column to soft_deleted). DB_OK or
 * a db_rc. */
int resource_remove(struct request *r, const struct resource *res, const char *id);
/* True when row 0 of a locked row is soft-deleted already. Pure. */
bool resource_is_deleted(const struct resource *res, const struct db_result *row);
/* The statements of resource_lock() and resource_remove() for tenant (ignored when the
 * resource is not tenant-scoped) into q. Pure. */
void resource_lock_sql(struct qb *q, const struct resource *res, const char *tenant,
                       const char *id);
void resource_remove_sql(struct qb *q, const struct resource *res, const char *tenant,
                         const char *id);
/* The audit record of a write: action "create" becomes "<entity>.create". */
int resource_audit(struct request *r, const struct resource *res, const char *action,
                   const char *id, const char *details_json);
/* A value's db parameter by its field's type (NULL for a null or unsent value). */
struct db_param resource_param(const struct field_def *d, const struct field_value *v);

#endif

/*
 * Results (db.h): a statement's result set fetched into the caller's arena, its cells read
 * back, rows rendered as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "jsonutil.h"
#include "db_internal.h"

/* ---- fetching ------------------------------------------------------------------------ */

static bool is_blob_like(enum enum_field_types t)
{
    switch (t) {
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
    case MYSQL_TYPE_BIT:
        return true;
    default:
        return false;
    }
}

static enum db_col_kind kind_of(const MYSQL_FIELD *f)
{
    switch (f->type) {
    case MYSQL_TYPE_TINY:
        return f->length == 1 ? DB_COL_BOOL : DB_COL_INT;
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
        return DB_COL_INT;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        return DB_COL_DOUBLE;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        return DB_COL_TIME;
    default:
        return DB_COL_STR;
    }
}

/* "YYYY-MM-DD HH:MM:SS[.fff]" becomes "YYYY-MM-DDTHH:MM:SS[.fff]Z". */
static const char *time_rfc3339(struct arena *a, const char *v, size_t len, size_t *out_len)
{
    if (len < 19 || v[10] != ' ') {
        *out_len = len;
        return arena_strndup(a, v, len);
    }
    char *s = arena_alloc(a, len + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, v, len);
    s[10] = 'T';
    s[len] = 'Z';
    s[len + 1] = '\0';
    *out_len = len + 1;
    return s;
}

/* Text buffers for the columns of one row, bound to the statement as its destination. */
struct row_bufs {
    unsigned ncols;
    MYSQL_BIND *bind;
    unsigned long *lengths;
    my_bool *nulls;
    char **bufs;
};

static void row_bufs_free(struct row_bufs *rb)
{
    if (rb->bufs != NULL)
        for (unsigned c = 0; c < rb->ncols; c++)
            free(rb->bufs[c]);
    free(rb->bufs);
    free(rb->nulls);
    free(rb->lengths);
    free(rb->bind);
}

/*
 * Sets up res (column names and kinds, room for res->nrows rows of cells) and rb (a buffer
 * per column, large enough for its longest value, bound to stmt). -1 when out of memory or
 * the binding fails; the caller frees rb either way.
 */
static int bind_columns(struct db *db, struct arena *a, MYSQL_STMT *stmt, MYSQL_RES *meta,
                        struct row_bufs *rb, struct db_result *res, bool unbuffered)
{
    unsigned ncols = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    res->ncols = ncols;
    res->names = arena_calloc(a, ncols, sizeof(*res->names));
    res->kinds = arena_calloc(a, ncols, sizeof(*res->kinds));
    res->cells = arena_calloc(a, res->nrows * ncols + 1, sizeof(*res->cells));
    rb->ncols = ncols;
    rb->bind = calloc(ncols, sizeof(*rb->bind));
    rb->lengths = calloc(ncols, sizeof(*rb->lengths));
    rb->nulls = calloc(ncols, sizeof(*rb->nulls));
    rb->bufs = calloc(ncols, sizeof(*rb->bufs));
    if (!res->names || !res->kinds || !res->cells || !rb->bind || !rb->lengths || !rb->nulls ||
        !rb->bufs)
        return -1;
    for (unsigned c = 0; c < ncols; c++) {
        res->names[c] = arena_strndup(a, fields[c].name, fields[c].name_length);
        res->kinds[c] = kind_of(&fields[c]);
        /* Unbuffered, the longest value is unknown: a buffer grows when a value is longer. */
        unsigned long size = !is_blob_like(fields[c].type) ? 96
                             : unbuffered                  ? 256
                                                           : fields[c].max_length + 1;
        rb->bufs[c] = malloc(size);
        if (res->names[c] == NULL || rb->bufs[c] == NULL)
            return -1;
        rb->bind[c].buffer_type = MYSQL_TYPE_STRING;
        rb->bind[c].buffer = rb->bufs[c];
        rb->bind[c].buffer_length = size;
        rb->bind[c].length = &rb->lengths[c];
        rb->bind[c].is_null = &rb->nulls[c];
    }
    if (mysql_stmt_bind_result(stmt, rb->bind)) {
        db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
        return -1;
    }
    return 0;
}

/* The fetched row in rb into row `row` of res's cells. -1 when out of memory. */
static int copy_row(struct arena *a, const struct row_bufs *rb, struct db_result *res,
                    size_t row)
{
    for (unsigned c = 0; c < rb->ncols; c++) {
        struct db_cell *cell = &res->cells[row * rb->ncols + c];
        if (rb->nulls[c]) {
            cell->v = NULL;
            cell->len = 0;
            continue;
        }
        size_t len = rb->lengths[c];
        cell->v = res->kinds[c] == DB_COL_TIME ? time_rfc3339(a, rb->bufs[c], len, &len)
                                               : arena_strndup(a, rb->bufs[c], len);
        cell->len = len;
        if (cell->v == NULL)
            return -1;
    }
    return 0;
}

int db_fetch_result(struct db *db, struct arena *a, MYSQL_STMT *stmt, MYSQL_RES *meta,
                    struct db_result *res)
{
    if (mysql_stmt_store_result(stmt)) {
        unsigned err = mysql_stmt_errno(stmt);
        db_set_error(db, err, mysql_stmt_error(stmt));
        return db_classify(err);
    }
    int rc = DB_ERROR;
    struct row_bufs rb = {0};
    res->nrows = (size_t)mysql_stmt_num_rows(stmt);
    if (bind_columns(db, a, stmt, meta, &rb, res, false) != 0)
        goto out;
    for (size_t row = 0; row < res->nrows; row++) {
        int f = mysql_stmt_fetch(stmt);
        if (f == MYSQL_NO_DATA) {
            res->nrows = row;
            break;
        }
        if (f != 0) {
            db_set_error(db, mysql_stmt_errno(stmt), f == MYSQL_DATA_TRUNCATED
                                                         ? "result truncated"
                                                         : mysql_stmt_error(stmt));
            goto out;
        }
        if (copy_row(a, &rb, res, row) != 0)
            goto out;
    }
    rc = DB_OK;
out:
    mysql_stmt_free_result(stmt);
    row_bufs_free(&rb);
    return rc;
}

/* Fetches again, into grown buffers, the columns a row's values did not fit. -1 on error. */
static int grow_truncated(MYSQL_STMT *stmt, struct row_bufs *rb)
{
    bool grown = false;
    for (unsigned c = 0; c < rb->ncols; c++) {
        if (rb->nulls[c] || rb->lengths[c] < rb->bind[c].buffer_length)
            continue;
        unsigned long size = rb->lengths[c] + 2;
        char *b = realloc(rb->bufs[c], size);
        if (b == NULL)
            return -1;
        rb->bufs[c] = b;
        rb->bind[c].buffer = b;
        rb->bind[c].buffer_length = size;
        if (mysql_stmt_fetch_column(stmt, &rb->bind[c], c, 0) != 0)
            return -1;
        grown = true;
    }
    /* The next rows go to the grown buffers. */
    return grown && mysql_stmt_bind_result(stmt, rb->bind) ? -1 : 0;
}

/* The fetched row as res's one row: its cells point into the buffers (NUL-terminated). */
static void point_row(struct row_bufs *rb, struct db_result *res)
{
    for (unsigned c = 0; c < rb->ncols; c++) {
        struct db_cell *cell = &res->cells[c];
        size_t len = rb->lengths[c];
        if (rb->nulls[c]) {
            cell->v = NULL;
            cell->len = 0;
            continue;
        }
        char *v = rb->bufs[c];
        v[len] = '\0';
        /* In place: a time's buffer (96 bytes) has room for the 'Z'. */
        if (res->kinds[c] == DB_COL_TIME && len >= 19 && len + 2 < rb->bind[c].buffer_length &&
            v[10] == ' ') {
            v[10] = 'T';
            v[len++] = 'Z';
            v[len] = '\0';
        }
        cell->v = v;
        cell->len = len;
    }
}

int db_stream_rows(struct db *db, struct arena *a, MYSQL_STMT *stmt, db_row_fn fn, void *ctx)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
    struct db_result *res = arena_calloc(a, 1, sizeof(*res));
    struct row_bufs rb = {0};
    int rc = DB_ERROR;
    if (meta == NULL || res == NULL)
        goto out;
    res->nrows = 1;
    if (bind_columns(db, a, stmt, meta, &rb, res, true) != 0)
        goto out;
    for (;;) {
        int f = mysql_stmt_fetch(stmt);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            unsigned err = mysql_stmt_errno(stmt);
            db_set_error(db, err, mysql_stmt_error(stmt));
            rc = db_classify(err);
            goto out;
        }
        /* Also a value of exactly the buffer's size: it has no room for the NUL. */
        if (grow_truncated(stmt, &rb) != 0) {
            db_set_error(db, mysql_stmt_errno(stmt), "a value could not be fetched whole");
            goto out;
        }
        point_row(&rb, res);
        if (fn(ctx, res) != 0)
            break;
    }
    rc = DB_OK;
out:
    mysql_stmt_free_result(stmt);
    if (meta != NULL)
        mysql_free_result(meta);
    row_bufs_free(&rb);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------- */

const char *db_cell(const struct db_result *res, size_t row, unsigned col)
{
    if (res == NULL || row >= res->nrows || col >= res->ncols)
        return NULL;
    return res->cells[row * res->ncols + col].v;
}

int db_col_index(const struct db_result *res, const char *name)
{
    for (unsigned c = 0; c < res->ncols; c++)
        if (strcmp(res->names[c], name) == 0)
            return (int)c;
    return -1;
}

const char *db_get(const struct db_result *res, size_t row, const char *name)
{
    int c = res ? db_col_index(res, name) : -1;
    return c < 0 ? NULL : db_cell(res, row, (unsigned)c);
}

long long db_get_int(const struct db_result *res, size_t row, const char *name, long long def)
{
    const char *v = db_get(res, row, name);
    return v ? strtoll(v, NULL, 10) : def;
}

static bool in_list(const char *const *list, const char *name)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* The callcenter dialect's text nulls (db_json_text_nulls_empty); one request at a time. */
static bool text_nulls_empty;

void db_json_text_nulls_empty(bool on)
{
    text_nulls_empty = on;
}

struct json_object *db_row_json(const struct db_result *res, size_t row,
                                const char *const *json_cols)
{
    struct json_object *obj = json_object_new_object();
    if (obj == NULL)
        return NULL;
    for (unsigned c = 0; c < res->ncols; c++) {
        const char *name = res->names[c];
        if (name[0] == '_')
            continue;
        const struct db_cell *cell = &res->cells[row * res->ncols + c];
        struct json_object *v = NULL;
        if (cell->v != NULL) {
            switch (res->kinds[c]) {
            case DB_COL_BOOL:
                v = json_object_new_boolean(strcmp(cell->v, "0") != 0);
                break;
            case DB_COL_INT:
                v = json_object_new_int64(strtoll(cell->v, NULL, 10));
                break;
            case DB_COL_DOUBLE:
                v = json_object_new_double(strtod(cell->v, NULL));
                break;
            default:
                if (in_list(json_cols, name) && json_parse_value(cell->v, cell->len, &v) == 0)
                    break;
                v = json_object_new_string_len(cell->v, (int)cell->len);
                break;
            }
            if (v == NULL) {
                json_object_put(obj);
                return NULL;
            }
        } else if (text_nulls_empty && res->kinds[c] == DB_COL_STR && !in_list(json_cols, name)) {
            v = json_object_new_string("");
            if (v == NULL) {
                json_object_put(obj);
                return NULL;
            }
        }
        if (json_set(obj, name, v) != 0) {
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

struct json_object *db_rows_json(const struct db_result *res, size_t max_rows,
                                 const char *const *json_cols)
{
    struct json_object *arr = json_object_new_array();
    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < res->nrows && i < max_rows; i++) {
        struct json_object *row = db_row_json(res, i, json_cols);
        if (row == NULL || json_object_array_add(arr, row) != 0) {
            json_object_put(row);
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

int db_rows_attach(struct json_object *obj, const char *key, const struct db_result *res,
                   const char *const *json_cols)
{
    struct json_object *arr = db_rows_json(res, res->nrows, json_cols);
    return arr == NULL ? -1 : json_set(obj, key, arr);
}

#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "arena.h"
#include "jsonutil.h"
#include "log.h"

struct stmt_entry {
    const char *sql;
    MYSQL_STMT *stmt;
};

struct db {
    MYSQL *conn;
    bool in_tx;
    unsigned timeout;
    char *socket, *name, *user, *password;
    struct stmt_entry *stmts;
    size_t nstmts, cap;
    unsigned last_errno;
    char last_error[512];
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

struct db *db_create(const struct db_options *opt)
{
    struct db *db = calloc(1, sizeof(*db));
    if (db == NULL)
        return NULL;
    db->socket = dup_or_empty(opt->socket);
    db->name = dup_or_empty(opt->name);
    db->user = dup_or_empty(opt->user);
    db->password = dup_or_empty(opt->password);
    db->timeout = opt->timeout;
    if (!db->socket || !db->name || !db->user || !db->password) {
        db_destroy(db);
        return NULL;
    }
    return db;
}

void db_disconnect(struct db *db)
{
    for (size_t i = 0; i < db->nstmts; i++)
        mysql_stmt_close(db->stmts[i].stmt);
    db->nstmts = 0;
    if (db->conn != NULL)
        mysql_close(db->conn);
    db->conn = NULL;
    db->in_tx = false;
}

void db_destroy(struct db *db)
{
    if (db == NULL)
        return;
    db_disconnect(db);
    free(db->stmts);
    if (db->password != NULL)
        explicit_bzero(db->password, strlen(db->password));
    free(db->socket);
    free(db->name);
    free(db->user);
    free(db->password);
    free(db);
}

static void set_error(struct db *db, unsigned err, const char *msg)
{
    db->last_errno = err;
    snprintf(db->last_error, sizeof(db->last_error), "%s", msg ? msg : "");
}

unsigned db_last_errno(const struct db *db)
{
    return db->last_errno;
}

const char *db_last_error(const struct db *db)
{
    return db->last_error;
}

static bool is_connection_error(unsigned err)
{
    switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case 4031: /* ER_CLIENT_INTERACTION_TIMEOUT */
        return true;
    default:
        return false;
    }
}

static int classify(unsigned err)
{
    if (is_connection_error(err))
        return DB_UNAVAILABLE;
    switch (err) {
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
        return DB_DUPLICATE;
    case ER_ROW_IS_REFERENCED_2:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED:
    case ER_NO_REFERENCED_ROW:
        return DB_FOREIGN_KEY;
    case ER_CONSTRAINT_FAILED:
        return DB_CONSTRAINT;
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
        return DB_DEADLOCK;
    default:
        return DB_ERROR;
    }
}

static int run_simple(struct db *db, const char *sql);

static int db_connect(struct db *db)
{
    if (db->conn != NULL)
        return DB_OK;
    MYSQL *conn = mysql_init(NULL);
    if (conn == NULL) {
        set_error(db, 0, "mysql_init failed");
        return DB_ERROR;
    }
    unsigned timeout = db->timeout && db->timeout < 3 ? db->timeout : 3;
    unsigned rw_timeout = db->timeout ? db->timeout : 30;
    my_bool no = 0;
    if (mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_RECONNECT, &no) ||
        mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4")) {
        set_error(db, 0, "mysql_optionsv failed");
        mysql_close(conn);
        return DB_ERROR;
    }
    if (mysql_real_connect(conn, NULL, db->user, db->password, db->name, 0, db->socket, 0) ==
        NULL) {
        set_error(db, mysql_errno(conn), mysql_error(conn));
        mysql_close(conn);
        return DB_UNAVAILABLE;
    }
    db->conn = conn;
    /* Times are stored and compared in UTC. */
    int rc = run_simple(db, "SET time_zone = '+00:00'");
    if (rc == DB_OK && db->timeout != 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %u", db->timeout);
        rc = run_simple(db, sql);
    }
    if (rc != DB_OK) {
        db_disconnect(db);
        return rc;
    }
    return DB_OK;
}

static MYSQL_STMT *stmt_get(struct db *db, const char *sql, unsigned *err)
{
    for (size_t i = 0; i < db->nstmts; i++)
        if (db->stmts[i].sql == sql)
            return db->stmts[i].stmt;
    if (db->nstmts == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 32;
        struct stmt_entry *s = realloc(db->stmts, cap * sizeof(*s));
        if (s == NULL) {
            *err = 0;
            return NULL;
        }
        db->stmts = s;
        db->cap = cap;
    }
    MYSQL_STMT *stmt = mysql_stmt_init(db->conn);
    if (stmt == NULL) {
        *err = mysql_errno(db->conn);
        set_error(db, *err, mysql_error(db->conn));
        return NULL;
    }
    my_bool update_max = 1;
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max) ||
        mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql))) {
        *err = mysql_stmt_errno(stmt);
        set_error(db, *err, mysql_stmt_error(stmt));
        mysql_stmt_close(stmt);
        return NULL;
    }
    db->stmts[db->nstmts].sql = sql;
    db->stmts[db->nstmts].stmt = stmt;
    db->nstmts++;
    return stmt;
}

static void stmt_forget(struct db *db, MYSQL_STMT *stmt)
{
    for (size_t i = 0; i < db->nstmts; i++) {
        if (db->stmts[i].stmt == stmt) {
            mysql_stmt_close(stmt);
            db->stmts[i] = db->stmts[--db->nstmts];
            return;
        }
    }
}

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

static int fetch_result(struct db *db, struct arena *a, MYSQL_STMT *stmt, MYSQL_RES *meta,
                        struct db_result *res)
{
    int rc = DB_ERROR;
    unsigned ncols = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND *bind = NULL;
    unsigned long *lengths = NULL;
    my_bool *nulls = NULL;
    char **bufs = NULL;

    if (mysql_stmt_store_result(stmt)) {
        unsigned err = mysql_stmt_errno(stmt);
        set_error(db, err, mysql_stmt_error(stmt));
        return classify(err);
    }
    res->ncols = ncols;
    res->nrows = (size_t)mysql_stmt_num_rows(stmt);
    res->names = arena_calloc(a, ncols, sizeof(*res->names));
    res->kinds = arena_calloc(a, ncols, sizeof(*res->kinds));
    res->cells = arena_calloc(a, res->nrows * ncols + 1, sizeof(*res->cells));
    bind = calloc(ncols, sizeof(*bind));
    lengths = calloc(ncols, sizeof(*lengths));
    nulls = calloc(ncols, sizeof(*nulls));
    bufs = calloc(ncols, sizeof(*bufs));
    if (!res->names || !res->kinds || !res->cells || !bind || !lengths || !nulls || !bufs)
        goto out;
    for (unsigned c = 0; c < ncols; c++) {
        res->names[c] = arena_strndup(a, fields[c].name, fields[c].name_length);
        res->kinds[c] = kind_of(&fields[c]);
        unsigned long size = is_blob_like(fields[c].type) ? fields[c].max_length + 1 : 96;
        bufs[c] = malloc(size);
        if (res->names[c] == NULL || bufs[c] == NULL)
            goto out;
        bind[c].buffer_type = MYSQL_TYPE_STRING;
        bind[c].buffer = bufs[c];
        bind[c].buffer_length = size;
        bind[c].length = &lengths[c];
        bind[c].is_null = &nulls[c];
    }
    if (mysql_stmt_bind_result(stmt, bind)) {
        set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
        goto out;
    }
    for (size_t row = 0; row < res->nrows; row++) {
        int f = mysql_stmt_fetch(stmt);
        if (f == MYSQL_NO_DATA) {
            res->nrows = row;
            break;
        }
        if (f != 0) {
            set_error(db, mysql_stmt_errno(stmt), f == MYSQL_DATA_TRUNCATED
                                                      ? "result truncated"
                                                      : mysql_stmt_error(stmt));
            goto out;
        }
        for (unsigned c = 0; c < ncols; c++) {
            struct db_cell *cell = &res->cells[row * ncols + c];
            if (nulls[c]) {
                cell->v = NULL;
                cell->len = 0;
                continue;
            }
            size_t len = lengths[c];
            cell->v = res->kinds[c] == DB_COL_TIME ? time_rfc3339(a, bufs[c], len, &len)
                                                   : arena_strndup(a, bufs[c], len);
            cell->len = len;
            if (cell->v == NULL)
                goto out;
        }
    }
    rc = DB_OK;
out:
    mysql_stmt_free_result(stmt);
    if (bufs != NULL)
        for (unsigned c = 0; c < ncols; c++)
            free(bufs[c]);
    free(bufs);
    free(nulls);
    free(lengths);
    free(bind);
    return rc;
}

/* Binds, runs and fetches a prepared statement. */
static int run_stmt(struct db *db, struct arena *a, MYSQL_STMT *stmt, const char *sql,
                    const struct db_param *params, unsigned nparams, struct db_result **out,
                    unsigned *err)
{
    MYSQL_BIND bind[32];
    unsigned long lens[32];
    MYSQL_RES *meta = NULL;
    int rc;

    if (nparams != mysql_stmt_param_count(stmt) || nparams > 32) {
        set_error(db, 0, "parameter count does not match the statement");
        log_error("db: %u parameters given for: %.120s", nparams, sql);
        return DB_ERROR;
    }
    memset(bind, 0, sizeof(bind));
    for (unsigned i = 0; i < nparams; i++) {
        switch (params[i].type) {
        case DB_T_NULL:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        case DB_T_STR:
            lens[i] = (unsigned long)params[i].len;
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)params[i].s;
            bind[i].buffer_length = lens[i];
            bind[i].length = &lens[i];
            break;
        case DB_T_INT:
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = (void *)&params[i].i;
            break;
        case DB_T_DOUBLE:
            bind[i].buffer_type = MYSQL_TYPE_DOUBLE;
            bind[i].buffer = (void *)&params[i].d;
            break;
        }
    }
    if ((nparams > 0 && mysql_stmt_bind_param(stmt, bind)) || mysql_stmt_execute(stmt)) {
        *err = mysql_stmt_errno(stmt);
        set_error(db, *err, mysql_stmt_error(stmt));
        return classify(*err);
    }
    struct db_result *res = arena_calloc(a, 1, sizeof(*res));
    if (res == NULL)
        return DB_ERROR;
    meta = mysql_stmt_result_metadata(stmt);
    if (meta != NULL) {
        rc = fetch_result(db, a, stmt, meta, res);
        mysql_free_result(meta);
        if (rc != DB_OK) {
            *err = db->last_errno;
            return rc;
        }
    } else {
        res->affected_rows = (unsigned long long)mysql_stmt_affected_rows(stmt);
    }
    if (out != NULL)
        *out = res;
    return DB_OK;
}

static int exec_once(struct db *db, struct arena *a, const char *sql,
                     const struct db_param *params, unsigned nparams, struct db_result **out,
                     unsigned *err)
{
    *err = 0;
    MYSQL_STMT *stmt = stmt_get(db, sql, err);
    if (stmt == NULL)
        return classify(*err);
    return run_stmt(db, a, stmt, sql, params, nparams, out, err);
}

int db_exec_once(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
                 unsigned nparams, struct db_result **out)
{
    if (out != NULL)
        *out = NULL;
    int rc = db_connect(db);
    if (rc != DB_OK)
        return rc;
    MYSQL_STMT *stmt = mysql_stmt_init(db->conn);
    if (stmt == NULL) {
        set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
        return classify(mysql_errno(db->conn));
    }
    unsigned err = 0;
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql))) {
        err = mysql_stmt_errno(stmt);
        set_error(db, err, mysql_stmt_error(stmt));
        rc = classify(err);
    } else {
        rc = run_stmt(db, a, stmt, sql, params, nparams, out, &err);
    }
    mysql_stmt_close(stmt);
    if (rc != DB_OK && is_connection_error(err))
        db_disconnect(db);
    return rc;
}

static bool retry_safe(const char *sql, unsigned err)
{
    /*
     * CR_SERVER_GONE_ERROR means nothing reached the server. After a lost connection a
     * write may or may not have run, so only reads are repeated.
     */
    return err == CR_SERVER_GONE_ERROR || strncasecmp(sql, "SELECT", 6) == 0;
}

int db_exec(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
            unsigned nparams, struct db_result **out)
{
    if (out != NULL)
        *out = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = db_connect(db);
        if (rc != DB_OK)
            return rc;
        unsigned err;
        rc = exec_once(db, a, sql, params, nparams, out, &err);
        if (rc == DB_OK)
            return rc;
        if (err == ER_NEED_REPREPARE || err == ER_UNKNOWN_STMT_HANDLER) {
            for (size_t i = 0; i < db->nstmts; i++)
                if (db->stmts[i].sql == sql)
                    stmt_forget(db, db->stmts[i].stmt);
            if (!db->in_tx)
                continue;
        }
        if (!is_connection_error(err))
            return rc;
        bool was_in_tx = db->in_tx;
        log_warn("db: connection lost (%u %s)", err, db->last_error);
        db_disconnect(db);
        /* A caller with a bounded wait already spent it: a second connect would wait again. */
        if (was_in_tx || !retry_safe(sql, err) || (db->timeout && err != CR_SERVER_GONE_ERROR))
            return DB_UNAVAILABLE;
    }
    return DB_UNAVAILABLE;
}

static int run_simple(struct db *db, const char *sql)
{
    /* For session statements during connect: prepared, not cached. */
    MYSQL_STMT *stmt = mysql_stmt_init(db->conn);
    if (stmt == NULL)
        return DB_UNAVAILABLE;
    int rc = DB_OK;
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) || mysql_stmt_execute(stmt)) {
        unsigned err = mysql_stmt_errno(stmt);
        set_error(db, err, mysql_stmt_error(stmt));
        rc = classify(err);
    }
    mysql_stmt_close(stmt);
    return rc;
}

int db_exec_uncached(struct db *db, const char *sql)
{
    int rc = db_connect(db);
    if (rc != DB_OK)
        return rc;
    return run_simple(db, sql);
}

int db_begin(struct db *db)
{
    int rc = db_connect(db);
    if (rc != DB_OK)
        return rc;
    if (mysql_autocommit(db->conn, 0)) {
        unsigned err = mysql_errno(db->conn);
        set_error(db, err, mysql_error(db->conn));
        if (is_connection_error(err)) {
            /* A stale connection: one fresh try, nothing has run yet. */
            db_disconnect(db);
            if ((rc = db_connect(db)) != DB_OK)
                return rc;
            if (mysql_autocommit(db->conn, 0)) {
                set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
                db_disconnect(db);
                return DB_UNAVAILABLE;
            }
        } else {
            return classify(err);
        }
    }
    db->in_tx = true;
    return DB_OK;
}

int db_commit(struct db *db)
{
    if (db->conn == NULL || !db->in_tx)
        return DB_UNAVAILABLE;
    int rc = DB_OK;
    if (mysql_commit(db->conn)) {
        unsigned err = mysql_errno(db->conn);
        set_error(db, err, mysql_error(db->conn));
        rc = classify(err);
        if (rc == DB_OK)
            rc = DB_ERROR;
        mysql_rollback(db->conn);
    }
    if (db->conn != NULL && mysql_autocommit(db->conn, 1))
        db_disconnect(db);
    db->in_tx = false;
    return rc;
}

void db_rollback(struct db *db)
{
    if (db->conn != NULL && db->in_tx) {
        if (mysql_rollback(db->conn) || mysql_autocommit(db->conn, 1))
            db_disconnect(db);
    }
    db->in_tx = false;
}

int db_finish(struct db *db, int rc)
{
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

int db_ping(struct db *db)
{
    struct arena *a = arena_create(1024);
    if (a == NULL)
        return DB_ERROR;
    int rc = db_exec(db, a, "SELECT 1", NULL, 0, NULL);
    arena_destroy(a);
    return rc;
}

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

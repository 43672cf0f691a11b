/*
 * The database connection and its statements (db.h): connecting lazily, the statement
 * cache, running with parameters and retrying once on a lost connection, transactions.
 * Results are fetched and read in db_result.c.
 */
#include "db.h"
#include "nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "arena.h"
#include "log.h"
#include "db_internal.h"

struct stmt_entry {
    const char *sql;
    MYSQL_STMT *stmt;
};

#define DB_PRECOMMIT_MAX 4

struct db {
    MYSQL *conn;
    bool in_tx;
    size_t node; /* the node of db_options.socket tried first: the one that answered last */
    struct {
        db_precommit_run run;
        db_precommit_release release;
        void *state;
    } pre[DB_PRECOMMIT_MAX];
    size_t npre;
    unsigned timeout;
    bool causal_reads;
    char *socket, *name, *user, *password;
    struct stmt_entry *stmts;
    size_t nstmts, cap;
    unsigned last_errno;
    char last_error[512];
};

static void precommit_release(struct db *db);

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
    db->causal_reads = opt->causal_reads;
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
    precommit_release(db);
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

void db_set_error(struct db *db, unsigned err, const char *msg)
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
    case 1047: /* ER_UNKNOWN_COM_ERROR: a Galera node outside the primary component */
        return true;
    default:
        return false;
    }
}

int db_classify(unsigned err)
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

/* A connection to one node, options set; NULL (error noted) when it does not answer. */
static MYSQL *connect_node(struct db *db, const struct node *node)
{
    MYSQL *conn = mysql_init(NULL);
    if (conn == NULL) {
        db_set_error(db, 0, "mysql_init failed");
        return NULL;
    }
    unsigned timeout = db->timeout && db->timeout < 3 ? db->timeout : 3;
    unsigned rw_timeout = db->timeout ? db->timeout : 30;
    my_bool no = 0;
    if (mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout) ||
        mysql_optionsv(conn, MYSQL_OPT_RECONNECT, &no) ||
        mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4")) {
        db_set_error(db, 0, "mysql_optionsv failed");
        mysql_close(conn);
        return NULL;
    }
    if (mysql_real_connect(conn, node->host[0] ? node->host : NULL, db->user, db->password,
                           db->name, node->port, node->socket[0] ? node->socket : NULL,
                           0) == NULL) {
        db_set_error(db, mysql_errno(conn), mysql_error(conn));
        mysql_close(conn);
        return NULL;
    }
    return conn;
}

/* The session as every statement expects it; with causal reads, a probe that a node
 * outside the primary component refuses (1047, DB_UNAVAILABLE). */
static int session_setup(struct db *db)
{
    /* Times are stored and compared in UTC. */
    int rc = run_simple(db, "SET time_zone = '+00:00'");
    if (rc == DB_OK && db->timeout != 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %u", db->timeout);
        rc = run_simple(db, sql);
    }
    if (rc == DB_OK && db->causal_reads)
        rc = run_simple(db, "SET SESSION wsrep_sync_wait = 1");
    if (rc == DB_OK && db->causal_reads)
        rc = run_simple(db, "SELECT 1");
    return rc;
}

/* The node that answered last first, then each other one in turn (nodes.h); a node
 * whose session cannot be set up (it left the primary component) is passed over. */
static int db_connect(struct db *db)
{
    if (db->conn != NULL)
        return DB_OK;
    size_t n = nodes_count(db->socket);
    int rc = DB_UNAVAILABLE;
    for (size_t k = 0; k < (n ? n : 1); k++) {
        size_t i = n ? (db->node + k) % n : 0;
        struct node node = {.socket = ""};
        if (n && node_at(db->socket, i, 3306, &node) != 0)
            continue;
        db->conn = connect_node(db, &node);
        if (db->conn == NULL)
            continue;
        rc = session_setup(db);
        if (rc == DB_OK) {
            db->node = i;
            return DB_OK;
        }
        db_disconnect(db);
        if (rc != DB_UNAVAILABLE)
            return rc;
    }
    return DB_UNAVAILABLE;
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
        db_set_error(db, *err, mysql_error(db->conn));
        return NULL;
    }
    my_bool update_max = 1;
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max) ||
        mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql))) {
        *err = mysql_stmt_errno(stmt);
        db_set_error(db, *err, mysql_stmt_error(stmt));
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


/* Binds the parameters of a prepared statement and runs it. DB_OK or a db_rc. */
static int bind_execute(struct db *db, MYSQL_STMT *stmt, const char *sql,
                        const struct db_param *params, unsigned nparams, unsigned *err)
{
    MYSQL_BIND bind[32];
    unsigned long lens[32];

    if (nparams != mysql_stmt_param_count(stmt) || nparams > 32) {
        db_set_error(db, 0, "parameter count does not match the statement");
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
        db_set_error(db, *err, mysql_stmt_error(stmt));
        return db_classify(*err);
    }
    return DB_OK;
}

/* Binds, runs and fetches a prepared statement. */
static int run_stmt(struct db *db, struct arena *a, MYSQL_STMT *stmt, const char *sql,
                    const struct db_param *params, unsigned nparams, struct db_result **out,
                    unsigned *err)
{
    MYSQL_RES *meta = NULL;
    int rc = bind_execute(db, stmt, sql, params, nparams, err);
    if (rc != DB_OK)
        return rc;
    struct db_result *res = arena_calloc(a, 1, sizeof(*res));
    if (res == NULL)
        return DB_ERROR;
    meta = mysql_stmt_result_metadata(stmt);
    if (meta != NULL) {
        rc = db_fetch_result(db, a, stmt, meta, res);
        mysql_free_result(meta);
        if (rc != DB_OK) {
            *err = db->last_errno;
            return rc;
        }
    } else {
        res->affected_rows = (unsigned long long)mysql_stmt_affected_rows(stmt);
        res->insert_id = (unsigned long long)mysql_stmt_insert_id(stmt);
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
        return db_classify(*err);
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
        db_set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
        return db_classify(mysql_errno(db->conn));
    }
    unsigned err = 0;
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql))) {
        err = mysql_stmt_errno(stmt);
        db_set_error(db, err, mysql_stmt_error(stmt));
        rc = db_classify(err);
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

int db_stream(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
              unsigned nparams, db_row_fn fn, void *ctx)
{
    int rc = db_connect(db);
    if (rc != DB_OK)
        return rc;
    unsigned err = 0;
    MYSQL_STMT *stmt = stmt_get(db, sql, &err);
    if (stmt == NULL)
        return db_classify(err);
    rc = bind_execute(db, stmt, sql, params, nparams, &err);
    if (rc == DB_OK)
        rc = db_stream_rows(db, a, stmt, fn, ctx);
    /* Rows may have been handed out already: never repeated, even on a fresh connection. */
    if (rc != DB_OK && is_connection_error(db->last_errno))
        db_disconnect(db);
    return rc;
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
        db_set_error(db, err, mysql_stmt_error(stmt));
        rc = db_classify(err);
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

int db_precommit(struct db *db, db_precommit_run run, db_precommit_release release, void *state)
{
    if (!db->in_tx || db->npre == DB_PRECOMMIT_MAX)
        return -1;
    db->pre[db->npre].run = run;
    db->pre[db->npre].release = release;
    db->pre[db->npre].state = state;
    db->npre++;
    return 0;
}

void *db_precommit_state(const struct db *db, db_precommit_run run)
{
    for (size_t i = 0; i < db->npre; i++)
        if (db->pre[i].run == run)
            return db->pre[i].state;
    return NULL;
}

bool db_in_transaction(const struct db *db)
{
    return db->in_tx;
}

static void precommit_release(struct db *db)
{
    for (size_t i = 0; i < db->npre; i++)
        if (db->pre[i].release != NULL)
            db->pre[i].release(db->pre[i].state);
    db->npre = 0;
}

/* The registered last work, in order; the first failure is the transaction's. */
static int precommit_run(struct db *db)
{
    for (size_t i = 0; i < db->npre; i++) {
        int rc = db->pre[i].run(db, db->pre[i].state);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

int db_begin(struct db *db)
{
    precommit_release(db);
    int rc = db_connect(db);
    if (rc != DB_OK)
        return rc;
    if (mysql_autocommit(db->conn, 0)) {
        unsigned err = mysql_errno(db->conn);
        db_set_error(db, err, mysql_error(db->conn));
        if (is_connection_error(err)) {
            /* A stale connection: one fresh try, nothing has run yet. */
            db_disconnect(db);
            if ((rc = db_connect(db)) != DB_OK)
                return rc;
            if (mysql_autocommit(db->conn, 0)) {
                db_set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
                db_disconnect(db);
                return DB_UNAVAILABLE;
            }
        } else {
            return db_classify(err);
        }
    }
    db->in_tx = true;
    return DB_OK;
}

int db_commit(struct db *db)
{
    if (db->conn == NULL || !db->in_tx) {
        precommit_release(db);
        return DB_UNAVAILABLE;
    }
    int rc = precommit_run(db);
    precommit_release(db);
    if (rc != DB_OK) {
        db_rollback(db);
        return rc;
    }
    if (mysql_commit(db->conn)) {
        unsigned err = mysql_errno(db->conn);
        db_set_error(db, err, mysql_error(db->conn));
        rc = db_classify(err);
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
    precommit_release(db);
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

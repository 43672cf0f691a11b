#ifndef SB_DB_H
#define SB_DB_H
/*
 * The only module that includes <mysql.h>. Every statement is a prepared statement,
 * cached per connection by the address of its SQL text (pass string literals).
 * One connection per process, opened lazily after fork. When the server goes away
 * the connection and its statement cache are dropped and, outside a transaction,
 * the statement is retried once on a new connection; otherwise DB_UNAVAILABLE.
 * Results are copied into the caller's arena; timestamps come back RFC 3339 UTC.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <json-c/json.h>

struct arena;
struct db;

enum db_rc {
    DB_OK = 0,
    DB_ERROR = -1,
    DB_UNAVAILABLE = -2,
    DB_DUPLICATE = -3,
    DB_FOREIGN_KEY = -4,
    DB_CONSTRAINT = -5,
    DB_DEADLOCK = -6,
};

enum db_type { DB_T_NULL, DB_T_STR, DB_T_INT, DB_T_DOUBLE };

struct db_param {
    enum db_type type;
    const char *s;
    size_t len;
    long long i;
    double d;
};

#define DB_STR(x) db_param_str(x)
#define DB_STRN(x, n) ((struct db_param){.type = DB_T_STR, .s = (x), .len = (n)})
#define DB_INT(x) ((struct db_param){.type = DB_T_INT, .i = (long long)(x)})
#define DB_DOUBLE(x) ((struct db_param){.type = DB_T_DOUBLE, .d = (x)})
#define DB_NULL ((struct db_param){.type = DB_T_NULL})

static inline struct db_param db_param_str(const char *s)
{
    if (s == NULL)
        return (struct db_param){.type = DB_T_NULL};
    return (struct db_param){.type = DB_T_STR, .s = s, .len = strlen(s)};
}

enum db_col_kind { DB_COL_STR, DB_COL_INT, DB_COL_DOUBLE, DB_COL_BOOL, DB_COL_TIME };

struct db_cell {
    const char *v; /* NUL-terminated; NULL for SQL NULL */
    size_t len;
};

struct db_result {
    unsigned ncols;
    const char **names;
    enum db_col_kind *kinds;
    size_t nrows;
    struct db_cell *cells; /* nrows * ncols, row-major */
    unsigned long long affected_rows;
    unsigned long long insert_id; /* the AUTO_INCREMENT value an INSERT of one row took */
};

struct db_options {
    const char *socket; /* one node or several (nodes.h): a socket path or host:port each */
    const char *name;
    const char *user;
    const char *password;
    /*
     * Bound on one round trip, in seconds (0: 30). The server also stops a statement
     * running this long (max_statement_time), so a process that cannot wait (the event
     * worker's loop) is never held longer than this by a stuck or stopped server.
     */
    unsigned timeout;
    /*
     * Galera: every session sets wsrep_sync_wait = 1, so a read first waits until this
     * node has applied every writeset the cluster committed before it began (a client
     * that wrote through one host reads its write through any other). A node that is
     * not in the primary component is then refused at connect and the next one tried.
     */
    bool causal_reads;
};

/*
 * Work a transaction does last, just before its COMMIT (e.g. numbering the events it
 * wrote: src/core/event_seq.c): run(db, state) once per registered run function; a failure
 * rolls the transaction back and is what db_commit() returns. release(state) follows the
 * commit or the rollback. db_precommit() is -1 outside a transaction or when full.
 */
typedef int (*db_precommit_run)(struct db *db, void *state);
typedef void (*db_precommit_release)(void *state);
int db_precommit(struct db *db, db_precommit_run run, db_precommit_release release, void *state);
/* The state registered for run in the open transaction, NULL when none. */
void *db_precommit_state(const struct db *db, db_precommit_run run);
bool db_in_transaction(const struct db *db);

/* Copies the options; connects on first use. NULL when out of memory. */
struct db *db_create(const struct db_options *opt);
void db_destroy(struct db *db);

/*
 * Runs one prepared statement. `out` may be NULL for statements without a result
 * set (affected rows are then lost; pass out to read them). Returns enum db_rc.
 */
int db_exec(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
            unsigned nparams, struct db_result **out);

/* db_exec() with a statement prepared for this call only (text that is not interned). */
int db_exec_once(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
                 unsigned nparams, struct db_result **out);

/*
 * Prepares, runs and closes one statement without caching it: for SQL text that is not a
 * string literal (migrations), whose address could be reused by different text later.
 */
int db_exec_uncached(struct db *db, const char *sql);

#define DB_PARAMS(...) ((const struct db_param[]){__VA_ARGS__}), \
    (unsigned)(sizeof((const struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param))

/*
 * Runs a SELECT unbuffered: rows come from the server one at a time as fn reads them, each
 * handed to fn as a one-row result (nrows 1) whose cells live only until fn returns.
 * Nothing is copied into the arena per row, so memory stays flat whatever the number of
 * rows (a CSV export of a million CDRs). fn returns 0 to go on, non-zero to stop (the
 * remaining rows are discarded). The connection runs nothing else meanwhile, and the
 * statement is never retried (rows may have gone out). DB_OK (also when fn stopped) or a
 * db_rc.
 */
typedef int (*db_row_fn)(void *ctx, const struct db_result *row);
int db_stream(struct db *db, struct arena *a, const char *sql, const struct db_param *params,
              unsigned nparams, db_row_fn fn, void *ctx);

/* Transactions through the client API (autocommit off/commit/rollback). */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/* Ends a transaction: commits when rc is DB_OK, else rolls back. Returns the outcome. */
int db_finish(struct db *db, int rc);
/* A cheap round trip; DB_OK or DB_UNAVAILABLE. */
int db_ping(struct db *db);
/* Drops the connection (e.g. before fork or on shutdown). */
void db_disconnect(struct db *db);
/* Last server error code and message (for logs; may be 0/""). */
unsigned db_last_errno(const struct db *db);
const char *db_last_error(const struct db *db);

/* Cell access: NULL for SQL NULL. */
const char *db_cell(const struct db_result *res, size_t row, unsigned col);
int db_col_index(const struct db_result *res, const char *name);
const char *db_get(const struct db_result *res, size_t row, const char *name);
long long db_get_int(const struct db_result *res, size_t row, const char *name, long long def);

/*
 * One row as a JSON object, typed by column kind (integers, decimals, TINYINT(1) as
 * booleans, times as RFC 3339). Columns named in json_cols (NULL-terminated, may be
 * NULL) hold JSON text and are embedded parsed. Columns whose name starts with '_'
 * are left out. Returns a new reference (caller owns) or NULL.
 */
struct json_object *db_row_json(const struct db_result *res, size_t row,
                                const char *const *json_cols);

/*
 * While on, text columns that are SQL NULL come out of db_row_json() as "" instead of null:
 * the callcenter dialect (its Go encoder wrote "" for an empty string, and its clients rely
 * on it). Per process: the pool's dispatcher sets it for each request.
 */
void db_json_text_nulls_empty(bool on);

/*
 * The first max_rows rows (all when max_rows exceeds them) as a new JSON array (caller
 * owns), each as db_row_json() makes it. NULL when out of memory.
 */
struct json_object *db_rows_json(const struct db_result *res, size_t max_rows,
                                 const char *const *json_cols);
/* db_rows_json() of every row, added to obj under key. 0, or -1 when out of memory. */
int db_rows_attach(struct json_object *obj, const char *key, const struct db_result *res,
                   const char *const *json_cols);

#endif

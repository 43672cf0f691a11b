#ifndef SB_DB_INTERNAL_H
#define SB_DB_INTERNAL_H
/*
 * Between db.c (the connection and its statements) and db_result.c (results: fetched
 * into the caller's arena, read back, rendered as JSON). Private to those two files, the
 * only ones that include <mysql.h> (db.h).
 */
#include <mysql.h>

#include "db.h"

/* Notes the server's error code and message for db_last_errno()/db_last_error(). */
void db_set_error(struct db *db, unsigned err, const char *msg);
/* enum db_rc for a server or client error code. */
int db_classify(unsigned err);
/*
 * Fetches the result set of an executed statement (meta: its result metadata) into res,
 * every cell copied into the arena as text; times become RFC 3339. DB_OK or a negative
 * db_rc.
 */
int db_fetch_result(struct db *db, struct arena *a, MYSQL_STMT *stmt, MYSQL_RES *meta,
                    struct db_result *res);
/* The rows of an executed statement, unbuffered, to fn (db_stream). DB_OK or a db_rc. */
int db_stream_rows(struct db *db, struct arena *a, MYSQL_STMT *stmt, db_row_fn fn, void *ctx);

#endif

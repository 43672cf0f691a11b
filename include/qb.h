#ifndef SB_QB_H
#define SB_QB_H
/*
 * The query builder: SQL text and its parameters appended together, so a clause and the
 * values it binds can never drift apart (the old way was a fixed statement with
 * `(? IS NULL OR col = ?)` per filter and parameters patched by index). Lists with
 * optional filters add only the clauses a request uses, which also lets MariaDB use the
 * index that fits the filters actually given.
 *
 * The text is interned (one copy per distinct text, process-wide, at most QB_INTERN_MAX):
 * db.c caches prepared statements by the address of their text, so a query built twice
 * is prepared once. Texts are built from the program's own fragments, never from input,
 * so the number of distinct texts is bounded by the combinations of filters.
 */
#include <stdbool.h>
#include <stddef.h>

#include "db.h"

#define QB_MAX_PARAMS 32
#define QB_INTERN_MAX 512

struct arena;

struct qb {
    struct arena *arena;
    char *sql;
    size_t len, cap;
    struct db_param params[QB_MAX_PARAMS];
    unsigned nparams;
    bool failed; /* out of memory or too many parameters: qb_exec answers DB_ERROR */
};

void qb_init(struct qb *q, struct arena *a);
/* Appends text that binds nparams parameters (its `?`s, in order). */
void qb_addp(struct qb *q, const char *text, const struct db_param *params, unsigned nparams);
#define qb_add(q, text) qb_addp((q), (text), NULL, 0)
/* qb_add(q, text) with the parameters listed: qb_addv(q, " AND x = ?", DB_STR(x)). */
#define qb_addv(q, text, ...)                                                              \
    qb_addp((q), (text), (const struct db_param[]){__VA_ARGS__},                           \
            (unsigned)(sizeof((const struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param)))
/* Appends another builder's text and parameters (a shared WHERE for a count and a page). */
void qb_append(struct qb *q, const struct qb *part);
/* The text's one interned copy (the same pointer for the same text); NULL when the build
 * failed or the intern table is full. */
const char *qb_sql(const struct qb *q);
/* Runs the statement (db_exec rules). */
int qb_exec(struct qb *q, struct db *db, struct db_result **out);

#endif

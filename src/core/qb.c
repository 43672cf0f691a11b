#include "qb.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "hash.h"

void qb_init(struct qb *q, struct arena *a)
{
    memset(q, 0, sizeof(*q));
    q->arena = a;
}

static void grow(struct qb *q, size_t more)
{
    if (q->failed || q->len + more + 1 <= q->cap)
        return;
    size_t cap = q->cap ? q->cap * 2 : 512;
    while (cap < q->len + more + 1)
        cap *= 2;
    char *p = arena_alloc(q->arena, cap);
    if (p == NULL) {
        q->failed = true;
        return;
    }
    if (q->len > 0)
        memcpy(p, q->sql, q->len);
    q->sql = p;
    q->cap = cap;
}

void qb_addp(struct qb *q, const char *text, const struct db_param *params, unsigned nparams)
{
    size_t n = strlen(text);
    grow(q, n);
    if (q->failed)
        return;
    if (q->nparams + nparams > QB_MAX_PARAMS) {
        log_error("qb: more than %d parameters", QB_MAX_PARAMS);
        q->failed = true;
        return;
    }
    memcpy(q->sql + q->len, text, n + 1);
    q->len += n;
    for (unsigned i = 0; i < nparams; i++)
        q->params[q->nparams++] = params[i];
}

void qb_append(struct qb *q, const struct qb *part)
{
    if (part->failed) {
        q->failed = true;
        return;
    }
    if (part->len > 0)
        qb_addp(q, part->sql, part->params, part->nparams);
}

/* ---- interning ---------------------------------------------------------------------- */

struct interned {
    unsigned hash;
    char *text;
};

static struct interned table[QB_INTERN_MAX * 2]; /* open addressing, at most half full */
static size_t ninterned;

/* The one copy of text; NULL when the table is full (the caller prepares uncached). */
static const char *intern(const char *text)
{
    unsigned h = hash_fnv1a(text);
    size_t size = sizeof(table) / sizeof(table[0]);
    for (size_t i = h % size;; i = (i + 1) % size) {
        if (table[i].text == NULL)
            break;
        if (table[i].hash == h && strcmp(table[i].text, text) == 0)
            return table[i].text;
    }
    if (ninterned >= QB_INTERN_MAX)
        return NULL;
    char *copy = strdup(text);
    if (copy == NULL)
        return NULL;
    size_t i = h % size;
    while (table[i].text != NULL)
        i = (i + 1) % size;
    table[i] = (struct interned){h, copy};
    ninterned++;
    return copy;
}

const char *qb_sql(const struct qb *q)
{
    return q->failed || q->sql == NULL ? NULL : intern(q->sql);
}

int qb_exec(struct qb *q, struct db *db, struct db_result **out)
{
    if (q->failed || q->sql == NULL)
        return DB_ERROR;
    const char *sql = qb_sql(q);
    if (sql == NULL) {
        static int warned;
        if (!warned++)
            log_warn("qb: more than %d distinct statements; new ones are not cached",
                     QB_INTERN_MAX);
        return db_exec_once(db, q->arena, q->sql, q->params, q->nparams, out);
    }
    return db_exec(db, q->arena, sql, q->params, q->nparams, out);
}

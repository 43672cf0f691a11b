/* Numbering a tenant's events in commit order (event_seq.h). */
#include "event_seq.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"

struct noted {
    char tenant[65];
    unsigned long long id;
};

struct pending {
    size_t n, cap;
    struct noted *items;
};

static void pending_free(void *state)
{
    struct pending *p = state;
    if (p != NULL)
        free(p->items);
    free(p);
}

/* Tenants in one order (no two transactions wait on each other's rows), ids ascending. */
static int noted_cmp(const void *a, const void *b)
{
    const struct noted *x = a, *y = b;
    int c = strcmp(x->tenant, y->tenant);
    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

/* The n items of one tenant take the numbers after its last one. The row's new last
 * number comes back as the statement's insert id (LAST_INSERT_ID(expr)): no read. */
static int number_run(struct db *db, struct arena *a, const struct noted *items, size_t n)
{
    const char *tenant = items[0].tenant;
    struct db_result *res;
    int rc = db_exec(db, a,
                     "UPDATE event_sequences SET last_seq = LAST_INSERT_ID(last_seq + ?)"
                     " WHERE tenant_id = ?",
                     DB_PARAMS(DB_INT((long long)n), DB_STR(tenant)), &res);
    unsigned long long last = rc == DB_OK ? res->insert_id : 0;
    if (rc == DB_OK && res->affected_rows == 0) { /* a tenant older than its trigger (sql/036) */
        rc = db_exec(db, a, "INSERT INTO event_sequences (tenant_id, last_seq) VALUES (?, ?)",
                     DB_PARAMS(DB_STR(tenant), DB_INT((long long)n)), NULL);
        last = n;
    }
    if (rc != DB_OK)
        return rc;
    long long first = (long long)last - (long long)n + 1;
    for (size_t i = 0; rc == DB_OK && i < n; i++)
        rc = db_exec(db, a, "UPDATE call_events SET seq = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(first + (long long)i), DB_INT((long long)items[i].id),
                               DB_STR(tenant)),
                     NULL);
    return rc;
}

static int number_pending(struct db *db, void *state)
{
    struct pending *p = state;
    struct arena *a = arena_create(4096);
    if (a == NULL)
        return DB_ERROR;
    qsort(p->items, p->n, sizeof(*p->items), noted_cmp);
    int rc = DB_OK;
    for (size_t i = 0, j; rc == DB_OK && i < p->n; i = j) {
        for (j = i + 1; j < p->n && strcmp(p->items[j].tenant, p->items[i].tenant) == 0; j++)
            ;
        rc = number_run(db, a, p->items + i, j - i);
    }
    arena_destroy(a);
    return rc;
}

static int add(struct pending *p, const char *tenant_id, unsigned long long id)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct noted *items = realloc(p->items, cap * sizeof(*items));
        if (items == NULL)
            return DB_ERROR;
        p->items = items;
        p->cap = cap;
    }
    struct noted *it = &p->items[p->n++];
    memset(it->tenant, 0, sizeof(it->tenant));
    strncpy(it->tenant, tenant_id, sizeof(it->tenant) - 1);
    it->id = id;
    return DB_OK;
}

int event_seq_note(struct db *db, const char *tenant_id, unsigned long long event_id)
{
    if (tenant_id == NULL || event_id == 0)
        return DB_OK;
    if (!db_in_transaction(db)) {
        struct noted one = {.id = event_id};
        strncpy(one.tenant, tenant_id, sizeof(one.tenant) - 1);
        struct pending p = {1, 1, &one};
        int rc = db_begin(db);
        if (rc == DB_OK)
            rc = db_finish(db, number_pending(db, &p));
        return rc;
    }
    struct pending *p = db_precommit_state(db, number_pending);
    if (p == NULL) {
        p = calloc(1, sizeof(*p));
        if (p == NULL)
            return DB_ERROR;
        if (db_precommit(db, number_pending, pending_free, p) != 0) {
            free(p);
            log_error("events: no room to number a transaction's events");
            return DB_ERROR;
        }
    }
    return add(p, tenant_id, event_id);
}

int event_write(struct db *db, struct arena *a, const char *tenant_id, const char *call_id,
                const char *type, const char *audience, const char *payload_json)
{
    struct db_result *res;
    int rc = db_exec(db, a,
                     "INSERT INTO call_events (tenant_id, call_id, type, audience, payload)"
                     " VALUES (?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(call_id), DB_STR(type),
                               DB_STR(audience), DB_STR(payload_json)),
                     &res);
    return rc == DB_OK ? event_seq_note(db, tenant_id, res->insert_id) : rc;
}

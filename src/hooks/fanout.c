/*
 * Fan-out: the event feed (call_events, written in the transaction of each change: the
 * outbox) to one webhook_deliveries row per (webhook, event).
 *
 * The position is the cursor row webhook_cursor('hooks') with the invariant of the event
 * worker's watermark (src/events/feed.c): every id <= last_event_id has been fanned out or
 * declared a gap. Ids are allocated at insert and seen at commit, so they commit out of
 * order: a read returning W+2 but not W+1 stops at W+1, which may be an open transaction,
 * until it commits or has been missing for GAP_GRACE_MS (then it is a gap: a rolled-back
 * transaction's id, which never commits). A batch's deliveries and the cursor's move are
 * one transaction, so a crash at any point neither loses an event (the cursor did not
 * move) nor fans one out twice (the deliveries and the cursor moved together; the unique
 * key (webhook_id, event_id) would refuse a second row anyway).
 *
 * The hole's first-seen time lives in memory: after a restart a hole is waited out again
 * from the start, which only delays.
 */
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "hooks.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "txn.h"

#define GAP_GRACE_MS 3000
#define BATCH 500 /* the LIMIT of the read, in its SQL text too */

long long hooks_clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The cursor as committed (made at the newest event when the row is missing). */
static int cursor_load(struct hooks *h)
{
    struct db_result *res;
    int rc = db_exec(h->db, h->arena,
                     "INSERT IGNORE INTO webhook_cursor (name, last_event_id)"
                     " SELECT 'hooks', COALESCE(MAX(id), 0) FROM call_events",
                     NULL, 0, NULL);
    if (rc == DB_OK)
        rc = db_exec(h->db, h->arena,
                     "SELECT last_event_id FROM webhook_cursor WHERE name = 'hooks'", NULL, 0,
                     &res);
    if (rc != DB_OK || res->nrows == 0)
        return rc != DB_OK ? rc : DB_ERROR;
    h->wm = (unsigned long long)db_get_int(res, 0, "last_event_id", 0);
    h->have_wm = true;
    h->hole.from = 0;
    log_info("hooks: fan-out starts after event %llu", h->wm);
    return DB_OK;
}

struct batch {
    struct hooks *h;
    const struct db_result *rows;
    size_t n;                /* rows[0..n) are fanned out */
    unsigned long long upto; /* the cursor after the batch */
    bool moved;              /* another process moved the cursor: reload it */
    int deliveries;
};

/* The JSON a receiver gets for row i: {id, type, tenant_id, created_at, data}. */
static const char *body_of(struct request *r, const struct db_result *rows, size_t i)
{
    const char *payload = db_get(rows, i, "payload");
    struct json_object *o = arena_json(r->arena, json_object_new_object()), *data = NULL;
    if (o == NULL)
        return NULL;
    if (payload == NULL || json_parse_object(payload, strlen(payload), &data) != 0)
        data = json_object_new_object();
    if (json_set_int(o, "id", db_get_int(rows, i, "id", 0)) ||
        json_set_str(o, "type", db_get(rows, i, "type")) ||
        json_set_str(o, "tenant_id", db_get(rows, i, "tenant_id")) ||
        json_set_str(o, "created_at", db_get(rows, i, "created_at")) || json_set(o, "data", data))
        return NULL;
    return arena_strdup(r->arena, json_text(o, NULL));
}

/* The webhooks event i goes to: a test to its one webhook, else the tenant's active
 * subscribers. Events for one user and internal ones (type "_…") go to none (*out NULL).
 * The webhooks are share-locked: the deliverer's record of an attempt locks its webhook
 * first, so whether a webhook has a delivery pending cannot change under fan_row(). */
static int targets(struct request *r, const struct db_result *rows, size_t i,
                   struct db_result **out)
{
    const char *type = db_get(rows, i, "type"), *aud = db_get(rows, i, "audience");
    const char *tenant = db_get(rows, i, "tenant_id");
    *out = NULL;
    if (type == NULL || type[0] == '_' || (aud != NULL && strncmp(aud, "user:", 5) == 0))
        return DB_OK;
    if (aud != NULL && strncmp(aud, "webhook:", 8) == 0)
        return db_exec(r->db, r->arena,
                       "SELECT id FROM webhooks WHERE id = ? AND tenant_id = ? AND is_active = 1"
                       " LOCK IN SHARE MODE",
                       DB_PARAMS(DB_STR(aud + 8), DB_STR(tenant)), out);
    return db_exec(r->db, r->arena,
                   "SELECT id FROM webhooks WHERE tenant_id = ? AND is_active = 1"
                   " AND (JSON_CONTAINS(events, '\"*\"') OR JSON_CONTAINS(events, JSON_QUOTE(?)))"
                   " LOCK IN SHARE MODE",
                   DB_PARAMS(DB_STR(tenant), DB_STR(type)), out);
}

/*
 * One delivery of event i to webhook k. Only a webhook's head (its oldest pending delivery)
 * is ever due: one queued behind another is parked at the end of time, and the deliverer
 * makes the next one due when it finishes the head, so its due scan never reads a backlog.
 */
static int fan_one(struct request *r, struct batch *b, size_t i, const char *webhook_id,
                   const char *body)
{
    struct db_result *queued;
    const char *id = id_new(r->arena, "whd_");
    if (id == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM webhook_deliveries WHERE webhook_id = ? AND tenant_id = ?"
                     " AND state = 'pending' LIMIT 1 LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(db_get(b->rows, i, "tenant_id"))),
                     &queued);
    if (rc != DB_OK)
        return rc;
    b->deliveries++;
    return db_exec(r->db, r->arena,
                   "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id,"
                   " event_type, body, next_attempt_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, IF(?, '9999-12-31 00:00:00', NOW(3)))"
                   " ON DUPLICATE KEY UPDATE id = id",
                   DB_PARAMS(DB_STR(id), DB_STR(db_get(b->rows, i, "tenant_id")),
                             DB_STR(webhook_id), DB_INT(db_get_int(b->rows, i, "id", 0)),
                             DB_STR(db_get(b->rows, i, "type")), DB_STR(body),
                             DB_INT(queued->nrows > 0)),
                   NULL);
}

static int fan_row(struct request *r, struct batch *b, size_t i)
{
    struct db_result *hooks;
    int rc = targets(r, b->rows, i, &hooks);
    if (rc != DB_OK || hooks == NULL || hooks->nrows == 0)
        return rc;
    const char *body = body_of(r, b->rows, i);
    if (body == NULL)
        return DB_ERROR;
    for (size_t k = 0; k < hooks->nrows && rc == DB_OK; k++)
        rc = fan_one(r, b, i, db_get(hooks, k, "id"), body);
    return rc;
}

static int batch_step(struct request *r, void *arg)
{
    struct batch *b = arg;
    struct db_result *cur;
    b->deliveries = 0;
    int rc = db_exec(r->db, r->arena,
                     "SELECT last_event_id FROM webhook_cursor WHERE name = 'hooks' FOR UPDATE",
                     NULL, 0, &cur);
    if (rc != DB_OK)
        return rc;
    if (cur->nrows == 0 || (unsigned long long)db_get_int(cur, 0, "last_event_id", 0) != b->h->wm) {
        b->moved = true; /* a second hooks process: ours is stale */
        return TXN_ANSWERED;
    }
    for (size_t i = 0; i < b->n && rc == DB_OK; i++)
        rc = fan_row(r, b, i);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_cursor SET last_event_id = ? WHERE name = 'hooks'",
                     DB_PARAMS(DB_INT(b->upto)), NULL);
    return rc;
}

/* How far the rows can be taken: b->n and b->upto; a hole still in its grace period stops
 * it (h->hole remembers it), an older one is a gap passed over. */
static void walk(struct hooks *h, struct batch *b)
{
    long long now = hooks_clock_ms();
    unsigned long long expect = h->wm + 1;
    b->n = 0;
    b->upto = h->wm;
    for (size_t i = 0; i < b->rows->nrows; i++) {
        unsigned long long id = (unsigned long long)db_get_int(b->rows, i, "id", 0);
        if (id > expect) {
            /* The same hole, or a part of it left open: it keeps its first-seen time. */
            bool known = h->hole.from != 0 && h->hole.from <= expect && expect <= h->hole.to;
            long long since = known ? h->hole.since : now;
            if (now - since < GAP_GRACE_MS) {
                h->hole = (struct hooks_hole){expect, id - 1, since};
                return;
            }
            log_info("hooks: events %llu..%llu not committed within %d ms: a gap", expect,
                     id - 1, GAP_GRACE_MS);
        }
        expect = id + 1;
        b->n = i + 1;
        b->upto = id;
    }
    h->hole.from = 0;
}

int hooks_fanout(struct hooks *h)
{
    struct db_result *rows;
    struct request r;
    if (!h->have_wm && cursor_load(h) != DB_OK)
        return -1;
    int rc = db_exec(h->db, h->arena,
                     "SELECT id, tenant_id, type, audience, payload, created_at FROM call_events"
                     " WHERE id > ? ORDER BY id LIMIT 500",
                     DB_PARAMS(DB_INT(h->wm)), &rows);
    if (rc != DB_OK)
        return -1;
    struct batch b = {.h = h, .rows = rows};
    walk(h, &b);
    if (b.n == 0)
        return 0;
    hooks_request(&r, h, NULL);
    rc = txn_run(&r, batch_step, &b);
    if (b.moved) {
        log_warn("hooks: the cursor moved under us (another switchboard-hooks?); reloading");
        h->have_wm = false;
        return 0;
    }
    if (rc != DB_OK)
        return -1;
    if (b.deliveries > 0)
        log_debug("hooks: events %llu..%llu: %d deliveries", h->wm + 1, b.upto, b.deliveries);
    h->wm = b.upto;
    return (int)b.n;
}

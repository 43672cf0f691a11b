/*
 * Delivery: each webhook's oldest pending delivery (its head) is sent once due, so a
 * webhook's deliveries go out in event order, one in flight at a time: the next is sent
 * only after the previous one succeeded or was given up. Heads of different webhooks are
 * sent together (http.c).
 *
 * Every attempt is a row of webhook_logs, written with the delivery's new state in one
 * transaction as the webhook's tenant. A failure is retried after a full-jitter backoff
 * (webhook.h) until webhook_give_up_seconds after its first attempt, then given up;
 * webhook_disable_after deliveries given up in a row disable the webhook, and its creator
 * (else the tenant's admins) gets a notification.
 *
 * A crash after a POST and before its record means that POST is sent again: receivers
 * dedupe on X-Switchboard-Delivery (the same id on every attempt).
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "txn.h"
#include "webhook.h"

#define HEADS 32 /* the LIMIT of the heads' read, in its SQL text too */
#define SECRET_PURPOSE "webhook-secret" /* as src/routes/webhooks_out.c seals it */
#define SECRET_MAX 96

struct outcome {
    struct hooks *h;
    const struct db_result *heads;
    size_t i;
    const struct hooks_call *call;
    bool disabled;
};

/* The secret of head i, opened into out. 0, or -1 (logged without the secret). */
static int secret_open(struct hooks *h, const struct db_result *heads, size_t i, char *out)
{
    int col = db_col_index(heads, "secret_encrypted");
    const struct db_cell *s = col < 0 ? NULL : &heads->cells[i * heads->ncols + (unsigned)col];
    if (s == NULL || s->v == NULL || s->len <= CRYPTO_SEAL_OVERHEAD ||
        s->len - CRYPTO_SEAL_OVERHEAD >= SECRET_MAX ||
        crypto_open(h->cfg->jwt_key, h->cfg->jwt_key_len, SECRET_PURPOSE,
                    (const unsigned char *)s->v, s->len, (unsigned char *)out) != 0) {
        log_error("hooks: the secret of webhook %s does not open (server key changed?)",
                  db_get(heads, i, "webhook_id"));
        return -1;
    }
    out[s->len - CRYPTO_SEAL_OVERHEAD] = '\0';
    return 0;
}

/* Who is told that a webhook was disabled: its creator while an active user of the
 * tenant, else the tenant's active admins. */
static int notify_owners(struct request *r, const char *webhook_id)
{
    struct db_result *u;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.id FROM webhooks w JOIN users u ON u.id = w.created_by"
                     " AND u.tenant_id = w.tenant_id AND u.is_active = 1"
                     " WHERE w.id = ? AND w.tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), &u);
    if (rc == DB_OK && u->nrows == 0)
        rc = db_exec(r->db, r->arena,
                     "SELECT u.id FROM user_roles ur JOIN users u ON u.id = ur.user_id"
                     " AND u.tenant_id = ur.tenant_id AND u.is_active = 1"
                     " WHERE ur.tenant_id = ? AND ur.role = 'admin'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &u);
    const char *data = arena_printf(r->arena, "{\"webhook_id\":\"%s\"}", webhook_id);
    for (size_t k = 0; rc == DB_OK && u != NULL && k < u->nrows; k++)
        rc = notify_user(r, &(struct notice){
                                .user_id = db_get(u, k, "id"),
                                .type = "webhook.disabled",
                                .title = "A webhook was disabled after repeated failures",
                                .body = "Its deliveries kept failing. Fix the receiver, then"
                                        " turn the webhook on again (is_active).",
                                .data_json = data,
                                .priority = "high"});
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/* A delivery given up: the webhook's run of failures grows, and at the limit it is off. */
static int give_up(struct request *r, struct outcome *o, const char *webhook_id)
{
    struct db_result *w;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE webhooks SET failure_count = failure_count + 1"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT failure_count, is_active FROM webhooks WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), &w);
    if (rc != DB_OK || w->nrows == 0 || db_get_int(w, 0, "is_active", 0) == 0 ||
        db_get_int(w, 0, "failure_count", 0) < o->h->cfg->webhook_disable_after)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "UPDATE webhooks SET is_active = 0, disabled_at = NOW(),"
                 " disabled_reason = 'deliveries given up repeatedly'"
                 " WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    /* Its pending deliveries wait, out of the due scan, until it is turned on again
     * (src/routes/webhooks_out.c makes them due then). */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_deliveries SET next_attempt_at = '9999-12-31 00:00:00'"
                     " WHERE webhook_id = ? AND tenant_id = ? AND state = 'pending'",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    o->disabled = rc == DB_OK;
    return rc == DB_OK ? notify_owners(r, webhook_id) : rc;
}

/* The head is done: the webhook's next pending delivery (parked so far) is due now. */
static int promote_next(struct request *r, const char *webhook_id)
{
    return db_exec(r->db, r->arena,
                   "UPDATE webhook_deliveries SET next_attempt_at = NOW(3)"
                   " WHERE webhook_id = ? AND tenant_id = ? AND state = 'pending'"
                   " ORDER BY event_id LIMIT 1",
                   DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
}

/* The delivery's state after a failed attempt: retried later, or given up. */
static int failed(struct request *r, struct outcome *o, int attempt, const char *id,
                  const char *webhook_id)
{
    const struct config *cfg = o->h->cfg;
    const struct hooks_call *c = o->call;
    long long age = db_get_int(o->heads, o->i, "age_ms", 0);
    bool last = age >= cfg->webhook_give_up_seconds * 1000LL;
    unsigned rnd = 0;
    if (crypto_random(&rnd, sizeof(rnd)) != 0)
        rnd = (unsigned)rand();
    long long delay = webhook_backoff_ms(cfg->webhook_retry_base_ms,
                                         cfg->webhook_retry_max_delay_ms, attempt, rnd);
    /* The last retry is at the deadline, not after it. */
    if (!last && age + delay > cfg->webhook_give_up_seconds * 1000LL)
        delay = cfg->webhook_give_up_seconds * 1000LL - age;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_error = ?,"
                     " first_attempt_at = COALESCE(first_attempt_at, NOW(3)),"
                     " state = IF(?, 'failed', 'pending'), finished_at = IF(?, NOW(3), NULL),"
                     " next_attempt_at = NOW(3) + INTERVAL ? * 1000 MICROSECOND"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(attempt), c->status ? DB_INT(c->status) : DB_NULL,
                               DB_STR(c->error), DB_INT(last), DB_INT(last), DB_INT(delay),
                               DB_STR(id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhooks SET last_triggered_at = NOW(), last_failure_at = NOW()"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK && last)
        rc = promote_next(r, webhook_id);
    return rc == DB_OK && last ? give_up(r, o, webhook_id) : rc;
}

static int succeeded(struct request *r, struct outcome *o, int attempt, const char *id,
                     const char *webhook_id)
{
    int rc = db_exec(r->db, r->arena,
                     "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?,"
                     " last_status = ?, last_error = NULL, finished_at = NOW(3)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(attempt), DB_INT(o->call->status), DB_STR(id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhooks SET failure_count = 0, last_triggered_at = NOW(),"
                     " last_success_at = NOW() WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    return rc == DB_OK ? promote_next(r, webhook_id) : rc;
}

/* One attempt's record: its log row and the delivery's and webhook's new state. */
static int record_step(struct request *r, void *arg)
{
    struct outcome *o = arg;
    const struct hooks_call *c = o->call;
    const char *id = db_get(o->heads, o->i, "id");
    const char *webhook_id = db_get(o->heads, o->i, "webhook_id");
    struct db_result *d;
    /* The webhook first, as fan-out (share) and the API's writes lock it: no deadlock, and
     * fan-out sees whether a delivery is pending as this record leaves it. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM webhooks WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), &d);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT attempts, state FROM webhook_deliveries WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &d);
    if (rc != DB_OK || d->nrows == 0 || strcmp(db_get(d, 0, "state"), "pending") != 0)
        return rc; /* deleted with its webhook meanwhile */
    int attempt = (int)db_get_int(d, 0, "attempts", 0) + 1;
    bool ok = c->error[0] == '\0';
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO webhook_logs (tenant_id, webhook_id, event, delivery_id,"
                 " status_code, response_time_ms, response_body, attempt, success, error)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(webhook_id),
                           DB_STR(db_get(o->heads, o->i, "event_type")), DB_STR(id),
                           c->status >= 100 && c->status <= 599 ? DB_INT(c->status) : DB_NULL,
                           DB_INT(c->latency_ms), DB_STRN(c->answer, c->answer_len),
                           DB_INT(attempt), DB_INT(ok), ok ? DB_NULL : DB_STR(c->error)),
                 NULL);
    if (rc != DB_OK)
        return rc;
    return ok ? succeeded(r, o, attempt, id, webhook_id) : failed(r, o, attempt, id, webhook_id);
}

static int record(struct hooks *h, const struct db_result *heads, size_t i,
                  const struct hooks_call *c)
{
    struct request r;
    struct outcome o = {.h = h, .heads = heads, .i = i, .call = c};
    hooks_request(&r, h, db_get(heads, i, "tenant_id"));
    int rc = txn_run(&r, record_step, &o);
    if (rc != DB_OK)
        log_warn("hooks: delivery %s: cannot record the attempt (%s); it is sent again",
                 db_get(heads, i, "id"), db_last_error(h->db));
    else if (o.disabled)
        log_warn("hooks: webhook %s disabled: its deliveries were given up %ld times in a row",
                 db_get(heads, i, "webhook_id"), h->cfg->webhook_disable_after);
    return rc;
}

int hooks_deliver(struct hooks *h)
{
    struct db_result *heads;
    int rc = db_exec(h->db, h->arena,
                     "SELECT d.id, d.tenant_id, d.webhook_id, d.event_type, d.body,"
                     " TIMESTAMPDIFF(MICROSECOND, COALESCE(d.first_attempt_at, NOW(3)), NOW(3))"
                     " DIV 1000 AS age_ms,"
                     " w.url, w.timeout_ms, w.secret_encrypted"
                     " FROM webhook_deliveries d JOIN webhooks w"
                     " ON w.id = d.webhook_id AND w.tenant_id = d.tenant_id"
                     " WHERE d.state = 'pending' AND d.next_attempt_at <= NOW(3)"
                     " AND w.is_active = 1 AND d.event_id = (SELECT MIN(q.event_id)"
                     " FROM webhook_deliveries q WHERE q.webhook_id = d.webhook_id"
                     " AND q.state = 'pending')"
                     " ORDER BY d.next_attempt_at LIMIT 32",
                     NULL, 0, &heads);
    if (rc != DB_OK)
        return -1;
    if (heads->nrows == 0)
        return 0;
    struct hooks_call *calls = arena_calloc(h->arena, heads->nrows, sizeof(*calls));
    char(*secrets)[SECRET_MAX] = arena_calloc(h->arena, heads->nrows, SECRET_MAX);
    if (calls == NULL || secrets == NULL)
        return -1;
    for (size_t i = 0; i < heads->nrows; i++) {
        calls[i] = (struct hooks_call){
            .url = db_get(heads, i, "url"), .body = db_get(heads, i, "body"),
            .delivery_id = db_get(heads, i, "id"), .event_type = db_get(heads, i, "event_type"),
            .timeout_ms = (long)db_get_int(heads, i, "timeout_ms", 5000), .secret = secrets[i]};
        if (secret_open(h, heads, i, secrets[i]) != 0)
            calls[i].secret = NULL; /* not sent: recorded as a failed attempt */
    }
    hooks_http_run(h, calls, heads->nrows);
    int unrecorded = 0;
    for (size_t i = 0; i < heads->nrows; i++) {
        explicit_bzero(secrets[i], SECRET_MAX);
        unrecorded += record(h, heads, i, &calls[i]) != DB_OK;
    }
    /* An attempt not recorded is still due: back off rather than send it again at once. */
    return unrecorded > 0 ? -1 : (int)heads->nrows;
}

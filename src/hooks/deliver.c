/*
 * Delivery: once a webhook's oldest pending delivery (its head) is due, the webhook's next
 * RUN_MAX pending deliveries are read in event order and sent as a run, one in flight at a
 * time on the webhook's own connection: the next is sent only after the previous one
 * answered 2xx, and the first failure ends the run (that delivery is retried with backoff,
 * the ones behind it wait). Runs of different webhooks are sent together (http.c).
 *
 * A run's attempts are recorded in one transaction as the webhook's tenant: a row of
 * webhook_logs per attempt (one INSERT), the delivered ones marked (one UPDATE), the
 * failed one's retry or give-up, and the webhook's next pending delivery made due. One
 * round trip set and one commit per run rather than per delivery is what lets one webhook
 * go faster than a commit per delivery. A failure is retried after a full-jitter backoff
 * (webhook.h) until webhook_give_up_seconds after its first attempt, then given up;
 * webhook_disable_after deliveries given up in a row disable the webhook, and its creator
 * (else the tenant's admins) gets a notification.
 *
 * A crash after a POST and before its run's record means the run's POSTs so far are sent
 * again, in the same order: receivers dedupe on X-Switchboard-Delivery (the same id on
 * every attempt). RUN_MAX bounds that repeat; http.c bounds a run's time (a receiver that
 * answers slowly would hold the round).
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "hooks.h"
#include "jsonutil.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "txn.h"
#include "webhook.h"

#define HEADS 32   /* the LIMIT of the heads' read, in its SQL text too */
#define RUN_MAX 50 /* the LIMIT of a run's read, in its SQL text too */
#define SECRET_PURPOSE "webhook-secret" /* as src/routes/webhooks_out.c seals it */
#define SECRET_MAX 96

/* One webhook's run: its head row (URL, secret) and deliveries (rows, in event order). */
struct outcome {
    struct hooks *h;
    const struct db_result *heads, *rows;
    size_t head;
    struct hooks_run run;
    const struct hooks_call *call; /* the failed attempt, for failed() */
    size_t i;                      /* its row */
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
    long long age = db_get_int(o->rows, o->i, "age_ms", 0);
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

/*
 * The attempts ks[0..k) (indexes into the run; att: their attempt numbers) as one JSON
 * array, the parameter of the record's statements (JSON_TABLE): two statements per run
 * whatever its length, where a parameter per value would outgrow db.c's bound. NULL when
 * out of memory.
 */
static const char *attempts_json(struct request *r, const struct outcome *o, const size_t *ks,
                                 const int *att, size_t k)
{
    struct json_object *a = arena_json(r->arena, json_object_new_array());
    int rc = a == NULL ? -1 : 0;
    for (size_t j = 0; j < k && rc == 0; j++) {
        const struct hooks_call *c = &o->run.calls[ks[j]];
        struct json_object *e = json_object_new_object();
        bool ok = c->error[0] == '\0';
        rc = json_set_str(e, "d", c->delivery_id) || json_set_str(e, "e", c->event_type) ||
             json_set_int(e, "l", c->latency_ms) || json_set_int(e, "a", att[j]) ||
             json_set_int(e, "ok", ok) ||
             json_add(e, "b", json_object_new_string_len(c->answer, (int)c->answer_len)) ||
             (c->status >= 100 && c->status <= 599 && json_set_int(e, "s", c->status)) ||
             (!ok && json_set_str(e, "err", c->error));
        rc = json_push(a, json_done(e, rc)) || rc ? -1 : 0;
    }
    return rc == 0 ? arena_strdup(r->arena, json_text(a, NULL)) : NULL;
}

/* The run's attempts (JSON from attempts_json): a log row each, the delivered ones marked,
 * and, when any was, the webhook's run of failures over. */
static int record_attempts(struct request *r, const char *webhook_id, const char *json,
                           bool any_ok)
{
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO webhook_logs (tenant_id, webhook_id, event, delivery_id,"
                     " status_code, response_time_ms, response_body, attempt, success, error)"
                     " SELECT ?, ?, j.e, j.d, j.s, j.l, j.b, j.a, j.ok, j.err FROM JSON_TABLE(?,"
                     " '$[*]' COLUMNS (d VARCHAR(64) PATH '$.d', e VARCHAR(64) PATH '$.e',"
                     " s INT PATH '$.s', l INT PATH '$.l', b TEXT PATH '$.b', a INT PATH '$.a',"
                     " ok TINYINT PATH '$.ok', err VARCHAR(1024) PATH '$.err')) j",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(webhook_id), DB_STR(json)),
                     NULL);
    if (rc != DB_OK || !any_ok)
        return rc;
    /* The array drives the join (STRAIGHT_JOIN): a primary-key lookup per delivery. */
    rc = db_exec(r->db, r->arena,
                 "UPDATE JSON_TABLE(?, '$[*]' COLUMNS (d VARCHAR(64) PATH '$.d',"
                 " s INT PATH '$.s', ok TINYINT PATH '$.ok')) j STRAIGHT_JOIN webhook_deliveries w"
                 " ON w.id = j.d COLLATE utf8mb4_uca1400_as_ci"
                 " SET w.state = 'delivered', w.attempts = w.attempts + 1, w.last_status = j.s,"
                 " w.last_error = NULL, w.finished_at = NOW(3)"
                 " WHERE j.ok = 1 AND w.tenant_id = ? AND w.state = 'pending'",
                 DB_PARAMS(DB_STR(json), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE webhooks SET failure_count = 0, last_triggered_at = NOW(),"
                     " last_success_at = NOW() WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), NULL);
    return rc;
}

/* The attempts of the run still to record: ks[] the run's indexes whose delivery is still
 * pending (locked), att[] their attempt numbers. The count. */
static size_t still_pending(const struct outcome *o, const struct db_result *d, size_t *ks,
                            int *att)
{
    size_t k = 0;
    for (size_t i = 0; i < o->run.done; i++)
        for (size_t j = 0; j < d->nrows; j++)
            if (strcmp(db_get(d, j, "id"), o->run.calls[i].delivery_id) == 0) {
                ks[k] = i;
                att[k++] = (int)db_get_int(d, j, "attempts", 0) + 1;
                break;
            }
    return k;
}

/* A run's record: its log rows and the deliveries' and webhook's new state. */
static int record_step(struct request *r, void *arg)
{
    struct outcome *o = arg;
    const char *webhook_id = db_get(o->heads, o->head, "webhook_id");
    struct db_result *d;
    size_t ks[RUN_MAX], k, nok;
    int att[RUN_MAX];
    o->disabled = false;
    /* The webhook first, as fan-out (share) and the API's writes lock it: no deadlock, and
     * fan-out sees whether a delivery is pending as this record leaves it. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM webhooks WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id)), &d);
    /* Fan-out only adds later events, so the run is the head of what is still pending
     * (less what was deleted with the webhook meanwhile). */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, attempts FROM webhook_deliveries WHERE webhook_id = ?"
                     " AND tenant_id = ? AND state = 'pending' ORDER BY event_id LIMIT ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(webhook_id), DB_STR(r->auth.tenant_id),
                               DB_INT(o->run.done)),
                     &d);
    if (rc != DB_OK || (k = still_pending(o, d, ks, att)) == 0)
        return rc;
    const struct hooks_call *last = &o->run.calls[ks[k - 1]];
    nok = last->error[0] == '\0' ? k : k - 1;
    const char *json = attempts_json(r, o, ks, att, k);
    rc = json == NULL ? DB_ERROR : record_attempts(r, webhook_id, json, nok > 0);
    if (rc != DB_OK)
        return rc;
    if (nok == k)
        return promote_next(r, webhook_id);
    o->call = last;
    o->i = ks[k - 1];
    return failed(r, o, att[k - 1], last->delivery_id, webhook_id);
}

static int record(struct outcome *o)
{
    struct request r;
    const struct db_result *heads = o->heads;
    hooks_request(&r, o->h, db_get(heads, o->head, "tenant_id"));
    int rc = txn_run(&r, record_step, o);
    if (rc != DB_OK)
        log_warn("hooks: webhook %s: cannot record %zu attempts (%s); they are sent again",
                 db_get(heads, o->head, "webhook_id"), o->run.done, db_last_error(o->h->db));
    else if (o->disabled)
        log_warn("hooks: webhook %s disabled: its deliveries were given up %ld times in a row",
                 db_get(heads, o->head, "webhook_id"), o->h->cfg->webhook_disable_after);
    return rc;
}

/* The run of head i: the webhook's first RUN_MAX pending deliveries in event order, when
 * the first of them is due (else o->run.n is 0: its true head waits for a retry). */
static int read_run(struct hooks *h, struct outcome *o, char *secret)
{
    const struct db_result *heads = o->heads;
    size_t i = o->head;
    struct db_result *rows;
    int rc = db_exec(h->db, h->arena,
                     "SELECT id, event_type, body, next_attempt_at <= NOW(3) AS due,"
                     " TIMESTAMPDIFF(MICROSECOND, COALESCE(first_attempt_at, NOW(3)), NOW(3))"
                     " DIV 1000 AS age_ms FROM webhook_deliveries"
                     " WHERE webhook_id = ? AND tenant_id = ? AND state = 'pending'"
                     " ORDER BY event_id LIMIT 50",
                     DB_PARAMS(DB_STR(db_get(heads, i, "webhook_id")),
                               DB_STR(db_get(heads, i, "tenant_id"))),
                     &rows);
    if (rc != DB_OK)
        return rc;
    o->rows = rows;
    o->run.n = rows->nrows > 0 && db_get_int(rows, 0, "due", 0) ? rows->nrows : 0;
    o->run.calls = arena_calloc(h->arena, rows->nrows + 1, sizeof(struct hooks_call));
    if (o->run.calls == NULL)
        return DB_ERROR;
    bool sealed = secret_open(h, heads, i, secret) == 0;
    for (size_t k = 0; k < o->run.n; k++)
        o->run.calls[k] = (struct hooks_call){
            .url = db_get(heads, i, "url"), .body = db_get(rows, k, "body"),
            .delivery_id = db_get(rows, k, "id"), .event_type = db_get(rows, k, "event_type"),
            .timeout_ms = (long)db_get_int(heads, i, "timeout_ms", 5000),
            .secret = sealed ? secret : NULL}; /* NULL: not sent, a failed attempt */
    return DB_OK;
}

/* The heads' rows of distinct webhooks (only a head is ever due, but should two of a
 * webhook be, its run is read once). */
static bool seen_before(const struct db_result *heads, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(db_get(heads, j, "webhook_id"), db_get(heads, i, "webhook_id")) == 0)
            return true;
    return false;
}

int hooks_deliver(struct hooks *h)
{
    struct db_result *heads;
    int rc = db_exec(h->db, h->arena,
                     "SELECT d.webhook_id, d.tenant_id, w.url, w.timeout_ms, w.secret_encrypted"
                     " FROM webhook_deliveries d JOIN webhooks w"
                     " ON w.id = d.webhook_id AND w.tenant_id = d.tenant_id"
                     " WHERE d.state = 'pending' AND d.next_attempt_at <= NOW(3)"
                     " AND w.is_active = 1 ORDER BY d.next_attempt_at LIMIT 32",
                     NULL, 0, &heads);
    if (rc != DB_OK)
        return -1;
    size_t n = heads->nrows, sent = 0;
    if (n == 0)
        return 0;
    struct outcome *o = arena_calloc(h->arena, n, sizeof(*o));
    struct hooks_run *runs = arena_calloc(h->arena, n, sizeof(*runs));
    char(*secrets)[SECRET_MAX] = arena_calloc(h->arena, n, SECRET_MAX);
    if (o == NULL || runs == NULL || secrets == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        o[i] = (struct outcome){.h = h, .heads = heads, .head = i};
        if (!seen_before(heads, i) && read_run(h, &o[i], secrets[i]) != DB_OK)
            rc = DB_ERROR;
        runs[i] = o[i].run;
    }
    if (rc == DB_OK)
        hooks_http_run(h, runs, n);
    int unrecorded = 0;
    for (size_t i = 0; i < n; i++) {
        explicit_bzero(secrets[i], SECRET_MAX);
        o[i].run = runs[i];
        sent += runs[i].done;
        if (rc == DB_OK && runs[i].done > 0)
            unrecorded += record(&o[i]) != DB_OK;
    }
    /* An attempt not recorded is still due: back off rather than send it again at once. */
    return rc != DB_OK || unrecorded > 0 ? -1 : (int)sent;
}

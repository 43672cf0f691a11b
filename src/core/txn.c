#include "txn.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "idempotency.h"
#include "jsonutil.h"
#include "log.h"

void txn_after_commit(struct request *r, txn_hook fn, const char *arg)
{
    for (size_t i = 0; i < r->nhooks; i++) {
        const char *a = r->hooks[i].arg;
        if (r->hooks[i].fn == fn && (a == arg || (a && arg && strcmp(a, arg) == 0)))
            return;
    }
    if (r->nhooks == REQUEST_MAX_HOOKS) {
        /* A programming error (a step with more hooks than fit): say so loudly. */
        log_error("txn: more than %d post-commit hooks; one is dropped", REQUEST_MAX_HOOKS);
        return;
    }
    r->hooks[r->nhooks++] = (struct txn_hook_entry){fn, arg};
}

/* What the request asks, so a key reused for something else is told apart. */
static void request_fingerprint(struct request *r, char out[65])
{
    size_t ml = strlen(r->method), pl = strlen(r->path), n = ml + pl + 2 + r->body_len;
    char *buf = arena_alloc(r->arena, n + 1);
    if (buf == NULL) {
        crypto_sha256_hex(r->path, pl, out);
        return;
    }
    memcpy(buf, r->method, ml);
    buf[ml] = '\n';
    memcpy(buf + ml + 1, r->path, pl);
    buf[ml + 1 + pl] = '\n';
    if (r->body_len > 0)
        memcpy(buf + ml + pl + 2, r->body, r->body_len);
    crypto_sha256_hex(buf, n, out);
}

/* The answer the step built, rendered as one text (for the idempotency record). */
static const char *answer_text(struct request *r, size_t *len)
{
    struct rendered out;
    if (request_render(r, &out) != 0)
        return NULL;
    char *text = arena_alloc(r->arena, out.total + 1);
    if (text == NULL)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < out.n; i++) {
        memcpy(text + o, out.part[i], out.len[i]);
        o += out.len[i];
    }
    text[o] = '\0';
    *len = o;
    /* The first answer goes out as stored, so a replay is byte for byte the same. */
    reply_raw(r, r->reply.status, text, o);
    return text;
}

/* One attempt: DB_OK (committed), TXN_ANSWERED, or a negative db_rc (rolled back). */
static int attempt(struct request *r, const char *key, const char *fingerprint,
                   txn_step step, void *arg)
{
    int rc = db_begin(r->db);
    if (rc != DB_OK)
        return rc;
    if (key != NULL) {
        struct idem_answer ans;
        rc = idem_claim(r->db, r->arena, r->auth.tenant_id, key, fingerprint, &ans);
        if (rc == IDEM_REPLAY || rc == IDEM_MISMATCH || rc < 0) {
            db_rollback(r->db);
            if (rc < 0)
                return rc;
            if (rc == IDEM_MISMATCH) {
                request_field_error(r, "Idempotency-Key",
                                    "was used for a different request within 24 hours");
                request_check_fields(r);
                return TXN_ANSWERED;
            }
            r->replayed = true;
            reply_raw(r, ans.status, ans.body, ans.len);
            return TXN_ANSWERED;
        }
    }
    rc = step(r, arg);
    int status = r->reply.status;
    if (rc == DB_OK && key != NULL && status >= 200 && status < 300) {
        size_t len = 0;
        const char *text = answer_text(r, &len);
        rc = text ? idem_store(r->db, r->arena, r->auth.tenant_id, key, status, text, len)
                  : DB_ERROR;
    }
    if (rc != DB_OK) {
        db_rollback(r->db);
        return rc;
    }
    return db_commit(r->db);
}

int txn_fail(struct request *r, int status, const char *code, const char *message)
{
    request_error(r, status, code, message);
    return TXN_ANSWERED;
}

int txn_reply(struct request *r, int rc)
{
    if (rc == DB_OK)
        return 0;
    if (rc == TXN_ANSWERED)
        return r->reply.status < 400 ? 0 : -1;
    return request_db_error(r, rc);
}

/* The route declares it takes a key (ROUTE_IDEMPOTENT); its first transaction claims it. */
static int key_of(struct request *r, const char **key)
{
    *key = NULL;
    const struct route *route = r->match.route;
    if (route == NULL || !(route->flags & ROUTE_IDEMPOTENT) || !r->auth.authenticated ||
        r->key_claimed)
        return 0;
    r->key_claimed = true;
    const char *k = request_header(r, "Idempotency-Key");
    if (k == NULL)
        return 0;
    if (!idem_key_valid(k)) {
        request_field_error(r, "Idempotency-Key",
                            "must be 1 to 255 printable characters without spaces");
        return request_check_fields(r);
    }
    *key = k;
    return 0;
}

/* Up to TXN_BACKOFF_MS << attempt; the clock's nanoseconds are random enough to part two
 * workers that collided at the same moment. */
static void retry_pause(int attempt)
{
    struct timespec now, pause;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return;
    long cap_us = (long)TXN_BACKOFF_MS * 1000L << attempt;
    long us = 1 + (long)((unsigned long)now.tv_nsec / 1000UL % (unsigned long)cap_us);
    pause.tv_sec = us / 1000000L;
    pause.tv_nsec = us % 1000000L * 1000L;
    nanosleep(&pause, NULL);
}

int txn_run(struct request *r, txn_step step, void *arg)
{
    const char *key;
    char fingerprint[65];
    if (key_of(r, &key) != 0)
        return TXN_ANSWERED;
    if (key != NULL)
        request_fingerprint(r, fingerprint);
    int rc = DB_DEADLOCK;
    for (int i = 0; i < TXN_ATTEMPTS && rc == DB_DEADLOCK; i++) {
        if (i > 0) {
            log_info("txn: deadlock or lock wait timeout; attempt %d of %d", i + 1,
                     TXN_ATTEMPTS);
            retry_pause(i);
        }
        r->nhooks = 0;
        request_unanswer(r);
        rc = attempt(r, key, fingerprint, step, arg);
    }
    if (rc != DB_OK) {
        r->nhooks = 0;
        if (rc < 0)
            request_unanswer(r);
        return rc;
    }
    for (size_t i = 0; i < r->nhooks; i++)
        r->hooks[i].fn(r, r->hooks[i].arg);
    return DB_OK;
}

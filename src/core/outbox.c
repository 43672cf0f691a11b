/* The outbox (outbox.h): sealed messages waiting for delivery. */
#include "outbox.h"

#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"

/* The sealing key's purpose: a body sealed here opens nowhere else. */
#define OUTBOX_PURPOSE "outbox-body"

int outbox_put(struct db *db, struct arena *a, const struct config *cfg, const char *tenant_id,
               const char *kind, const char *recipient, const char *subject, const char *body)
{
    size_t n = strlen(body);
    unsigned char *sealed = n <= OUTBOX_BODY_MAX ? arena_alloc(a, n + CRYPTO_SEAL_OVERHEAD) : NULL;
    char *id = id_new(a, "msg_");
    if (sealed == NULL || id == NULL ||
        crypto_seal(cfg->jwt_key, cfg->jwt_key_len, OUTBOX_PURPOSE, body, n, sealed) != 0)
        return DB_ERROR;
    return db_exec(db, a,
                   "INSERT INTO outbox (id, tenant_id, kind, recipient, subject, body_sealed)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(id), DB_STR(tenant_id), DB_STR(kind), DB_STR(recipient),
                             DB_STR(subject),
                             DB_STRN((const char *)sealed, n + CRYPTO_SEAL_OVERHEAD)),
                   NULL);
}

/* Row i as its JSON line, the body opened; NULL when it does not open (the key changed). */
static struct json_object *message(struct arena *a, const struct config *cfg,
                                   const struct db_result *res, size_t i)
{
    int col = db_col_index(res, "body_sealed");
    if (col < 0)
        return NULL;
    const struct db_cell *c = &res->cells[i * res->ncols + (unsigned)col];
    if (c->v == NULL || c->len < CRYPTO_SEAL_OVERHEAD)
        return NULL;
    size_t n = c->len - CRYPTO_SEAL_OVERHEAD;
    char *body = arena_alloc(a, n + 1);
    if (body == NULL || crypto_open(cfg->jwt_key, cfg->jwt_key_len, OUTBOX_PURPOSE,
                                    (const unsigned char *)c->v, c->len,
                                    (unsigned char *)body) != 0)
        return NULL;
    body[n] = '\0';
    struct json_object *o = json_object_new_object();
    static const char *const cols[] = {"id", "tenant_id", "kind", "recipient", "subject"};
    int rc = 0;
    for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
        rc |= json_set_str(o, cols[k], db_get(res, i, cols[k]));
    rc |= json_set_str(o, "body", body) | json_set_str(o, "created_at", db_get(res, i, "created_at"));
    explicit_bzero(body, n);
    return json_done(o, rc);
}

static int print_rows(struct arena *a, const struct config *cfg, const struct db_result *res,
                      FILE *out)
{
    for (size_t i = 0; i < res->nrows; i++) {
        struct json_object *o = message(a, cfg, res, i);
        if (o == NULL) {
            fprintf(stderr, "switchboard-admin: message %s does not open (server key changed?)\n",
                    db_get(res, i, "id"));
            return -1;
        }
        int rc = fprintf(out, "%s\n", json_text(o, NULL)) < 0 ? -1 : 0;
        json_object_put(o);
        if (rc != 0)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

int outbox_print(struct db *db, struct arena *a, const struct config *cfg,
                 const char *tenant_id, bool mark_sent, FILE *out)
{
    struct db_result *res = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db, a,
                     "SELECT id, tenant_id, kind, recipient, subject, body_sealed,"
                     " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') AS created_at"
                     " FROM outbox WHERE sent_at IS NULL AND (? IS NULL OR tenant_id = ?)"
                     " ORDER BY created_at, id FOR UPDATE",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(tenant_id)), &res);
    if (rc == DB_OK && print_rows(a, cfg, res, out) != 0)
        rc = DB_ERROR;
    /* Exactly the messages printed: one queued meanwhile stays pending. */
    for (size_t i = 0; rc == DB_OK && mark_sent && i < res->nrows; i++)
        rc = db_exec(db, a, "UPDATE outbox SET sent_at = NOW() WHERE id = ?",
                     DB_PARAMS(DB_STR(db_get(res, i, "id"))), NULL);
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc != DB_OK)
        fprintf(stderr, "switchboard-admin: cannot read the outbox: %s\n", db_last_error(db));
    return rc == DB_OK ? 0 : -1;
}

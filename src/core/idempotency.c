#include "idempotency.h"

#include <string.h>

#include "crypto.h"
#include "db.h"


int idem_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (; *key; key++)
        if ((unsigned char)*key < 0x21 || (unsigned char)*key > 0x7e)
            return 0;
    return 1;
}

/* No answer is stored (expired and deleted now): distinct from every enum idem_rc. */
#define IDEM_ABSENT 3

/* The stored answer of a committed claim: IDEM_REPLAY, IDEM_MISMATCH, IDEM_ABSENT, or a
 * db_rc. */
static int idem_lookup(struct db *db, struct arena *a, const char *tenant_id,
                       const char *key_hash, const char *request_hash,
                       struct idem_answer *answer)
{
    struct db_result *res;
    int rc = db_exec(db, a,
                     "SELECT request_hash, status, response,"
                     " created_at > NOW() - INTERVAL 24 HOUR AS fresh"
                     " FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?"
                     " LOCK IN SHARE MODE", /* the latest commit, not a snapshot */
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(key_hash)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return IDEM_ABSENT;
    if (db_get_int(res, 0, "fresh", 0) == 0) {
        rc = db_exec(db, a,
                     "DELETE FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?"
                     " AND created_at <= NOW() - INTERVAL 24 HOUR",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(key_hash)), NULL);
        return rc == DB_OK ? IDEM_ABSENT : rc;
    }
    const char *stored = db_get(res, 0, "request_hash");
    const char *body = db_get(res, 0, "response");
    if (stored == NULL || strcmp(stored, request_hash) != 0)
        return IDEM_MISMATCH;
    if (body == NULL)
        return DB_ERROR; /* stored with its answer in one transaction: cannot happen */
    answer->status = (int)db_get_int(res, 0, "status", 200);
    answer->body = body;
    answer->len = strlen(body);
    return IDEM_REPLAY;
}

int idem_claim(struct db *db, struct arena *a, const char *tenant_id, const char *key,
               const char *request_hash, struct idem_answer *answer)
{
    char key_hash[65];
    crypto_sha256_hex(key, strlen(key), key_hash);
    int rc = db_exec(db, a,
                     "INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash)"
                     " VALUES (?, ?, ?)",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(key_hash), DB_STR(request_hash)),
                     NULL);
    if (rc != DB_DUPLICATE)
        return rc == DB_OK ? IDEM_CLAIMED : rc;
    /* The insert waited for the other request's transaction: it committed. */
    rc = idem_lookup(db, a, tenant_id, key_hash, request_hash, answer);
    if (rc != IDEM_ABSENT)
        return rc;
    /* Expired (now deleted) or gone: claim it afresh, once. */
    rc = db_exec(db, a,
                 "INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash)"
                 " VALUES (?, ?, ?)",
                 DB_PARAMS(DB_STR(tenant_id), DB_STR(key_hash), DB_STR(request_hash)), NULL);
    return rc == DB_OK ? IDEM_CLAIMED : rc == DB_DUPLICATE ? DB_DEADLOCK : rc;
}

int idem_store(struct db *db, struct arena *a, const char *tenant_id, const char *key,
               int status, const char *body, size_t len)
{
    char key_hash[65];
    crypto_sha256_hex(key, strlen(key), key_hash);
    return db_exec(db, a,
                   "UPDATE idempotency_keys SET status = ?, response = ?"
                   " WHERE tenant_id = ? AND key_hash = ?",
                   DB_PARAMS(DB_INT(status), DB_STRN(body, len), DB_STR(tenant_id),
                             DB_STR(key_hash)),
                   NULL);
}

#ifndef SB_IDEMPOTENCY_H
#define SB_IDEMPOTENCY_H
/*
 * Idempotency-Key on creates (table idempotency_keys): the first answer to a key of a
 * tenant is kept for 24 hours and replayed for the same key. The claim is an INSERT in
 * the create's own transaction and the answer is stored before its commit, so a key has
 * an answer exactly when its record exists: a retry after a lost answer replays it, a
 * retry after a rollback (a killed worker, a 503) creates it. A second request with the
 * same key waits on the first one's row lock until it commits or rolls back.
 */
#include <stddef.h>

struct arena;
struct db;

#define IDEMPOTENCY_KEY_MAX 255

struct idem_answer {
    int status;
    const char *body; /* arena */
    size_t len;
};

enum idem_rc {
    IDEM_CLAIMED = 0,   /* ours: run the create, then idem_store() before the commit */
    IDEM_REPLAY = 1,    /* answered before: *answer holds it (the transaction is unused) */
    IDEM_MISMATCH = 2,  /* the key was used for a different request */
};

/* 1 when key is 1..IDEMPOTENCY_KEY_MAX printable ASCII characters. */
int idem_key_valid(const char *key);

/*
 * Inside an open transaction: claims key for the tenant, request_hash being the SHA-256
 * hex of what the request asks (method, path, body). On IDEM_REPLAY or IDEM_MISMATCH the
 * caller rolls back. Returns an enum idem_rc or a negative db_rc (DB_DUPLICATE never:
 * that is a replay).
 */
int idem_claim(struct db *db, struct arena *a, const char *tenant_id, const char *key,
               const char *request_hash, struct idem_answer *answer);

/* Inside the same transaction: the answer to keep for the key. DB_OK or a db_rc. */
int idem_store(struct db *db, struct arena *a, const char *tenant_id, const char *key,
               int status, const char *body, size_t len);

#endif

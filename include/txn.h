#ifndef SB_TXN_H
#define SB_TXN_H
/*
 * One write, one transaction: begin, the step, commit; retried from the start on a
 * deadlock or a lock-wait timeout (MariaDB 1213/1205), up to TXN_ATTEMPTS times; then
 * the post-commit hooks the step registered (event wake-up, cache generation bumps), which
 * run only once the write is durable. The step builds the whole answer inside the
 * transaction (request_reply…), so no answer depends on a read after the commit: a
 * database lost between commit and answer cannot turn a done write into a 503.
 *
 * A step returns DB_OK to commit, a negative db_rc (rolled back; DB_DEADLOCK retried,
 * anything else answered by request_db_error unless the step answered already), or
 * TXN_ANSWERED when it answered an error itself (404, 409…: rolled back).
 *
 * On a route declared ROUTE_IDEMPOTENT (router.h), an `Idempotency-Key` header (when
 * authenticated) is claimed by the request's first transaction, in it (idempotency.h): a repeat of the key replays the first
 * answer with `Idempotent-Replayed: true`; a 2xx answer is stored before the commit.
 */
#include "request.h"

/* Attempts on a deadlock or lock wait timeout; before each retry a random pause of up to
 * TXN_BACKOFF_MS << attempt, so the transactions that collided do not collide again. On
 * Galera a certification conflict is the same error, and the writes of one tenant meet
 * on its event sequence row from every node at once: 8 attempts (pauses up to 0.5 s,
 * about 1 s in all) ride out a burst where 4 answered 503 (docs/scale-out.md). */
#define TXN_ATTEMPTS 8
#define TXN_BACKOFF_MS 4
#define TXN_ANSWERED 1

typedef int (*txn_step)(struct request *r, void *arg);

/*
 * DB_OK when the write committed (the step's answer stands); TXN_ANSWERED when an answer
 * was given (the step's error, a replay, a bad key); else a negative db_rc, unanswered:
 * the caller maps the ones it knows (DB_DUPLICATE: its 409) and passes the rest to
 * request_db_error(). txn_reply() does the last for the common case.
 */
int txn_run(struct request *r, txn_step step, void *arg);

/* In a step: answers the error and returns TXN_ANSWERED (the transaction rolls back). */
int txn_fail(struct request *r, int status, const char *code, const char *message);

/* The handler's return value for a txn_run() outcome: 0, or -1 with an error answered. */
int txn_reply(struct request *r, int rc);

/*
 * From inside a step: fn(r, arg) runs after the commit, once per distinct (fn, arg); arg
 * (may be NULL) is kept as given and must live in the request arena or longer. A retried
 * step registers again; a rolled-back one's hooks never run.
 */
void txn_after_commit(struct request *r, txn_hook fn, const char *arg);

#endif

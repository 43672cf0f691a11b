#ifndef SB_OUTBOX_H
#define SB_OUTBOX_H
/*
 * Messages for people (the `outbox` table, sql/010): written by the API inside the
 * transaction that has something to tell (a password reset), delivered by whoever reads
 * the pending ones: `switchboard-admin outbox` today, a mailer later. A body may carry a
 * secret (a reset token), so it is sealed at rest under the server key (crypto.h) and
 * only ever opened to be delivered; it never goes into a log.
 */
#include <stdbool.h>
#include <stdio.h>

struct arena;
struct config;
struct db;

/* The longest body (sealed, it fills outbox.body_sealed). */
#define OUTBOX_BODY_MAX 2048

/* Inside the caller's transaction: queues a message. DB_OK or a db_rc (DB_ERROR: body too
 * long, or sealing failed). */
int outbox_put(struct db *db, struct arena *a, const struct config *cfg, const char *tenant_id,
               const char *kind, const char *recipient, const char *subject,
               const char *body);

/*
 * The pending messages (of tenant_id; NULL: every tenant's), oldest first, one JSON object
 * a line on out: {id, tenant_id, kind, recipient, subject, body, created_at}, the body
 * unsealed; with mark_sent they are marked sent in the same transaction. 0, or -1 with
 * the reason on stderr.
 */
int outbox_print(struct db *db, struct arena *a, const struct config *cfg,
                 const char *tenant_id, bool mark_sent, FILE *out);

#endif

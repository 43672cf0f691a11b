/*
 * The delivery process's rows of SMS (sms.h). These statements span tenants: they are the
 * delivery's own, like webhook deliveries (src/hooks/deliver.c), never a request's.
 */
#include <stddef.h>

#include "db.h"
#include "sms.h"

static int claim_step(struct db *db, struct arena *a, int max, long lease_s,
                      struct db_result **out)
{
    struct db_result *res;
    int rc = db_exec(db, a,
                     "SELECT s.id, s.tenant_id, s.from_number, s.to_number, s.body, s.attempts,"
                     " TIMESTAMPDIFF(SECOND, s.created_at, NOW()) AS age_s,"
                     " ti.account_sid, ti.auth_token_sealed"
                     " FROM sms_messages s LEFT JOIN tenant_integrations ti"
                     " ON ti.tenant_id = s.tenant_id AND ti.provider = 'twilio'"
                     " WHERE (s.status = 'queued' AND (s.next_attempt_at IS NULL"
                     " OR s.next_attempt_at <= NOW(3)))"
                     " OR (s.status = 'sending' AND s.next_attempt_at <= NOW(3))"
                     " ORDER BY s.next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DB_INT(max)), &res);
    for (size_t i = 0; rc == DB_OK && i < res->nrows; i++)
        rc = db_exec(db, a,
                     "UPDATE sms_messages SET status = 'sending', attempts = attempts + 1,"
                     " next_attempt_at = NOW(3) + INTERVAL ? SECOND WHERE id = ?",
                     DB_PARAMS(DB_INT(lease_s), DB_STR(db_get(res, i, "id"))), NULL);
    if (rc == DB_OK)
        *out = res;
    return rc;
}

int sms_store_claim(struct db *db, struct arena *a, int max, long lease_s,
                    struct db_result **out)
{
    int rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    return db_finish(db, claim_step(db, a, max, lease_s, out));
}

int sms_store_sent(struct db *db, struct arena *a, const char *id, const char *sid)
{
    /* The status callback may have come first: a later status is kept. */
    return db_exec(db, a,
                   "UPDATE sms_messages SET provider = 'twilio', provider_sid = ?,"
                   " status = IF(status = 'sending', 'sent', status),"
                   " sent_at = COALESCE(sent_at, NOW()), next_attempt_at = NULL,"
                   " error_code = NULL, error_message = NULL WHERE id = ?",
                   DB_PARAMS(DB_STR(sid), DB_STR(id)), NULL);
}

int sms_store_failed(struct db *db, struct arena *a, const char *id, bool give_up,
                     long long retry_ms, const char *code, const char *message)
{
    return db_exec(db, a,
                   "UPDATE sms_messages SET status = IF(?, 'failed', 'queued'),"
                   " next_attempt_at = IF(?, NULL, NOW(3) + INTERVAL ? * 1000 MICROSECOND),"
                   " error_code = LEFT(?, 32), error_message = LEFT(?, 255)"
                   " WHERE id = ? AND status = 'sending'",
                   DB_PARAMS(DB_INT(give_up), DB_INT(give_up), DB_INT(retry_ms), DB_STR(code),
                             DB_STR(message), DB_STR(id)),
                   NULL);
}

int sms_store_release(struct db *db, struct arena *a, const char *id)
{
    return db_exec(db, a,
                   "UPDATE sms_messages SET status = 'queued', attempts = attempts - 1,"
                   " next_attempt_at = NULL WHERE id = ? AND status = 'sending'",
                   DB_PARAMS(DB_STR(id)), NULL);
}

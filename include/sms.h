#ifndef SB_SMS_H
#define SB_SMS_H
/*
 * SMS: the pure parts (sms_text.c) shared by the API (src/routes/sms*.c) and the delivery
 * process (src/hooks/sms.c), and the delivery's store (sms_store.c).
 *
 * A message is GSM-7 when every character is in the GSM 03.38 basic set or its extension
 * (the extension's characters take two septets); else it is sent as UCS-2 (UTF-16 code
 * units). One segment holds 160 septets (GSM-7) or 70 units (UCS-2); a longer message is
 * split into segments of 153 or 67 (the rest is the concatenation header).
 */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db;
struct db_result;

#define SMS_BODY_MAX 1600 /* characters */

/* The segments body (UTF-8, len bytes) is sent in; 0 when it is not valid UTF-8. Pure. */
int sms_segments(const char *body, size_t len);

enum sms_opt { SMS_OPT_NONE, SMS_OPT_OUT, SMS_OPT_IN };
/* Whether an inbound body is an opt-out word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
 * QUIT) or an opt-in (START, UNSTOP): the whole body, trimmed, any case. Pure. */
enum sms_opt sms_opt_word(const char *body);

/* Twilio's MessageStatus in our statuses (delivered, undelivered, failed, sent); NULL
 * when the status does not move a message of ours. Pure. */
const char *sms_status_of(const char *twilio);

/* ---- sms_store.c: the delivery process's rows ------------------------------------- */

/*
 * Claims up to max due messages ('queued' with next_attempt_at due, or 'sending' whose
 * lease ran out): they become 'sending' with a lease of lease_s seconds, attempts + 1.
 * *out: id, tenant_id, from_number, to_number, body, attempts, account_sid,
 * auth_token_sealed (NULL when the tenant has no Twilio integration). DB_OK or a db_rc.
 */
int sms_store_claim(struct db *db, struct arena *a, int max, long lease_s,
                    struct db_result **out);
/* A claimed message not sent after all (the round's time ran out): queued again, due now,
 * its attempt not counted. DB_OK or a db_rc. */
int sms_store_release(struct db *db, struct arena *a, const char *id);
/* The provider took it: status 'sent', provider_sid, sent_at. DB_OK or a db_rc. */
int sms_store_sent(struct db *db, struct arena *a, const char *id, const char *sid);
/* The call failed: back to 'queued' in retry_ms, or, with give_up, 'failed' with the
 * error. DB_OK or a db_rc. */
int sms_store_failed(struct db *db, struct arena *a, const char *id, bool give_up,
                     long long retry_ms, const char *code, const char *message);

#endif

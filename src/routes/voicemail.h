#ifndef SB_ROUTES_VOICEMAIL_H
#define SB_ROUTES_VOICEMAIL_H
/* What the voicemail route modules (voicemail_boxes.c, voicemail_messages.c,
 * voicemail_webhook.c) share. Everything is scoped by r->auth.tenant_id. */
struct request;

/* Whether box `b` (voicemail_boxes b) is owned by the user whose id is the SQL expression
 * u ("?" binds it): their own box, a box of a queue they are a member of, or of the
 * department whose agent they are. */
#define VOICEMAIL_OWNED_BY(u)                                                              \
    "((b.owner_type = 'user' AND b.owner_id = " u ") OR (b.owner_type = 'queue' AND EXISTS" \
    " (SELECT 1 FROM queue_members qm WHERE qm.tenant_id = b.tenant_id"                    \
    " AND qm.queue_id = b.owner_id AND qm.user_id = " u ")) OR (b.owner_type = 'department'" \
    " AND EXISTS (SELECT 1 FROM agents a WHERE a.tenant_id = b.tenant_id"                  \
    " AND a.department_id = b.owner_id AND a.user_id = " u ")))"

/* Inside a step: box_id is a box of the tenant, locked (shared) until the commit. DB_OK,
 * TXN_ANSWERED (a 422 naming field), or a db_rc. */
int voicemail_box_refer(struct request *r, const char *box_id, const char *field);

/*
 * Inside a step: message id (a new one in box_id, from caller) is told to the box's
 * owners (VOICEMAIL_OWNED_BY): each gets a `voicemail.new` notification in this
 * transaction, and an e-mail in the outbox (outbox.h) when the box has email_notify.
 * DB_OK or a db_rc.
 */
int voicemail_notify_owners(struct request *r, const char *box_id, const char *id,
                            const char *caller);

#endif

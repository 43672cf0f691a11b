#ifndef SB_ROUTES_VOICEMAIL_H
#define SB_ROUTES_VOICEMAIL_H
/* What the voicemail route modules (voicemail_boxes.c, voicemail_messages.c,
 * voicemail_webhook.c) share. Everything is scoped by r->auth.tenant_id. */
struct request;

/* Inside a step: box_id is a box of the tenant, locked (shared) until the commit. DB_OK,
 * TXN_ANSWERED (a 422 naming field), or a db_rc. */
int voicemail_box_refer(struct request *r, const char *box_id, const char *field);

/*
 * Inside a step: message id (a new one in box_id, from caller) is told to the box's
 * owners: its user, its queue's members, its department's agents that are users; each gets
 * a `voicemail.new` notification in this transaction. DB_OK or a db_rc.
 */
int voicemail_notify_owners(struct request *r, const char *box_id, const char *id,
                            const char *caller);

#endif

#ifndef SB_NOTIFY_H
#define SB_NOTIFY_H
/*
 * Notifications for one user (the `notifications` table): written inside the transaction
 * of the change that concerns the user (a ticket or chat assigned to them, an SLA breach,
 * a mention, a webhook disabled), and pushed live as a `notification` event whose
 * audience is that user alone (event_out.h), so another user's stream never carries it.
 */
struct request;

struct notice {
    const char *user_id;   /* the user told; same tenant as the request */
    const char *type;      /* "ticket.assigned", "chat.assigned", "sla.breached", … */
    const char *title;     /* short, shown in a list; at most 255 characters (cut) */
    const char *body;      /* may be NULL */
    const char *data_json; /* a JSON object's text (what it is about: ids), or NULL */
    const char *priority;  /* "low", "normal" (NULL) or "high" */
};

/* Inside the caller's transaction (txn_run step): DB_OK or a db_rc. The caller's step
 * also calls event_wake_after_commit(r) so the push is not left to the next poll. */
int notify_user(struct request *r, const struct notice *n);

#endif

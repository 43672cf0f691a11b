#ifndef SB_TICKET_STORE_H
#define SB_TICKET_STORE_H
/*
 * Tickets' writes that other modules share: creating one (the tickets route, and the chat
 * slice turning an offline message into a ticket), the SLA due times of a priority, the
 * ticket events, and the clock's breach moves. Every function runs inside the caller's
 * transaction (txn_run step) as r->auth.tenant_id; none answers the request.
 */
#include <stdbool.h>

struct request;

/* A new ticket. Every string may be NULL except subject; everything lives as long as the
 * call (it is copied into the row). */
struct ticket_new {
    const char *id;              /* NULL: a new "tkt_" id */
    const char *subject;         /* 1..255 characters */
    const char *description;     /* the first text (a chat's offline message) */
    const char *priority;        /* low, normal (NULL), high, urgent */
    const char *channel;         /* phone, email, chat, sms, web (NULL), api */
    const char *category;
    const char *tags_json;       /* a JSON array of strings' text, or NULL */
    const char *contact_id;      /* a contact of the tenant, or NULL */
    const char *requester_name;  /* who asked, when there is no contact (a chat visitor) */
    const char *requester_email;
    const char *assigned_to;     /* a user of the tenant, or NULL (notified when set) */
    const char *queue_id;        /* the team's queue, or NULL */
    const char *created_by;      /* the user who wrote it; NULL: the system / a visitor */
};

/*
 * Inserts the ticket with the tenant's next number (its counter row locked until the
 * commit), its first-response and resolution due times from the tenant's SLA for the
 * priority, emits ticket.created (and ticket.assigned with a notice to the assignee when
 * assigned_to is set) and wakes the event worker after the commit. *id_out (may be NULL)
 * gets the id (arena). The caller checks contact_id, assigned_to and queue_id belong to the
 * tenant (a foreign key refuses another tenant's contact or user: DB_FOREIGN_KEY).
 * DB_OK or a negative db_rc.
 */
int ticket_store_create(struct request *r, const struct ticket_new *t, const char **id_out);

/* Sets first_response_due_at and due_at of ticket id from its created_at and the tenant's
 * SLA for its priority (after a priority change); clears breaches not yet due under the new
 * targets. DB_OK or a db_rc. */
int ticket_store_reschedule(struct request *r, const char *id);

/* The tenant's targets for priority, in minutes (the defaults when it set none). DB_OK or a
 * db_rc. */
int ticket_sla_minutes(struct request *r, const char *priority, long long *first_response,
                       long long *resolution);
/* The defaults for priority (unknown: normal's). Pure. */
void ticket_sla_default(const char *priority, long long *first_response, long long *resolution);

/*
 * Whether a ticket may go from status `from` to `to`: NULL when it may, else why not (for
 * a 409). The working statuses (open, pending, in_progress, on_hold) move among themselves
 * and to resolved; resolved goes to closed or back to open (reopen); closed only reopens.
 * Pure.
 */
const char *ticket_status_refusal(const char *from, const char *to);

/* The ticket's row as an event payload, emitted as type (ticket.updated…) with extra
 * members (a JSON object's text, or NULL) merged in; wakes the event worker after the
 * commit. DB_OK or a db_rc. */
int ticket_emit(struct request *r, const char *type, const char *id, const char *extra_json);

/*
 * The clock's moves (tick.c), each in its own transaction as the ticket's tenant: if the
 * ticket is still past its first-response (resolution) due time without a first response
 * (resolution) and not yet marked, marks the breach, emits ticket.sla_breached and notifies
 * the assignee (or, unassigned, the tenant's admins). Exactly once per breach: the mark is
 * made under the row lock. *moved is 1 when it marked one. DB_OK or a db_rc.
 */
int ticket_breach_first_response(struct request *r, const char *id, int *moved);
int ticket_breach_resolution(struct request *r, const char *id, int *moved);

#endif

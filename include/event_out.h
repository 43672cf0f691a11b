#ifndef SB_EVENT_OUT_H
#define SB_EVENT_OUT_H
/*
 * The pool's side of live events. event_emit() writes one row of call_events inside the
 * caller's transaction (tenant: r->auth.tenant_id; payload: a JSON object's text, or
 * NULL); after the commit, event_wake() pokes the event worker so it reads at once
 * instead of at its next poll (a datagram; best effort: the worker also polls).
 */
struct request;

int event_emit(struct request *r, const char *type, const char *call_id,
               const char *payload_json);
/* The same, for one audience only (sql/014): NULL is the tenant's staff, "user:<id>" one
 * user's streams, "chat:<session id>" one chat visitor and the staff. */
int event_emit_for(struct request *r, const char *type, const char *call_id,
                   const char *audience, const char *payload_json);
void event_wake(struct request *r);
/* From inside a txn_run() step: event_wake() once the transaction has committed. */
void event_wake_after_commit(struct request *r);
/* From inside a txn_run() step: once committed, the clock (cfg.clock_wake_socket) looks
 * for due work at once: an agent was freed, so a waiting call may be offered now. */
void clock_wake_after_commit(struct request *r);

#endif

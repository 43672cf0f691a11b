#ifndef SB_QUEUE_DIST_H
#define SB_QUEUE_DIST_H
/*
 * Automatic call distribution: calls waiting in queues (queue_calls), offers to agents
 * (queue_offers), and the moves between them. All state is in MariaDB: every function
 * runs inside the caller's transaction (a txn_run() step) for the tenant r->auth.tenant_id,
 * so any pool worker on any host, or the clock process (src/clock), may make any move.
 *
 * Lock order, everywhere, so that concurrent moves wait instead of deadlocking:
 * the queue row, then the queued call, then its offers, then agent_states rows.
 * An agent is reserved by a guarded UPDATE (active_calls < capacity in its WHERE), so no
 * interleaving can give an agent more calls than their capacity, and a call is offered
 * only while its row, locked, says `waiting`, so no call is given to two agents.
 *
 * Functions return DB_OK, a db_rc, or TXN_ANSWERED (a 4xx already set on r).
 */
#include <stdbool.h>

struct json_object;
struct request;

struct queue_call_in {
    const char *id; /* new id (qc_…), made by the caller so a retry reuses it */
    const char *queue_id;
    const char *call_id, *did_id; /* may be NULL */
    const char *caller_number, *caller_name, *called_number;
    long long priority;
    const char *from_queue_call_id; /* an overflow from another queue, or NULL */
};

/* The call enters the queue (or its overflow target at once, when the queue is full or
 * nobody is logged in); then an offer is tried at once. */
int qcall_enter(struct request *r, const struct queue_call_in *in);

/* Offers waiting calls of the queue whose retry delay has passed to free agents, per the
 * queue's strategy, until no call or no agent is left or max_offers were made. *made
 * (may be NULL) gets the number of calls offered. */
int qdist_dispatch(struct request *r, const char *queue_id, int max_offers, int *made);

/*
 * Offers made on request rather than by the distributor's turn (queue_pull.c), with the
 * same locks, capacity guard and pending offer (the agent accepts it with qoffer_accept):
 * qdist_pull: user_id takes the first waiting call (priority, then the longest wait) of
 * the active queues they are an unpaused member of; *qcall_id and *offer_id NULL when
 * none waits; 409 when the agent may take no call now (not available, wrap-up, capacity).
 * qdist_assign: the waiting queued call `call` (a queue_calls id, or the calls id it
 * carries; *qcall_id: the queued call's) is offered to user_id; 404 for no such call, 409
 * when it is no longer waiting or the agent is at capacity (or not available); user_id
 * NULL (the caller found no such agent): QDIST_NO_AGENT once the call is found, for the
 * caller's 422.
 */
#define QDIST_NO_AGENT 2
int qdist_pull(struct request *r, const char *user_id, const char **qcall_id,
               const char **offer_id);
int qdist_assign(struct request *r, const char *call, const char *user_id,
                 const char **qcall_id, const char **offer_id);

/* The agent (r->auth.user_id) takes or declines an offer. */
int qoffer_accept(struct request *r, const char *offer_id);
int qoffer_reject(struct request *r, const char *offer_id);
/* The clock: a pending offer whose time ran out. DB_OK also when it was resolved already. */
int qoffer_expire(struct request *r, const char *offer_id);
/* The clock: a pending offer of an agent who is no longer available (a break, away,
 * logged out) is withdrawn, and the call goes on to the next agent after `retry`. */
int qoffer_withdraw_unavailable(struct request *r, const char *offer_id);

/* The call hangs up; side is caller, agent or system. Waiting or offered: abandoned;
 * answered: ended, the agent goes to wrap-up. A CDR is written in the same transaction. */
int qcall_hangup(struct request *r, const char *queue_call_id, const char *side);
/* The telephony side says the call (calls.id) is over: its queued call, if any is still
 * live, hangs up on the caller's side. */
int qcall_call_ended(struct request *r, const char *call_id);
/* The agent hands an answered call to another queue (a blind transfer): this leg ends
 * (its CDR, the agent's wrap-up, `call.transferred`) and the caller enters queue_id as a
 * new queued call, *new_id, whose from_queue_call_id points back. 404 for a queue not the
 * tenant's, 409 unless answered, 422 for the same queue. */
int qcall_transfer(struct request *r, const char *queue_call_id, const char *queue_id,
                   const char **new_id);
/* Hold and resume of an answered call (the hold time goes to the CDR). */
int qcall_hold(struct request *r, const char *queue_call_id, bool on_hold);
/* The clock: the call waited past the queue's max wait; it goes to the overflow target. */
int qcall_overflow(struct request *r, const char *queue_call_id);
/* The clock: the agent's wrap-up time is over; they are idle again. */
int qagent_wrapup_end(struct request *r, const char *user_id);

/* The queue's live figures as a JSON object (arena), NULL on error. */
struct json_object *qstats_live(struct request *r, const char *queue_id);
/* The clock: a queue.stats event for a queue that changed (at most once a second). */
int qstats_emit(struct request *r, const char *queue_id);
/* A queued call's answer: the row plus position and estimated wait. */
int qcall_reply(struct request *r, int status, const char *queue_call_id);


/* Read-only answers (queue_lists.c): a queue's calls in line, the caller's open offers,
 * the live figures of one queue (or, queue_id NULL, of all the tenant's). 0 or -1. */
int qcalls_list(struct request *r, const char *queue_id);
int qoffers_mine(struct request *r);
int qstats_live_reply(struct request *r, const char *queue_id);

#endif

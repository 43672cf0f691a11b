#ifndef SB_QUEUE_INTERNAL_H
#define SB_QUEUE_INTERNAL_H
/* Shared by the distributor's files (queue_*.c); not an interface for the rest. */
#include <stdbool.h>

struct json_object;
struct request;

/* A new offer id (arena), NULL when out of memory. */
const char *id_new_offer(struct request *r);

/*
 * A pending offer of the queued call to user_id (whose capacity the caller reserved), in
 * round, expiring after the queue's timeout; q: the queue row (its id and timeout), and
 * `call.incoming` to the agent. *id_out (may be NULL): the offer's id.
 */
struct db_result;
int qoffer_insert(struct request *r, const struct db_result *q, const char *qcall_id,
                  long long round, const char *user_id, const char **id_out);

/* Reserves one unit of the agent's capacity if they may take a call now (*held). */
int qagent_reserve(struct request *r, const char *user_id, bool *held);
/*
 * Gives one unit back (an offer withdrawn, expired or declined, or a call ended) and puts
 * the agent's activity where their calls say: on_call while one is answered, offered
 * while one is offered, else wrap-up for wrapup_seconds after an ended call (0: idle).
 * call_ended: an answered call ended (counts for leastrecent).
 */
int qagent_release(struct request *r, const char *user_id, bool call_ended,
                   long long wrapup_seconds);
/* The activity as the agent's offers and calls say, without giving anything back. */
int qagent_settle(struct request *r, const char *user_id);

/* A call event of the callcenter family (payload from the rows as they are now). */
int qevent_call(struct request *r, const char *type, const char *queue_call_id,
                const char *agent_id, const char *offer_id);
/* A queue event (queue.joined, queue.left) for the call. */
int qevent_queue(struct request *r, const char *type, const char *queue_call_id,
                 const char *reason);
/* The queue's live figures changed: the clock sends queue.stats (always locked last). */
int qqueue_touch(struct request *r, const char *queue_id);

/* The queued call's offers still pending are withdrawn; except_offer keeps one. */
int qoffers_withdraw(struct request *r, const char *queue_call_id, const char *except_offer,
                     const char *why);

/* The call leaves the queue for its overflow target (reason: timeout, full, no_agent). */
int qcall_leave(struct request *r, const char *queue_call_id, const char *reason);
/* The CDR of a queued call that just ended (queue_cdr.c). */
int qcall_cdr(struct request *r, const char *queue_call_id);

/* Today's counts of the queue (completed_calls, abandoned_calls) added to o (queue_kpi.c). */
int qstats_today(struct request *r, const char *queue_id, struct json_object *o);
/* Estimated wait of the caller at position (seconds), -1 when unknown (queue_kpi.c). */
int qstats_ewt(struct request *r, const char *queue_id, long long position, long long *ewt);

#endif

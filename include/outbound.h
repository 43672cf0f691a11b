#ifndef SB_OUTBOUND_H
#define SB_OUTBOUND_H
/*
 * Outbound calls (issue 10, coldcaller's dialer): the pure rules of a dial and of its end,
 * and the store of the call's coldcaller record and of its aggregates (outbound_stats,
 * sql/023). The routes are src/routes/outbound_calls.c, outbound_end.c, outbound_lists.c
 * and outbound_analytics.c.
 *
 * Statuses of a dialled call: connecting → ringing → connected ⇄ on_hold (connecting →
 * connected too); ending it gives completed (it was connected), busy, failed or missed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct arena;
struct json_object;
struct request;

/* A dialled call still live this many hours after its start was abandoned by its agent:
 * the clock ends it (outcome "Abandoned"). */
#define OUTBOUND_ABANDON_HOURS_SQL "4"

/* The live statuses of a dialled call, NULL-terminated. */
extern const char *const outbound_live_statuses[];

/* True when a call may move from `from` to `to` (both live; the same status is a no-op
 * the caller allows separately). Pure. */
bool outbound_move_ok(const char *from, const char *to);
bool outbound_is_live(const char *status);

/*
 * An outcome or disposition as the aggregates key it: lower camelCase of its words
 * ("Not Interested", "not_interested", "no-answer" → "notInterested", "noAnswer"; an
 * all-capital word is lowered first). NULL for NULL or a text without letters or digits;
 * at most 63 characters. In the arena; NULL also when out of memory. Pure.
 */
const char *outbound_outcome_key(struct arena *a, const char *text);

/* The lead status an outcome key implies (contacts.lead_status), NULL when it implies
 * none in particular. Pure. */
const char *outbound_lead_status_of(const char *key);
/* True for a contacts.lead_status value. Pure. */
bool outbound_lead_status_known(const char *status);
/* True when the key asks for a callback (callback, callbackRequested, callBack…). Pure. */
bool outbound_wants_callback(const char *key);

/*
 * Whether local (a wall-clock time) is inside calling hours start..end ("HH:MM[:SS]",
 * end excluded) on one of days (a SET text: "mon,tue,…"). Pure. -1 when start or end is
 * not a time.
 */
int outbound_in_hours(const struct tm *local, const char *start, const char *end,
                      const char *days);

/* seconds as "HH:MM:SS" (hours beyond 99 kept whole) into buf (>= 24 bytes). Pure. */
void outbound_hms(char *buf, size_t size, long long seconds);

/* x rounded to `decimals` places (0..4). Pure. */
double outbound_round(double x, int decimals);

/*
 * After a failed fields_declared() on a coldcaller route: the failed fields renamed to the
 * camelCase names its clients send (an absent required field is named by our snake_case
 * name), leadId's reason worded as they show it ("Lead ID must be a positive integer");
 * their order (whose first makes the answer's message) kept.
 */
void outbound_cold_names(struct request *r);

/* ---- the store (inside the caller's transaction; tenant r->auth.tenant_id) ------------ */

/*
 * A call as coldcaller reads it, by id: {id, status, phone_number, phone (both the number
 * as sent), called_number, caller_number, direction, lead_id (the lead's number), agent_id
 * (coldcaller's agentId), campaign_id, start_time, answer_time, end_time, duration,
 * outcome, disposition, notes, tags, objections, next_actions, recording_state, quality,
 * user_id, created_at, updated_at}. DB_OK with *out (arena-owned), 1 when absent, or a
 * db_rc.
 */
int outbound_call_fetch(struct request *r, const char *call_id, struct json_object **out);

/* The SELECT list and FROM of that record (alias c for calls, l for the lead), for lists. */
#define OUTBOUND_CALL_COLUMNS                                                                \
    "c.id, c.status, COALESCE(c.phone_as_sent, c.called_number) AS phone_number,"           \
    " COALESCE(c.phone_as_sent, c.called_number) AS phone, c.called_number,"                \
    " c.caller_number, c.direction, l.lead_no AS lead_id, c.agent_ref AS agent_id,"         \
    " c.campaign_id, c.start_time, c.answer_time, c.end_time, c.total_duration AS duration," \
    " c.outcome, c.disposition, c.notes, c.tags, c.objections, c.next_actions,"             \
    " c.recording_state, c.quality, c.user_id, c.created_at, c.updated_at"
#define OUTBOUND_CALL_FROM                                                                   \
    "calls c LEFT JOIN contacts l ON l.tenant_id = c.tenant_id AND l.id = c.lead_id"
extern const char *const outbound_call_json_cols[];

/*
 * The members of an outbound call that the shared GET /api/calls/:id adds to the transfer
 * record (phone_number, phone, lead_id, campaign_id, outcome, …; agent_id becomes the
 * dialer's agent when the record has none). DB_OK (also for a call that is not outbound:
 * nothing added) or a db_rc.
 */
int outbound_call_extend(struct request *r, const char *call_id, struct json_object *call);

/*
 * Whether number (normalised) may not be dialled: a `blacklist` entry of the tenant for
 * outbound or both that has not expired, or lead_flag (the lead's do_not_call). When it
 * may not, the attempt is recorded in dnc_attempts (reason "blacklist" or "lead") and 1 is
 * returned; 0 when it may; else a db_rc. lead_id, campaign_id may be NULL.
 */
int outbound_dnc_check(struct request *r, const char *number, bool lead_flag,
                       const char *lead_id, const char *campaign_id);

/*
 * Ending a dialled call (src/core/outbound_end.c): what was recorded, then what it decided.
 * Texts may be NULL; tags, objections, next_actions are JSON array texts.
 */
struct outbound_end {
    const char *id;
    const char *outcome, *disposition, *notes, *tags, *objections, *next_actions;
    bool notes_sent;       /* notes replaces the call's (NULL clears them) */
    long long callback_at; /* Unix seconds, 0: none asked */
    /* out */
    const char *outcome_key, *lead_status, *final, *cdr_disposition;
    long long callback_minutes; /* < 0: no callback after minutes */
    long long retry;            /* the campaign's retry delay, minutes */
    bool answered, converted;
    struct json_object *call;   /* the call as it now is (arena) */
};

/*
 * Ends call e->id of r's tenant, locked first: the call's final status, times and result,
 * its CDR, the lead, the aggregates, call.ended (the event worker woken and the tenant's
 * "calls" cache moved after the commit). DB_OK, 1 when absent, 2 when it has ended
 * already (nothing written), or a db_rc.
 */
int outbound_end_call(struct request *r, struct outbound_end *e);

/* Adds an ended call (its row as the end wrote it, its quality series) to outbound_stats.
 * DB_OK or a db_rc. */
int outbound_stats_add(struct request *r, const char *call_id);

#endif

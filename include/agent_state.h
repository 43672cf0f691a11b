#ifndef SB_AGENT_STATE_H
#define SB_AGENT_STATE_H
/*
 * Agent state on two axes (TaskRouter's activity, mod_callcenter's status and state):
 *
 *   presence  chosen by the agent: available, away, break, offline (+ a reason code for
 *             break and away). Leaving offline is logging in (`agent.login`), entering it
 *             logging out (`agent.logout`).
 *   activity  driven by the system (the distributor): idle, offered, on_call, wrap_up.
 *
 * One row of agent_states per user of a tenant, created on first change; a user without
 * one reads as offline and idle. `state` is the one word the Go clients read, recomputed
 * on every change (agent_state_combined). Every change closes the open interval of each
 * changed axis in agent_state_history and opens the next at the same instant, so the time
 * in each value per day is a sum over rows (agent_state_summary).
 *
 * The store functions run inside the caller's transaction (a txn_run() step), scoped by
 * r->auth.tenant_id, and need no user token: r->auth.user_id may be NULL (the distributor
 * calls them with a request of its own that carries the tenant, a db, an arena and a
 * config for the event wake-up). They return DB_OK, TXN_ANSWERED after a txn_fail() (404
 * for a user not in the tenant, 409 for a refused capacity), or a negative db_rc.
 */
#include <stdbool.h>

struct json_object;
struct request;

/* NULL-terminated value lists of the two axes and of the combined word. */
extern const char *const agent_presences[];
extern const char *const agent_activities[];
extern const char *const agent_states_combined[];

/*
 * SQL of a user's display name ("first last", else the e-mail) and extension (the phone of
 * the agent record linked to the user, else the user's phone, else ""), over `users u`.
 */
#define AGENT_STATE_USERNAME_SQL                                                           \
    "COALESCE(NULLIF(TRIM(CONCAT_WS(' ', u.first_name, u.last_name)), ''), u.email)"
#define AGENT_STATE_EXTENSION_SQL                                                          \
    "COALESCE((SELECT a.phone_number FROM agents a WHERE a.tenant_id = u.tenant_id"       \
    " AND a.user_id = u.id ORDER BY a.created_at, a.id LIMIT 1), u.phone, '')"

/* The longest reason code kept (agent_state_history.reason). */
#define AGENT_REASON_MAX 64
#define AGENT_CAPACITY_MAX 20

/*
 * The combined word from the two axes: offline -> offline, break -> break, away -> busy;
 * available: on_call and offered -> on_call, wrap_up -> wrap_up, idle -> available.
 * NULL when either value is unknown. Pure.
 */
const char *agent_state_combined(const char *presence, const char *activity);

/* True when v is one of the NULL-terminated values. Pure. */
bool agent_state_is(const char *const *values, const char *v);

/* True for a real calendar date written YYYY-MM-DD (years 1970..9999). Pure. */
bool agent_state_day_valid(const char *s);

/* The row of one agent as locked by agent_state_lock(); strings in the arena. */
struct agent_state_row {
    const char *id;
    const char *presence, *activity, *state;
    const char *reason;      /* the presence's reason code, NULL when none */
    const char *now;         /* the change's instant, "YYYY-MM-DD HH:MM:SS.ffffff" UTC */
    long long capacity, active_calls;
};

/*
 * Creates the user's row if missing (offline, idle) and locks it FOR UPDATE until the
 * commit. `now` is the instant a change made under this lock is recorded at: the server's
 * clock, never before the row's last change, so intervals are never negative.
 */
int agent_state_lock(struct request *r, const char *user_id, struct agent_state_row *out);

/*
 * Moves the user to presence and/or activity (NULL: that axis unchanged); reason is the
 * code of a break or away (NULL: none; at most AGENT_REASON_MAX characters), kept on the
 * history row of each changed axis and, with a presence change, on the agent's row.
 * Locks (creating if missing) the row, closes and opens history intervals at one
 * instant, sets presence_since/activity_since, state, changed_at, logged_in_at,
 * break_started_at, then emits `agent.state.changed` (payload {user_id, username, state,
 * presence, activity, reason, extension}: reason is the presence's reason as it now
 * stands) and `agent.login` / `agent.logout` (same payload) when presence leaves / enters
 * offline; the event worker is woken after the commit. A value equal to the current one
 * changes nothing and emits nothing (a new reason for the same break or away is a change).
 * Does not touch capacity, active_calls, wrap-up or call counters: those are the
 * distributor's, written under the same row lock.
 */
int agent_state_change(struct request *r, const char *user_id, const char *presence,
                       const char *activity, const char *reason);

/* Sets the user's capacity (1..AGENT_CAPACITY_MAX); 409 below its active_calls. */
int agent_state_set_capacity(struct request *r, const char *user_id, long long capacity);

/*
 * The seconds the user spent in each presence and each activity on one UTC day
 * (YYYY-MM-DD, checked by the caller), from the history: intervals clipped to the day, an
 * open one ending now. *out (arena): {user_id, date, presence:{available, away, break,
 * offline}, activity:{idle, offered, on_call, wrap_up}, logged_in_seconds (presence not
 * offline), tracked_seconds (all presence)}; seconds to the millisecond. Read-only; no
 * transaction needed. DB_OK or a db_rc.
 */
int agent_state_summary(struct request *r, const char *user_id, const char *day,
                        struct json_object **out);

/*
 * Inside a presence change, before its open interval is closed at now: adds the interval,
 * when it was staffed time (available or away), to the agent's 15-minute KPI buckets
 * (kpi_agent_buckets.staffed_ms; agent_kpi.c). DB_OK or a db_rc.
 */
int agent_kpi_presence_closed(struct request *r, const char *user_id, const char *now);

#endif

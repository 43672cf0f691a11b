/*
 * Agent state routes (the callcenter family's /agent-state): an agent's own presence (get,
 * set, break, back from a break, away, available), the tenant's agents as a list, by user,
 * available for a call, by the combined word, a manager's override, and the time per state
 * and day. Every user of the tenant has a state: one that never changed reads offline and
 * idle. The writes go through the store (agent_state.h), which keeps the history and emits
 * the events; this module only reads, through the declaration below.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "agent_state.h"
#include "arena.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

/* A user without a row reads as the row's defaults (offline, idle, capacity 1). */
#define AS_COLUMNS                                                                         \
    "s.id, u.id AS user_id, u.tenant_id, u.email, u.first_name, u.last_name, "            \
    AGENT_STATE_USERNAME_SQL " AS username, ur.role, " AGENT_STATE_EXTENSION_SQL          \
    " AS extension, COALESCE(s.state, 'offline') AS state,"                               \
    " COALESCE(s.presence, 'offline') AS presence, COALESCE(s.activity, 'idle') AS activity," \
    " s.reason, s.presence_since, s.activity_since, COALESCE(s.capacity, 1) AS capacity,"  \
    " COALESCE(s.active_calls, 0) AS active_calls,"                                        \
    " COALESCE(IF(s.calls_day = UTC_DATE(), s.calls_answered_today, 0), 0)"                \
    " AS calls_answered_today, s.wrapup_until, s.last_call_ended_at, s.logged_in_at,"      \
    " s.break_started_at, s.current_call_sid, s.changed_at"

static const char *const roles[] = {"super_admin", "admin", "manager", "agent", NULL};

static const struct filter_def as_filters[] = {
    {"presence", FILTER_ENUM, " AND COALESCE(s.presence, 'offline') = ?", agent_presences,
     NULL},
    {"activity", FILTER_ENUM, " AND COALESCE(s.activity, 'idle') = ?", agent_activities, NULL},
    {"state", FILTER_ENUM, " AND COALESCE(s.state, 'offline') = ?", agent_states_combined,
     NULL},
    {"role", FILTER_ENUM, " AND ur.role = ?", roles, NULL},
};

static const struct resource astate = {
    .table = "agent_states",
    .columns = AS_COLUMNS,
    .from = "users u LEFT JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
            " LEFT JOIN agent_states s ON s.tenant_id = u.tenant_id AND s.user_id = u.id",
    .id_col = "u.id",
    .tenant_col = "u.tenant_id",
    RESOURCE_NAMES("agent_state", "agent_states", "User not found"),
    .order = "u.first_name, u.last_name, u.email, u.id",
    RESOURCE_FILTERS(as_filters),
};

/* ---- reads ------------------------------------------------------------------------------- */

static int state_of(struct request *r, const char *user_id)
{
    struct json_object *o;
    int rc = resource_fetch(r, &astate, user_id, &o);
    return request_reply_found(r, 200, rc, astate.one, o, astate.not_found);
}

static int state_me(struct request *r)
{
    return state_of(r, r->auth.user_id);
}

static int state_user(struct request *r)
{
    return state_of(r, request_param(r, "userId"));
}

static int state_list(struct request *r)
{
    return resource_list(r, &astate, NULL);
}

/* Who may be offered a call now: available, idle, with capacity left (the distributor's
 * rule, on the (tenant_id, presence, activity) index). */
static int state_available(struct request *r)
{
    struct qb w;
    qb_init(&w, r->arena);
    qb_add(&w, " AND s.presence = 'available' AND s.activity = 'idle'"
               " AND s.active_calls < s.capacity");
    return resource_list(r, &astate, &w);
}

static int state_by_state(struct request *r)
{
    const char *word = request_param(r, "state");
    if (!agent_state_is(agent_states_combined, word)) {
        request_field_error(r, "state",
                            "must be available, busy, on_call, wrap_up, break or offline");
        return request_check_fields(r);
    }
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w, " AND COALESCE(s.state, 'offline') = ?", DB_STR(word));
    return resource_list(r, &astate, &w);
}

/* ?date=YYYY-MM-DD (UTC), today when absent. */
static int summary_of(struct request *r, const char *user_id)
{
    const char *day = request_query(r, "date");
    char today[16];
    if (day == NULL || day[0] == '\0') {
        time_t t = time(NULL);
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL || strftime(today, sizeof(today), "%Y-%m-%d", &tm) == 0)
            return request_error(r, 500, "internal_error", "Internal error");
        day = today;
    } else if (!agent_state_day_valid(day)) {
        request_field_error(r, "date", "must be a date, YYYY-MM-DD");
        return request_check_fields(r);
    }
    struct json_object *who, *sum = NULL;
    int rc = resource_fetch(r, &astate, user_id, &who);
    if (rc == DB_OK)
        rc = agent_state_summary(r, user_id, day, &sum);
    return request_reply_found(r, 200, rc, "summary", sum, astate.not_found);
}

static int summary_me(struct request *r)
{
    return summary_of(r, r->auth.user_id);
}

static int summary_user(struct request *r)
{
    return summary_of(r, request_param(r, "userId"));
}

/* ---- writes ------------------------------------------------------------------------------ */

struct as_write {
    const char *user_id;
    const char *presence; /* NULL: unchanged */
    const char *activity; /* NULL: unchanged (a supervisor's reset only) */
    const char *reason;
    long long capacity;   /* 0: unchanged */
    bool from_break;      /* only an agent on a break may end it */
    const char *audit;    /* the override's audit details, NULL: not audited */
};

static int write_step(struct request *r, void *arg)
{
    const struct as_write *w = arg;
    struct agent_state_row row;
    int rc = agent_state_lock(r, w->user_id, &row);
    if (rc == DB_OK && w->from_break && strcmp(row.presence, "break") != 0)
        return txn_fail(r, 409, "conflict", "The agent is not on a break");
    if (rc == DB_OK && w->capacity > 0)
        rc = agent_state_set_capacity(r, w->user_id, w->capacity);
    if (rc == DB_OK && (w->presence != NULL || w->activity != NULL))
        rc = agent_state_change(r, w->user_id, w->presence, w->activity, w->reason);
    if (rc == DB_OK && w->audit != NULL)
        rc = resource_audit(r, &astate, "update", w->user_id, w->audit);
    return rc == DB_OK ? resource_answer(r, &astate, 200, w->user_id) : rc;
}

static int write_run(struct request *r, struct as_write *w)
{
    /* The Go clients send "" for "no reason". */
    if (w->reason != NULL && w->reason[0] == '\0')
        w->reason = NULL;
    return txn_reply(r, txn_run(r, write_step, w));
}

/* "busy" is how the Go clients say away. */
static const struct field_word presence_words[] = {{"busy", "away"}, {NULL, NULL}};

enum { S_STATE, S_PRESENCE, S_REASON, S_CAPACITY, S_ACTIVITY };

static const struct field_def me_fields[] = {
    [S_STATE] = {"state", FT_ENUM, 0, 0, 0, agent_presences, presence_words, NULL},
    [S_PRESENCE] = {"presence", FT_ENUM, 0, 0, 0, agent_presences, presence_words, NULL},
    [S_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, AGENT_REASON_MAX, NULL, NULL, NULL},
};

static const struct field_def user_fields[] = {
    [S_STATE] = {"state", FT_ENUM, 0, 0, 0, agent_presences, presence_words, NULL},
    [S_PRESENCE] = {"presence", FT_ENUM, 0, 0, 0, agent_presences, presence_words, NULL},
    [S_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, AGENT_REASON_MAX, NULL, NULL, NULL},
    [S_CAPACITY] = {"capacity", FT_INT, 0, 1, AGENT_CAPACITY_MAX, NULL, NULL, NULL},
    /* The system's axis: a supervisor may reset it (a wrap-up stuck after a crash), as
     * mod_callcenter's `agent set state` allows; active_calls is not touched. */
    [S_ACTIVITY] = {"activity", FT_ENUM, 0, 0, 0, agent_activities, NULL, NULL},
};

/* state and presence are two names of one field: one of them, or both alike. */
static int presence_read(struct request *r, const struct field_value *v, bool required,
                         const char **out)
{
    const struct field_value *s = &v[S_STATE], *p = &v[S_PRESENCE];
    *out = s->sent ? s->s : p->sent ? p->s : NULL;
    if (s->sent && p->sent && strcmp(s->s, p->s) != 0)
        request_field_error(r, "presence", "must equal state when both are sent");
    if (required && *out == NULL)
        request_field_error(r, "state", "is required (available, away, break or offline)");
    return request_check_fields(r);
}

static int put_me(struct request *r)
{
    struct field_value v[3];
    struct as_write w = {.user_id = r->auth.user_id};
    if (fields_declared(r, FIELDS_UPDATE, v, 3, NULL) != 0 ||
        presence_read(r, v, true, &w.presence) != 0)
        return -1;
    w.reason = v[S_REASON].s;
    return write_run(r, &w);
}

static int put_user(struct request *r)
{
    struct field_value v[5];
    struct json_object *body;
    struct as_write w = {.user_id = request_param(r, "userId")};
    if (fields_declared(r, FIELDS_UPDATE, v, 5, &body) != 0 ||
        presence_read(r, v, !v[S_CAPACITY].sent && !v[S_ACTIVITY].sent, &w.presence) != 0)
        return -1;
    w.reason = v[S_REASON].s;
    w.activity = v[S_ACTIVITY].sent ? v[S_ACTIVITY].s : NULL;
    w.capacity = v[S_CAPACITY].sent ? v[S_CAPACITY].i : 0;
    w.audit = json_text(body, NULL);
    return w.audit ? write_run(r, &w) : request_oom(r);
}

static const struct field_def reason_field[] = {
    {"reason", FT_TEXT, F_NULLABLE, 0, AGENT_REASON_MAX, NULL, NULL, NULL},
};

/* break and away: the body, with its reason code, is optional. */
static int presence_with_reason(struct request *r, const char *presence)
{
    struct field_value v[1] = {{0}};
    struct as_write w = {.user_id = r->auth.user_id, .presence = presence};
    if (r->body_len > 0 && fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    w.reason = v[0].s;
    return write_run(r, &w);
}

static int me_break(struct request *r)
{
    return presence_with_reason(r, "break");
}

static int me_away(struct request *r)
{
    return presence_with_reason(r, "away");
}

static int me_break_end(struct request *r)
{
    struct as_write w = {.user_id = r->auth.user_id, .presence = "available",
                         .from_break = true};
    return write_run(r, &w);
}

static int me_available(struct request *r)
{
    struct as_write w = {.user_id = r->auth.user_id, .presence = "available"};
    return write_run(r, &w);
}

#define AS_ROUTE(m, p, h, roles_, ...) ROUTE(m, p, h, roles_, FAM_CALLCENTER, __VA_ARGS__)

static const struct route routes[] = {
    AS_ROUTE("GET", "/api/agent-state/me", state_me, ROLES_ANY,
             .summary = "Your own agent state", .key = "agent_state"),
    AS_ROUTE("PUT", "/api/agent-state/me", put_me, ROLES_ANY,
             .summary = "Set your own presence", ROUTE_BODY(me_fields), .key = "agent_state"),
    AS_ROUTE("GET", "/api/agent-state/me/summary", summary_me, ROLES_ANY,
             .summary = "Your time in each state on a day", .key = "summary"),
    AS_ROUTE("POST", "/api/agent-state/me/break", me_break, ROLES_ANY,
             .summary = "Go on a break", ROUTE_BODY(reason_field), .key = "agent_state"),
    AS_ROUTE("POST", "/api/agent-state/me/break/end", me_break_end, ROLES_ANY,
             .summary = "End your break", .key = "agent_state"),
    AS_ROUTE("POST", "/api/agent-state/me/away", me_away, ROLES_ANY,
             .summary = "Go away", ROUTE_BODY(reason_field), .key = "agent_state"),
    AS_ROUTE("POST", "/api/agent-state/me/available", me_available, ROLES_ANY,
             .summary = "Become available", .key = "agent_state"),
    AS_ROUTE("GET", "/api/agent-state", state_list, ROLES_ANY,
             .summary = "The agent states of the tenant", .key = "agent_states",
             .flags = ROUTE_LIST, .resource = &astate),
    AS_ROUTE("GET", "/api/agent-state/available", state_available, ROLES_ANY,
             .summary = "Agents who can be offered a call now", .key = "agent_states",
             .flags = ROUTE_LIST, .resource = &astate),
    AS_ROUTE("GET", "/api/agent-state/by-state/:state", state_by_state, ROLES_ANY,
             .summary = "Agents in one combined state", .key = "agent_states",
             .flags = ROUTE_LIST, .resource = &astate),
    AS_ROUTE("GET", "/api/agent-state/:userId", state_user, ROLES_ANY,
             .summary = "One user's agent state", .key = "agent_state"),
    AS_ROUTE("PUT", "/api/agent-state/:userId", put_user, ROLES_STAFF,
             .summary = "Force a user's presence or set its capacity", ROUTE_BODY(user_fields),
             .key = "agent_state"),
    AS_ROUTE("GET", "/api/agent-state/:userId/summary", summary_user, ROLES_STAFF,
             .summary = "A user's time in each state on a day", .key = "summary"),
};

ROUTE_GROUP(agent_state_routes, routes);

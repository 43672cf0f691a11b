/*
 * Agent state: the store of agent_states and agent_state_history (agent_state.h). Every
 * write runs under the agent's row lock, so a change and the distributor's offers of the
 * same agent are serialised, and the history of one user is written by one transaction at
 * a time: its intervals per axis stay contiguous.
 */
#include "agent_state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "request.h"
#include "txn.h"

const char *const agent_presences[] = {"available", "away", "break", "offline", NULL};
const char *const agent_activities[] = {"idle", "offered", "on_call", "wrap_up", NULL};
const char *const agent_states_combined[] = {"available", "busy",  "on_call", "wrap_up",
                                             "break",     "offline", NULL};

static bool eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || eq(a, b);
}

bool agent_state_is(const char *const *values, const char *v)
{
    for (size_t i = 0; v != NULL && values[i] != NULL; i++)
        if (strcmp(values[i], v) == 0)
            return true;
    return false;
}

const char *agent_state_combined(const char *presence, const char *activity)
{
    if (!agent_state_is(agent_presences, presence) || !agent_state_is(agent_activities, activity))
        return NULL;
    if (eq(presence, "offline"))
        return "offline";
    if (eq(presence, "break"))
        return "break";
    if (eq(presence, "away"))
        return "busy";
    /* An offer rings the agent's phone: the Go clients have no word but on_call for it. */
    if (eq(activity, "on_call") || eq(activity, "offered"))
        return "on_call";
    return eq(activity, "wrap_up") ? "wrap_up" : "available";
}

bool agent_state_day_valid(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* ---- the row ----------------------------------------------------------------------------- */

static int lock_select(struct request *r, const char *user_id, struct db_result **res)
{
    return db_exec(r->db, r->arena,
                   "SELECT id, presence, activity, state, reason, capacity, active_calls,"
                   " DATE_FORMAT(GREATEST(NOW(3), COALESCE(presence_since, NOW(3)),"
                   " COALESCE(activity_since, NOW(3))), '%Y-%m-%d %H:%i:%s.%f') AS now_text"
                   " FROM agent_states WHERE tenant_id = ? AND user_id = ? FOR UPDATE",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), res);
}

int agent_state_lock(struct request *r, const char *user_id, struct agent_state_row *out)
{
    struct db_result *res;
    /* Whether the row exists is asked without a lock: a locking read of a missing row
     * takes a gap lock, and two first changes of one agent each holding that gap and
     * inserting into it is a deadlock. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT 1 FROM agent_states WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), &res);
    if (rc == DB_OK && res->nrows == 1)
        rc = lock_select(r, user_id, &res);
    if (rc == DB_OK && res->nrows == 0) {
        /* From the tenant's users only (another tenant's user is absent), and with the user
         * locked in share mode by the SELECT, so it cannot vanish before the commit. A
         * concurrent first change of the same user meets the unique key and waits. */
        const char *id = id_new(r->arena, "astate_");
        rc = id == NULL ? DB_ERROR
                        : db_exec(r->db, r->arena,
                                  "INSERT INTO agent_states (id, tenant_id, user_id)"
                                  " SELECT ?, tenant_id, id FROM users"
                                  " WHERE tenant_id = ? AND id = ?"
                                  " ON DUPLICATE KEY UPDATE agent_states.user_id ="
                                  " agent_states.user_id",
                                  DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id),
                                            DB_STR(user_id)),
                                  NULL);
        if (rc == DB_OK)
            rc = lock_select(r, user_id, &res);
    }
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return txn_fail(r, 404, "not_found", "User not found");
    *out = (struct agent_state_row){
        .id = db_get(res, 0, "id"),
        .presence = db_get(res, 0, "presence"),
        .activity = db_get(res, 0, "activity"),
        .state = db_get(res, 0, "state"),
        .reason = db_get(res, 0, "reason"),
        .now = db_get(res, 0, "now_text"),
        .capacity = db_get_int(res, 0, "capacity", 1),
        .active_calls = db_get_int(res, 0, "active_calls", 0),
    };
    return out->id != NULL && out->now != NULL ? DB_OK : DB_ERROR;
}

/* ---- history ----------------------------------------------------------------------------- */

/* Which axes have an open interval (none for a row that was never changed). */
static int history_open_axes(struct request *r, const char *user_id, bool *presence,
                             bool *activity)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     /* A locking read: the latest intervals, not the transaction's
                      * snapshot, which may be older than the agent's row lock. */
                     "SELECT axis FROM agent_state_history"
                     " WHERE tenant_id = ? AND user_id = ? AND axis IN ('presence', 'activity')"
                     " AND ended_at IS NULL FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), &res);
    *presence = *activity = false;
    for (size_t i = 0; rc == DB_OK && i < res->nrows; i++) {
        const char *axis = db_cell(res, i, 0);
        *presence |= eq(axis, "presence");
        *activity |= eq(axis, "activity");
    }
    return rc;
}

struct axis_move {
    const char *axis, *value, *reason;
    bool changed, open;
};

/* Closes the axis's open interval at now and opens the next one at the same instant; an
 * axis never recorded yet gets its first interval, from now, whether it changed or not. */
static int history_axis(struct request *r, const char *user_id, const char *now,
                        const struct axis_move *m)
{
    int rc = DB_OK;
    /* Staffed time goes to the KPI buckets as its interval closes (occupancy). */
    if (m->changed && m->open && eq(m->axis, "presence"))
        rc = agent_kpi_presence_closed(r, user_id, now);
    if (rc == DB_OK && m->changed && m->open)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agent_state_history SET ended_at = ?"
                     " WHERE tenant_id = ? AND user_id = ? AND axis = ? AND ended_at IS NULL",
                     DB_PARAMS(DB_STR(now), DB_STR(r->auth.tenant_id), DB_STR(user_id),
                               DB_STR(m->axis)),
                     NULL);
    if (rc != DB_OK || (!m->changed && m->open))
        return rc;
    const char *id = id_new(r->arena, "ash_");
    if (id == NULL)
        return DB_ERROR;
    return db_exec(r->db, r->arena,
                   "INSERT INTO agent_state_history"
                   " (id, tenant_id, user_id, axis, value, reason, started_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(user_id),
                             DB_STR(m->axis), DB_STR(m->value), DB_STR(m->reason), DB_STR(now)),
                   NULL);
}

/* ---- the change -------------------------------------------------------------------------- */

struct change {
    const char *user_id;
    struct agent_state_row old;
    const char *presence, *activity, *state, *reason; /* as they will be */
    bool presence_changed, activity_changed;
};

/*
 * The row as it will be. Each assignment reads only the old row and the parameters, never a
 * column assigned before it (MariaDB assigns left to right and shows later ones the new
 * value): hence logged_in_at and break_started_at compare the old presence passed in.
 */
static int row_update(struct request *r, const struct change *c)
{
    const char *now = c->old.now;
    return db_exec(
        r->db, r->arena,
        "UPDATE agent_states SET"
        " logged_in_at = CASE WHEN ? = 'offline' THEN NULL"
        " WHEN ? = 'offline' OR logged_in_at IS NULL THEN ? ELSE logged_in_at END,"
        " break_started_at = CASE WHEN ? <> 'break' THEN NULL"
        " WHEN ? <> 'break' OR break_started_at IS NULL THEN ? ELSE break_started_at END,"
        " presence_since = IF(? OR presence_since IS NULL, ?, presence_since),"
        " activity_since = IF(? OR activity_since IS NULL, ?, activity_since),"
        " reason = IF(?, ?, reason),"
        " presence = ?, activity = ?, state = ?, changed_at = ?"
        " WHERE id = ? AND tenant_id = ?",
        DB_PARAMS(DB_STR(c->presence), DB_STR(c->old.presence), DB_STR(now),
                  DB_STR(c->presence), DB_STR(c->old.presence), DB_STR(now),
                  DB_INT(c->presence_changed), DB_STR(now), DB_INT(c->activity_changed),
                  DB_STR(now), DB_INT(c->presence_changed), DB_STR(c->reason),
                  DB_STR(c->presence), DB_STR(c->activity), DB_STR(c->state), DB_STR(now),
                  DB_STR(c->old.id), DB_STR(r->auth.tenant_id)),
        NULL);
}

/* The event payload: who (name, extension) and the state as it now stands. */
static const char *payload_text(struct request *r, const struct change *c)
{
    struct db_result *u;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " AGENT_STATE_USERNAME_SQL " AS username, "
                     AGENT_STATE_EXTENSION_SQL " AS extension FROM users u"
                     " WHERE u.tenant_id = ? AND u.id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(c->user_id)), &u);
    if (rc != DB_OK || u->nrows == 0)
        return NULL;
    const char *reason = c->presence_changed ? c->reason : c->old.reason;
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    /* Go's encoder wrote "" for an empty string, and the callcenter clients rely on it. */
    if (p == NULL || json_set_str(p, "user_id", c->user_id) != 0 ||
        json_set_str(p, "username", db_get(u, 0, "username")) != 0 ||
        json_set_str(p, "state", c->state) != 0 ||
        json_set_str(p, "presence", c->presence) != 0 ||
        json_set_str(p, "activity", c->activity) != 0 ||
        json_set_str(p, "reason", reason ? reason : "") != 0 ||
        json_set_str(p, "extension", db_get(u, 0, "extension")) != 0)
        return NULL;
    return json_text(p, NULL);
}

static int emit(struct request *r, const struct change *c)
{
    const char *text = payload_text(r, c);
    if (text == NULL)
        return DB_ERROR;
    int rc = event_emit(r, "agent.state.changed", NULL, text);
    bool was_off = eq(c->old.presence, "offline"), is_off = eq(c->presence, "offline");
    if (rc == DB_OK && was_off && !is_off)
        rc = event_emit(r, "agent.login", NULL, text);
    if (rc == DB_OK && !was_off && is_off)
        rc = event_emit(r, "agent.logout", NULL, text);
    if (rc == DB_OK)
        event_wake_after_commit(r);
    /* Free to take a call now, or gone with an offer pending: the clock acts at once. */
    if (rc == DB_OK && ((eq(c->presence, "available") && eq(c->activity, "idle")) ||
                        (c->presence_changed && eq(c->activity, "offered"))))
        clock_wake_after_commit(r);
    return rc;
}

static bool has_reason(const char *presence)
{
    return eq(presence, "break") || eq(presence, "away");
}

int agent_state_change(struct request *r, const char *user_id, const char *presence,
                       const char *activity, const char *reason)
{
    /* A word outside the enums is the caller's bug, not the client's: no 422 here. */
    if ((presence != NULL && !agent_state_is(agent_presences, presence)) ||
        (activity != NULL && !agent_state_is(agent_activities, activity)))
        return DB_ERROR;
    struct change c = {.user_id = user_id, .reason = reason};
    int rc = agent_state_lock(r, user_id, &c.old);
    if (rc != DB_OK)
        return rc;
    c.presence = presence ? presence : c.old.presence;
    c.activity = activity ? activity : c.old.activity;
    c.presence_changed = presence != NULL && (!eq(presence, c.old.presence) ||
                                              (has_reason(presence) &&
                                               !same_text(reason, c.old.reason)));
    c.activity_changed = activity != NULL && !eq(activity, c.old.activity);
    if (!c.presence_changed && !c.activity_changed)
        return DB_OK;
    c.state = agent_state_combined(c.presence, c.activity);
    bool p_open = false, a_open = false;
    rc = c.state ? history_open_axes(r, user_id, &p_open, &a_open) : DB_ERROR;
    struct axis_move pm = {"presence", c.presence,
                           c.presence_changed ? reason : c.old.reason, c.presence_changed,
                           p_open};
    struct axis_move am = {"activity", c.activity, c.activity_changed ? reason : NULL,
                           c.activity_changed, a_open};
    if (rc == DB_OK)
        rc = history_axis(r, user_id, c.old.now, &pm);
    if (rc == DB_OK)
        rc = history_axis(r, user_id, c.old.now, &am);
    if (rc == DB_OK)
        rc = row_update(r, &c);
    return rc == DB_OK ? emit(r, &c) : rc;
}

int agent_state_set_capacity(struct request *r, const char *user_id, long long capacity)
{
    struct agent_state_row row;
    if (capacity < 1 || capacity > AGENT_CAPACITY_MAX)
        return DB_ERROR;
    int rc = agent_state_lock(r, user_id, &row);
    if (rc != DB_OK || row.capacity == capacity)
        return rc;
    /* Offers and calls in progress are never taken back: lowering below them is refused,
     * so active_calls <= capacity holds (the table's CHECK says the same). */
    if (capacity < row.active_calls)
        return txn_fail(r, 409, "conflict", "The capacity is below the agent's active calls");
    return db_exec(r->db, r->arena,
                   "UPDATE agent_states SET capacity = ? WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_INT(capacity), DB_STR(row.id), DB_STR(r->auth.tenant_id)),
                   NULL);
}

/* ---- the day's summary ------------------------------------------------------------------- */

/*
 * The intervals that meet the day: those that started in it, and per axis the one open at
 * its start (the last that started before it; among equal starts the one that ends last,
 * so a zero-length interval never hides the real one). Each is clipped to the day and to
 * now, and the microseconds summed per axis and value.
 */
static int summary_rows(struct request *r, const char *user_id, const char *d0,
                        struct db_result **res)
{
    const struct db_param t = DB_STR(r->auth.tenant_id), u = DB_STR(user_id), d = DB_STR(d0);
    return db_exec(
        r->db, r->arena,
        "SELECT h.axis, h.value, SUM(TIMESTAMPDIFF(MICROSECOND, GREATEST(h.started_at, b.d0),"
        " LEAST(COALESCE(h.ended_at, b.now3), b.d1))) AS us"
        " FROM (SELECT CAST(? AS DATETIME(3)) AS d0,"
        " CAST(? AS DATETIME(3)) + INTERVAL 1 DAY AS d1, NOW(3) AS now3) b"
        " JOIN (SELECT axis, value, started_at, ended_at FROM agent_state_history"
        " WHERE tenant_id = ? AND user_id = ? AND started_at >= ?"
        " AND started_at < CAST(? AS DATETIME(3)) + INTERVAL 1 DAY"
        " UNION ALL (SELECT axis, value, started_at, ended_at FROM agent_state_history"
        " WHERE tenant_id = ? AND user_id = ? AND axis = 'presence' AND started_at < ?"
        " ORDER BY started_at DESC, COALESCE(ended_at, '9999-12-31') DESC LIMIT 1)"
        " UNION ALL (SELECT axis, value, started_at, ended_at FROM agent_state_history"
        " WHERE tenant_id = ? AND user_id = ? AND axis = 'activity' AND started_at < ?"
        " ORDER BY started_at DESC, COALESCE(ended_at, '9999-12-31') DESC LIMIT 1)) h"
        " WHERE LEAST(COALESCE(h.ended_at, b.now3), b.d1) > GREATEST(h.started_at, b.d0)"
        " GROUP BY h.axis, h.value",
        DB_PARAMS(d, d, t, u, d, d, t, u, d, t, u, d), res);
}

/* Seconds to the millisecond, written as such (no binary-fraction digits). */
static struct json_object *seconds_json(struct request *r, long long ms)
{
    char *text = arena_printf(r->arena, "%lld.%03lld", ms / 1000, ms % 1000);
    return text ? json_object_new_double_s((double)ms / 1000.0, text) : NULL;
}

static struct json_object *axis_json(struct request *r, const char *const *values,
                                     const long long *ms)
{
    struct json_object *o = json_object_new_object();
    int rc = o ? 0 : -1;
    for (size_t i = 0; rc == 0 && values[i] != NULL; i++)
        rc = json_add(o, values[i], seconds_json(r, ms[i]));
    return json_done(o, rc);
}

static void summary_add(const struct db_result *res, size_t row, long long *p_ms,
                        long long *a_ms)
{
    const char *axis = db_cell(res, row, 0), *value = db_cell(res, row, 1);
    long long ms = strtoll(db_cell(res, row, 2) ? db_cell(res, row, 2) : "0", NULL, 10) / 1000;
    bool pres = eq(axis, "presence");
    const char *const *values = pres ? agent_presences : agent_activities;
    for (size_t i = 0; values[i] != NULL; i++)
        if (eq(values[i], value))
            (pres ? p_ms : a_ms)[i] += ms;
}

int agent_state_summary(struct request *r, const char *user_id, const char *day,
                        struct json_object **out)
{
    long long p_ms[4] = {0}, a_ms[4] = {0};
    struct db_result *res;
    const char *d0 = arena_printf(r->arena, "%s 00:00:00", day);
    int rc = d0 ? summary_rows(r, user_id, d0, &res) : DB_ERROR;
    if (rc != DB_OK)
        return rc;
    for (size_t i = 0; i < res->nrows; i++)
        summary_add(res, i, p_ms, a_ms);
    /* In the order of agent_presences: p_ms[3] is offline, the time not logged in. */
    long long tracked = p_ms[0] + p_ms[1] + p_ms[2] + p_ms[3];
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "user_id", user_id) != 0 ||
        json_set_str(o, "date", day) != 0 ||
        json_add(o, "presence", axis_json(r, agent_presences, p_ms)) != 0 ||
        json_add(o, "activity", axis_json(r, agent_activities, a_ms)) != 0 ||
        json_add(o, "logged_in_seconds", seconds_json(r, tracked - p_ms[3])) != 0 ||
        json_add(o, "tracked_seconds", seconds_json(r, tracked)) != 0)
        return DB_ERROR;
    *out = o;
    return DB_OK;
}

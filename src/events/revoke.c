/*
 * Control events: ending the streams of a session that may no longer run.
 *
 * Every write that ends sessions (logout, a reused refresh token, a password change or
 * reset, a user deactivated or deleted, a tenant suspended or deleted) also writes, in
 * the same transaction, a call_events row of type "_auth" naming what it ended:
 *   {"scope": "session" | "user" | "tenant", "session_id", "user_id", "reason"}.
 * The feed delivers it in order like any event (so every event worker of every host sees
 * it, and only once the write committed), clients never see it (filter_match), and here
 * each subscriber it names has its session checked again, exactly as at connect time:
 * the ones refused get a final `session_revoked` event and end. Checking instead of
 * trusting the scope keeps the rules in one place (session_check): a password change
 * ends the user's other sessions, and the session that changed it stays.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "events.h"
#include "jsonutil.h"
#include "log.h"
#include "session.h"

struct revocation {
    struct ev *ev;
    struct tenant *tenant;
    const char *scope, *session_id, *user_id, *reason;
};

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

static const char *final_event(struct arena *a, const char *reason, const char *message)
{
    struct json_object *o = json_object_new_object();
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03ldZ", ts.tv_nsec / 1000000);
    const char *text = NULL;
    if (o != NULL && json_set_str(o, "type", "session_revoked") == 0 &&
        json_set_str(o, "reason", reason) == 0 && json_set_str(o, "message", message) == 0 &&
        json_set_str(o, "timestamp", when) == 0)
        text = json_text(o, NULL);
    const char *copy = text ? arena_strdup(a, text) : NULL;
    json_object_put(o);
    /* Out of memory: still end the stream, with the smallest event that says why. */
    return copy ? copy : "{\"type\":\"session_revoked\"}";
}

static const char *verdict(const struct sub_who *who, void *arg)
{
    struct revocation *rv = arg;
    if (strcmp(rv->scope, "session") == 0 && strcmp(who->session_id, rv->session_id) != 0)
        return NULL;
    if (strcmp(rv->scope, "user") == 0 && strcmp(who->user_id, rv->user_id) != 0)
        return NULL;
    const char *role, *refusal;
    int rc = session_check(rv->ev->db, rv->ev->arena, who->session_id, who->user_id,
                           rv->tenant->id, &role, &refusal);
    if (rc == DB_OK)
        return NULL;
    /* The database failing right after it delivered the event: fail closed; the client
     * reconnects and is checked again. */
    if (rc < 0)
        refusal = "Your session could not be checked; reconnect";
    return final_event(rv->ev->arena, rv->reason, refusal);
}

void revoke_apply(struct ev *ev, const struct event *e)
{
    struct json_object *o = NULL;
    arena_reset(ev->arena);
    if (json_parse_object(e->frame + e->json_off, e->json_len, &o) != 0) {
        log_warn("events: control event %llu is not a JSON object; ignored", e->id);
        return;
    }
    struct revocation rv = {ev, e->tenant, str_of(o, "scope"), str_of(o, "session_id"),
                            str_of(o, "user_id"), str_of(o, "reason")};
    if (rv.reason[0] == '\0')
        rv.reason = "revoked";
    if (strcmp(rv.scope, "session") == 0 || strcmp(rv.scope, "user") == 0 ||
        strcmp(rv.scope, "tenant") == 0)
        hub_end_where(e->tenant, verdict, &rv);
    else
        log_warn("events: control event %llu has an unknown scope '%s'; ignored", e->id,
                 rv.scope);
    json_object_put(o);
    arena_reset(ev->arena);
}

/* Outbound calls: the pure rules and the store of records and aggregates (outbound.h). */
#include "outbound.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"

const char *const outbound_live_statuses[] = {"connecting", "ringing", "connected", "on_hold",
                                              NULL};
const char *const outbound_call_json_cols[] = {"tags", "objections", "next_actions", "quality",
                                               NULL};

bool outbound_is_live(const char *status)
{
    for (size_t i = 0; status != NULL && outbound_live_statuses[i] != NULL; i++)
        if (strcmp(outbound_live_statuses[i], status) == 0)
            return true;
    return false;
}

bool outbound_move_ok(const char *from, const char *to)
{
    static const char *const moves[][2] = {
        {"connecting", "ringing"}, {"connecting", "connected"}, {"ringing", "connected"},
        {"connected", "on_hold"},  {"on_hold", "connected"},
    };
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
        if (strcmp(moves[i][0], from) == 0 && strcmp(moves[i][1], to) == 0)
            return true;
    return false;
}

/* A word of an outcome: lowered whole when it is all capitals ("NO", "ANSWER"). */
static size_t put_word(char *out, size_t o, size_t cap, const char *w, size_t n, bool first)
{
    bool caps = true;
    for (size_t i = 0; i < n; i++)
        if (islower((unsigned char)w[i]))
            caps = false;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        int c = (unsigned char)w[i];
        if (i == 0)
            c = first ? tolower(c) : toupper(c);
        else if (caps)
            c = tolower(c);
        out[o++] = (char)c;
    }
    return o;
}

const char *outbound_outcome_key(struct arena *a, const char *text)
{
    char out[64];
    size_t o = 0;
    if (text == NULL)
        return NULL;
    for (const char *p = text; *p != '\0';) {
        while (*p != '\0' && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (isalnum((unsigned char)*p))
            p++;
        if (p > w)
            o = put_word(out, o, sizeof(out), w, (size_t)(p - w), o == 0);
    }
    if (o == 0)
        return NULL;
    out[o] = '\0';
    return arena_strdup(a, out);
}

static const char *const lead_statuses[] = {"new",       "contacted",      "callback",
                                            "qualified", "converted",      "not_interested",
                                            "bad_number", "do_not_call",   NULL};

bool outbound_lead_status_known(const char *status)
{
    for (size_t i = 0; status != NULL && lead_statuses[i] != NULL; i++)
        if (strcmp(lead_statuses[i], status) == 0)
            return true;
    return false;
}

bool outbound_wants_callback(const char *key)
{
    return key != NULL && (strcasecmp(key, "callback") == 0 ||
                           strcasecmp(key, "callbackRequested") == 0 ||
                           strcasecmp(key, "callbackScheduled") == 0);
}

const char *outbound_lead_status_of(const char *key)
{
    static const char *const map[][2] = {
        {"converted", "converted"},          {"sale", "converted"},
        {"sold", "converted"},               {"closed", "converted"},
        {"qualified", "qualified"},          {"interested", "qualified"},
        {"appointmentSet", "qualified"},     {"demoScheduled", "qualified"},
        {"notInterested", "not_interested"}, {"badNumber", "bad_number"},
        {"wrongNumber", "bad_number"},       {"disconnected", "bad_number"},
        {"doNotCall", "do_not_call"},        {"dnc", "do_not_call"},
    };
    if (key == NULL)
        return NULL;
    if (outbound_wants_callback(key))
        return "callback";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcasecmp(map[i][0], key) == 0)
            return map[i][1];
    return NULL;
}

/* "HH:MM[:SS]" as seconds since midnight, -1 when not that. */
static int day_seconds(const char *s)
{
    int h, m, sec = 0;
    if (s == NULL || (sscanf(s, "%d:%d:%d", &h, &m, &sec) < 2) || h < 0 || h > 24 || m < 0 ||
        m > 59 || sec < 0 || sec > 59)
        return -1;
    return h * 3600 + m * 60 + sec;
}

int outbound_in_hours(const struct tm *local, const char *start, const char *end,
                      const char *days)
{
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    int from = day_seconds(start), to = day_seconds(end);
    if (from < 0 || to < 0 || local->tm_wday < 0 || local->tm_wday > 6)
        return -1;
    if (days == NULL || strstr(days, names[local->tm_wday]) == NULL)
        return 0;
    int now = local->tm_hour * 3600 + local->tm_min * 60 + local->tm_sec;
    return now >= from && now < to;
}

void outbound_hms(char *buf, size_t size, long long seconds)
{
    if (seconds < 0)
        seconds = 0;
    snprintf(buf, size, "%02lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60,
             seconds % 60);
}

double outbound_round(double x, int decimals)
{
    double f = 1;
    for (int i = 0; i < decimals && i < 4; i++)
        f *= 10;
    /* Half away from zero, without libm (the binaries do not link it). */
    double y = x * f;
    return (double)(long long)(y >= 0 ? y + 0.5 : y - 0.5) / f;
}

/* ---- requests --------------------------------------------------------------------------- */

/*
 * The failed fields under the names coldcaller's clients send (an absent required field is
 * named by our snake_case name), an invalid leadId worded the way they show it; the order,
 * whose first is the answer's message, kept.
 */
void outbound_cold_names(struct request *r)
{
    struct json_object *f = r->field_errors, *named = json_object_new_object();
    char buf[96];
    if (f == NULL || named == NULL) {
        json_object_put(named);
        return;
    }
    json_object_object_foreach(f, k, v)
    {
        const char *camel = render_camel_name(k, buf, sizeof(buf));
        const char *name = camel ? camel : k;
        struct json_object *why = strcmp(name, "leadId") == 0
                                      ? json_object_new_string("Lead ID must be a positive integer")
                                      : json_object_get(v);
        if (json_object_object_add(named, name, why) != 0) {
            json_object_put(named);
            return;
        }
    }
    if (arena_json(r->arena, named) != NULL)
        r->field_errors = named;
}

/* ---- the store ------------------------------------------------------------------------ */

int outbound_call_fetch(struct request *r, const char *call_id, struct json_object **out)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " OUTBOUND_CALL_COLUMNS " FROM " OUTBOUND_CALL_FROM
                     " WHERE c.id = ? AND c.tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = arena_json(r->arena, db_row_json(res, 0, outbound_call_json_cols));
    return *out != NULL ? DB_OK : DB_ERROR;
}

int outbound_call_extend(struct request *r, const char *call_id, struct json_object *call)
{
    static const char *const keep[] = {"phone_number", "phone", "lead_id", "campaign_id",
                                       "answer_time", "duration", "outcome", "disposition",
                                       "notes", "tags", "objections", "next_actions",
                                       "recording_state", "quality", NULL};
    struct json_object *o = NULL, *v, *agent;
    int rc = outbound_call_fetch(r, call_id, &o);
    if (rc != DB_OK)
        return rc == 1 ? DB_OK : rc;
    if (!json_object_object_get_ex(o, "direction", &v) ||
        strcmp(json_object_get_string(v), "outbound") != 0)
        return DB_OK;
    for (size_t i = 0; keep[i] != NULL; i++)
        if (json_object_object_get_ex(o, keep[i], &v) &&
            json_object_object_add(call, keep[i], json_object_get(v)) != 0)
            return DB_ERROR;
    /* The transfer record's agent_id is an agents row, which a dialled call never has. */
    if ((!json_object_object_get_ex(call, "agent_id", &agent) || agent == NULL) &&
        json_object_object_get_ex(o, "agent_id", &v) &&
        json_object_object_add(call, "agent_id", json_object_get(v)) != 0)
        return DB_ERROR;
    return DB_OK;
}

int outbound_dnc_check(struct request *r, const char *number, bool lead_flag,
                       const char *lead_id, const char *campaign_id)
{
    struct db_result *res;
    const char *reason = lead_flag ? "lead" : NULL;
    if (reason == NULL) {
        int rc = db_exec(r->db, r->arena,
                         "SELECT id FROM blacklist WHERE tenant_id = ? AND number = ?"
                         " AND direction IN ('outbound','both')"
                         " AND (expires_at IS NULL OR expires_at > NOW()) LIMIT 1",
                         DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(number)), &res);
        if (rc != DB_OK)
            return rc;
        if (res->nrows == 0)
            return 0;
        reason = "blacklist";
    }
    const char *id = id_new(r->arena, "dnc_");
    if (id == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO dnc_attempts (id, tenant_id, number, user_id, lead_id,"
                     " campaign_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(number),
                               DB_STR(r->auth.user_id), DB_STR(lead_id), DB_STR(campaign_id),
                               DB_STR(reason)),
                     NULL);
    return rc == DB_OK ? 1 : rc;
}

/*
 * One statement: the call's row and its quality series' means, added to its bucket. A
 * call's quality counts once (the mean of its reports), so a long call with many reports
 * weighs as much as a short one.
 */
int outbound_stats_add(struct request *r, const char *call_id)
{
    const char *tid = r->auth.tenant_id;
    return db_exec(
        r->db, r->arena,
        "INSERT INTO outbound_stats (tenant_id, day, hour, agent_ref, campaign_id, outcome,"
        " calls, connected, recorded, conversions, duration_sum, talk_sum, quality_n,"
        " latency_sum, jitter_sum, packet_loss_sum, mos_sum)"
        " SELECT c.tenant_id, DATE(c.start_time), HOUR(c.start_time), COALESCE(c.agent_ref, ''),"
        " COALESCE(c.campaign_id, ''), COALESCE(c.outcome_key, ''), 1,"
        " c.answer_time IS NOT NULL, c.recording_state <> 'off', c.converted,"
        " c.total_duration, IF(c.answer_time IS NULL, 0,"
        "  GREATEST(0, TIMESTAMPDIFF(SECOND, c.answer_time, c.end_time))),"
        " q.n > 0, COALESCE(q.lat, 0), COALESCE(q.jit, 0), COALESCE(q.pl, 0), COALESCE(q.mos, 0)"
        " FROM calls c JOIN (SELECT COUNT(*) AS n, AVG(latency_ms) AS lat, AVG(jitter_ms) AS jit,"
        "  AVG(packet_loss) AS pl, AVG(mos) AS mos FROM call_quality"
        "  WHERE tenant_id = ? AND call_id = ?) q"
        " WHERE c.id = ? AND c.tenant_id = ?"
        " ON DUPLICATE KEY UPDATE calls = calls + VALUES(calls),"
        " connected = connected + VALUES(connected), recorded = recorded + VALUES(recorded),"
        " conversions = conversions + VALUES(conversions),"
        " duration_sum = duration_sum + VALUES(duration_sum),"
        " talk_sum = talk_sum + VALUES(talk_sum), quality_n = quality_n + VALUES(quality_n),"
        " latency_sum = latency_sum + VALUES(latency_sum),"
        " jitter_sum = jitter_sum + VALUES(jitter_sum),"
        " packet_loss_sum = packet_loss_sum + VALUES(packet_loss_sum),"
        " mos_sum = mos_sum + VALUES(mos_sum)",
        DB_PARAMS(DB_STR(tid), DB_STR(call_id), DB_STR(call_id), DB_STR(tid)), NULL);
}

/*
 * The end of a dialled call (outbound.h, outbound_end_call), in the caller's transaction:
 * the call ends, its CDR is written (cdr_store.c, like every call), the lead takes the
 * result (status, last outcome, a callback), the analytics aggregates add the call,
 * call.ended. POST /api/calls/:id/end (src/routes/outbound_end.c) and the clock's
 * abandoned dials (src/clock/tick.c) end calls this one way.
 *
 * The result: a disposition that is a code of the campaign's disposition set takes that
 * entry's outcome (a lead status) and callback_minutes; otherwise the disposition's and
 * then the outcome's words decide (outbound_lead_status_of). A callback without minutes is
 * at callback_at, else after the campaign's retry delay (60 minutes without a campaign).
 * A call converted when the lead ends qualified or converted.
 */
#include "outbound.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "cached.h"
#include "cdr_store.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "request.h"
#include "txn.h"

/* The campaign's disposition entry for the code sent: its outcome and callback minutes. */
static int end_disposition(struct request *r, struct outbound_end *e, const char *campaign_id)
{
    struct db_result *res;
    const char *code = e->disposition;
    e->callback_minutes = -1;
    if (campaign_id == NULL)
        return DB_OK;
    int rc = db_exec(r->db, r->arena,
                     "SELECT dispositions, retry_delay_minutes FROM campaigns"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(campaign_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK || res->nrows == 0)
        return rc;
    e->retry = db_get_int(res, 0, "retry_delay_minutes", 60);
    const char *text = db_get(res, 0, "dispositions");
    struct json_object *set = NULL;
    if (code != NULL && text != NULL && json_parse_value(text, strlen(text), &set) == 0 &&
        arena_json(r->arena, set) != NULL && json_object_is_type(set, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(set); i++) {
            struct json_object *d = json_object_array_get_idx(set, i), *v;
            if (!json_object_object_get_ex(d, "code", &v) ||
                strcasecmp(json_object_get_string(v), code) != 0)
                continue;
            if (json_object_object_get_ex(d, "outcome", &v) &&
                outbound_lead_status_known(json_object_get_string(v)))
                e->lead_status = arena_strdup(r->arena, json_object_get_string(v));
            if (json_object_object_get_ex(d, "callback_minutes", &v) &&
                json_object_get_int64(v) > 0)
                e->callback_minutes = json_object_get_int64(v);
            break;
        }
    }
    return DB_OK;
}

/* What the call's end means: lead status, callback, final status, CDR disposition. */
static void end_decide(struct request *r, struct outbound_end *e)
{
    const char *dkey = outbound_outcome_key(r->arena, e->disposition);
    e->outcome_key = outbound_outcome_key(r->arena, e->outcome);
    if (e->outcome_key == NULL)
        e->outcome_key = dkey;
    if (e->lead_status == NULL)
        e->lead_status = outbound_lead_status_of(dkey);
    if (e->lead_status == NULL)
        e->lead_status = outbound_lead_status_of(e->outcome_key);
    if (e->lead_status == NULL)
        e->lead_status = "contacted";
    if (e->callback_minutes < 0 && strcmp(e->lead_status, "callback") == 0 && e->callback_at == 0)
        e->callback_minutes = e->retry;
    if (e->callback_minutes >= 0 || e->callback_at > 0)
        e->lead_status = "callback";
    e->converted = strcmp(e->lead_status, "qualified") == 0 ||
                   strcmp(e->lead_status, "converted") == 0;
    const char *k = e->outcome_key ? e->outcome_key : "";
    if (e->answered)
        e->final = "completed", e->cdr_disposition = "answered";
    else if (strcasecmp(k, "busy") == 0)
        e->final = "busy", e->cdr_disposition = "busy";
    else if (strcasecmp(k, "failed") == 0 || strcasecmp(k, "badNumber") == 0 ||
             strcasecmp(k, "wrongNumber") == 0)
        e->final = "failed", e->cdr_disposition = "failed";
    else
        e->final = "missed", e->cdr_disposition = "no_answer";
}

static int end_update_call(struct request *r, const struct outbound_end *e)
{
    return db_exec(r->db, r->arena,
                   "UPDATE calls SET status = ?, end_time = GREATEST(NOW(3), start_time),"
                   " total_duration = GREATEST(0, TIMESTAMPDIFF(SECOND, start_time, NOW(3))),"
                   " outcome = ?, outcome_key = ?, converted = ?, disposition = ?,"
                   " notes = IF(?, ?, notes), tags = ?, objections = ?, next_actions = ?"
                   " WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(e->final), DB_STR(e->outcome), DB_STR(e->outcome_key),
                             DB_INT(e->converted), DB_STR(e->disposition),
                             DB_INT(e->notes_sent), DB_STR(e->notes), DB_STR(e->tags),
                             DB_STR(e->objections), DB_STR(e->next_actions), DB_STR(e->id),
                             DB_STR(r->auth.tenant_id)),
                   NULL);
}

/* The CDR, from the call as it now is; the way back to the call is in its metadata. */
static int end_cdr(struct request *r, const struct outbound_end *e)
{
    struct db_result *c;
    int rc = db_exec(r->db, r->arena,
                     "SELECT caller_number, called_number, user_id, lead_id, campaign_id,"
                     " tags, total_duration, UNIX_TIMESTAMP(start_time) AS s,"
                     " UNIX_TIMESTAMP(answer_time) AS a, UNIX_TIMESTAMP(end_time) AS e"
                     " FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(e->id), DB_STR(r->auth.tenant_id)), &c);
    if (rc != DB_OK || c->nrows == 0)
        return rc == DB_OK ? DB_ERROR : rc;
    long long start = db_get_int(c, 0, "s", 0), answer = db_get_int(c, 0, "a", 0);
    long long end = db_get_int(c, 0, "e", start), duration = db_get_int(c, 0, "total_duration", 0);
    struct json_object *meta = arena_json(r->arena, json_object_new_object());
    if (json_set_str(meta, "source", "outbound") || json_set_str(meta, "call_id", e->id) ||
        json_set_str(meta, "campaign_id", db_get(c, 0, "campaign_id")) ||
        json_set_str(meta, "outcome", e->outcome) ||
        json_set_str(meta, "disposition", e->disposition))
        return DB_ERROR;
    struct cdr cdr = {
        .direction = "outbound",
        .caller_number = db_get(c, 0, "caller_number"),
        .called_number = db_get(c, 0, "called_number"),
        .user_id = db_get(c, 0, "user_id"),
        .contact_id = db_get(c, 0, "lead_id"),
        .start = start,
        .answer = e->answered ? (answer ? answer : start) : 0,
        .end = end,
        .duration = duration,
        .billsec = e->answered && answer ? (end > answer ? end - answer : 0) : 0,
        .wait = -1,
        .disposition = e->cdr_disposition,
        .hangup_side = "agent",
        .tags_json = db_get(c, 0, "tags"),
        .metadata_json = json_text(meta, NULL),
    };
    if (cdr.billsec > duration)
        cdr.billsec = duration;
    rc = cdr_write(r, &cdr, NULL);
    /* A lead or a user deleted while the call was live: the CDR keeps the numbers. */
    if (rc == DB_FOREIGN_KEY) {
        cdr.user_id = cdr.contact_id = NULL;
        rc = cdr_write(r, &cdr, NULL);
    }
    return rc;
}

static int end_lead(struct request *r, const struct outbound_end *e, const char *lead_id)
{
    if (lead_id == NULL)
        return DB_OK;
    long long minutes = e->callback_minutes >= 0 ? e->callback_minutes : 0;
    return db_exec(r->db, r->arena,
                   "UPDATE contacts SET last_outcome = ?, lead_status = ?,"
                   " next_callback_at = CASE WHEN ? > 0 THEN FROM_UNIXTIME(?)"
                   "  WHEN ? THEN NOW() + INTERVAL ? MINUTE ELSE next_callback_at END"
                   " WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(e->outcome ? e->outcome
                                                      : e->disposition),
                             DB_STR(e->lead_status), DB_INT(e->callback_at),
                             DB_INT(e->callback_at), DB_INT(e->callback_minutes >= 0),
                             DB_INT(minutes), DB_STR(lead_id), DB_STR(r->auth.tenant_id)),
                   NULL);
}

static int end_event(struct request *r, struct outbound_end *e)
{
    int rc = outbound_call_fetch(r, e->id, &e->call);
    if (rc != DB_OK)
        return rc == 1 ? DB_ERROR : rc;
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_object_object_add(p, "call", json_object_get(e->call)) != 0 ||
        json_set_str(p, "call_id", e->id) || json_set_str(p, "status", e->final) ||
        json_set_str(p, "outcome", e->outcome) || json_set_str(p, "disposition", e->disposition))
        return DB_ERROR;
    rc = event_emit(r, "call.ended", e->id, json_text(p, NULL));
    if (rc != DB_OK)
        return rc;
    /* As every call write: the event worker woken, the tenant's call lists moved on. */
    event_wake_after_commit(r);
    txn_after_commit(r, cached_invalidate, "calls");
    return DB_OK;
}

int outbound_end_call(struct request *r, struct outbound_end *e)
{
    struct db_result *old;
    int rc = db_exec(r->db, r->arena,
                     "SELECT status, answer_time, lead_id, campaign_id FROM calls"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(e->id), DB_STR(r->auth.tenant_id)), &old);
    if (rc != DB_OK)
        return rc;
    if (old->nrows == 0)
        return 1;
    if (!outbound_is_live(db_get(old, 0, "status")))
        return 2;
    e->answered = db_get(old, 0, "answer_time") != NULL;
    e->lead_status = NULL;
    e->retry = 60;
    rc = end_disposition(r, e, db_get(old, 0, "campaign_id"));
    if (rc != DB_OK)
        return rc;
    end_decide(r, e);
    if ((rc = end_update_call(r, e)) == DB_OK && (rc = end_cdr(r, e)) == DB_OK &&
        (rc = end_lead(r, e, db_get(old, 0, "lead_id"))) == DB_OK &&
        (rc = outbound_stats_add(r, e->id)) == DB_OK)
        rc = end_event(r, e);
    return rc;
}

/*
 * Twilio's voice webhook for inbound calls to a number routed to an IVR flow, and the
 * callback of each <Gather> (docs/ivr.md). Signed like the call-status webhook
 * (webhooks.c): by the auth token of the tenant owning the called number, or, for a
 * gather callback, the tenant of the session. The answer is TwiML, never JSON once the
 * request is verified and the flow found (errors before that are the usual JSON).
 *
 * The first request starts a session (channel twilio, keyed by the CallSid) on the flow's
 * active version (or on the callcenter menu the number routes to, ivr_menu_load) and
 * records the call (calls, as the call-status webhook would); a route
 * to a queue puts the caller in queue_calls in the same transaction. A route to another
 * flow is a <Redirect> to this webhook with ?flow=<id>: that flow's session has no
 * CallSid of its own (the first session keeps it) and is reached by its id. A number
 * routed straight to a target (no IVR) answers that route's TwiML the same way. A caller
 * on the tenant's blacklist for inbound calls is rejected (<Reject/>) before any of it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "blacklist_store.h"
#include "crypto.h"
#include "db.h"
#include "did_route.h"
#include "ivr.h"
#include "httputil.h"
#include "jsonutil.h"
#include "recordings.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

#define VOICE_URL "/webhooks/twilio/voice"

struct voice_call {
    const char *sid, *from, *to, *flow_id, *did_id, *digits, *call_id;
    bool redirected; /* ?flow=: a <Redirect> from another flow of the same call */
    bool call_known; /* the call's row was there already (a retry, a redirect) */
    struct ivr_session s;
    struct ivr_out out;
};

/* The move's TwiML as the answer. */
static int answer_twiml(struct request *r, struct voice_call *v)
{
    const char *gather = v->s.id ? arena_printf(r->arena, VOICE_URL "/%s", v->s.id) : "";
    char *x = gather ? ivr_twiml(&v->out, &v->s.g, gather, VOICE_URL) : NULL;
    char *copy = x ? arena_strdup(r->arena, x) : NULL;
    free(x);
    if (copy == NULL)
        return DB_ERROR;
    reply_text(r, 200, "text/xml; charset=utf-8", copy, strlen(copy));
    return DB_OK;
}

/* The engine's move, its content, its steps, the queue, the TwiML. */
static int voice_move(struct request *r, struct voice_call *v, const char *input)
{
    if (ivr_engine_step(&v->s.g, &v->s.st, input, ivr_schedule_answer, r,
                        &v->out) != 0)
        return DB_ERROR;
    int rc = ivr_prompts_resolve(r, &v->out);
    if (rc == DB_OK)
        rc = ivr_session_save(r, &v->s, &v->out);
    if (rc == DB_OK)
        rc = ivr_enter_queue(r, &v->s, &v->out, v->call_id, v->did_id);
    return rc == DB_OK ? answer_twiml(r, v) : rc;
}

/* A duplicate CallSid is the same call's webhook racing us: retried, the transaction finds
 * the other's row (calls_lock_sid() says why there is no locking read first). */
static int sid_duplicate_retries(int rc)
{
    return rc == DB_DUPLICATE ? DB_DEADLOCK : rc;
}

/* The call's row: found by its CallSid in the tenant, else a new live inbound call. */
static int voice_call_row(struct request *r, struct voice_call *v)
{
    struct db_result *res;
    int rc = calls_lock_sid(r, v->sid, &res);
    if (rc == DB_OK && res->nrows > 0 && strcmp(db_get(res, 0, "tenant_id"),
                                                r->auth.tenant_id) != 0)
        return txn_fail(r, 409, "conflict", "This CallSid belongs to another number");
    v->call_known = rc == DB_OK && res->nrows > 0;
    if (rc != DB_OK || res->nrows > 0) {
        v->call_id = rc == DB_OK ? db_get(res, 0, "id") : NULL;
        return rc;
    }
    struct call_new c = {.call_sid = v->sid, .caller_number = v->from, .called_number = v->to,
                         .direction = "inbound", .status = "active"};
    rc = sid_duplicate_retries(calls_insert(r, &c, &v->call_id));
    if (rc == DB_OK)
        calls_written(r);
    return rc;
}

/* Twilio asked again for a call whose session runs (a retried webhook): the prompt of the
 * node the caller is at, nothing recorded; an ended session hangs up. */
static int replay_step(struct request *r, struct voice_call *v, const char *session_id)
{
    int rc = ivr_session_lock(r, session_id, &v->s);
    memset(&v->out, 0, sizeof(v->out));
    v->out.wait_node = -1;
    v->out.end = IVR_COMPLETED;
    if (rc == DB_OK && strcmp(v->s.status, "active") == 0 && v->s.st.waiting) {
        const struct ivr_node *n = &v->s.g.nodes[v->s.st.node];
        v->out.end = IVR_GOING;
        v->out.wait_node = v->s.st.node;
        v->out.prompts[0] = n->prompt;
        v->out.nprompts = n->prompt.text || n->prompt.audio_url || n->prompt.content_id;
        rc = ivr_prompts_resolve(r, &v->out);
    }
    if (rc == 1)
        rc = DB_OK; /* gone, or a menu switched off: the call ends */
    return rc == DB_OK ? answer_twiml(r, v) : rc;
}

/* The graph of the flow's active version, or of the menu the number routes to. */
static int load_graph(struct request *r, struct voice_call *v, struct ivr_session *s)
{
    int rc;
    if (strncmp(v->flow_id, "ivf_", 4) != 0) { /* a callcenter menu */
        s->menu_id = v->flow_id;
        s->flow_id = NULL;
        if ((rc = ivr_menu_load(r, s->menu_id, &s->g)) == 1)
            return txn_fail(r, 409, "conflict", "The IVR menu is not active or has no options");
        return rc;
    }
    rc = ivr_flow_active(r, v->flow_id, &s->version);
    if (rc == DB_OK && (rc = ivr_version_load(r, v->flow_id, &s->version, &s->g)) == 1)
        rc = DB_ERROR;
    return rc;
}

static int start_step(struct request *r, void *arg)
{
    struct voice_call *v = arg;
    struct ivr_session *s = &v->s;
    struct db_result *res;
    /* A session of this call already: a retry (answered again), or a redirect into another
     * flow (a new session; the first keeps the CallSid). A plain read, as for the call's
     * row (calls_lock_sid()): replay_step() locks a session found. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM ivr_sessions WHERE call_sid = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(v->sid), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows > 0 && !v->redirected)
        return replay_step(r, v, db_get(res, 0, "id"));
    *s = (struct ivr_session){.id = id_new(r->arena, "ivs_"), .flow_id = v->flow_id,
                              .call_sid = res->nrows ? NULL : v->sid, .status = "active",
                              .caller_number = v->from, .called_number = v->to};
    s->st.node = -1;
    rc = s->id ? load_graph(r, v, s) : DB_ERROR;
    if (rc == DB_OK)
        rc = voice_call_row(r, v);
    if (rc != DB_OK)
        return rc;
    s->call_id = v->call_id;
    s->st.vars = arena_json(r->arena, json_object_new_object());
    if (s->st.vars == NULL || json_set_str(s->st.vars, "caller_number", v->from) ||
        json_set_str(s->st.vars, "called_number", v->to))
        return DB_ERROR;
    rc = sid_duplicate_retries(ivr_session_insert(r, s, "twilio"));
    return rc == DB_OK ? voice_move(r, v, NULL) : rc;
}

/* A number routed straight to a target (no IVR): the call recorded, the caller in the
 * queue for a queue route, the route's TwiML (as an IVR route node's). */
static int direct_step(struct request *r, void *arg)
{
    struct voice_call *v = arg;
    v->s = (struct ivr_session){.caller_number = v->from, .called_number = v->to};
    v->out.wait_node = -1;
    v->out.end = IVR_ROUTED;
    int rc = voice_call_row(r, v);
    if (rc == DB_OK && !v->call_known) /* a retried webhook: in the queue already */
        rc = ivr_enter_queue(r, &v->s, &v->out, v->call_id, v->did_id);
    return rc == DB_OK ? answer_twiml(r, v) : rc;
}

/* Nothing to run (a number not routed yet, an IVR route without a target) and no error of
 * the request: the caller hears it and the call ends. */
static int unavailable(struct request *r)
{
    static const char twiml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                "<Say>This number is not available.</Say><Hangup/></Response>";
    return reply_text(r, 200, "text/xml; charset=utf-8", twiml, sizeof(twiml) - 1);
}

/* A caller on the tenant's blacklist for inbound calls is rejected before any IVR. */
static int rejected(struct request *r)
{
    static const char twiml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                "<Reject reason=\"rejected\"/></Response>";
    return reply_text(r, 200, "text/xml; charset=utf-8", twiml, sizeof(twiml) - 1);
}

static int webhook_voice(struct request *r)
{
    struct query_pair *form;
    size_t n;
    const char *tenant_id;
    if (twilio_called_tenant(r, &form, &n, &tenant_id) != 0)
        return -1;
    struct voice_call *v = arena_calloc(r->arena, 1, sizeof(*v));
    if (v == NULL)
        return request_oom(r);
    v->sid = http_pairs_get(form, n, "CallSid");
    v->from = http_pairs_get(form, n, "From");
    v->to = http_pairs_get(form, n, "To");
    if (v->sid == NULL || v->sid[0] == '\0' || strlen(v->sid) > 100)
        request_field_error(r, "CallSid", "is required");
    if (v->from == NULL || strlen(v->from) > 64)
        request_field_error(r, "From", "is required");
    if (strlen(v->to) > 64)
        request_field_error(r, "To", "is too long");
    if (request_check_fields(r) != 0)
        return -1;
    r->auth.tenant_id = tenant_id; /* from here on the request acts for the number's tenant */
    bool blocked;
    int rc = blacklist_store_blocks(r->db, r->arena, tenant_id, v->from, BLACKLIST_INBOUND,
                                    &blocked);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (blocked)
        return rejected(r);
    struct did_route route;
    rc = did_route_resolve(r, v->to, time(NULL), &route);
    if (rc < 0)
        return request_db_error(r, rc);
    v->did_id = rc == DB_OK ? route.did_id : NULL;
    v->flow_id = request_query(r, "flow");
    v->redirected = v->flow_id != NULL;
    if (v->flow_id == NULL && rc == DB_OK && strcmp(route.route_type, "ivr") == 0)
        v->flow_id = route.route_target; /* a flow (ivf_…) or a menu */
    if (v->flow_id == NULL && rc == DB_OK && strcmp(route.route_type, "ivr") != 0 &&
        (route.route_target != NULL || strcmp(route.route_type, "voicemail") == 0)) {
        v->out.target_type = route.route_type;
        v->out.target = route.route_target;
        return txn_reply(r, txn_run(r, direct_step, v));
    }
    if (v->flow_id == NULL)
        return unavailable(r);
    return txn_reply(r, txn_run(r, start_step, v));
}

/* ---- the gather callback --------------------------------------------------------------- */

static int gather_step(struct request *r, void *arg)
{
    struct voice_call *v = arg;
    struct db_result *res;
    int rc = ivr_session_lock(r, v->s.id, &v->s);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "IVR session not found");
    if (rc != DB_OK)
        return rc;
    if (strcmp(v->s.status, "active") != 0 || !v->s.st.waiting) {
        memset(&v->out, 0, sizeof(v->out));
        v->out.wait_node = -1;
        v->out.end = IVR_COMPLETED;
        return answer_twiml(r, v);
    }
    v->call_id = v->s.call_id;
    rc = db_exec(r->db, r->arena,
                 "SELECT id FROM dids WHERE number = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(v->s.called_number), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    v->did_id = res->nrows ? db_get(res, 0, "id") : NULL;
    return voice_move(r, v, v->digits);
}

static int webhook_voice_gather(struct request *r)
{
    struct voice_call *v = arena_calloc(r->arena, 1, sizeof(*v));
    struct query_pair *form;
    size_t n;
    struct db_result *res;
    if (v == NULL || request_form(r, &form, &n) != 0)
        return request_oom(r);
    const char *signature = request_header(r, "X-Twilio-Signature");
    if (signature == NULL || signature[0] == '\0')
        return request_error(r, 403, "invalid_signature",
                             "The X-Twilio-Signature header is missing");
    v->s.id = request_param(r, "sessionId");
    /* The session says whose it is; its tenant's token then checks the signature. */
    int rc = db_exec(r->db, r->arena, "SELECT tenant_id FROM ivr_sessions WHERE id = ?",
                     DB_PARAMS(DB_STR(v->s.id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "IVR session not found");
    const char *tenant_id = db_get(res, 0, "tenant_id");
    if (twilio_request_verify(r, tenant_id, signature, form, n,
                              "Twilio is not configured for this session's tenant") != 0)
        return -1;
    r->auth.tenant_id = tenant_id;
    v->sid = http_pairs_get(form, n, "CallSid");
    v->digits = http_pairs_get(form, n, "Digits");
    if (v->digits != NULL && strlen(v->digits) > 64)
        request_field_error(r, "Digits", "is too long");
    if (request_check_fields(r) != 0)
        return -1;
    return txn_reply(r, txn_run(r, gather_step, v));
}

static const struct route routes[] = {
    ROUTE("POST", VOICE_URL, webhook_voice, ROLES_PUBLIC, FAM_TRANSFER,
          .summary = "Twilio's voice webhook (signed): a call to a number routed to an IVR"
                     " flow, answered in TwiML",
          .answer_media = "text/xml"),
    ROUTE("POST", VOICE_URL "/:sessionId", webhook_voice_gather, ROLES_PUBLIC, FAM_TRANSFER,
          .summary = "Twilio's <Gather> callback of an IVR session (signed), answered in TwiML",
          .answer_media = "text/xml"),
};

ROUTE_GROUP(ivr_voice_routes, routes);

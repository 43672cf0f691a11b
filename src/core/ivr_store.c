/*
 * The IVR store (ivr.h): flow versions' graphs, the schedule and content a walk reads,
 * sessions and their steps. Every statement is scoped by r->auth.tenant_id; the writes
 * run inside the caller's transaction (txn.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "ivr.h"
#include "ivr_menu.h"
#include "jsonutil.h"
#include "log.h"
#include "queue_dist.h"
#include "request.h"
#include "schedule.h"
#include "txn.h"

/* A graph's JSON text parsed and validated into g. */
static int graph_of(struct request *r, const char *text, const char *flow_id, int version,
                    struct ivr_graph *g)
{
    struct json_object *doc = NULL;
    struct ivr_error err;
    if (text == NULL || json_parse_object(text, strlen(text), &doc) != 0)
        return DB_ERROR;
    arena_json(r->arena, doc);
    int rc = ivr_graph_parse(r->arena, doc, g, &err);
    if (rc != 0) {
        log_error("ivr flow %s version %d: stored graph is invalid (%s: %s)", flow_id, version,
                  err.field, err.message);
        return DB_ERROR;
    }
    return DB_OK;
}

int ivr_version_load(struct request *r, const char *flow_id, int *version, struct ivr_graph *g)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT v.version, v.graph FROM ivr_flows f JOIN ivr_flow_versions v"
                     " ON v.tenant_id = f.tenant_id AND v.flow_id = f.id"
                     " WHERE f.tenant_id = ? AND f.id = ?"
                     " AND v.version = IF(? > 0, ?, f.active_version)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(flow_id), DB_INT(*version),
                               DB_INT(*version)),
                     &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *version = (int)db_get_int(res, 0, "version", 0);
    return graph_of(r, db_get(res, 0, "graph"), flow_id, *version, g);
}

int ivr_menu_load(struct request *r, const char *menu_id, struct ivr_graph *g)
{
    struct db_result *res;
    struct json_object *doc;
    struct ivr_error err;
    int rc = db_exec(r->db, r->arena,
                     "SELECT is_active FROM ivr_menus WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(menu_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK || res->nrows == 0 || db_get_int(res, 0, "is_active", 0) == 0)
        return rc != DB_OK ? rc : 1;
    rc = ivr_menu_store_graph(r, menu_id, &doc);
    if (rc != DB_OK)
        return rc;
    rc = ivr_graph_parse(r->arena, doc, g, &err);
    if (rc == -2)
        return DB_ERROR;
    if (rc != 0) { /* a menu without options, an option without its target */
        log_warn("ivr menu %s cannot run (%s: %s)", menu_id, err.field, err.message);
        return 1;
    }
    return DB_OK;
}

int ivr_schedule_answer(void *ctx, const char *schedule_id)
{
    struct request *r = ctx;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT timezone, hours, holidays, is_active FROM schedules"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(schedule_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK || res->nrows == 0)
        return 0;
    /* A switched-off schedule is always open, as for a number's route (did_route.c). */
    if (db_get_int(res, 0, "is_active", 1) == 0)
        return 1;
    enum schedule_state st = schedule_state(db_get(res, 0, "hours"), db_get(res, 0, "holidays"),
                                            db_get(res, 0, "timezone"), time(NULL), NULL);
    if (st == SCHEDULE_STATE_ERROR)
        log_warn("ivr: schedule %s cannot be read; taken as closed", schedule_id);
    return st == SCHEDULE_STATE_OPEN ? 1 : st == SCHEDULE_STATE_HOLIDAY ? 2 : 0;
}

int ivr_prompts_resolve(struct request *r, struct ivr_out *out)
{
    for (size_t i = 0; i < out->nprompts; i++) {
        struct ivr_prompt *p = &out->prompts[i];
        struct db_result *res;
        if (p->content_id == NULL || p->text != NULL || p->audio_url != NULL)
            continue;
        int rc = db_exec(r->db, r->arena,
                         "SELECT type, text, audio_url, language, voice FROM ivr_content"
                         " WHERE id = ? AND tenant_id = ?",
                         DB_PARAMS(DB_STR(p->content_id), DB_STR(r->auth.tenant_id)), &res);
        if (rc != DB_OK)
            return rc;
        if (res->nrows == 0)
            continue; /* deleted since the flow was saved: nothing to speak */
        bool audio = strcmp(db_get(res, 0, "type"), "audio") == 0;
        p->text = audio ? NULL : db_get(res, 0, "text");
        p->audio_url = audio ? db_get(res, 0, "audio_url") : NULL;
        if (p->language == NULL)
            p->language = db_get(res, 0, "language");
        if (p->voice == NULL)
            p->voice = db_get(res, 0, "voice");
    }
    return DB_OK;
}

/* ---- sessions ------------------------------------------------------------------------- */

static int session_state(struct request *r, struct ivr_session *s, const struct db_result *res)
{
    const char *node = db_get(res, 0, "node_id"), *vars = db_get(res, 0, "variables");
    s->st.node = node ? ivr_graph_find(&s->g, node) : -1;
    s->st.attempts = (int)db_get_int(res, 0, "attempts", 0);
    s->st.waiting = strcmp(s->status, "active") == 0 && s->st.node >= 0 &&
                    (s->g.nodes[s->st.node].type == IVR_MENU ||
                     s->g.nodes[s->st.node].type == IVR_GATHER);
    s->st.vars = NULL;
    if (vars != NULL && json_parse_object(vars, strlen(vars), &s->st.vars) != 0)
        s->st.vars = NULL;
    if (s->st.vars == NULL)
        s->st.vars = json_object_new_object();
    return arena_json(r->arena, s->st.vars) ? DB_OK : DB_ERROR;
}

int ivr_session_lock(struct request *r, const char *id, struct ivr_session *s)
{
    struct db_result *res;
    memset(s, 0, sizeof(*s));
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, flow_id, menu_id, version, call_id, call_sid, status,"
                     " caller_number,"
                     " called_number, node_id, attempts, seq, variables FROM ivr_sessions"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK || res->nrows == 0)
        return rc != DB_OK ? rc : 1;
    s->id = db_get(res, 0, "id");
    s->flow_id = db_get(res, 0, "flow_id");
    s->call_sid = db_get(res, 0, "call_sid");
    s->call_id = db_get(res, 0, "call_id");
    s->status = db_get(res, 0, "status");
    s->caller_number = db_get(res, 0, "caller_number");
    s->called_number = db_get(res, 0, "called_number");
    s->version = (int)db_get_int(res, 0, "version", 0);
    s->seq = (int)db_get_int(res, 0, "seq", 0);
    s->menu_id = db_get(res, 0, "menu_id");
    if (s->flow_id != NULL && s->version > 0)
        rc = ivr_version_load(r, s->flow_id, &s->version, &s->g);
    else if (s->menu_id != NULL) /* a menu's session runs the menu as it is now */
        return (rc = ivr_menu_load(r, s->menu_id, &s->g)) == DB_OK ? session_state(r, s, res)
                                                                    : rc;
    else
        return 1;
    if (rc != DB_OK)
        return rc == 1 ? DB_ERROR : rc;
    return session_state(r, s, res);
}

int ivr_session_insert(struct request *r, const struct ivr_session *s, const char *channel)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO ivr_sessions (id, tenant_id, flow_id, version, menu_id,"
                   " channel, call_id, call_sid, caller_number, called_number, variables)"
                   " VALUES (?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(s->id), DB_STR(r->auth.tenant_id), DB_STR(s->flow_id),
                             DB_INT(s->version), DB_STR(s->menu_id), DB_STR(channel),
                             DB_STR(s->call_id),
                             DB_STR(s->call_sid),
                             DB_STR(s->caller_number), DB_STR(s->called_number),
                             DB_STR(json_text(s->st.vars, NULL))),
                   NULL);
}

static int insert_step(struct request *r, struct ivr_session *s, const char *node_id,
                       const char *type, const char *input, const char *result)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO ivr_steps (tenant_id, session_id, seq, flow_id, node_id,"
                   " node_type, input, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(s->id), DB_INT(++s->seq),
                             DB_STR(s->flow_id), DB_STR(node_id), DB_STR(type), DB_STR(input),
                             DB_STR(result)),
                   NULL);
}

static int update_session(struct request *r, const struct ivr_session *s,
                          const char *outcome_type, const char *outcome_target)
{
    const char *node = s->st.node >= 0 ? s->g.nodes[s->st.node].id : NULL;
    return db_exec(r->db, r->arena,
                   "UPDATE ivr_sessions SET status = ?, node_id = ?, attempts = ?, seq = ?,"
                   " variables = ?, outcome_type = ?, outcome_target = ?,"
                   " ended_at = IF(? = 'active', NULL, COALESCE(ended_at, NOW(3)))"
                   " WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(s->status), DB_STR(node), DB_INT(s->st.attempts),
                             DB_INT(s->seq), DB_STR(json_text(s->st.vars, NULL)),
                             DB_STR(outcome_type), DB_STR(outcome_target), DB_STR(s->status),
                             DB_STR(s->id), DB_STR(r->auth.tenant_id)),
                   NULL);
}

int ivr_session_save(struct request *r, struct ivr_session *s, const struct ivr_out *out)
{
    int rc = DB_OK;
    for (size_t i = 0; i < out->nsteps && rc == DB_OK; i++) {
        const struct ivr_node *n = &s->g.nodes[out->steps[i].node];
        rc = insert_step(r, s, n->id, ivr_type_name(n->type), out->steps[i].input,
                         out->steps[i].result);
    }
    if (rc != DB_OK)
        return rc;
    s->status = out->end == IVR_ROUTED ? "routed"
                : out->end == IVR_COMPLETED ? "completed" : "active";
    const char *type = out->end == IVR_ROUTED ? out->target_type
                       : out->end == IVR_COMPLETED ? "hangup" : NULL;
    return update_session(r, s, type, out->end == IVR_ROUTED ? out->target : NULL);
}

int ivr_session_abandon(struct request *r, struct ivr_session *s)
{
    int rc = DB_OK;
    if (s->st.node >= 0) {
        const struct ivr_node *n = &s->g.nodes[s->st.node];
        rc = insert_step(r, s, n->id, ivr_type_name(n->type), NULL, "ended");
    }
    s->status = "abandoned";
    return rc == DB_OK ? update_session(r, s, NULL, NULL) : rc;
}

int ivr_enter_queue(struct request *r, const struct ivr_session *s, struct ivr_out *out,
                    const char *call_id, const char *did_id)
{
    if (out->end != IVR_ROUTED || strcmp(out->target_type, "queue") != 0)
        return DB_OK;
    struct queue_call_in in = {.id = id_new(r->arena, "qc_"), .queue_id = out->target,
                               .call_id = call_id, .did_id = did_id,
                               /* a caller without a number, as Twilio names one */
                               .caller_number = s->caller_number ? s->caller_number
                                                                 : "anonymous",
                               .called_number = s->called_number};
    if (in.id == NULL)
        return DB_ERROR;
    int rc = qcall_enter(r, &in);
    if (rc == TXN_ANSWERED) { /* the queue cannot take the caller: the route stands */
        log_warn("ivr session %s: queue %s refused the caller", s->id ? s->id : "-",
                 out->target);
        request_unanswer(r);
        return DB_OK;
    }
    if (rc == DB_OK)
        out->queue_call_id = in.id;
    return rc;
}

int ivr_call_ended(struct request *r, const char *call_id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM ivr_sessions WHERE tenant_id = ? AND call_id = ?"
                     " AND status = 'active' ORDER BY id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id)), &res);
    for (size_t i = 0; rc == DB_OK && i < res->nrows; i++) {
        struct ivr_session s;
        rc = ivr_session_lock(r, db_get(res, i, "id"), &s);
        if (rc == 1) /* gone meanwhile, or a menu's session */
            rc = DB_OK;
        else if (rc == DB_OK && strcmp(s.status, "active") == 0)
            rc = ivr_session_abandon(r, &s);
    }
    /* Those the engine cannot load any more (a menu switched off meanwhile) end too. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE ivr_sessions SET status = 'abandoned', ended_at = NOW(3)"
                     " WHERE tenant_id = ? AND call_id = ? AND status = 'active'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id)), NULL);
    return rc;
}

/* ---- answers -------------------------------------------------------------------------- */

static struct json_object *prompt_json(const struct ivr_prompt *p)
{
    struct json_object *o = json_object_new_object();
    int rc = o == NULL;
    rc = rc || json_set_str(o, "type", p->audio_url ? "play" : "say");
    rc = rc || (p->text && json_set_str(o, "text", p->text));
    rc = rc || (p->audio_url && json_set_str(o, "audio_url", p->audio_url));
    rc = rc || (p->content_id && json_set_str(o, "content_id", p->content_id));
    rc = rc || (p->language && json_set_str(o, "language", p->language));
    rc = rc || (p->voice && json_set_str(o, "voice", p->voice));
    return json_done(o, rc);
}

static struct json_object *waiting_json(const struct ivr_graph *g, int at)
{
    const struct ivr_node *n = &g->nodes[at];
    struct json_object *o = json_object_new_object(), *keys = json_object_new_array();
    int rc = o == NULL || keys == NULL;
    for (int k = 0; rc == 0 && n->type == IVR_MENU && k < IVR_NKEYS; k++)
        if (n->options[k] >= 0)
            rc = json_push(keys, json_object_new_string_len(&IVR_KEYS[k], 1));
    rc = rc || json_set_str(o, "node_id", n->id) ||
         json_set_str(o, "type", ivr_type_name(n->type)) ||
         json_set_int(o, "timeout", n->timeout) ||
         json_set_int(o, "num_digits", n->type == IVR_MENU ? 1 : n->num_digits) ||
         (n->finish_on_key && json_set_str(o, "finish_on_key", n->finish_on_key));
    if (rc == 0 && n->type == IVR_MENU)
        return json_done(o, json_add(o, "options", keys));
    json_object_put(keys);
    return json_done(o, rc);
}

static struct json_object *outcome_json(const struct ivr_out *out)
{
    if (out->end == IVR_GOING)
        return NULL;
    struct json_object *o = json_object_new_object();
    int rc = o == NULL ||
             json_set_str(o, "status", out->end == IVR_ROUTED ? "routed" : "completed") ||
             json_set_str(o, "target_type", out->end == IVR_ROUTED ? out->target_type : NULL) ||
             json_set_str(o, "target", out->end == IVR_ROUTED ? out->target : NULL) ||
             (out->queue_call_id && json_set_str(o, "queue_call_id", out->queue_call_id));
    return json_done(o, rc);
}

struct json_object *ivr_out_json(struct request *r, const struct ivr_session *s,
                                 const struct ivr_out *out)
{
    struct json_object *o = json_object_new_object(), *prompts = json_object_new_array();
    int rc = o == NULL || prompts == NULL;
    for (size_t i = 0; rc == 0 && i < out->nprompts; i++)
        rc = json_push(prompts, prompt_json(&out->prompts[i]));
    const char *node = s->st.node >= 0 ? s->g.nodes[s->st.node].id : NULL;
    rc = rc || json_set_str(o, "id", s->id) || json_set_str(o, "flow_id", s->flow_id) ||
         (s->menu_id && json_set_str(o, "menu_id", s->menu_id)) ||
         json_set_int(o, "version", s->version) || json_set_str(o, "status", s->status) ||
         json_set_str(o, "node_id", node) ||
         json_set(o, "variables", json_object_get(s->st.vars));
    if (rc == 0)
        rc = json_add(o, "prompts", prompts);
    else
        json_object_put(prompts);
    rc = rc || json_set(o, "waiting", out->wait_node >= 0 ? waiting_json(&s->g, out->wait_node)
                                                          : NULL) ||
         json_set(o, "outcome", outcome_json(out));
    return arena_json(r->arena, json_done(o, rc));
}

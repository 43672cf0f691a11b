/*
 * Surveys (issue 9): CRUD of a tenant's surveys and their questions (survey_form.h), the
 * response link of one call or chat (survey_link.h: signed, so only that customer can
 * answer, once), and the responses. The customer's side is survey_public.c, the CSAT and
 * NPS figures survey_stats.c.
 *
 * A link makes the survey's response row for its subject at once (status 'partial'),
 * with the queue and agent of the call or chat copied onto it: the answer only completes
 * that row, and the stats read it by one index. The row's unique key (survey, subject)
 * is what makes a subject answerable once; making the link again gives the same token.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "survey_form.h"
#include "survey_link.h"
#include "txn.h"
#include "validate.h"

static const char *const channels[] = {"web", "email", "sms", "ivr", "chat", NULL};

enum { S_NAME, S_DESC, S_CHANNEL, S_ACTIVE };

/* `questions` is read apart (a list: survey_form.h). */
static const struct field_def survey_fields[] = {
    [S_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [S_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [S_CHANNEL] = {"channel", FT_ENUM, 0, 0, 0, channels, NULL, NULL},
    [S_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const survey_columns_of[] = {"name", "description", "channel", "is_active"};
static const char *const survey_json_cols[] = {"questions", NULL};

static const struct filter_def survey_filters[] = {
    {"is_active", FILTER_BOOL, " AND is_active = ?", NULL, NULL},
    {"channel", FILTER_ENUM, " AND channel = ?", channels, NULL},
    {"search", FILTER_LIKE, " AND name LIKE ? ESCAPE '\\\\'", NULL, NULL},
};

static const struct resource_writes survey_writes;

static const struct resource surveys = {
    .table = "call_surveys",
    .columns = "id, tenant_id, name, description, channel, questions, is_active, created_at,"
               " updated_at",
    .tenant_col = "tenant_id",
    .json_cols = survey_json_cols,
    .id_prefix = "survey_",
    RESOURCE_NAMES("survey", "surveys", "Survey not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(survey_filters),
    RESOURCE_FIELDS(survey_fields, survey_columns_of),
    .default_limit = 20,
    .writes = &survey_writes,
};

/* The questions, required on create; on update only when sent. */
static int survey_prepare(struct request *r, struct crud_write *w)
{
    struct json_object *q = NULL;
    if (w->op == CRUD_DELETE)
        return 0;
    bool sent = w->body != NULL && json_object_object_get_ex(w->body, "questions", &q);
    if (sent || w->op == CRUD_CREATE) {
        const char *text = NULL;
        if (survey_questions_check(r, q, &text) == 0)
            w->data = (void *)text;
    }
    if (w->op == CRUD_CREATE && !w->v[S_CHANNEL].sent)
        w->v[S_CHANNEL] = (struct field_value){.sent = true, .s = "web"};
    if (request_check_fields(r) != 0)
        return -1;
    return (sent || w->op == CRUD_CREATE) && w->data == NULL ? request_oom(r) : 0;
}

static int survey_write(struct request *r, struct crud_write *w)
{
    struct column_value q = {"questions", DB_STR(w->data)};
    switch (w->op) {
    case CRUD_CREATE:
        return resource_insert(r, &surveys, w->id, w->v, &q, 1);
    case CRUD_UPDATE:
        return resource_update(r, &surveys, w->id, w->v, &q, w->data ? 1 : 0);
    default:
        return resource_remove(r, &surveys, w->id);
    }
}

static const char *const survey_delete_details[] = {"name", NULL};

static const struct resource_writes survey_writes = {
    .prepare = survey_prepare,
    .write = survey_write,
    .duplicate = "A survey with this name already exists",
    .deleted = "Survey deleted successfully",
    .delete_details = survey_delete_details,
};

/* ---- links ------------------------------------------------------------------------------ */

enum { L_CDR, L_CHAT, L_NFIELDS };

static const struct field_def link_fields[] = {
    [L_CDR] = {"cdr_id", FT_ID, 0, 0, 0, NULL, NULL, NULL},
    [L_CHAT] = {"chat_session_id", FT_ID, 0, 0, 0, NULL, NULL, NULL},
};

struct link_make {
    const char *survey_id, *type, *subject_id, *field;
    const char *queue_id, *user_id, *call_sid, *caller;
};

/* The call or chat of the link, of this tenant (an agent: one they took). DB_OK with
 * the queue and agent set, TXN_ANSWERED (422), or a db_rc. */
static int link_subject(struct request *r, struct link_make *l)
{
    struct db_result *s;
    bool call = strcmp(l->type, "call") == 0;
    int rc = db_exec(r->db, r->arena,
                     call ? "SELECT queue_id, user_id, call_sid, caller_number FROM cdrs"
                            " WHERE tenant_id = ? AND id = ? LOCK IN SHARE MODE"
                          : "SELECT queue_id, user_id, NULL AS call_sid,"
                            " NULL AS caller_number FROM chat_sessions"
                            " WHERE tenant_id = ? AND id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(l->subject_id)), &s);
    if (rc != DB_OK)
        return rc;
    const char *agent = s->nrows ? db_get(s, 0, "user_id") : NULL;
    bool theirs = r->auth.role_bit != ROLE_AGENT ||
                  (agent != NULL && strcmp(agent, r->auth.user_id) == 0);
    if (s->nrows == 0 || !theirs) {
        request_field_error(r, l->field, call ? "must be a call of this tenant"
                                              : "must be a chat session of this tenant");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    l->queue_id = db_get(s, 0, "queue_id");
    l->user_id = agent;
    l->call_sid = db_get(s, 0, "call_sid");
    l->caller = db_get(s, 0, "caller_number");
    return DB_OK;
}

/* {response_id, survey_id, subject_type, subject_id, status, token, path, url} */
static int link_answer(struct request *r, const struct link_make *l, const char *response_id,
                       const char *status, int http)
{
    struct survey_link sl = {r->auth.tenant_id, l->survey_id, l->type, l->subject_id};
    char *token = survey_link_sign(r->arena, r->cfg->jwt_key, r->cfg->jwt_key_len, &sl);
    const char *path = token ? arena_printf(r->arena, "/api/v1/surveys/public/%s", token) : NULL;
    const char *url = path ? arena_printf(r->arena, "%s%s", r->cfg->public_base_url, path) : NULL;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (url == NULL || o == NULL || json_set_str(o, "response_id", response_id) ||
        json_set_str(o, "survey_id", l->survey_id) || json_set_str(o, "subject_type", l->type) ||
        json_set_str(o, "subject_id", l->subject_id) || json_set_str(o, "status", status) ||
        json_set_str(o, "token", token) || json_set_str(o, "path", path) ||
        json_set_str(o, "url", url))
        return DB_ERROR;
    return reply_one(r, http, "link", o) == 0 ? DB_OK : DB_ERROR;
}

static int link_step(struct request *r, void *arg)
{
    struct link_make *l = arg;
    struct db_result *sv, *old;
    bool call = strcmp(l->type, "call") == 0;
    int rc = db_exec(r->db, r->arena,
                     "SELECT is_active FROM call_surveys WHERE tenant_id = ? AND id = ?"
                     " LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(l->survey_id)), &sv);
    if (rc == DB_OK && sv->nrows == 0)
        return txn_fail(r, 404, "not_found", surveys.not_found);
    if (rc == DB_OK && db_get_int(sv, 0, "is_active", 0) == 0)
        return txn_fail(r, 409, "conflict", "This survey is not active");
    if (rc == DB_OK)
        rc = link_subject(r, l);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     call ? "SELECT id, status FROM survey_responses WHERE tenant_id = ?"
                            " AND survey_id = ? AND cdr_id = ? FOR UPDATE"
                          : "SELECT id, status FROM survey_responses WHERE tenant_id = ?"
                            " AND survey_id = ? AND chat_session_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(l->survey_id),
                               DB_STR(l->subject_id)),
                     &old);
    if (rc != DB_OK)
        return rc;
    if (old->nrows)
        return link_answer(r, l, db_get(old, 0, "id"), db_get(old, 0, "status"), 200);
    const char *id = id_new(r->arena, "sresp_");
    if (id == NULL)
        return DB_ERROR;
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO survey_responses (id, tenant_id, survey_id, cdr_id, call_sid,"
                 " chat_session_id, queue_id, user_id, caller_number, status)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'partial')",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(l->survey_id),
                           DB_STR(call ? l->subject_id : NULL), DB_STR(l->call_sid),
                           DB_STR(call ? NULL : l->subject_id), DB_STR(l->queue_id),
                           DB_STR(l->user_id), DB_STR(l->caller)),
                 NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &surveys, "link", l->survey_id,
                            arena_printf(r->arena, "{\"response_id\":\"%s\"}", id));
    return rc == DB_OK ? link_answer(r, l, id, "partial", 201) : rc;
}

static int survey_link_make(struct request *r)
{
    struct field_value v[L_NFIELDS];
    struct link_make l = {.survey_id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_CREATE, v, L_NFIELDS, NULL) != 0)
        return -1;
    bool cdr = v[L_CDR].s != NULL, chat = v[L_CHAT].s != NULL;
    if (cdr == chat)
        request_field_error(r, "cdr_id", "give either cdr_id or chat_session_id");
    if (request_check_fields(r) != 0)
        return -1;
    l.type = cdr ? "call" : "chat";
    l.subject_id = cdr ? v[L_CDR].s : v[L_CHAT].s;
    l.field = cdr ? "cdr_id" : "chat_session_id";
    int rc = txn_run(r, link_step, &l);
    /* Two first links of one subject at once: the one that lost the insert finds the
     * winner's row on its second try and answers that link. */
    if (rc == DB_DUPLICATE)
        rc = txn_run(r, link_step, &l);
    return txn_reply(r, rc);
}

/* ---- responses ------------------------------------------------------------------------- */

static const char *const response_statuses[] = {"partial", "completed", NULL};

static const struct filter_def response_filters[] = {
    {"status", FILTER_ENUM, " AND status = ?", response_statuses, NULL},
    {"queue_id", FILTER_ID, " AND queue_id = ?", NULL, NULL},
    {"agent_id", FILTER_ID, " AND user_id = ?", NULL, NULL},
};

static const char *const response_json_cols[] = {"answers", NULL};

static const struct resource responses = {
    .table = "survey_responses",
    .columns = "id, survey_id, cdr_id, call_sid, chat_session_id, queue_id,"
               " user_id AS agent_id, caller_number, answers, score, csat, nps, comment,"
               " status, answered_at, created_at",
    .tenant_col = "tenant_id",
    .json_cols = response_json_cols,
    RESOURCE_NAMES("response", "responses", "Survey response not found"),
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(response_filters),
    .default_limit = 20,
};

static int survey_responses(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *sv;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM call_surveys WHERE tenant_id = ? AND id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &sv);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (sv->nrows == 0)
        return request_error(r, 404, "not_found", surveys.not_found);
    struct qb w;
    qb_init(&w, r->arena);
    qb_addv(&w, " AND survey_id = ?", DB_STR(id));
    return resource_list(r, &responses, &w);
}

#define SURVEY_NAMES CRUD_NAMES("a", "survey", "surveys")

static const struct route routes[] = {
    CRUD_LIST_ROUTE("/api/surveys", &surveys, ROLES_ANY, FAM_CALLCENTER, SURVEY_NAMES),
    CRUD_CREATE_ROUTE("/api/surveys", &surveys, survey_fields, ROLES_STAFF, FAM_CALLCENTER,
                      SURVEY_NAMES),
    CRUD_GET_ROUTE("/api/surveys/:id", &surveys, ROLES_ANY, FAM_CALLCENTER, SURVEY_NAMES),
    CRUD_UPDATE_ROUTE("/api/surveys/:id", &surveys, survey_fields, ROLES_STAFF, FAM_CALLCENTER,
                      SURVEY_NAMES),
    CRUD_DELETE_ROUTE("/api/surveys/:id", &surveys, ROLES_STAFF, FAM_CALLCENTER, SURVEY_NAMES),
    ROUTE("POST", "/api/surveys/:id/links", survey_link_make, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The response link of a call or chat (signed; the same link if made before)",
          ROUTE_BODY(link_fields), .key = "link", .status = 201),
    ROUTE("GET", "/api/surveys/:id/responses", survey_responses, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "The survey's responses, newest first", .key = "responses",
          .flags = ROUTE_LIST, .resource = &responses),
};

ROUTE_GROUP(surveys_routes, routes);

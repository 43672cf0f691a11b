/*
 * The customer's side of a survey link (no account): the questions, and the answers,
 * once. The token (survey_link.h) names the tenant, survey and subject, and only this
 * server can make one: a token it did not sign, or one changed by a single character, is
 * a 404 like a link that does not exist, so a guesser learns nothing. The tenant must be
 * active and the survey too. Served under /api/ (nginx passes it to the pool like any
 * route; no token needed), so /api/v1/surveys/public/:token works as well.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "routes.h"
#include "survey_form.h"
#include "survey_link.h"
#include "txn.h"

static const char link_gone[] = "This survey link is not valid";

/* The token's link, its tenant made the request's; 0, or -1 with the 404 answered. */
static int link_of(struct request *r, struct survey_link *l)
{
    const char *token = request_param(r, "token");
    if (survey_link_verify(r->arena, r->cfg->jwt_key, r->cfg->jwt_key_len, token, l) != 0)
        return request_error(r, 404, "not_found", link_gone);
    r->auth.tenant_id = l->tenant_id;
    return 0;
}

/* The survey and the subject's response row (locked with for_update): DB_OK, 1 when
 * either is gone (or the survey or tenant is inactive), or a db_rc. */
static int link_rows(struct request *r, const struct survey_link *l, bool for_update,
                     struct db_result **row)
{
    struct qb q;
    qb_init(&q, r->arena);
    qb_add(&q, "SELECT s.name, s.description, s.questions, p.id AS response_id, p.status"
               " FROM call_surveys s JOIN tenants t ON t.id = s.tenant_id"
               " JOIN survey_responses p ON p.tenant_id = s.tenant_id AND p.survey_id = s.id");
    qb_addv(&q, strcmp(l->subject_type, "call") == 0 ? " AND p.cdr_id = ?"
                                                    : " AND p.chat_session_id = ?",
            DB_STR(l->subject_id));
    qb_addv(&q, " WHERE s.tenant_id = ? AND s.id = ? AND s.is_active = 1"
                " AND t.status = 'active'",
            DB_STR(l->tenant_id), DB_STR(l->survey_id));
    if (for_update)
        qb_add(&q, " FOR UPDATE");
    int rc = qb_exec(&q, r->db, row);
    if (rc != DB_OK)
        return rc;
    return (*row)->nrows ? DB_OK : 1;
}

static bool is_completed(const struct db_result *row)
{
    const char *s = db_get(row, 0, "status");
    return s != NULL && strcmp(s, "completed") == 0;
}

/* {survey:{id, name, description, questions}, subject_type, completed} */
static int public_get(struct request *r)
{
    struct survey_link l;
    struct db_result *row;
    if (link_of(r, &l) != 0)
        return -1;
    int rc = link_rows(r, &l, false, &row);
    if (rc == 1)
        return request_error(r, 404, "not_found", link_gone);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    const char *qt = db_get(row, 0, "questions");
    struct json_object *questions = NULL;
    if (qt == NULL || json_parse_value(qt, strlen(qt), &questions) != 0 ||
        arena_json(r->arena, questions) == NULL)
        return request_error(r, 500, "internal_error", "Internal error");
    struct json_object *s = json_object_new_object(), *o = arena_json(r->arena,
                                                                      json_object_new_object());
    int bad = json_set_str(s, "id", l.survey_id) || json_set_str(s, "name", db_get(row, 0, "name")) ||
              json_set_str(s, "description", db_get(row, 0, "description")) ||
              json_set(s, "questions", json_object_get(questions));
    if (bad || o == NULL || json_add(o, "survey", json_done(s, bad)) != 0 ||
        json_set_str(o, "subject_type", l.subject_type) ||
        json_set_bool(o, "completed", is_completed(row)))
        return request_oom(r);
    return reply_one(r, 200, "survey_link", o);
}

enum { A_ANSWERS, A_COMMENT, A_NFIELDS };

static const struct field_def answer_fields[] = {
    [A_ANSWERS] = {"answers", FT_OBJECT, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [A_COMMENT] = {"comment", FT_TEXT, F_NULLABLE, 0, 2000, NULL, NULL, NULL},
};

struct public_answer {
    struct survey_link l;
    struct json_object *answers;
    const char *comment;
};

static struct db_param score_param(int v)
{
    return v < 0 ? DB_NULL : DB_INT(v);
}

/* survey.completed for the staff's streams (and webhooks): what was rated, and how. */
static int completed_event(struct request *r, const struct public_answer *a,
                           const char *response_id, const struct survey_scores *sc)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "survey_id", a->l.survey_id) ||
        json_set_str(p, "response_id", response_id) ||
        json_set_str(p, "subject_type", a->l.subject_type) ||
        json_set_str(p, "subject_id", a->l.subject_id) ||
        json_set(p, "csat", sc->csat < 0 ? NULL : json_object_new_int(sc->csat)) ||
        json_set(p, "nps", sc->nps < 0 ? NULL : json_object_new_int(sc->nps)))
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    int rc = text ? event_emit(r, "survey.completed", NULL, text) : DB_ERROR;
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

static int answer_step(struct request *r, void *arg)
{
    struct public_answer *a = arg;
    struct db_result *row;
    struct json_object *questions = NULL;
    struct survey_scores sc;
    const char *text;
    int rc = link_rows(r, &a->l, true, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", link_gone);
    if (rc != DB_OK)
        return rc;
    if (is_completed(row))
        return txn_fail(r, 409, "conflict", "This survey was answered already");
    const char *qt = db_get(row, 0, "questions");
    if (qt == NULL || json_parse_value(qt, strlen(qt), &questions) != 0 ||
        arena_json(r->arena, questions) == NULL)
        return DB_ERROR;
    if (survey_answers_check(r, questions, a->answers, &text, &sc) != 0)
        return request_check_fields(r) != 0 ? TXN_ANSWERED : DB_ERROR;
    const char *id = db_get(row, 0, "response_id");
    int score = sc.csat >= 0 ? sc.csat : sc.nps;
    rc = db_exec(r->db, r->arena,
                 "UPDATE survey_responses SET answers = ?, comment = ?, csat = ?, nps = ?,"
                 " score = ?, status = 'completed', answered_at = NOW()"
                 " WHERE tenant_id = ? AND id = ?",
                 DB_PARAMS(DB_STR(text), DB_STR(a->comment), score_param(sc.csat),
                           score_param(sc.nps), score_param(score), DB_STR(a->l.tenant_id),
                           DB_STR(id)),
                 NULL);
    if (rc == DB_OK)
        rc = audit_record(r, a->l.tenant_id, "survey_response.answer", "survey_response", id,
                          NULL);
    if (rc == DB_OK)
        rc = completed_event(r, a, id, &sc);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "response_id", id) ||
        json_set_str(o, "status", "completed"))
        return DB_ERROR;
    return reply_one(r, 201, "response", o) == 0 ? DB_OK : DB_ERROR;
}

static int public_answer(struct request *r)
{
    struct field_value v[A_NFIELDS];
    struct public_answer a = {0};
    if (link_of(r, &a.l) != 0 || fields_declared(r, FIELDS_CREATE, v, A_NFIELDS, NULL) != 0)
        return -1;
    if (json_parse_object(v[A_ANSWERS].s, strlen(v[A_ANSWERS].s), &a.answers) != 0 ||
        arena_json(r->arena, a.answers) == NULL)
        return request_oom(r);
    a.comment = v[A_COMMENT].s;
    return txn_reply(r, txn_run(r, answer_step, &a));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/surveys/public/:token", public_get, ROLES_PUBLIC, FAM_CALLCENTER,
          .summary = "A survey link's questions, for the customer (no account)",
          .key = "survey_link"),
    ROUTE("POST", "/api/surveys/public/:token", public_answer, ROLES_PUBLIC, FAM_CALLCENTER,
          .summary = "The customer's answers to a survey link, once", ROUTE_BODY(answer_fields),
          .key = "response", .status = 201),
};

ROUTE_GROUP(survey_public_routes, routes);

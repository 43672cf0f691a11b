/*
 * Call tags (callcenter family): words on a CDR (call_tags, sql/002), listed per call and
 * per tenant with counts; the CDR list filters by one (?tag=, cdr.c). Anyone of the tenant
 * tags and untags its calls; a CDR of another tenant is absent (404). Tags compare without
 * case (the table's collation): "VIP" on a call that has "vip" is already there.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "cached.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

#define TAGS_MAX 20 /* per request */
#define TAG_MAX 64

static const struct field_def tag_fields[] = {
    {"tag", FT_TEXT, 0, 1, TAG_MAX, NULL, NULL, NULL},
    {"tags", FT_STRINGS, 0, 1, TAGS_MAX, NULL, NULL, NULL},
};

/* Inside a step: DB_OK when the CDR is the tenant's (locked against its deletion), 1 when
 * absent, or a db_rc. */
static int cdr_locked(struct request *r, const char *cdr_id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM cdrs WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(cdr_id), DB_STR(r->auth.tenant_id)), &res);
    return rc != DB_OK ? rc : res->nrows ? DB_OK : 1;
}

/* A whole list of rows as the answer (one page holding all of them). 0 or -1. */
static int reply_rows(struct request *r, int status, const struct db_result *res)
{
    long long n = (long long)res->nrows;
    struct json_object *items = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    if (items == NULL || reply_list(r, "tags", items, 1, n > 0 ? n : 1, n) != 0)
        return -1;
    r->reply.status = status;
    return 0;
}

/* The call's tags, by name, answered with status. DB_OK or a db_rc. */
static int answer_tags(struct request *r, int status, const char *cdr_id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT tag, created_by, created_at FROM call_tags"
                     " WHERE tenant_id = ? AND cdr_id = ? ORDER BY tag",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(cdr_id)), &res);
    if (rc != DB_OK)
        return rc;
    return reply_rows(r, status, res) == 0 ? DB_OK : DB_ERROR;
}

static int tags_step(struct request *r, void *arg)
{
    const char *cdr_id = request_param(r, "id");
    (void)arg;
    int rc = cdr_locked(r, cdr_id);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "CDR not found");
    return rc == DB_OK ? answer_tags(r, 200, cdr_id) : rc;
}

static int call_tags_list(struct request *r)
{
    return txn_reply(r, txn_run(r, tags_step, NULL));
}

struct tag_add {
    const char *tags[TAGS_MAX + 1];
    size_t n;
};

static int add_step(struct request *r, void *arg)
{
    const struct tag_add *a = arg;
    const char *cdr_id = request_param(r, "id");
    int rc = cdr_locked(r, cdr_id);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "CDR not found");
    for (size_t i = 0; rc == DB_OK && i < a->n; i++)
        rc = db_exec(r->db, r->arena,
                     "INSERT IGNORE INTO call_tags (tenant_id, cdr_id, tag, created_by)"
                     " VALUES (?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(cdr_id), DB_STR(a->tags[i]),
                               DB_STR(r->auth.user_id)),
                     NULL);
    if (rc == DB_OK)
        txn_after_commit(r, cached_invalidate, "cdrs"); /* ?tag= totals of the CDR list */
    return rc == DB_OK ? answer_tags(r, 201, cdr_id) : rc;
}

/* One tag trimmed into a->tags; a 422 reason on field when blank or too long. */
static void add_tag(struct request *r, struct tag_add *a, const char *field, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n > TAG_MAX) {
        request_field_error(r, field, "must be 1 to 64 characters");
        return;
    }
    if (a->n < TAGS_MAX && (a->tags[a->n] = arena_strndup(r->arena, s, n)) != NULL)
        a->n++;
}

static int call_tags_add(struct request *r)
{
    struct field_value v[2];
    struct json_object *body, *list;
    struct tag_add a = {.n = 0};
    if (fields_declared(r, FIELDS_CREATE, v, 2, &body) != 0)
        return -1;
    if (v[0].s != NULL)
        add_tag(r, &a, "tag", v[0].s);
    if (v[1].s != NULL && json_object_object_get_ex(body, "tags", &list))
        for (size_t i = 0; i < json_object_array_length(list) && i < TAGS_MAX; i++)
            add_tag(r, &a, "tags", json_object_get_string(json_object_array_get_idx(list, i)));
    if (v[0].s == NULL && v[1].s == NULL)
        request_field_error(r, "tag", "is required (or tags)");
    if (request_check_fields(r) != 0)
        return -1;
    return txn_reply(r, txn_run(r, add_step, &a));
}

static int remove_step(struct request *r, void *arg)
{
    const char *cdr_id = request_param(r, "id"), *tag = arg;
    struct db_result *res;
    int rc = cdr_locked(r, cdr_id);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "CDR not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "DELETE FROM call_tags WHERE tenant_id = ? AND cdr_id = ? AND tag = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(cdr_id), DB_STR(tag)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->affected_rows == 0)
        return txn_fail(r, 404, "not_found", "The call has no such tag");
    txn_after_commit(r, cached_invalidate, "cdrs");
    return reply_message(r, 200, "Tag removed") == 0 ? DB_OK : DB_ERROR;
}

static int call_tags_remove(struct request *r)
{
    const char *tag = request_param(r, "tag");
    if (tag == NULL || tag[0] == '\0' || strlen(tag) > TAG_MAX * 4)
        return request_error(r, 404, "not_found", "The call has no such tag");
    return txn_reply(r, txn_run(r, remove_step, (void *)tag));
}

/* The tenant's tags with how many calls carry each, the most used first. */
static int tenant_tags(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT tag, COUNT(*) AS count, MAX(created_at) AS last_used_at"
                     " FROM call_tags WHERE tenant_id = ? GROUP BY tag"
                     " ORDER BY count DESC, tag LIMIT 1000",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_rows(r, 200, res);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/cdr/:id/tags", call_tags_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "A call's tags", .key = "tags", .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("POST", "/api/cdr/:id/tags", call_tags_add, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Tag a call ({tag} or {tags: [...]}); answers its tags",
          ROUTE_BODY(tag_fields), .key = "tags", .flags = ROUTE_LIST | ROUTE_WHOLE,
          .status = 201),
    ROUTE("DELETE", "/api/cdr/:id/tags/:tag", call_tags_remove, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Remove a tag from a call"),
    ROUTE("GET", "/api/tags", tenant_tags, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The tenant's call tags with their counts, the most used first",
          .key = "tags", .flags = ROUTE_LIST | ROUTE_WHOLE),
};

ROUTE_GROUP(call_tags_routes, routes);

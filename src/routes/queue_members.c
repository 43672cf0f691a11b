/*
 * The members of a queue: users of the tenant with a penalty (lower is offered first), a
 * position (the order of the `linear` strategy within a penalty) and a pause with its
 * reason. A user may be a member of several queues, of each once. Every change emits its
 * queue.member.* event in the same transaction, so a wallboard that follows the feed and
 * the table never disagree.
 *
 * Member writes of one queue take turns on the queue row (FOR UPDATE), taken first: an
 * added member's default position is MAX + 1 of that queue, which two concurrent adds must
 * not both read, and a queue delete sees its members as they are when they go.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "notify.h"
#include "qb.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

enum { M_PENALTY, M_POSITION, M_PAUSED, M_REASON, M_USER };

/* What PUT may change; POST adds the user. */
#define MEMBER_CHANGE_FIELDS                                                                \
    [M_PENALTY] = {"penalty", FT_INT, 0, 0, 100, NULL, NULL, NULL},                        \
    [M_POSITION] = {"position", FT_INT, 0, 0, 1000000, NULL, NULL, NULL},                  \
    [M_PAUSED] = {"paused", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},                           \
    [M_REASON] = {"paused_reason", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL}

static const struct field_def member_add_fields[] = {
    MEMBER_CHANGE_FIELDS,
    [M_USER] = {"user_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
};
static const struct field_def member_change_fields[] = {MEMBER_CHANGE_FIELDS};

#define M_NFIELDS FIELDS_N(member_add_fields)

static const struct filter_def member_filters[] = {
    {"paused", FILTER_BOOL, " AND m.is_paused = ?", NULL, NULL},
};

static const struct resource_writes member_writes = {
    .duplicate = "User is already a member of this queue",
};

/* users has no user name or extension: the e-mail is the name a user signs in with, so it
 * is the member's `username`, as in the agent events. */
static const struct resource members = {
    .table = "queue_members",
    .columns = "m.id, m.queue_id, m.user_id, u.email AS username, u.first_name, u.last_name,"
               " u.email, m.penalty, m.position, m.is_paused AS paused, m.paused_reason,"
               " m.paused_at, m.created_at, m.updated_at",
    .from = "queue_members m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id",
    .id_col = "m.id",
    .tenant_col = "m.tenant_id",
    .id_prefix = "qm_",
    RESOURCE_NAMES("member", "members", "Queue member not found"),
    .entity = "queue_member",
    .order = "m.penalty, m.position, m.id",
    RESOURCE_FILTERS(member_filters),
    .default_limit = 100,
    .max_limit = 500,
    .writes = &member_writes,
};

struct member_write {
    const char *queue_id, *user_id; /* add and remove: from the path */
    const char *id;                 /* the member row: new on add, from the path on PUT */
    struct field_value v[M_NFIELDS];
    const char *details; /* the audit's */
};

/* ---- shared steps ---------------------------------------------------------------------- */

/* Locks the queue for the rest of the transaction. DB_OK, TXN_ANSWERED (404), or a db_rc. */
static int queue_lock(struct request *r, const char *queue_id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM queues WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows == 0)
        return txn_fail(r, 404, "not_found", "Queue not found");
    return rc;
}

/* A reason is kept only while paused; "" (what callcenter clients send for none) is none. */
static const char *reason_of(const struct field_value *v)
{
    return v->sent && !v->null && v->s[0] != '\0' ? v->s : NULL;
}

static int reason_check(struct request *r, const struct field_value *v, bool paused)
{
    if (paused || reason_of(&v[M_REASON]) == NULL)
        return 0;
    request_field_error(r, "paused_reason", "is only kept while the member is paused");
    return request_check_fields(r);
}

/* The payload of the callcenter family's queue.member.* events: {queue_id, queue_name,
 * user_id, username, penalty, paused, reason}, plus member_id and position. */
static const char *event_payload(struct request *r, const struct db_result *m, size_t i)
{
    static const char *const texts[] = {"queue_id", "queue_name", "user_id", "username"};
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    for (size_t k = 0; p != NULL && k < sizeof(texts) / sizeof(texts[0]); k++)
        if (json_set_str(p, texts[k], db_get(m, i, texts[k])) != 0)
            p = NULL;
    if (p == NULL || json_set_int(p, "penalty", db_get_int(m, i, "penalty", 0)) != 0 ||
        json_set_bool(p, "paused", db_get_int(m, i, "is_paused", 0) != 0) != 0 ||
        json_set_str(p, "reason", db_get(m, i, "paused_reason")) != 0 ||
        json_set_str(p, "member_id", db_get(m, i, "id")) != 0 ||
        json_set_int(p, "position", db_get_int(m, i, "position", 0)) != 0)
        return NULL;
    return json_text(p, NULL);
}

/*
 * queue.member.<what> for each member where `col` (m.id or m.queue_id) is value, as the
 * members now are (before a delete: as they were). DB_OK or a db_rc; DB_ERROR when `one`
 * and no member matched.
 */
static int member_events(struct request *r, const char *type, const char *col,
                         const char *value, bool one)
{
    struct db_result *m = NULL;
    struct qb q;
    qb_init(&q, r->arena);
    qb_add(&q, "SELECT m.id, m.queue_id, q.name AS queue_name, m.user_id,"
               " u.email AS username, m.penalty, m.position, m.is_paused, m.paused_reason"
               " FROM queue_members m"
               " JOIN queues q ON q.tenant_id = m.tenant_id AND q.id = m.queue_id"
               " JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id WHERE ");
    qb_add(&q, col);
    qb_addv(&q, " = ? AND m.tenant_id = ? ORDER BY m.penalty, m.position, m.id",
            DB_STR(value), DB_STR(r->auth.tenant_id));
    int rc = qb_exec(&q, r->db, &m);
    if (rc == DB_OK && one && m->nrows == 0)
        rc = DB_ERROR;
    for (size_t i = 0; rc == DB_OK && i < m->nrows; i++) {
        const char *text = event_payload(r, m, i);
        rc = text ? event_emit(r, type, NULL, text) : DB_ERROR;
    }
    if (rc == DB_OK && m->nrows > 0)
        event_wake_after_commit(r);
    return rc;
}

static int member_event(struct request *r, const char *type, const char *id)
{
    return member_events(r, type, "m.id", id, true);
}

int queue_members_removed(struct request *r, const char *queue_id)
{
    return member_events(r, "queue.member.removed", "m.queue_id", queue_id, false);
}

/* ---- GET /queues/:id/members ----------------------------------------------------------- */

static int member_list(struct request *r)
{
    const char *queue_id = request_param(r, "id");
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM queues WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "Queue not found");
    struct qb where;
    qb_init(&where, r->arena);
    qb_addv(&where, " AND m.queue_id = ?", DB_STR(queue_id));
    return resource_list(r, &members, &where);
}

/* ---- POST /queues/:id/members ---------------------------------------------------------- */

/* The unique key would refuse it too; asked first so the answer is the 409 of this case. */
static int member_absent(struct request *r, const struct member_write *w)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM queue_members WHERE tenant_id = ? AND queue_id = ?"
                     " AND user_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->queue_id),
                               DB_STR(w->user_id)),
                     &res);
    if (rc == DB_OK && res->nrows > 0)
        return txn_fail(r, 409, "conflict", member_writes.duplicate);
    return rc;
}

/* Not sent: after the last member of the queue (the queue row is locked: no one else adds). */
static int member_insert(struct request *r, const struct member_write *w)
{
    const struct field_value *v = w->v;
    long long position = v[M_POSITION].i;
    if (!v[M_POSITION].sent) {
        struct db_result *res;
        int rc = db_exec(r->db, r->arena,
                         "SELECT COALESCE(MAX(position), 0) + 1 AS next FROM queue_members"
                         " WHERE tenant_id = ? AND queue_id = ?",
                         DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->queue_id)), &res);
        if (rc != DB_OK)
            return rc;
        position = db_get_int(res, 0, "next", 1);
    }
    bool paused = v[M_PAUSED].sent && v[M_PAUSED].b;
    return db_exec(r->db, r->arena,
                   "INSERT INTO queue_members (id, tenant_id, queue_id, user_id, penalty,"
                   " position, is_paused, paused_reason, paused_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, IF(? = 1, UTC_TIMESTAMP(), NULL))",
                   DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id), DB_STR(w->queue_id),
                             DB_STR(w->user_id), DB_INT(v[M_PENALTY].sent ? v[M_PENALTY].i : 0),
                             DB_INT(position), DB_INT(paused), DB_STR(reason_of(&v[M_REASON])),
                             DB_INT(paused)),
                   NULL);
}

/* The user added hears of it (not when they added themselves). */
static int member_notice(struct request *r, const struct member_write *w)
{
    if (r->auth.user_id != NULL && strcmp(r->auth.user_id, w->user_id) == 0)
        return DB_OK;
    struct db_result *q;
    int rc = db_exec(r->db, r->arena, "SELECT name FROM queues WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->queue_id), DB_STR(r->auth.tenant_id)), &q);
    if (rc != DB_OK || q->nrows == 0)
        return rc == DB_OK ? DB_ERROR : rc;
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    if (data == NULL || json_set_str(data, "queue_id", w->queue_id) != 0 ||
        json_set_str(data, "member_id", w->id) != 0)
        return DB_ERROR;
    const char *title = arena_printf(r->arena, "You were added to queue %s",
                                     db_get(q, 0, "name"));
    return notify_user(r, &(struct notice){.user_id = w->user_id, .type = "queue.member.added",
                                           .title = title, .data_json = json_text(data, NULL)});
}

static int add_step(struct request *r, void *arg)
{
    struct member_write *w = arg;
    int rc = queue_lock(r, w->queue_id);
    if (rc == DB_OK)
        rc = crud_refer(r,
                        "SELECT id FROM users WHERE id = ? AND tenant_id = ? AND is_active = 1"
                        " LOCK IN SHARE MODE",
                        w->user_id, "user_id", "must be an active user of this tenant");
    if (rc == DB_OK)
        rc = member_absent(r, w);
    if (rc == DB_OK)
        rc = member_insert(r, w);
    if (rc == DB_OK)
        rc = resource_audit(r, &members, "create", w->id, w->details);
    if (rc == DB_OK)
        rc = member_event(r, "queue.member.added", w->id);
    if (rc == DB_OK)
        rc = member_notice(r, w);
    return rc == DB_OK ? resource_answer(r, &members, 201, w->id) : rc;
}

static int member_add(struct request *r)
{
    struct member_write w = {.queue_id = request_param(r, "id")};
    struct json_object *body = NULL;
    if (fields_declared(r, FIELDS_CREATE, w.v, M_NFIELDS, &body) != 0)
        return -1;
    if (reason_check(r, w.v, w.v[M_PAUSED].sent && w.v[M_PAUSED].b) != 0)
        return -1;
    w.user_id = w.v[M_USER].s;
    w.details = body ? json_text(body, NULL) : NULL;
    if ((w.id = id_new(r->arena, members.id_prefix)) == NULL)
        return request_oom(r);
    return crud_reply(r, &members, txn_run(r, add_step, &w));
}

/* ---- DELETE /queues/:id/members/:userId ------------------------------------------------ */

static int remove_step(struct request *r, void *arg)
{
    struct member_write *w = arg;
    struct db_result *row;
    struct json_object *record = NULL, *details;
    int rc = queue_lock(r, w->queue_id);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM queue_members WHERE tenant_id = ? AND queue_id = ?"
                     " AND user_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->queue_id),
                               DB_STR(w->user_id)),
                     &row);
    if (rc != DB_OK)
        return rc;
    if (row->nrows == 0)
        return txn_fail(r, 404, "not_found", members.not_found);
    w->id = db_get(row, 0, "id");
    /* The event and the answer tell of the member as it was. */
    rc = member_event(r, "queue.member.removed", w->id);
    if (rc == DB_OK && (rc = resource_fetch(r, &members, w->id, &record)) == 1)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "DELETE FROM queue_members WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id)), NULL);
    details = arena_json(r->arena, json_object_new_object());
    if (rc == DB_OK && (details == NULL || json_set_str(details, "queue_id", w->queue_id) != 0 ||
                        json_set_str(details, "user_id", w->user_id) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = resource_audit(r, &members, "delete", w->id, json_text(details, NULL));
    if (rc == DB_OK &&
        reply_set(r, "message", json_object_new_string("Member removed from the queue")) != 0)
        rc = DB_ERROR;
    if (rc == DB_OK && reply_one(r, 200, members.one, record) != 0)
        rc = DB_ERROR;
    return rc;
}

static int member_remove(struct request *r)
{
    struct member_write w = {.queue_id = request_param(r, "id"),
                             .user_id = request_param(r, "userId")};
    return crud_reply(r, &members, txn_run(r, remove_step, &w));
}

/* ---- PUT /queues/members/:memberId ----------------------------------------------------- */

/*
 * The sent columns, and the pause as it moves: pausing stamps paused_at, unpausing clears
 * it and the reason (the table's CHECK holds the two together).
 */
static int member_update(struct request *r, const struct member_write *w, bool was, bool now)
{
    const struct field_value *v = w->v;
    struct qb q;
    qb_init(&q, r->arena);
    /* A no-op first assignment, so every later one starts with a comma. */
    qb_add(&q, "UPDATE queue_members SET penalty = penalty");
    if (v[M_PENALTY].sent)
        qb_addv(&q, ", penalty = ?", DB_INT(v[M_PENALTY].i));
    if (v[M_POSITION].sent)
        qb_addv(&q, ", position = ?", DB_INT(v[M_POSITION].i));
    if (now && !was)
        qb_add(&q, ", is_paused = 1, paused_at = UTC_TIMESTAMP()");
    if (!now && was)
        qb_add(&q, ", is_paused = 0, paused_at = NULL, paused_reason = NULL");
    if (now && v[M_REASON].sent)
        qb_addv(&q, ", paused_reason = ?", DB_STR(reason_of(&v[M_REASON])));
    qb_addv(&q, " WHERE id = ? AND tenant_id = ?", DB_STR(w->id), DB_STR(r->auth.tenant_id));
    return qb_exec(&q, r->db, NULL);
}

/*
 * Locks the member, after its queue as every member write does: a queue delete (queue,
 * then its members) and this never wait for each other the other way round, and the
 * members the delete reports are the ones it deletes. DB_OK with *old, TXN_ANSWERED (404),
 * or a db_rc.
 */
static int member_lock(struct request *r, const char *id, struct db_result **old)
{
    struct db_result *m;
    int rc = db_exec(r->db, r->arena,
                     "SELECT queue_id FROM queue_members WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &m);
    if (rc == DB_OK && m->nrows == 0)
        return txn_fail(r, 404, "not_found", members.not_found);
    if (rc == DB_OK)
        rc = queue_lock(r, db_get(m, 0, "queue_id"));
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, is_paused FROM queue_members WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), old);
    if (rc == DB_OK && (*old)->nrows == 0)
        return txn_fail(r, 404, "not_found", members.not_found);
    return rc;
}

static int change_step(struct request *r, void *arg)
{
    struct member_write *w = arg;
    struct db_result *old;
    int rc = member_lock(r, w->id, &old);
    if (rc != DB_OK)
        return rc;
    bool was = db_get_int(old, 0, "is_paused", 0) != 0;
    bool now = w->v[M_PAUSED].sent ? w->v[M_PAUSED].b : was;
    if (reason_check(r, w->v, now) != 0)
        return TXN_ANSWERED;
    rc = member_update(r, w, was, now);
    if (rc == DB_OK)
        rc = resource_audit(r, &members, "update", w->id, w->details);
    if (rc == DB_OK && was != now)
        rc = member_event(r, now ? "queue.member.paused" : "queue.member.unpaused", w->id);
    return rc == DB_OK ? resource_answer(r, &members, 200, w->id) : rc;
}

static int member_change(struct request *r)
{
    struct member_write w = {.id = request_param(r, "memberId")};
    struct json_object *body = NULL;
    if (fields_declared(r, FIELDS_UPDATE, w.v, M_USER, &body) != 0)
        return -1;
    w.details = body ? json_text(body, NULL) : NULL;
    return crud_reply(r, &members, txn_run(r, change_step, &w));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/queues/:id/members", member_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "The members of a queue", .key = "members", .flags = ROUTE_LIST,
          .resource = &members),
    ROUTE("POST", "/api/queues/:id/members", member_add, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "Add a member to a queue", ROUTE_BODY(member_add_fields), .key = "member",
          .flags = ROUTE_IDEMPOTENT),
    ROUTE("DELETE", "/api/queues/:id/members/:userId", member_remove, ROLES_STAFF,
          FAM_CALLCENTER, .summary = "Remove a user from a queue", .key = "member"),
    ROUTE("PUT", "/api/queues/members/:memberId", member_change, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "Change a queue member (penalty, position, pause)",
          ROUTE_BODY(member_change_fields), .key = "member"),
};

ROUTE_GROUP(queue_members_routes, routes);

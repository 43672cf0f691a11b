/*
 * The agents' side of live chat: sessions (open, list, get, assign, transfer, end, typing)
 * and their messages with read receipts. The writes that the visitor's routes and the clock
 * share (assignment, ending, messages and their events) are chat_store.h's.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "chat_store.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define MESSAGES_MAX 500

static const char *const session_statuses[] = {"waiting", "active",    "transferring", "closed",
                                               "abandoned", "missed", NULL};

static const struct filter_def session_filters[] = {
    {"status", FILTER_ENUM, " AND s.status = ?", session_statuses, NULL},
    {"agent_id", FILTER_ID, " AND s.user_id = ?", NULL, NULL},
    {"user_id", FILTER_ID, " AND s.user_id = ?", NULL, NULL},
    {"widget_id", FILTER_ID, " AND s.widget_id = ?", NULL, NULL},
};

static const char *const session_json_cols[] = {"metadata", NULL};

static const struct resource chat_sessions = {
    .table = "chat_sessions",
    .columns = "s.id, s.session_key, s.tenant_id, s.widget_id, s.contact_id, s.ticket_id,"
               " s.user_id, " CHAT_USER_NAME " AS agent_name, s.queue_id, s.visitor_id,"
               " s.visitor_name, s.visitor_email, s.visitor_ip, s.page_url, s.status,"
               " s.started_at, s.wait_until, s.handover_at, s.accepted_at, s.first_response_at, s.ended_at,"
               " s.rating, s.metadata, s.created_at, s.updated_at",
    .from = "chat_sessions s LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id",
    .id_col = "s.id",
    .tenant_col = "s.tenant_id",
    .json_cols = session_json_cols,
    .id_prefix = "chs_",
    RESOURCE_NAMES("session", "sessions", "Chat session not found"),
    .entity = "chat_session",
    .order = "s.started_at DESC, s.id DESC",
    RESOURCE_FILTERS(session_filters),
};

static int session_active(struct request *r)
{
    struct qb live;
    qb_init(&live, r->arena);
    qb_add(&live, " AND s.status IN ('waiting','active','transferring')");
    return resource_list(r, &chat_sessions, &live);
}

/* Locks the session of the path: DB_OK with *row, TXN_ANSWERED (404), or a db_rc. */
static int path_session(struct request *r, const char *id, struct db_result **row)
{
    int rc = chat_session_lock(r, id, row);
    return rc == 1 ? txn_fail(r, 404, "not_found", chat_sessions.not_found) : rc;
}

/* ---- open -------------------------------------------------------------------------------- */

enum { O_NAME, O_EMAIL, O_WIDGET, O_MESSAGE, O_NFIELDS };

static const struct field_def open_fields[] = {
    [O_NAME] = {"visitor_name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [O_EMAIL] = {"visitor_email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [O_WIDGET] = {"widget_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [O_MESSAGE] = {"message", FT_TEXT, F_NULLABLE, 1, 5000, NULL, NULL, NULL},
};

struct open {
    struct field_value f[O_NFIELDS];
    const char *id, *key, *secret, *visitor_id;
};

/* chat.session.started, as for a visitor's start. */
static int opened_tell(struct request *r, const struct open *o)
{
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", o->id);
    jr = jr ? jr : json_set_str(p, "session_key", o->key);
    jr = jr ? jr : json_set_str(p, "widget_id", o->f[O_WIDGET].s ? o->f[O_WIDGET].s : "");
    jr = jr ? jr : json_set_str(p, "visitor_name", o->f[O_NAME].s);
    jr = jr ? jr : json_set_str(p, "status", "waiting");
    p = json_done(p, jr);
    return p ? chat_emit(r, "chat.session.started", o->id, p) : DB_ERROR;
}

static int open_step(struct request *r, void *arg)
{
    struct open *o = arg;
    struct db_result *row;
    char hash[65];
    crypto_sha256_hex(o->secret, strlen(o->secret), hash);
    int rc = o->f[O_WIDGET].s == NULL
                 ? DB_OK
                 : crud_refer(r, "SELECT id FROM chat_widgets WHERE id = ? AND tenant_id = ?"
                                 " LOCK IN SHARE MODE",
                              o->f[O_WIDGET].s, "widget_id", "must be a chat widget of this tenant");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO chat_sessions (id, session_key, tenant_id, widget_id, visitor_id,"
                     " visitor_secret_hash, visitor_name, visitor_email, status)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting')",
                     DB_PARAMS(DB_STR(o->id), DB_STR(o->key), DB_STR(r->auth.tenant_id),
                               DB_STR(o->f[O_WIDGET].s), DB_STR(o->visitor_id), DB_STR(hash),
                               DB_STR(o->f[O_NAME].s), DB_STR(o->f[O_EMAIL].s)),
                     NULL);
    if (rc == DB_OK)
        rc = opened_tell(r, o);
    if (rc == DB_OK)
        rc = chat_session_lock(r, o->id, &row);
    if (rc == DB_OK)
        rc = chat_session_assign(r, row, r->auth.user_id, NULL);
    if (rc == DB_OK && o->f[O_MESSAGE].s != NULL)
        rc = chat_message_add(r,
                              &(struct chat_message_new){.session_id = o->id,
                                                         .sender_type = "agent",
                                                         .user_id = r->auth.user_id,
                                                         .body = o->f[O_MESSAGE].s},
                              NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &chat_sessions, "create", o->id, NULL);
    if (rc == DB_OK)
        rc = resource_answer(r, &chat_sessions, 201, o->id);
    /* The visitor's secret, shown once, for the link the agent sends the visitor. */
    if (rc == DB_OK && json_set_str(r->reply.data, "visitor_secret", o->secret) != 0)
        rc = DB_ERROR;
    return rc;
}

static int session_open(struct request *r)
{
    struct open o = {0};
    if (fields_declared(r, FIELDS_CREATE, o.f, O_NFIELDS, NULL) != 0)
        return -1;
    char *key = crypto_random_token(r->arena, 18), *vid = crypto_random_token(r->arena, 9);
    o.id = id_new(r->arena, "chs_");
    o.key = key ? arena_printf(r->arena, "ck_%s", key) : NULL;
    o.visitor_id = vid ? arena_printf(r->arena, "v_%s", vid) : NULL;
    o.secret = crypto_random_token(r->arena, 32);
    if (o.id == NULL || o.key == NULL || o.visitor_id == NULL || o.secret == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, open_step, &o));
}

/* ---- assign, transfer, end, typing ------------------------------------------------------- */

enum { A_USER, A_NFIELDS };

static const struct field_def assign_fields[] = {
    [A_USER] = {"user_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, "agent_id"},
};

struct assign {
    const char *id;
    struct field_value f[A_NFIELDS];
};

static int assign_step(struct request *r, void *arg)
{
    struct assign *a = arg;
    struct db_result *row;
    const char *user = NULL;
    int rc = path_session(r, a->id, &row);
    if (rc == DB_OK)
        rc = chat_session_assign(r, row, a->f[A_USER].s, &user);
    if (rc == DB_OK && user == NULL)
        return txn_fail(r, 409, "conflict", "No chat agent is available");
    if (rc == DB_OK)
        rc = resource_audit(r, &chat_sessions, "assign", a->id,
                            arena_printf(r->arena, "{\"user_id\":\"%s\"}", user));
    return rc == DB_OK ? resource_answer(r, &chat_sessions, 200, a->id) : rc;
}

/* An agent may take a chat or leave it to the automatic choice, not give it to others. */
static int session_assign(struct request *r)
{
    struct assign a = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, a.f, A_NFIELDS, NULL) != 0)
        return -1;
    if (r->auth.role_bit == ROLE_AGENT && a.f[A_USER].s != NULL &&
        strcmp(a.f[A_USER].s, r->auth.user_id) != 0)
        return request_error(r, 403, "forbidden", "An agent may only take a chat for themselves");
    return txn_reply(r, txn_run(r, assign_step, &a));
}

enum { T_USER, T_QUEUE, T_REASON, T_NFIELDS };

static const struct field_def transfer_fields[] = {
    [T_USER] = {"to_user_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [T_QUEUE] = {"to_queue_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [T_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
};

struct transfer {
    const char *id;
    struct field_value f[T_NFIELDS];
};

/* To a queue: the session waits again (its widget's wait) for one of the queue's agents. */
static int to_queue(struct request *r, struct db_result **row, const char *queue,
                    const char **user)
{
    const char *sid = db_get(*row, 0, "id");
    int rc = crud_refer(r, "SELECT id FROM queues WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                        queue, "to_queue_id", "must be a queue of this tenant");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_agents SET current_chats = GREATEST(current_chats - 1, 0),"
                     " last_activity_at = NOW() WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(db_get(*row, 0, "user_id"))),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions s LEFT JOIN chat_widgets w"
                     " ON w.tenant_id = s.tenant_id AND w.id = s.widget_id"
                     " SET s.queue_id = ?, s.user_id = NULL, s.status = 'waiting',"
                     " s.wait_until = NOW() + INTERVAL COALESCE(JSON_VALUE(w.settings,"
                     " '$.max_wait_seconds'), 120) SECOND WHERE s.id = ? AND s.tenant_id = ?",
                     DB_PARAMS(DB_STR(queue), DB_STR(sid), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = chat_session_lock(r, sid, row);
    clock_wake_after_commit(r); /* the agent it left has room for a waiting visitor now */
    return rc == DB_OK ? chat_session_handover(r, *row, user) : rc;
}

static int transfer_record(struct request *r, const struct transfer *t, const char *from,
                           const char *to)
{
    const char *tid = id_new(r->arena, "ctr_");
    if (tid == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO chat_transfers (id, tenant_id, session_id, from_user_id,"
                     " to_user_id, to_queue_id, reason, status, responded_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, IF(? IS NULL, NULL, NOW()))",
                     DB_PARAMS(DB_STR(tid), DB_STR(r->auth.tenant_id), DB_STR(t->id),
                               DB_STR(from), DB_STR(to), DB_STR(t->f[T_QUEUE].s),
                               DB_STR(t->f[T_REASON].s), DB_STR(to ? "accepted" : "pending"),
                               DB_STR(to)),
                     NULL);
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", t->id);
    jr = jr ? jr : json_set_str(p, "transfer_id", tid);
    jr = jr ? jr : json_set_str(p, "from_user_id", from ? from : "");
    jr = jr ? jr : json_set_str(p, "to_user_id", to ? to : "");
    jr = jr ? jr : json_set_str(p, "to_queue_id", t->f[T_QUEUE].s ? t->f[T_QUEUE].s : "");
    jr = jr ? jr : json_set_str(p, "reason", t->f[T_REASON].s ? t->f[T_REASON].s : "");
    p = json_done(p, jr);
    if (rc != DB_OK || p == NULL) {
        json_object_put(p);
        return rc != DB_OK ? rc : DB_ERROR;
    }
    event_wake_after_commit(r);
    return chat_emit(r, "chat.transferred", t->id, p);
}

static int transfer_step(struct request *r, void *arg)
{
    struct transfer *t = arg;
    struct db_result *row;
    const char *to = NULL, *from;
    int rc = path_session(r, t->id, &row);
    if (rc != DB_OK)
        return rc;
    from = db_get(row, 0, "user_id");
    if (chat_status_ended(db_get(row, 0, "status")))
        return txn_fail(r, 409, "conflict", "The chat session has ended");
    if (t->f[T_USER].s != NULL && from != NULL && strcmp(from, t->f[T_USER].s) == 0)
        return txn_fail(r, 409, "conflict", "The chat is already this agent's");
    if (t->f[T_USER].s != NULL)
        rc = chat_session_assign(r, row, t->f[T_USER].s, &to);
    else
        rc = to_queue(r, &row, t->f[T_QUEUE].s, &to);
    if (rc == DB_OK)
        rc = transfer_record(r, t, from, to);
    if (rc == DB_OK)
        rc = resource_audit(r, &chat_sessions, "transfer", t->id, NULL);
    return rc == DB_OK ? resource_answer(r, &chat_sessions, 200, t->id) : rc;
}

static int session_transfer(struct request *r)
{
    struct transfer t = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_CREATE, t.f, T_NFIELDS, NULL) != 0)
        return -1;
    if ((t.f[T_USER].s == NULL) == (t.f[T_QUEUE].s == NULL)) {
        request_field_error(r, "to_user_id", "give either to_user_id or to_queue_id");
        return request_check_fields(r);
    }
    return txn_reply(r, txn_run(r, transfer_step, &t));
}

static int end_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *row;
    int rc = path_session(r, id, &row);
    if (rc == DB_OK)
        rc = chat_session_finish(r, row, "closed", "agent");
    if (rc == DB_OK)
        rc = resource_audit(r, &chat_sessions, "end", id, NULL);
    return rc == DB_OK ? resource_answer(r, &chat_sessions, 200, id) : rc;
}

static int session_end(struct request *r)
{
    return txn_reply(r, txn_run(r, end_step, (void *)request_param(r, "id")));
}

enum { Y_TYPING, Y_NFIELDS };

static const struct field_def typing_fields[] = {
    [Y_TYPING] = {"is_typing", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

struct typing {
    const char *id;
    struct field_value f[Y_NFIELDS];
};

/* The agent's display name (users u), "" when unknown. */
static int user_name(struct request *r, const char *user, const char **name)
{
    struct db_result *u;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " CHAT_USER_NAME " AS name FROM users u WHERE u.tenant_id = ? AND u.id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user)), &u);
    *name = rc == DB_OK && u->nrows ? db_get(u, 0, "name") : "";
    return rc;
}

/* Nothing is stored: chat.typing goes to the session's visitor and the staff. */
static int typing_step(struct request *r, void *arg)
{
    struct typing *t = arg;
    struct db_result *row;
    const char *name;
    int rc = path_session(r, t->id, &row);
    if (rc == DB_OK)
        rc = user_name(r, r->auth.user_id, &name);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", t->id);
    jr = jr ? jr : json_set_str(p, "sender_type", "agent");
    jr = jr ? jr : json_set_str(p, "sender_id", r->auth.user_id);
    jr = jr ? jr : json_set_str(p, "sender_name", name);
    jr = jr ? jr : json_set_bool(p, "is_typing", t->f[Y_TYPING].sent ? t->f[Y_TYPING].b : 1);
    p = json_done(p, jr);
    rc = p ? chat_emit(r, "chat.typing", t->id, p) : DB_ERROR;
    event_wake_after_commit(r);
    return rc == DB_OK && reply_message(r, 200, "Typing sent") == 0 ? DB_OK : rc ? rc : DB_ERROR;
}

static int session_typing(struct request *r)
{
    struct typing t = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, t.f, Y_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, typing_step, &t));
}

/* ---- messages ---------------------------------------------------------------------------- */

enum { M_SESSION, M_BODY, M_NFIELDS };

static const struct field_def message_fields[] = {
    [M_SESSION] = {"session_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [M_BODY] = {"body", FT_TEXT, F_REQUIRED, 1, 5000, NULL, NULL, "message"},
};

struct message {
    struct field_value f[M_NFIELDS];
};

static int message_step(struct request *r, void *arg)
{
    struct message *m = arg;
    struct db_result *row;
    struct json_object *msg;
    const char *name, *sid = m->f[M_SESSION].s;
    int rc = path_session(r, sid, &row);
    if (rc != DB_OK)
        return rc;
    if (chat_status_ended(db_get(row, 0, "status")))
        return txn_fail(r, 409, "conflict", "The chat session has ended");
    rc = user_name(r, r->auth.user_id, &name);
    if (rc == DB_OK)
        rc = chat_message_add(r,
                              &(struct chat_message_new){.session_id = sid,
                                                         .sender_type = "agent",
                                                         .user_id = r->auth.user_id,
                                                         .sender_name = name,
                                                         .body = m->f[M_BODY].s},
                              &msg);
    if (rc != DB_OK)
        return rc;
    event_wake_after_commit(r);
    return reply_one(r, 201, "message", msg) == 0 ? DB_OK : DB_ERROR;
}

static int message_send(struct request *r)
{
    struct message m = {0};
    if (fields_declared(r, FIELDS_CREATE, m.f, M_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, message_step, &m));
}

static int message_list(struct request *r)
{
    long long after;
    struct json_object *msgs;
    struct db_result *s;
    const char *id = request_param(r, "id");
    if (query_int(r, "after", 0, (long long)1 << 62, 0, &after) < 0)
        return request_check_fields(r);
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM chat_sessions WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &s);
    if (rc == DB_OK && s->nrows == 0)
        return request_error(r, 404, "not_found", chat_sessions.not_found);
    if (rc == DB_OK)
        rc = chat_messages_json(r, id, after, MESSAGES_MAX, &msgs);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    long long n = (long long)json_object_array_length(msgs);
    return reply_list(r, "messages", msgs, 1, n > 0 ? n : 1, n);
}

/* A read receipt: read_at is set once (the first reader's time stays). */
static int read_step(struct request *r, void *arg)
{
    const char *raw = arg;
    char *end;
    struct db_result *m;
    long long id = strtoll(raw, &end, 10);
    if (*raw == '\0' || *end != '\0' || id <= 0)
        return txn_fail(r, 404, "not_found", "Chat message not found");
    int rc = db_exec(r->db, r->arena,
                     "UPDATE chat_messages SET read_at = COALESCE(read_at, NOW())"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, session_id, sender_type, user_id AS sender_id, message_type,"
                     " body, read_at, created_at FROM chat_messages WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(id), DB_STR(r->auth.tenant_id)), &m);
    if (rc != DB_OK)
        return rc;
    if (m->nrows == 0)
        return txn_fail(r, 404, "not_found", "Chat message not found");
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", db_get(m, 0, "session_id"));
    jr = jr ? jr : json_set_int(p, "message_id", id);
    jr = jr ? jr : json_set_str(p, "read_at", db_get(m, 0, "read_at"));
    jr = jr ? jr : json_set_str(p, "reader_id", r->auth.user_id);
    p = json_done(p, jr);
    rc = p ? chat_emit(r, "chat.message.read", db_get(m, 0, "session_id"), p) : DB_ERROR;
    event_wake_after_commit(r);
    return rc == DB_OK ? resource_reply_row(r, 200, "message", m, NULL) : rc;
}

static int message_read(struct request *r)
{
    return txn_reply(r, txn_run(r, read_step, (void *)request_param(r, "messageId")));
}

#define CHAT_ROUTE(m, p, h, roles, ...) ROUTE(m, p, h, roles, FAM_CALLCENTER, __VA_ARGS__)

static const struct route routes[] = {
    CHAT_ROUTE("POST", "/api/chat/sessions", session_open, ROLES_ANY,
               .summary = "An agent opens a chat session (assigned to them)",
               ROUTE_BODY(open_fields), .key = "session", .status = 201),
    CHAT_ROUTE("GET", "/api/chat/sessions", crud_list, ROLES_ANY,
               .summary = "List chat sessions (status, agent_id, widget_id)", .key = "sessions",
               .flags = ROUTE_LIST, .resource = &chat_sessions),
    CHAT_ROUTE("GET", "/api/chat/sessions/active", session_active, ROLES_ANY,
               .summary = "Chat sessions waiting or in progress", .key = "sessions",
               .flags = ROUTE_LIST, .resource = &chat_sessions),
    CHAT_ROUTE("GET", "/api/chat/sessions/:id", crud_get, ROLES_ANY,
               .summary = "One chat session", .key = "session", .resource = &chat_sessions),
    CHAT_ROUTE("POST", "/api/chat/sessions/:id/assign", session_assign, ROLES_ANY,
               .summary = "Assign a chat to an agent (user_id) or to the best free one",
               ROUTE_BODY(assign_fields), .key = "session"),
    CHAT_ROUTE("POST", "/api/chat/sessions/:id/transfer", session_transfer, ROLES_ANY,
               .summary = "Transfer a chat to another agent or a queue",
               ROUTE_BODY(transfer_fields), .key = "session"),
    CHAT_ROUTE("POST", "/api/chat/sessions/:id/end", session_end, ROLES_ANY,
               .summary = "End a chat session", .key = "session"),
    CHAT_ROUTE("POST", "/api/chat/sessions/:id/typing", session_typing, ROLES_ANY,
               .summary = "The agent is typing (an event, nothing stored)",
               ROUTE_BODY(typing_fields)),
    CHAT_ROUTE("POST", "/api/chat/messages", message_send, ROLES_ANY,
               .summary = "An agent's chat message", ROUTE_BODY(message_fields),
               .key = "message", .status = 201),
    CHAT_ROUTE("GET", "/api/chat/sessions/:id/messages", message_list, ROLES_ANY,
               .summary = "A chat session's messages (?after=)", .key = "messages",
               .flags = ROUTE_LIST | ROUTE_WHOLE),
    CHAT_ROUTE("POST", "/api/chat/messages/:messageId/read", message_read, ROLES_ANY,
               .summary = "Mark a chat message read", .key = "message"),
};

ROUTE_GROUP(chat_sessions_routes, routes);

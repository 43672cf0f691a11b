/* Live chat's shared writes (chat_store.h). */
#include "chat_store.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "notify.h"
#include "request.h"
#include "txn.h"

bool chat_status_ended(const char *status)
{
    return status == NULL || strcmp(status, "closed") == 0 ||
           strcmp(status, "abandoned") == 0 || strcmp(status, "missed") == 0;
}

int chat_session_lock(struct request *r, const char *id, struct db_result **row)
{
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, session_key, widget_id, user_id, queue_id, status, visitor_name,"
                     " visitor_email, ticket_id FROM chat_sessions"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), row);
    return rc == DB_OK && (*row)->nrows == 0 ? 1 : rc;
}

int chat_emit(struct request *r, const char *type, const char *session_id,
              struct json_object *payload)
{
    const char *aud = arena_printf(r->arena, "chat:%s", session_id);
    const char *text = payload != NULL ? json_text(payload, NULL) : NULL;
    if (text != NULL)
        text = arena_strdup(r->arena, text);
    json_object_put(payload);
    if (aud == NULL || text == NULL)
        return DB_ERROR;
    return event_emit_for(r, type, NULL, aud, text);
}

/* The stored message as its readers see it, and its chat.message payload. */
static struct json_object *message_json(const struct chat_message_new *m, long long id,
                                        const char *created_at)
{
    struct json_object *o = json_object_new_object();
    int rc = json_set_int(o, "id", id);
    rc = rc ? rc : json_set_int(o, "message_id", id);
    rc = rc ? rc : json_set_str(o, "session_id", m->session_id);
    rc = rc ? rc : json_set_str(o, "sender_type", m->sender_type);
    rc = rc ? rc : json_set_str(o, "sender_id", m->user_id ? m->user_id : "");
    rc = rc ? rc : json_set_str(o, "sender_name", m->sender_name ? m->sender_name : "");
    rc = rc ? rc : json_set_str(o, "body", m->body);
    rc = rc ? rc : json_set_str(o, "message_type", "text");
    rc = rc ? rc : json_set(o, "read_at", NULL);
    rc = rc ? rc : json_set_str(o, "created_at", created_at);
    rc = rc ? rc : json_set_str(o, "timestamp", created_at);
    return json_done(o, rc);
}

int chat_message_add(struct request *r, const struct chat_message_new *m,
                     struct json_object **out)
{
    struct db_result *ins;
    const char *tenant = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO chat_messages (tenant_id, session_id, sender_type, user_id, body)"
                     " VALUES (?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(tenant), DB_STR(m->session_id), DB_STR(m->sender_type),
                               DB_STR(m->user_id), DB_STR(m->body)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, created_at FROM chat_messages WHERE id = LAST_INSERT_ID()",
                     NULL, 0, &ins);
    if (rc == DB_OK && ins->nrows == 0)
        rc = DB_ERROR;
    if (rc == DB_OK && strcmp(m->sender_type, "agent") == 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions SET first_response_at = COALESCE(first_response_at,"
                     " NOW()) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(m->session_id), DB_STR(tenant)), NULL);
    if (rc != DB_OK)
        return rc;
    long long id = db_get_int(ins, 0, "id", 0);
    const char *at = db_get(ins, 0, "created_at");
    struct json_object *payload = message_json(m, id, at);
    if (payload == NULL)
        return DB_ERROR;
    if (out != NULL && (*out = arena_json(r->arena, message_json(m, id, at))) == NULL) {
        json_object_put(payload);
        return DB_ERROR;
    }
    return chat_emit(r, "chat.message", m->session_id, payload);
}

/* One chat of the user's capacity back (the chat ended or left them); the clock then looks
 * at once for a visitor waiting for a human. */
static int agent_release(struct request *r, const char *user_id)
{
    if (user_id == NULL)
        return DB_OK;
    clock_wake_after_commit(r);
    return db_exec(r->db, r->arena,
                   "UPDATE chat_agents SET current_chats = GREATEST(current_chats - 1, 0),"
                   " last_activity_at = NOW() WHERE tenant_id = ? AND user_id = ?",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), NULL);
}

/* The free agent the order of the issue picks, locked: DB_OK with *user (NULL: none). */
static int agent_pick(struct request *r, const char *queue_id, const char **user)
{
    struct db_result *res;
    *user = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT ca.user_id FROM chat_agents ca"
                     " JOIN users u ON u.tenant_id = ca.tenant_id AND u.id = ca.user_id"
                     " WHERE ca.tenant_id = ? AND ca.status = 'online' AND u.is_active = 1"
                     "  AND ca.current_chats < ca.max_concurrent_chats"
                     "  AND (? IS NULL OR EXISTS (SELECT 1 FROM queue_members qm"
                     "   WHERE qm.tenant_id = ca.tenant_id AND qm.queue_id = ?"
                     "   AND qm.user_id = ca.user_id AND qm.is_paused = 0))"
                     " ORDER BY ca.current_chats, ca.last_activity_at IS NOT NULL,"
                     "  ca.last_activity_at, ca.id LIMIT 1 FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id), DB_STR(queue_id)),
                     &res);
    if (rc == DB_OK && res->nrows > 0)
        *user = db_get(res, 0, "user_id");
    return rc;
}

/* One chat of user's capacity taken: DB_OK, TXN_ANSWERED (not an agent: 422; full: 409). */
static int agent_take(struct request *r, const char *user)
{
    struct db_result *upd, *who;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE chat_agents SET current_chats = current_chats + 1,"
                     " last_activity_at = NOW() WHERE tenant_id = ? AND user_id = ?"
                     " AND current_chats < max_concurrent_chats",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user)), &upd);
    if (rc != DB_OK || upd->affected_rows > 0)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "SELECT id FROM chat_agents WHERE tenant_id = ? AND user_id = ?",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user)), &who);
    if (rc != DB_OK)
        return rc;
    if (who->nrows == 0) {
        request_field_error(r, "user_id", "must be a chat agent of this tenant");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    return txn_fail(r, 409, "conflict", "The agent has no room for another chat");
}

/* chat.session.assigned and chat.agent.joined, and the agent's notification. */
static int assigned_tell(struct request *r, const struct db_result *row, const char *user)
{
    struct db_result *u;
    const char *sid = db_get(row, 0, "id");
    int rc = db_exec(r->db, r->arena,
                     "SELECT " CHAT_USER_NAME " AS name FROM users u"
                     " WHERE u.tenant_id = ? AND u.id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user)), &u);
    if (rc != DB_OK)
        return rc;
    const char *name = u->nrows ? db_get(u, 0, "name") : "";
    const char *types[] = {"chat.session.assigned", "chat.agent.joined"};
    for (int i = 0; i < 2 && rc == DB_OK; i++) {
        struct json_object *p = json_object_new_object();
        int jr = json_set_str(p, "session_id", sid);
        jr = jr ? jr : json_set_str(p, "session_key", db_get(row, 0, "session_key"));
        jr = jr ? jr : json_set_str(p, "user_id", user);
        jr = jr ? jr : json_set_str(p, "agent_name", name);
        p = json_done(p, jr);
        rc = p ? chat_emit(r, types[i], sid, p) : DB_ERROR;
    }
    const char *visitor = db_get(row, 0, "visitor_name");
    const char *title = arena_printf(r->arena, "Chat assigned: %s", visitor ? visitor : "visitor");
    const char *data = arena_printf(r->arena, "{\"session_id\":\"%s\"}", sid);
    if (rc == DB_OK)
        rc = title && data ? notify_user(r, &(struct notice){.user_id = user,
                                                             .type = "chat.assigned",
                                                             .title = title,
                                                             .data_json = data})
                           : DB_ERROR;
    event_wake_after_commit(r);
    return rc;
}

int chat_session_assign(struct request *r, const struct db_result *row, const char *user_id,
                        const char **assigned)
{
    const char *sid = db_get(row, 0, "id"), *old = db_get(row, 0, "user_id");
    const char *user = user_id;
    if (assigned != NULL)
        *assigned = NULL;
    if (chat_status_ended(db_get(row, 0, "status")))
        return txn_fail(r, 409, "conflict", "The chat session has ended");
    if (old != NULL && user != NULL && strcmp(old, user) == 0) {
        if (assigned != NULL)
            *assigned = user; /* already theirs: nothing moves */
        return DB_OK;
    }
    int rc = user == NULL ? agent_pick(r, db_get(row, 0, "queue_id"), &user) : DB_OK;
    if (rc != DB_OK || user == NULL)
        return rc;
    rc = agent_take(r, user);
    if (rc == DB_OK)
        rc = agent_release(r, old);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions SET user_id = ?, status = 'active', wait_until = NULL,"
                     " handover_at = NULL, accepted_at = COALESCE(accepted_at, NOW()) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(user), DB_STR(sid), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = assigned_tell(r, row, user);
    if (rc == DB_OK && assigned != NULL)
        *assigned = user;
    return rc;
}

int chat_session_handover(struct request *r, const struct db_result *row,
                          const char **assigned)
{
    const char *user = NULL;
    int rc = chat_session_assign(r, row, NULL, &user);
    if (assigned != NULL)
        *assigned = user;
    if (rc != DB_OK || user != NULL)
        return rc;
    return db_exec(r->db, r->arena,
                   "UPDATE chat_sessions SET handover_at = COALESCE(handover_at, NOW())"
                   " WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(db_get(row, 0, "id")), DB_STR(r->auth.tenant_id)), NULL);
}

int chat_session_dispatch(struct request *r, const char *session_id, int *moved)
{
    struct db_result *row;
    const char *user = NULL;
    *moved = 0;
    int rc = chat_session_lock(r, session_id, &row);
    if (rc != DB_OK)
        return rc == 1 ? DB_OK : rc;
    /* Assigned, ended or missed meanwhile: nothing to do. */
    if (strcmp(db_get(row, 0, "status"), "waiting") != 0)
        return DB_OK;
    rc = chat_session_assign(r, row, NULL, &user);
    *moved = rc == DB_OK && user != NULL;
    return rc;
}

int chat_session_finish(struct request *r, const struct db_result *row, const char *status,
                        const char *by)
{
    const char *sid = db_get(row, 0, "id");
    if (chat_status_ended(db_get(row, 0, "status")))
        return txn_fail(r, 409, "conflict", "The chat session has ended already");
    int rc = db_exec(r->db, r->arena,
                     "UPDATE chat_sessions SET status = ?, ended_at = NOW(), wait_until = NULL"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(status), DB_STR(sid), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = agent_release(r, db_get(row, 0, "user_id"));
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    int jr = json_set_str(p, "session_id", sid);
    jr = jr ? jr : json_set_str(p, "session_key", db_get(row, 0, "session_key"));
    jr = jr ? jr : json_set_str(p, "status", status);
    jr = jr ? jr : json_set_str(p, "ended_by", by);
    p = json_done(p, jr);
    event_wake_after_commit(r);
    return p ? chat_emit(r, "chat.session.ended", sid, p) : DB_ERROR;
}

int chat_messages_json(struct request *r, const char *session_id, long long after,
                       long long limit, struct json_object **out)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT m.id, m.session_id, m.sender_type, m.user_id AS sender_id,"
                     " CASE m.sender_type WHEN 'visitor' THEN s.visitor_name"
                     "  WHEN 'agent' THEN " CHAT_USER_NAME " ELSE NULL END AS sender_name,"
                     " m.message_type, m.body, m.read_at, m.created_at"
                     " FROM chat_messages m"
                     " JOIN chat_sessions s ON s.tenant_id = m.tenant_id AND s.id = m.session_id"
                     " LEFT JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id"
                     " WHERE m.tenant_id = ? AND m.session_id = ? AND m.id > ?"
                     " ORDER BY m.id LIMIT ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(session_id), DB_INT(after),
                               DB_INT(limit)),
                     &res);
    if (rc != DB_OK)
        return rc;
    *out = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    return *out != NULL ? DB_OK : DB_ERROR;
}

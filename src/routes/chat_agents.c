/*
 * Chat agents (one row per user: availability and capacity) and the chat statistics.
 * current_chats is kept by chat_store.c's assignment and ending, never by a body.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "chat_store.h"
#include "crud.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const agent_statuses[] = {"online", "away", "busy", "offline", NULL};

enum { C_USER, C_STATUS, C_MAX };

static const struct field_def agent_fields[] = {
    [C_USER] = {"user_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [C_STATUS] = {"status", FT_ENUM, 0, 0, 0, agent_statuses, NULL, NULL},
    [C_MAX] = {"max_concurrent_chats", FT_INT, 0, 1, 50, NULL, NULL, "max_chats"},
};

static const char *const agent_columns_of[] = {"user_id", "status", "max_concurrent_chats"};

static const struct crud_ref agent_refs[] = {
    {C_USER, "SELECT id FROM users WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a user of this tenant"},
};

static const struct resource_writes agent_writes = {
    CRUD_REFS(agent_refs),
    .duplicate = "This user is a chat agent already",
};

static const struct resource chat_agents = {
    .table = "chat_agents",
    .columns = "ca.id, ca.tenant_id, ca.user_id, " CHAT_USER_NAME " AS name, u.email,"
               " ca.status, ca.max_concurrent_chats, ca.current_chats, ca.last_activity_at,"
               " ca.created_at, ca.updated_at",
    .from = "chat_agents ca JOIN users u ON u.tenant_id = ca.tenant_id AND u.id = ca.user_id",
    .id_col = "ca.id",
    .tenant_col = "ca.tenant_id",
    .id_prefix = "cha_",
    RESOURCE_NAMES("agent", "agents", "Chat agent not found"),
    .entity = "chat_agent",
    /* As the automatic assignment picks them: fewest chats, then the longest idle. */
    .order = "ca.current_chats, ca.last_activity_at IS NOT NULL, ca.last_activity_at, ca.id",
    RESOURCE_FIELDS(agent_fields, agent_columns_of),
    .writes = &agent_writes,
};

static int agents_available(struct request *r)
{
    struct qb free_only;
    qb_init(&free_only, r->arena);
    qb_add(&free_only, " AND ca.status = 'online' AND ca.current_chats < ca.max_concurrent_chats"
                       " AND u.is_active = 1");
    return resource_list(r, &chat_agents, &free_only);
}

enum { P_STATUS, P_MAX, P_NFIELDS };

static const struct field_def availability_fields[] = {
    [P_STATUS] = {"status", FT_ENUM, F_REQUIRED, 0, 0, agent_statuses, NULL, NULL},
    [P_MAX] = {"max_concurrent_chats", FT_INT, 0, 1, 50, NULL, NULL, "max_chats"},
};

struct availability {
    const char *id; /* the chat agent's id or its user's */
    struct field_value f[P_NFIELDS];
};

static int availability_step(struct request *r, void *arg)
{
    struct availability *a = arg;
    struct db_result *row;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, user_id FROM chat_agents WHERE (id = ? OR user_id = ?)"
                     " AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(a->id), DB_STR(a->id), DB_STR(r->auth.tenant_id)), &row);
    if (rc != DB_OK)
        return rc;
    if (row->nrows == 0)
        return txn_fail(r, 404, "not_found", chat_agents.not_found);
    const char *id = db_get(row, 0, "id"), *user = db_get(row, 0, "user_id");
    if (r->auth.role_bit == ROLE_AGENT && strcmp(user, r->auth.user_id) != 0)
        return txn_fail(r, 403, "forbidden", "An agent may only set their own availability");
    rc = db_exec(r->db, r->arena,
                 "UPDATE chat_agents SET status = ?, max_concurrent_chats ="
                 " COALESCE(?, max_concurrent_chats), last_activity_at = NOW()"
                 " WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(a->f[P_STATUS].s),
                           a->f[P_MAX].sent ? DB_INT(a->f[P_MAX].i) : DB_NULL, DB_STR(id),
                           DB_STR(r->auth.tenant_id)),
                 NULL);
    const char *payload = arena_printf(r->arena,
                                       "{\"agent_id\":\"%s\",\"user_id\":\"%s\",\"status\":\"%s\"}",
                                       id, user, a->f[P_STATUS].s);
    if (rc == DB_OK)
        rc = payload ? event_emit(r, "chat.agent.status", NULL, payload) : DB_ERROR;
    if (rc == DB_OK)
        rc = resource_audit(r, &chat_agents, "availability", id, payload);
    event_wake_after_commit(r);
    clock_wake_after_commit(r); /* an agent online may take a waiting visitor at once */
    return rc == DB_OK ? resource_answer(r, &chat_agents, 200, id) : rc;
}

static int agent_availability(struct request *r)
{
    struct availability a = {.id = request_param(r, "agentId")};
    if (fields_declared(r, FIELDS_UPDATE, a.f, P_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, availability_step, &a));
}

/* ---- stats ------------------------------------------------------------------------------- */

#define STATS_DEFAULT_DAYS 30

/* Sessions started in [from, to): counts and mean times in seconds (null when none). */
#define STATS_SUMS                                                                         \
    "COUNT(*) AS total_sessions, COALESCE(SUM(s.status = 'closed'), 0) AS closed_sessions," \
    " COALESCE(SUM(s.status = 'missed'), 0) AS missed_sessions,"                           \
    " COALESCE(SUM(s.status IN ('waiting','active','transferring')), 0) AS open_sessions,"  \
    " AVG(TIMESTAMPDIFF(SECOND, s.started_at, s.accepted_at)) AS avg_wait_seconds,"         \
    " AVG(TIMESTAMPDIFF(SECOND, s.started_at, s.first_response_at))"                       \
    "  AS avg_first_response_seconds,"                                                     \
    " AVG(TIMESTAMPDIFF(SECOND, COALESCE(s.accepted_at, s.started_at), s.ended_at))"       \
    "  AS avg_duration_seconds"

static int chat_stats(struct request *r)
{
    long long from, to;
    struct db_result *all, *per;
    int hf = cdr_query_time(r, "from", false, &from), ht = cdr_query_time(r, "to", true, &to);
    if (hf < 0 || ht < 0)
        return request_check_fields(r);
    if (ht == 0)
        to = (long long)time(NULL) + 1;
    if (hf == 0)
        from = to - STATS_DEFAULT_DAYS * 86400LL;
    struct db_param p[] = {DB_STR(r->auth.tenant_id), DB_INT(from), DB_INT(to)};
    int rc = db_exec(r->db, r->arena,
                     "SELECT " STATS_SUMS " FROM chat_sessions s WHERE s.tenant_id = ?"
                     " AND s.started_at >= FROM_UNIXTIME(?) AND s.started_at < FROM_UNIXTIME(?)",
                     p, 3, &all);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT s.user_id, " CHAT_USER_NAME " AS name, " STATS_SUMS
                     " FROM chat_sessions s JOIN users u"
                     " ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE s.tenant_id = ?"
                     " AND s.started_at >= FROM_UNIXTIME(?) AND s.started_at < FROM_UNIXTIME(?)"
                     " GROUP BY s.user_id, name ORDER BY total_sessions DESC, s.user_id",
                     p, 3, &per);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, db_row_json(all, 0, NULL));
    if (o == NULL || db_rows_attach(o, "per_agent", per, NULL) != 0 ||
        json_set_int(o, "from", from) != 0 || json_set_int(o, "to", to) != 0)
        return request_oom(r);
    return reply_one(r, 200, "stats", o);
}

static const struct route routes[] = {
    CRUD_CREATE_ROUTE("/api/chat/agents", &chat_agents, agent_fields, ROLES_STAFF,
                      FAM_CALLCENTER, CRUD_NAMES_AS("agent", "agents", "a", "chat agent",
                                                    "chat agents")),
    ROUTE("PUT", "/api/chat/agents/:agentId/availability", agent_availability, ROLES_ANY,
          FAM_CALLCENTER, .summary = "Set a chat agent's availability (and capacity)",
          ROUTE_BODY(availability_fields), .key = "agent"),
    ROUTE("GET", "/api/chat/agents/available", agents_available, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Chat agents online with room, in the order assignment picks them",
          .key = "agents", .flags = ROUTE_LIST, .resource = &chat_agents),
    ROUTE("GET", "/api/chat/stats", chat_stats, ROLES_STAFF, FAM_CALLCENTER,
          .summary = "Chat statistics over from/to: sessions, waiting, first response,"
                     " duration, per agent",
          .key = "stats"),
};

ROUTE_GROUP(chat_agents_routes, routes);

/*
 * PUT /api/agents/:id/availability (calldocker): an agent's availability is the
 * contact-center agent state (agent_state.h), the machine /api/v1/agent-state drives.
 * :id is an `/api/agents` record linked to a user, or a user of the tenant. An agent sets
 * their own; staff set anyone's. The answer is the user's state as it now is.
 */
#include <stdbool.h>
#include <string.h>

#include "agent_state.h"
#include "arena.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "request.h"
#include "router.h"
#include "routes.h"
#include "txn.h"

/* calldocker's words: busy is our away. */
static const char *const availabilities[] = {"available", "busy", "away", "offline", NULL};

enum { AV_AVAILABILITY, AV_STATUS, AV_REASON };

static const struct field_def availability_fields[] = {
    [AV_AVAILABILITY] = {"availability", FT_ENUM, 0, 0, 0, availabilities, NULL, NULL},
    [AV_STATUS] = {"status", FT_ENUM, 0, 0, 0, availabilities, NULL, NULL},
    [AV_REASON] = {"reason", FT_TEXT, F_NULLABLE, 0, AGENT_REASON_MAX, NULL, NULL, NULL},
};

struct availability {
    const char *id;        /* as sent: an agent record or a user */
    const char *word;      /* calldocker's word */
    const char *presence;  /* ours */
    const char *reason;
};

int agent_user_of(struct request *r, const char *id, const char **user)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.id FROM users u WHERE u.tenant_id = ? AND (u.id = ? OR u.id ="
                     " (SELECT a.user_id FROM agents a WHERE a.tenant_id = ? AND a.id = ?))",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id), DB_STR(r->auth.tenant_id),
                               DB_STR(id)),
                     &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *user = db_get(res, 0, "id");
    return DB_OK;
}

static int availability_answer(struct request *r, const struct availability *a,
                               const char *user_id)
{
    struct agent_state_row row;
    int rc = agent_state_lock(r, user_id, &row);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "id", a->id) || json_set_str(o, "user_id", user_id) ||
        json_set_str(o, "availability",
                     strcmp(row.presence, "away") == 0 ? "busy" : row.presence) ||
        json_set_str(o, "presence", row.presence) || json_set_str(o, "activity", row.activity) ||
        json_set_str(o, "state", row.state) || json_set_str(o, "reason", row.reason) ||
        json_set_int(o, "capacity", row.capacity) ||
        json_set_int(o, "active_calls", row.active_calls))
        return DB_ERROR;
    return reply_one(r, 200, "agent", o) == 0 ? DB_OK : DB_ERROR;
}

static int availability_step(struct request *r, void *arg)
{
    const struct availability *a = arg;
    const char *user_id = NULL;
    int rc = agent_user_of(r, a->id, &user_id);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "Agent not found");
    if (rc == DB_OK && r->auth.role_bit == ROLE_AGENT && strcmp(user_id, r->auth.user_id) != 0)
        return txn_fail(r, 403, "forbidden", "Agents may only change their own availability");
    if (rc == DB_OK)
        rc = agent_state_change(r, user_id, a->presence, NULL, a->reason);
    return rc == DB_OK ? availability_answer(r, a, user_id) : rc;
}

static int agent_availability(struct request *r)
{
    struct field_value v[3];
    if (fields_declared(r, FIELDS_UPDATE, v, 3, NULL) != 0)
        return -1;
    struct availability a = {.id = request_param(r, "id"), .reason = v[AV_REASON].s};
    a.word = v[AV_AVAILABILITY].sent ? v[AV_AVAILABILITY].s : v[AV_STATUS].s;
    if (a.word == NULL) {
        request_field_error(r, "availability", "is required (available, busy, away or offline)");
        return request_check_fields(r);
    }
    a.presence = strcmp(a.word, "busy") == 0 ? "away" : a.word;
    if (a.reason != NULL && a.reason[0] == '\0')
        a.reason = NULL;
    return txn_reply(r, txn_run(r, availability_step, &a));
}

static const struct route routes[] = {
    ROUTE("PUT", "/api/agents/:id/availability", agent_availability, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "Set an agent's availability (the agent state)",
          ROUTE_BODY(availability_fields), .key = "agent"),
};

ROUTE_GROUP(cd_agents_routes, routes);

/* Stream tickets: EventSource cannot send a bearer header, so a client trades its token
 * for a single-use ticket the event worker accepts (src/events/api.c). */
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"

#define TICKET_TTL 60

static int events_ticket(struct request *r)
{
    char *ticket = crypto_random_token(r->arena, 32);
    if (ticket == NULL)
        return request_oom(r);
    char hash[65];
    crypto_sha256_hex(ticket, strlen(ticket), hash);
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO stream_tickets (id, tenant_id, user_id, session_id, expires_at)"
                     " VALUES (?, ?, ?, ?, NOW() + INTERVAL ? SECOND)",
                     DB_PARAMS(DB_STR(hash), DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id),
                               DB_STR(r->auth.session_id), DB_INT(TICKET_TTL)),
                     NULL);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *t = arena_json(r->arena, json_object_new_object());
    if (t == NULL || json_set_str(t, "ticket", ticket) != 0 ||
        json_set_int(t, "expires_in", TICKET_TTL) != 0)
        return request_oom(r);
    return reply_one(r, 200, NULL, t);
}

static const struct route routes[] = {
    ROUTE("POST", "/api/events/ticket", events_ticket, ROLES_ANY, FAM_TRANSFER,
          .summary = "A one-use ticket for opening an event stream"),
};

ROUTE_GROUP(events_routes, routes);

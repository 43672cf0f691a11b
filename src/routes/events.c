/* The pool's side of live events: writing them, waking the event worker, stream tickets. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

#define TICKET_TTL 60

int event_emit(struct request *r, const char *type, const char *call_id,
               const char *payload_json)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO call_events (tenant_id, call_id, type, payload) VALUES (?, ?, ?, ?)",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id), DB_STR(type),
                             DB_STR(payload_json)),
                   NULL);
}

void event_wake(struct request *r)
{
    /* One socket per worker process, made on first use after fork. */
    static int fd = -1;
    const char *path = r->cfg->event_wake_socket;
    struct sockaddr_un sa;
    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
        return;
    if (fd < 0) {
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* Best effort: when the worker is down or busy it catches up at its next poll. */
    if (sendto(fd, "w", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        errno != EAGAIN && errno != ENOENT && errno != ECONNREFUSED)
        log_debug("event wake: %s", strerror(errno));
}

static void wake_hook(struct request *r, const char *arg)
{
    (void)arg;
    event_wake(r);
}

void event_wake_after_commit(struct request *r)
{
    txn_after_commit(r, wake_hook, NULL);
}

static int events_ticket(struct request *r)
{
    char *ticket = crypto_random_token(r->arena, 32);
    if (ticket == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
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
        return request_error(r, 500, "internal_error", "Out of memory");
    return reply_one(r, 200, NULL, t);
}

static const struct route routes[] = {
    {"POST", "/api/events/ticket", events_ticket, ROLES_ANY, FAM_TRANSFER},
};

const struct route_group events_routes = {routes, sizeof(routes) / sizeof(routes[0])};

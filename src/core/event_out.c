/* The pool's side of live events (event_out.h). */
#include "event_out.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "request.h"
#include "txn.h"

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

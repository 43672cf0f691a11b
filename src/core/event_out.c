/* The pool's side of live events (event_out.h). */
#include "event_out.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "event_seq.h"
#include "log.h"
#include "request.h"
#include "txn.h"

int event_emit(struct request *r, const char *type, const char *call_id,
               const char *payload_json)
{
    return event_emit_for(r, type, call_id, NULL, payload_json);
}

int event_emit_for(struct request *r, const char *type, const char *call_id,
                   const char *audience, const char *payload_json)
{
    return event_write(r->db, r->arena, r->auth.tenant_id, call_id, type, audience,
                       payload_json);
}

/* One datagram to a unix socket; *fd is made on first use after fork. Best effort: a
 * reader that is down or busy catches up at its next poll. */
static void poke(int *fd, const char *path, const char *what)
{
    struct sockaddr_un sa;
    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
        return;
    if (*fd < 0) {
        *fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (*fd < 0)
            return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (sendto(*fd, "w", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        errno != EAGAIN && errno != ENOENT && errno != ECONNREFUSED)
        log_debug("%s wake: %s", what, strerror(errno));
}

void event_wake(struct request *r)
{
    static int fd = -1;
    poke(&fd, r->cfg->event_wake_socket, "event");
}

static void clock_hook(struct request *r, const char *arg)
{
    static int fd = -1;
    (void)arg;
    poke(&fd, r->cfg->clock_wake_socket, "clock");
}

void clock_wake_after_commit(struct request *r)
{
    txn_after_commit(r, clock_hook, NULL);
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

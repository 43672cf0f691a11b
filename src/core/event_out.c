/* The pool's side of live events (event_out.h). */
#include "event_out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "event_seq.h"
#include "log.h"
#include "nodes.h"
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

#define WAKE_PEERS_MAX 32

/* The other hosts' event workers (event_wake_peers: numeric IPv4 addresses on the private
 * network), read once per process. */
struct wake_peers {
    int ready, fd;
    size_t n;
    struct sockaddr_in addr[WAKE_PEERS_MAX];
};

static void peers_load(struct wake_peers *p, const char *list)
{
    p->ready = 1;
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        return;
    size_t count = nodes_count(list);
    for (size_t i = 0; i < count && p->n < WAKE_PEERS_MAX; i++) {
        struct node nd;
        struct sockaddr_in *sa = &p->addr[p->n];
        memset(sa, 0, sizeof(*sa));
        sa->sin_family = AF_INET;
        if (node_at(list, i, 7070, &nd) != 0 || nd.host[0] == '\0' ||
            inet_pton(AF_INET, nd.host, &sa->sin_addr) != 1 || nd.port > 65535) {
            log_warn("event_wake_peers: entry %zu is not an IPv4 address:port; skipped", i + 1);
            continue;
        }
        sa->sin_port = htons((unsigned short)nd.port);
        p->n++;
    }
}

/* One datagram to each other host's event worker: its feed reads at once instead of at
 * its next poll. Best effort, like the local poke. */
static void poke_peers(const char *list)
{
    static struct wake_peers peers = {.fd = -1};
    if (list[0] == '\0')
        return;
    if (!peers.ready)
        peers_load(&peers, list);
    for (size_t i = 0; i < peers.n && peers.fd >= 0; i++)
        if (sendto(peers.fd, "w", 1, MSG_DONTWAIT, (struct sockaddr *)&peers.addr[i],
                   sizeof(peers.addr[i])) < 0 &&
            errno != EAGAIN && errno != ECONNREFUSED)
            log_debug("event wake of a peer: %s", strerror(errno));
}

void event_wake(struct request *r)
{
    static int fd = -1;
    poke(&fd, r->cfg->event_wake_socket, "event");
    poke_peers(r->cfg->event_wake_peers);
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

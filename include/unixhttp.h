#ifndef SB_UNIXHTTP_H
#define SB_UNIXHTTP_H
/*
 * A tiny HTTP/1.1 client for the event worker's unix socket: the pool's readiness probe
 * (/api/events/health) and /metrics (the event worker's own counters) ask it with this.
 */
#include <stddef.h>

struct unixhttp_answer {
    int status;               /* 200… */
    char content_type[64];    /* "" when absent */
    char *body;               /* malloc'd, NUL-terminated; the caller frees it */
    size_t len;
};

/*
 * GET path on the unix socket socket_path (Connection: close), all within timeout_ms,
 * reading at most max bytes of the answer. 0 with *out filled, or -1 (no socket, refused,
 * timed out, malformed, too long, out of memory; out->body is then NULL).
 */
int unixhttp_get(const char *socket_path, const char *path, int timeout_ms, size_t max,
                 struct unixhttp_answer *out);

#endif

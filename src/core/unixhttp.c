/* GET over HTTP/1.1 on a unix socket (unixhttp.h). */
#include "unixhttp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa;
    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* A unix connect either completes or fails at once (EAGAIN: the backlog is full). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The headers and Content-Length bytes of body are in (a server that keeps the connection
 * open despite Connection: close costs nothing then). */
static int complete(char *buf, size_t got)
{
    buf[got] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (end == NULL)
        return 0;
    *end = '\0';
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    long long want = cl != NULL ? strtoll(cl + 17, NULL, 10) : -1;
    *end = '\r';
    return want >= 0 && (size_t)(end + 4 - buf) + (unsigned long long)want <= got;
}

/* Reads until EOF or a complete answer, max bytes or the deadline. Bytes read, or -1. */
static long read_all(int fd, char *buf, size_t max, const struct timespec *deadline)
{
    size_t got = 0;
    while (got < max) {
        if (got > 0 && complete(buf, got))
            return (long)got;
        long left = ms_left(deadline);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            return -1;
        ssize_t n = read(fd, buf + got, max - got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return (long)got;
        got += (size_t)n;
    }
    return complete(buf, got) ? (long)got : -1; /* else longer than max */
}

/* The status line, Content-Type and body of a whole answer in buf (NUL-terminated). */
static int parse(char *buf, size_t n, struct unixhttp_answer *out)
{
    char *end = strstr(buf, "\r\n\r\n");
    int status;
    if (end == NULL || sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1)
        return -1;
    *end = '\0';
    out->status = status;
    const char *ct = strcasestr(buf, "\r\nContent-Type:");
    if (ct != NULL) {
        ct += 15;
        ct += strspn(ct, " \t");
        size_t l = strcspn(ct, "\r");
        if (l >= sizeof(out->content_type))
            l = sizeof(out->content_type) - 1;
        memcpy(out->content_type, ct, l);
        out->content_type[l] = '\0';
    }
    out->body = end + 4;
    out->len = n - (size_t)(out->body - buf);
    return 0;
}

int unixhttp_get(const char *socket_path, const char *path, int timeout_ms, size_t max,
                 struct unixhttp_answer *out)
{
    struct timespec deadline;
    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    char req[512];
    int rn = snprintf(req, sizeof(req),
                      "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    int fd = connect_unix(socket_path);
    char *buf = malloc(max + 1);
    long n = -1;
    if (rn > 0 && (size_t)rn < sizeof(req) && fd >= 0 && buf != NULL &&
        write(fd, req, (size_t)rn) == rn)
        n = read_all(fd, buf, max, &deadline);
    if (fd >= 0)
        close(fd);
    if (n < 0) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    if (parse(buf, (size_t)n, out) != 0) {
        free(buf);
        return -1;
    }
    /* The body moves to the front so that the caller frees what it is given. */
    memmove(buf, out->body, out->len + 1);
    out->body = buf;
    return 0;
}

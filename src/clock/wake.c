/*
 * The clock's wake-up socket: the pool pokes it (a datagram) when it freed an agent, so a
 * waiting call is offered at once rather than at the next tick. Best effort both ways:
 * without it the clock still looks every tick.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* The pool's workers run as nobody (spawn-fcgi -U nobody when we are root). */
static int hand_to_workers(const char *path)
{
    if (geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam("nobody");
    struct group *gr = getgrnam("nogroup");
    if (pw == NULL || gr == NULL)
        return -1;
    return chown(path, pw->pw_uid, gr->gr_gid);
}

int clock_wake_open(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
        log_warn("clock: no usable clock_wake_socket; looking for work every tick only");
        return -1;
    }
    /* A leftover of a previous clock; never anything that is not a socket. */
    if (lstat(path, &st) == 0 && (!S_ISSOCK(st.st_mode) || unlink(path) != 0)) {
        log_warn("clock: %s is in the way; no wake-ups", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0 || hand_to_workers(path) != 0) {
        log_warn("clock: cannot set up %s: %s; no wake-ups", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void clock_wake_wait(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (fd < 0) {
        poll(NULL, 0, ms);
        return;
    }
    if (poll(&p, 1, ms) <= 0)
        return;
    char buf[64];
    /* Every poke that came meanwhile is answered by the one tick that follows. */
    while (recv(fd, buf, sizeof(buf), 0) > 0)
        ;
}

void clock_wake_close(int fd, const char *path)
{
    if (fd < 0)
        return;
    close(fd);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("clock: cannot remove %s: %s", path, strerror(errno));
}
